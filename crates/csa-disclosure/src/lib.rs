//! csa disclosure: protecting linked tables of counts, and proving they are protected.
//!
//! ```text
//! tables ──> Model (cells, constraints) ──> protect: primary "<5", secondary "*" ──> audit
//!            (csa-report builds it from            (group by group)                 (every hidden
//!             the pack or from its files)                                             cell's range)
//! ```
//!
//! - [`model`]: cells (shown, hidden behind `<5` / `*`, latent), linear constraints, and the
//!   rule a hidden cell's feasible range must meet;
//! - [`propagate`]: bounds tightening (interval propagation);
//! - [`audit`]: every hidden and latent cell's feasible range over whole numbers (integer
//!   programmes with microlp), by independent components;
//! - [`protect`]: chooses the cells to hide so that the audit passes.
//!
//! No I/O and no polars: the report crate turns tables into a [`model::Model`].

pub mod audit;
pub mod model;
pub mod propagate;
pub mod protect;

pub use audit::{audit, AuditError, AuditOptions, Outcome, Range};
pub use model::{satisfied, Cell, CellId, Constraint, Model, State, Symbol, THRESHOLD};
pub use protect::{protect, ProtectError, Protection};
