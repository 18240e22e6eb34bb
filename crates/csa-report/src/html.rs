//! `report.html`: the assessment as one self-contained page. CSS is inline, every chart is
//! inline SVG, and nothing is requested from anywhere (no scripts, fonts, images or links
//! out), so it opens offline and archives as one file. Print CSS lays it out on A4 with each
//! priority on a new page.
//!
//! Every figure comes from the edition's tables: the public report shows exactly what the
//! public tables show. Count cells carry `class="n c"` (a count), other numbers `class="n"`.

use std::fmt::Write;

use csa_analysis::names;
use serde_json::Value;

use crate::build::Built;
use crate::edition::{Edition, PackOptions};
use crate::figures::Figure;
use crate::ids::{self, col, figure, Kind, Who};
use crate::part::PriorityPart;
use crate::table::{table, Cell, Role, Table};
use crate::write::EditionTables;

/// The share of a priority's located crimes in hot cells, when every hot cell's count is
/// published (else it would give a hidden one back).
fn hot_share(part: &PriorityPart, tables: &[Table]) -> Option<f64> {
    let t = tables.iter().find(|t| t.name == part.id(Kind::HotspotCells))?;
    (0..t.rows.len()).all(|i| !t.get(i, names::COUNT).is_hidden()).then_some(part.hot_share_pct?)
}

/// The table of `kind` of a part, when the part has one (an error when it says it has one
/// and the pack has not).
fn part_table<'a>(
    tables: &'a [Table],
    part: &PriorityPart,
    kind: Kind,
) -> csa_analysis::Result<Option<&'a Table>> {
    if part.has(kind) {
        table(tables, &part.id(kind)).map(Some)
    } else {
        Ok(None)
    }
}

