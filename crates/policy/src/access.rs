//! Who may do what: the one place mimamori decides a permission.
//!
//! Handlers never look at roles. They describe the actor ([`Actor`]), the action, and — for a
//! step of the request chain — the request's facts ([`RequestFacts`]), and call [`decide`] or
//! [`decide_step`]. A refusal ([`Refusal`]) carries a stable code and the guideline rule that
//! refused, in English and Japanese, so every "no" the office says names its reason.

use serde::{Deserialize, Serialize};

use crate::chain::Step;
use crate::{Office, Rule};

/// The roles (N7.1, T3, N10.3). Administrator and Auditor are not in the guideline: the
/// Administrator keeps the account list and nothing else; the Auditor reads the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    /// 管理責任者 (N7.2, T3).
    Manager,
    /// 運用責任者 (N7.3); with [`Role::ImageHandler`] it is the model guideline's Operator (T3).
    OperationsLead,
    /// 画像取扱員 (N7.4).
    ImageHandler,
    /// 捜査機関等事務担当者 (N10.2, N10.3): an investigative body's registered staff.
    DelegatedStaff,
    Auditor,
}

impl Role {
    /// The roles that order, instruct, retrieve or hand over footage (N7.1, N10.3). The
    /// Administrator and the Auditor hold none of them (issue 11, #1): one keeps the accounts,
    /// the other watches the chain.
    pub fn in_chain(self) -> bool {
        matches!(
            self,
            Role::Manager | Role::OperationsLead | Role::ImageHandler | Role::DelegatedStaff
        )
    }

    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::Manager,
        Role::OperationsLead,
        Role::ImageHandler,
        Role::DelegatedStaff,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::OperationsLead => "operations_lead",
            Role::ImageHandler => "image_handler",
            Role::DelegatedStaff => "delegated_staff",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn ja(self) -> &'static str {
        match self {
            Role::Administrator => "システム管理者",
            Role::Manager => "管理責任者",
            Role::OperationsLead => "運用責任者",
            Role::ImageHandler => "画像取扱員",
            Role::DelegatedStaff => "捜査機関等事務担当者",
            Role::Auditor => "監査担当者",
        }
    }

    /// The ward's own roles that handle footage; the T3 separation is about these.
    fn operates(self) -> bool {
        matches!(self, Role::OperationsLead | Role::ImageHandler)
    }
}

/// Everything a signed-in person can ask the office to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "role")]
pub enum Action {
    ManageAccounts,
    /// Appoint someone to a role, or end the appointment.
    Appoint(Role),
    /// Confirm or reject a proposed appointment of a Manager or an Administrator: the second
    /// person (N7.2; issue 11, #1). [`decide_confirmation`] adds who may confirm which.
    ConfirmAppointment,
    RegisterTerminal,
    RevokeTerminal,
    IssueOrder,
    RegisterProvision,
    /// A step of the request chain; [`decide_step`] adds the request's facts.
    Chain(Step),
    RecordDelegation,
    EmergencyRetrieve,
    PlaceHold,
    /// Form 1, requests, events, terminals, staff lists.
    ReadRecords,
    /// N11.3: compare a terminal's own retrieval history with the office's.
    ReconcileHistory,
    /// Add a correction to a Form 1 row (the row itself is never edited).
    CorrectRecord,
    AcknowledgePledge,
    ChangeOwnPassword,
    /// Set up one's own TOTP second factor (N3.3.1).
    EnrollSecondFactor,
    /// N4.1, N7.2: choose a camera's site from the police's crime information.
    ChooseSite,
    /// T2.1, T2.2: record a camera's details, its installation and operation, and its signs.
    RecordCameraWork,
    /// T7.2: end a camera's operation; it comes down with its signs.
    RemoveCamera,
    /// T3.3 c: read the public's inquiries and complaints.
    ReadInquiries,
    /// T3.3 c: note on and answer an inquiry (the Manager and the Operator's duty).
    HandleInquiry,
    /// T8: give an inquiry to someone to answer, and close it; the Manager answers for both.
    ManageInquiry,
}

