//! The pages: sign-in, home (the user's priorities with count, change and a small trend),
//! the priority page (period, comparison, up to four dimensions; table with totals, chart,
//! ward map; the other views as tabs; downloads), hot spot maps, the quarterly table and
//! its exceptions, and for administrators the users and the audit log. Each takes what it
//! shows and returns HTML; access was decided before (see [`crate::access`]).

use std::fmt::Write;

use csa_analysis::views::View;
use csa_analysis::{names, Dim, Priority};
use csa_report::table::{Cell, Table};

use crate::access::Principal;
use crate::audit::Record;
use crate::html::{esc, href, notes, page, select, sparkline, table, Nav};
use crate::query::{Compare, ViewQuery};
use crate::shown::Shown;
use crate::users::{Role, User};

/// The footer line: which dataset version the figures come from.
pub fn footer(dataset: &str, loaded_at: &str, generation: u64) -> String {
    format!(
        "Figures from the dataset {} (version {generation}, loaded {}). csa: crime strategic assessments for Community Safety Partnerships.",
        esc(dataset),
        esc(loaded_at)
    )
}

/// The sign-in page.
pub fn login(csrf: &str, next: &str, error: Option<&str>, footer: &str) -> String {
    let mut m = String::from("<h1>Sign in</h1>\n");
    if let Some(e) = error {
        m.push_str(&crate::html::error_box(e));
    }
    let _ = write!(
        m,
        "<form method=\"post\" action=\"/login\" class=\"login\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n<input type=\"hidden\" name=\"next\" value=\"{}\">\n\
         <div class=\"field\"><label for=\"username\">User name</label>\
         <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\" required maxlength=\"64\" autofocus></div>\n\
         <div class=\"field\"><label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"1024\"></div>\n\
         <p><button type=\"submit\">Sign in</button></p>\n</form>\n\
         <p class=\"note\">Accounts are created by your administrator (<code>csa user add</code>). \
         Every page you open is recorded in the audit log.</p>",
        esc(csrf),
        esc(next)
    );
    page("Sign in", None, Nav::None, footer, &m)
}

/// A page that says what went wrong (4xx and 5xx).
pub fn error(who: Option<&Principal>, status: u16, msg: &str, footer: &str) -> String {
    let title = match status {
        400 => "The request could not be read",
        403 => "Not available to you",
        404 => "Page not found",
        429 => "Too many attempts",
        503 => "The data is not available",
        _ => "Something went wrong",
    };
    let m = format!(
        "<h1>{title}</h1>\n{}\n<p><a href=\"/\">Back to my priorities</a></p>",
        crate::html::error_box(msg)
    );
    page(title, who, Nav::None, footer, &m)
}

fn fmt_cell(c: &Cell) -> String {
    esc(&c.display())
}

/// One card of the home page.
pub struct Card {
    pub priority: Priority,
    pub count: Cell,
    pub comparison: Cell,
    pub change_pct: Cell,
    /// Monthly counts of the current period (`None` = suppressed).
    pub months: Vec<Option<u64>>,
}

