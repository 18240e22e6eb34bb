//! `csa serve` in a real browser: headless Chromium driven through WebDriver (chromedriver)
//! by fantoccini. Signs in, opens a priority, changes the dimensions with the form, downloads
//! the CSV and compares it with `csa breakdown`'s; a public user's pages and downloads hold
//! no count of 1 to 4; a wrong password, a forged or expired session, another sub-group's
//! priority and path traversal are refused; pages are keyboard- and label-complete and log
//! nothing to the console (a content security policy violation would). Screenshots go to
//! `target/tmp/serve/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/run` installs them);
//! skipped with a message without them unless CSA_REQUIRE_CHROMIUM=1. Nothing is downloaded.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::serve::{public_pack, small_counts_in_csv, synth_dataset, users, Server, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn on_path(names: &[&str]) -> Option<PathBuf> {
    names.iter().find_map(|b| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths).map(|d| d.join(b)).find(|p| p.is_file())
        })
    })
}

/// Chromium and chromedriver, or `None` (skip) when either is missing.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let found =
        on_path(&["chromium", "chromium-browser", "google-chrome"]).zip(on_path(&["chromedriver"]));
    if found.is_none() {
        assert!(
            std::env::var("CSA_REQUIRE_CHROMIUM").is_err(),
            "CSA_REQUIRE_CHROMIUM is set but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: chromium and chromedriver are needed (Debian packages chromium, chromium-driver; .ci/run installs them)");
    }
    found
}

/// A chromedriver on a free port, with Chromium's own log (console messages) in `log`.
struct Driver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    fn start(driver: &Path, dir: &Path) -> Driver {
        let port = free_port();
        let log = dir.join(format!("chromedriver-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg("--enable-chrome-logs")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url, log }
    }

    /// Console messages Chromium logged so far (`INFO:CONSOLE`, failed loads, CSP reports).
    fn console(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.contains(":CONSOLE")
                    || l.contains("Content Security Policy")
                    || l.contains("Failed to load resource")
            })
            .map(str::to_string)
            .collect()
    }
}

async fn client(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1600", "--enable-logging=stderr", "--v=1",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

fn shots() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve");
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.len() > 10_000 && &png[..4] == b"\x89PNG", "{name}");
    let p = shots().join(format!("{name}.png"));
    std::fs::write(&p, png).unwrap();
    eprintln!("screenshot: {}", p.display());
}

async fn sign_in(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Css("#username")).await.unwrap().send_keys(user).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(password).await.unwrap();
    // a slow argon2 check on a busy machine must not be read as a refusal
    click_to_new_page(
        c,
        Locator::Css("form.login button[type=submit]"),
        &format!("signing in as {user}"),
    )
    .await;
}

/// Marks this document, clicks `target`, then waits until another document has loaded:
/// WebDriver's click returns before a navigation it starts has committed, so reading the URL
/// or the page straight after it can still see the old page on a busy machine.
async fn click_to_new_page(c: &Client, target: Locator<'_>, what: &str) {
    c.execute("window.csaBefore = true; return null;", vec![]).await.unwrap();
    c.find(target).await.unwrap().click().await.unwrap();
    for _ in 0..300 {
        let v = c
            .execute(
                "return window.csaBefore !== true && document.readyState === 'complete';",
                vec![],
            )
            .await;
        if v.ok().and_then(|v| v.as_bool()) == Some(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what}: no page came back within 30 s");
}

async fn text(c: &Client) -> String {
    c.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

/// Every form control has a label, every table a caption, nothing is focusable only by mouse.
async fn accessible(c: &Client) -> serde_json::Value {
    c.execute(
        r##"
        const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !e.labels || e.labels.length === 0).map(e => e.name || e.id);
        const uncaptioned = [...document.querySelectorAll('table')].filter(t => !t.caption).length;
        const header = getComputedStyle(document.querySelector('header')).backgroundColor;
        return {unlabelled, uncaptioned, header, skip: !!document.querySelector('a.skip[href="#main"]')};
        "##,
        vec![],
    )
    .await
    .unwrap()
}

/// The CSV behind the page's "CSV" download link, fetched with the browser's session.
async fn download_csv(c: &Client) -> (String, Vec<u8>) {
    let link = c.find(Locator::Css(".downloads a:first-of-type")).await.unwrap();
    let href = link.prop("href").await.unwrap().unwrap();
    let here = c.current_url().await.unwrap().to_string();
    let mut req = c.raw_request();
    req.url(&href).cookie_url(&here);
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "{href}");
    let body =
        http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes().to_vec();
    (href, body)
}

struct World {
    _tmp: tempfile::TempDir,
    dataset: PathBuf,
    users: PathBuf,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let dataset = synth_dataset(tmp.path(), 4000);
    let users = users(tmp.path());
    World { _tmp: tmp, dataset, users }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_signs_in_breaks_a_priority_down_and_downloads_what_the_command_line_gives() {
    let Some((chromium, chromedriver)) = browser() else { return };
    let w = world();
    let server = Server::start(&w.dataset, &w.users, &[]);
    let base = server.base.clone();
    let tmp = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, tmp.path());
    let c = client(&driver, &chromium, &tmp.path().join("profile")).await;

