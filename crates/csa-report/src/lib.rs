//! csa report: the annual strategic assessment pack that `csa assess` writes.
//!
//! ```text
//! Assessment (csa-analysis) ─> build ─> tables (exact) ─┬─ restricted: as they are
//!      + survey, manifest                               └─ public: Table::publish (disclosure)
//!                                                          │
//!              figures (charts, maps) <────────────────────┤ drawn from the published tables
//!              layers (GeoJSON), summary.json, report.html ┘
//! ```
//!
//! [`write_pack`] writes everything into a fresh folder beside the output and swaps it in at
//! the end, so a failed or killed run leaves the previous pack whole. Everything is
//! deterministic: the same inputs give the same bytes, except the one `generated_at`
//! timestamp in `summary.json` and `report.html`.
//!
//! The library never prints.

pub mod build;
pub mod consultation;
pub mod edition;
pub mod equalities;
pub mod figures;
pub mod html;
pub mod ids;
pub mod layers;
pub mod part;
pub mod peers;
pub mod public;
pub mod reoffending;
pub mod review;
pub mod serious_violence;
pub mod summary;
pub mod table;
pub mod trends;
pub mod write;

pub use build::{build, Built};
pub use edition::{Edition, PackOptions};
pub use part::PriorityPart;
pub use write::{write_pack, PackSummary};
