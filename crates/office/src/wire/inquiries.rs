//! What the inquiry steps take and give (issue 14; T3.3 c, T8, T6.1 d). Times are UTC; the
//! pages show them in the ward's time zone.

use jiff::Timestamp;
use mimamori_db::vocabulary::IdentityCheck;
use mimamori_policy::chain::RequestState;
use mimamori_policy::inquiry::{Category, InquiryState, Receipt};
use mimamori_policy::RequestId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the public form sends. `website` is a field people never see (a honeypot): a message
/// that fills it in is refused.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct InquiryInput {
    /// `inquiry`, `complaint`, `own_footage` (T6.1 d) or `other`.
    pub category: String,
    /// At most 2000 characters.
    pub message: String,
    /// How to reach the person, if they want an answer other than on the status page; at most
    /// 200 characters.
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub website: String,
}

/// The receipt: its number and the secret that opens its status page. The secret is shown
/// this once; the office keeps only its hash.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Submitted {
    #[schema(value_type = String, example = "2026-00042")]
    pub receipt: Receipt,
    /// `XXXX-XXXX-XXXX-XXXX`.
    pub secret: String,
    /// When the ward answers by at the latest (T8).
    pub answer_due: Timestamp,
}

/// The receipt number and its secret, to see the status.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StatusInput {
    pub receipt: String,
    pub secret: String,
}

/// What the person sees: the state, and the ward's answers (never the staff's notes nor who
/// wrote what).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicStatus {
    #[schema(value_type = String)]
    pub receipt: Receipt,
    pub category: Category,
    pub state: InquiryState,
    pub received: Timestamp,
    pub answer_due: Timestamp,
    pub answers: Vec<PublicAnswer>,
    pub closed: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicAnswer {
    pub at: Timestamp,
    pub text: String,
}

/// An inquiry as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InquiryOut {
    #[schema(value_type = String)]
    pub receipt: Receipt,
    pub category: Category,
    pub state: InquiryState,
    pub message: String,
    pub contact: Option<String>,
    pub received: Timestamp,
    /// T8: the day the first answer is due.
    pub answer_due: Timestamp,
    /// No answer yet, and past `answer_due`.
    pub overdue: bool,
    pub assignee: Option<String>,
    /// The first answer, or the provision request started instead (T6.1 d).
    pub first_answered: Option<Timestamp>,
    pub closed: Option<Timestamp>,
    /// T6.1 d: the provision request a request to see one's own footage became, and where it
    /// is now (declined, handed over …), so staff know when to answer and close.
    #[schema(value_type = Option<i64>)]
    pub request: Option<RequestId>,
    pub request_state: Option<RequestState>,
    /// Notes and answers, oldest first (in the list, empty).
    pub entries: Vec<EntryOut>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryOut {
    /// `note` (staff only) or `answer` (the person sees it).
    pub kind: String,
    pub author: String,
    pub at: Timestamp,
    pub text: String,
}

/// T8: who answers it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AssignInput {
    pub assignee: String,
}

/// A note or an answer, at most 4000 characters.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TextInput {
    pub text: String,
}

/// T6.1 d, T6.2: the person came with their identity document; their request becomes a
/// provision request on the ground of their own consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OwnFootageInput {
    /// The person's name, as their identity document gives it.
    pub applicant: String,
    /// Which footage they ask for (place, day, time), as they describe it.
    pub reason: String,
    pub identity_check: IdentityCheck,
}
