//! Decisions about a step of the request chain (N9–N11, N2, N8): the request's facts, the
//! terminal's, the grant's.

use jiff::Timestamp;

use super::{acting_roles, decide, Action, Actor, Refusal, Role};
use crate::chain::{RequestKind, RequestState, Step};
use crate::{Office, Rule};

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

/// When an emergency retrieval was allowed (N11.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmergencyHours {
    /// At night or on a holiday, as the policy lists them.
    Listed,
    /// Outside them, with the reason the officer stated: N11.1 says 夜間、休日**など** ("nights,
    /// holidays and the like"), so a real emergency in office hours is not refused, but it is
    /// flagged for the Manager (issue 11, #5).
    OutsideWithReason,
}

/// N11.1: delegated staff, at a delegated terminal, at night or on a holiday, or at another
/// hour with a stated reason (`outside_hours_reason`).
/// `delegation_in_force`: the terminal's delegation is within its dates and is the actor's own.
pub fn decide_emergency(
    office: &Office,
    tz: &jiff::tz::TimeZone,
    actor: &Actor,
    (terminal, delegation_in_force): (Option<&TerminalFacts>, bool),
    outside_hours_reason: Option<&str>,
    now: Timestamp,
) -> Result<EmergencyHours, Refusal> {
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
    if office.emergency.is_night_or_holiday(now, tz) {
        return Ok(EmergencyHours::Listed);
    }
    if outside_hours_reason.is_some_and(|r| !r.trim().is_empty()) {
        return Ok(EmergencyHours::OutsideWithReason);
    }
    Err(Refusal::new(
        "not_an_emergency_hour",
        Rule::N11_1,
        "emergency retrieval is for nights and holidays; during office hours the Manager orders, \
         unless the emergency cannot wait for that: then say why in \"outside_hours_reason\"",
        "緊急時の取り出しは夜間・休日に限られます。開庁時間中は管理責任者の指示によります。\
         それを待てない緊急の場合は、その理由を outside_hours_reason に記載してください",
    ))
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

/// N10.1, T6.1, T6.2 (issue 11, #3): footage reaches anyone outside the ward, or is shown to
/// them, only through a provision, whose hand-over records the recipient and the identity
/// check. A report says what the footage was written to and names no recipient: an internal
/// order's report naming the police handed them footage with no inquiry, no Form 2 and no
/// identity check.
pub fn decide_report_recipient(recipient_named: bool) -> Result<(), Refusal> {
    if recipient_named {
        return Err(Refusal::new(
            "recipient_needs_provision",
            Rule::N10_1,
            "footage is given or shown to anyone outside the ward only through a provision \
             (POST /api/v1/provisions), whose hand-over records the recipient and the identity \
             check; a report names no recipient",
            "区外の者への画像の提供・閲覧は、提供依頼（照会書・様式第2号と本人確認）を通じてのみ行います。報告に受領者は記載しません",
        ));
    }
    Ok(())
}

/// N10.2 (issue 11, #4): an emergency retrieval is of a camera the delegation names; its scope
/// is data, not free text nobody checks.
pub fn decide_delegated_camera(covered: bool) -> Result<(), Refusal> {
    if !covered {
        return Err(Refusal::new(
            "camera_outside_delegation",
            Rule::N10_2,
            "the delegation does not cover this camera",
            "この委任の対象外のカメラです",
        ));
    }
    Ok(())
}
