//! `csa synth`: write a synthetic year and its ground truth, and/or a synthetic survey.

use anyhow::Context;
use csa_synth::SynthOptions;

use crate::cli::{SynthArgs, SynthFormat};
use crate::exit::UsageError;

pub fn run(a: SynthArgs, _quiet: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if let Some(n) = a.survey {
        if n == 0 {
            return Err(UsageError("--survey must be at least 1".into()).into());
        }
        std::fs::create_dir_all(&a.out)
            .with_context(|| format!("cannot create {}", a.out.display()))?;
        let path = a.out.join("survey.csv");
        if a.survey_biased {
            // Coventry's wards from the shipped Census tables (16+ by the survey's age bands)
            let wards: Vec<csa_synth::survey::WardResidents> =
                csa_analysis::consultation::shipped_ward_residents(
                    "E08000026",
                    &[16, 25, 35, 45, 55, 65],
                )?
                .into_iter()
                .map(|(name, ages, female_share)| csa_synth::survey::WardResidents {
                    name,
                    by_age: std::array::from_fn(|i| ages.get(i).copied().unwrap_or(0.0)),
                    female_share,
                })
                .collect();
            let (text, truth) = csa_synth::survey::biased_survey_csv(n, a.seed, &wards);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let ppath = a.out.join("survey_population.csv");
            std::fs::write(&ppath, csa_synth::survey::population_csv(&wards))
                .with_context(|| format!("cannot write {}", ppath.display()))?;
            let tpath = a.out.join("survey_truth.json");
            std::fs::write(&tpath, serde_json::to_string_pretty(&truth)?)
                .with_context(|| format!("cannot write {}", tpath.display()))?;
            println!(
                "wrote {n} survey respondents, a biased sample (seed {}), to {}, the population's truth to {} and its residents by ward, age band and sex to {}",
                a.seed,
                path.display(),
                tpath.display(),
                ppath.display()
            );
        } else {
            let text = csa_synth::survey::survey_csv(n, a.seed, &csa_synth::ward_names()?);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {n} survey respondents (seed {}) to {}", a.seed, path.display());
        }
    }
    let Some(crimes) = a.crimes else { return Ok(()) };
    let opts =
        SynthOptions { crimes, asb: a.asb.unwrap_or(crimes / 4), seed: a.seed, year: a.year };
    let s = csa_synth::generate(&opts)?;
    let files = match a.format {
        SynthFormat::Extract => csa_synth::write_extract(&s, &a.out, a.gzip),
        SynthFormat::PoliceUk => csa_synth::write_police_uk(&s, &a.out, a.gzip),
    }
    .with_context(|| format!("cannot write to {}", a.out.display()))?;
    let truth = a.out.join("ground_truth.json");
    csa_synth::write_ground_truth(&s, &truth)
        .with_context(|| format!("cannot write {}", truth.display()))?;
    println!(
        "wrote {} crimes and {} ASB incidents (seed {}) to {} in {} files plus ground_truth.json ({:.1} s)",
        opts.crimes, opts.asb, opts.seed, a.out.display(), files.len(), started.elapsed().as_secs_f64()
    );
    Ok(())
}
