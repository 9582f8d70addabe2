//! Footage for outside bodies (N10.1, T6.1, T6.2): provision requests with their documents and
//! the recipient's identity check, the Manager's acceptance or refusal, and the hand-over record.

use mimamori_db::vocabulary::{self, Document, HandedOver, IdentityCheck, Provision};
use mimamori_db::{Closing, EventBody, NewRequest, Origin, RequestUpdate};
use mimamori_policy::access::Action;
use mimamori_policy::chain::Step;
use mimamori_policy::RequestId;
use mimamori_policy::Rule;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::wire::{HandOverInput, ProvisionInput, ReasonInput, RequestView};
use crate::workflow::chain::{
    advance, check_basis, close_with_reason, load, may_step, record_step, row,
};
use crate::workflow::fields::required_text;
use crate::OfficeState;

/// T6.2: every field of the identity check is required.
pub(crate) fn check_identity(check: &IdentityCheck) -> Result<IdentityCheck, ApiError> {
    let field = |name: &str, value: &str| {
        required_text(&format!("identity_check.{name}"), value, 100).map_err(|e| e.rule(Rule::T6_2))
    };
    Ok(IdentityCheck {
        document_type: field("document_type", &check.document_type)?,
        document_number: field("document_number", &check.document_number)?,
        checked_by: field("checked_by", &check.checked_by)?,
    })
}

pub(crate) fn check_document(doc: &Document) -> Result<Document, ApiError> {
    let rule = |e: ApiError| e.rule(Rule::N10_1);
    Ok(match doc {
        Document::Inquiry { number, dated } => Document::Inquiry {
            number: required_text("document.number", number, 100).map_err(rule)?,
            dated: required_text("document.dated", dated, 40).map_err(rule)?,
        },
        Document::Form2 {
            case,
            offence,
            purpose,
            cameras,
            range,
            pledged,
        } => {
            if !pledged {
                return Err(ApiError::invalid(
                    "document.pledged",
                    "Form 2 carries the pledge not to use the images for anything else",
                    "様式第2号には目的外利用をしない旨の誓約が必要です",
                )
                .rule(Rule::N10_1));
            }
            Document::Form2 {
                case: required_text("document.case", case, 200).map_err(rule)?,
                offence: required_text("document.offence", offence, 200).map_err(rule)?,
                purpose: required_text("document.purpose", purpose, 500).map_err(rule)?,
                cameras: required_text("document.cameras", cameras, 500).map_err(rule)?,
                range: required_text("document.range", range, 200).map_err(rule)?,
                pledged: true,
            }
        }
        // Only the public form's request, turned into a provision by staff who checked the
        // person's identity, rests on it (workflow::inquiries::start_provision).
        Document::OwnRequest { .. } => {
            return Err(ApiError::invalid(
                "document.type",
                "a person's own request comes through the inquiry form: start it from the inquiry",
                "本人からの申出は問合せ窓口から受け付けます。問合せの画面から提供依頼を開始してください",
            )
            .rule(Rule::T6_1d))
        }
    })
}

/// N10.1, an outside body's request with its document, waiting for
/// the Manager.
pub async fn register_provision(
    office: &OfficeState,
    caller: &Caller,
    req: ProvisionInput,
) -> Result<RequestView, ApiError> {
    caller
        .may(office, Action::RegisterProvision, "provision_registered")
        .await?;
    let (basis, basis_record) = check_basis(&req.basis)?;
    let provision = Provision {
        body: required_text("body", &req.body, 200)?,
        applicant: required_text("applicant", &req.applicant, 200)?,
        document: check_document(&req.document)?,
        identity_check: check_identity(&req.identity_check)?,
    };
    let new = NewRequest {
        origin: Origin::Provision(Box::new(provision.clone())),
        purpose: required_text("purpose", &req.purpose, 200)?,
        basis: basis_record.clone(),
        reason: required_text("reason", &req.reason, 2000)?,
        created_by: caller.login().to_owned(),
        scope: None,
        alert: None,
    };
    let now = office.clock.now();
    let id = office
        .db
        .create_request(&new, now, |request| {
            caller.event(EventBody::ProvisionRegistered(
                vocabulary::ProvisionRegistered {
                    request,
                    provision: provision.clone(),
                    basis: basis_record.clone(),
                    basis_rule: basis.rule(),
                    purpose: new.purpose.clone(),
                },
            ))
        })
        .await?;
    load(office, id).await
}

/// N10.1, the Manager decides to provide; the request
/// becomes an order and goes through the chain.
pub async fn accept(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, Step::Accept, None).await?;
    let event = caller.event(EventBody::ProvisionAccepted(
        vocabulary::ProvisionAccepted {
            request: id,
            purpose: row.purpose.clone(),
            reason: row.reason.clone(),
            basis: row.basis.clone(),
        },
    ));
    let update = RequestUpdate::Ordered {
        by: caller.login().to_owned(),
    };
    advance(office, &row, next, update, vec![event]).await
}

/// T6.1, the Manager declines, with the reason.
pub async fn decline(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: ReasonInput,
) -> Result<RequestView, ApiError> {
    let body = EventBody::ProvisionDeclined;
    close_with_reason(office, caller, id, Step::Decline, body, req).await
}

/// T6.2, the record of giving footage to the recipient.
pub async fn hand_over(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: HandOverInput,
) -> Result<RequestView, ApiError> {
    let row = row(office, id).await?;
    let next = may_step(office, caller, &row, Step::HandOver, None).await?;
    let t62 = |e: ApiError| e.rule(Rule::T6_2);
    let record = HandedOver {
        request: id,
        handed_over: office.clock.now(),
        recipient: required_text("recipient", &req.recipient, 200).map_err(t62)?,
        purpose: required_text("purpose", &req.purpose, 500).map_err(t62)?,
        content: required_text("content", &req.content, 1000).map_err(t62)?,
        identity_check: check_identity(&req.identity_check)?,
    };
    let update = RequestUpdate::Closed(Closing::HandedOver(record.clone()));
    let step = (&row, next, Step::HandOver);
    let view = record_step(office, caller, step, EventBody::HandedOver(record), update);
    view.await
}
