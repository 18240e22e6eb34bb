//! Exit codes, documented in `csa --help` and the README.

/// Success.
pub const OK: i32 = 0;
/// An internal error: a bug in csa, or the machine failed (disk full, permissions on output).
pub const INTERNAL: i32 = 1;
/// Bad input or usage: the user can fix it (the message says which file, row or column).
pub const BAD_INPUT: i32 = 2;

/// A user-fixable problem detected by the CLI itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn code_for(e: &anyhow::Error) -> i32 {
    for cause in e.chain() {
        if let Some(ie) = cause.downcast_ref::<csa_ingest::IngestError>() {
            return if ie.is_bad_input() { BAD_INPUT } else { INTERNAL };
        }
        if let Some(ae) = cause.downcast_ref::<csa_analysis::AnalysisError>() {
            return if ae.is_user_error() { BAD_INPUT } else { INTERNAL };
        }
        if let Some(se) = cause.downcast_ref::<csa_serve::ServeError>() {
            return if se.is_user_error() { BAD_INPUT } else { INTERNAL };
        }
        if cause.downcast_ref::<UsageError>().is_some()
            || cause
                .downcast_ref::<csa_synth::SynthError>()
                .is_some_and(|s| matches!(s, csa_synth::SynthError::NoCrimes))
        {
            return BAD_INPUT;
        }
    }
    INTERNAL
}

/// The command has reported its outcome itself (a JSON log line, or exceptions found with
/// `--exceptions-exit-code`); exit with this code and print nothing more.
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
pub struct Reported(pub i32);
