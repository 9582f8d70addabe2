//! Decisions about people: who may hold which role, and how an account gets its password
//! (N7, N10.3, T3, N3.3.1; issue 11, #1).

use jiff::Timestamp;

use super::{acting_roles, decide, Action, Actor, Refusal, Role};
use crate::{Office, Rule};

/// N7.1, T3, N10.3: may a person now holding `current` roles be appointed to `role`?
/// `of_delegation`: the account belongs to an investigative body's delegation.
///
/// The Administrator holds no other role, and the Auditor no role in the chain (issue 11, #1):
/// an Administrator who could appoint itself Manager ran the whole chain alone, and an Auditor
/// in the chain would watch itself.
pub fn decide_appointment(
    office: &Office,
    current: &[Role],
    role: Role,
    of_delegation: bool,
) -> Result<(), Refusal> {
    if current.contains(&role) {
        return Err(Refusal::new(
            "already_appointed",
            Rule::N7_1,
            format!("already appointed {}", role.as_str()),
            format!("既に{}に任命されています", role.ja()),
        ));
    }
    if (role == Role::Administrator && !current.is_empty())
        || current.contains(&Role::Administrator)
    {
        return Err(Refusal::new(
            "administrator_separate",
            Rule::N7_1,
            "the Administrator keeps the accounts and holds no other role (Manager, Operations \
             lead, Image handler, delegated staff, Auditor)",
            "システム管理者は他の役割（管理責任者・運用責任者・画像取扱員・捜査機関等事務担当者・監査担当者）を兼ねられません",
        ));
    }
    if (role == Role::Auditor && current.iter().any(|r| r.in_chain()))
        || (role.in_chain() && current.contains(&Role::Auditor))
    {
        return Err(Refusal::new(
            "auditor_separate",
            Rule::N7_1,
            "the Auditor reviews the chain and holds no role in it",
            "監査担当者は管理責任者・運用責任者・画像取扱員・捜査機関等事務担当者を兼ねられません",
        ));
    }
    let outside = role == Role::DelegatedStaff;
    if outside != of_delegation
        || current
            .iter()
            .any(|&r| (r == Role::DelegatedStaff) != outside)
    {
        return Err(Refusal::new(
            "outside_staff_separate",
            Rule::N10_3,
            "only a delegation's own accounts are delegated staff, and they hold no ward role",
            "捜査機関等事務担当者は委任に属するアカウントに限られ、区の役割を兼ねられません",
        ));
    }
    let manager_operates = (role == Role::Manager && current.iter().any(|r| r.operates()))
        || (role.operates() && current.contains(&Role::Manager));
    if manager_operates && !office.manager_may_operate {
        return Err(Refusal::new(
            "separation_of_duties",
            Rule::T3,
            "the policy keeps the Manager apart from the Operations lead and Image handlers \
             (office.manager_may_operate = false)",
            "この運用方針では管理責任者は運用責任者・画像取扱員を兼ねられません",
        ));
    }
    Ok(())
}

/// N3.3.1 (issue 11, #1): an Administrator never chooses an account's password; the holder
/// sets it with an enrolment code. `chosen`: the request to open the account carried one.
pub fn decide_account_password(chosen: bool) -> Result<(), Refusal> {
    if chosen {
        return Err(Refusal::new(
            "password_set_by_holder",
            Rule::N3_3_1,
            "an account's password is set by its holder with the enrolment code; the \
             Administrator never chooses one (leave out \"password\")",
            "パスワードは本人が登録コードで設定します。システム管理者が決めることはできません",
        ));
    }
    Ok(())
}

/// N3.3.1 (issue 11, #1): a person is appointed once they have set their own password, so the
/// role goes to the account its holder controls.
pub fn decide_appointee(enrolled: bool) -> Result<(), Refusal> {
    if !enrolled {
        return Err(Refusal::new(
            "not_enrolled",
            Rule::N3_3_1,
            "the account has not enrolled yet: its holder first sets a password with the \
             enrolment code (POST /api/v1/enrol)",
            "このアカウントは本人による登録（登録コードでのパスワード設定）がまだ済んでいません",
        ));
    }
    Ok(())
}

