//! The HTTP server: routes, the guard every request passes (limits, session, security
//! headers, audit record) and the handlers. Routes are a fixed table; no request path is
//! ever turned into a file path (the stylesheet is compiled in), so `..`, encoded slashes
//! and the like find no route and get a 404.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /healthz` | anyone | 200 `ok` |
//! | `GET /static/csa.css` | anyone | the stylesheet |
//! | `GET /login`, `POST /login` | anyone | sign in (`username`, `password`, CSRF token) |
//! | `POST /logout` | signed in | sign out |
//! | `GET /` | signed in | the user's priorities |
//! | `GET /priority?...` | signed in | a view of a priority ([`crate::query`] parameters) |
//! | `GET /hotspots?...` | signed in | Gi* and density maps of a priority |
//! | `GET /quarterly` | signed in | the latest quarter's performance and exceptions |
//! | `GET /download?...&format=csv\|xlsx` | signed in | the priority page's table |
//! | `GET /api/breakdown?...&format=json\|csv` | signed in (else 401) | `csa breakdown`'s answer |
//! | `GET /admin/users`, `POST /admin/users`, `POST /admin/users/remove` | admin | users |
//! | `GET /admin/audit` | admin | the newest audit records |
//!
//! Pages without a session redirect to the sign-in page (303, `next` kept); the API answers
//! 401. Every POST needs the session's CSRF token (the sign-in form its own, double-submit)
//! and, when the browser sends an `Origin`, this server's origin.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, RawQuery, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::IncomingStream;
use axum::{Extension, Router};
use csa_analysis::views::View;
use csa_analysis::{Config, Dim};
use csa_report::table::{Protect, Table};
use tokio::net::TcpListener;

use crate::access::Principal;
use crate::audit::{Audit, Record};
use crate::auth::{random_token, same_secret, Sessions, Throttle};
use crate::error::{internal, Result, ServeError};
use crate::html;
use crate::pages;
use crate::query::{view_query, Compare, Params, ViewQuery, MAX_QUERY, VIEW_PARAMS};
use crate::shown::{shown, Shown};
use crate::state::{Dataset, Loaded, Reload};
use crate::tls::TlsListener;
use crate::users::{dummy_hash, verify_password, Role, Users};

/// How the server is started (`csa serve`).
#[derive(Debug, Clone)]
pub struct Options {
    pub dataset: PathBuf,
    pub config: Config,
    pub users: PathBuf,
    /// `HOST:PORT` (port 0: any free port).
    pub bind: String,
    /// Certificate chain and private key (PEM) for HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub audit: PathBuf,
    /// Targets of the quarterly page (default: every priority, no target).
    pub targets: Option<PathBuf>,
    /// The public pack (`csa assess --edition public`) the `public` role is shown; without
    /// one, public users get no figures.
    pub public_pack: Option<PathBuf>,
    pub session_idle: Duration,
    pub session_lifetime: Duration,
}

/// What the server reports to whoever runs it (the CLI prints these on stderr).
#[derive(Debug, Clone)]
pub enum Event {
    Listening {
        url: String,
        crimes: usize,
        users: usize,
    },
    Reloaded {
        generation: u64,
        crimes: usize,
    },
    ReloadFailed(String),
    UsersReloaded(usize),
    UsersFailed(String),
    /// A request failed on the server's side (the page said only that it failed).
    RequestFailed {
        route: String,
        detail: String,
    },
    AuditFailed(String),
}

pub type Events = Arc<dyn Fn(Event) + Send + Sync>;

/// The signed-in user of a request, if any (set by the guard).
#[derive(Debug, Clone)]
pub struct Who(pub Option<Principal>);

/// Table rows a response carried (for the audit record).
#[derive(Debug, Clone, Copy)]
struct Rows(usize);

/// Who a sign-in was for, and what a form changed (for the audit record).
#[derive(Debug, Clone, Default)]
struct AuditNote {
    user: Option<(String, Role)>,
    parameters: BTreeMap<String, String>,
}

/// The client's address.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(s: IncomingStream<'_, TcpListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(s: IncomingStream<'_, TlsListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

/// Everything the handlers share.
pub struct App {
    pub dataset: Dataset,
    users: RwLock<Users>,
    users_hash: Mutex<Option<String>>,
    pub sessions: Sessions,
    throttle: Throttle,
    audit: Audit,
    tls: bool,
    compute: tokio::sync::Semaphore,
    events: Events,
}

fn file_hash(path: &std::path::Path) -> Option<String> {
    use sha2::Digest;
    std::fs::read(path).ok().map(|b| format!("{:x}", sha2::Sha256::digest(&b)))
}

