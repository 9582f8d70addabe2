//! Who may do what: the one place mimamori decides a permission.
//!
//! Handlers never look at roles. They describe the actor ([`Actor`]), the action, and — for a
//! step of the request chain — the request's facts ([`RequestFacts`]), and call [`decide`] or
//! [`decide_step`]. A refusal ([`Refusal`]) carries a stable code and the guideline rule that
//! refused, in English and Japanese, so every "no" the office says names its reason.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chain::{RequestKind, RequestState, Step};
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
}

impl Action {
    /// Every action, for tables and tests.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::ManageAccounts,
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

/// What the office knows about a request when someone asks to take a step on it.
#[derive(Debug, Clone)]
pub struct RequestFacts<'a> {
    pub kind: RequestKind,
    pub state: RequestState,
    /// The instruction's handler and terminal, once instructed (N9.2).
    pub handler: Option<&'a str>,
    pub terminal: Option<&'a str>,
    pub instruction_expires: Option<Timestamp>,
    /// Who retrieved, once retrieved (N9.3: the same person reports).
    pub retrieved_by: Option<&'a str>,
    /// Who ordered (N9.1) and who instructed (N9.2): someone else retrieves (issue 11, #1).
    pub ordered_by: Option<&'a str>,
    pub instructed_by: Option<&'a str>,
}

/// The terminal a retrieval comes from, as registered (N2, N3.3, N8, N10.4).
#[derive(Debug, Clone)]
pub struct TerminalFacts<'a> {
    pub id: &'a str,
    pub revoked: bool,
    /// A terminal placed at an investigative body under a delegation (N10.4).
    pub delegated: bool,
}

/// May `actor` take `step` on the request now, from `terminal` (retrievals only)?
pub fn decide_step(
    actor: &Actor,
    request: &RequestFacts,
    step: Step,
    terminal: Option<&TerminalFacts>,
    now: Timestamp,
) -> Result<(), Refusal> {
    decide(actor, step_action(request.kind, step))?;
    let next = request.state.after(request.kind, step);
    if next.is_none() {
        return Err(illegal_step(request.state, step));
    }
    match step {
        Step::Retrieve => decide_retrieval(actor, request, terminal, now),
        Step::Report if request.retrieved_by != Some(actor.login) => Err(Refusal::new(
            "not_the_retriever",
            Rule::N9_3,
            "the handler who retrieved reports the result",
            "取り出しを行った画像取扱員が結果を報告します",
        )),
        _ => Ok(()),
    }
}

/// N9.2: the Operations lead instructs someone else: neither themselves nor the Manager who
/// ordered (issue 11, #1). With `office.manager_may_operate` (T3) one person may order and
/// instruct, but the footage is always retrieved by a second person.
pub fn decide_handler(
    actor: &Actor,
    ordered_by: Option<&str>,
    handler: &str,
) -> Result<(), Refusal> {
    if handler == actor.login || Some(handler) == ordered_by {
        return Err(second_person(
            Rule::N9_2,
            "name a handler other than yourself and the Manager who ordered",
            "自分自身または命令した管理責任者を画像取扱員に指名することはできません",
        ));
    }
    Ok(())
}

fn second_person(rule: Rule, en: &str, ja: &str) -> Refusal {
    Refusal::new("second_person_required", rule, en, ja)
}

/// The action a step is: an emergency request's retrieval is delegated staff's (N11.1).
pub fn step_action(kind: RequestKind, step: Step) -> Action {
    match (kind, step) {
        (RequestKind::Emergency, Step::Retrieve) => Action::EmergencyRetrieve,
        _ => Action::Chain(step),
    }
}

