//! `csa serve` over HTTP (the real binary on a loopback port, a synthetic dataset with
//! victims and offenders):
//!
//! - `GET /api/breakdown` gives `csa breakdown`'s CSV byte for byte and its JSON, for every
//!   view, dimensions, periods and lists;
//! - sessions: no session is a redirect (pages) or 401 (API); wrong passwords, forged and
//!   expired sessions, missing CSRF tokens and other origins are refused; sign-ins are
//!   throttled per user and address;
//! - roles: a partner gets 403 for another sub-group's priority; a public user gets the
//!   public pack's tables cell for cell (`--public-pack`), no count of 1 to 4 from any page,
//!   download or API answer, and a 403 for anything the pack does not publish; a pack that is
//!   not public or fails its audit stops the server from starting;
//! - hostile requests (traversal, encoded dots, long or binary parameters, big bodies,
//!   unknown parameters, odd methods) get a 4xx and the server keeps serving;
//! - the audit log records every request as a JSON line, never a password;
//! - `csa ingest --append` is picked up without a restart; `csa user add` too;
//! - security headers, cookie attributes, and HTTPS with `--tls-cert/--tls-key`.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::serve::{
    add_user, enc, hidden, public_pack, small_counts_in_csv, synth_dataset, users, Server, PASSWORD,
};
use common::{csa, csa_ok};

struct Fixture {
    _tmp: tempfile::TempDir,
    dataset: PathBuf,
    /// The public pack of the dataset (`csa assess --edition public`), served to `board`.
    pack: PathBuf,
    users: PathBuf,
    server: Server,
    admin: String,
    harp: String,
    board: String,
}

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dataset = synth_dataset(tmp.path(), 4000);
        let users = users(tmp.path());
        let pack = public_pack(tmp.path(), &dataset);
        let server = Server::start(&dataset, &users, &["--public-pack", pack.to_str().unwrap()]);
        let admin = server.sign_in("admin", PASSWORD).expect("admin signs in");
        let harp = server.sign_in("harp", PASSWORD).expect("harp signs in");
        let board = server.sign_in("board", PASSWORD).expect("board signs in");
        Fixture { _tmp: tmp, dataset, pack, users, server, admin, harp, board }
    })
}

/// `csa breakdown` on the fixture with `args`, as CSV or JSON.
fn cli(args: &[&str], format: &str) -> Vec<u8> {
    let ds = fx().dataset.to_str().unwrap().to_string();
    let mut a = vec!["breakdown", "--dataset", &ds, "--format", format];
    a.extend_from_slice(args);
    let o = csa(&a);
    assert!(o.status.success(), "csa {a:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// The API's query for the same arguments as the command line's.
fn api_query(args: &[&str], format: &str) -> String {
    let mut q = vec![format!("format={format}")];
    for pair in args.chunks(2) {
        let key = pair[0].trim_start_matches("--");
        q.push(format!("{key}={}", enc(pair[1])));
    }
    format!("/api/breakdown?{}", q.join("&"))
}

#[test]
fn the_api_gives_the_command_lines_csv_byte_for_byte_and_its_json() {
    let f = fx();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--priority", "all", "--by", "ward"],
        vec!["--priority", "Domestic abuse", "--by", "victim_age_band,ward"],
        vec!["--priority", "domestic-abuse", "--by", "offender_relationship,offender_sex"],
        vec!["--priority", "Violence with injury", "--by", "month"],
        vec![
            "--priority",
            "residential burglary",
            "--by",
            "hour,day_of_week",
            "--from",
            "2025-03",
            "--to",
            "2025-08",
        ],
        vec!["--priority", "shoplifting", "--by", "location_type", "--to", "2025-06"],
        vec!["--priority", "all", "--by", "crime_type,quarter,ward,victim_sex"],
        vec!["--priority", "robbery", "--view", "prolific", "--top", "7"],
        vec!["--priority", "Domestic abuse", "--view", "repeat-victims"],
        vec!["--priority", "robbery", "--view", "repeat-offenders", "--from", "2024-06"],
        vec!["--priority", "Violence with injury", "--view", "top-locations", "--top", "5"],
        vec!["--priority", "anti-social behaviour", "--view", "day-hour"],
        vec!["--priority", "Hate crime", "--view", "equalities-victims"],
        vec!["--priority", "all", "--view", "equalities-offenders"],
        vec!["--priority", "all", "--view", "volume"],
        vec!["--priority", "Night-time economy violence"],
    ];
    for args in &cases {
        for format in ["csv", "json"] {
            let want = cli(args, format);
            let r = f.server.get(&api_query(args, format), Some(&f.admin));
            assert_eq!(r.status, 200, "{args:?} {format}: {}", r.text());
            assert!(
                r.body == want,
                "{args:?} {format}: the API differs from the command line\n--- api\n{}\n--- cli\n{}",
                r.text(),
                String::from_utf8_lossy(&want)
            );
        }
    }
    // the JSON says what was counted
    let v: serde_json::Value =
        serde_json::from_slice(&f.server.get(&api_query(&cases[1], "json"), Some(&f.admin)).body)
            .unwrap();
    assert!(v["rows"].as_array().is_some_and(|r| !r.is_empty()) && v["total"].as_u64().is_some());
}

#[test]
fn without_a_session_pages_redirect_and_the_api_answers_401() {
    let s = &fx().server;
    let h = s.get("/healthz", None);
    assert_eq!((h.status, h.text().as_str()), (200, "ok\n"));
    let r = s.get("/priority?priority=robbery&by=ward", None);
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fpriority%3Fpriority%3Drobbery%26by%3Dward")
    );
    let a = s.get("/api/breakdown?priority=robbery", None);
    assert_eq!(a.status, 401);
    assert!(a.text().contains("sign in"), "{}", a.text());
    for p in
        ["/", "/quarterly", "/download?format=csv", "/admin/users", "/hotspots?priority=robbery"]
    {
        assert_eq!(s.get(p, None).status, 303, "{p}");
    }
    // a forged or unknown session is no session
    assert_eq!(s.get("/api/breakdown", Some("csa_session=forged")).status, 401);
    assert_eq!(s.get("/", Some(&format!("csa_session={}", "0".repeat(64)))).status, 303);
}

