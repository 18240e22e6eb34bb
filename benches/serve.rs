//! `csa serve` under load: the release server on loopback over two synthetic force-years
//! (300,000 crimes and 60,000 ASB incidents a year, with victims and offenders).
//!
//! `cargo bench --bench serve` (release profile). Steps:
//! 1. **Cold views**: every page, API answer and download of the mix below is asked for once,
//!    one at a time, on a server that has just loaded the dataset; each time is what a user
//!    waits for a view nobody has opened yet (target: 200 ms).
//! 2. **Load**: `CSA_BENCH_USERS` (default 50) signed-in users (partners of each sub-group,
//!    unrestricted partners, public users, administrators) on their own keep-alive
//!    connections ask for pages, API answers and downloads of their priorities with no
//!    pause, for `CSA_BENCH_SECONDS` (default 60); each request's time from sending to the
//!    last byte. Targets: p95 at most 300 ms, no errors (anything but 200, or a failed
//!    connection), memory flat (the server's resident memory sampled every second: the last
//!    ten seconds' peak within 10% of the first ten's).
//!
//! `CSA_BENCH_CRIMES` changes the size of a year.

#[path = "common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long benchmark passphrase";

/// Status, headers (lower-case names), body.
type Reply = (u16, Vec<(String, String)>, Vec<u8>);

/// A keep-alive HTTP/1.1 connection.
struct Conn {
    addr: String,
    r: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Conn { addr: addr.to_string(), r: BufReader::new(s) })
    }

    /// (status, headers, body).
    fn request(
        &mut self,
        method: &str,
        path: &str,
        cookie: &str,
        body: &str,
    ) -> std::io::Result<Reply> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.r.get_mut().write_all(req.as_bytes())?;
        let mut line = String::new();
        self.r.read_line(&mut line)?;
        let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.r.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
        let mut out = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                line.clear();
                self.r.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                self.r.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
            }
        } else {
            let n: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            out.resize(n, 0);
            self.r.read_exact(&mut out)?;
        }
        Ok((status, headers, out))
    }
}

fn sign_in(addr: &str, user: &str) -> String {
    let mut c = Conn::open(addr).expect("connect");
    let (_, h, body) = c.request("GET", "/login", "", "").expect("login page");
    let login = h
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.split(';').next().filter(|kv| kv.starts_with("csa_login=")).map(str::to_string)
        })
        .expect("login cookie");
    let page = String::from_utf8_lossy(&body);
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + 19;
    let csrf = &page[at..at + 64];
    let form = format!("csrf={csrf}&username={user}&password={}", PASSWORD.replace(' ', "+"));
    let (status, h, _) = c.request("POST", "/login", &login, &form).expect("sign in");
    assert_eq!(status, 303, "{user} could not sign in");
    h.iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.split(';').next().filter(|kv| kv.starts_with("csa_session=")).map(str::to_string)
        })
        .expect("session cookie")
}

