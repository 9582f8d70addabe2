//! N7.2 (issue 11, #1): a Manager or an Administrator is appointed with a second person's
//! confirmation, once the ward has had a Manager. An Administrator who could appoint the
//! Manager alone could appoint an account it controls; now the Manager in force (or another
//! Administrator, for a Manager) confirms, and the Manager and the Auditor are alerted at the
//! proposal and at the confirmation.

use jiff::SignedDuration;
use mimamori_db::{
    from_us, vocabulary, AlertKind, AppointmentRow, EventBody, NewAlert, NewAppointment,
    ProposalDecision, ProposalRow, StaffRow,
};
use mimamori_policy::access::{
    decide_appointee, decide_appointment, decide_confirmation, decide_rejection, Action,
    ProposalFacts, Role,
};
use mimamori_policy::ProposalId;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{ProposalView, ReasonInput};
use crate::workflow::fields::required_text;
use crate::workflow::staff::may_read;
use crate::OfficeState;

/// Proposes the appointment of `staff` to `role` (checked by the caller's step): it waits for a
/// second person.
pub(crate) async fn propose(
    office: &OfficeState,
    caller: &Caller,
    staff: &StaffRow,
    new: &NewAppointment<'_>,
) -> Result<ProposalView, ApiError> {
    let now = office.clock.now();
    let lifetime = SignedDuration::try_from(office.policy.office.confirmation_lifetime)
        .map_err(ApiError::internal)?;
    let expires = now + lifetime;
    let login = staff.login.as_str();
    let role = new.role;
    let alert = NewAlert {
        kind: AlertKind::Appointment,
        camera: None,
        message: format!(
            "任命の確認待ち: {login} を{}に（提案 {by}） / appointment awaiting confirmation: \
             {login} as {} proposed by {by}",
            role.ja(),
            role.as_str(),
            by = new.by,
        ),
    };
    let id = office
        .db
        .propose_appointment(new, (now, expires), &alert, |proposal| {
            caller.event(EventBody::AppointmentProposed(
                vocabulary::AppointmentProposed {
                    proposal,
                    login: login.to_owned(),
                    role,
                    until: new.until,
                    expires,
                },
            ))
        })
        .await?;
    view(office, proposal(office, id).await?).await
}

async fn proposal(office: &OfficeState, id: ProposalId) -> Result<ProposalRow, ApiError> {
    office.db.proposal(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_proposal",
            format!("no proposed appointment {id}"),
            format!("任命の提案 {id} はありません"),
        )
    })
}

async fn appointee(office: &OfficeState, p: &ProposalRow) -> Result<StaffRow, ApiError> {
    office
        .db
        .staff_by_id(p.staff_id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("proposal {} names no account", p.id)))
}

async fn view(office: &OfficeState, proposal: ProposalRow) -> Result<ProposalView, ApiError> {
    let login = appointee(office, &proposal).await?.login;
    Ok(ProposalView { login, proposal })
}

async fn facts<'a>(
    office: &OfficeState,
    caller: &Caller,
    p: &'a ProposalRow,
    appointee: &'a StaffRow,
) -> Result<ProposalFacts<'a>, ApiError> {
    let db = &office.db;
    let now = office.clock.now();
    let manager_in_force = db
        .holders_of(Role::Manager, now)
        .await?
        .iter()
        .any(|login| appointee.login != login.as_str());
    let actor_was_administrator = db
        .held_role_at(caller.staff.id, Role::Administrator, from_us(p.proposed_us))
        .await?;
    Ok(ProposalFacts {
        role: p.role,
        appointee: appointee.login.as_str(),
        proposed_by: &p.proposed_by,
        open: p.decision.is_none(),
        expires: from_us(p.expires_us),
        manager_in_force,
        actor_was_administrator,
    })
}

/// N7.2: the second person confirms; the appointment is in force from now.
pub async fn confirm(
    office: &OfficeState,
    caller: &Caller,
    id: ProposalId,
) -> Result<AppointmentRow, ApiError> {
    let p = proposal(office, id).await?;
    let staff = appointee(office, &p).await?;
    let now = office.clock.now();
    let facts = facts(office, caller, &p, &staff).await?;
    let current = office.db.roles_in_force(staff.id, now).await?;
    // The appointee's roles may have changed since the proposal: the appointment's own rules
    // hold again.
    let verdict = decide_confirmation(&caller.actor(), &facts, now)
        .and_then(|()| {
            decide_appointment(
                &office.policy.office,
                &current,
                p.role,
                staff.delegation_id.is_some(),
            )
        })
        .and_then(|()| decide_appointee(staff.enrolled_us.is_some() && staff.left_us.is_none()));
    caller
        .record_refusal(
            office,
            Action::ConfirmAppointment,
            "appointment_confirmed",
            verdict,
        )
        .await?;
    let login = staff.login.as_str();
    let alert = NewAlert {
        kind: AlertKind::Appointment,
        camera: None,
        message: format!(
            "任命: {login} を{}に（提案 {proposer}、確認 {by}） / appointed: {login} as {}, \
             proposed by {proposer}, confirmed by {by}",
            p.role.ja(),
            p.role.as_str(),
            proposer = p.proposed_by,
            by = caller.login(),
        ),
    };
    let appointment = office
        .db
        .confirm_proposal(id, caller.login(), now, &alert, |appointment| {
            caller.event(EventBody::AppointmentConfirmed(
                vocabulary::AppointmentConfirmed {
                    proposal: id,
                    appointment,
                    login: login.to_owned(),
                    role: p.role,
                    proposed_by: p.proposed_by.clone(),
                },
            ))
        })
        .await?;
    office
        .db
        .appointment(appointment)
        .await?
        .ok_or_else(|| ApiError::internal("lost"))
}

/// N7.2: rejected by the Manager or an Administrator, or withdrawn by its proposer.
pub async fn reject(
    office: &OfficeState,
    caller: &Caller,
    id: ProposalId,
    req: ReasonInput,
) -> Result<(), ApiError> {
    let p = proposal(office, id).await?;
    let staff = appointee(office, &p).await?;
    let now = office.clock.now();
    let facts = facts(office, caller, &p, &staff).await?;
    let verdict = decide_rejection(&caller.actor(), &facts, now);
    caller
        .record_refusal(
            office,
            Action::ConfirmAppointment,
            "appointment_rejected",
            verdict,
        )
        .await?;
    let reason = required_text("reason", &req.reason, 2000)?;
    let withdrawn = caller.login() == p.proposed_by;
    let decision = if withdrawn {
        ProposalDecision::Withdrawn
    } else {
        ProposalDecision::Rejected
    };
    let event = caller.event(EventBody::AppointmentRejected(
        vocabulary::AppointmentRejected {
            proposal: id,
            login: staff.login.to_string(),
            role: p.role,
            reason: reason.clone(),
            withdrawn,
        },
    ));
    office
        .db
        .close_proposal(id, (caller.login(), decision, &reason), now, event)
        .await?;
    Ok(())
}

/// Proposals, open ones first: for the Manager, the Administrators and the Auditor.
pub async fn list_proposals(
    office: &OfficeState,
    caller: &Caller,
) -> Result<Vec<ProposalView>, ApiError> {
    may_read(office, caller).await?;
    let mut out = Vec::new();
    for p in office.db.proposals(200).await? {
        out.push(view(office, p).await?);
    }
    Ok(out)
}
