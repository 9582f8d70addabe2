//! Payloads of the inquiry events (issue 14; T3.3 c, T8): what the public sent, who was given
//! it, the answers, a provision started for a request to see one's own footage (T6.1 d), the
//! closing and the overdue alert.
//!
//! The ledger is kept for ever and handed to auditors; what a member of the public writes, and
//! what the ward writes back to them, is personal information the ward must be able to correct
//! and erase. So the ledger keeps each text's SHA-256 (which the stored text must match) and
//! never the text itself.

use mimamori_policy::inquiry::{Category, Receipt};
use mimamori_policy::RequestId;
use serde::{Deserialize, Serialize};

/// T3.3 c: the public form delivered a message (the actor is `system:public`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryReceived {
    pub receipt: Receipt,
    pub category: Category,
    pub message_sha256: String,
    /// Whether the person left a way to reach them (the contact itself is not recorded).
    pub contact_given: bool,
}

/// T8: the Manager gave the inquiry to someone to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryAssigned {
    pub receipt: Receipt,
    pub assignee: String,
}

/// An internal note (the person does not see it), or an answer they see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryWritten {
    pub receipt: Receipt,
    pub category: Category,
    pub text_sha256: String,
    /// The ward's first answer to this inquiry: when "time to answer" ends.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first: bool,
}

/// T6.1 d: a request to see one's own footage became provision request `request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryProvisionStarted {
    pub receipt: Receipt,
    pub request: RequestId,
}

/// T8: the Manager closed the inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryClosed {
    pub receipt: Receipt,
    pub category: Category,
}

/// T8: no answer by the policy's day; alert `alert` is open until the first answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryOverdue {
    pub receipt: Receipt,
    pub alert: i64,
}