/// N9.4, N2, N8: the named handler, at the named registered terminal, before the instruction
/// expires. An emergency retrieval (N11.1) is at the body's own terminal (N10.4).
fn decide_retrieval(
    actor: &Actor,
    request: &RequestFacts,
    terminal: Option<&TerminalFacts>,
    now: Timestamp,
) -> Result<(), Refusal> {
    if request.handler != Some(actor.login) {
        return Err(Refusal::new(
            "not_the_instructed_handler",
            Rule::N9_4,
            "retrieval needs an instruction from the Operations lead naming you",
            "取り出しには、あなたを指名した運用責任者の指示が必要です",
        ));
    }
    // Emergency retrieval is one person's step by the guideline's design (N11.1).
    if request.kind != RequestKind::Emergency
        && (request.ordered_by == Some(actor.login) || request.instructed_by == Some(actor.login))
    {
        return Err(second_person(
            Rule::N9_4,
            "footage is retrieved by someone other than who ordered or instructed it",
            "画像の取り出しは、命令または指示をした者以外の者が行います",
        ));
    }
    if request.instruction_expires.is_none_or(|e| now >= e) {
        return Err(Refusal::new(
            "instruction_expired",
            Rule::N9_4,
            "the instruction has expired; ask the Operations lead for a new one",
            "指示の有効期限が切れています。運用責任者に再度の指示を求めてください",
        ));
    }
    let Some(terminal) = terminal else {
        return Err(unregistered_terminal());
    };
    if terminal.revoked {
        return Err(Refusal::new(
            "terminal_revoked",
            Rule::N3_3,
            format!("terminal {} is revoked", terminal.id),
            format!("端末 {} は登録を取り消されています", terminal.id),
        ));
    }
    let emergency = request.kind == RequestKind::Emergency;
    if request.terminal != Some(terminal.id) || terminal.delegated != emergency {
        return Err(Refusal::new(
            "wrong_terminal",
            Rule::N8,
            format!(
                "the instruction names terminal {}, not {}",
                request.terminal.unwrap_or("-"),
                terminal.id
            ),
            format!(
                "指示で指定された端末は {} です（{} ではありません）",
                request.terminal.unwrap_or("-"),
                terminal.id
            ),
        ));
    }
    Ok(())
}

/// N11.1: delegated staff, at a delegated terminal, at night or on a holiday.
/// `delegation_in_force`: the terminal's delegation is within its dates and is the actor's own.
pub fn decide_emergency(
    office: &Office,
    tz: &jiff::tz::TimeZone,
    actor: &Actor,
    terminal: Option<&TerminalFacts>,
    delegation_in_force: bool,
    now: Timestamp,
) -> Result<(), Refusal> {
    decide(actor, Action::EmergencyRetrieve)?;
    match terminal {
        None => return Err(unregistered_terminal()),
        Some(t) if t.revoked || !t.delegated => {
            return Err(Refusal::new(
                "not_a_delegated_terminal",
                Rule::N10_4,
                format!("terminal {} is not a live terminal of a delegation", t.id),
                format!("端末 {} は委任先の有効な端末ではありません", t.id),
            ))
        }
        Some(_) => {}
    }
    if !delegation_in_force {
        return Err(Refusal::new(
            "delegation_not_in_force",
            Rule::N10_2,
            "no delegation in force covers this terminal and this person",
            "この端末と担当者に有効な委任がありません",
        ));
    }
    if !office.emergency.is_night_or_holiday(now, tz) {
        return Err(Refusal::new(
            "not_an_emergency_hour",
            Rule::N11_1,
            "emergency retrieval is for nights and holidays; during office hours the Manager orders",
            "緊急時の取り出しは夜間・休日に限られます。開庁時間中は管理責任者の指示によります",
        ));
    }
    Ok(())
}

/// N9.3: may the actor correct a Form 1 field that `recorded_by` recorded? Only the person who
/// recorded it, or the Manager, who answers for the ledger (issue 11, #16: any handler or
/// Operations lead could rewrite the Manager's purpose and reason).
pub fn decide_correction(actor: &Actor, recorded_by: &str) -> Result<(), Refusal> {
    decide(actor, Action::CorrectRecord)?;
    if actor.login == recorded_by || acting_roles(actor.roles).any(|r| r == Role::Manager) {
        return Ok(());
    }
    Err(Refusal::new(
        "not_your_record",
        Rule::N9_3,
        "only the person who recorded this field, or the Manager, may correct it",
        "訂正できるのは、記録した本人または管理責任者だけです",
    ))
}