impl App {
    fn users(&self) -> std::sync::RwLockReadGuard<'_, Users> {
        self.users.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the users file again when it changed on disk (`csa user add` while serving).
    fn reload_users(&self) {
        let path = self.users().path.clone();
        let hash = file_hash(&path);
        let mut known = self.users_hash.lock().unwrap_or_else(|p| p.into_inner());
        if hash == *known {
            return;
        }
        match Users::load(&path) {
            Ok(u) => {
                let n = u.users.len();
                *self.users.write().unwrap_or_else(|p| p.into_inner()) = u;
                *known = hash;
                (self.events)(Event::UsersReloaded(n));
            }
            Err(e) => {
                *known = hash;
                (self.events)(Event::UsersFailed(e.to_string()));
            }
        }
    }

    fn session_cookie(&self) -> &'static str {
        if self.tls {
            "__Host-csa_session"
        } else {
            "csa_session"
        }
    }

    fn cookie_attrs(&self) -> &'static str {
        if self.tls {
            "; HttpOnly; SameSite=Strict; Path=/; Secure"
        } else {
            "; HttpOnly; SameSite=Strict; Path=/"
        }
    }

    /// The signed-in user of a request: a live session of a user still in the users file.
    fn principal(&self, headers: &HeaderMap) -> Option<Principal> {
        let token = cookie(headers, self.session_cookie())?;
        let s = self.sessions.get(&token)?;
        match self.users().find(&s.user) {
            Some(u) => Some(Principal::new(u, s.csrf, token)),
            None => {
                self.sessions.remove(&token);
                None
            }
        }
    }

    /// Runs CPU work (analysis, drawing, rendering) on a blocking thread, at most a few at
    /// once; a panic there is a 500 for that request only.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let _permit = self.compute.acquire().await.map_err(internal)?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ServeError::Internal(format!("the request's work failed: {e}")))?
    }

    fn footer(&self) -> String {
        match self.dataset.current() {
            Ok(l) => {
                pages::footer(&self.dataset.dir.display().to_string(), &l.loaded_at, l.generation)
            }
            Err(_) => String::new(),
        }
    }
}

/// The value of cookie `name`.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() <= 128)
}

fn set_cookie(r: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn html_response(status: u16, body: String) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), body)
        .into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    r
}

