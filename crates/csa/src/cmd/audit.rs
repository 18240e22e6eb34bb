//! `csa audit`: audits public packs from their files alone and prints every hidden count's
//! range (csa-report `public::spec::audit_packs`).

use csa_disclosure::State;

use crate::cli::AuditArgs;
use crate::exit::{Reported, AUDIT_FAILED};

pub fn run(a: AuditArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let r = csa_report::public::spec::audit_packs(&a.packs, !a.quick)?;
    let m = &r.model;
    // the verdict is the audit's: a failing cell's range is exact; a range from witnesses
    // alone (--quick) lies inside the true one, which met the rule
    let failed: std::collections::BTreeSet<usize> =
        r.outcome.failures.iter().map(|f| f.cell).collect();
    let mut cells: Vec<(&str, String, String, bool, bool)> = r
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
            (
                c.key.as_str(),
                what,
                format!("{}..{hi}", range.lo),
                range.exact,
                !failed.contains(&id),
            )
        })
        .collect();
    cells.sort();
    println!("key\tshown\trange\texact\tverdict");
    for (key, what, range, exact, ok) in &cells {
        if !a.failures || !ok {
            let exact = if *exact { "yes" } else { "no" };
            println!("{key}\t{what}\t{range}\t{exact}\t{}", if *ok { "ok" } else { "FAIL" });
        }
    }
    for p in &r.problems {
        println!("FAIL\t{p}");
    }
    let failed = cells.iter().filter(|c| !c.4).count();
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