impl Action {
    /// Every action, for tables and tests.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ManageAccounts,
            Action::ConfirmAppointment,
            Action::RegisterTerminal,
            Action::RevokeTerminal,
            Action::IssueOrder,
            Action::RegisterProvision,
            Action::RecordDelegation,
            Action::EmergencyRetrieve,
            Action::PlaceHold,
            Action::ReadRecords,
            Action::ReconcileHistory,
            Action::CorrectRecord,
            Action::AcknowledgePledge,
            Action::ChangeOwnPassword,
            Action::EnrollSecondFactor,
            Action::ChooseSite,
            Action::RecordCameraWork,
            Action::RemoveCamera,
            Action::ReadInquiries,
            Action::HandleInquiry,
            Action::ManageInquiry,
        ];
        all.extend(Role::ALL.map(Action::Appoint));
        all.extend(Step::ALL.map(Action::Chain));
        all
    }

    /// Who may, and the rule that says so. An empty list: nobody may.
    pub fn permitted(self) -> (&'static [Role], Rule) {
        use Role::*;
        match self {
            Action::ManageAccounts => (&[Administrator], Rule::N7_1),
            // The ward mayor is Manager by office (N7.2); the Administrator records that fact.
            Action::Appoint(Manager | Administrator) => (&[Administrator], Rule::N7_2),
            Action::Appoint(OperationsLead) => (&[Manager], Rule::N7_3),
            Action::Appoint(ImageHandler) => (&[Manager], Rule::N7_4),
            Action::Appoint(DelegatedStaff) => (&[Manager], Rule::N10_3),
            Action::Appoint(Auditor) => (&[Manager, Administrator], Rule::T3_3),
            Action::ConfirmAppointment => (&[Manager, Administrator], Rule::N7_2),
            Action::RegisterTerminal | Action::RevokeTerminal => (&[OperationsLead], Rule::N7_3),
            Action::IssueOrder => (&[Manager], Rule::N9_1),
            Action::RegisterProvision => (&[Manager, OperationsLead, ImageHandler], Rule::N10_1),
            Action::Chain(Step::Accept | Step::Decline) => (&[Manager], Rule::N10_1),
            Action::Chain(Step::Instruct) => (&[OperationsLead], Rule::N9_2),
            Action::Chain(Step::Retrieve) => (&[ImageHandler], Rule::N9_4),
            Action::Chain(Step::Report) => (&[ImageHandler], Rule::N9_3),
            Action::Chain(Step::HandOver) => (&[Manager, OperationsLead, ImageHandler], Rule::T6_2),
            Action::Chain(Step::RecordForm3) => (&[ImageHandler], Rule::N11_2),
            Action::Chain(Step::Cancel) => (&[Manager], Rule::N9_1),
            Action::RecordDelegation => (&[Manager], Rule::N10_2),
            Action::EmergencyRetrieve => (&[DelegatedStaff], Rule::N11_1),
            Action::PlaceHold => (&[Manager], Rule::T5_3),
            Action::ReadRecords => (&[Manager, OperationsLead, ImageHandler, Auditor], Rule::T4),
            Action::ReconcileHistory => (&[Manager, OperationsLead], Rule::N11_3),
            Action::CorrectRecord => (&[Manager, OperationsLead, ImageHandler], Rule::N9_3),
            Action::AcknowledgePledge | Action::ChangeOwnPassword | Action::EnrollSecondFactor => {
                (&Role::ALL, Rule::N12)
            }
            // The Manager chooses sites (N7.2) and ends a camera's operation; the Operations lead
            // runs the cameras day to day (N7.3) and records the work on them.
            Action::ChooseSite => (&[Manager], Rule::N4_1),
            Action::RecordCameraWork => (&[Manager, OperationsLead], Rule::T2_1),
            Action::RemoveCamera => (&[Manager], Rule::T7_2),
            // The Auditor reads them too: how the ward answers the public is part of what is
            // audited. Notes and answers are the Manager's and the Operator's (T3.3 c).
            Action::ReadInquiries => (&[Manager, OperationsLead, Auditor], Rule::T3_3),
            Action::HandleInquiry => (&[Manager, OperationsLead], Rule::T3_3),
            Action::ManageInquiry => (&[Manager], Rule::T8),
        }
    }

    /// Allowed before the pledge, a due password change or a missing second factor: the way
    /// out of each.
    fn is_account_upkeep(self) -> bool {
        matches!(
            self,
            Action::AcknowledgePledge | Action::ChangeOwnPassword | Action::EnrollSecondFactor
        )
    }
}

