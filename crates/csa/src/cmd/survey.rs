//! `csa survey`: tally a consultation survey (csa-analysis does the counting).

use anyhow::Context;
use csa_analysis::export;
use csa_analysis::survey::Survey;

use crate::cli::SurveyArgs;

pub fn run(a: SurveyArgs) -> anyhow::Result<()> {
    let s = Survey::load(&a.file)?;
    let tables = s.tables()?;
    println!(
        "{}: {} rows read, {} accepted, {} rejected; {} answers treated as blank",
        a.file.display(),
        s.rows_read,
        s.responses.len(),
        s.rejected.len(),
        s.problems.len()
    );
    for p in s.rejected.iter().chain(&s.problems).take(10) {
        println!(
            "  line {}: {}{}",
            p.line,
            if p.field.is_empty() {
                String::new()
            } else {
                format!("{} = {:?}: ", p.field, p.value)
            },
            p.reason
        );
    }
    if let Some((_, pri)) = tables.iter().find(|(n, _)| n == "survey_priorities") {
        println!("\nThe three main priorities (share of respondents who chose any, 95% interval):");
        print!("{}", export::text_table(pri));
    }
    let Some(out) = &a.out else { return Ok(()) };
    super::write_csv_tables(out, &tables)?;
    let mut problems = csv::Writer::from_path(out.join("problems.csv"))
        .with_context(|| format!("cannot write {}", out.join("problems.csv").display()))?;
    problems.write_record(["line", "field", "value", "reason"])?;
    for p in s.rejected.iter().chain(&s.problems) {
        problems.write_record([p.line.to_string().as_str(), &p.field, &p.value, &p.reason])?;
    }
    problems.flush()?;
    let sheets: Vec<(String, &polars::prelude::DataFrame)> =
        tables.iter().map(|(n, df)| (n.trim_start_matches("survey_").to_string(), df)).collect();
    export::write_xlsx(&out.join("survey.xlsx"), &sheets, None)?;
    println!("wrote {} tables, problems.csv and survey.xlsx to {}", tables.len(), out.display());
    Ok(())
}
