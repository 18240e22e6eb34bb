//! Helpers for the `csa serve` tests: a synthetic dataset with people, users, a running
//! server (the real binary on a free port) and a small HTTP/1.1 client on std's TcpStream
//! (so a request can be as malformed as a test needs).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{csa_ok, data};

/// Two synthetic Coventry years (2024 and 2025, `crimes` each, with victims and offenders)
/// ingested into `dir/ds` over the 2025 Coventry wards.
pub fn synth_dataset(dir: &Path, crimes: usize) -> PathBuf {
    let mut args: Vec<String> = vec!["--quiet".into(), "ingest".into()];
    for (year, seed) in [(2024, 11u64), (2025, 12)] {
        let ex =
            csa_synth::generate(&csa_synth::SynthOptions { crimes, asb: crimes / 5, seed, year })
                .expect("synth");
        let out = dir.join(format!("extract-{year}"));
        csa_synth::write_extract(&ex, &out, false).expect("write extract");
        args.push("--extract".into());
        args.push(out.to_string_lossy().into_owned());
    }
    let ds = dir.join("ds");
    args.push("--boundaries".into());
    args.push(data("data/boundaries/coventry-wards-2025.geojson").to_string_lossy().into_owned());
    args.push("--out".into());
    args.push(ds.to_string_lossy().into_owned());
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    csa_ok(&a);
    ds
}

/// `csa user add` with the password on stdin; returns (exit code, stderr).
pub fn add_user(
    users: &Path,
    name: &str,
    role: &str,
    subgroups: &str,
    password: &str,
) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_csa"));
    c.args(["user", "add", "--users"]).arg(users).args(["--name", name, "--role", role]);
    if !subgroups.is_empty() {
        c.args(["--subgroups", subgroups]);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run csa user add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    let o = child.wait_with_output().expect("wait");
    (o.status.code().unwrap_or(-1), String::from_utf8_lossy(&o.stderr).into_owned())
}

pub const PASSWORD: &str = "a long test passphrase";

/// The users of the tests: admin, a HARP partner, an unrestricted partner, a public user.
pub fn users(dir: &Path) -> PathBuf {
    let u = dir.join("users.json");
    for (name, role, groups) in [
        ("admin", "admin", ""),
        ("harp", "partner", "Harm and Abuse Reduction"),
        ("analyst", "partner", ""),
        ("board", "public", ""),
    ] {
        let (code, err) = add_user(&u, name, role, groups, PASSWORD);
        assert_eq!(code, 0, "csa user add {name}: {err}");
    }
    u
}

/// A running `csa serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub addr: String,
    pub audit: PathBuf,
    pub log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `csa serve` on a free loopback port with `extra` arguments and waits until it
    /// listens.
    pub fn start(dataset: &Path, users: &Path, extra: &[&str]) -> Server {
        let audit = users.with_file_name(format!(
            "audit-{}.jsonl",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_csa"))
            .args(["serve", "--dataset"])
            .arg(dataset)
            .arg("--users")
            .arg(users)
            .arg("--audit")
            .arg(&audit)
            .args(["--bind", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start csa serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default().to_string();
                    let _ = tx.send(url);
                }
                log2.lock().expect("log").push(line);
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(300)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("csa serve did not start: {:?}", log.lock().expect("log"));
            }
        };
        let addr = base.split("://").nth(1).unwrap_or_default().to_string();
        Server { child, base, addr, audit, log }
    }

    /// Signs in; returns the session cookie (`name=value`).
    pub fn sign_in(&self, user: &str, password: &str) -> Option<String> {
        let page = self.get("/login", None);
        let csrf = hidden(&page.text(), "csrf")?;
        let login_cookie = page.cookie("csa_login")?;
        let body = format!("csrf={}&username={}&password={}", csrf, enc(user), enc(password));
        let r = self.post("/login", Some(&login_cookie), &body);
        if r.status != 303 {
            return None;
        }
        r.cookie("csa_session")
    }

    pub fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut req =
            format!("GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        req.push_str("\r\n");
        self.raw(req.as_bytes())
    }

    pub fn post(&self, path: &str, cookie: Option<&str>, body: &str) -> Response {
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(c) = cookie {
            req.push_str(&format!("Cookie: {c}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.raw(req.as_bytes())
    }

    /// Sends bytes as they are and reads the whole response.
    pub fn raw(&self, request: &[u8]) -> Response {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(300))).expect("timeout");
        s.write_all(request).expect("send");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        Response::parse(&buf)
    }

    /// The audit log's records.
    pub fn audit_records(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
            .collect()
    }

    /// Waits until `f` holds (polling), at most `secs` seconds.
    pub fn wait_for(&self, secs: u64, mut f: impl FnMut() -> bool) -> bool {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(secs) {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        false
    }
}

/// Percent-encoding for a form value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The value of a hidden input `name` in a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(buf: &[u8]) -> Response {
        let split = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(buf.len());
        let head = String::from_utf8_lossy(&buf[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut body = buf.get(split + 4..).unwrap_or_default().to_vec();
        if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
            body = dechunk(&body);
        }
        Response { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k == "set-cookie").map(|(_, v)| v.as_str()).collect()
    }

    /// `name=value` of a cookie this response sets (a cookie name ending in `name`).
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .filter_map(|c| c.split(';').next())
            .find(|kv| kv.split('=').next().is_some_and(|k| k.ends_with(name)))
            .map(str::to_string)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = b.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = b.get(start + size + 2..).unwrap_or_default();
    }
    out
}

/// Columns of published tables that hold counts (what must never be 1 to 4 for the public).
pub fn is_count_column(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "comparison"
            | "people"
            | "crimes"
            | "known"
            | "unknown"
            | "points"
            | "time_unknown"
            | "same_quarter_last_year"
            | "previous_quarter"
            | "rolling_12"
            | "rolling_12_before"
            | "year_to_date"
            | "year_to_date_last_year"
            | "baseline"
    ) || (name.len() == 3 && name.starts_with('h') && name[1..].chars().all(|c| c.is_ascii_digit()))
}

/// Counts of 1 to 4 in a CSV's count columns (and in count rows of a measure/value table):
/// (column, value) of each.
pub fn small_counts_in_csv(csv: &str) -> Vec<(String, String)> {
    let mut rdr = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let header: Vec<String> = rdr.headers().expect("header").iter().map(str::to_string).collect();
    let measure = header.iter().position(|h| h == "measure");
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.expect("csv row");
        for (j, v) in rec.iter().enumerate() {
            let col = &header[j];
            let counts = is_count_column(col)
                || (col == "value" && measure.is_some_and(|m| !rec[m].contains('%')));
            if counts
                && matches!(v.parse::<f64>(), Ok(x) if (1.0..5.0).contains(&x) && x.fract() == 0.0)
            {
                out.push((col.clone(), v.to_string()));
            }
        }
    }
    out
}
