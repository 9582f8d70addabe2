//! The ledger's vocabulary: every kind of event mimamori records, with its typed payload.
//!
//! An event is spelled once, here. Writers construct an [`EventBody`] variant; the database
//! stores its kind and its payload (the `detail` of `docs/ledger.md`); readers — Form 1, the
//! N11.3 reconciliation, the erasure audit, the terminal, evidence manifests — get the variant
//! back and match on it. Each variant knows the rule it serves ([`EventBody::rules`]), the
//! action a person takes when it is theirs ([`EventBody::action`]) and its outcome.
//!
//! The payloads serialize to exactly the JSON the first releases wrote for the same kind, so
//! a ledger written before the vocabulary existed reads back through it, and an event written
//! now has the canonical bytes it had then (`tests/vocabulary.rs` replays such a ledger). A few
//! writers of those releases wrote shorter payloads (the demo's terminal, the CLI's hold); their
//! missing members read as `None` and are written in full from now on.

mod cameras;
mod inquiries;
mod payloads;
mod records;
mod register;

use mimamori_policy::access::Action;
use mimamori_policy::{RequestId, Rule, Rules};
use serde::{Deserialize, Serialize};

pub use cameras::*;
pub use inquiries::*;
pub use payloads::*;
pub use records::*;
pub use register::*;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A permission was granted (a grant issued, an export begun).
    Allowed,
    /// The office said no; the refusal names its rule.
    Refused,
    /// A change was made.
    Done,
    /// Something was tried and failed.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Allowed,
        Outcome::Refused,
        Outcome::Done,
        Outcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Refused => "refused",
            Outcome::Done => "done",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }
}

/// An event whose kind or payload this vocabulary does not know.
#[derive(Debug, thiserror::Error)]
#[error("event of kind {kind:?} does not read as the vocabulary's: {error}")]
pub struct VocabularyError {
    pub kind: String,
    pub error: String,
}

macro_rules! vocabulary {
    ($($(#[$doc:meta])* $variant:ident($payload:ty) = $kind:literal,)*) => {
        /// What happened, with the facts the ledger keeps about it.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "detail")]
        pub enum EventBody {
            $($(#[$doc])* #[serde(rename = $kind)] $variant($payload),)*
        }

        /// The kind of an event, without its payload: what queries filter on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $($variant,)*
        }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];

            /// The name stored in the ledger's `kind` member.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $kind,)*
                }
            }
        }

        impl EventBody {
            pub fn kind(&self) -> EventKind {
                match self {
                    $(EventBody::$variant(_) => EventKind::$variant,)*
                }
            }
        }
    };
}

