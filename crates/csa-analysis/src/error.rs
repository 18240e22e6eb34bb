//! Errors of the analysis layer. Each names what the user should fix: the config file and
//! line, the dataset folder, the priority or dimension with the valid choices.

use std::path::PathBuf;

pub type Result<T, E = AnalysisError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A mistake in an assessment configuration, at `line:column` (1-based).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Config { path: PathBuf, line: usize, column: usize, message: String },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: {detail}", path.display())]
    Dataset { path: PathBuf, detail: String },
    #[error("{}: line {line}: {detail}", path.display())]
    Population { path: PathBuf, line: u64, detail: String },
    #[error("unknown priority {name:?}; the priorities are: {}", valid.join(", "))]
    UnknownPriority { name: String, valid: Vec<String> },
    #[error("unknown dimension {name:?}; the dimensions are: {}", valid.join(", "))]
    UnknownDimension { name: String, valid: Vec<String> },
    /// A bad row of a small input file (an offender cohort file), 1-based line.
    #[error("{}: line {line}: {detail}", path.display())]
    Input { path: PathBuf, line: u64, detail: String },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {detail}", path.display())]
    Write { path: PathBuf, detail: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AnalysisError {
    /// Exit-code class: true when the user's input or request is at fault.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, AnalysisError::Internal(_) | AnalysisError::Write { .. })
    }
}

/// A polars or other library failure that is not the user's to fix.
pub fn internal(e: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Internal(e.to_string())
}