pub(crate) const CSS: &str = r#"
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #222; max-width: 1040px; margin: 0 auto; padding: 0 16px 40px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 26px; margin: 24px 0 4px; }
h2 { font-size: 21px; border-bottom: 2px solid #0072b2; padding-bottom: 4px; margin-top: 36px; }
h3 { font-size: 17px; margin: 22px 0 6px; }
h4 { font-size: 15px; margin: 16px 0 4px; }
.meta { color: #555; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-weight: bold; font-size: 12px; }
.restricted { background: #d55e00; color: #fff; }
.public { background: #009e73; color: #fff; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 10px; margin: 12px 0; }
.figure-card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 10px; }
.figure-card .v { font-size: 22px; font-weight: bold; }
.figure-card .l { color: #555; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 12.5px; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 4px 0; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 6px; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #999; }
figure { margin: 10px 0 16px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 12px; }
.note { background: #f7f7f7; border-left: 4px solid #999; padding: 6px 10px; margin: 8px 0; }
.more { color: #555; font-size: 12px; }
nav ol { columns: 2; }
section.priority, section.wards { break-before: page; }
table, figure, .figure-card { break-inside: avoid; }
@media print { body { max-width: none; font-size: 11px; } nav { display: none; } }
"#;

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

fn heading(s: &str) -> String {
    let s = s.replace('_', " ");
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

/// A table as HTML, at most `max_rows` rows (the rest said to be in the CSV).
pub(crate) fn table_html(h: &mut String, t: &Table, max_rows: usize, skip: &[&str]) {
    let cols: Vec<usize> =
        (0..t.columns.len()).filter(|&j| !skip.contains(&t.columns[j].as_str())).collect();
    let _ = write!(
        h,
        "<table id=\"t-{}\"><caption>{}</caption><thead><tr>",
        esc(&t.name),
        esc(&t.title)
    );
    for &j in &cols {
        let _ = write!(h, "<th>{}</th>", esc(&heading(&t.columns[j])));
    }
    h.push_str("</tr></thead><tbody>");
    for r in t.rows.iter().take(max_rows) {
        let total = matches!(&r[0], Cell::Text(s) if s == col::TOTAL_ROW || s == col::ALL_DAYS_ROW);
        h.push_str(if total { "<tr class=\"total\">" } else { "<tr>" });
        for &j in &cols {
            let c = &r[j];
            let count = matches!(t.roles[j], Role::Count | Role::Small);
            let numeric = matches!(c, Cell::Int(_) | Cell::Float(_) | Cell::Hidden(_));
            let class = match (numeric, count) {
                (true, true) => " class=\"n c\"",
                (true, false) => " class=\"n\"",
                _ => "",
            };
            let _ = write!(h, "<td{class}>{}</td>", esc(&c.display()));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
    if t.rows.len() > max_rows {
        let _ = write!(
            h,
            "<p class=\"more\">First {max_rows} of {} rows; all in tables/{}.csv.</p>",
            t.rows.len(),
            esc(&t.name)
        );
    }
}

pub(crate) fn figure_html(h: &mut String, figures: &[Figure], name: &str) {
    if let Some(f) = figures.iter().find(|f| f.name == name) {
        let _ = write!(
            h,
            "<figure>{}<figcaption>{} (charts/{}.png, .svg)</figcaption></figure>",
            f.svg,
            esc(&f.title),
            esc(&f.name)
        );
    }
}

pub(crate) fn note(h: &mut String, text: &str) {
    let _ = write!(h, "<p class=\"note\">{}</p>", esc(text));
}

fn card(h: &mut String, value: &str, label: &str) {
    let _ = write!(
        h,
        "<div class=\"figure-card\"><div class=\"v\">{}</div><div class=\"l\">{}</div></div>",
        esc(value),
        esc(label)
    );
}

fn pct(c: &Cell) -> String {
    match c {
        Cell::Float(v) if v.abs() < 0.05 => "0.0%".into(),
        Cell::Float(v) => format!("{v:+.1}%"),
        Cell::Int(v) => format!("{v:+}%"),
        Cell::Hidden(_) => c.text(),
        _ => "no comparison".into(),
    }
}

pub fn report(
    b: &Built,
    o: &PackOptions,
    ed: &EditionTables,
    figures: &[Figure],
    summary: &Value,
) -> csa_analysis::Result<String> {
    let a = &b.assessment;
    let tables = &ed.tables[..];
    let title = a
        .config
        .name
        .clone()
        .unwrap_or_else(|| "Community Safety Partnership strategic assessment".into());
    let p = &a.periods;
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(&title)
    );
    let badge = match o.edition {
        Edition::Restricted => {
            "<span class=\"badge restricted\">RESTRICTED: for partners, not for publication</span>"
        }
        Edition::Public => {
            "<span class=\"badge public\">PUBLIC edition: small numbers suppressed</span>"
        }
    };
    let _ = write!(
        h,
        "<header><h1>{}</h1><p class=\"meta\">Assessment period {} (compared with {}) &middot; {} wards &middot; {badge}</p><p class=\"meta\">Generated at {} by csa {}</p></header>",
        esc(&title),
        p.current,
        p.comparison,
        a.area.wards.len(),
        esc(&o.generated_at),
        env!("CARGO_PKG_VERSION")
    );
    let mut sections: Vec<(String, String)> = vec![
        ("summary".into(), "Executive summary".into()),
        ("overview".into(), "Crime overview".into()),
        ("ranking".into(), "Ranked priorities".into()),
        ("trends".into(), "Trends and forecasts".into()),
    ];
    for part in b.parts.iter().filter(|p| !p.is_all()) {
        sections.push((format!("p-{}", part.slug), part.priority.name.clone()));
    }
    sections.extend([
        ("reoffending".to_string(), "Reducing Re-offending".to_string()),
        ("peers".to_string(), "Peer comparison".to_string()),
        ("review".to_string(), "Recommendations and review".to_string()),
        ("serious-violence".to_string(), "Serious violence".to_string()),
        ("wards".to_string(), "Ward profiles".to_string()),
        ("equalities".into(), "Equalities".into()),
        ("survey".into(), "Public survey".into()),
        ("quality".into(), "Data quality".into()),
        ("method".into(), "Methodology and parameters".into()),
    ]);
    h.push_str("<nav><h2>Contents</h2><ol>");
    for (id, name) in &sections {
        let _ = write!(h, "<li><a href=\"#{}\">{}</a></li>", esc(id), esc(name));
    }
    h.push_str("</ol></nav>");

    executive_summary(&mut h, b, o, tables, summary)?;
    // overview
    let all = b.parts.iter().find(|p| p.is_all());
    h.push_str("<section id=\"overview\"><h2>Crime overview</h2>");
    figure_html(&mut h, figures, figure::ALL_TREND);
    if let Some(all) = all {
        if let Some(t) = part_table(tables, all, Kind::Months)? {
            table_html(&mut h, t, 24, &[]);
        }
    }
    figure_html(&mut h, figures, figure::CRIME_TYPES);
    table_html(&mut h, table(tables, ids::CRIME_TYPES)?, 20, &[]);
    figure_html(&mut h, figures, figure::PRIORITY_VOLUMES);
    table_html(
        &mut h,
        table(tables, ids::PRIORITY_VOLUMES)?,
        100,
        &[
            names::SUBGROUPS,
            names::DENOMINATOR,
            names::HARM_COVERAGE_PCT,
            names::HARM_ESTIMATED_PCT,
        ],
    );
    figure_html(&mut h, figures, figure::WARD_RATES);
    if let Some(all) = all {
        if let Some(t) = part_table(tables, all, Kind::Wards)? {
            table_html(&mut h, t, 200, &[]);
        }
    }
    h.push_str("</section>");
    // ranking
    h.push_str("<section id=\"ranking\"><h2>Ranked priorities</h2>");
    let w = &a.config.ranking;
    let _ = write!(
        h,
        "<p>Each priority is scored on five factors, each scaled 1 (lowest among the priorities) to 5 (highest): <b>volume</b> (records per 1,000 residents for every priority, so that one denominator compares them; a priority counted per household, such as residential burglary, shows that rate beside it; the record counts when the residents are not known), <b>trend</b> (the strength of evidence for a change, not the raw % change: the end of the 95% interval of the latest 12 months' change against the months before, season for season, nearest zero, and 0 when the interval spans zero, so +66.7% on 5 crimes counts as no change; see Trends and forecasts), <b>harm</b> (the sum of the ONS Crime Severity Score weights of its crimes; the same order as ONS's per-head score, since every priority has the same residents), <b>concentration</b> (mean of the share of its crimes suffered by repeat victims and the share in Gi* hotspot cells) and <b>public concern</b> (share of survey respondents choosing it). The total is the weighted mean of the factors a priority has (weights: volume {}, trend {}, harm {}, concentration {}, concern {}); a missing factor drops out rather than counting as zero. The reason column names the factors that lift each priority most.</p>",
        w.volume, w.trend, w.harm, w.concentration, w.concern
    );
    table_html(&mut h, table(tables, ids::PRIORITY_RANKING)?, 100, &[names::SUBGROUPS]);
    h.push_str("</section>");
    trends_section(&mut h, b, tables, figures);
    for part in b.parts.iter().filter(|p| !p.is_all()) {
        priority_section(&mut h, b, part, ed, figures, o.edition)?;
    }
    reoffending_section(&mut h, b, tables);
    crate::peers::html(&mut h, b, tables, figures);
    crate::review::html(&mut h, b, tables);
    h.push_str("<section id=\"serious-violence\"><h2>Serious violence</h2>");
    crate::serious_violence::body(&mut h, &b.serious_violence, tables);
    let _ = write!(
        h,
        "<p>The same section as a needs assessment on its own: <a href=\"{0}\">{0}</a>.</p></section>",
        crate::ids::serious_violence::REPORT_FILE
    );
    ward_profiles(&mut h, b, tables)?;
    // equalities
    h.push_str("<section id=\"equalities\"><h2>Equalities</h2>");
    if a.data.info.has_people() {
        h.push_str("<p>Each group's share of the people (victims, offenders; each person counted once, with their latest record) against its share of the area's residents (ages in the configured age bands, the residents banded the same way). A ratio above 1 means the group is over-represented; the 95% interval (Katz log method; exact bounds when a group has none or all of the people) shows how sure that is, and the finding says when it lies wholly above or below 1. All priorities are in the tables.</p>");
        for who in Who::BOTH {
            if !crate::build::has_side(a, who.side()) {
                let w = who.name();
                note(&mut h, &format!("The data has no {w} (its extracts had no {w} file), so there are no equalities figures for {w}."));
                continue;
            }
            {
                let t = table(tables, &ids::equalities(who))?;
                let mut all = t.clone();
                all.rows.retain(|r| r[0].text() == csa_analysis::config::ALL);
                all.title = format!("{} (all crime)", t.title);
                table_html(&mut h, &all, 60, &[names::PRIORITY]);
            }
        }
        ward_equalities(&mut h, b, tables);
    } else {
        note(&mut h, "The data has no victims or offenders (police.uk data carries none), so there is no equalities analysis. A force extract with victims and offenders gives it.");
    }
    h.push_str("</section>");
    // survey
    h.push_str("<section id=\"survey\"><h2>Public survey</h2>");
    match &b.survey {
        Some((s, _)) => {
            let _ = write!(
                h,
                "<p>{} respondents ({} rows read, {} rejected). Shares are of the respondents who answered each question, with 95% Wilson intervals; blanks are left out of each question's base and answers outside the listed options count as \"Other\".</p>",
                s.responses.len(),
                s.rows_read,
                s.rejected.len()
            );
            for t in tables.iter().filter(|t| t.name.starts_with(ids::SURVEY_PREFIX)) {
                let max = if t.name.ends_with("_by_area") { 40 } else { 30 };
                table_html(&mut h, t, max, &[]);
            }
        }
        None => note(&mut h, "No survey is configured (`[assessment] survey`), so public concern is not scored in the ranking."),
    }
    h.push_str("</section>");
    // data quality
    h.push_str("<section id=\"quality\"><h2>Data quality</h2>");
    let balanced = b.assessment.data.info.manifest.reconciliation.balanced;
    let _ = write!(
        h,
        "<p>Every input row is either accepted or quarantined with a reason; per file, rows read = accepted + quarantined ({}).</p>",
        if balanced { "balanced for every file" } else { "NOT balanced: see the dataset manifest" }
    );
    for n in [ids::DATA_QUALITY_INPUTS, ids::DATA_QUALITY_QUARANTINE] {
        table_html(&mut h, table(tables, n)?, 200, &[col::SHA256]);
    }
    for n in &b.notes {
        note(&mut h, n);
    }
    h.push_str("</section>");
    methodology(&mut h, b, o, tables, summary);
    h.push_str("</body></html>\n");
    Ok(h)
}

fn executive_summary(
    h: &mut String,
    b: &Built,
    o: &PackOptions,
    tables: &[Table],
    summary: &Value,
) -> csa_analysis::Result<()> {
    let a = &b.assessment;
    h.push_str("<section id=\"summary\"><h2>Executive summary</h2><div class=\"figures\">");
    let v = table(tables, ids::PRIORITY_VOLUMES)?;
    {
        if let Some(i) = v.find(names::PRIORITY, csa_analysis::config::ALL) {
            card(
                h,
                &v.get(i, names::COUNT).display(),
                &format!("crimes and ASB incidents, {}", a.periods.current),
            );
            card(
                h,
                &pct(v.get(i, names::CHANGE_PCT)),
                &format!("change on {}", a.periods.comparison),
            );
            if let Some(r) = v.get(i, names::RATE_PER_1000).as_f64() {
                card(h, &format!("{r:.1}"), "per 1,000 residents");
            }
            card(
                h,
                &v.get(i, names::HARM_CSS).display(),
                "harm (sum of Crime Severity Score weights)",
            );
        }
    }
    if let Some(s) = &b.survey {
        card(h, &s.0.responses.len().to_string(), "survey respondents");
    }
    h.push_str("</div>");
    {
        let t = table(tables, ids::PRIORITY_RANKING)?;
        h.push_str("<h3>The priorities, ranked</h3><ol>");
        for row in 0..t.rows.len().min(5) {
            let _ = write!(
                h,
                "<li><b>{}</b>: {} records, {} (score {}). {}</li>",
                esc(&t.get(row, names::PRIORITY).text()),
                esc(&t.get(row, names::COUNT).display()),
                esc(&pct(t.get(row, col::TREND_PCT))),
                esc(&t.get(row, col::TOTAL_SCORE).display()),
                esc(&t.get(row, col::REASON).text())
            );
        }
        h.push_str("</ol>");
    }
    {
        let mut up: Vec<(String, f64, String)> = (0..v.rows.len())
            .filter(|&i| v.get(i, names::PRIORITY).text() != csa_analysis::config::ALL)
            .filter_map(|i| {
                Some((
                    v.get(i, names::PRIORITY).text(),
                    v.get(i, names::CHANGE_PCT).as_f64()?,
                    v.get(i, names::COUNT).display(),
                ))
            })
            .collect();
        up.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        let rising: Vec<String> = up
            .iter()
            .filter(|x| x.1 >= 10.0)
            .take(5)
            .map(|x| format!("{} ({:+.1}%, {} records)", x.0, x.1, x.2))
            .collect();
        let falling: Vec<String> = up
            .iter()
            .rev()
            .filter(|x| x.1 <= -10.0)
            .take(5)
            .map(|x| format!("{} ({:+.1}%, {} records)", x.0, x.1, x.2))
            .collect();
        if !rising.is_empty() {
            let _ = write!(h, "<p><b>Rising by 10% or more:</b> {}.</p>", esc(&rising.join("; ")));
        }
        if !falling.is_empty() {
            let _ =
                write!(h, "<p><b>Falling by 10% or more:</b> {}.</p>", esc(&falling.join("; ")));
        }
    }
    real_changes(h, tables);
    if let Some(all) = b.parts.iter().find(|p| p.is_all()) {
        if let (Some(hs), Some(share)) = (&all.hotspots, hot_share(all, tables)) {
            let _ = write!(
                h,
                "<p><b>Hotspots:</b> {} clusters of Gi* hot cells (95%, FDR) hold {share:.1}% of all located crime and ASB.</p>",
                hs.clusters.len()
            );
        }
    }
    if o.edition == Edition::Public {
        let s = &summary["suppressed"];
        let _ = write!(
            h,
            "<p class=\"note\">Public edition: counts of 1 to 4 are shown as \"&lt;5\" ({} cells) and further cells are hidden as \"*\" ({} cells, including changes, shares and rates of hidden counts) so that no hidden number can be worked out from totals. Lists of individual offenders and point locations are left out.</p>",
            s["primary"], s["secondary"]
        );
    }
    for n in &b.notes {
        note(h, n);
    }
    h.push_str("</section>");
    Ok(())
}

fn priority_section(
    h: &mut String,
    b: &Built,
    part: &PriorityPart,
    ed: &EditionTables,
    figures: &[Figure],
    edition: Edition,
) -> csa_analysis::Result<()> {
    let tables = &ed.tables[..];
    let s = &part.slug;
    let p = &part.priority;
    let _ = write!(h, "<section class=\"priority\" id=\"p-{}\"><h2>{}</h2>", esc(s), esc(&p.name));
    let owners: Vec<&str> = p.subgroups.iter().map(|g| g.name()).collect();
    let _ = write!(
        h,
        "<p class=\"meta\">Owned by: {}.{}</p>",
        esc(&owners.join(", ")),
        p.description.as_deref().map(|d| format!(" {}", esc(d))).unwrap_or_default()
    );
    {
        let v = table(tables, ids::PRIORITY_VOLUMES)?;
        if let Some(i) = v.find(names::PRIORITY, &p.name) {
            h.push_str("<div class=\"figures\">");
            card(
                h,
                &v.get(i, names::COUNT).display(),
                &format!("records, {}", b.assessment.periods.current),
            );
            card(
                h,
                &pct(v.get(i, names::CHANGE_PCT)),
                &format!("change on {}", b.assessment.periods.comparison),
            );
            card(
                h,
                &v.get(i, names::RATE_PER_1000).display(),
                &format!("per 1,000 {}", v.get(i, names::DENOMINATOR).text()),
            );
            card(h, &v.get(i, names::HARM_CSS).display(), "harm (CSS total)");
            if let Some(r) = ed.ranking.iter().find(|r| r.priority == p.name) {
                card(h, &format!("{} of {}", r.rank, ed.ranking.len()), "rank");
            }
            h.push_str("</div>");
        }
    }
    for n in &part.notes {
        note(h, n);
    }
    if !part.measurable {
        h.push_str("</section>");
        return Ok(());
    }
    figure_html(h, figures, &format!("{s}_trend"));
    trend_text(h, tables, &p.name);
    figure_html(h, figures, &crate::figures::fan_name(s));
    h.push_str("<h3>Location</h3>");
    if let Some(t) = part_table(tables, part, Kind::Wards)? {
        table_html(h, t, 10, &[names::COMPARISON_RATE_PER_1000]);
    }
    for kind in [Kind::LocationTypes, Kind::TopLocations] {
        if let Some(t) = part_table(tables, part, kind)? {
            table_html(h, t, 10, &[names::EASTING, names::NORTHING]);
        }
    }
    h.push_str("<h3>Day and time</h3>");
    figure_html(h, figures, &format!("{s}_day_hour"));
    if b.assessment.data.info.has_people() {
        for who in Who::BOTH {
            let w = who.name();
            let _ = write!(h, "<h3>{}</h3>", heading(w));
            if !crate::build::has_side(&b.assessment, who.side()) {
                note(h, &format!("The data has no {w} (its extracts had no {w} file), so there are no {w} figures for this priority."));
                continue;
            }
            figure_html(h, figures, &format!("{s}_{w}_pyramid"));
            for kind in [Kind::AgeSex(who), Kind::Ethnicity(who)] {
                if let Some(t) = part_table(tables, part, kind)? {
                    table_html(h, t, 20, &[]);
                }
            }
            if who == Who::Offenders {
                if let Some(t) = part_table(tables, part, Kind::Relationship)? {
                    table_html(h, t, 20, &[]);
                }
                if edition == Edition::Restricted {
                    if let Some(t) = part_table(tables, part, Kind::ProlificOffenders)? {
                        table_html(h, t, 10, &[]);
                    }
                }
            }
        }
        if let Some(t) = part_table(tables, part, Kind::Repeats)? {
            h.push_str("<h3>Repeat victims and offenders</h3>");
            table_html(h, t, 5, &[]);
        }
    } else {
        note(h, "Victims and offenders: this data has none (police.uk data carries no people), so there are no victim, offender or repeat figures for this priority.");
    }
    h.push_str("<h3>Hotspots</h3>");
    match &part.hotspots {
        Some(hs) => {
            let _ = write!(
                h,
                "<p>{} clusters of Gi* hot cells (95% confidence after FDR) hold {} of this priority's located crimes.</p>",
                hs.clusters.len(),
                hot_share(part, tables).map_or("a share not shown".to_string(), |v| format!("{v:.1}%"))
            );
            figure_html(h, figures, &format!("{s}_hotspots"));
            figure_html(h, figures, &format!("{s}_density"));
            if let Some(t) = part_table(tables, part, Kind::HotspotCells)? {
                table_html(h, t, 10, &[]);
            }
        }
        None => {
            note(h, "No hotspot analysis: too few crimes with a position (see the note above).")
        }
    }
    h.push_str("</section>");
    Ok(())
}

/// The executive summary's changes that are real (the trends' 95% interval clear of no
/// change) and the emerging priorities, from the published tables.
fn real_changes(h: &mut String, tables: &[Table]) {
    let Some(t) = crate::table::find(tables, ids::TRENDS) else { return };
    let real: Vec<String> = (0..t.rows.len())
        .filter(|&i| t.get(i, names::PRIORITY).text() != csa_analysis::config::ALL)
        .filter_map(|i| {
            let ev = t.get(i, names::EVIDENCE_PCT).as_f64().filter(|e| *e != 0.0)?;
            let ch = t.get(i, names::CHANGE_PCT).as_f64()?;
            let small =
                if t.get(i, names::SMALL_NUMBERS).text() == "yes" { ", small numbers" } else { "" };
            Some(format!(
                "{} ({ch:+.1}%, a {} of at least {:.1}%{small})",
                t.get(i, names::PRIORITY).text(),
                if ev > 0.0 { "rise" } else { "fall" },
                ev.abs()
            ))
        })
        .collect();
    let _ = write!(
        h,
        "<p><b>Real changes</b> (the latest 12 months against the months before, season for season, 95% interval clear of no change): {}.</p>",
        if real.is_empty() { "none".to_string() } else { esc(&real.join("; ")) }
    );
    let emerging = crate::trends::emerging(tables);
    if !emerging.is_empty() {
        let _ = write!(h, "<p><b>Emerging:</b> {}.</p>", esc(&emerging.join(", ")));
    }
}

/// The verdict on a priority's trend and its forecast, from the published tables (nothing
/// when they are hidden).
fn trend_text(h: &mut String, tables: &[Table], name: &str) {
    if let Some(t) = crate::table::find(tables, ids::TRENDS) {
        if let Some(i) = t.find(names::PRIORITY, name) {
            let f = |c: &str| t.get(i, c).as_f64();
            if let (Some(ch), Some(lo), Some(ev)) =
                (f(names::CHANGE_PCT), f(names::CHANGE_CI_LOW_PCT), f(names::EVIDENCE_PCT))
            {
                let hi = f(names::CHANGE_CI_HIGH_PCT)
                    .map_or("no upper bound".to_string(), |v| format!("{v:+.1}%"));
                let verdict = if ev > 0.0 {
                    format!("a real rise (at least {ev:.1}%)")
                } else if ev < 0.0 {
                    format!("a real fall (at least {:.1}%)", -ev)
                } else {
                    "no clear change: the interval includes no change".to_string()
                };
                let small = if t.get(i, names::SMALL_NUMBERS).text() == "yes" {
                    " Small numbers: read with care."
                } else {
                    ""
                };
                let _ = write!(
                    h,
                    "<p class=\"trend\"><b>Trend</b> over {} months: the latest 12 months are {ch:+.1}% on the months before, season for season (95% interval {lo:+.1}% to {hi}, p = {}): {verdict}.{small}</p>",
                    t.get(i, names::MONTHS).display(),
                    t.get(i, names::P_VALUE).text(),
                );
            }
        }
    }
    if let Some(t) = crate::table::find(tables, ids::FORECASTS) {
        let row = (0..t.rows.len()).find(|&i| {
            t.get(i, names::PRIORITY).text() == name
                && t.get(i, names::MONTH).text() == names::NEXT_12_MONTHS
        });
        if let Some(i) = row.filter(|&i| t.get(i, names::FORECAST).as_f64().is_some()) {
            let _ = write!(
                h,
                "<p class=\"trend\"><b>Forecast</b> for the next 12 months: {} records (80% interval {} to {}; 95% interval {} to {}).</p>",
                t.get(i, names::FORECAST).display(),
                t.get(i, names::LOW_80).display(),
                t.get(i, names::HIGH_80).display(),
                t.get(i, names::LOW_95).display(),
                t.get(i, names::HIGH_95).display(),
            );
        }
    }
}

/// The Trends and forecasts section ([`crate::trends`]).
fn trends_section(h: &mut String, b: &Built, tables: &[Table], figures: &[Figure]) {
    let s = &b.trends;
    h.push_str("<section id=\"trends\"><h2>Trends and forecasts</h2>");
    let _ = write!(
        h,
        "<p>Each priority's monthly records over up to {} years{} (<code>[trends] years</code>). <b>Is the change real?</b> A Poisson regression of the monthly counts with a term for each month of the year (the season), the days in the month as exposure and a step for the latest 12 months estimates the latest year's change against the months before, season for season, as a rate ratio with its 95% interval and p. Crime counts vary more than a Poisson count would (repeat victims, series of offences), so the interval and p are widened by the observed overdispersion (quasi-Poisson: Pearson X&sup2; over its degrees of freedom) and use Student's t. The ranking's <b>trend factor</b> is the end of the interval nearest zero, 0 when the interval includes no change (<code>evidence_pct</code>): a large change on a few crimes scores no more than no change. Trends on fewer than {:.0} records a year are labelled <b>small numbers</b>. With fewer than 24 months, or a month of the year without records, the model has no seasonal terms (method: quasi-Poisson without season); with no records before or in the latest year, the exact Poisson test of the two totals is used.</p><p><b>Forecasts</b>: the same seasonal model with a linear trend in place of the step, fitted to every month, projects the next 12 months; the 80% and 95% prediction intervals include the overdispersion and the uncertainty of the fitted trend and season (a negative binomial with the forecast's mean and variance). The model is <b>backtested</b> by rolling origin: refitted at each of the last 12 months (from month 24), it forecasts the months after it, and its mean absolute error (MAE; MASE scaled by the seasonal naive in-sample error) is set beside that of the seasonal naive forecast (the same month last year), with the share of actual counts inside its intervals. A priority is <b>emerging</b> when its latest 3 months' total lies above the 95% interval forecast for them from the 3 months before, or when the 80% interval of its next 12 months' total lies wholly above its latest 12 months.</p>",
        s.years,
        s.period.map_or(String::new(), |p| format!(" ({p})")),
        csa_analysis::trend::SMALL_PER_YEAR,
    );
    for n in &s.notes {
        note(h, n);
    }
    let emerging = crate::trends::emerging(tables);
    if !emerging.is_empty() {
        let _ = write!(h, "<p><b>Emerging priorities:</b> {}.</p>", esc(&emerging.join(", ")));
    } else if crate::table::find(tables, ids::FORECAST_ACCURACY).is_some() {
        h.push_str("<p>No priority is flagged emerging (where its figures are published).</p>");
    }
    if let Some(all) = b.parts.iter().find(|p| p.is_all()) {
        trend_text(h, tables, &all.priority.name);
        figure_html(h, figures, &crate::figures::fan_name(&all.slug));
    }
    if let Some(t) = crate::table::find(tables, ids::TRENDS) {
        table_html(h, t, 100, &[names::NOTE]);
    }
    if let Some(t) = crate::table::find(tables, ids::FORECASTS) {
        // the next 12 months' totals here; every month in tables/forecasts.csv
        let mut totals = t.clone();
        totals.title = "Forecast of the next 12 months' total, with 80% and 95% prediction intervals (every month in tables/forecasts.csv)".into();
        totals.rows.retain(|r| r.get(1).is_some_and(|c| c.text() == names::NEXT_12_MONTHS));
        table_html(h, &totals, 100, &[names::MONTH]);
    }
    if let Some(t) = crate::table::find(tables, ids::FORECAST_ACCURACY) {
        table_html(h, t, 100, &[]);
    }
    h.push_str("</section>");
}

/// The Reducing Re-offending section ([`crate::reoffending`]).
fn reoffending_section(h: &mut String, b: &Built, tables: &[Table]) {
    let r = &b.reoffending;
    h.push_str("<section id=\"reoffending\"><h2>Reducing Re-offending</h2>");
    let _ = write!(
        h,
        "<p>Proven re-offending, the Ministry of Justice measure adapted to recorded crime. A quarter's <b>cohort</b> is every offender linked to a crime committed in the quarter; their <b>index date</b> is their first such offence. A <b>re-offence</b> is another crime of theirs committed after the index date and within {} months of it, and recorded within a further {} months (the waiting period). The <b>rate</b> is the share of the cohort who re-offend (95% Wilson interval); <b>frequency</b> is re-offences per offender; harm is the Crime Severity Score of the re-offences. Only cohorts whose follow-up and waiting period the data cover are shown.</p>",
        r.spec.follow_up_months, r.spec.waiting_months
    );
    for n in &r.notes {
        note(h, n);
    }
    for name in &r.tables {
        if let Some(t) = crate::table::find(tables, name) {
            table_html(h, t, 60, &[names::CODE]);
        }
    }
    h.push_str("</section>");
}

fn ward_profiles(h: &mut String, b: &Built, tables: &[Table]) -> csa_analysis::Result<()> {
    h.push_str("<section class=\"wards\" id=\"wards\"><h2>Ward profiles</h2><p>For each ward: every priority's records, change and rate, and the rate as a multiple of the area's (1.5 = half as high again as the area).</p>");
    let prof = table(tables, ids::WARD_PROFILES)?;
    let all = match b.parts.iter().find(|p| p.is_all()) {
        Some(p) => part_table(tables, p, Kind::Wards)?,
        None => None,
    };
    let Some(all) = all else {
        h.push_str("</section>");
        return Ok(());
    };
    for (code, name) in &b.assessment.area.wards {
        let _ = write!(h, "<h3 id=\"ward-{}\">{} ({})</h3>", esc(code), esc(name), esc(code));
        if let Some(i) = all.find(col::WARD_CODE, code) {
            let _ = write!(
                h,
                "<p>{} residents; {} crimes and ASB incidents ({}), {} per 1,000 residents.</p>",
                all.get(i, names::POPULATION).display(),
                all.get(i, names::COUNT).display(),
                pct(all.get(i, names::CHANGE_PCT)),
                all.get(i, names::RATE_PER_1000).display()
            );
        }
        let mut t = prof.clone();
        t.rows.retain(|r| r[1].text() == *code && r[0].text() != csa_analysis::config::ALL);
        t.title = format!("{name}: priorities");
        table_html(h, &t, 100, &[col::WARD_CODE, col::WARD_NAME]);
    }
    h.push_str("</section>");
    Ok(())
}

fn methodology(h: &mut String, b: &Built, o: &PackOptions, tables: &[Table], summary: &Value) {
    let a = &b.assessment;
    let c = &a.config;
    h.push_str("<section id=\"method\"><h2>Methodology and parameters</h2><table><caption>Parameters used</caption><tbody>");
    let mut row = |k: &str, v: String| {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    };
    row("Assessment period", a.periods.current.to_string());
    row(
        "Comparison period",
        format!(
            "{}{}",
            a.periods.comparison,
            if a.covers(a.periods.comparison) { "" } else { " (not fully covered by the data)" }
        ),
    );
    row(
        "Area",
        format!(
            "{} wards{}",
            a.area.wards.len(),
            c.boundaries
                .as_deref()
                .and_then(|p| p.file_name())
                .map(|f| format!(" ({})", f.to_string_lossy()))
                .unwrap_or_default()
        ),
    );
    row(
        "Population",
        format!(
            "residents and households per ward: {}; residents by age, sex and ethnic group: {}",
            a.population.source,
            a.population.groups_source().unwrap_or("none")
        ),
    );
    row("Age bands (lower bounds)", format!("{:?}", c.age_bands));
    row("Harm", "ONS Crime Severity Score weights per Home Office offence code; records without a code take their crime type's mean weight (share shown as harm_estimated_pct)".into());
    row(
        "Rates",
        "per 1,000 residents (Census 2021), per 1,000 households for priorities so configured"
            .into(),
    );
    let hs = &c.hotspots;
    row(
        "Hotspots",
        format!(
            "Getis-Ord Gi* on {} m grid cells clipped to the wards, distance band {} m (self included), {} conditional permutations (seed {}), Benjamini-Hochberg FDR; hot = bin +2 or +3. Kernel density: quartic kernel, ArcGIS default bandwidth. Priorities with fewer than {} located crimes are not analysed.",
            hs.cell_m, hs.band_m, hs.permutations, hs.seed, hs.min_crimes
        ),
    );
    row(
        "Ranking weights",
        format!(
            "volume {}, trend {}, harm {}, concentration {}, concern {}",
            c.ranking.volume,
            c.ranking.trend,
            c.ranking.harm,
            c.ranking.concentration,
            c.ranking.concern
        ),
    );
    row(
        "Trends and forecasts",
        format!(
            "{} years of monthly counts ([trends] years){}; change: quasi-Poisson regression with month-of-year terms, log days offset and a latest-12-months step (t on n - p df); ranking trend factor: the 95% interval's end nearest 0; small numbers: under {:.0} records a year; forecast: the same model with a linear trend, negative binomial prediction intervals (80%, 95%), rolling-origin backtest against the seasonal naive forecast",
            c.trend_years,
            b.trends.period.map_or(String::new(), |p| format!(", {p} in the data")),
            csa_analysis::trend::SMALL_PER_YEAR
        ),
    );
    row("Pseudonyms", "offender ids as keyed SHA-256 pseudonyms (OFF- + 10 hex digits)".into());
    row("Top N", c.top_n.to_string());
    row("Edition", o.edition.name().into());
    row("Configuration", summary["inputs"]["config"].to_string());
    if let Some(sv) = summary["inputs"]["survey"].as_object() {
        row("Survey", Value::Object(sv.clone()).to_string());
    }
    h.push_str("</tbody></table>");
    if o.edition == Edition::Public {
        let s = &summary["suppressed"];
        let _ = write!(
            h,
            "<h3>Disclosure control</h3><p>This public edition follows the usual rule for small numbers, and makes sure nothing else in the pack undoes it. Every count of 1 to 4 is shown as \"&lt;5\" ({} cells). Further cells are hidden as \"*\" (a count of 5 or more) or \"&lt;5\" (a 0) ({} cells, with the changes, shares, rates and scores computed from hidden counts) so that no \"&lt;5\" can be narrowed down by anyone holding every file of this pack and last year's: not from row or column totals, not from another table carrying the same count or total, not from priorities that add up (serious acquisitive crime is residential burglary + robbery + vehicle crime) or contain one another, not from the meaning of the symbols themselves. Every hidden cell was checked: given everything published, a \"&lt;5\" can still be anything from 1 to 4 (disclosure.json lists every count, where it is shown and how the counts relate; <code>csa audit</code> repeats the check from the files). The ranking uses published figures only. Crime references, person identifiers, offender lists and point locations are not in this edition: locations are aggregated to wards and {} m grid cells.</p>",
            s["primary"], s["secondary"], hs.cell_m
        );
        if let Some(l) = summary.get("information_loss").filter(|l| !l.is_null()) {
            let _ = write!(
                h,
                "<p>Information lost: {} of {} count cells hidden ({}%), holding {}% of all the counts; {} derived figures hidden.</p>",
                l["hidden_cells"], l["count_cells"], l["hidden_cells_pct"], l["hidden_count_pct"], l["derived_hidden"]
            );
        }
        let per: Vec<String> = tables
            .iter()
            .filter(|t| t.suppressed != (0, 0))
            .map(|t| format!("{} ({} <5, {} *)", t.name, t.suppressed.0, t.suppressed.1))
            .collect();
        if !per.is_empty() {
            let _ = write!(
                h,
                "<p class=\"more\">Tables with suppressed cells: {}.</p>",
                esc(&per.join("; "))
            );
        }
    }
    h.push_str("<h3>Files of this pack</h3><p>tables.xlsx (every table, a sheet each); tables/*.csv and tables/*.parquet; charts/*.png and *.svg; maps/wards.geojson, maps/hotspot_cells.geojson, maps/hotspot_clusters.geojson (EPSG:4326); summary.json (key figures, ranking, parameters, input hashes).</p>");
    h.push_str("<h3>Inputs</h3><p>Rows read, accepted and quarantined per file are in the data quality section.</p><table><thead><tr><th>File</th><th>SHA-256</th></tr></thead><tbody>");
    for i in summary["inputs"]["files"].as_array().into_iter().flatten() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td></tr>",
            esc(i["file"].as_str().unwrap_or("")),
            esc(i["sha256"].as_str().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table></section>");
}

/// The population behind the equalities ratios, and the ward-by-ward findings of the
/// priorities with `ward_equalities` (the full table is in the CSV).
fn ward_equalities(h: &mut String, b: &Built, tables: &[Table]) {
    for n in csa_analysis::equalities::population_notes(&b.assessment, false) {
        note(h, &n);
    }
    let Some(t) = crate::table::find(tables, crate::equalities::WARD_VICTIMS) else {
        return;
    };
    let flagged: Vec<String> = b
        .assessment
        .config
        .all_priorities()
        .into_iter()
        .filter(|p| p.ward_equalities)
        .map(|p| p.name)
        .collect();
    let _ = write!(
        h,
        "<h3>Ward by ward</h3><p>For {}: each group's share of a ward's victims (counted once in each ward where a crime against them happened) against its share of the ward's residents (Census 2021; how the ward figures were made is in data/README.md). No ratio where fewer than {} victims in the ward have a known value. Below, the groups whose 95% interval lies wholly above or below 1; every ward and group is in tables/{}.csv.</p>",
        esc(&flagged.join(", ")),
        csa_analysis::equalities::MIN_WARD_PEOPLE,
        crate::equalities::WARD_VICTIMS
    );
    for n in csa_analysis::equalities::population_notes(&b.assessment, true) {
        note(h, &n);
    }
    for p in &flagged {
        let f = crate::equalities::findings(t, p);
        if f.rows.is_empty() {
            note(
                h,
                &format!(
                    "{p}: no group is over- or under-represented among any ward's victims at 95%."
                ),
            );
        } else {
            table_html(h, &f, 60, &[names::PRIORITY, names::KNOWN, names::UNKNOWN, names::NOTE]);
        }
    }
}