#[test]
fn sign_in_needs_the_right_password_and_the_forms_token_and_sets_safe_cookies() {
    let s = &fx().server;
    let page = s.get("/login", None);
    assert_eq!(page.status, 200);
    let login_cookie = page.cookie("csa_login").unwrap();
    let set = page.set_cookies().join("\n");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let csrf = hidden(&page.text(), "csrf").unwrap();
    // wrong password: 401, the same message as an unknown user
    let wrong = s.post(
        "/login",
        Some(&login_cookie),
        &format!("csrf={csrf}&username=harp&password=wrong+password"),
    );
    assert_eq!(wrong.status, 401);
    let unknown = s.post(
        "/login",
        Some(&login_cookie),
        &format!("csrf={csrf}&username=nosuchuser&password=wrong+password"),
    );
    assert_eq!(unknown.status, 401);
    assert!(wrong.text().contains("not right") && unknown.text().contains("not right"));
    assert!(wrong.cookie("csa_session").is_none());
    // no token, or another token: 403
    assert_eq!(
        s.post("/login", Some(&login_cookie), &format!("username=harp&password={}", enc(PASSWORD)))
            .status,
        403
    );
    assert_eq!(
        s.post("/login", None, &format!("csrf={csrf}&username=harp&password={}", enc(PASSWORD)))
            .status,
        403
    );
    // another site's form
    let other = format!(
        "POST /login HTTP/1.1\r\nHost: {}\r\nOrigin: https://evil.example\r\nCookie: {login_cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\nConnection: close\r\n\r\nusername=a&password=",
        s.addr
    );
    assert_eq!(s.raw(other.as_bytes()).status, 403);
    // the right one: a session cookie, HttpOnly and SameSite=Strict, and back to `next`
    let ok = s.post(
        "/login",
        Some(&login_cookie),
        &format!("csrf={csrf}&username=harp&password={}&next=%2Fquarterly", enc(PASSWORD)),
    );
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/quarterly"));
    let c = ok.set_cookies().into_iter().find(|c| c.starts_with("csa_session=")).unwrap();
    assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"), "{c}");
    assert!(!c.contains("Secure"), "no Secure without TLS");
    // `next` only goes to this server
    let page = s.get("/login", None);
    let (lc, csrf) = (page.cookie("csa_login").unwrap(), hidden(&page.text(), "csrf").unwrap());
    let evil = s.post(
        "/login",
        Some(&lc),
        &format!("csrf={csrf}&username=harp&password={}&next=%2F%2Fevil.example%2F", enc(PASSWORD)),
    );
    assert_eq!(evil.header("location"), Some("/"));
    // sign out needs the session's CSRF token, then the session is gone
    let session = ok.cookie("csa_session").unwrap();
    let home = s.get("/", Some(&session));
    let token = hidden(&home.text(), "csrf").unwrap();
    assert_eq!(s.post("/logout", Some(&session), "csrf=bad").status, 403);
    assert_eq!(s.get("/", Some(&session)).status, 200);
    assert_eq!(s.post("/logout", Some(&session), &format!("csrf={token}")).status, 303);
    assert_eq!(s.get("/", Some(&session)).status, 303);
}

