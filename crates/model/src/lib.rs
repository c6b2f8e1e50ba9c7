//! Wire types and shared rules of medoffice.
//!
//! Everything that crosses the wire between the central server and the desktop client lives
//! here, together with the validation both sides apply, so they cannot drift apart. TypeScript
//! declarations for the desktop UI are generated from these types by `ts-rs` (run
//! `cargo test -p medoffice-model`; they land in `ui/src/bindings/`). The clinical rules the UI
//! applies while a person types are generated there too, as one value ([`rules`]), so the UI
//! keeps no copy of them.
//!
//! This crate does no I/O.

pub mod account;
pub mod appointment;
pub mod audit;
pub mod auth;
pub mod availability;
pub mod conventions;
pub mod correction;
pub mod error;
mod fields;
pub mod merge;
pub mod paediatric;
pub mod patient;
pub mod recurrence;
pub mod room;
pub mod rules;
pub mod search;
pub mod sync;
pub mod visit_type;
pub mod vitals;

pub use account::*;
pub use appointment::*;
pub use audit::*;
pub use auth::*;
pub use availability::*;
pub use conventions::*;
pub use correction::*;
pub use error::*;
pub use fields::WireField;
pub use paediatric::*;
pub use patient::*;
pub use recurrence::*;
pub use room::*;
pub use rules::*;
pub use sync::*;
pub use visit_type::*;
pub use vitals::*;
