//! `csa audit`: audits public packs from their files alone and prints every hidden count's
//! range (csa-report `public::spec::audit_packs`).

use csa_disclosure::{satisfied, State};

use crate::cli::AuditArgs;
use crate::exit::{Reported, AUDIT_FAILED};

pub fn run(a: AuditArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let r = csa_report::public::spec::audit_packs(&a.packs, true)?;
    let m = &r.model;
    let mut cells: Vec<(&str, String, String, bool)> = r
        .outcome
        .ranges
        .iter()
        .map(|(&id, range)| {
            let c = &m.cells[id];
            let what = match c.state {
                State::Hidden(s) => s.text().to_string(),
                _ => "latent".to_string(),
            };
            let hi = range.hi.map_or("".to_string(), |h| h.to_string());
            (c.key.as_str(), what, format!("{}..{hi}", range.lo), satisfied(c.state, range.lo, range.hi))
        })
        .collect();
    cells.sort();
    println!("key\tshown\trange\tverdict");
    for (key, what, range, ok) in &cells {
        if !a.failures || !ok {
            println!("{key}\t{what}\t{range}\t{}", if *ok { "ok" } else { "FAIL" });
        }
    }
    for p in &r.problems {
        println!("FAIL\t{p}");
    }
    let failed = cells.iter().filter(|c| !c.3).count();
    eprintln!(
        "csa audit: {} hidden or implied counts in {} independent parts (largest {}), {} integer programmes, {:.1} s: {}",
        cells.len(),
        r.outcome.components,
        r.outcome.largest,
        r.outcome.solves,
        started.elapsed().as_secs_f64(),
        if r.passed() {
            "every range meets the rule".to_string()
        } else {
            format!("{failed} cells fail the rule, {} other problems", r.problems.len())
        }
    );
    if r.passed() {
        Ok(())
    } else {
        Err(Reported(AUDIT_FAILED).into())
    }
}