fn redirect(location: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A page's error: the message for the user, the detail of a server-side failure to the log.
fn error_page(app: &App, who: Option<&Principal>, route: &str, e: ServeError) -> Response {
    if !e.is_user_error() || e.status() == 500 {
        (app.events)(Event::RequestFailed { route: route.into(), detail: e.to_string() });
    }
    let mut r = html_response(
        e.status(),
        pages::error(who, e.status(), &e.public_message(), &app.footer()),
    );
    if let ServeError::TooMany { retry_after, .. } = e {
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

fn api_error(app: &App, route: &str, e: ServeError) -> Response {
    if e.status() == 500 {
        (app.events)(Event::RequestFailed { route: route.into(), detail: e.to_string() });
    }
    let body = serde_json::json!({"error": e.public_message(), "status": e.status()});
    let mut r = (
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        format!("{body}\n"),
    )
        .into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// Where to go after signing in: a path on this server only.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login")
                && n.len() <= 600
                && n.chars().all(|c| !c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The sign-in page's address that comes back to `path_and_query`.
fn to_login(path_and_query: &str) -> Response {
    redirect(&format!("/login?{}", html::query(&[("next", path_and_query.to_string())])))
}

fn path_and_query(path: &str, q: &Option<String>) -> String {
    match q {
        Some(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_string(),
    }
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn security_headers(h: &mut HeaderMap, tls: bool) {
    let mut set = |k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    // not no-referrer: under it browsers send `Origin: null` with this server's own forms,
    // which the origin check of every POST refuses; same-origin tells other sites nothing
    set("referrer-policy", "same-origin");
    set("cross-origin-opener-policy", "same-origin");
    set("cross-origin-resource-policy", "same-origin");
    set("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()");
    if tls {
        set("strict-transport-security", "max-age=31536000");
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Every request: limits, who is signed in, security headers, the audit record.
async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let raw = req.uri().query().unwrap_or("").to_string();
    let quiet = path.starts_with("/static/") || path == "/healthz";
    let who = if quiet { None } else { app.principal(req.headers()) };
    let mut resp = if path.len() > 256 {
        error_page(
            &app,
            who.as_ref(),
            &path,
            ServeError::BadRequest("the address is too long".into()),
        )
    } else if raw.len() > MAX_QUERY {
        error_page(
            &app,
            who.as_ref(),
            &path,
            ServeError::BadRequest(format!("the parameters are longer than {MAX_QUERY} bytes")),
        )
    } else {
        req.extensions_mut().insert(Who(who.clone()));
        next.run(req).await
    };
    security_headers(resp.headers_mut(), app.tls);
    if quiet {
        return resp;
    }
    let note = resp.extensions().get::<AuditNote>().cloned().unwrap_or_default();
    let mut parameters = crate::audit::parameters(
        form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
    );
    parameters.extend(note.parameters);
    let (user, role) = match (&who, note.user) {
        (_, Some((u, r))) => (Some(u), Some(r.name().to_string())),
        (Some(p), None) => (Some(p.name.clone()), Some(p.role.name().to_string())),
        (None, None) => (None, None),
    };
    let record = Record {
        time: crate::audit::now(),
        user,
        role,
        address: peer.0.ip().to_string(),
        method: method.to_string(),
        route: path.chars().take(256).collect(),
        parameters,
        rows: resp.extensions().get::<Rows>().map(|r| r.0),
        status: resp.status().as_u16(),
        ms: (start.elapsed().as_secs_f64() * 1e4).round() / 10.0,
    };
    if let Err(e) = app.audit.write(&record) {
        // what cannot be recorded is not answered
        (app.events)(Event::AuditFailed(e.to_string()));
        let mut r = html_response(503, "the audit log cannot be written; the administrator must fix it before the server answers again\n".into());
        security_headers(r.headers_mut(), app.tls);
        return r;
    }
    resp
}

async fn healthz() -> Response {
    let mut r = "ok\n".into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn css() -> Response {
    let mut r = html::CSS.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    r
}

const LOGIN_COOKIE: &str = "csa_login";

fn login_page(app: &App, status: u16, next: &str, error: Option<&str>) -> Result<Response> {
    let csrf = random_token()?;
    let mut r = html_response(status, pages::login(&csrf, next, error, ""));
    let secure = if app.tls { "; Secure" } else { "" };
    set_cookie(
        &mut r,
        format!(
            "{LOGIN_COOKIE}={csrf}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=3600{secure}"
        ),
    );
    Ok(r)
}

async fn login_form(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    RawQuery(raw): RawQuery,
) -> Response {
    if who.0.is_some() {
        return redirect("/");
    }
    let next = Params::parse(raw.unwrap_or_default().as_bytes())
        .ok()
        .and_then(|p| p.get("next").ok().flatten().map(str::to_string));
    login_page(&app, 200, &safe_next(next.as_deref()), None)
        .unwrap_or_else(|e| error_page(&app, None, "/login", e))
}

/// Refuses a POST whose body is not a form or that comes from another origin.
fn check_post(headers: &HeaderMap) -> Result<()> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(ServeError::BadRequest(
            "send the form as application/x-www-form-urlencoded".into(),
        ));
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        let same =
            origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
        if !same {
            return Err(ServeError::Forbidden("the form was sent from another site".into()));
        }
    }
    Ok(())
}

async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut note = AuditNote::default();
    let mut r = match login_inner(&app, peer, &headers, &body, &mut note).await {
        Ok(r) => r,
        Err(ServeError::Unauthorized(msg)) => {
            let next = Params::parse(&body)
                .ok()
                .and_then(|p| p.get("next").ok().flatten().map(str::to_string));
            login_page(&app, 401, &safe_next(next.as_deref()), Some(&msg))
                .unwrap_or_else(|e| error_page(&app, None, "/login", e))
        }
        Err(e) => error_page(&app, None, "/login", e),
    };
    r.extensions_mut().insert(note);
    r
}

async fn login_inner(
    app: &Arc<App>,
    peer: Peer,
    headers: &HeaderMap,
    body: &[u8],
    note: &mut AuditNote,
) -> Result<Response> {
    check_post(headers)?;
    let p = Params::parse(body)?;
    p.only(&["csrf", "username", "password", "next"])?;
    let username = p.get("username")?.unwrap_or("").to_string();
    note.parameters.insert("username".into(), username.chars().take(64).collect());
    let form_token = p.get("csrf")?.unwrap_or("");
    let cookie_token = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if cookie_token.is_empty() || !same_secret(form_token, &cookie_token) {
        return Err(ServeError::Forbidden(
            "the sign-in form has expired or did not come from this server; open the sign-in page again".into(),
        ));
    }
    let password =
        p.pairs.iter().find(|(k, _)| k == "password").map(|(_, v)| v.clone()).unwrap_or_default();
    let ip = peer.0.ip();
    if let Err(wait) = app.throttle.check(&username, ip) {
        return Err(ServeError::TooMany {
            message: format!(
                "too many failed sign-ins for this user or from this address; try again in {} minutes",
                wait.div_ceil(60)
            ),
            retry_after: wait,
        });
    }
    let user = app.users().find(&username).cloned();
    let hash = user.as_ref().map_or_else(|| dummy_hash().to_string(), |u| u.hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(internal)?;
    let Some(user) = user.filter(|_| ok) else {
        app.throttle.fail(&username, ip);
        return Err(ServeError::Unauthorized("The user name or the password is not right.".into()));
    };
    app.throttle.succeed(&user.name);
    let (token, _) = app.sessions.create(&user.name)?;
    note.user = Some((user.name.clone(), user.role));
    let next = safe_next(p.get("next")?);
    let mut r = redirect(&next);
    set_cookie(&mut r, format!("{}={token}{}", app.session_cookie(), app.cookie_attrs()));
    let secure = if app.tls { "; Secure" } else { "" };
    set_cookie(
        &mut r,
        format!("{LOGIN_COOKIE}=; HttpOnly; SameSite=Strict; Path=/login; Max-Age=0{secure}"),
    );
    Ok(r)
}

/// The CSRF token of a signed-in form must be the session's.
fn check_csrf(who: &Principal, p: &Params) -> Result<()> {
    let sent = p.get("csrf")?.unwrap_or("");
    if same_secret(sent, &who.csrf) {
        Ok(())
    } else {
        Err(ServeError::Forbidden(
            "the form has expired or did not come from this server; open the page again".into(),
        ))
    }
}

async fn logout(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = who.0 else { return redirect("/login") };
    let run = || -> Result<()> {
        check_post(&headers)?;
        check_csrf(&p, &Params::parse(&body)?)
    };
    if let Err(e) = run() {
        return error_page(&app, Some(&p), "/logout", e);
    }
    app.sessions.remove(&p.token);
    let mut r = redirect("/login");
    set_cookie(&mut r, format!("{}=; Max-Age=0{}", app.session_cookie(), app.cookie_attrs()));
    r
}

/// The signed-in user of a page, or the sign-in redirect (a response, returned as is: its
/// size does not matter on this path).
#[allow(clippy::result_large_err)]
fn page_user(who: Who, path: &str, q: &Option<String>) -> std::result::Result<Principal, Response> {
    who.0.ok_or_else(|| to_login(&path_and_query(path, q)))
}

fn with_rows(mut r: Response, rows: usize) -> Response {
    r.extensions_mut().insert(Rows(rows));
    r
}

/// A page rendered off the async threads: `Ok((html, rows))`.
async fn render(
    app: Arc<App>,
    who: Principal,
    route: &'static str,
    f: impl FnOnce(&Loaded, &Principal, &str) -> Result<(String, Option<usize>)> + Send + 'static,
) -> Response {
    let footer = app.footer();
    let w = who.clone();
    let app2 = app.clone();
    let res = app
        .blocking(move || {
            let l = app2.dataset.current()?;
            f(&l, &w, &footer)
        })
        .await;
    match res {
        Ok((body, rows)) => {
            let r = html_response(200, body);
            match rows {
                Some(n) => with_rows(r, n),
                None => r,
            }
        }
        Err(e) => error_page(&app, Some(&who), route, e),
    }
}

async fn home(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Response {
    let who = match page_user(who, "/", &None) {
        Ok(w) => w,
        Err(r) => return r,
    };
    render(app, who, "/", |l, who, footer| {
        let vq = ViewQuery {
            priority: csa_analysis::Priority::all(),
            view: View::Volume,
            dims: vec![],
            period: None,
            compare: Compare::Previous,
            top: l.config.top_n,
        };
        let vol = shown(l, who, &vq)?;
        let mut cards = Vec::new();
        for p in who.priorities(&l.config) {
            let Some(i) = vol.table.find(csa_analysis::names::PRIORITY, &p.name) else { continue };
            let mq = ViewQuery {
                priority: p.clone(),
                view: View::Counts,
                dims: vec![Dim::Month],
                ..vq.clone()
            };
            let months = shown(l, who, &mq)?;
            let t = &months.table;
            let trend = (0..t.rows.len())
                .filter(|&r| !t.get(r, csa_analysis::names::MONTH).text().starts_with('('))
                .map(|r| t.get(r, csa_analysis::names::COUNT).as_i64().map(|v| v.max(0) as u64))
                .collect();
            cards.push(pages::Card {
                count: vol.table.get(i, csa_analysis::names::COUNT).clone(),
                comparison: vol.table.get(i, csa_analysis::names::COMPARISON).clone(),
                change_pct: vol.table.get(i, csa_analysis::names::CHANGE_PCT).clone(),
                months: trend,
                priority: p,
            });
        }
        let (cur, cmp) = vol
            .periods
            .map(|p| (p.current.to_string(), p.comparison.to_string()))
            .unwrap_or_default();
        let n = cards.len();
        Ok((pages::home(who, &cur, &cmp, &cards, footer), Some(n)))
    })
    .await
}

/// The query of a view page, checked for the user.
fn checked_query(
    l: &Loaded,
    who: &Principal,
    raw: &str,
    extra: &[&str],
) -> Result<(ViewQuery, Params)> {
    let p = Params::parse(raw.as_bytes())?;
    let known: Vec<&str> = VIEW_PARAMS.iter().chain(extra).copied().collect();
    p.only(&known)?;
    let q = view_query(&p, &l.config)?;
    who.check(&q)?;
    Ok((q, p))
}

/// The chart and ward map of a priority page (cached per role kind and query).
fn priority_figures(
    l: &Loaded,
    who: &Principal,
    q: &ViewQuery,
    s: &Shown,
) -> Result<pages::Figures> {
    let kind = if who.exact() { "exact" } else { "public" };
    let periods = s.periods;
    let (cur, prev) =
        periods.map(|p| (p.current.to_string(), p.comparison.to_string())).unwrap_or_default();
    let mut notes = Vec::new();
    let chart = match q.view {
        View::Counts => {
            let d = q.dims.first().copied().unwrap_or(Dim::Month);
            let cq = ViewQuery { dims: vec![d], ..q.clone() };
            let key = format!("{kind}|chart|{}", cq.key());
            Some(l.svg(&key, || {
                let cs = shown(l, who, &cq)?;
                if d == Dim::Month {
                    let title = format!("{} per month, {cur} against {prev}", q.priority.name);
                    crate::figures::trend(&cs.table, &title, &cur, &prev)
                } else {
                    let title =
                        format!("{} by {}, {cur}", q.priority.name, d.name().replace('_', " "));
                    Ok(crate::figures::bars(
                        &cs.table,
                        &pages::dim_keys(d),
                        csa_analysis::names::COUNT,
                        &title,
                    )?
                    .unwrap_or_default())
                }
            })?)
        }
        View::DayHour => Some(l.svg(&format!("{kind}|heat|{}", q.key()), || {
            crate::figures::heat(&s.table, &s.title)
        })?),
        View::TopLocations | View::Volume => {
            let key_col = if q.view == View::Volume {
                csa_analysis::names::PRIORITY
            } else {
                csa_analysis::names::LOCATION
            };
            let who_key = if who.sees_everything() {
                kind.to_string()
            } else {
                format!("{kind}:{}", who.name)
            };
            Some(l.svg(&format!("{who_key}|bars|{}", q.key()), || {
                Ok(crate::figures::bars(
                    &s.table,
                    &[key_col],
                    pages::chart_value(q.view),
                    &s.title,
                )?
                .unwrap_or_default())
            })?)
        }
        _ => None,
    };
    let map = match (&l.area, q.view) {
        (Some(area), View::Counts) => {
            let wq = ViewQuery { dims: vec![Dim::Ward], ..q.clone() };
            let key = format!("{kind}|map|{}", wq.key());
            Some(l.svg(&key, || {
                let ws = shown(l, who, &wq)?;
                let title = format!("{}: rate per 1,000 by ward", q.priority.name);
                crate::figures::ward_map(
                    &ws.table,
                    &area.wards,
                    &title,
                    &cur,
                    "Per 1,000 (quintiles)",
                )
            })?)
        }
        (None, View::Counts) => {
            notes.push("no ward map: neither the configuration nor the dataset names a boundaries file that can be read".into());
            None
        }
        _ => None,
    };
    let text =
        |s: Option<std::sync::Arc<String>>| s.map(|s| (*s).clone()).filter(|s| !s.is_empty());
    Ok(pages::Figures { chart: text(chart), map: text(map), notes })
}

/// The dataset's month range, for the form's month inputs.
fn month_range(l: &Loaded) -> (String, String) {
    (
        l.info.months.first().map(|m| m.to_string()).unwrap_or_default(),
        l.info.months.last().map(|m| m.to_string()).unwrap_or_default(),
    )
}

async fn priority(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = match page_user(who, "/priority", &raw) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let raw = raw.unwrap_or_default();
    render(app, who, "/priority", move |l, who, footer| {
        let (q, _) = checked_query(l, who, &raw, &[])?;
        let s = shown(l, who, &q)?;
        let figures = priority_figures(l, who, &q, &s)?;
        let default = l.periods(None, Compare::Previous)?;
        let current =
            format!("{}, compared with {}", default.current, pages::compare_text(q.compare));
        let (first, last) = month_range(l);
        let rows = s.df.height();
        Ok((pages::priority(who, &q, &s, &figures, &current, (&first, &last), footer), Some(rows)))
    })
    .await
}

async fn hotspots_page(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = match page_user(who, "/hotspots", &raw) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let raw = raw.unwrap_or_default();
    render(app, who, "/hotspots", move |l, who, footer| {
        let (q, _) = checked_query(l, who, &raw, &[])?;
        if !who.exact() {
            return Err(ServeError::Forbidden(
                "hot spot maps computed here are not part of the public edition: the public pack has its own maps".into(),
            ));
        }
        let periods = l.periods(q.period, q.compare)?;
        let maps = l.hotspot_maps(&q.priority, periods)?;
        Ok((pages::hotspots(who, &q, &periods.current.to_string(), &maps, footer), None))
    })
    .await
}

async fn quarterly(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Response {
    let who = match page_user(who, "/quarterly", &None) {
        Ok(w) => w,
        Err(r) => return r,
    };
    render(app, who, "/quarterly", |l, who, footer| {
        if !who.exact() {
            return Err(ServeError::Forbidden(
                "the quarterly performance table is not part of the public edition (its quarters could be differenced against the published year)".into(),
            ));
        }
        let perf = l.performance()?;
        let mine: Vec<String> = who.priorities(&l.config).into_iter().map(|p| p.name).collect();
        let visible = |name: &str| who.sees_everything() || mine.iter().any(|m| m == name);
        let df = perf.table()?;
        let col = df
            .column(csa_analysis::names::INDICATOR)
            .map_err(internal)?
            .str()
            .map_err(internal)?
            .clone();
        let mask: polars::prelude::BooleanChunked =
            col.iter().map(|v| Some(v.is_some_and(visible))).collect();
        let df = df.filter(&mask).map_err(internal)?;
        let q = perf.quarter;
        let title =
            format!("Quarterly performance, {q} ({} to {})", q.period().from, q.period().to);
        let t = Table::from_df("performance", &title, &df, Protect::Primary)?;
        let mut exceptions = Vec::new();
        let mut withheld = 0;
        for r in perf.exceptions().into_iter().filter(|r| visible(&r.indicator)) {
            let hidden = t
                .find(csa_analysis::names::INDICATOR, &r.indicator)
                .is_some_and(|i| t.rows[i].iter().any(|c| c.is_hidden()));
            if hidden {
                withheld += 1;
            } else {
                exceptions.push(r.sentence.clone());
            }
        }
        // the [[reoffending]] indicators, as `csa quarterly` reports them beside the table
        let shown: Vec<_> = l
            .reoffending()?
            .iter()
            .filter(|r| {
                l.targets
                    .reoffending
                    .iter()
                    .find(|i| i.name == r.indicator)
                    .is_some_and(|i| who.may_see_reoffending(&i.priority))
            })
            .cloned()
            .collect();
        exceptions.extend(shown.iter().filter(|r| r.exception).map(|r| r.sentence.clone()));
        let reoffending = if shown.is_empty() {
            None
        } else {
            let df = csa_analysis::reoffending_indicator::table(&shown)?;
            Some(Table::from_df(
                "reoffending",
                &format!("Proven re-offending indicators, {q}"),
                &df,
                Protect::Primary,
            )?)
        };
        let rows = t.rows.len() + shown.len();
        let page =
            pages::quarterly(who, &title, &t, reoffending.as_ref(), &exceptions, withheld, footer);
        Ok((page, Some(rows)))
    })
    .await
}

/// A file name for a download of `q`.
fn file_name(q: &ViewQuery, ext: &str) -> String {
    let mut parts =
        vec![csa_analysis::config::slug(&q.priority.name, '-'), q.view.name().to_string()];
    parts.extend(q.dims.iter().map(|d| d.name().replace('_', "-")));
    if let Some(p) = q.period {
        parts.push(format!("{}-to-{}", p.from, p.to));
    }
    format!("{}.{ext}", parts.join("_"))
}

enum Format {
    Csv,
    Json,
    Xlsx,
}

fn bytes_response(
    bytes: Vec<u8>,
    content_type: &'static str,
    attachment: Option<String>,
) -> Response {
    let mut r = Body::from(bytes).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(name) = attachment {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

/// A table as a file: (bytes, rows, content type, file name).
async fn table_file(
    app: &Arc<App>,
    who: Principal,
    raw: String,
    allowed: &'static [&'static str],
    default: &'static str,
) -> Result<(Vec<u8>, usize, &'static str, String)> {
    let app2 = app.clone();
    app.blocking(move || {
        let l = app2.dataset.current()?;
        let (q, p) = checked_query(&l, &who, &raw, &["format"])?;
        let f = p.get("format")?.unwrap_or(default);
        let format = match f {
            "csv" if allowed.contains(&"csv") => Format::Csv,
            "json" if allowed.contains(&"json") => Format::Json,
            "xlsx" if allowed.contains(&"xlsx") => Format::Xlsx,
            other => {
                return Err(ServeError::BadRequest(format!(
                    "format {other:?}: this address gives {}",
                    allowed.join(" or ")
                )))
            }
        };
        let s = shown(&l, &who, &q)?;
        let rows = s.df.height();
        Ok(match format {
            Format::Csv => (s.csv()?, rows, "text/csv; charset=utf-8", file_name(&q, "csv")),
            Format::Json => (s.json()?, rows, "application/json", file_name(&q, "json")),
            Format::Xlsx => (
                s.xlsx()?,
                rows,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_name(&q, "xlsx"),
            ),
        })
    })
    .await
}

async fn download(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    RawQuery(raw): RawQuery,
) -> Response {
    let who = match page_user(who, "/download", &raw) {
        Ok(w) => w,
        Err(r) => return r,
    };
    match table_file(&app, who.clone(), raw.unwrap_or_default(), &["csv", "xlsx"], "csv").await {
        Ok((bytes, rows, ct, name)) => with_rows(bytes_response(bytes, ct, Some(name)), rows),
        Err(e) => error_page(&app, Some(&who), "/download", e),
    }
}

async fn api_breakdown(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(who) = who.0 else {
        return api_error(
            &app,
            "/api/breakdown",
            ServeError::Unauthorized(
                "sign in first (POST /login), then send the session cookie".into(),
            ),
        );
    };
    match table_file(&app, who, raw.unwrap_or_default(), &["json", "csv"], "json").await {
        Ok((bytes, rows, ct, _)) => with_rows(bytes_response(bytes, ct, None), rows),
        Err(e) => api_error(&app, "/api/breakdown", e),
    }
}

async fn users_page(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Response {
    let who = match page_user(who, "/admin/users", &None) {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Err(e) = who.require_admin() {
        return error_page(&app, Some(&who), "/admin/users", e);
    }
    let list = app.users().users.clone();
    let n = list.len();
    with_rows(html_response(200, pages::users(&who, &list, None, &app.footer())), n)
}

/// Adds or removes a user (administrators), writing the users file.
async fn users_change(
    app: Arc<App>,
    who: Who,
    headers: HeaderMap,
    body: Bytes,
    remove: bool,
) -> Response {
    let route = if remove { "/admin/users/remove" } else { "/admin/users" };
    let Some(who) = who.0 else { return redirect("/login") };
    let mut note = AuditNote::default();
    let app2 = app.clone();
    let who2 = who.clone();
    let res: Result<String> = async {
        who.require_admin()?;
        check_post(&headers)?;
        let p = Params::parse(&body)?;
        if remove {
            p.only(&["csrf", "name"])?;
        } else {
            p.only(&["csrf", "name", "role", "subgroups", "password"])?;
        }
        check_csrf(&who, &p)?;
        let name = p.get("name")?.unwrap_or("").to_string();
        note.parameters.insert("name".into(), name.chars().take(64).collect());
        let role = p.get("role")?.map(str::to_string);
        let subgroups: Vec<String> = p.list("subgroups").into_iter().map(str::to_string).collect();
        let password = p.pairs.iter().find(|(k, _)| k == "password").map(|(_, v)| v.clone());
        if let Some(r) = &role {
            note.parameters.insert("role".into(), r.clone());
        }
        let app3 = app2.clone();
        app2.blocking(move || {
            let app2 = app3;
            let mut users = app2.users().clone();
            let msg = if remove {
                let target = users.find(&name).cloned();
                if target.as_ref().is_some_and(|u| u.role == Role::Admin)
                    && users.users.iter().filter(|u| u.role == Role::Admin).count() == 1
                {
                    return Err(ServeError::BadRequest(
                        "the last administrator cannot be removed".into(),
                    ));
                }
                users.remove(&name)?;
                format!("{name} was removed; their sessions have ended")
            } else {
                let role = Role::parse(role.as_deref().unwrap_or(""))?;
                users.add(&name, role, &subgroups, password.as_deref().unwrap_or(""))?;
                format!("{name} was added as {}", role.name())
            };
            users.save()?;
            let hash = file_hash(&users.path);
            *app2.users.write().unwrap_or_else(|p| p.into_inner()) = users;
            *app2.users_hash.lock().unwrap_or_else(|p| p.into_inner()) = hash;
            if remove {
                app2.sessions.remove_user(&name);
            }
            Ok(msg)
        })
        .await
    }
    .await;
    let list = app.users().users.clone();
    let mut r = match res {
        Ok(msg) => with_rows(
            html_response(200, pages::users(&who2, &list, Some(&msg), &app.footer())),
            list.len(),
        ),
        Err(e) if e.status() == 400 => html_response(
            400,
            pages::users(
                &who2,
                &list,
                Some(&format!("Not done: {}", e.public_message())),
                &app.footer(),
            ),
        ),
        Err(e) => error_page(&app, Some(&who2), route, e),
    };
    r.extensions_mut().insert(note);
    r
}

async fn users_add(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    users_change(app, who, headers, body, false).await
}

async fn users_remove(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    users_change(app, who, headers, body, true).await
}

async fn audit_page(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Response {
    let who = match page_user(who, "/admin/audit", &None) {
        Ok(w) => w,
        Err(r) => return r,
    };
    if let Err(e) = who.require_admin() {
        return error_page(&app, Some(&who), "/admin/audit", e);
    }
    match app.audit.tail(200) {
        Ok(records) => {
            let n = records.len();
            with_rows(html_response(200, pages::audit(&who, &records, &app.footer())), n)
        }
        Err(e) => error_page(&app, Some(&who), "/admin/audit", e),
    }
}

async fn not_found(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    method: Method,
) -> Response {
    let who = who.0;
    let msg = if method == Method::GET || method == Method::HEAD {
        "There is no page at this address."
    } else {
        "This address takes no such request."
    };
    error_page(&app, who.as_ref(), "", ServeError::NotFound(msg.into()))
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/csa.css", get(css))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/", get(home))
        .route("/priority", get(priority))
        .route("/hotspots", get(hotspots_page))
        .route("/quarterly", get(quarterly))
        .route("/download", get(download))
        .route("/api/breakdown", get(api_breakdown))
        .route("/admin/users", get(users_page).post(users_add))
        .route("/admin/users/remove", post(users_remove))
        .route("/admin/audit", get(audit_page))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

enum Bound {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// A server that has loaded its dataset and bound its address.
pub struct Server {
    app: Arc<App>,
    listener: Bound,
    addr: SocketAddr,
}

impl Server {
    /// Loads the dataset, the users and the certificates, opens the audit log and binds.
    pub async fn bind(o: Options, events: Events) -> Result<Server> {
        let users = Users::load(&o.users)?;
        if users.users.is_empty() {
            return Err(ServeError::File {
                path: o.users.clone(),
                detail: "no users: add one with `csa user add --users FILE --name NAME --role admin` (or start `csa serve` on a terminal to create the first administrator)".into(),
            });
        }
        let audit = Audit::open(&o.audit)?;
        let tls_config = match &o.tls {
            Some((cert, key)) => Some(crate::tls::config(cert, key)?),
            None => None,
        };
        let (dir, config, targets) = (o.dataset.clone(), o.config.clone(), o.targets.clone());
        let public_pack = o.public_pack.clone();
        let dataset = tokio::task::spawn_blocking(move || {
            Dataset::open(&dir, config, targets, public_pack.as_deref())
        })
        .await
        .map_err(internal)??;
        let tcp = TcpListener::bind(&o.bind)
            .await
            .map_err(|e| ServeError::BadRequest(format!("cannot listen on {}: {e}", o.bind)))?;
        let addr = tcp.local_addr().map_err(internal)?;
        let listener = match tls_config {
            Some(c) => Bound::Tls(TlsListener::new(tcp, c)),
            None => Bound::Plain(tcp),
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let app = Arc::new(App {
            dataset,
            users_hash: Mutex::new(file_hash(&o.users)),
            users: RwLock::new(users),
            sessions: Sessions::new(o.session_idle, o.session_lifetime),
            throttle: Throttle::default(),
            audit,
            tls: o.tls.is_some(),
            compute: tokio::sync::Semaphore::new(4 * cores),
            events,
        });
        Ok(Server { app, listener, addr })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT` or `https://...`.
    pub fn url(&self) -> String {
        let scheme = if self.app.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Serves until `shutdown` completes; checks every 2 seconds whether the dataset or the
    /// users file changed, and drops expired sessions.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let app = self.app.clone();
        let crimes = app.dataset.current().map(|l| l.data.crimes.len).unwrap_or(0);
        (app.events)(Event::Listening { url: self.url(), crimes, users: app.users().users.len() });
        let watcher = app.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let w = watcher.clone();
                let r = tokio::task::spawn_blocking(move || {
                    w.reload_users();
                    w.sessions.sweep();
                    w.dataset.reload_if_changed()
                })
                .await;
                match r {
                    Ok(Reload::Loaded { generation, crimes }) => {
                        (watcher.events)(Event::Reloaded { generation, crimes })
                    }
                    Ok(Reload::Failed(m)) => (watcher.events)(Event::ReloadFailed(m)),
                    _ => {}
                }
            }
        });
        let router = router(app);
        match self.listener {
            Bound::Plain(l) => axum::serve(l, router.into_make_service_with_connect_info::<Peer>())
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(internal),
            Bound::Tls(l) => axum::serve(l, router.into_make_service_with_connect_info::<Peer>())
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(internal),
        }
    }
}
