//! Inquiries and complaints from the public (issue 14; T3.3 c, T8).
//!
//! Anyone may write to the ward about its cameras, without an account: a question, a complaint,
//! a request to see footage of oneself (T6.1 d) or anything else. The Manager and the Operator
//! answer them (T3.3 c), the Manager answers for it being done sincerely and quickly (T8). This
//! module says what may happen to an inquiry from the state it is in ([`next_state`]), when it
//! is overdue ([`Inquiries::is_overdue`]) and how long what the public sends may be.
//!
//! A request to see one's own footage is not answered with free text: it is a provision to the
//! person identifiable in the footage (T6.1 d), judged by the Manager and handed over with an
//! identity check (T6.2), so its one way forward is to start a provision request.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::access::Refusal;
use crate::Rule;

/// The longest message the public form takes, in characters.
pub const MESSAGE_MAX_CHARS: usize = 2000;
/// The longest contact (a mail address, a telephone number, a postal address).
pub const CONTACT_MAX_CHARS: usize = 200;
/// The longest note or answer a member of staff writes.
pub const REPLY_MAX_CHARS: usize = 4000;

/// An inquiry's receipt number, as the person is given it: the ward's year and a serial within
/// it, `2026-00042`. It names the inquiry and is printed on every page about it; it is not a
/// secret (the receipt's key is).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Receipt(String);

impl Receipt {
    /// The receipt of the `serial`-th inquiry (from 1) of `year`.
    pub fn new(year: i16, serial: u32) -> Option<Receipt> {
        ((1000..=9999).contains(&year) && (1..=99_999).contains(&serial))
            .then(|| Receipt(format!("{year:04}-{serial:05}")))
    }

    pub fn parse(text: &str) -> Option<Receipt> {
        let b = text.as_bytes();
        let ok = b.len() == 10
            && b[4] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        ok.then(|| Receipt(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Receipt {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Receipt::parse(&text).ok_or_else(|| format!("{text:?} is not a receipt number"))
    }
}

impl From<Receipt> for String {
    fn from(r: Receipt) -> String {
        r.0
    }
}

/// What the person writes about (the public form's first question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A question about the cameras (T3.3 c).
    Inquiry,
    /// A complaint (T8).
    Complaint,
    /// A request to see footage of oneself (T6.1 d): it becomes a provision request.
    OwnFootage,
    Other,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Inquiry,
        Category::Complaint,
        Category::OwnFootage,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Inquiry => "inquiry",
            Category::Complaint => "complaint",
            Category::OwnFootage => "own_footage",
            Category::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl TryFrom<String> for Category {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Category::parse(&text).ok_or_else(|| format!("unknown inquiry category {text:?}"))
    }
}

/// Where an inquiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InquiryState {
    /// Received; nobody has taken it yet.
    Received,
    /// The Manager gave it to someone to answer.
    Assigned,
    /// The person has an answer (they may get more before it is closed).
    Answered,
    /// A request to see one's own footage became a provision request (T6.1 d).
    InProvision,
    /// Closed by the Manager (T8); nothing more is added.
    Closed,
}

impl InquiryState {
    pub const ALL: [InquiryState; 5] = [
        InquiryState::Received,
        InquiryState::Assigned,
        InquiryState::Answered,
        InquiryState::InProvision,
        InquiryState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InquiryState::Received => "received",
            InquiryState::Assigned => "assigned",
            InquiryState::Answered => "answered",
            InquiryState::InProvision => "in_provision",
            InquiryState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<InquiryState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still waiting for the ward's first answer: what the overdue alert watches (T8).
    pub fn awaits_answer(self) -> bool {
        matches!(self, InquiryState::Received | InquiryState::Assigned)
    }
}

impl TryFrom<String> for InquiryState {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        InquiryState::parse(&text).ok_or_else(|| format!("unknown inquiry state {text:?}"))
    }
}

/// What staff do with an inquiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InquiryStep {
    /// The Manager gives it to someone (or to someone else).
    Assign,
    /// An internal note; the person does not see it.
    Note,
    /// An answer the person sees on their status page.
    Answer,
    /// T6.1 d: a request to see one's own footage becomes a provision request.
    StartProvision,
    /// T8: done.
    Close,
    /// T8: the Manager closes an inquiry with a last answer, whatever it waits for: a message
    /// that needs nothing more (spam, a duplicate), a person who never came to the counter for
    /// their own footage, a provision request that was declined.
    Dismiss,
}

