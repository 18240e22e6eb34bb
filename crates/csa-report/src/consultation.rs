//! `consultation.html`: the consultation report as one self-contained page, like the
//! assessment's `report.html` ([`crate::html`]): inline CSS, the response-rate map as inline
//! SVG, nothing fetched from anywhere. Every figure comes from the tables `csa consultation`
//! also writes to `consultation.xlsx`, so the page and the workbook agree.

use std::fmt::Write;

use csa_analysis::export;
use csa_analysis::names;
use polars::prelude::DataFrame;

use crate::html::esc;

const CSS: &str = r#"
@page { size: A4; margin: 16mm 14mm; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #222; max-width: 1040px; margin: 0 auto; padding: 0 16px 40px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 26px; margin: 24px 0 4px; }
h2 { font-size: 21px; border-bottom: 2px solid #0072b2; padding-bottom: 4px; margin-top: 36px; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef4f9; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.under td { background: #fde8dc; }
tr.over td { background: #e3f1ea; }
.note { color: #444; font-size: 13px; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; }
"#;

/// What the page shows, beside the tables.
pub struct ConsultationPage<'a> {
    pub title: &'a str,
    pub survey_file: &'a str,
    pub public: bool,
    pub generated: &'a str,
    /// The response-rate map, an SVG document, when there are boundaries for the area.
    pub map_svg: Option<String>,
    /// Named tables from `csa_analysis::consultation::Consultation::tables`.
    pub tables: &'a [(&'static str, DataFrame)],
}

fn table_html(h: &mut String, df: &DataFrame, flag_col: Option<&str>) {
    h.push_str("<table><thead><tr>");
    for c in df.get_column_names() {
        let _ = write!(h, "<th>{}</th>", esc(&c.replace('_', " ")));
    }
    h.push_str("</tr></thead><tbody>");
    let cols = df.columns();
    let flag = flag_col.and_then(|f| df.column(f).ok());
    for r in 0..df.height() {
        let class = match flag.map(|f| export::cell(f, r).0) {
            Some(f) if f == csa_analysis::consultation::UNDER => " class=\"under\"",
            Some(f) if f == csa_analysis::consultation::OVER => " class=\"over\"",
            _ => "",
        };
        let _ = write!(h, "<tr{class}>");
        for c in cols {
            let (text, numeric) = export::cell(c, r);
            let text = if text.is_empty() { "-".to_string() } else { text };
            let _ =
                write!(h, "<td{}>{}</td>", if numeric { " class=\"n\"" } else { "" }, esc(&text));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
}

fn section(h: &mut String, title: &str, note: &str) {
    let _ = write!(h, "<h2>{}</h2>", esc(title));
    if !note.is_empty() {
        let _ = write!(h, "<p class=\"note\">{}</p>", esc(note));
    }
}

/// The priorities' unweighted and weighted shares with their intervals, as inline SVG;
/// `None` when the table has no weighted columns (no weighting) or the chart cannot be drawn.
fn priorities_chart(df: &DataFrame) -> Option<String> {
    let f = |c: &str| df.column(c).ok()?.f64().ok().cloned();
    let (v, lo, hi) = (f(names::SHARE_PCT)?, f(names::CI_LOW_PCT)?, f(names::CI_HIGH_PCT)?);
    let (wv, wlo, whi) = (
        f(names::WEIGHTED_SHARE_PCT)?,
        f(names::WEIGHTED_CI_LOW_PCT)?,
        f(names::WEIGHTED_CI_HIGH_PCT)?,
    );
    let opt = df.column(names::OPTION).ok()?.str().ok()?.clone();
    let est = |a: Option<f64>, b: Option<f64>, c: Option<f64>| Some((a?, b?, c?));
    let rows = (0..df.height())
        .map(|i| {
            (
                opt.get(i).unwrap_or("").to_string(),
                [est(v.get(i), lo.get(i), hi.get(i)), est(wv.get(i), wlo.get(i), whi.get(i))],
            )
        })
        .collect();
    let chart = csa_charts::charts::PairedIntervals {
        title: "Priorities: share of respondents, as answered and weighted".into(),
        series: ["As answered".into(), "Weighted to the population".into()],
        rows,
    };
    let svg = csa_charts::render::svg_string(&chart).ok()?;
    Some(svg.find("<svg").map_or(svg.clone(), |i| svg[i..].to_string()))
}

/// The whole page.
pub fn consultation_html(p: &ConsultationPage) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        esc(p.title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"meta\">{} edition. Responses: {}. Generated {} by csa.</p>",
        esc(p.title),
        if p.public { "Public" } else { "Restricted" },
        esc(p.survey_file),
        esc(p.generated)
    );
    let get = |name: &str| p.tables.iter().find(|(n, _)| *n == name).map(|(_, df)| df);
    if let Some(df) = get(names::T_CONSULTATION_METHOD) {
        section(
            &mut h,
            "Method",
            "How the responses were read, compared with the population and weighted.",
        );
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_CONSULTATION_REPRESENTATION) {
        section(
            &mut h,
            "Who responded",
            "Respondents against the Census 2021 population of the area: the ratio is the group's share of respondents over its share of residents, with a 95% interval. Red rows are under-represented (the interval lies below 1), green rows over-represented: target engagement at the red ones while the consultation is open.",
        );
        if let Some(svg) = &p.map_svg {
            let body = svg.find("<svg").map_or(svg.as_str(), |i| &svg[i..]);
            let _ = write!(h, "<figure>{body}<figcaption class=\"note\">Respondents per 1,000 residents by ward.</figcaption></figure>");
        }
        table_html(&mut h, df, Some(names::REPRESENTATION));
    }
    if let Some(df) = get(names::T_CONSULTATION_WEIGHTING) {
        section(
            &mut h,
            "Weighting to the population",
            "Respondents are weighted by raking to the population margins below, so that the weighted sample matches the area's residents; trimmed weights may leave a small gap (see Method).",
        );
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_CONSULTATION_PRIORITIES) {
        section(
            &mut h,
            "Priorities: unweighted and weighted",
            "Share of respondents choosing each priority (of those who chose any), as answered and weighted to the population, each with its 95% interval; the weighted interval uses the effective sample size.",
        );
        if let Some(svg) = priorities_chart(df) {
            let _ = write!(h, "<figure>{svg}<figcaption class=\"note\">Each dot is a share, its line the 95% interval; where the two disagree, the weighted figure is the better estimate of what residents think.</figcaption></figure>");
        }
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_CONSULTATION_WEEKS) {
        section(&mut h, "Responses over the consultation", "Responses per week and channel.");
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_CONSULTATION_THEMES) {
        let note = if p.public {
            "Free-text answers coded against the codebook; small counts are suppressed and examples left out."
        } else {
            "Free-text answers coded against the codebook, with examples."
        };
        section(&mut h, "What people told us in their own words", note);
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_CONSULTATION_UNCODED) {
        section(
            &mut h,
            "Answers no theme matched (for review)",
            "Add phrases or themes to the codebook and run again.",
        );
        table_html(&mut h, df, None);
    }
    if let Some(df) = get(names::T_YOU_SAID_WE_DID) {
        section(&mut h, "You said, we did", "How the responses shaped the plan.");
        table_html(&mut h, df, None);
    }
    h.push_str("</body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    #[test]
    fn self_contained_and_flags_rows() {
        let df = DataFrame::new(
            2,
            vec![
                Column::new("group".into(), ["65+", "16-24"]),
                Column::new(
                    names::REPRESENTATION.into(),
                    ["over-represented", "under-represented"],
                ),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let tables = vec![(names::T_CONSULTATION_REPRESENTATION, df)];
        let h = consultation_html(&ConsultationPage {
            title: "T <&>",
            survey_file: "s.csv",
            public: true,
            generated: "2025-01-01",
            map_svg: Some("<?xml version=\"1.0\"?><svg></svg>".into()),
            tables: &tables,
        });
        assert!(h.contains("T &lt;&amp;&gt;") && h.contains("<tr class=\"under\">"));
        assert!(h.contains("<figure><svg></svg>"), "the XML prolog is dropped");
        assert!(!h.contains("<script") && !h.contains("http"));
    }
}
