//! Errors of the server, split by audience: what a request did wrong (a 4xx status with a
//! sentence the user can act on) and what went wrong on the server's side (500; the detail
//! goes to the log, the page says only that it failed). Startup errors (users file,
//! certificates, dataset) name the file to fix.

use std::path::PathBuf;

use csa_analysis::AnalysisError;

pub type Result<T, E = ServeError> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ServeError {
    /// 400: a malformed, oversized or unknown parameter.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid session (the API; pages redirect to the sign-in page instead).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: signed in, but the role or the sub-groups do not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// 429: too many failed sign-ins; try again after this many seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    /// 503: the dataset could not be loaded (yet).
    #[error("{0}")]
    Unavailable(String),
    /// A file the server needs (users, certificate, key, audit log) is missing or wrong.
    #[error("{}: {detail}", path.display())]
    File { path: PathBuf, detail: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServeError {
    /// The HTTP status of the error.
    pub fn status(&self) -> u16 {
        match self {
            ServeError::BadRequest(_) => 400,
            ServeError::Unauthorized(_) => 401,
            ServeError::Forbidden(_) => 403,
            ServeError::NotFound(_) => 404,
            ServeError::TooMany { .. } => 429,
            ServeError::Unavailable(_) => 503,
            ServeError::File { .. } | ServeError::Internal(_) => 500,
        }
    }

    /// Whether the user (or the person starting the server) can fix it.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, ServeError::Internal(_))
    }

    /// What the response says: the message for request errors, a plain sentence otherwise
    /// (the detail of a server-side failure is for the log, not the browser).
    pub fn public_message(&self) -> String {
        match self {
            ServeError::File { .. } | ServeError::Internal(_) => {
                "the server could not answer this request; the administrator can find the detail in the server's log".into()
            }
            e => e.to_string(),
        }
    }
}

impl From<AnalysisError> for ServeError {
    fn from(e: AnalysisError) -> ServeError {
        match e {
            AnalysisError::Usage(_)
            | AnalysisError::UnknownPriority { .. }
            | AnalysisError::UnknownDimension { .. } => ServeError::BadRequest(e.to_string()),
            AnalysisError::Internal(_) | AnalysisError::Write { .. } => {
                ServeError::Internal(e.to_string())
            }
            // the dataset, config or population files changed under the server
            other => ServeError::Unavailable(other.to_string()),
        }
    }
}

/// A failure that is not the user's to fix.
pub fn internal(e: impl std::fmt::Display) -> ServeError {
    ServeError::Internal(e.to_string())
}