#[test]
fn sign_ins_are_throttled_per_user_and_per_address() {
    let f = fx();
    let s = Server::start(&f.dataset, &f.users, &[]);
    let attempt = |user: &str, password: &str| {
        let page = s.get("/login", None);
        let (lc, csrf) = (page.cookie("csa_login").unwrap(), hidden(&page.text(), "csrf").unwrap());
        s.post(
            "/login",
            Some(&lc),
            &format!("csrf={csrf}&username={user}&password={}", enc(password)),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("analyst", "wrong password!").status, 401);
    }
    // the sixth is refused without checking the password, even the right one
    let r = attempt("analyst", PASSWORD);
    assert_eq!(r.status, 429, "{}", r.text());
    assert!(r.header("retry-after").and_then(|v| v.parse::<u64>().ok()).is_some_and(|v| v > 60));
    // another user from the same address still gets in (5 failures of 20 for the address)
    assert_eq!(attempt("admin", PASSWORD).status, 303);
    for i in 0..15 {
        assert_eq!(attempt(&format!("nobody{i}"), "wrong password!").status, 401);
    }
    assert_eq!(attempt("admin", PASSWORD).status, 429, "20 failures from one address");
}

#[test]
fn sessions_expire_on_the_server() {
    let f = fx();
    let s = Server::start(&f.dataset, &f.users, &["--session-idle", "2s"]);
    let c = s.sign_in("analyst", PASSWORD).unwrap();
    assert_eq!(s.get("/api/breakdown?priority=robbery", Some(&c)).status, 200);
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(s.get("/api/breakdown?priority=robbery", Some(&c)).status, 401);
    assert_eq!(s.get("/", Some(&c)).status, 303);
}

#[test]
fn partners_see_their_sub_groups_priorities_only() {
    let f = fx();
    let s = &f.server;
    let r = s.get("/api/breakdown?priority=shoplifting&by=ward", Some(&f.harp));
    assert_eq!(r.status, 403);
    assert!(r.text().contains("Harm and Abuse Reduction"), "{}", r.text());
    assert_eq!(s.get("/priority?priority=shoplifting", Some(&f.harp)).status, 403);
    assert_eq!(s.get("/download?priority=shoplifting&format=csv", Some(&f.harp)).status, 403);
    assert_eq!(s.get("/hotspots?priority=shoplifting", Some(&f.harp)).status, 403);
    assert_eq!(s.get("/api/breakdown?priority=domestic-abuse&by=ward", Some(&f.harp)).status, 200);
    // the home page and the volume table list their priorities only
    let home = s.get("/", Some(&f.harp)).text();
    assert!(home.contains("Domestic abuse") && !home.contains("Shoplifting"));
    let vol = s.get("/api/breakdown?view=volume&format=csv", Some(&f.harp)).text();
    assert!(vol.contains("Domestic abuse") && !vol.contains("Shoplifting"), "{vol}");
    let q = s.get("/quarterly", Some(&f.harp)).text();
    assert!(!q.contains("Shoplifting"));
    // administrators' pages are theirs
    assert_eq!(s.get("/admin/users", Some(&f.harp)).status, 403);
    assert_eq!(s.get("/admin/audit", Some(&f.board)).status, 403);
    assert_eq!(s.get("/admin/users", Some(&f.admin)).status, 200);
}

/// The cells of the count columns of a CSV, by (row, column name).
fn count_cells(csv: &[u8]) -> Vec<(usize, String, String)> {
    let mut r = csv::Reader::from_reader(csv);
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        for (j, v) in rec.iter().enumerate() {
            let hour = h[j].len() == 3
                && h[j].starts_with('h')
                && h[j][1..].bytes().all(|b| b.is_ascii_digit());
            if ["count", "comparison", "time_unknown"].contains(&h[j].as_str()) || hour {
                out.push((i, h[j].clone(), v.to_string()));
            }
        }
    }
    out
}

