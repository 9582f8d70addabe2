//! The JSON API's routes. A handler extracts the caller and the body, calls one step of
//! `crate::workflow`, and turns its result into a response; it decides nothing itself.

pub mod alerts;
pub mod auth;
pub mod documents;
pub mod form1;
pub mod inquiries;
pub mod outside;
pub mod register;
pub mod requests;
pub mod staff;
pub mod terminals;
