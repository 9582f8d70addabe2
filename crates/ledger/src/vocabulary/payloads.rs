//! The payloads of the ledger's events: one struct per shape, named as the guideline names
//! the thing (glossary of `../shared/GUIDELINE.md`). Members are those `docs/ledger.md` lists
//! for each kind; times are RFC 3339 strings in UTC.

use std::collections::BTreeMap;

use jiff::Timestamp;
use mimamori_policy::access::Role;
use mimamori_policy::chain::LegalBasis;
use mimamori_policy::{AppointmentId, DelegationId, ProposalId, RequestId, Rule};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event with nothing to say beyond its kind, actor and time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Nothing {}

/// T6.1: the ground a request cites, with the facts that ground needs on record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Basis {
    pub kind: LegalBasis,
    /// The ground's required facts by name (`law`, `document`, `urgency`, `consent_of`).
    #[serde(flatten)]
    pub facts: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderIssued {
    pub request: RequestId,
    pub purpose: String,
    pub reason: String,
    pub basis: Basis,
    pub basis_rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantIssued {
    pub request: RequestId,
    pub grant: String,
    pub expires: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantUsed {
    pub request: RequestId,
    pub grant: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrievalFailed {
    pub request: RequestId,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportFiled {
    pub request: RequestId,
    pub media: String,
    pub copies: u32,
    pub recipient: String,
    pub remarks: String,
}

/// A request closed with a stated reason (cancelled, declined).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Closed {
    pub request: RequestId,
    pub reason: String,
}

/// A Form 1 field a correction may change, by the event that first recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form1Field {
    Purpose,
    Reason,
    Media,
    Copies,
    Recipient,
    Remarks,
}

impl Form1Field {
    pub const ALL: [Form1Field; 6] = [
        Self::Purpose,
        Self::Reason,
        Self::Media,
        Self::Copies,
        Self::Recipient,
        Self::Remarks,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Purpose => "purpose",
            Self::Reason => "reason",
            Self::Media => "media",
            Self::Copies => "copies",
            Self::Recipient => "recipient",
            Self::Remarks => "remarks",
        }
    }

    pub fn parse(text: &str) -> Option<Form1Field> {
        Self::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// The event kind that first records this field.
    pub fn recorded_by(self) -> super::EventKind {
        match self {
            Self::Purpose | Self::Reason => super::EventKind::OrderIssued,
            _ => super::EventKind::ReportFiled,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form1Corrected {
    pub request: RequestId,
    /// The leaf of the event whose field is corrected; it stays in the log as written.
    pub corrects_leaf: u64,
    pub field: Form1Field,
    pub value: Value,
    pub reason: String,
}

/// N10.1: the document an investigative body's request comes with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Document {
    /// 捜査関係事項照会書: an official inquiry with its number.
    Inquiry { number: String, dated: String },
    /// 様式第2号: the body's application and pledge.
    Form2 {
        case: String,
        offence: String,
        purpose: String,
        cameras: String,
        range: String,
        /// The pledge not to use the images for anything else.
        pledged: bool,
    },
    /// T6.1 d: the person's own request, made through the public inquiry form: its receipt.
    OwnRequest {
        receipt: mimamori_policy::inquiry::Receipt,
    },
}

/// T6.2: how the recipient's identity was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityCheck {
    pub document_type: String,
    pub document_number: String,
    pub checked_by: String,
}

/// N10.1: who asks, on which document, identity checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Provision {
    pub body: String,
    pub applicant: String,
    pub document: Document,
    pub identity_check: IdentityCheck,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionRegistered {
    pub request: RequestId,
    pub provision: Provision,
    pub basis: Basis,
    pub basis_rule: Rule,
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisionAccepted {
    pub request: RequestId,
    pub purpose: String,
    pub reason: String,
    pub basis: Basis,
}

/// T6.2: the record of giving footage to an outside recipient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HandedOver {
    pub request: RequestId,
    pub handed_over: Timestamp,
    pub recipient: String,
    pub purpose: String,
    pub content: String,
    pub identity_check: IdentityCheck,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegationRecorded {
    pub delegation: DelegationId,
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub from: Timestamp,
    pub until: Timestamp,
    /// The cameras it covers (issue 11, #4); absent in delegations recorded before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<String>,
}

/// N10.2: a delegation withdrawn before its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DelegationWithdrawn {
    pub delegation: DelegationId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergencyAuthorized {
    pub request: RequestId,
    pub purpose: String,
    pub reason: String,
    pub camera: String,
    pub site: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub handler: String,
    pub terminal: String,
    pub delegation_id: Option<DelegationId>,
    /// Outside the policy's nights and holidays: why it could not wait (issue 11, #5). Absent
    /// for one within them, so older events keep their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outside_hours_reason: Option<String>,
}

/// 様式第3号 as received (N11.1, N11.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Form3Recorded {
    pub request: RequestId,
    pub purpose: String,
    pub camera_site: String,
    pub retrieval_date: String,
    pub urgency: String,
    pub document: String,
    pub pledged: bool,
    pub received: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form3Overdue {
    pub request: RequestId,
    pub alert: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryReconciled {
    pub terminal: String,
    /// `YYYY-MM` in the ward's time zone.
    pub month: String,
    pub matched: u64,
    pub consistent: bool,
    pub only_on_terminal: Vec<String>,
    pub only_on_server: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldAdded {
    pub hold_id: i64,
    pub camera: String,
    /// Absent only in holds the first release's CLI recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    pub reason: String,
    /// Who decided, when someone else records it at the server (`mimamori hold add --by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffCreated {
    pub login: String,
    pub name: String,
    pub unit: String,
    #[serde(default)]
    pub delegation_id: Option<DelegationId>,
}

/// An enrolment code issued for `login`, valid until `expires`. The code itself is shown once
/// to the Administrator who opened the account, and never recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrolmentCodeIssued {
    pub login: String,
    pub expires: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffLeft {
    pub login: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentProposed {
    pub proposal: ProposalId,
    pub login: String,
    pub role: Role,
    #[serde(default)]
    pub until: Option<Timestamp>,
    pub expires: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentConfirmed {
    pub proposal: ProposalId,
    pub appointment: AppointmentId,
    pub login: String,
    pub role: Role,
    pub proposed_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentRejected {
    pub proposal: ProposalId,
    pub login: String,
    pub role: Role,
    pub reason: String,
    /// Withdrawn by its proposer rather than rejected by someone else.
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Appointed {
    pub login: String,
    pub role: Role,
    #[serde(default)]
    pub until: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentEnded {
    pub appointment: AppointmentId,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalRegistered {
    pub terminal: String,
    /// Absent only in the first release's demo terminal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custodian: Option<String>,
    pub public_key: String,
    #[serde(default)]
    pub delegation_id: Option<DelegationId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerminalRevoked {
    pub terminal: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SigninRefused {
    /// `unknown_login`, `locked`, `bad_password` or `bad_second_factor`.
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failures: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PledgeAcknowledged {
    /// Whose pledge, when it is recorded on the person's behalf (accounts seeded at set-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    pub text_sha256: String,
}

/// A refusal: its stable code, what was attempted, and (in the event's `rule`) the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub code: String,
    /// The event the attempt would have written, or what was read.
    pub refused: String,
    /// Stored as the event's rule, not in its payload.
    #[serde(skip, default = "placeholder_rule")]
    pub rule: Rule,
}

/// Replaced by the stored rule when a refusal is read back.
fn placeholder_rule() -> Rule {
    Rule::N1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerKey {
    pub verifier_key: String,
    pub previous_verifier_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidencePackageCreated {
    pub package: Option<String>,
    pub manifest_sha256: String,
    /// The first clip's hash and its `export_started` event.
    pub clip_sha256: String,
    pub checkpoint_size: u64,
    pub started_event: i64,
    /// The hashes of the package's further clips, in order (issue 13: a case with several
    /// cameras); absent for one clip, so single-clip events keep their bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub further_clips_sha256: Vec<String>,
}

/// A policy file unlike the last one recorded (issue 11, #20).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyLoaded {
    /// The SHA-256 (hex) of the file's text.
    pub sha256: String,
    /// Every setting that decides what the office allows (`Policy::settings`).
    pub settings: BTreeMap<String, String>,
    /// What changed since the last one recorded; every setting, as added, at the first start.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecorderStarted {
    pub cameras: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordingResumed {
    pub camera: String,
    pub gap_start_us: i64,
    pub gap_end_us: Option<i64>,
    pub cause: String,
    /// Pictures received after reconnecting and before the first keyframe: nothing could
    /// decode them, so the gap ends at the first stored picture (issue 12; absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pictures_before_keyframe: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// What start-up recovery found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoreRecovery {
    /// Files with no index row (a segment being written when the process died, or an erasure
    /// interrupted after its commit): overwritten and removed.
    pub removed_unindexed: Vec<std::path::PathBuf>,
    /// Index rows whose file is missing or has the wrong size.
    pub damaged: Vec<i64>,
}

/// What a full integrity check found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrityCheck {
    pub segments_checked: u64,
    pub bytes_checked: u64,
    pub bad: Vec<BadSegment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BadSegment {
    pub segment_id: i64,
    pub camera_id: String,
    pub reason: String,
}

/// Why footage was erased.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureTrigger {
    /// N6.1: past the retention window.
    Retention,
    /// The storage cap needed room; an alert says retention fell below policy.
    StorageCap,
}

impl ErasureTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureTrigger::Retention => "retention",
            ErasureTrigger::StorageCap => "storage_cap",
        }
    }
}

/// N6.2, T5.4: one erasure run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Erasure {
    pub run_id: i64,
    pub trigger: ErasureTrigger,
    pub method: String,
    pub erased: Vec<ErasedDay>,
}

/// What one run erased of one camera's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasedDay {
    pub camera_id: String,
    pub day: String,
    pub start_us: i64,
    pub end_us: i64,
    pub segment_count: i64,
    pub bytes: i64,
    /// SHA-256 (hex) of each destroyed segment's plaintext.
    pub segment_hashes: Vec<String>,
    pub key_shredded: bool,
    pub day_key_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportStarted {
    pub camera: String,
    pub range_start_us: i64,
    pub range_end_us: i64,
    pub reason: String,
    pub output: std::path::PathBuf,
    pub segments: Vec<i64>,
}

/// The end of an export: the clip and its sources, or why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExportFinished {
    Done(ExportDone),
    Failed(ExportFailed),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDone {
    pub file: std::path::PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub samples: u64,
    /// First sample's wall time (the keyframe at or before the requested start).
    pub start: Timestamp,
    /// Length of the clip's timeline in milliseconds.
    pub duration_ms: u64,
    pub segments: Vec<i64>,
    /// SHA-256 of each source segment's plaintext, as recorded when it was written (N3.2.1).
    pub segment_sha256: Vec<String>,
    /// The `export_started` event recorded before the first byte.
    pub started_event: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportFailed {
    pub camera: String,
    pub error: String,
}