vocabulary! {
    // ---- the request chain (N9) ----
    /// N9.1: the Manager orders a retrieval.
    OrderIssued(OrderIssued) = "order_issued",
    /// N9.2: the Operations lead instructs a handler.
    InstructionIssued(InstructionIssued) = "instruction_issued",
    /// N9.4: a single-use grant for the instructed handler at the instructed terminal.
    RetrievalGrantIssued(GrantIssued) = "retrieval_grant_issued",
    /// N9.3: a grant was used; the export begins.
    RetrievalStarted(GrantUsed) = "retrieval_started",
    /// N9.3: the package left for the terminal.
    RetrievalDone(RetrievalDone) = "retrieval_done",
    /// N9.3: the grant was spent but no package could be made.
    RetrievalFailed(RetrievalFailed) = "retrieval_failed",
    /// N9.3: the handler reports; the Form 1 row is complete.
    ReportFiled(ReportFiled) = "report_filed",
    /// N9.1: the Manager withdrew the order.
    RequestCancelled(Closed) = "request_cancelled",
    /// N9.3: a Form 1 row corrected by a new event naming the corrected one.
    Form1Corrected(Form1Corrected) = "form1_corrected",

    // ---- outside bodies (N10, N11, T6) ----
    /// N10.1: an investigative body's request with its document.
    ProvisionRegistered(ProvisionRegistered) = "provision_registered",
    /// N10.1: the Manager decides to provide.
    ProvisionAccepted(ProvisionAccepted) = "provision_accepted",
    /// T6.1: the Manager declines, with the reason.
    ProvisionDeclined(Closed) = "provision_declined",
    /// T6.2: footage given to the recipient, identity checked.
    HandedOver(HandedOver) = "handed_over",
    /// N10.2: a written delegation to an investigative body.
    DelegationRecorded(DelegationRecorded) = "delegation_recorded",
    /// N10.2: a delegation withdrawn before its end (issue 11, #4).
    DelegationWithdrawn(DelegationWithdrawn) = "delegation_withdrawn",
    /// N11.1: delegated staff may retrieve now, at their terminal.
    EmergencyAuthorized(EmergencyAuthorized) = "emergency_authorized",
    /// N11.2: the Form 3 received for an emergency retrieval.
    Form3Recorded(Form3Recorded) = "form3_recorded",
    /// N11.2: the Form 3 is overdue; an alert is open until it is recorded.
    Form3Overdue(Form3Overdue) = "form3_overdue",
    /// N11.3: a terminal's signed monthly history compared with the log.
    HistoryReconciled(HistoryReconciled) = "history_reconciled",
    /// T5.3: footage kept beyond retention, for a reason, until a date.
    HoldAdded(HoldAdded) = "hold_added",

    // ---- the camera register and the signs (N4, T2, T7.2) ----
    /// N4.1, N7.2: the Manager chose a camera's site from the police's crime information.
    CameraSiteChosen(CameraSiteChosen) = "camera_site_chosen",
    /// T2.1: a camera's name, view or privacy notes recorded.
    CameraDetailsRecorded(CameraDetailsRecorded) = "camera_details_recorded",
    /// T2.1: a camera mounted at its site.
    CameraInstalled(CameraDated) = "camera_installed",
    /// N5, N4.2: a camera records for the ward from this date; a sign covers it.
    CameraOperationStarted(CameraDated) = "camera_operation_started",
    /// T7.2: a camera taken down with its signs; its record stays.
    CameraRemoved(CameraRemoved) = "camera_removed",
    /// N4.2, T2.2: a sign placed.
    SignPlaced(SignPlaced) = "sign_placed",
    /// T7.2: a sign taken down or found gone.
    SignRemoved(SignRemoved) = "sign_removed",

    // ---- inquiries and complaints from the public (T3.3 c, T8, T6.1 d) ----
    /// T3.3 c: a message from the public form.
    InquiryReceived(InquiryReceived) = "inquiry_received",
    /// T8: given to someone to answer.
    InquiryAssigned(InquiryAssigned) = "inquiry_assigned",
    /// T3.3 c: an internal note on it.
    InquiryNoted(InquiryWritten) = "inquiry_noted",
    /// T8: an answer the person sees.
    InquiryAnswered(InquiryWritten) = "inquiry_answered",
    /// T6.1 d: a request to see one's own footage became a provision request.
    InquiryProvisionStarted(InquiryProvisionStarted) = "inquiry_provision_started",
    /// T8: closed.
    InquiryClosed(InquiryClosed) = "inquiry_closed",
    /// T8: no answer by the policy's day; an alert is open until it is answered.
    InquiryOverdue(InquiryOverdue) = "inquiry_overdue",

    // ---- people, terminals, sign-in (N3.3, N7, N12) ----
    /// N7.1: an account opened.
    StaffCreated(StaffCreated) = "staff_created",
    /// N3.3.1: a one-time code for the holder to set their own password (never the code).
    EnrolmentCodeIssued(EnrolmentCodeIssued) = "enrolment_code_issued",
    /// N3.3.1: the holder set their password with the code; the actor is the holder.
    Enrolled(Nothing) = "enrolled",
    /// T3.4: the person left; the record and the pledge stay.
    StaffLeft(StaffLeft) = "staff_left",
    /// N7.2–N7.4, N10.3: an appointment to a role.
    Appointed(Appointed) = "appointed",
    /// An appointment ended early.
    AppointmentEnded(AppointmentEnded) = "appointment_ended",
    /// N7.2 (issue 11, #1): a Manager or an Administrator proposed, waiting for a second person.
    AppointmentProposed(AppointmentProposed) = "appointment_proposed",
    /// N7.2: the second person confirmed it; the appointment is in force.
    AppointmentConfirmed(AppointmentConfirmed) = "appointment_confirmed",
    /// N7.2: rejected, or withdrawn by its proposer.
    AppointmentRejected(AppointmentRejected) = "appointment_rejected",
    /// N8, N10.4: a dedicated terminal registered with its key.
    TerminalRegistered(TerminalRegistered) = "terminal_registered",
    /// N3.3: a terminal lost, stolen or retired.
    TerminalRevoked(TerminalRevoked) = "terminal_revoked",
    /// N3.3.1: a sign-in refused (unknown login, wrong password, lock, second factor).
    SigninRefused(SigninRefused) = "signin_refused",
    SignedIn(Nothing) = "signed_in",
    SignedOut(Nothing) = "signed_out",
    /// N3.3.1: the person ended their other sessions (a browser left signed in elsewhere).
    SignedOutElsewhere(SessionsEnded) = "signed_out_elsewhere",
    PasswordChanged(Nothing) = "password_changed",
    /// N3.3.1: a second factor being set up, and switched on.
    TotpStarted(Nothing) = "totp_started",
    TotpEnabled(Nothing) = "totp_enabled",
    /// N12, T3.4: the confidentiality pledge, by the hash of its text.
    PledgeAcknowledged(PledgeAcknowledged) = "pledge_acknowledged",
    /// Any refusal by the policy module, with the rule that refused.
    Refused(Refused) = "refused",

    // ---- the ledger and evidence (N3.2.1) ----
    LedgerKeyAdded(LedgerKey) = "ledger_key_added",
    LedgerKeyRotated(LedgerKey) = "ledger_key_rotated",
    /// N9.3: an evidence package built for a retrieval.
    EvidencePackageCreated(EvidencePackageCreated) = "evidence_package_created",
    /// A paper form printed (様式第1〜3号, a delegation's confirmation), by its PDF's hash: the
    /// same record prints the same bytes, so the paper can be checked against this.
    DocumentIssued(DocumentIssued) = "document_issued",

    // ---- the policy (issue 11, #20) ----
    /// N3.2.1: mimamori started with a policy file unlike the last one recorded: its hash, its
    /// settings, and what changed.
    PolicyLoaded(PolicyLoaded) = "policy_loaded",

    // ---- the recorder (N5, N6, T5) ----
    /// N5: recording started for the policy's cameras.
    RecorderStarted(RecorderStarted) = "recorder_started",
    /// N5: a camera records again; the gap before it is closed.
    RecordingResumed(RecordingResumed) = "recording_resumed",
    /// Start-up recovery found torn or unindexed files.
    StoreRecovery(StoreRecovery) = "store_recovery",
    /// N3.2.1: every stored segment re-read and checked.
    IntegrityCheck(IntegrityCheck) = "integrity_check",
    /// N6.1, N6.2, T5.4: footage erased, by camera and day, with what was destroyed.
    Erasure(Erasure) = "erasure",
    /// Footage read for an evidence package, before the first byte.
    ExportStarted(ExportStarted) = "export_started",
    /// The clip written, with the hashes of every segment it was read from (or the failure).
    ExportFinished(ExportFinished) = "export_finished",
}