/// The home page: the user's priorities.
pub fn home(
    who: &Principal,
    period: &str,
    comparison: &str,
    cards: &[Card],
    footer: &str,
) -> String {
    let mut m = String::from("<h1>My priorities</h1>\n");
    let groups: Vec<&str> = who.subgroups.iter().map(|g| g.name()).collect();
    let _ = writeln!(
        m,
        "<p>{} in {}, compared with {}.{}</p>",
        if groups.is_empty() {
            "Every priority".to_string()
        } else {
            format!("The priorities of {}", esc(&groups.join(", ")))
        },
        esc(period),
        esc(comparison),
        if who.exact() { "" } else { " Published figures: counts of 1 to 4 show as &lt;5." }
    );
    if who.sees_everything() {
        let _ = writeln!(
            m,
            "<p><a href=\"{}\">All crime and ASB</a> · <a href=\"{}\">Every priority's volume, change, rate and harm</a></p>",
            href("/priority", &[("priority", "all".into())]),
            href("/priority", &[("priority", "all".into()), ("view", "volume".into())])
        );
    }
    m.push_str("<ul class=\"cards\">\n");
    for c in cards {
        let change = match c.change_pct.as_f64() {
            Some(p) if p > 0.0 => format!("<span class=\"up\">up {p:.1}%</span>"),
            Some(p) if p < 0.0 => format!("<span class=\"down\">down {:.1}%</span>", -p),
            Some(_) => "no change".into(),
            None => "change not shown".into(),
        };
        let slug = csa_analysis::config::slug(&c.priority.name, '-');
        let trend_label = format!(
            "monthly counts of {}: {}",
            c.priority.name,
            c.months
                .iter()
                .map(|v| v.map_or("suppressed".to_string(), |v| v.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(
            m,
            "<li><h2><a href=\"{}\">{}</a></h2><p class=\"big\">{}</p><p>{} on {} ({})</p>{}</li>",
            href("/priority", &[("priority", slug)]),
            esc(&c.priority.name),
            fmt_cell(&c.count),
            change,
            esc(comparison),
            fmt_cell(&c.comparison),
            sparkline(&c.months, &trend_label)
        );
    }
    m.push_str("</ul>\n");
    if cards.is_empty() {
        m.push_str("<p>No priority is assigned to your sub-groups. Ask an administrator.</p>");
    }
    page("My priorities", Some(who), Nav::Home, footer, &m)
}

/// The tabs of the priority page: each view, and the hot spot maps.
fn tabs(q: &ViewQuery, who: &Principal, hotspots: bool) -> String {
    let mut h = String::from("<nav aria-label=\"Views\"><ul class=\"tabs\">");
    let base = |v: View| ViewQuery { view: v, dims: vec![], ..q.clone() };
    for v in View::ALL {
        if v == View::Volume || (v == View::Prolific && !who.exact()) {
            continue;
        }
        let mut vq = base(v);
        if v == View::Counts {
            vq.dims = q.dims.clone();
        }
        let cur = if !hotspots && q.view == v { " aria-current=\"page\"" } else { "" };
        let _ = write!(
            h,
            "<li><a href=\"{}\"{cur}>{}</a></li>",
            href("/priority", &vq.params()),
            view_label(v)
        );
    }
    let cur = if hotspots { " aria-current=\"page\"" } else { "" };
    let _ = writeln!(
        h,
        "<li><a href=\"{}\"{cur}>Hot spots and density</a></li></ul></nav>",
        href("/hotspots", &base(View::Counts).params())
    );
    h
}

pub fn view_label(v: View) -> &'static str {
    match v {
        View::Counts => "Breakdown",
        View::Volume => "Volume of every priority",
        View::RepeatVictims => "Repeat victims",
        View::RepeatOffenders => "Repeat offenders",
        View::Prolific => "Prolific offenders",
        View::TopLocations => "Top locations",
        View::DayHour => "Day and hour",
        View::EqualitiesVictims => "Equalities: victims",
        View::EqualitiesOffenders => "Equalities: offenders",
    }
}

/// The form that picks the period, comparison, dimensions (breakdowns) and list length.
fn query_form(q: &ViewQuery, who: &Principal, current: &str, months: (&str, &str)) -> String {
    let mut h = String::from("<form class=\"query\" method=\"get\" action=\"/priority\">\n");
    let _ = write!(
        h,
        "<input type=\"hidden\" name=\"priority\" value=\"{}\">",
        esc(&csa_analysis::config::slug(&q.priority.name, '-'))
    );
    if q.view != View::Counts {
        let _ = write!(h, "<input type=\"hidden\" name=\"view\" value=\"{}\">", q.view.name());
    }
    let (from, to) =
        q.period.map_or((String::new(), String::new()), |p| (p.from.to_string(), p.to.to_string()));
    let _ = writeln!(
        h,
        "<div class=\"field\"><label for=\"from\">From (month)</label><input id=\"from\" name=\"from\" type=\"month\" value=\"{}\" min=\"{}\" max=\"{}\" placeholder=\"YYYY-MM\" aria-describedby=\"period-hint\"></div>\
         <div class=\"field\"><label for=\"to\">To (month)</label><input id=\"to\" name=\"to\" type=\"month\" value=\"{}\" min=\"{}\" max=\"{}\" placeholder=\"YYYY-MM\" aria-describedby=\"period-hint\"></div>",
        esc(&from), esc(months.0), esc(months.1), esc(&to), esc(months.0), esc(months.1)
    );
    h.push_str(&select(
        "compare",
        "compare",
        "Compared with",
        &[
            ("previous".into(), "the months just before".into()),
            ("year".into(), "the same months a year earlier".into()),
        ],
        q.compare.name(),
    ));
    if q.view == View::Counts {
        let max = if who.exact() {
            csa_analysis::breakdown::MAX_DIMS
        } else {
            crate::public::MAX_PUBLIC_DIMS
        };
        let mut options = vec![(String::new(), "(none)".to_string())];
        options.extend(Dim::ALL.iter().map(|d| (d.name().to_string(), d.name().replace('_', " "))));
        for i in 0..max {
            let cur = q.dims.get(i).map_or("", |d| d.name());
            h.push_str(&select(
                &format!("by{}", i + 1),
                "by",
                &format!("Dimension {}", i + 1),
                &options,
                cur,
            ));
        }
    }
    if matches!(q.view, View::TopLocations | View::Prolific) {
        let _ = write!(
            h,
            "<div class=\"field\"><label for=\"top\">How many</label><input id=\"top\" name=\"top\" type=\"number\" min=\"1\" max=\"100\" value=\"{}\"></div>",
            q.top
        );
    }
    let _ = write!(
        h,
        "<p><button type=\"submit\">Show</button></p>\n</form>\n<p class=\"note\" id=\"period-hint\">Leave the months empty for {} (the default period). One month alone gives the 12 months from or to it.</p>\n",
        esc(current)
    );
    h
}

/// The about list of a shown table (what it counts, periods, totals).
fn about(s: &Shown) -> String {
    let mut h = String::from("<dl class=\"about\">");
    for (k, v) in s.about() {
        if k == "note" || k == "table" {
            continue;
        }
        let v = match v.parse::<f64>() {
            Ok(n) if k.contains("total") => csa_charts::charts::fmt_count(n),
            _ => v,
        };
        let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", esc(&k), esc(&v));
    }
    h.push_str("</dl>\n");
    h
}

/// Links to the downloads and the API of exactly this table.
fn downloads(q: &ViewQuery) -> String {
    let p = q.params();
    let with = |f: &str| {
        let mut v = p.clone();
        v.push(("format", f.to_string()));
        v
    };
    format!(
        "<p class=\"downloads\">Download this table: <a href=\"{}\">CSV</a> <a href=\"{}\">Excel (XLSX)</a> <a href=\"{}\">JSON (API)</a></p>\n",
        href("/download", &with("csv")),
        href("/download", &with("xlsx")),
        href("/api/breakdown", &with("json"))
    )
}

/// The figures of a priority page.
pub struct Figures {
    pub chart: Option<String>,
    pub map: Option<String>,
    pub notes: Vec<String>,
}

/// The priority page.
#[allow(clippy::too_many_arguments)]
pub fn priority(
    who: &Principal,
    q: &ViewQuery,
    s: &Shown,
    figures: &Figures,
    current: &str,
    months: (&str, &str),
    footer: &str,
) -> String {
    let name = &q.priority.name;
    let mut m = format!("<h1>{}</h1>\n", esc(name));
    let groups: Vec<&str> = q.priority.subgroups.iter().map(|g| g.name()).collect();
    let _ = writeln!(
        m,
        "<p>Sub-groups: {}.{}</p>",
        esc(&groups.join(", ")),
        q.priority.description.as_deref().map(|d| format!(" {}", esc(d))).unwrap_or_default()
    );
    m.push_str(&tabs(q, who, false));
    m.push_str(&query_form(q, who, current, months));
    let _ = writeln!(m, "<h2>{}</h2>", esc(&s.title));
    m.push_str(&about(s));
    m.push_str(&downloads(q));
    if let Some(c) = &figures.chart {
        let _ = writeln!(
            m,
            "<figure class=\"figure\" aria-label=\"Chart of the table below\">{c}</figure>"
        );
    }
    m.push_str(&table(&s.table, &s.title));
    m.push_str(&notes(&s.notes));
    if let Some(map) = &figures.map {
        let _ = write!(m, "<h2>Ward map</h2>\n<figure class=\"figure\" aria-label=\"Map of the rate per 1,000 by ward\">{map}</figure>\n");
    }
    m.push_str(&notes(&figures.notes));
    page(name, Some(who), Nav::Priority, footer, &m)
}

/// The hot spot page of a priority.
pub fn hotspots(
    who: &Principal,
    q: &ViewQuery,
    period: &str,
    maps: &crate::state::HotspotMaps,
    footer: &str,
) -> String {
    let name = &q.priority.name;
    let mut m = format!("<h1>{}: hot spots and density</h1>\n", esc(name));
    m.push_str(&tabs(q, who, true));
    let _ = writeln!(
        m,
        "<p>{}: Getis-Ord Gi* hot and cold spots (grid cells, false discovery rate controlled) and kernel density, with the annual assessment's settings.</p>",
        esc(period)
    );
    if let Some(gi) = &maps.gi_svg {
        let _ = write!(m, "<h2>Gi* hot spots</h2>\n<figure class=\"figure\" aria-label=\"Map of Gi* hot and cold spots\">{gi}</figure>\n");
    }
    if let Some(k) = &maps.kde_svg {
        let _ = write!(m, "<h2>Kernel density</h2>\n<figure class=\"figure\" aria-label=\"Map of kernel density\">{k}</figure>\n");
    }
    m.push_str(&notes(&maps.notes));
    page(&format!("{name}: hot spots"), Some(who), Nav::Priority, footer, &m)
}

/// The quarterly page.
pub fn quarterly(
    who: &Principal,
    title: &str,
    t: &Table,
    reoffending: Option<&Table>,
    exceptions: &[String],
    withheld: usize,
    footer: &str,
) -> String {
    let mut m = format!("<h1>{}</h1>\n", esc(title));
    m.push_str("<h2>Exceptions</h2>\n");
    if exceptions.is_empty() {
        m.push_str("<p>No exceptions this quarter.</p>\n");
    } else {
        m.push_str("<ol>");
        for e in exceptions {
            let _ = write!(m, "<li>{}</li>", esc(e));
        }
        m.push_str("</ol>\n");
    }
    if withheld > 0 {
        let _ = writeln!(
            m,
            "<p class=\"note\">{withheld} exception(s) about small counts are not published.</p>"
        );
    }
    m.push_str(&table(t, title));
    if let Some(r) = reoffending {
        m.push_str("<h2>Proven re-offending</h2>\n<p>Each indicator's rate is of the latest cohort whose follow-up and waiting period the quarter completes, against the cohort a year earlier (Fisher's exact test).</p>\n");
        m.push_str(&table(r, &r.title));
    }
    page(title, Some(who), Nav::Quarterly, footer, &m)
}

/// The users page (administrators).
pub fn users(who: &Principal, list: &[User], message: Option<&str>, footer: &str) -> String {
    let mut m = String::from("<h1>Users</h1>\n");
    if let Some(msg) = message {
        let _ = write!(m, "<div class=\"notice\" role=\"status\"><p>{}</p></div>", esc(msg));
    }
    m.push_str("<div class=\"scroll\"><table><caption>Who may sign in</caption><thead><tr><th scope=\"col\">name</th><th scope=\"col\">role</th><th scope=\"col\">sub-groups</th><th scope=\"col\">added</th><th scope=\"col\">remove</th></tr></thead><tbody>");
    for u in list {
        let _ = write!(
            m,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><form method=\"post\" action=\"/admin/users/remove\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"name\" value=\"{}\"><button type=\"submit\" class=\"secondary\" aria-label=\"Remove {}\">Remove</button></form></td></tr>",
            esc(&u.name),
            u.role.name(),
            esc(&if u.subgroups.is_empty() { "(all)".to_string() } else { u.subgroups.join(", ") }),
            esc(&u.created),
            esc(&who.csrf),
            esc(&u.name),
            esc(&u.name)
        );
    }
    m.push_str("</tbody></table></div>\n<h2>Add a user</h2>\n");
    let roles: Vec<(String, String)> =
        Role::ALL.iter().map(|r| (r.name().to_string(), r.name().to_string())).collect();
    let _ = writeln!(
        m,
        "<form class=\"query\" method=\"post\" action=\"/admin/users\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <div class=\"field\"><label for=\"name\">User name</label><input id=\"name\" name=\"name\" required maxlength=\"64\"></div>{}\
         <div class=\"field\"><label for=\"subgroups\">Sub-groups (partners; comma-separated, empty = all)</label><input id=\"subgroups\" name=\"subgroups\" maxlength=\"200\"></div>\
         <div class=\"field\"><label for=\"password\">Password (10 characters or more)</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required minlength=\"10\" maxlength=\"1024\"></div>\
         <p><button type=\"submit\">Add</button></p></form>",
        esc(&who.csrf),
        select("role", "role", "Role", &roles, "partner")
    );
    page("Users", Some(who), Nav::Users, footer, &m)
}

/// The audit log page (administrators): the newest records.
pub fn audit(who: &Principal, records: &[Record], footer: &str) -> String {
    let mut m = format!(
        "<h1>Audit log</h1>\n<p>The newest {} requests, newest first.</p>\n",
        records.len()
    );
    m.push_str("<div class=\"scroll\"><table><caption>Requests</caption><thead><tr>");
    for c in
        ["time", "user", "role", "address", "method", "route", "parameters", "rows", "status", "ms"]
    {
        let _ = write!(m, "<th scope=\"col\">{c}</th>");
    }
    m.push_str("</tr></thead><tbody>");
    for r in records {
        let params: Vec<String> = r.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(
            m,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td></tr>",
            esc(&r.time),
            esc(r.user.as_deref().unwrap_or("-")),
            esc(r.role.as_deref().unwrap_or("-")),
            esc(&r.address),
            esc(&r.method),
            esc(&r.route),
            esc(&params.join(" ")),
            r.rows.map_or("-".into(), |n| n.to_string()),
            r.status,
            r.ms
        );
    }
    m.push_str("</tbody></table></div>");
    page("Audit log", Some(who), Nav::Audit, footer, &m)
}

/// The text of the current comparison choice, for the form hint.
pub fn compare_text(c: Compare) -> &'static str {
    match c {
        Compare::Previous => "the months just before",
        Compare::YearBefore => "the same months a year earlier",
    }
}

/// Labels of a breakdown's first dimension, for its chart.
pub fn dim_keys(d: Dim) -> Vec<&'static str> {
    match d {
        Dim::Ward => vec!["ward_name"],
        Dim::Lsoa => vec!["lsoa_name"],
        d => d.output_columns(),
    }
}

/// The value column a chart of `view` draws.
pub fn chart_value(v: View) -> &'static str {
    match v {
        View::EqualitiesVictims | View::EqualitiesOffenders => names::PEOPLE,
        _ => names::COUNT,
    }
}