#[test]
fn a_public_user_gets_the_public_packs_tables_and_nothing_else() {
    let f = fx();
    let s = &f.server;
    // answered from the public pack, cell for cell
    let answered = [
        ("priority=all&by=ward", "all_wards"),
        ("priority=hate-crime&by=ward", "hate_crime_wards"),
        ("priority=robbery&by=month", "robbery_months"),
        ("priority=sexual-offences&by=location_type", "sexual_offences_location_types"),
        ("priority=residential-burglary&view=top-locations", "residential_burglary_top_locations"),
        (
            "priority=night-time-economy-violence&view=day-hour",
            "night_time_economy_violence_day_hour",
        ),
        ("view=volume", "priority_volumes"),
    ];
    let mut hidden_cells = 0;
    let mut checked = 0;
    for (q, id) in answered {
        let pack = std::fs::read(f.pack.join("tables").join(format!("{id}.csv")))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let csv = s.get(&format!("/api/breakdown?{q}&format=csv"), Some(&f.board));
        assert_eq!(csv.status, 200, "{q}: {}", csv.text());
        assert!(
            small_counts_in_csv(&csv.text()).is_empty(),
            "{q}: {:?}",
            small_counts_in_csv(&csv.text())
        );
        let (got, want) = (count_cells(&csv.body), count_cells(&pack));
        assert!(!want.is_empty(), "{id}");
        assert_eq!(got, want, "{q}: the counts are the public pack's {id}");
        hidden_cells += want.iter().filter(|c| c.2 == "<5" || c.2 == "*").count();
        let dl = s.get(&format!("/download?{q}&format=csv"), Some(&f.board));
        assert_eq!(dl.body, csv.body, "{q}: the download is the API's table");
        let page = s.get(&format!("/priority?{q}"), Some(&f.board));
        assert_eq!(page.status, 200, "{q}");
        assert!(
            small_counts_in_html(&page.text()).is_empty(),
            "{q}: the page shows {:?}",
            small_counts_in_html(&page.text())
        );
        checked += small_counts_in_csv(
            &s.get(&format!("/api/breakdown?{q}&format=csv"), Some(&f.admin)).text(),
        )
        .len();
    }
    assert!(hidden_cells > 10, "only {hidden_cells} hidden cells in the pack's tables");
    assert!(
        checked > 20,
        "the exact tables had only {checked} small counts: the fixture is too big to test this"
    );
    let home = s.get("/", Some(&f.board));
    assert_eq!(home.status, 200);
    assert!(
        small_counts_in_html(&home.text()).is_empty(),
        "{:?}",
        small_counts_in_html(&home.text())
    );
    // the JSON's totals are the pack's priority_volumes row
    let j: serde_json::Value = serde_json::from_slice(
        &s.get("/api/breakdown?priority=hate-crime-transgender&by=ward", Some(&f.board)).body,
    )
    .unwrap();
    assert!(!matches!(j["total"].as_u64(), Some(1..=4)), "{}", j["total"]);
    // what the pack does not publish is refused, saying so: other dimensions, two
    // dimensions, other periods, person-level tables, repeats, equalities, the quarter, maps
    for q in [
        "/api/breakdown?priority=robbery&by=victim_sex,ward",
        "/api/breakdown?priority=domestic-abuse&by=victim_age_band,victim_sex",
        "/api/breakdown?priority=sexual-offences&by=offender_age_band",
        "/api/breakdown?priority=robbery&by=month&from=2025-06&to=2025-08",
        "/api/breakdown?priority=robbery&by=ward&compare=year&from=2025-01&to=2025-06",
        "/api/breakdown?priority=hate-crime&view=repeat-victims",
        "/api/breakdown?priority=domestic-abuse&view=equalities-victims",
        "/api/breakdown?priority=robbery&view=prolific",
        "/api/breakdown?priority=robbery&by=ward,hour,month",
        "/priority?priority=robbery&by=victim_sex&by=ward",
        "/quarterly",
        "/hotspots?priority=robbery",
    ] {
        let r = s.get(q, Some(&f.board));
        assert_eq!(r.status, 403, "{q}: {}", r.text());
        assert!(r.text().contains("public"), "{q}: {}", r.text());
    }
    let top = s
        .get("/api/breakdown?priority=robbery&view=top-locations&format=csv", Some(&f.board))
        .text();
    assert!(!top.contains("easting") && !top.contains("northing"), "{top}");
}

#[test]
fn a_server_without_a_public_pack_gives_the_public_nothing() {
    let f = fx();
    let s = Server::start(&f.dataset, &f.users, &[]);
    let board = s.sign_in("board", PASSWORD).expect("board signs in");
    let r = s.get("/api/breakdown?priority=robbery&by=ward", Some(&board));
    assert_eq!(r.status, 403);
    assert!(r.text().contains("--public-pack"), "{}", r.text());
    // partners are served as before
    let harp = s.sign_in("harp", PASSWORD).expect("harp signs in");
    assert_eq!(s.get("/api/breakdown?priority=domestic-abuse&by=ward", Some(&harp)).status, 200);
}

