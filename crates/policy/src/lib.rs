//! The ward's guideline as data.
//!
//! A ward fills the blanks of its guideline (○○ days of retention, which cameras, who operates
//! them) into one TOML policy file; this crate parses it, refuses every way it can be wrong with
//! the file, line and field named, and answers the questions the rest of mimamori asks of it
//! (when may a day's footage be erased?). It does no I/O except reading the policy file and the
//! credential files the policy points to.

pub mod access;
mod camera;
pub mod chain;
mod error;
mod file;
mod ids;
pub mod inquiry;
pub mod lease;
mod names;
mod office;
pub mod register;
mod retention;
mod rule;
mod settings;
mod source;

pub use camera::{Camera, CameraId, Credentials, CredentialsRef, Transport};
pub use error::{PolicyError, Problem};
pub use file::{is_local_government_code, ByteSize, Ledger, Policy, Recording, Retention, Ward};
pub use ids::{
    is_identifier, AppointmentId, DelegationId, Login, NotAnIdentifier, ProposalId, RequestId,
    StaffId, TerminalId,
};
pub use names::UnknownName;
pub use office::{Emergency, Office};
pub use retention::{day_of, RetentionDays};
pub use rule::{Rule, Rules};
pub use settings::settings_changes;
