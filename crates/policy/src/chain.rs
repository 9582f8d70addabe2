//! The request chain as a state machine (N9, N10, N11): every way footage may leave, and the
//! only order its steps may happen in.
//!
//! An internal request starts when the Manager orders (N9.1); a provision starts when an
//! investigative body's request is registered with its document (N10.1) and becomes an order
//! when the Manager accepts it; an emergency retrieval (N11.1) starts already retrieved and
//! waits for its Form 3. [`RequestState::after`] is the whole transition table: a step not in
//! it is refused, whoever asks.

use serde::{Deserialize, Serialize};

use crate::Rule;

/// How a request began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// N9.1: the Manager's own order for the ward's purpose.
    Internal,
    /// N10.1, T6.1: an investigative body's (or another outside) request with its document.
    Provision,
    /// N11.1: delegated staff retrieved at night or on a holiday without a prior order.
    Emergency,
}

impl RequestKind {
    pub const ALL: [RequestKind; 3] = [Self::Internal, Self::Provision, Self::Emergency];

    /// The state a request of this kind is created in.
    pub fn initial_state(self) -> RequestState {
        match self {
            RequestKind::Internal => RequestState::Ordered,
            RequestKind::Provision => RequestState::Received,
            RequestKind::Emergency => RequestState::EmergencyAuthorized,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Internal => "internal",
            RequestKind::Provision => "provision",
            RequestKind::Emergency => "emergency",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// A provision request is registered and waits for the Manager (N10.1).
    Received,
    /// The Manager has ordered a retrieval (N9.1).
    Ordered,
    /// The Operations lead has instructed a handler (N9.2).
    Instructed,
    /// The handler has retrieved the footage (N9.3).
    Retrieved,
    /// The handler has reported; the Form 1 row is complete (N9.3).
    Reported,
    /// The footage was handed to the outside recipient and the hand-over recorded (T6.2).
    HandedOver,
    /// Delegated staff may retrieve in an emergency, without a prior order (N11.1).
    EmergencyAuthorized,
    /// Delegated staff retrieved in an emergency (N11.1); Form 3 is due.
    EmergencyRetrieved,
    /// Form 3 arrived and an image handler recorded it (N11.2).
    Form3Recorded,
    /// The Manager declined the provision (N10.1, T6.1).
    Declined,
    /// Withdrawn before any footage was read.
    Cancelled,
}

/// A step of the chain. Creating a request is not a step: see [`RequestKind::initial_state`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The Manager accepts a provision request and orders its retrieval (N10.1).
    Accept,
    /// The Manager declines a provision request (T6.1).
    Decline,
    Instruct,
    Retrieve,
    Report,
    HandOver,
    RecordForm3,
    Cancel,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::Decline => "decline",
            Step::Instruct => "instruct",
            Step::Retrieve => "retrieve",
            Step::Report => "report",
            Step::HandOver => "hand_over",
            Step::RecordForm3 => "record_form3",
            Step::Cancel => "cancel",
        }
    }

    pub const ALL: [Step; 8] = [
        Self::Accept,
        Self::Decline,
        Self::Instruct,
        Self::Retrieve,
        Self::Report,
        Self::HandOver,
        Self::RecordForm3,
        Self::Cancel,
    ];
}

impl RequestState {
    pub const ALL: [RequestState; 11] = [
        Self::Received,
        Self::Ordered,
        Self::Instructed,
        Self::Retrieved,
        Self::Reported,
        Self::HandedOver,
        Self::EmergencyAuthorized,
        Self::EmergencyRetrieved,
        Self::Form3Recorded,
        Self::Declined,
        Self::Cancelled,
    ];

    /// The state after `step`, or `None` when the step is illegal here. This is the complete
    /// transition table.
    pub fn after(self, kind: RequestKind, step: Step) -> Option<RequestState> {
        use RequestState as S;
        use Step::*;
        Some(match (self, step) {
            (S::Received, Accept) => S::Ordered,
            (S::Received, Decline) => S::Declined,
            (S::Received | S::Ordered | S::Instructed, Cancel) => S::Cancelled,
            (S::Ordered, Instruct) => S::Instructed,
            (S::Instructed, Retrieve) => S::Retrieved,
            // N11.1: the one retrieval without an instruction, by delegated staff.
            (S::EmergencyAuthorized, Retrieve) => S::EmergencyRetrieved,
            (S::Retrieved, Report) => S::Reported,
            // T6.2: only footage given to an outside body is handed over.
            (S::Reported, HandOver) if kind == RequestKind::Provision => S::HandedOver,
            (S::EmergencyRetrieved, RecordForm3) => S::Form3Recorded,
            _ => return None,
        })
    }

