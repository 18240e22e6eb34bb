//! `csa synth`: write a synthetic year and its ground truth.

use anyhow::Context;
use csa_synth::SynthOptions;

use crate::cli::{SynthArgs, SynthFormat};

pub fn run(a: SynthArgs, _quiet: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let opts = SynthOptions { crimes: a.crimes, asb: a.asb.unwrap_or(a.crimes / 4), seed: a.seed, year: a.year };
    let s = csa_synth::generate(&opts)?;
    let files = match a.format {
        SynthFormat::Extract => csa_synth::write_extract(&s, &a.out, a.gzip),
        SynthFormat::PoliceUk => csa_synth::write_police_uk(&s, &a.out, a.gzip),
    }
    .with_context(|| format!("cannot write to {}", a.out.display()))?;
    let truth = a.out.join("ground_truth.json");
    csa_synth::write_ground_truth(&s, &truth).with_context(|| format!("cannot write {}", truth.display()))?;
    println!(
        "wrote {} crimes and {} ASB incidents (seed {}) to {} in {} files plus ground_truth.json ({:.1} s)",
        opts.crimes, opts.asb, opts.seed, a.out.display(), files.len(), started.elapsed().as_secs_f64()
    );
    Ok(())
}