#[test]
fn a_pack_that_is_not_public_or_fails_its_audit_is_refused_at_start() {
    let f = fx();
    let tmp = tempfile::tempdir().unwrap();
    // a restricted pack has no disclosure.json
    let o = csa(&[
        "serve",
        "--dataset",
        f.dataset.to_str().unwrap(),
        "--users",
        f.users.to_str().unwrap(),
        "--audit",
        tmp.path().join("a.jsonl").to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--public-pack",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("disclosure.json"));
    // a public pack with a hidden count shown in clear fails its audit
    let copy = tmp.path().join("pack");
    copy_dir(&f.pack, &copy);
    let exact = s_exact_wards(f);
    let path = copy.join("tables/hate_crime_wards.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let (jc, jw) = (
        h.iter().position(|c| c == "count").unwrap(),
        h.iter().position(|c| c == "ward_code").unwrap(),
    );
    let mut rows: Vec<Vec<String>> =
        r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    let i = rows.iter().position(|r| r[jc] == "<5").expect("a <5 in hate crime's wards");
    rows[i][jc] = exact[&rows[i][jw]].clone();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&h).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let o = csa(&[
        "serve",
        "--dataset",
        f.dataset.to_str().unwrap(),
        "--users",
        f.users.to_str().unwrap(),
        "--audit",
        tmp.path().join("a.jsonl").to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--public-pack",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("fails its audit"));
}

/// Hate crime's exact counts by ward code (an administrator's answer).
fn s_exact_wards(f: &Fixture) -> std::collections::BTreeMap<String, String> {
    let csv =
        f.server.get("/api/breakdown?priority=hate-crime&by=ward&format=csv", Some(&f.admin)).body;
    let mut r = csv::Reader::from_reader(&csv[..]);
    let h: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let (jc, jw) = (
        h.iter().position(|c| c == "count").unwrap(),
        h.iter().position(|c| c == "ward_code").unwrap(),
    );
    r.records().map(|x| x.unwrap()).map(|x| (x[jw].to_string(), x[jc].to_string())).collect()
}

/// Table cells of count columns with 1 to 4 in a page (by the column headers).
fn small_counts_in_html(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for table in html.split("<table>").skip(1) {
        let table = table.split("</table>").next().unwrap_or_default();
        let head: Vec<String> = table
            .split("<th")
            .skip(1)
            // header cells only, not <thead>
            .filter(|h| h.starts_with(' ') || h.starts_with('>'))
            .map(|h| {
                h.split('>')
                    .nth(1)
                    .unwrap_or_default()
                    .split('<')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        for row in table.split("<tr>").skip(2) {
            let cells: Vec<String> = row
                .split("<td")
                .skip(1)
                .map(|c| {
                    c.split_once('>')
                        .map_or("", |x| x.1)
                        .split("</td>")
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            let measure = head.iter().position(|h| h == "measure");
            for (j, c) in cells.iter().enumerate() {
                let Some(col) = head.get(j) else { continue };
                let counts = common::serve::is_count_column(col)
                    || (col == "value" && measure.is_some_and(|m| !cells[m].contains('%')));
                if counts && matches!(c.trim(), "1" | "2" | "3" | "4") {
                    out.push(format!("{col}={c}"));
                }
            }
        }
    }
    // the home page's cards
    for card in html.split("<p class=\"big\">").skip(1) {
        let v = card.split('<').next().unwrap_or_default();
        if matches!(v, "1" | "2" | "3" | "4") {
            out.push(format!("card={v}"));
        }
    }
    out
}

#[test]
fn hostile_requests_get_a_4xx_and_the_server_keeps_serving() {
    let f = fx();
    let s = &f.server;
    let host = &s.addr;
    let raw = |line: &str| {
        s.raw(
            format!("{line}\r\nHost: {host}\r\nCookie: {}\r\nConnection: close\r\n\r\n", f.admin)
                .as_bytes(),
        )
    };
    for (req, want) in [
        ("GET /static/../../../../etc/passwd HTTP/1.1", 404),
        ("GET /static/..%2f..%2f..%2fetc%2fpasswd HTTP/1.1", 404),
        ("GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1", 404),
        ("GET /static/csa.css/../../Cargo.toml HTTP/1.1", 404),
        ("GET /download?priority=all&format=csv&out=../../etc/passwd HTTP/1.1", 400),
        ("GET /download?priority=../../etc/passwd&format=csv HTTP/1.1", 400),
        ("GET /api/breakdown?priority=%ff%fe HTTP/1.1", 400),
        ("GET /api/breakdown?priority=%00 HTTP/1.1", 400),
        ("GET /api/breakdown?by=ward,ward HTTP/1.1", 400),
        ("GET /api/breakdown?by=a,b,c,d,e HTTP/1.1", 400),
        ("GET /api/breakdown?top=-1&view=top-locations HTTP/1.1", 400),
        ("GET /api/breakdown?from=2025-00 HTTP/1.1", 400),
        ("GET /api/breakdown?from=9999-01 HTTP/1.1", 400),
        ("GET /api/breakdown?priority=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1", 400),
        ("GET /api/breakdown?format=exe HTTP/1.1", 400),
        ("GET /priority?view=volume%27%20OR%201=1 HTTP/1.1", 400),
        ("DELETE /api/breakdown HTTP/1.1", 405),
    ] {
        let r = raw(req);
        assert_eq!(r.status, want, "{req}: {}", r.text());
        assert!(!r.text().contains("root:x:0"), "{req}");
    }
    // an error page does not echo markup back
    let r = raw("GET /priority?priority=%3Cscript%3Ealert(1)%3C/script%3E HTTP/1.1");
    assert!(
        r.text().contains("&lt;script&gt;") && !r.text().contains("<script>alert"),
        "{}",
        r.text()
    );
    // a very long query string, a very long path, a big body
    assert!(matches!(
        raw(&format!("GET /api/breakdown?priority={} HTTP/1.1", "a".repeat(5000))).status,
        400 | 414 | 431
    ));
    assert!(matches!(raw(&format!("GET /{} HTTP/1.1", "a".repeat(2000))).status, 400 | 404 | 414));
    let big = "a=".to_string() + &"x".repeat(100_000);
    let r = s.post("/login", None, &big);
    assert_eq!(r.status, 413);
    // garbage on the wire: no answer or a 400, never a crash
    let garbage = s.raw(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n");
    assert!(garbage.status == 0 || garbage.status == 400);
    assert_eq!(s.get("/healthz", None).status, 200);
    assert_eq!(s.get("/api/breakdown?priority=robbery", Some(&f.admin)).status, 200);
}

#[test]
fn responses_carry_security_headers() {
    let f = fx();
    for (path, cookie) in [
        ("/login", None),
        ("/", Some(f.admin.as_str())),
        ("/api/breakdown", Some(f.admin.as_str())),
    ] {
        let r = f.server.get(path, cookie);
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // the pages use no inline script or style that the policy would block
    let page = f.server.get("/priority?priority=robbery&by=ward", Some(&f.admin)).text();
    assert!(!page.contains("<script") && !page.contains(" style=\"") && !page.contains("<style"));
    assert!(
        !page.contains("http://") || page.contains("xmlns=\"http://www.w3.org"),
        "nothing is fetched from elsewhere"
    );
}

#[test]
fn every_request_is_in_the_audit_log_and_no_password_ever_is() {
    let f = fx();
    let s = &f.server;
    let before = s.audit_records().len();
    assert_eq!(
        s.get("/api/breakdown?priority=robbery&by=ward&format=csv", Some(&f.harp)).status,
        403
    );
    let r = s.get("/api/breakdown?priority=domestic-abuse&by=ward&format=csv", Some(&f.harp));
    let rows = r.text().lines().count() - 1;
    assert!(s.sign_in("harp", "a wrong password here").is_none());
    let records = s.audit_records();
    assert!(records.len() >= before + 4);
    let find = |status: u64, route: &str| {
        records
            .iter()
            .rev()
            .find(|r| r["status"] == status && r["route"] == route)
            .cloned()
            .unwrap()
    };
    let denied = find(403, "/api/breakdown");
    assert_eq!(denied["user"], "harp");
    assert_eq!(denied["role"], "partner");
    assert_eq!(denied["parameters"]["priority"], "robbery");
    let ok = records
        .iter()
        .rev()
        .find(|r| r["status"] == 200 && r["parameters"]["priority"] == "domestic-abuse")
        .unwrap();
    assert_eq!(ok["rows"].as_u64(), Some(rows as u64));
    assert_eq!(ok["address"], "127.0.0.1");
    for k in ["time", "user", "role", "route", "parameters", "rows", "status", "method", "ms"] {
        assert!(ok.get(k).is_some(), "{k}");
    }
    let failed = find(401, "/login");
    assert_eq!(failed["parameters"]["username"], "harp");
    assert!(failed["user"].is_null());
    let text = std::fs::read_to_string(&s.audit).unwrap();
    assert!(!text.contains(PASSWORD) && !text.contains("a wrong password here"));
    // administrators read it in the browser
    let page = s.get("/admin/audit", Some(&f.admin)).text();
    assert!(page.contains("/api/breakdown") && page.contains("harp"));
}

#[test]
fn pages_downloads_and_views_answer_for_a_partner() {
    let f = fx();
    let s = &f.server;
    for q in [
        "/",
        "/quarterly",
        "/priority?priority=domestic-abuse",
        "/priority?priority=domestic-abuse&by=victim_age_band&by=ward&by=&by=",
        "/priority?priority=domestic-abuse&view=repeat-victims",
        "/priority?priority=domestic-abuse&view=prolific&top=5",
        "/priority?priority=domestic-abuse&view=top-locations",
        "/priority?priority=domestic-abuse&view=day-hour",
        "/priority?priority=domestic-abuse&view=equalities-offenders",
        "/priority?priority=domestic-abuse&by=month&compare=year&from=2025-04&to=2025-09",
        "/hotspots?priority=domestic-abuse",
    ] {
        let r = s.get(q, Some(&f.harp));
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        assert!(r.text().contains("<main"), "{q}");
    }
    let page = s.get("/priority?priority=domestic-abuse&by=ward", Some(&f.harp)).text();
    assert!(page.contains("<svg") && page.contains("Ward map"), "a chart and a ward map");
    let hot = s.get("/hotspots?priority=domestic-abuse", Some(&f.harp)).text();
    assert!(hot.contains("Gi* hot spots") && hot.contains("<svg"));
    // downloads are exactly the table: CSV (the API's) and a real workbook
    let csv = s.get("/download?priority=domestic-abuse&by=ward&format=csv", Some(&f.harp));
    assert!(csv.header("content-disposition").is_some_and(|d| d.contains("attachment")));
    assert_eq!(csv.body, cli(&["--priority", "Domestic abuse", "--by", "ward"], "csv"));
    let x = s.get("/download?priority=domestic-abuse&by=ward&format=xlsx", Some(&f.harp));
    assert_eq!(&x.body[..2], b"PK");
}

#[test]
fn an_append_is_served_without_a_restart() {
    let f = fx();
    let tmp = tempfile::tempdir().unwrap();
    // a copy of the dataset, so the other tests keep theirs
    let ds = tmp.path().join("ds");
    copy_dir(&f.dataset, &ds);
    let s = Server::start(&ds, &f.users, &[]);
    let c = s.sign_in("analyst", PASSWORD).unwrap();
    // January 2026 is in the period asked for (a row of zeros) before it is in the dataset
    let january = |s: &Server| {
        let csv = s
            .get(
                "/api/breakdown?priority=all&by=month&from=2025-06&to=2026-01&format=csv",
                Some(&c),
            )
            .text();
        csv.lines()
            .find(|l| l.starts_with("2026-01,"))
            .and_then(|l| l.split(',').nth(1).and_then(|v| v.parse::<u64>().ok()))
            .unwrap_or(0)
    };
    assert_eq!(january(&s), 0);
    let ex =
        csa_synth::generate(&csa_synth::SynthOptions { crimes: 400, asb: 0, seed: 99, year: 2026 })
            .unwrap();
    let jan = tmp.path().join("jan");
    csa_synth::write_extract(&ex, &jan, false).unwrap();
    // keep January 2026 only
    let crimes = std::fs::read_to_string(jan.join("crimes.csv")).unwrap();
    let mut lines = crimes.lines();
    let head = lines.next().unwrap().to_string();
    let date_col = head.split(',').position(|h| h == "recorded_date").unwrap();
    let kept: Vec<&str> = lines
        .filter(|l| l.split(',').nth(date_col).is_some_and(|d| d.starts_with("2026-01")))
        .collect();
    assert!(!kept.is_empty());
    std::fs::write(jan.join("crimes.csv"), format!("{head}\n{}\n", kept.join("\n"))).unwrap();
    for t in ["victims.csv", "offenders.csv"] {
        let _ = std::fs::remove_file(jan.join(t));
    }
    csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        jan.to_str().unwrap(),
        "--boundaries",
        common::data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
        "--append",
    ]);
    assert!(
        s.wait_for(120, || january(&s) > 0),
        "the appended month never appeared: {:?}",
        s.log.lock().unwrap()
    );
    // the event line reaches the test's log reader a moment after the new version serves
    assert!(
        s.wait_for(30, || s.log.lock().unwrap().iter().any(|l| l.contains("version 2 loaded"))),
        "no reload event: {:?}",
        s.log.lock().unwrap()
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn csa_user_add_remove_list_and_a_running_server_sees_changes() {
    let f = fx();
    let tmp = tempfile::tempdir().unwrap();
    let u = tmp.path().join("users.json");
    assert_eq!(add_user(&u, "lead", "partner", "City Tasking, harp", PASSWORD).0, 0);
    let (code, err) = add_user(&u, "lead", "admin", "", PASSWORD);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("exists already"));
    let (code, err) = add_user(&u, "short", "admin", "", "tiny");
    assert_eq!(code, 2);
    assert!(err.contains("at least 10"), "{err}");
    let (code, err) = add_user(&u, "x", "public", "Prevent", PASSWORD);
    assert_eq!(code, 2);
    assert!(err.contains("only partners"), "{err}");
    let (code, err) = add_user(&u, "bad name", "admin", "", PASSWORD);
    assert_eq!(code, 2, "{err}");
    let list = csa_ok(&["user", "list", "--users", u.to_str().unwrap()]);
    assert!(list.contains("lead\tpartner\tCity Tasking, Harm and Abuse Reduction"), "{list}");
    let text = std::fs::read_to_string(&u).unwrap();
    assert!(text.contains("$argon2id$") && !text.contains(PASSWORD));
    csa_ok(&["user", "remove", "--users", u.to_str().unwrap(), "--name", "lead"]);
    assert_eq!(
        csa(&["user", "remove", "--users", u.to_str().unwrap(), "--name", "lead"]).status.code(),
        Some(2)
    );
    // a server with an empty users file and no terminal says what to do
    let o = csa(&[
        "serve",
        "--dataset",
        f.dataset.to_str().unwrap(),
        "--users",
        u.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("csa user add"));
    // a user added while the server runs can sign in; a removed one's session ends
    let u2 = tmp.path().join("u2.json");
    assert_eq!(add_user(&u2, "first", "admin", "", PASSWORD).0, 0);
    let s = Server::start(&f.dataset, &u2, &[]);
    assert!(s.sign_in("second", PASSWORD).is_none());
    assert_eq!(add_user(&u2, "second", "partner", "Prevent", PASSWORD).0, 0);
    // the server reads the users file again every 2 s: wait until the admin's users page lists
    // the new user (signing in over and over would count failed tries and lock the name)
    let admin = s.sign_in("first", PASSWORD).expect("the admin signs in");
    assert!(s.wait_for(30, || {
        String::from_utf8_lossy(&s.get("/admin/users", Some(&admin)).body)
            .contains("<tr><td>second</td>")
    }));
    assert!(s.sign_in("second", PASSWORD).is_some());
    let c = s.sign_in("second", PASSWORD).unwrap();
    csa_ok(&["user", "remove", "--users", u2.to_str().unwrap(), "--name", "second"]);
    assert!(s.wait_for(30, || s.get("/", Some(&c)).status == 303));
}

#[test]
fn administrators_manage_users_in_the_browser_with_csrf_tokens() {
    let f = fx();
    let tmp = tempfile::tempdir().unwrap();
    let u = tmp.path().join("users.json");
    assert_eq!(add_user(&u, "boss", "admin", "", PASSWORD).0, 0);
    let s = Server::start(&f.dataset, &u, &[]);
    let c = s.sign_in("boss", PASSWORD).unwrap();
    let page = s.get("/admin/users", Some(&c)).text();
    let csrf = hidden(&page, "csrf").unwrap();
    let add = format!(
        "csrf={csrf}&name=newlead&role=partner&subgroups=Prevent&password={}",
        enc(PASSWORD)
    );
    assert_eq!(s.post("/admin/users", Some(&c), &add.replace(&csrf, "forged")).status, 403);
    let r = s.post("/admin/users", Some(&c), &add);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("newlead was added"));
    assert!(csa_ok(&["user", "list", "--users", u.to_str().unwrap()])
        .contains("newlead\tpartner\tPrevent"));
    let short = format!("csrf={csrf}&name=x&role=admin&password=short");
    assert_eq!(s.post("/admin/users", Some(&c), &short).status, 400);
    assert_eq!(
        s.post("/admin/users/remove", Some(&c), &format!("csrf={csrf}&name=boss")).status,
        400,
        "the last admin stays"
    );
    assert_eq!(
        s.post("/admin/users/remove", Some(&c), &format!("csrf={csrf}&name=newlead")).status,
        200
    );
    assert!(!csa_ok(&["user", "list", "--users", u.to_str().unwrap()]).contains("newlead"));
}

#[test]
fn https_with_a_certificate_sets_secure_cookies() {
    // `openssl version` (OpenSSL 3 has no --version), `curl --version`
    let have = |c: &str, arg: &str| {
        std::process::Command::new(c).arg(arg).output().is_ok_and(|o| o.status.success())
    };
    if !have("openssl", "version") || !have("curl", "--version") {
        assert!(
            std::env::var("CSA_REQUIRE_CHROMIUM").is_err(),
            "CSA_REQUIRE_CHROMIUM is set but openssl or curl is missing"
        );
        eprintln!("skipped: openssl and curl are needed to make a certificate and speak TLS");
        return;
    }
    let f = fx();
    let tmp = tempfile::tempdir().unwrap();
    let (cert, key) = (tmp.path().join("cert.pem"), tmp.path().join("key.pem"));
    let o = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = Server::start(
        &f.dataset,
        &f.users,
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
    );
    assert!(s.base.starts_with("https://"), "{}", s.base);
    let out = std::process::Command::new("curl")
        .args(["-s", "-i", "--cacert"])
        .arg(&cert)
        .arg(format!("{}/login", s.base))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    assert!(text.contains("strict-transport-security"), "{text}");
    assert!(text.contains("set-cookie: csa_login=") && text.contains("secure"), "{text}");
    // plain HTTP to the TLS port is not answered as HTTP
    assert_ne!(s.get("/healthz", None).status, 200);
}