    /// The steps that lead on from here, cancelling aside: what the request waits for.
    pub fn next_steps(self, kind: RequestKind) -> impl Iterator<Item = Step> {
        Step::ALL
            .into_iter()
            .filter(move |&s| s != Step::Cancel && self.after(kind, s).is_some())
    }

    /// No step leads anywhere from here.
    pub fn is_final(self, kind: RequestKind) -> bool {
        Step::ALL.iter().all(|&s| self.after(kind, s).is_none())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::Ordered => "ordered",
            RequestState::Instructed => "instructed",
            RequestState::Retrieved => "retrieved",
            RequestState::Reported => "reported",
            RequestState::HandedOver => "handed_over",
            RequestState::EmergencyAuthorized => "emergency_authorized",
            RequestState::EmergencyRetrieved => "emergency_retrieved",
            RequestState::Form3Recorded => "form3_recorded",
            RequestState::Declined => "declined",
            RequestState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The state's name as staff see it.
    pub fn ja(self) -> &'static str {
        match self {
            RequestState::Received => "受付済み",
            RequestState::Ordered => "指示（管理責任者）済み",
            RequestState::Instructed => "指示（運用責任者）済み",
            RequestState::Retrieved => "取り出し済み",
            RequestState::Reported => "報告済み",
            RequestState::HandedOver => "提供済み",
            RequestState::EmergencyAuthorized => "緊急取り出し可（夜間・休日）",
            RequestState::EmergencyRetrieved => "緊急取り出し済み（様式第3号待ち）",
            RequestState::Form3Recorded => "様式第3号受領済み",
            RequestState::Declined => "不承認",
            RequestState::Cancelled => "取消し",
        }
    }
}

/// T6.1: the grounds on which footage may be used or given beyond its purpose, each with the
/// facts it needs on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum LegalBasis {
    /// (a) a law requires it: which law.
    #[serde(rename = "t6_1_a")]
    Law,
    /// (b) an investigative body investigates a crime or accident: its document (N10.1).
    #[serde(rename = "t6_1_b")]
    Investigation,
    /// (c) urgent protection of someone's life, body or property: what is at stake.
    #[serde(rename = "t6_1_c")]
    Urgent,
    /// (d) consent of, or disclosure to, the person shown: who.
    #[serde(rename = "t6_1_d")]
    Consent,
    /// (e) otherwise needed for the purpose (N1): the reason suffices.
    #[serde(rename = "t6_1_e")]
    Purpose,
}

