//! The workflow layer: one function per step of the office, called by every front end.
//!
//! A step takes the caller and a typed command (`crate::wire`), asks `mimamori_policy::access`
//! (recording a refusal in the ledger before it is returned), validates its input, and does all
//! of its writes (the record, its event, any alert) in one transaction through `mimamori_db`. It
//! returns a typed result or an [`ApiError`](crate::ApiError) that names the rule. The JSON API
//! (`crate::http`) only extracts, calls and responds; the staff web pages call the same
//! functions, so a rule cannot be enforced on one front end and forgotten on the other.
//!
//! Adding a step, from rule to test: the rule's `Action` (and, for the chain, its `Step` and
//! transition) in `mimamori_policy`; the event's variant in `mimamori_ledger::vocabulary`; the
//! record's change in the aggregate's file of `mimamori_db`; the step here; its route in
//! `crate::http`; its row in `docs/conformance.md`; and a test that the rule refuses what it
//! should (`chain_tests.rs`).

pub mod alerts;
mod attempt;
pub mod chain;
pub mod delegations;
pub mod documents;
pub mod emergency;
pub mod enrolment;
pub mod fields;
pub mod form1;
pub mod history;
pub mod holds;
pub mod inquiries;
pub mod inquiry_form;
pub mod ledger;
pub mod my_work;
pub mod orders;
pub mod proposals;
pub mod provisions;
pub mod public;
pub mod register;
pub mod retrieval;
pub mod sessions;
pub mod signin;
pub mod staff;
pub mod statistics;
pub mod terminals;
