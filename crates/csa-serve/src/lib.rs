//! csa serve: the sub-group lead's workspace in the browser. A local web server over one
//! csa dataset and the same analysis API as the command line, with sign-in, roles and an
//! audit log of who looked at what.
//!
//! ```text
//! browser ──HTTP(S)──> server (axum on tokio): guard (limits, session, headers, audit)
//!                          │
//!                          ├─ access: partner (their sub-groups) / public / admin
//!                          ├─ query: parameters -> ViewQuery (same as csa breakdown's flags)
//!                          └─ state: the dataset loaded once -> Data::slice -> View::answer
//!                                    (csa-analysis) -> shown (exact, or public::publish
//!                                    through csa-report's public edition) -> page / CSV /
//!                                    XLSX / JSON
//! ```
//!
//! The library never prints: the server reports through [`server::Event`]s, which the CLI
//! (`csa serve`) writes to stderr.

pub mod access;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod error;
pub mod figures;
pub mod html;
pub mod pages;
pub mod public;
pub mod query;
pub mod server;
pub mod shown;
pub mod state;
pub mod tls;
pub mod users;

pub use error::{Result, ServeError};
pub use server::{Event, Options, Server};
pub use users::{Role, Users};