impl LegalBasis {
    pub const ALL: [LegalBasis; 5] = [
        Self::Law,
        Self::Investigation,
        Self::Urgent,
        Self::Consent,
        Self::Purpose,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LegalBasis::Law => "t6_1_a",
            LegalBasis::Investigation => "t6_1_b",
            LegalBasis::Urgent => "t6_1_c",
            LegalBasis::Consent => "t6_1_d",
            LegalBasis::Purpose => "t6_1_e",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The rule ID as cited in refusals and forms.
    pub fn rule(self) -> Rule {
        match self {
            LegalBasis::Law => Rule::T6_1a,
            LegalBasis::Investigation => Rule::T6_1b,
            LegalBasis::Urgent => Rule::T6_1c,
            LegalBasis::Consent => Rule::T6_1d,
            LegalBasis::Purpose => Rule::T6_1e,
        }
    }

    /// The fields a request on this basis must fill, with their Japanese names.
    pub fn required_fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            LegalBasis::Law => &[("law", "根拠法令")],
            LegalBasis::Investigation => &[("document", "照会文書等")],
            LegalBasis::Urgent => &[("urgency", "緊急の事情")],
            LegalBasis::Consent => &[("consent_of", "同意した本人")],
            LegalBasis::Purpose => &[],
        }
    }

    pub fn ja(self) -> &'static str {
        match self {
            LegalBasis::Law => "法令に基づくとき",
            LegalBasis::Investigation => "捜査機関等から犯罪・事故の捜査のため要請があったとき",
            LegalBasis::Urgent => "人の生命・身体・財産の保護のため緊急の必要があるとき",
            LegalBasis::Consent => "本人の同意があるとき又は本人に提供するとき",
            LegalBasis::Purpose => "その他設置目的のために必要があるとき",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_request_waits_for() {
        use RequestState as S;
        let next = |s: S, k| s.next_steps(k).collect::<Vec<_>>();
        assert_eq!(
            next(S::Received, RequestKind::Provision),
            [Step::Accept, Step::Decline]
        );
        assert_eq!(next(S::Ordered, RequestKind::Internal), [Step::Instruct]);
        assert_eq!(next(S::Reported, RequestKind::Provision), [Step::HandOver]);
        assert!(next(S::Reported, RequestKind::Internal).is_empty());
        assert!(next(S::Cancelled, RequestKind::Internal).is_empty());
    }

    /// The legal transitions, written out by hand from N9–N11: the test compares the table in
    /// code with this independent list over every state × step × kind.
    fn expected(kind: RequestKind, from: RequestState, step: Step) -> Option<RequestState> {
        use RequestState as S;
        let legal: &[(S, Step, S)] = &[
            (S::Received, Step::Accept, S::Ordered),
            (S::Received, Step::Decline, S::Declined),
            (S::Received, Step::Cancel, S::Cancelled),
            (S::Ordered, Step::Cancel, S::Cancelled),
            (S::Instructed, Step::Cancel, S::Cancelled),
            (S::Ordered, Step::Instruct, S::Instructed),
            (S::Instructed, Step::Retrieve, S::Retrieved),
            (S::Retrieved, Step::Report, S::Reported),
            (
                S::EmergencyAuthorized,
                Step::Retrieve,
                S::EmergencyRetrieved,
            ),
            (S::EmergencyRetrieved, Step::RecordForm3, S::Form3Recorded),
        ];
        if kind == RequestKind::Provision && from == S::Reported && step == Step::HandOver {
            return Some(S::HandedOver);
        }
        legal
            .iter()
            .find(|(f, s, _)| *f == from && *s == step)
            .map(|t| t.2)
    }

    #[test]
    fn n9_every_illegal_transition_is_refused() {
        let mut legal = 0;
        for kind in RequestKind::ALL {
            for from in RequestState::ALL {
                for step in Step::ALL {
                    let got = from.after(kind, step);
                    assert_eq!(
                        got,
                        expected(kind, from, step),
                        "{kind:?} {from:?} {step:?}"
                    );
                    legal += usize::from(got.is_some());
                }
            }
        }
        // 10 transitions for each of the 3 kinds, plus the provision's hand-over.
        assert_eq!(legal, 10 * 3 + 1);
    }

    #[test]
    fn n9_4_no_retrieval_before_an_instruction_except_n11_1_emergencies() {
        for kind in RequestKind::ALL {
            for from in RequestState::ALL {
                if from.after(kind, Step::Retrieve).is_some() {
                    assert!(matches!(
                        from,
                        RequestState::Instructed | RequestState::EmergencyAuthorized
                    ));
                }
            }
        }
        // Only an emergency request can ever reach the emergency state.
        assert_eq!(
            RequestKind::Emergency.initial_state(),
            RequestState::EmergencyAuthorized
        );
    }

    #[test]
    fn t6_2_only_provisions_are_handed_over() {
        assert_eq!(
            RequestState::Reported.after(RequestKind::Internal, Step::HandOver),
            None
        );
        assert!(RequestState::Reported.is_final(RequestKind::Internal));
        assert!(!RequestState::Reported.is_final(RequestKind::Provision));
    }

    #[test]
    fn names_round_trip() {
        for s in RequestState::ALL {
            assert_eq!(RequestState::parse(s.as_str()), Some(s));
        }
        for k in RequestKind::ALL {
            assert_eq!(RequestKind::parse(k.as_str()), Some(k));
        }
    }
}