/// N7.2 (issue 11, #1): is an appointment to `role` made only with a second person's
/// confirmation? A Manager or an Administrator, once the ward has ever had a Manager. Before
/// that the ward is being set up and nobody could confirm; after it, "ever" rather than "now",
/// or an Administrator would end the Manager's appointment and then appoint freely.
pub fn needs_confirmation(role: Role, ward_has_had_a_manager: bool) -> bool {
    matches!(role, Role::Manager | Role::Administrator) && ward_has_had_a_manager
}

/// What the office knows about a proposed appointment when someone confirms or rejects it.
#[derive(Debug, Clone)]
pub struct ProposalFacts<'a> {
    /// A Manager or an Administrator.
    pub role: Role,
    pub appointee: &'a str,
    pub proposed_by: &'a str,
    /// Neither confirmed, rejected nor withdrawn.
    pub open: bool,
    pub expires: Timestamp,
    /// A Manager other than the appointee is in force now.
    pub manager_in_force: bool,
    /// The actor held the Administrator role when the proposal was made.
    pub actor_was_administrator: bool,
}

fn proposal_refusal(code: &'static str, en: &str, ja: &str) -> Refusal {
    Refusal::new(code, Rule::N7_2, en, ja)
}

/// N7.2 (issue 11, #1): may `actor` confirm the proposed appointment? The Manager in force, or
/// an Administrator who was one when it was proposed; never the proposer, never the appointee.
/// A new Administrator is confirmed by the Manager while one is in force, or a first
/// Administrator's puppet would confirm its maker's proposals.
pub fn decide_confirmation(
    actor: &Actor,
    p: &ProposalFacts,
    now: Timestamp,
) -> Result<(), Refusal> {
    decide(actor, Action::ConfirmAppointment)?;
    decide_open(p, now)?;
    if actor.login == p.proposed_by {
        return Err(proposal_refusal(
            "own_proposal",
            "an appointment you proposed is confirmed by a second person: the Manager in \
             force or another Administrator",
            "自分が提案した任命は、他の者（現任の管理責任者または別のシステム管理者）が確認します",
        ));
    }
    if actor.login == p.appointee {
        return Err(proposal_refusal(
            "own_appointment",
            "nobody confirms their own appointment",
            "自分自身の任命を確認することはできません",
        ));
    }
    if acting_roles(actor.roles).any(|r| r == Role::Manager) {
        return Ok(());
    }
    if p.role == Role::Administrator && p.manager_in_force {
        return Err(proposal_refusal(
            "manager_confirms",
            "while a Manager is in force, a new Administrator is confirmed by the Manager",
            "管理責任者の在任中は、システム管理者の任命は管理責任者が確認します",
        ));
    }
    if !p.actor_was_administrator {
        return Err(proposal_refusal(
            "administrator_too_recent",
            "an Administrator appointed after the proposal was made cannot confirm it",
            "提案の後に任命されたシステム管理者は、この提案を確認できません",
        ));
    }
    Ok(())
}

/// N7.2: may `actor` reject the proposal (or, as its proposer, withdraw it)?
pub fn decide_rejection(actor: &Actor, p: &ProposalFacts, now: Timestamp) -> Result<(), Refusal> {
    decide(actor, Action::ConfirmAppointment)?;
    decide_open(p, now)
}

fn decide_open(p: &ProposalFacts, now: Timestamp) -> Result<(), Refusal> {
    if !p.open {
        return Err(proposal_refusal(
            "proposal_closed",
            "this proposal was already confirmed, rejected or withdrawn",
            "この任命の提案は既に確認・却下・取り下げされています",
        ));
    }
    if now >= p.expires {
        return Err(proposal_refusal(
            "proposal_expired",
            "the proposal has expired; propose the appointment again",
            "任命の提案の有効期限が切れています。再度提案してください",
        ));
    }
    Ok(())
}
