//! One file per subcommand.

pub mod assess;
pub mod audit;
pub mod breakdown;
pub mod consultation;
pub mod hotspots;
pub mod ingest;
pub mod quarterly;
pub mod reoffending;
pub mod serve;
pub mod survey;
pub mod synth;
pub mod user;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The dataset folder: the flag, else the configuration's `[assessment] dataset`.
pub(crate) fn dataset_of(
    flag: Option<&Path>,
    config: &csa_analysis::Config,
) -> anyhow::Result<PathBuf> {
    flag.map(Path::to_path_buf).or_else(|| config.dataset.clone()).ok_or_else(|| {
        crate::exit::UsageError(
            "no dataset: give --dataset DIR (or name one in the config's [assessment] dataset)"
                .into(),
        )
        .into()
    })
}

/// Writes `bytes` to `path` through `.NAME.partial` beside it and a rename, so a reader never
/// sees half a file.
/// Writes each named table as `NAME.csv` into `out` (created when missing).
pub(crate) fn write_csv_tables<N: AsRef<str>>(
    out: &Path,
    tables: &[(N, polars::prelude::DataFrame)],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    for (name, df) in tables {
        let mut buf = Vec::new();
        csa_analysis::export::write_csv(df, &mut buf)?;
        let path = out.join(format!("{}.csv", name.as_ref()));
        std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}
