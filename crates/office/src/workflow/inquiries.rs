//! The staff side of inquiries and complaints (issue 14; T3.3 c, T8, T6.1 d).
//!
//! Who may: reading is [`Action::ReadInquiries`] (the Manager, the Operations lead and the
//! Auditor); notes and answers [`Action::HandleInquiry`] (the Manager and the Operations lead,
//! T3.3 c); giving an inquiry to someone and closing it [`Action::ManageInquiry`] (the Manager,
//! who answers for the ward answering sincerely and quickly, T8). Which step an inquiry's state
//! allows is `mimamori_policy::inquiry::next_state`; every refusal is recorded.
//!
//! A request to see footage of oneself is not answered: it becomes a provision request on the
//! ground of the person's own consent (T6.1 d), with their identity checked (T6.2), and goes
//! through the Manager's decision and the chain like any provision.

use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, Basis, Document, EventBody, Provision};
use mimamori_db::{
    AlertKind, EntryKind, Event, InquiryEntry, InquiryRow, Move, NewAlert, NewEntry, NewRequest,
    Origin,
};
use mimamori_policy::access::{Action, Role};
use mimamori_policy::chain::LegalBasis;
use mimamori_policy::inquiry::{check_assignee, next_state, InquiryStep, Receipt, REPLY_MAX_CHARS};
use mimamori_policy::Rule;
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::inquiries::{AssignInput, EntryOut, InquiryOut, OwnFootageInput, TextInput};
use crate::workflow::fields::{reply_text, required_text};
use crate::workflow::inquiry_form::parse_receipt;
use crate::workflow::provisions::check_identity;
use crate::OfficeState;

/// How many inquiries the list shows at most.
const LIST_LIMIT: i64 = 500;

fn out(office: &OfficeState, row: InquiryRow, entries: Vec<InquiryEntry>) -> InquiryOut {
    let policy = &office.policy.office.inquiries;
    InquiryOut {
        answer_due: policy.due(row.received),
        overdue: policy.is_overdue(row.state, row.received, office.clock.now()),
        receipt: row.receipt,
        category: row.category,
        state: row.state,
        message: row.message,
        contact: row.contact,
        received: row.received,
        assignee: row.assignee,
        first_answered: row.first_answered,
        closed: row.closed,
        request: row.request,
        request_state: None,
        entries: entries
            .into_iter()
            .map(|e| EntryOut {
                kind: e.kind.as_str().to_owned(),
                author: e.author,
                at: e.at,
                text: e.text,
            })
            .collect(),
    }
}

async fn known(office: &OfficeState, receipt: &str) -> Result<InquiryRow, ApiError> {
    let receipt = parse_receipt(receipt)?;
    office.db.inquiry(&receipt).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_inquiry",
            format!("there is no inquiry {receipt}"),
            format!("受付番号 {receipt} の問合せはありません"),
        )
    })
}

/// The start of a step: the caller's role for `action`, the inquiry, and the state `step`
/// leads to from its state. Each refusal is recorded as `kind`.
async fn step(
    office: &OfficeState,
    caller: &Caller,
    (action, kind): (Action, &str),
    receipt: &str,
    step: InquiryStep,
) -> Result<(InquiryRow, Move), ApiError> {
    caller.may(office, action, kind).await?;
    let row = known(office, receipt).await?;
    let verdict = next_state(row.state, row.category, step);
    let to = caller.record_refusal(office, action, kind, verdict).await?;
    Ok((
        row.clone(),
        Move {
            from: row.state,
            to,
        },
    ))
}

/// The SHA-256 of a text, hex: what the ledger keeps of it.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Every inquiry, open ones first (the longest waiting on top), without their entries.
pub async fn list(office: &OfficeState, caller: &Caller) -> Result<Vec<InquiryOut>, ApiError> {
    caller
        .may(office, Action::ReadInquiries, "inquiries_read")
        .await?;
    let rows = office.db.inquiries(LIST_LIMIT).await?;
    Ok(rows.into_iter().map(|r| out(office, r, vec![])).collect())
}

/// One inquiry with its notes and answers.
pub async fn show(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
) -> Result<InquiryOut, ApiError> {
    caller
        .may(office, Action::ReadInquiries, "inquiries_read")
        .await?;
    let row = known(office, receipt).await?;
    whole(office, row).await
}

async fn reload(office: &OfficeState, receipt: &Receipt) -> Result<InquiryOut, ApiError> {
    let row = known(office, receipt.as_str()).await?;
    whole(office, row).await
}

/// An inquiry with its notes and answers, and the state of the provision request it became.
async fn whole(office: &OfficeState, row: InquiryRow) -> Result<InquiryOut, ApiError> {
    let entries = office.db.inquiry_entries(&row.receipt).await?;
    let request_state = match row.request {
        Some(id) => Some(crate::workflow::chain::row(office, id).await?.state),
        None => None,
    };
    Ok(InquiryOut {
        request_state,
        ..out(office, row, entries)
    })
}

