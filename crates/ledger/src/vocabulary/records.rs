//! Payloads of the events issue 13 added: a person's other sessions ended, and a paper form
//! printed with its PDF's hash.

use serde::{Deserialize, Serialize};

/// N3.3.1: how many of a person's other sessions they ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionsEnded {
    pub ended: u64,
}

/// A paper form mimamori prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperForm {
    /// 様式第1号, the image register (N9.3).
    Form1,
    /// 様式第2号, an outside body's application and pledge (N10.1).
    Form2,
    /// 様式第3号, the emergency application and pledge (N11.2).
    Form3,
    /// The written confirmation of a delegation (N10.2).
    Delegation,
}

/// A form printed: which, about what (a request's or a delegation's number), and its PDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentIssued {
    pub form: PaperForm,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<i64>,
    pub sha256: String,
    pub bytes: u64,
}
