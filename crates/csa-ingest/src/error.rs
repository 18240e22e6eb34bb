//! Errors of the ingest crate, split by audience: bad input the user can fix (which file,
//! which column) versus failures of the machine or of csa itself.
//!
//! Row-level problems are never errors: they go to quarantine. An error stops the whole
//! ingest before anything is written.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{}: cannot read: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: file is empty (no header line)", path.display())]
    EmptyFile { path: PathBuf },
    #[error("{}: not a police.uk street-level file: {detail}", path.display())]
    BadHeader { path: PathBuf, detail: String },
    #[error("{}: missing required column `{column}`{hint}", path.display())]
    MissingColumn { path: PathBuf, column: String, hint: String },
    #[error("{}: bad column mapping: {detail}", path.display())]
    BadMapping { path: PathBuf, detail: String },
    #[error("{}: {source}", path.display())]
    Boundaries { path: PathBuf, source: csa_geo::BoundaryError },
    #[error("{}: not UTF-8 text (re-save it as UTF-8)", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("{}: bad LSOA lookup: {detail}", path.display())]
    BadLookup { path: PathBuf, detail: String },
    #[error("{}: cannot read as Parquet: {detail}", path.display())]
    Parquet { path: PathBuf, detail: String },
    #[error("{}: {detail}", path.display())]
    NoInputs { path: PathBuf, detail: String },
    #[error("no inputs: give --police-uk PATH and/or --extract DIR")]
    NothingToIngest,
    #[error("{}: cannot write the dataset: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{}: cannot write Parquet: {detail}", path.display())]
    WriteParquet { path: PathBuf, detail: String },
    #[error("internal error (please report): {0}")]
    Internal(String),
}

impl IngestError {
    /// True when the user can fix the problem by changing an input or an option.
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            IngestError::Write { .. } | IngestError::WriteParquet { .. } | IngestError::Internal(_)
        )
    }
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;