/// The state `step` leads to, or the refusal naming the rule.
pub fn next_state(
    current: InquiryState,
    category: Category,
    step: InquiryStep,
) -> Result<InquiryState, Refusal> {
    use InquiryState::*;
    use InquiryStep::*;
    let refuse = |code, rule, en: &str, ja: &str| Err(Refusal::new(code, rule, en, ja));
    match (current, step) {
        (Closed, _) => refuse(
            "inquiry_closed",
            Rule::T8,
            "the inquiry is closed; nothing more is added to it",
            "この問合せは終了しています。追記はできません",
        ),
        (Received, Assign) => Ok(Assigned),
        (state, Assign | Note) => Ok(state),
        (InProvision, Answer) => Ok(InProvision),
        (_, Answer) if category == Category::OwnFootage => refuse(
            "own_footage_is_a_provision",
            Rule::T6_1d,
            "a request to see footage of oneself is judged as a provision (T6.1 d) with an \
             identity check (T6.2): start a provision request instead of answering",
            "本人の映像の閲覧・提供の申出は、提供の手続（T6.1 d、本人確認 T6.2）で判断します。回答ではなく提供依頼を開始してください",
        ),
        (_, Answer) => Ok(Answered),
        (InProvision, StartProvision) => refuse(
            "provision_started",
            Rule::T6_1d,
            "a provision request was already started for this inquiry",
            "この申出の提供依頼はすでに開始されています",
        ),
        (_, StartProvision) if category != Category::OwnFootage => refuse(
            "not_own_footage",
            Rule::T6_1d,
            "only a request to see footage of oneself becomes a provision request",
            "提供依頼を開始できるのは本人の映像の申出だけです",
        ),
        (_, StartProvision) => Ok(InProvision),
        (Answered | InProvision, Close) => Ok(Closed),
        (Received | Assigned, Close) => refuse(
            "not_answered",
            Rule::T8,
            "the inquiry has no answer yet: answer it before closing it",
            "まだ回答していません。回答してから終了してください",
        ),
        (_, Dismiss) => Ok(Closed),
    }
}

/// T3.3 c: an inquiry is given only to someone whose role answers inquiries (the Manager or
/// the Operations lead) that day; `answers` says whether the assignee holds such a role.
pub fn check_assignee(assignee: &str, answers: bool) -> Result<(), Refusal> {
    if answers {
        return Ok(());
    }
    Err(Refusal::new(
        "not_an_answerer",
        Rule::T3_3,
        format!(
            "{assignee:?} does not hold a role that answers inquiries (Manager, Operations lead)"
        ),
        format!("{assignee:?} は問合せに回答する役割（管理責任者・運用責任者）にありません"),
    ))
}

/// The `[office.inquiries]` section, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inquiries {
    /// T8 "quickly": an inquiry without an answer this long after it arrived raises an alert
    /// for the Manager.
    pub answer_within: Duration,
    /// Messages one network address may send an hour; more are refused (the form is public).
    pub per_address_per_hour: u32,
}

impl Default for Inquiries {
    fn default() -> Self {
        Inquiries {
            answer_within: Duration::from_secs(14 * 86_400),
            per_address_per_hour: 5,
        }
    }
}

impl Inquiries {
    /// When an inquiry received at `received` is due its first answer.
    pub fn due(&self, received: Timestamp) -> Timestamp {
        let within = SignedDuration::try_from(self.answer_within).unwrap_or(SignedDuration::MAX);
        received.checked_add(within).unwrap_or(Timestamp::MAX)
    }