    // a wrong password is refused on the page
    sign_in(&c, &base, "harp", "not the password at all").await;
    let t = text(&c).await;
    assert!(t.contains("not right"), "{t}");
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    // sign in: the home page lists the user's priorities
    sign_in(&c, &base, "harp", PASSWORD).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/");
    let home = text(&c).await;
    assert!(
        home.contains("My priorities")
            && home.contains("Domestic abuse")
            && !home.contains("Shoplifting"),
        "{home}"
    );
    shot(&c, "home").await;
    // open a priority
    click_to_new_page(&c, Locator::LinkText("Domestic abuse"), "opening a priority").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/priority");
    let a = accessible(&c).await;
    assert_eq!(a["unlabelled"], json!([]), "{a}");
    assert_eq!(a["uncaptioned"], 0);
    assert_eq!(a["skip"], true);
    assert_eq!(
        a["header"], "rgb(11, 37, 69)",
        "the stylesheet loads under the content security policy"
    );
    shot(&c, "priority").await;
    // change the dimensions with the form
    c.find(Locator::Css("#by1")).await.unwrap().select_by_value("victim_age_band").await.unwrap();
    c.find(Locator::Css("#by2")).await.unwrap().select_by_value("ward").await.unwrap();
    c.find(Locator::Css("#from")).await.unwrap().clear().await.unwrap();
    click_to_new_page(&c, Locator::Css("form.query button[type=submit]"), "the query form").await;
    let url = c.current_url().await.unwrap();
    assert!(url.query().unwrap_or_default().contains("by=victim_age_band&by=ward"), "{url}");
    let heads = c
        .execute(
            "return [...document.querySelectorAll('main table th')].map(t => t.textContent)",
            vec![],
        )
        .await
        .unwrap();
    let heads: Vec<String> = serde_json::from_value(heads).unwrap();
    assert!(
        heads.starts_with(&[
            "victim_age_band".to_string(),
            "ward_code".into(),
            "ward_name".into(),
            "count".into()
        ]),
        "{heads:?}"
    );
    shot(&c, "priority-by-age-and-ward").await;
    // the download is the command line's CSV, byte for byte
    let (href, csv) = download_csv(&c).await;
    assert!(href.contains("format=csv"), "{href}");
    let cli = common::csa_ok(&[
        "breakdown",
        "--dataset",
        w.dataset.to_str().unwrap(),
        "--priority",
        "Domestic abuse",
        "--by",
        "victim_age_band,ward",
        "--format",
        "csv",
    ]);
    assert!(csv == cli.as_bytes(), "download:\n{}\ncli:\n{cli}", String::from_utf8_lossy(&csv));
    // the other views and the hot spot maps open from the tabs
    for tab in ["Repeat victims", "Day and hour", "Equalities: victims", "Hot spots and density"] {
        click_to_new_page(&c, Locator::LinkText(tab), tab).await;
        let t = text(&c).await;
        assert!(!t.contains("Something went wrong") && !t.contains("could not"), "{tab}: {t}");
    }
    shot(&c, "hotspots").await;
    // another sub-group's priority, by URL: refused
    c.goto(&format!("{base}/priority?priority=shoplifting")).await.unwrap();
    let t = text(&c).await;
    assert!(t.contains("Not available to you") && t.contains("Harm and Abuse Reduction"), "{t}");
    // path traversal finds nothing
    for p in [
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/../../etc/passwd",
    ] {
        c.goto(&format!("{base}{p}")).await.unwrap();
        let t = text(&c).await;
        assert!(t.contains("Page not found") && !t.contains("root:"), "{p}: {t}");
    }
    // a forged session is no session
    c.goto(&format!("{base}/")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
    // (set by the page's script: chromedriver refuses a cookie with a domain for an IP host)
    let forged =
        format!("document.cookie = 'csa_session={}; path=/; SameSite=Strict'", "f".repeat(64));
    c.execute(&forged, vec![]).await.unwrap();
    let cookies = c.execute("return document.cookie", vec![]).await.unwrap();
    assert!(cookies.as_str().unwrap_or_default().contains("csa_session=fff"), "{cookies}");
    c.goto(&format!("{base}/priority?priority=domestic-abuse")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    // signing out ends the session
    sign_in(&c, &base, "harp", PASSWORD).await;
    click_to_new_page(&c, Locator::Css("form.signout button"), "signing out").await;
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    let console = driver.console();
    assert!(console.is_empty(), "console messages: {console:?}");
    // the console check sees a page that logs an error
    c.goto("data:text/html,<script>console.error('broken page')</script>").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        driver.console().iter().any(|l| l.contains("broken page")),
        "the console check is blind"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_user_sees_no_count_of_1_to_4_and_an_idle_session_expires() {
    let Some((chromium, chromedriver)) = browser() else { return };
    let w = world();
    let pack = public_pack(w._tmp.path(), &w.dataset);
    let server = Server::start(
        &w.dataset,
        &w.users,
        &["--session-idle", "6s", "--public-pack", pack.to_str().unwrap()],
    );
    let base = server.base.clone();
    let tmp = tempfile::tempdir().unwrap();
    let driver = Driver::start(&chromedriver, tmp.path());
    let c = client(&driver, &chromium, &tmp.path().join("profile")).await;
    sign_in(&c, &base, "board", PASSWORD).await;
    let check = r#"
        const bad = [];
        for (const t of document.querySelectorAll('main table')) {
            const heads = [...t.querySelectorAll('thead th')].map(h => h.textContent);
            const m = heads.indexOf('measure');
            for (const tr of t.querySelectorAll('tbody tr')) {
                const cells = [...tr.children].map(td => td.textContent.trim());
                cells.forEach((v, j) => {
                    const h = heads[j] || '';
                    const count = /^(count|comparison|people|crimes|known|unknown|points|time_unknown|same_quarter_last_year|previous_quarter|rolling_12|rolling_12_before|year_to_date|year_to_date_last_year|baseline|h[0-9][0-9])$/.test(h)
                        || (h === 'value' && m >= 0 && !cells[m].includes('%'));
                    if (count && /^[1-4]$/.test(v)) bad.push(h + '=' + v);
                });
            }
        }
        for (const b of document.querySelectorAll('.big')) if (/^[1-4]$/.test(b.textContent.trim())) bad.push('card=' + b.textContent);
        return bad;
    "#;
    // the public pack's tables (anything else is refused, see tests/serve.rs)
    let pages = [
        "/",
        "/priority?priority=hate-crime&by=ward",
        "/priority?priority=robbery&by=month",
        "/priority?priority=residential-burglary&view=top-locations",
        "/priority?priority=night-time-economy-violence&view=day-hour",
        "/priority?priority=sexual-offences&by=location_type",
    ];
    for p in pages {
        c.goto(&format!("{base}{p}")).await.unwrap();
        let bad = c.execute(check, vec![]).await.unwrap();
        assert_eq!(bad, json!([]), "{p}");
        if p.starts_with("/priority") {
            let (_, csv) = download_csv(&c).await;
            let small = small_counts_in_csv(&String::from_utf8_lossy(&csv));
            assert!(small.is_empty(), "{p} download: {small:?}");
        }
    }
    c.goto(&format!("{base}/priority?priority=hate-crime&by=ward")).await.unwrap();
    let t = text(&c).await;
    assert!(t.contains("<5") && t.contains("published figures"), "{t}");
    shot(&c, "public-priority").await;
    // the prolific offenders are not for the public
    c.goto(&format!("{base}/priority?priority=robbery&view=prolific")).await.unwrap();
    assert!(text(&c).await.contains("not part of the public edition"));
    // idle for longer than --session-idle: back to the sign-in page
    tokio::time::sleep(Duration::from_secs(8)).await;
    c.goto(&format!("{base}/quarterly")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    let console = driver.console();
    assert!(console.is_empty(), "console messages: {console:?}");
    c.close().await.unwrap();
}

/// The README's screenshot of the priority page, on the demo dataset (the shipped synthetic
/// Coventry extracts, ingested as `csa assess --config data/demo/assessment.toml` does):
/// Domestic abuse by victim age band and ward, signed in as a Harm and Abuse Reduction
/// partner. Regenerate with
/// `cargo test --test serve_browser readme_screenshot -- --ignored`
/// (writes `data/demo/screenshots/serve-priority.png`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "regenerates the README's screenshot"]
async fn readme_screenshot() {
    let Some((chromium, chromedriver)) = browser() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let ds = tmp.path().join("dataset");
    common::csa_ok(&[
        "--quiet",
        "ingest",
        "--extract",
        common::data("data/demo/coventry-extract-2024").to_str().unwrap(),
        "--extract",
        common::data("data/demo/coventry-extract").to_str().unwrap(),
        "--boundaries",
        common::data("data/boundaries/coventry-wards-2025.geojson").to_str().unwrap(),
        "--out",
        ds.to_str().unwrap(),
    ]);
    let users = users(tmp.path());
    let config = common::data("data/demo/assessment.toml");
    let server = Server::start(&ds, &users, &["--config", config.to_str().unwrap()]);
    let driver = Driver::start(&chromedriver, tmp.path());
    let c = client(&driver, &chromium, &tmp.path().join("profile")).await;
    sign_in(&c, &server.base, "harp", PASSWORD).await;
    c.goto(&format!("{}/priority?priority=domestic-abuse&by=victim_age_band&by=ward", server.base))
        .await
        .unwrap();
    let t = text(&c).await;
    assert!(t.contains("Domestic abuse") && t.contains("victim_age_band"), "{t}");
    let png = c.screenshot().await.unwrap();
    let out = common::data("data/demo/screenshots/serve-priority.png");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, png).unwrap();
    eprintln!("wrote {}", out.display());
    c.close().await.unwrap();
}