impl EventKind {
    pub fn parse(text: &str) -> Option<EventKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl EventBody {
    /// The rules this event serves; empty when none applies (an export's start is recorded
    /// under the retrieval that caused it). A refusal's rule is the refusal's own.
    pub fn rules(&self) -> Rules {
        use EventBody as E;
        const fn one(rule: &'static Rule) -> Rules {
            Rules(std::slice::from_ref(rule))
        }
        match self {
            E::OrderIssued(_) | E::RequestCancelled(_) => one(&Rule::N9_1),
            E::InstructionIssued(_) => one(&Rule::N9_2),
            E::RetrievalGrantIssued(_) => one(&Rule::N9_4),
            E::RetrievalStarted(_)
            | E::RetrievalDone(_)
            | E::RetrievalFailed(_)
            | E::ReportFiled(_)
            | E::Form1Corrected(_)
            | E::EvidencePackageCreated(_) => one(&Rule::N9_3),
            E::ProvisionRegistered(_) | E::ProvisionAccepted(_) => one(&Rule::N10_1),
            E::ProvisionDeclined(_) => one(&Rule::T6_1),
            E::HandedOver(_) => one(&Rule::T6_2),
            E::DelegationRecorded(_) | E::DelegationWithdrawn(_) => one(&Rule::N10_2),
            E::EmergencyAuthorized(_) => one(&Rule::N11_1),
            E::Form3Recorded(_) | E::Form3Overdue(_) => one(&Rule::N11_2),
            E::HistoryReconciled(_) => one(&Rule::N11_3),
            E::DocumentIssued(d) => one(match d.form {
                PaperForm::Form1 => &Rule::N9_3,
                PaperForm::Form2 => &Rule::N10_1,
                PaperForm::Form3 => &Rule::N11_2,
                PaperForm::Delegation => &Rule::N10_2,
            }),
            E::HoldAdded(_) => one(&Rule::T5_3),
            E::CameraSiteChosen(_) => one(&Rule::N4_1),
            E::CameraDetailsRecorded(_) | E::CameraInstalled(_) => one(&Rule::T2_1),
            E::CameraOperationStarted(_) => one(&Rule::N4_2),
            E::SignPlaced(_) => one(&Rule::T2_2),
            E::CameraRemoved(_) | E::SignRemoved(_) => one(&Rule::T7_2),
            E::InquiryReceived(_) | E::InquiryNoted(_) => one(&Rule::T3_3),
            E::InquiryAssigned(_)
            | E::InquiryAnswered(_)
            | E::InquiryClosed(_)
            | E::InquiryOverdue(_) => one(&Rule::T8),
            E::InquiryProvisionStarted(_) => one(&Rule::T6_1d),
            E::StaffCreated(_) => one(&Rule::N7_1),
            E::StaffLeft(_) => one(&Rule::T3_4),
            E::Appointed(a) => Rules(rule_slice(Action::Appoint(a.role).permitted().1)),
            E::AppointmentEnded(a) => Rules(rule_slice(Action::Appoint(a.role).permitted().1)),
            E::AppointmentProposed(_) | E::AppointmentConfirmed(_) | E::AppointmentRejected(_) => {
                one(&Rule::N7_2)
            }
            E::TerminalRegistered(t) if t.delegation_id.is_some() => one(&Rule::N10_4),
            E::TerminalRegistered(_) => one(&Rule::N8),
            E::TerminalRevoked(_) => one(&Rule::N3_3),
            E::SigninRefused(_)
            | E::SignedIn(_)
            | E::SignedOut(_)
            | E::SignedOutElsewhere(_)
            | E::PasswordChanged(_)
            | E::TotpStarted(_)
            | E::TotpEnabled(_)
            | E::EnrolmentCodeIssued(_)
            | E::Enrolled(_) => one(&Rule::N3_3_1),
            E::PledgeAcknowledged(_) => one(&Rule::N12),
            E::Refused(r) => Rules(rule_slice(r.rule)),
            E::LedgerKeyAdded(_)
            | E::LedgerKeyRotated(_)
            | E::IntegrityCheck(_)
            | E::PolicyLoaded(_) => one(&Rule::N3_2_1),
            E::RecorderStarted(_) | E::RecordingResumed(_) => one(&Rule::N5),
            E::Erasure(e) => match e.trigger {
                ErasureTrigger::Retention => Rules(&[Rule::N6_1, Rule::N6_2, Rule::T5_4]),
                ErasureTrigger::StorageCap => Rules(&[Rule::N6_2, Rule::T5_4]),
            },
            E::StoreRecovery(_) | E::ExportStarted(_) | E::ExportFinished(_) => Rules(&[]),
        }
    }

    /// What a person does when this event is theirs: the role they act in is the first of
    /// theirs the action permits. `None` for mimamori's own work and for a refusal, whose
    /// action is the one attempted. A retrieval on an emergency request is delegated staff's
    /// `EmergencyRetrieve` (N11.1): its writer names that action.
    pub fn action(&self) -> Option<Action> {
        use mimamori_policy::chain::Step;
        use EventBody as E;
        Some(match self {
            E::OrderIssued(_) => Action::IssueOrder,
            E::InstructionIssued(_) => Action::Chain(Step::Instruct),
            E::RetrievalGrantIssued(_)
            | E::RetrievalStarted(_)
            | E::RetrievalDone(_)
            | E::RetrievalFailed(_) => Action::Chain(Step::Retrieve),
            E::ReportFiled(_) => Action::Chain(Step::Report),
            E::RequestCancelled(_) => Action::Chain(Step::Cancel),
            E::Form1Corrected(_) => Action::CorrectRecord,
            E::ProvisionRegistered(_) => Action::RegisterProvision,
            E::ProvisionAccepted(_) => Action::Chain(Step::Accept),
            E::ProvisionDeclined(_) => Action::Chain(Step::Decline),
            E::HandedOver(_) => Action::Chain(Step::HandOver),
            E::DelegationRecorded(_) | E::DelegationWithdrawn(_) => Action::RecordDelegation,
            E::EmergencyAuthorized(_) => Action::EmergencyRetrieve,
            E::Form3Recorded(_) => Action::Chain(Step::RecordForm3),
            E::HistoryReconciled(_) => Action::ReconcileHistory,
            E::HoldAdded(_) => Action::PlaceHold,
            E::CameraSiteChosen(_) => Action::ChooseSite,
            E::CameraDetailsRecorded(_)
            | E::CameraInstalled(_)
            | E::CameraOperationStarted(_)
            | E::SignPlaced(_)
            | E::SignRemoved(_) => Action::RecordCameraWork,
            E::CameraRemoved(_) => Action::RemoveCamera,
            E::InquiryNoted(_) | E::InquiryAnswered(_) => Action::HandleInquiry,
            E::InquiryAssigned(_) | E::InquiryClosed(_) => Action::ManageInquiry,
            E::InquiryProvisionStarted(_) => Action::RegisterProvision,
            E::DocumentIssued(_) => Action::ReadRecords,
            E::StaffCreated(_) | E::StaffLeft(_) | E::EnrolmentCodeIssued(_) => {
                Action::ManageAccounts
            }
            E::Appointed(a) => Action::Appoint(a.role),
            E::AppointmentEnded(a) => Action::Appoint(a.role),
            E::AppointmentProposed(a) => Action::Appoint(a.role),
            E::AppointmentConfirmed(_) | E::AppointmentRejected(_) => Action::ConfirmAppointment,
            E::TerminalRegistered(_) => Action::RegisterTerminal,
            E::TerminalRevoked(_) => Action::RevokeTerminal,
            E::SignedOut(_) | E::SignedOutElsewhere(_) | E::PasswordChanged(_) => {
                Action::ChangeOwnPassword
            }
            E::TotpStarted(_) | E::TotpEnabled(_) => Action::EnrollSecondFactor,
            E::PledgeAcknowledged(_) => Action::AcknowledgePledge,
            E::SigninRefused(_)
            | E::SignedIn(_)
            | E::Enrolled(_)
            | E::Refused(_)
            | E::Form3Overdue(_)
            | E::InquiryReceived(_)
            | E::InquiryOverdue(_)
            | E::LedgerKeyAdded(_)
            | E::LedgerKeyRotated(_)
            | E::PolicyLoaded(_)
            | E::EvidencePackageCreated(_)
            | E::RecorderStarted(_)
            | E::RecordingResumed(_)
            | E::StoreRecovery(_)
            | E::IntegrityCheck(_)
            | E::Erasure(_)
            | E::ExportStarted(_)
            | E::ExportFinished(_) => return None,
        })
    }

    /// How the attempt this event records ended.
    pub fn outcome(&self) -> Outcome {
        use EventBody as E;
        match self {
            E::RetrievalGrantIssued(_)
            | E::RetrievalStarted(_)
            | E::EmergencyAuthorized(_)
            | E::ExportStarted(_) => Outcome::Allowed,
            E::Refused(_) | E::SigninRefused(_) => Outcome::Refused,
            E::RetrievalFailed(_) => Outcome::Failed,
            E::HistoryReconciled(h) if !h.consistent => Outcome::Failed,
            E::ExportFinished(ExportFinished::Failed(_)) => Outcome::Failed,
            _ => Outcome::Done,
        }
    }

    /// The request (Form 1 serial) this event belongs to, if any.
    pub fn request(&self) -> Option<RequestId> {
        use EventBody as E;
        Some(match self {
            E::OrderIssued(e) => e.request,
            E::InstructionIssued(e) => e.request,
            E::RetrievalGrantIssued(e) => e.request,
            E::RetrievalStarted(e) => e.request,
            E::RetrievalDone(e) => e.request,
            E::RetrievalFailed(e) => e.request,
            E::ReportFiled(e) => e.request,
            E::RequestCancelled(e) | E::ProvisionDeclined(e) => e.request,
            E::Form1Corrected(e) => e.request,
            E::ProvisionRegistered(e) => e.request,
            E::ProvisionAccepted(e) => e.request,
            E::HandedOver(e) => e.request,
            E::EmergencyAuthorized(e) => e.request,
            E::Form3Recorded(e) => e.request,
            E::Form3Overdue(e) => e.request,
            _ => return None,
        })
    }

    /// The kind and the payload (`detail`) as the ledger stores them.
    pub fn to_parts(&self) -> (EventKind, serde_json::Value) {
        let mut tagged = serde_json::to_value(self).expect("event payloads serialize");
        let detail = tagged
            .get_mut("detail")
            .map(serde_json::Value::take)
            .unwrap_or_else(|| serde_json::json!({}));
        (self.kind(), detail)
    }

    /// Reads an event back from its stored kind and payload. `rule` is the stored rule, which
    /// a refusal carries outside its payload.
    pub fn from_parts(
        kind: &str,
        rule: Option<&str>,
        detail: serde_json::Value,
    ) -> Result<EventBody, VocabularyError> {
        let error = |error: String| VocabularyError {
            kind: kind.to_owned(),
            error,
        };
        if EventKind::parse(kind).is_none() {
            return Err(error("unknown kind".into()));
        }
        let tagged = serde_json::json!({ "kind": kind, "detail": detail });
        let mut body: EventBody =
            serde_json::from_value(tagged).map_err(|e| error(e.to_string()))?;
        if let EventBody::Refused(r) = &mut body {
            r.rule = rule
                .and_then(Rule::parse)
                .ok_or_else(|| error(format!("a refusal cites no known rule ({rule:?})")))?;
        }
        Ok(body)
    }
}

/// A rule as a one-element slice, for [`Rules`].
fn rule_slice(rule: Rule) -> &'static [Rule] {
    let i = Rule::ALL
        .iter()
        .position(|&r| r == rule)
        .expect("every rule is in Rule::ALL");
    &Rule::ALL[i..=i]
}

#[cfg(test)]
mod tests;