    /// T8: still without an answer past its due time.
    pub fn is_overdue(&self, state: InquiryState, received: Timestamp, now: Timestamp) -> bool {
        state.awaits_answer() && now > self.due(received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::*;
    use InquiryState::*;
    use InquiryStep::*;

    #[test]
    fn t8_an_inquiry_is_assigned_answered_and_closed() {
        assert_eq!(next_state(Received, Complaint, Assign), Ok(Assigned));
        assert_eq!(next_state(Assigned, Complaint, Assign), Ok(Assigned));
        assert_eq!(next_state(Assigned, Complaint, Note), Ok(Assigned));
        assert_eq!(next_state(Received, Complaint, Answer), Ok(Answered));
        assert_eq!(next_state(Answered, Complaint, Answer), Ok(Answered));
        assert_eq!(next_state(Answered, Complaint, Close), Ok(Closed));
    }

    #[test]
    fn t8_an_inquiry_is_not_closed_unanswered_nor_changed_once_closed() {
        let code = |r: Result<InquiryState, Refusal>| r.unwrap_err().code;
        assert_eq!(code(next_state(Received, Inquiry, Close)), "not_answered");
        assert_eq!(code(next_state(Assigned, Other, Close)), "not_answered");
        for step in [Assign, Note, Answer, StartProvision, Close, Dismiss] {
            let refusal = next_state(Closed, Inquiry, step).unwrap_err();
            assert_eq!((refusal.code, refusal.rule), ("inquiry_closed", Rule::T8));
        }
    }

    #[test]
    fn t6_1d_own_footage_becomes_a_provision_not_an_answer() {
        let refusal = next_state(Assigned, OwnFootage, Answer).unwrap_err();
        assert_eq!(
            (refusal.code, refusal.rule),
            ("own_footage_is_a_provision", Rule::T6_1d)
        );
        assert_eq!(
            next_state(Assigned, OwnFootage, StartProvision),
            Ok(InProvision)
        );
        assert_eq!(next_state(InProvision, OwnFootage, Answer), Ok(InProvision));
        assert_eq!(next_state(InProvision, OwnFootage, Close), Ok(Closed));
        let again = next_state(InProvision, OwnFootage, StartProvision).unwrap_err();
        assert_eq!(again.code, "provision_started");
        let other = next_state(Received, Complaint, StartProvision).unwrap_err();
        assert_eq!((other.code, other.rule), ("not_own_footage", Rule::T6_1d));
    }

    /// T8: the Manager can always end an inquiry with a last answer, also one that waits for
    /// a provision or never got a first answer; an own-footage request that will not become a
    /// provision is closed this way.
    #[test]
    fn t8_the_manager_closes_with_a_last_answer_from_any_open_state() {
        for state in [Received, Assigned, Answered, InProvision] {
            for category in Category::ALL {
                assert_eq!(next_state(state, category, Dismiss), Ok(Closed));
            }
        }
        assert!(check_assignee("lead", true).is_ok());
        let refusal = check_assignee("sato", false).unwrap_err();
        assert_eq!(
            (refusal.code, refusal.rule),
            ("not_an_answerer", Rule::T3_3)
        );
    }

    #[test]
    fn t8_overdue_only_while_no_answer() {
        let policy = Inquiries::default();
        let received: Timestamp = "2026-11-02T00:00:00Z".parse().unwrap();
        let at_due = policy.due(received);
        assert_eq!(at_due, "2026-11-16T00:00:00Z".parse().unwrap());
        let after = at_due + SignedDuration::from_secs(1);
        assert!(!policy.is_overdue(Received, received, at_due));
        assert!(policy.is_overdue(Received, received, after));
        assert!(policy.is_overdue(Assigned, received, after));
        for state in [Answered, InProvision, Closed] {
            assert!(!policy.is_overdue(state, received, after));
        }
    }

    #[test]
    fn receipts_are_year_and_serial() {
        let r = Receipt::new(2026, 42).unwrap();
        assert_eq!(r.as_str(), "2026-00042");
        assert_eq!(Receipt::parse("2026-00042"), Some(r));
        for bad in [
            "2026-0042",
            "2026_00042",
            "２０２６-00042",
            "2026-0004x",
            "",
        ] {
            assert_eq!(Receipt::parse(bad), None, "{bad}");
        }
        assert_eq!(Receipt::new(2026, 0), None);
        assert_eq!(Receipt::new(2026, 100_000), None);
    }

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for s in InquiryState::ALL {
            assert_eq!(InquiryState::parse(s.as_str()), Some(s));
        }
        assert!(Category::try_from("spam".to_owned()).is_err());
    }
}
