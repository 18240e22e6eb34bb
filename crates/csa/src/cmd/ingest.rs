//! `csa ingest`: build a dataset and print the reconciliation per input file.

use anyhow::Context;
use csa_ingest::{IngestRequest, LookupColumns};

use crate::cli::IngestArgs;
use crate::progress::Bars;

pub fn run(a: IngestArgs, quiet: bool) -> anyhow::Result<()> {
    let mut req = IngestRequest::new(a.boundaries, a.out.clone());
    req.police_uk = a.police_uk;
    req.extracts = a.extract;
    req.incidents = a.incidents;
    req.mapping = a.mapping;
    req.ward_code_prop = a.ward_code_prop;
    req.ward_name_prop = a.ward_name_prop;
    req.lsoa_boundaries = a.lsoa_boundaries;
    req.lsoa_code_prop = a.lsoa_code_prop;
    req.lsoa_name_prop = a.lsoa_name_prop;
    req.lsoa_lookup = a.lsoa_lookup;
    req.memory_budget = a.memory_budget;
    req.lookup_columns = LookupColumns {
        lsoa: a.lookup_lsoa_col,
        ward_code: a.lookup_ward_col,
        ward_name: a.lookup_ward_name_col,
    };
    let bars = Bars::new(quiet, a.timings);
    // freed memory goes back at a step (file, bucket, month) once the process holds more
    // than a third of the budget (crate::alloc::release_freed_above)
    let purge_above = a.memory_budget.unwrap_or(csa_ingest::DEFAULT_MEMORY_BUDGET) / 3;
    let report = |p: csa_ingest::Progress| {
        crate::alloc::release_freed_above(purge_above);
        bars.report(p);
    };
    let started = std::time::Instant::now();
    let (m, appended) = if a.append {
        let (m, rec) = csa_ingest::append::append(&req, &report)
            .with_context(|| format!("append to {} failed", a.out.display()))?;
        (m, Some(rec))
    } else {
        (
            csa_ingest::ingest(&req, &report)
                .with_context(|| format!("ingest into {} failed", a.out.display()))?,
            None,
        )
    };
    bars.finish();
    // this run's inputs (an append lists only what it added)
    let inputs =
        &m.inputs[m.inputs.len() - appended.as_ref().map_or(m.inputs.len(), |r| r.inputs.len())..];
    let w = inputs.iter().map(|i| i.path.len()).max().unwrap_or(4).clamp(4, 70);
    println!("{:<w$} {:>9} {:>9} {:>11}", "input", "read", "accepted", "quarantined");
    for i in inputs {
        println!(
            "{:<w$} {:>9} {:>9} {:>11}",
            shorten(&i.path, w),
            i.rows_read,
            i.accepted,
            i.quarantined
        );
    }
    let (read, acc, quar) = inputs
        .iter()
        .fold((0, 0, 0), |t, i| (t.0 + i.rows_read, t.1 + i.accepted, t.2 + i.quarantined));
    println!("{:<w$} {:>9} {:>9} {:>11}", "total", read, acc, quar);
    let r = &m.reconciliation;
    let mut reasons: std::collections::BTreeMap<&str, u64> = Default::default();
    for i in inputs {
        for (k, v) in &i.quarantined_by_reason {
            *reasons.entry(k).or_default() += v;
        }
    }
    if !reasons.is_empty() {
        let list: Vec<String> = reasons.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("quarantined by reason: {}", list.join(", "));
    }
    let c = &m.counts;
    if let Some(rec) = &appended {
        println!(
            "appended {} records ({} replacing an earlier version of the same crime_ref), {} victims, {} offenders; months {}",
            rec.crimes_added,
            rec.replaced,
            rec.victims_added,
            rec.offenders_added,
            rec.months.join(", ")
        );
    }
    println!(
        "wrote {}: {} crimes, {} ASB incidents, {} partner incidents, {} victims, {} offenders; {} in the boundaries, {} outside, {} placed by LSOA lookup; months {} to {} ({:.1} s)",
        a.out.display(), c.crimes, c.asb, c.incidents, c.victims, c.offenders, c.in_area, c.outside_area, c.ward_by_lsoa_lookup,
        c.first_month.as_deref().unwrap_or("-"), c.last_month.as_deref().unwrap_or("-"), started.elapsed().as_secs_f64()
    );
    if !r.balanced {
        anyhow::bail!("reconciliation failed: rows read do not equal accepted + quarantined");
    }
    Ok(())
}

fn shorten(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let tail: String =
            s.chars().rev().take(w - 3).collect::<Vec<_>>().into_iter().rev().collect();
        format!("...{tail}")
    }
}