/// The requests of a user who may see `priorities` (slugs).
fn mix(priorities: &[&str], exact: bool) -> Vec<String> {
    let mut v = vec!["/".to_string(), "/quarterly".to_string()];
    for p in priorities {
        for by in ["", "ward", "month", "victim_age_band", "victim_sex,ward", "day_of_week,hour"] {
            let b = if by.is_empty() { String::new() } else { format!("&by={by}") };
            v.push(format!("/priority?priority={p}{b}"));
            v.push(format!("/api/breakdown?priority={p}{b}&format=csv"));
        }
        v.push(format!(
            "/api/breakdown?priority={p}&by=offender_age_band,offender_sex&format=json"
        ));
        v.push(format!("/download?priority={p}&by=ward&format=xlsx"));
        for view in ["repeat-victims", "top-locations", "day-hour", "equalities-victims"] {
            v.push(format!("/priority?priority={p}&view={view}"));
        }
        if exact {
            v.push(format!("/priority?priority={p}&view=prolific"));
        }
    }
    v
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let env = |k: &str, d: usize| std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d);
    let crimes = env("CSA_BENCH_CRIMES", 300_000);
    let n_users = env("CSA_BENCH_USERS", 50);
    let seconds = env("CSA_BENCH_SECONDS", 60) as u64;
    let csa = env!("CARGO_BIN_EXE_csa");
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let ds = common::synth_dataset(dir, crimes, &[(2024, 24), (2025, 25)], &[]);

    // users: partners of each sub-group, unrestricted partners, public users, admins
    let users_file = dir.join("users.json");
    let groups = ["City Tasking", "Harm and Abuse Reduction", "Reducing Re-offending"];
    let mut users: Vec<(String, &str, &str)> = Vec::new();
    for i in 0..n_users {
        let (role, group) = match i % 5 {
            0..=2 => ("partner", groups[i % 3]),
            3 => (["partner", "public"][i / 5 % 2], ""),
            _ => ("admin", ""),
        };
        users.push((format!("user{i:02}"), role, group));
    }
    let t = Instant::now();
    for (name, role, group) in &users {
        let mut c = Command::new(csa);
        c.args(["user", "add", "--users"]).arg(&users_file).args(["--name", name, "--role", role]);
        if !group.is_empty() {
            c.args(["--subgroups", group]);
        }
        let mut child =
            c.stdin(Stdio::piped()).stderr(Stdio::null()).spawn().expect("csa user add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .expect("password");
        assert!(child.wait().expect("wait").success());
    }
    eprintln!("{} users added in {:.1} s", users.len(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let mut server = Command::new(csa)
        .args(["serve", "--dataset"])
        .arg(&ds)
        .arg("--users")
        .arg(&users_file)
        .args(["--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("csa serve");
    let pid = server.id();
    let mut lines = BufReader::new(server.stderr.take().expect("stderr")).lines();
    let addr = loop {
        let l = lines.next().expect("csa serve exited").expect("stderr");
        if let Some(rest) = l.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap_or_default().to_string();
        }
    };
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            eprintln!("server: {l}")
        }
    });
    let started = t.elapsed().as_secs_f64();
    let rss_loaded = rss_kib(pid);
    eprintln!("server on {addr}: loaded in {started:.1} s, {} MiB", rss_loaded / 1024);

    let cookies: Vec<String> = users.iter().map(|(n, _, _)| sign_in(&addr, n)).collect();
    let config = csa_analysis::Config::default_config();
    let slugs_of = |group: &str| -> Vec<String> {
        config
            .priorities
            .iter()
            .filter(|p| group.is_empty() || p.subgroups.iter().any(|g| g.name() == group))
            .map(|p| csa_analysis::config::slug(&p.name, '-'))
            .collect()
    };
    let mixes: Vec<Vec<String>> = users
        .iter()
        .map(|(_, role, group)| {
            let slugs = slugs_of(group);
            let s: Vec<&str> = slugs.iter().map(String::as_str).collect();
            mix(&s, *role != "public")
        })
        .collect();

    // 1. cold views: each distinct request once, as an admin (public ones as a public user)
    let admin = users.iter().position(|u| u.1 == "admin").expect("an admin");
    let public = users.iter().position(|u| u.1 == "public");
    let mut cold: Vec<(f64, String)> = Vec::new();
    let mut conn = Conn::open(&addr).expect("connect");
    for (who, label) in [(Some(admin), "exact"), (public, "public")] {
        let Some(who) = who else { continue };
        let all = slugs_of("");
        let s: Vec<&str> = all.iter().map(String::as_str).collect();
        for path in mix(&s, label == "exact") {
            let t = Instant::now();
            let (status, _, _) = conn.request("GET", &path, &cookies[who], "").expect("request");
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(status, 200, "{path}");
            cold.push((ms, format!("{label} {path}")));
        }
    }
    let mut cold_ms: Vec<f64> = cold.iter().map(|c| c.0).collect();
    cold_ms.sort_by(f64::total_cmp);
    cold.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("## cold views ({} requests, each the first of its kind)\n", cold.len());
    println!(
        "median {:.0} ms, p95 {:.0} ms, max {:.0} ms; over 200 ms: {}",
        pct(&cold_ms, 0.5),
        pct(&cold_ms, 0.95),
        cold_ms.last().copied().unwrap_or(0.0),
        cold_ms.iter().filter(|&&m| m > 200.0).count()
    );
    println!("slowest:");
    for (ms, what) in cold.iter().take(8) {
        println!("  {ms:7.0} ms  {what}");
    }

    // 2. load
    let rss_before = rss_kib(pid);
    let stop = Instant::now() + Duration::from_secs(seconds);
    let (tx, rx) = std::sync::mpsc::channel::<(Vec<f64>, usize, Vec<String>)>();
    for (i, cookie) in cookies.iter().enumerate() {
        let (tx, addr, cookie, paths) =
            (tx.clone(), addr.clone(), cookie.clone(), mixes[i].clone());
        std::thread::spawn(move || {
            let mut times = Vec::new();
            let mut errors = Vec::new();
            let mut ok = 0usize;
            let mut conn = Conn::open(&addr).ok();
            let mut k = i * 7919;
            while Instant::now() < stop {
                k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let path = &paths[(k >> 33) % paths.len()];
                let t = Instant::now();
                let r = match conn.as_mut() {
                    Some(c) => c.request("GET", path, &cookie, ""),
                    None => Err(std::io::Error::other("no connection")),
                };
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                match r {
                    Ok((200, _, _)) => ok += 1,
                    Ok((s, _, _)) => errors.push(format!("{s} {path}")),
                    Err(e) => {
                        errors.push(format!("{e} {path}"));
                        conn = Conn::open(&addr).ok();
                    }
                }
            }
            let _ = tx.send((times, ok, errors));
        });
    }
    drop(tx);
    let mut rss = Vec::new();
    while Instant::now() < stop {
        std::thread::sleep(Duration::from_secs(1));
        rss.push(rss_kib(pid));
    }
    let mut times = Vec::new();
    let mut ok = 0;
    let mut errors = Vec::new();
    for (t, o, e) in rx {
        times.extend(t);
        ok += o;
        errors.extend(e);
    }
    times.sort_by(f64::total_cmp);
    let first = rss.iter().take(10).max().copied().unwrap_or(0);
    let last = rss.iter().rev().take(10).max().copied().unwrap_or(0);
    println!("\n## load: {} users for {seconds} s\n", cookies.len());
    println!(
        "requests {} ({:.0}/s), ok {ok}, errors {}; p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        times.len(),
        times.len() as f64 / seconds as f64,
        errors.len(),
        pct(&times, 0.5),
        pct(&times, 0.95),
        pct(&times, 0.99),
        times.last().copied().unwrap_or(0.0)
    );
    println!(
        "server memory (RSS): {} MiB loaded, {} MiB after the cold views, peak of the first 10 s {} MiB, of the last 10 s {} MiB ({:+.1}%)",
        rss_loaded / 1024,
        rss_before / 1024,
        first / 1024,
        last / 1024,
        100.0 * (last as f64 - first as f64) / first.max(1) as f64
    );
    for e in errors.iter().take(10) {
        println!("error: {e}");
    }
    let _ = server.kill();
    let _ = server.wait();
    let p95 = pct(&times, 0.95);
    let flat = (last as f64) <= first as f64 * 1.10;
    println!(
        "\ntargets: p95 <= 300 ms {}, no errors {}, memory flat {}",
        if p95 <= 300.0 { "met" } else { "MISSED" },
        if errors.is_empty() { "met" } else { "MISSED" },
        if flat { "met" } else { "MISSED" }
    );
}