/// The person asking, as the office knows them at this moment.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub login: &'a str,
    /// Roles of appointments in force now.
    pub roles: &'a [Role],
    /// N12, T3.4: the confidentiality pledge is on record.
    pub pledged: bool,
    /// N3.3.1: the password is older than the policy's rotation period.
    pub password_due: bool,
    /// N3.3.1: the policy wants a second factor from this person and the session has none
    /// ([`needs_second_factor`]).
    pub second_factor_missing: bool,
}

/// N3.3.1: must this session show a TOTP code, under the policy, for these roles?
pub fn needs_second_factor(office: &Office, roles: &[Role], session_has_it: bool) -> bool {
    let lead = roles
        .iter()
        .any(|r| matches!(r, Role::Manager | Role::OperationsLead));
    office.second_factor_for_leads && lead && !session_has_it
}

/// Why the office said no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {en}")]
pub struct Refusal {
    /// Stable and machine-readable.
    pub code: &'static str,
    pub rule: Rule,
    pub en: String,
    pub ja: String,
}

impl Refusal {
    pub fn new(
        code: &'static str,
        rule: Rule,
        en: impl Into<String>,
        ja: impl Into<String>,
    ) -> Self {
        Refusal {
            code,
            rule,
            en: en.into(),
            ja: ja.into(),
        }
    }
}

/// The roles an actor acts in: all of theirs, except that an account holding the Administrator
/// role acts in no chain role. The office no longer appoints anyone to both, but a database
/// from an older release may hold such an account (issue 11, #1).
pub fn acting_roles(roles: &[Role]) -> impl Iterator<Item = Role> + '_ {
    let administrator = roles.contains(&Role::Administrator);
    roles
        .iter()
        .copied()
        .filter(move |r| !(administrator && r.in_chain()))
}

/// May `actor` take `action` at all? Request facts come on top in [`decide_step`].
pub fn decide(actor: &Actor, action: Action) -> Result<(), Refusal> {
    if action.is_account_upkeep() {
        return Ok(());
    }
    if actor.password_due {
        return Err(Refusal::new(
            "password_change_due",
            Rule::N3_3_1,
            "the password is due for its periodic change; change it first",
            "パスワードの定期変更の期限を過ぎています。先に変更してください",
        ));
    }
    if actor.second_factor_missing {
        return Err(Refusal::new(
            "second_factor_required",
            Rule::N3_3_1,
            "the policy asks the Manager and the Operations lead for a TOTP code: set one up \
             (POST /api/v1/me/totp) and sign in with it",
            "運用方針により管理責任者・運用責任者はワンタイムコードでのサインインが必要です",
        ));
    }
    if !actor.pledged {
        return Err(Refusal::new(
            "pledge_required",
            Rule::N12,
            "acknowledge the confidentiality pledge first",
            "先に守秘義務の誓約を行ってください",
        ));
    }
    let (roles, rule) = action.permitted();
    if acting_roles(actor.roles).any(|r| roles.contains(&r)) {
        return Ok(());
    }
    if actor.roles.iter().any(|r| roles.contains(r)) {
        // Only a chain role held beside the Administrator role would have permitted it.
        return Err(Refusal::new(
            "administrator_not_in_chain",
            Rule::N7_1,
            "this account holds the Administrator role, which acts in no other role; end one \
             of its appointments",
            "システム管理者の役割を持つアカウントは、他の役割の操作を行えません。いずれかの任命を終了してください",
        ));
    }
    let names = |f: fn(Role) -> &'static str, sep| {
        roles.iter().map(|&r| f(r)).collect::<Vec<_>>().join(sep)
    };
    Err(Refusal::new(
        "role_not_permitted",
        rule,
        format!(
            "only {} may do this",
            if roles.is_empty() {
                "nobody".into()
            } else {
                names(Role::as_str, " or ")
            }
        ),
        format!("この操作は{}だけが行えます", names(Role::ja, "・")),
    ))
}

/// May `actor` take any of `actions`? The first refusal is returned when none is allowed.
pub fn decide_any(actor: &Actor, actions: &[Action]) -> Result<(), Refusal> {
    let mut first = None;
    for &action in actions {
        match decide(actor, action) {
            Ok(()) => return Ok(()),
            Err(r) => {
                first.get_or_insert(r);
            }
        }
    }
    Err(first.unwrap_or_else(|| {
        Refusal::new(
            "role_not_permitted",
            Rule::N7_1,
            "nobody may",
            "誰も行えません",
        )
    }))
}

mod people;
mod requests;

pub use people::*;
pub use requests::*;

#[cfg(test)]
mod tests;