/// Who may be given inquiries: the holders of a role that answers them (T3.3 c), today.
pub async fn assignees(office: &OfficeState) -> Result<Vec<String>, ApiError> {
    let now = office.clock.now();
    let mut logins = Vec::new();
    for role in [Role::Manager, Role::OperationsLead] {
        logins.extend(office.db.holders_of(role, now).await?);
    }
    logins.sort();
    logins.dedup();
    Ok(logins)
}

/// T8: the Manager gives the inquiry to someone who answers inquiries.
pub async fn assign(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    input: AssignInput,
) -> Result<InquiryOut, ApiError> {
    let kind = (Action::ManageInquiry, "inquiry_assigned");
    let (row, to) = step(office, caller, kind, receipt, InquiryStep::Assign).await?;
    let assignee = input.assignee.trim();
    let answers = assignees(office).await?.iter().any(|a| a == assignee);
    let verdict = check_assignee(assignee, answers);
    caller
        .record_refusal(office, kind.0, kind.1, verdict)
        .await
        .map_err(|e| e.at_field("assignee"))?;
    let event = caller.event(EventBody::InquiryAssigned(vocabulary::InquiryAssigned {
        receipt: row.receipt.clone(),
        assignee: assignee.to_owned(),
    }));
    let now = office.clock.now();
    office
        .db
        .assign_inquiry(&row.receipt, to, assignee, now, event)
        .await?;
    reload(office, &row.receipt).await
}

/// A note (staff only), an answer (the person sees it on their status page), or the
/// Manager's last answer that closes the inquiry (T8).
async fn write(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    inquiry_step: InquiryStep,
    input: TextInput,
) -> Result<InquiryOut, ApiError> {
    let (action, kind, entry_kind) = match inquiry_step {
        InquiryStep::Note => (Action::HandleInquiry, "inquiry_noted", EntryKind::Note),
        InquiryStep::Dismiss => (Action::ManageInquiry, "inquiry_closed", EntryKind::Answer),
        _ => (Action::HandleInquiry, "inquiry_answered", EntryKind::Answer),
    };
    let (row, to) = step(office, caller, (action, kind), receipt, inquiry_step).await?;
    let text = reply_text("text", &input.text, REPLY_MAX_CHARS)?;
    let written = |first| vocabulary::InquiryWritten {
        receipt: row.receipt.clone(),
        category: row.category,
        text_sha256: sha256_hex(&text),
        first,
    };
    let entry = NewEntry {
        kind: entry_kind,
        author: caller.login(),
        text: &text,
    };
    let now = office.clock.now();
    office
        .db
        .write_inquiry(&row.receipt, to, entry, now, |first| match inquiry_step {
            InquiryStep::Note => vec![caller.event(EventBody::InquiryNoted(written(false)))],
            InquiryStep::Dismiss => vec![
                caller.event(EventBody::InquiryAnswered(written(first))),
                caller.event(EventBody::InquiryClosed(vocabulary::InquiryClosed {
                    receipt: row.receipt.clone(),
                    category: row.category,
                })),
            ],
            _ => vec![caller.event(EventBody::InquiryAnswered(written(first)))],
        })
        .await?;
    reload(office, &row.receipt).await
}

/// T3.3 c: an internal note.
pub async fn note(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    input: TextInput,
) -> Result<InquiryOut, ApiError> {
    write(office, caller, receipt, InquiryStep::Note, input).await
}

/// T8: an answer the person sees. A request to see one's own footage is refused here
/// (T6.1 d: it becomes a provision request).
pub async fn answer(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    input: TextInput,
) -> Result<InquiryOut, ApiError> {
    write(office, caller, receipt, InquiryStep::Answer, input).await
}

/// T8: the Manager closes an inquiry with a last answer the person sees, whatever it waited
/// for: a message that needs nothing more, an own-footage request whose person never came to
/// the counter (T6.1 d), a provision request that was declined.
pub async fn dismiss(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    input: TextInput,
) -> Result<InquiryOut, ApiError> {
    write(office, caller, receipt, InquiryStep::Dismiss, input).await
}

