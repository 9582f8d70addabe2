//! The paper forms as PDF (issue 13): 様式第1号 over Form 1's rows (N9.3), 様式第2号 and
//! 様式第3号 prefilled from a request for the investigative body to sign (N10.1, N11.2), and the
//! delegation's written confirmation (N10.2). Reading them is reading records (T4); each print
//! is an event with the PDF's SHA-256, so a paper in a file can be matched to the ledger.

use jiff::Timestamp;
use mimamori_db::vocabulary::{DocumentIssued, PaperForm};
use mimamori_db::EventBody;
use mimamori_forms::Document;
use mimamori_policy::access::Action;
use mimamori_policy::{DelegationId, RequestId};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::documents;
use crate::error::ApiError;
use crate::wire::Form1Query;
use crate::workflow::chain::row;
use crate::workflow::form1::list_form1;
use crate::OfficeState;

/// A printed form: its bytes, their hash, and a file name for the download.
pub struct Pdf {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub file_name: String,
}

/// 様式第1号 over the rows the filters keep (the same filters as the register's list).
pub async fn form1_pdf(
    office: &OfficeState,
    caller: &Caller,
    q: Form1Query,
) -> Result<Pdf, ApiError> {
    let period = documents::period(q.from.as_deref(), q.to.as_deref());
    let rows = list_form1(office, caller, q).await?;
    let (document, issued) = documents::register(&office.policy, &rows, period);
    let name = "form1.pdf".to_owned();
    issue(
        office,
        caller,
        (PaperForm::Form1, None),
        document,
        issued,
        name,
    )
    .await
}

/// 様式第2号 for a provision request, prefilled.
pub async fn form2_pdf(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
) -> Result<Pdf, ApiError> {
    caller
        .may(office, Action::ReadRecords, "document_issued")
        .await?;
    let row = row(office, id).await?;
    let (document, issued) = documents::application(&office.policy, &row)
        .ok_or_else(|| not_this_kind(id, PaperForm::Form2))?;
    let subject = (PaperForm::Form2, Some(id.get()));
    let name = format!("form2-{id}.pdf");
    issue(office, caller, subject, document, issued, name).await
}

/// 様式第3号 for an emergency retrieval, prefilled with the delegated body's name.
pub async fn form3_pdf(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
) -> Result<Pdf, ApiError> {
    caller
        .may(office, Action::ReadRecords, "document_issued")
        .await?;
    let row = row(office, id).await?;
    let delegation = match &row.origin {
        mimamori_db::Origin::Emergency(e) => match e.delegation_id {
            Some(d) => office.db.delegation(d).await?,
            None => None,
        },
        _ => None,
    };
    let body = delegation.map(|d| d.body).unwrap_or_default();
    let (document, issued) = documents::emergency_application(&office.policy, &row, &body)
        .ok_or_else(|| not_this_kind(id, PaperForm::Form3))?;
    let subject = (PaperForm::Form3, Some(id.get()));
    let name = format!("form3-{id}.pdf");
    issue(office, caller, subject, document, issued, name).await
}

/// The written confirmation of a delegation (N10.2), signed by the Manager who recorded it.
pub async fn delegation_pdf(
    office: &OfficeState,
    caller: &Caller,
    id: DelegationId,
) -> Result<Pdf, ApiError> {
    caller
        .may(office, Action::ReadRecords, "document_issued")
        .await?;
    let delegation = office.db.delegation(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_delegation",
            format!("no delegation {id}"),
            format!("委任 {id} はありません"),
        )
    })?;
    let manager = office
        .db
        .staff_by_login(&delegation.recorded_by)
        .await?
        .map(|s| s.name)
        .unwrap_or_else(|| delegation.recorded_by.clone());
    let (document, issued) = documents::delegation(&office.policy, &delegation, &manager);
    let subject = (PaperForm::Delegation, Some(id.get()));
    let name = format!("delegation-{id}.pdf");
    issue(office, caller, subject, document, issued, name).await
}

/// A request of another kind has no such form (Form 2 is a provision's, Form 3 an emergency's).
fn not_this_kind(id: RequestId, form: PaperForm) -> ApiError {
    let (n, en_kind, ja_kind) = match form {
        PaperForm::Form2 => (2, "an outside body's request", "外部機関からの提供依頼"),
        _ => (3, "an emergency retrieval", "緊急の取り出し"),
    };
    ApiError::bad_request(
        "no_such_form",
        format!("request {id} is not {en_kind}: it has no Form {n}"),
        format!("依頼 {id} は{ja_kind}ではないため、様式第{n}号はありません"),
    )
}

/// Lays the form out (on a blocking thread: typesetting takes milliseconds of CPU) and puts
/// its hash on the ledger.
async fn issue(
    office: &OfficeState,
    caller: &Caller,
    (form, subject): (PaperForm, Option<i64>),
    document: Document,
    issued: Timestamp,
    file_name: String,
) -> Result<Pdf, ApiError> {
    let bytes = tokio::task::spawn_blocking(move || mimamori_forms::render(&document, issued))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let event = caller.event(EventBody::DocumentIssued(DocumentIssued {
        form,
        subject,
        sha256: sha256.clone(),
        bytes: bytes.len() as u64,
    }));
    office.db.append_event(&event).await?;
    Ok(Pdf {
        bytes,
        sha256,
        file_name,
    })
}

/// A PDF as a download: its type, its file name, and its hash as the entity tag.
impl axum::response::IntoResponse for Pdf {
    fn into_response(self) -> axum::response::Response {
        use axum::http::header;
        let disposition = format!("attachment; filename=\"{}\"", self.file_name);
        (
            [
                (header::CONTENT_TYPE, "application/pdf".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
                (header::ETAG, format!("\"{}\"", self.sha256)),
            ],
            self.bytes,
        )
            .into_response()
    }
}
