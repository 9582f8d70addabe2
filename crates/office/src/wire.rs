//! The office's wire types: the bodies its steps take and the views they answer with. The
//! JSON API (`http`) deserializes and serializes these; the workflow (`workflow`) takes and
//! returns them; the terminal client, the tests and the API bench build them. Field names are
//! the API's (`docs/office.md`); their `ToSchema` feeds the generated OpenAPI document
//! (`openapi.rs`).

use jiff::Timestamp;
use mimamori_db::vocabulary::{Basis, Document, IdentityCheck, ReportFiled, RetrievalDone};
use mimamori_db::{AppointmentRow, Closing, Origin, ProposalRow, RequestRow, StaffRow};
use mimamori_policy::access::Role;
use mimamori_policy::chain::{RequestKind, RequestState};
use mimamori_policy::{DelegationId, Login, RequestId, TerminalId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::grant::GrantClaims;

pub mod inquiries;
pub mod register;

/// T6.1: the basis and the facts it needs.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BasisInput {
    pub kind: String,
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct OrderInput {
    pub purpose: String,
    pub reason: String,
    pub basis: BasisInput,
}

/// A request as the API shows it: its row, with times in UTC.
#[derive(Serialize, ToSchema)]
pub struct RequestView {
    pub id: RequestId,
    pub kind: RequestKind,
    pub state: RequestState,
    pub state_ja: &'static str,
    pub purpose: String,
    pub basis: Basis,
    pub reason: String,
    /// The outside body's document (N10.1), or the delegation of an emergency (N11.1).
    pub provision: Option<Origin>,
    pub ordered_by: Option<String>,
    pub ordered: Option<Timestamp>,
    pub instruction: Option<InstructionView>,
    pub retrieved_by: Option<String>,
    pub retrieved: Option<Timestamp>,
    pub retrieval: Option<RetrievalDone>,
    pub reported: Option<Timestamp>,
    pub report: Option<ReportFiled>,
    pub closed: Option<Timestamp>,
    pub closing: Option<Closing>,
}

#[derive(Serialize, ToSchema)]
pub struct InstructionView {
    /// The first camera named and its range (as before several cameras were possible).
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Every camera named, the first one first, each with its range (issue 13).
    pub cameras: Vec<CameraRangeInput>,
    pub handler: String,
    pub terminal: TerminalId,
    pub expires: Timestamp,
    pub instructed_by: String,
}

impl From<&RequestRow> for RequestView {
    fn from(r: &RequestRow) -> Self {
        let ts = |us: Option<i64>| us.map(mimamori_db::from_us);
        let instruction = r.instruction.as_ref().and_then(|i| {
            let first = i.first()?;
            Some(InstructionView {
                camera: first.camera.to_string(),
                from: first.start,
                to: first.end,
                cameras: i
                    .cameras
                    .iter()
                    .map(|c| CameraRangeInput {
                        camera: c.camera.to_string(),
                        from: c.start,
                        to: c.end,
                    })
                    .collect(),
                handler: i.handler.clone(),
                terminal: i.terminal_id.clone(),
                expires: i.expires,
                instructed_by: i.instructed_by.clone(),
            })
        });
        RequestView {
            id: r.id,
            kind: r.kind,
            state: r.state,
            state_ja: r.state.ja(),
            purpose: r.purpose.clone(),
            basis: r.basis.clone(),
            reason: r.reason.clone(),
            provision: (r.origin != Origin::Order).then(|| r.origin.clone()),
            ordered_by: r.ordered_by.clone(),
            ordered: ts(r.ordered_us),
            instruction,
            retrieved_by: r.retrieved_by.clone(),
            retrieved: ts(r.retrieved_us),
            retrieval: r.retrieval.clone(),
            reported: ts(r.reported_us),
            report: r.report.clone(),
            closed: ts(r.closed_us),
            closing: r.closing.clone(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only requests in this state.
    #[param(value_type = Option<RequestState>)]
    pub state: Option<String>,
    /// At most this many (clamped to 1–1000; 100 if not given).
    pub limit: Option<i64>,
}

/// N9.2: which cameras, which dates and times, which handler at which terminal.
///
/// One camera is given as `camera`, `from` and `to`; several (adjacent cameras of one case,
/// issue 13) as `cameras`, each with its own range. Not both.
#[derive(Deserialize, ToSchema)]
pub struct InstructionInput {
    pub camera: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    #[serde(default)]
    pub cameras: Vec<CameraRangeInput>,
    pub handler: String,
    pub terminal: TerminalId,
    /// Default: one day from now, at most the policy's `instruction_max_days`.
    pub expires: Option<Timestamp>,
}

/// One camera of an instruction and the range of its footage.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CameraRangeInput {
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantInput {
    pub terminal: TerminalId,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantOutput {
    /// The ward-signed grant note; the terminal signs it and sends both to `/api/v1/retrievals`.
    pub grant: String,
    pub claims: GrantClaims,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RetrievalInput {
    /// The grant note exactly as issued.
    pub grant: String,
    /// The terminal's Ed25519 signature over it (`TerminalKey::sign_grant`).
    pub signature: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ReportInput {
    /// What the footage was written to (e.g. "DVD-R", "暗号化USBメモリ", "ファイル").
    pub media: String,
    pub copies: u32,
    /// Refused if not empty: footage reaches anyone outside only through a provision, whose
    /// hand-over records the recipient (N10.1, T6.2).
    #[serde(default)]
    pub recipient: String,
    #[serde(default)]
    pub remarks: String,
}

/// The body of a step that only needs a reason (cancel, decline).
#[derive(Deserialize, ToSchema)]
pub struct ReasonInput {
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ProvisionInput {
    pub body: String,
    /// The applicant: the body's head or the officer who asks.
    pub applicant: String,
    pub purpose: String,
    pub reason: String,
    pub basis: BasisInput,
    pub document: Document,
    pub identity_check: IdentityCheck,
}

#[derive(Deserialize, ToSchema)]
pub struct HandOverInput {
    pub recipient: String,
    pub purpose: String,
    /// What was handed over (media, clip, range).
    pub content: String,
    pub identity_check: IdentityCheck,
}

#[derive(Deserialize, ToSchema)]
pub struct DelegationInput {
    pub body: String,
    /// The written confirmation (N10.2).
    pub document_ref: String,
    pub scope: String,
    /// The cameras the delegation covers: emergency retrievals of any other are refused
    /// (N10.2; issue 11, #4).
    #[serde(default)]
    pub cameras: Vec<String>,
    pub from: Timestamp,
    pub until: Timestamp,
}

#[derive(Deserialize, ToSchema)]
pub struct EmergencyInput {
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub purpose: String,
    /// Why it could not wait for the office to open (Form 3 asks the same).
    pub urgency: String,
    pub terminal: TerminalId,
    /// Only outside the policy's nights and holidays (N11.1 "など"): why this emergency cannot
    /// wait for the Manager's order. The Manager is alerted to it as such.
    #[serde(default)]
    pub outside_hours_reason: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct Form3Input {
    /// 様式第3号 fields: purpose, camera site, retrieval date, why it could not wait.
    pub purpose: String,
    pub camera_site: String,
    pub retrieval_date: String,
    pub urgency: String,
    /// The pledge not to use the images for anything else.
    pub pledged: bool,
    /// The document received: "様式第3号" or an inquiry's number.
    pub document: String,
}

#[derive(Deserialize, ToSchema)]
pub struct SubmittedHistory {
    /// `{terminal, month, entries: [{request, grant, …}]}` as `mimamori terminal history`
    /// prints it.
    pub history: Value,
    /// The terminal key's signature over the history's RFC 8785 form.
    pub signature: String,
}

#[derive(Deserialize, ToSchema)]
pub struct HoldInput {
    pub camera: String,
    pub from: Timestamp,
    pub to: Timestamp,
    pub until: Timestamp,
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct NewAccount {
    pub login: String,
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub contact: String,
    /// Refused if present: the holder sets the password with the enrolment code (N3.3.1).
    #[serde(default)]
    pub password: Option<String>,
    /// For an investigative body's staff: the delegation they work under (N10.3).
    pub delegation_id: Option<DelegationId>,
}

/// A one-time code for the holder to set their own password (N3.3.1). Shown once: hand it to
/// the person; the office keeps only its hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrolmentCode {
    /// Groups of four; case, spaces and dashes do not matter when it is typed.
    pub code: String,
    pub expires: Timestamp,
}

/// A new account, and the enrolment code its holder sets a password with.
#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    #[serde(flatten)]
    pub staff: StaffRow,
    pub enrolment: EnrolmentCode,
}

/// The holder's first password, set with the enrolment code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Enrol {
    pub login: String,
    pub code: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct StaffDetail {
    #[serde(flatten)]
    pub staff: StaffRow,
    pub appointments: Vec<AppointmentRow>,
}

#[derive(Deserialize, ToSchema)]
pub struct Appoint {
    pub role: String,
    /// The planned end (RFC 3339), if any.
    pub until: Option<Timestamp>,
}

#[derive(Deserialize, ToSchema)]
pub struct Registration {
    pub id: TerminalId,
    pub name: String,
    /// Where it stands (N8: in the crime-prevention section; N10.4: at the body).
    pub location: String,
    /// Who keeps it (N3.3.2: the locked cabinet is this person's attestation).
    pub custodian: String,
    /// From `mimamori terminal init`.
    pub public_key: String,
    /// For a terminal placed at an investigative body (N10.4).
    pub delegation_id: Option<DelegationId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignIn {
    pub login: String,
    pub password: String,
    /// The TOTP code, for an account with a second factor.
    pub totp: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedIn {
    pub token: String,
    /// The session ends after this many seconds without use.
    pub idle_seconds: u64,
    pub roles: Vec<Role>,
    pub password_change_due: bool,
    pub pledge_required: bool,
    /// The policy wants a TOTP code from this person, and this session has none.
    pub second_factor_required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub login: Login,
    pub name: String,
    pub roles: Vec<Role>,
    pub pledged: bool,
    pub password_change_due: bool,
    pub password_changed: String,
    /// Open alerts addressed to one of the caller's roles (appointments and terminals go to
    /// the Manager and the Auditor; retrievals to the Manager): `GET /api/v1/alerts`.
    pub open_alerts: i64,
}

/// One of the caller's open sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub started: Timestamp,
    pub last_used: Timestamp,
    /// Signed in with a second factor.
    pub second_factor: bool,
    /// The session this request came with.
    pub this: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EndedSessions {
    /// How many other sessions ended.
    pub ended: u64,
}

/// What asking for an appointment did: in force at once, or waiting for a second person's
/// confirmation (a Manager or an Administrator, once the ward has had a Manager: N7.2).
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AppointmentAnswer {
    InForce(AppointmentRow),
    Pending(ProposalView),
}

/// A proposed appointment with the login it names.
#[derive(Serialize, ToSchema)]
pub struct ProposalView {
    pub login: Login,
    #[serde(flatten)]
    pub proposal: ProposalRow,
}

/// An appointment with the login it was made to.
#[derive(Serialize, ToSchema)]
pub struct AppointmentView {
    pub login: Login,
    #[serde(flatten)]
    pub appointment: AppointmentRow,
}

#[derive(Deserialize, ToSchema)]
pub struct NewPassword {
    pub current: String,
    pub new: String,
}

#[derive(Deserialize, ToSchema)]
pub struct Acknowledge {
    /// The SHA-256 of the text the person read, so nobody acknowledges a text they did not see.
    pub sha256: String,
}

#[derive(Deserialize, ToSchema)]
pub struct Code {
    pub code: String,
    /// When a second factor is already in force: a code from it, so that a stolen session
    /// cannot replace it with the thief's (issue 11, #7).
    #[serde(default)]
    pub current: Option<String>,
}

/// The confidentiality pledge to acknowledge (N12): the same text for everyone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Pledge {
    pub rule: mimamori_policy::Rule,
    pub ja: String,
    pub en: String,
    /// The SHA-256 (hex) of `ja`: what `POST /api/v1/me/pledge` sends back.
    pub sha256: String,
}

/// A new TOTP secret for the caller's authenticator app (N3.3.1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpSecret {
    /// Base32.
    pub secret: String,
    pub otpauth_uri: String,
}

/// A hold placed (T5.3).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoldPlaced {
    pub id: i64,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Form1Query {
    /// Only rows from this serial on.
    pub from_serial: Option<RequestId>,
    /// Only rows ordered on or after this day (Japan time, `YYYY-MM-DD`).
    #[param(value_type = Option<String>)]
    pub from: Option<String>,
    /// Only rows ordered on or before this day (Japan time, `YYYY-MM-DD`).
    #[param(value_type = Option<String>)]
    pub to: Option<String>,
    /// Only rows of this camera.
    pub camera: Option<String>,
    /// Only rows on this T6.1 basis (`t6_1_a` … `t6_1_e`).
    pub basis: Option<String>,
    /// Only rows whose request is now in this state (`reported`, `handed_over`, …).
    #[param(value_type = Option<RequestState>)]
    pub state: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CorrectionInput {
    pub field: String,
    pub value: Value,
    pub reason: String,
}