/// What the office knows about a retrieval grant presented for use (N9.4, N3.3).
#[derive(Debug, Clone)]
pub struct GrantFacts {
    pub used: bool,
    /// A newer grant was issued for the same request (one live grant per request).
    pub superseded: bool,
    /// Another grant of the request was used and its retrieval did not fail: the instruction's
    /// footage is already out (issue 11, #12).
    pub request_retrieved: bool,
    /// The earlier of the signed note's expiry and the database's.
    pub expires: Timestamp,
    /// The grant's request and handler are the request's and instruction's.
    pub matches_request: bool,
    /// The request is signed by the registered key of the grant's terminal.
    pub terminal_signed: bool,
}

/// May this grant be used now? The chain step is decided on top ([`decide_step`]).
pub fn decide_grant(grant: &GrantFacts, now: Timestamp) -> Result<(), Refusal> {
    let refuse = |code, rule, en: &str, ja: &str| Err(Refusal::new(code, rule, en, ja));
    if grant.used {
        refuse(
            "grant_used",
            Rule::N9_4,
            "this grant was already used; a grant lets footage out once",
            "この取り出し許可は使用済みです",
        )
    } else if grant.superseded {
        refuse(
            "grant_superseded",
            Rule::N9_4,
            "a newer grant was issued for this request; only the newest can be used",
            "この依頼にはより新しい取り出し許可が発行されています",
        )
    } else if grant.request_retrieved {
        refuse(
            "request_already_retrieved",
            Rule::N9_4,
            "this request's footage was already retrieved with another grant; an instruction lets \
             footage out once",
            "この依頼の映像は別の取り出し許可で取り出し済みです",
        )
    } else if now >= grant.expires {
        refuse(
            "grant_expired",
            Rule::N9_4,
            "the grant has expired; ask for a new one",
            "取り出し許可の有効期限が切れています",
        )
    } else if !grant.matches_request {
        refuse(
            "grant_mismatch",
            Rule::N9_4,
            "the grant does not match the request's instruction",
            "取り出し許可が指示の内容と一致しません",
        )
    } else if !grant.terminal_signed {
        refuse(
            "terminal_signature_invalid",
            Rule::N3_3,
            "the request is not signed by the registered key of the instructed terminal",
            "指示された端末の登録鍵による署名がありません",
        )
    } else {
        Ok(())
    }
}

/// N11.3: is a submitted history the terminal's own?
pub fn decide_history(signed_by_terminal: bool) -> Result<(), Refusal> {
    if signed_by_terminal {
        return Ok(());
    }
    Err(Refusal::new(
        "history_signature_invalid",
        Rule::N11_3,
        "the history is not signed by this terminal's registered key",
        "履歴がこの端末の登録鍵で署名されていません",
    ))
}

fn unregistered_terminal() -> Refusal {
    Refusal::new(
        "unregistered_terminal",
        Rule::N2,
        "footage is retrieved only at a registered dedicated terminal",
        "画像の取り出しは登録された専用端末からのみ行えます",
    )
}

fn illegal_step(state: RequestState, step: Step) -> Refusal {
    let rule = match step {
        Step::Retrieve => Rule::N9_4,
        Step::Instruct => Rule::N9_2,
        Step::Report => Rule::N9_3,
        Step::HandOver => Rule::T6_2,
        Step::RecordForm3 => Rule::N11_2,
        Step::Accept | Step::Decline => Rule::N10_1,
        Step::Cancel => Rule::N9_1,
    };
    Refusal::new(
        "illegal_transition",
        rule,
        format!(
            "a request in state {} cannot take step {step:?}",
            state.as_str()
        ),
        format!("状態「{}」の依頼にはこの操作を行えません", state.ja()),
    )
}

#[cfg(test)]
mod tests;
