//! `csa consultation`: representativeness, weighting, tracking, themes and the consultation
//! report (csa-analysis computes, csa-report writes the page).

use std::collections::HashMap;

use anyhow::Context;
use csa_analysis::consultation::{Config, Consultation};
use csa_analysis::export;
use csa_analysis::survey::Survey;

use crate::cli::ConsultationArgs;
use crate::exit::{Reported, UsageError};

/// Exit code of `--check` when something needs attention.
pub const ATTENTION: i32 = 3;

pub fn run(a: ConsultationArgs) -> anyhow::Result<()> {
    let config = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let mut s = Survey::load(&a.file)?;
    let c = Consultation::run(&mut s, config)
        .with_context(|| format!("consultation of {}", a.file.display()))?;
    let tables = c.tables(&s, a.public)?;
    if a.check {
        let today = a.today.unwrap_or_else(|| chrono::Local::now().date_naive());
        let check = c.check(&s, today);
        println!("{}", serde_json::to_string(&check)?);
        return if check.attention.is_empty() { Ok(()) } else { Err(Reported(ATTENTION).into()) };
    }
    println!(
        "{}: {} respondents ({} rows rejected, {} answers treated as blank); area of {} wards",
        a.file.display(),
        s.responses.len(),
        s.rejected.len(),
        s.problems.len(),
        c.area.len()
    );
    if let Some(w) = &c.weighting {
        println!(
            "weighted by raking to {} in {} iterations: design effect {:.2}, effective sample size {:.0}, {} weights trimmed",
            w.margins.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", "),
            w.raked.iterations,
            w.design_effect,
            w.effective_n,
            w.raked.trimmed
        );
    }
    let under: Vec<String> = c
        .representation
        .iter()
        .filter(|r| r.flag == csa_analysis::consultation::UNDER)
        .map(|r| format!("{} {}", r.dimension.name(), r.group))
        .collect();
    if !under.is_empty() {
        println!("under-represented: {}", under.join(", "));
    }
    if let Some((_, pri)) =
        tables.iter().find(|(n, _)| *n == csa_analysis::names::T_CONSULTATION_PRIORITIES)
    {
        println!("\nPriorities, unweighted and weighted (95% intervals):");
        print!("{}", export::text_table(pri));
    }
    let Some(out) = &a.out else { return Ok(()) };
    super::write_csv_tables(out, &tables)?;
    let sheets: Vec<(String, &polars::prelude::DataFrame)> = tables
        .iter()
        .map(|(n, df)| (n.trim_start_matches("consultation_").to_string(), df))
        .collect();
    export::write_xlsx(&out.join("consultation.xlsx"), &sheets, None)?;
    let map_svg = rate_map(&c)?;
    let page =
        csa_report::consultation::consultation_html(&csa_report::consultation::ConsultationPage {
            title: &c.config.report.title,
            survey_file: &a.file.display().to_string(),
            public: a.public,
            generated: &chrono::Local::now().format("%Y-%m-%d %H:%M").to_string(),
            map_svg,
            tables: &tables,
        });
    let html = out.join("consultation.html");
    std::fs::write(&html, page).with_context(|| format!("cannot write {}", html.display()))?;
    println!(
        "wrote consultation.html, consultation.xlsx and {} tables to {}",
        tables.len(),
        out.display()
    );
    Ok(())
}

/// The response-rate choropleth over the area's wards (configured boundaries, else the
/// shipped Coventry wards); `None` when no boundary is of the area.
fn rate_map(c: &Consultation) -> anyhow::Result<Option<String>> {
    let mut wards = match &c.config.report.boundaries {
        Some(p) => {
            let bad = |e: String| UsageError(format!("ward boundaries {}: {e}", p.display()));
            let text = std::fs::read_to_string(p).map_err(|e| bad(e.to_string()))?;
            csa_geo::Boundaries::from_geojson(&text, "WD25CD", "WD25NM")
                .map_err(|e| bad(e.to_string()))?
        }
        None => csa_synth::shipped_ward_boundaries()?,
    };
    wards.areas.retain(|w| c.area.contains(&w.code));
    if wards.areas.is_empty() {
        return Ok(None);
    }
    let values: HashMap<String, f64> =
        c.representation.iter().filter_map(|r| Some((r.code.clone()?, r.rate_per_1000?))).collect();
    let spec = csa_charts::choropleth::choropleth(
        "Respondents per 1,000 residents",
        "Census 2021 residents of the surveyed ages",
        "per 1,000",
        &wards,
        &values,
        "no population figure",
    );
    Ok(Some(csa_charts::render::svg_string(&spec)?))
}