/// T6.1 d, T6.2: the person came with their identity document; their request becomes a
/// provision request on the ground of their consent, waiting for the Manager's decision
/// (N10.1). Whoever starts it must also be allowed to register provision requests.
pub async fn start_provision(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
    input: OwnFootageInput,
) -> Result<InquiryOut, ApiError> {
    caller
        .may(office, Action::RegisterProvision, "provision_registered")
        .await?;
    let kind = (Action::HandleInquiry, "inquiry_provision_started");
    let (row, to) = step(office, caller, kind, receipt, InquiryStep::StartProvision).await?;
    let t6_1d = |e: ApiError| e.rule(Rule::T6_1d);
    let applicant = required_text("applicant", &input.applicant, 200).map_err(t6_1d)?;
    // T6.2: whoever starts it is who checked the person's identity at the counter.
    let mut identity = input.identity_check.clone();
    identity.checked_by = caller.login().to_owned();
    let provision = Provision {
        body: "本人（T6.1 d）".to_owned(),
        applicant: applicant.clone(),
        document: Document::OwnRequest {
            receipt: row.receipt.clone(),
        },
        identity_check: check_identity(&identity)?,
    };
    let basis = Basis {
        kind: LegalBasis::Consent,
        facts: [("consent_of".to_owned(), applicant)].into(),
    };
    // The request keeps the person's name and identity document (Form 2 prints them); the
    // ledger, kept for ever and handed to auditors, names the person by the receipt only.
    let person = format!("本人（受付番号 {}）", row.receipt);
    let on_record = "（提供依頼の記録に記載）".to_owned();
    let recorded = Provision {
        applicant: person.clone(),
        identity_check: vocabulary::IdentityCheck {
            document_number: on_record,
            ..provision.identity_check.clone()
        },
        ..provision.clone()
    };
    let recorded_basis = Basis {
        kind: LegalBasis::Consent,
        facts: [("consent_of".to_owned(), person)].into(),
    };
    let purpose = format!("本人の映像の閲覧・提供の申出（受付番号 {}）", row.receipt);
    let new = NewRequest {
        origin: Origin::Provision(Box::new(provision.clone())),
        purpose: purpose.clone(),
        basis,
        reason: required_text("reason", &input.reason, 2000).map_err(t6_1d)?,
        created_by: caller.login().to_owned(),
        scope: None,
        alert: None,
    };
    let now = office.clock.now();
    let receipt = row.receipt.clone();
    office
        .db
        .start_inquiry_provision(&row.receipt, to, &new, now, |request| {
            vec![
                caller.event(EventBody::ProvisionRegistered(
                    vocabulary::ProvisionRegistered {
                        request,
                        provision: recorded,
                        basis: recorded_basis,
                        basis_rule: LegalBasis::Consent.rule(),
                        purpose,
                    },
                )),
                caller.event(EventBody::InquiryProvisionStarted(
                    vocabulary::InquiryProvisionStarted { receipt, request },
                )),
            ]
        })
        .await?;
    reload(office, &row.receipt).await
}

/// T8: the Manager closes an answered inquiry.
pub async fn close(
    office: &OfficeState,
    caller: &Caller,
    receipt: &str,
) -> Result<InquiryOut, ApiError> {
    let kind = (Action::ManageInquiry, "inquiry_closed");
    let (row, to) = step(office, caller, kind, receipt, InquiryStep::Close).await?;
    let event = caller.event(EventBody::InquiryClosed(vocabulary::InquiryClosed {
        receipt: row.receipt.clone(),
        category: row.category,
    }));
    let now = office.clock.now();
    office
        .db
        .close_inquiry(&row.receipt, to, now, event)
        .await?;
    reload(office, &row.receipt).await
}

/// T8: raises an alert for the Manager for each inquiry past the policy's days without an
/// answer; the first answer resolves it. Returns the inquiries newly alerted.
pub async fn check_inquiry_deadlines(
    office: &OfficeState,
) -> Result<Vec<Receipt>, mimamori_db::DbError> {
    let now = office.clock.now();
    let policy = &office.policy.office.inquiries;
    // Overdue once `now` is past `received + answer_within` (policy::inquiry::Inquiries).
    let within = SignedDuration::try_from(policy.answer_within).unwrap_or(SignedDuration::MAX);
    let received_before = now.checked_sub(within).unwrap_or(jiff::Timestamp::MIN);
    let db = &office.db;
    let mut alerted = Vec::new();
    for row in db.inquiries_overdue(received_before).await? {
        let days = policy.answer_within.as_secs() / 86_400;
        let message = format!(
            "問合せ {} に{days}日を過ぎても回答していません / inquiry {} has had no answer for {days} days",
            row.receipt, row.receipt
        );
        let alert = NewAlert {
            kind: AlertKind::InquiryOverdue,
            camera: None,
            message,
        };
        let receipt = row.receipt.clone();
        let raised = db.raise_inquiry_overdue(&row.receipt, &alert, now, |alert| {
            let body = EventBody::InquiryOverdue(vocabulary::InquiryOverdue { receipt, alert });
            Event::system("office", body).at(now)
        });
        match raised.await {
            Ok(_) => alerted.push(row.receipt),
            // Answered while this check ran: nothing to raise; the others still are.
            Err(mimamori_db::DbError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(alerted)
}
