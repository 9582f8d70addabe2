//! Retrieval (N9.3, N9.4): the single-use grant for the named handler at the named terminal,
//! and the retrieval that checks it and exports exactly its scope. `retrieve` is the only
//! caller of the recorder's export.

use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, CameraRange, ClipRecord, RetrievalDone};
use mimamori_db::{EventBody, RequestRow, RequestUpdate, SpentGrant};
use mimamori_ledger::checkpoint::TrustedKeys;
use mimamori_policy::access::{decide_grant, step_action, Action, GrantFacts, Refusal};
use mimamori_policy::chain::{RequestState, Step};
use mimamori_policy::RequestId;
use mimamori_policy::Rule;
use mimamori_recorder::RecorderError;
use rand::RngCore;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::evidence::{create_package, Chain, EvidenceError, PackageRequest};
use crate::grant::{terminal_signed, GrantClaims};
use crate::stream::{self, BodyStream, BodyWriter};
use crate::wire::{GrantInput, GrantOutput, RetrievalInput};
use crate::workflow::chain::{advance, may_step, row, terminal_facts};
use crate::workflow::terminals::unknown_terminal;
use crate::{OfficeState, Shared};

/// The named handler at the named terminal asks to retrieve (N9.4); the office answers with
/// a single-use grant.
pub async fn issue_grant(
    office: &OfficeState,
    caller: &Caller,
    id: RequestId,
    req: GrantInput,
) -> Result<GrantOutput, ApiError> {
    let row = row(office, id).await?;
    let terminal = office.db.terminal(&req.terminal).await?;
    let facts = terminal.as_ref().map(terminal_facts);
    may_step(office, caller, &row, Step::Retrieve, facts.as_ref()).await?;
    let now = office.clock.now();
    let lifetime = SignedDuration::try_from(office.policy.office.grant_lifetime)
        .map_err(ApiError::internal)?;
    let instruction = row
        .instruction
        .clone()
        .ok_or_else(|| ApiError::internal("instructed request without instruction"))?;
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let mut cameras = instruction
        .cameras
        .iter()
        .map(|c| CameraRange {
            camera: c.camera.to_string(),
            site: office.policy.camera(&c.camera).map(|p| p.site.clone()),
            from: c.start,
            to: c.end,
        })
        .collect::<Vec<_>>()
        .into_iter();
    let first = cameras
        .next()
        .ok_or_else(|| ApiError::internal("an instruction without a camera"))?;
    let claims = GrantClaims {
        grant: BASE64_URL_SAFE_NO_PAD.encode(raw),
        request: id,
        camera: first.camera,
        from: first.from,
        to: first.to,
        handler: instruction.handler,
        terminal: instruction.terminal_id,
        // Never past the instruction's own expiry.
        expires: (now + lifetime).min(instruction.expires),
        further_cameras: cameras.collect(),
    };
    let note = office
        .notary
        .sign_note(&claims.text())
        .await
        .map_err(ApiError::internal)?;
    let grant = mimamori_db::GrantRow {
        id: claims.grant.clone(),
        request_id: id,
        issued_us: mimamori_db::to_us(now),
        expires_us: mimamori_db::to_us(claims.expires),
        used_us: None,
        superseded_us: None,
        failed_us: None,
    };
    let body = EventBody::RetrievalGrantIssued(vocabulary::GrantIssued {
        request: id,
        grant: claims.grant.clone(),
        expires: claims.expires,
    });
    let event = caller
        .event_as(retrieve_action(&row), body)
        .at_terminal(&claims.terminal);
    office.db.issue_grant(&grant, event).await?;
    Ok(GrantOutput {
        grant: note,
        claims,
    })
}

/// The action a retrieval on `row` is (delegated staff's for an emergency, N11.1).
pub(crate) fn retrieve_action(row: &RequestRow) -> Action {
    step_action(row.kind, Step::Retrieve)
}

/// The only step that lets footage out. It checks the ward's grant, its single use and expiry,
/// the chain step, and the terminal's signature; records the retrieval; and returns the
/// evidence package's zip as it is made (T5.2: nothing of it is on the office's disk).
pub async fn retrieve(
    office: &Shared,
    caller: &Caller,
    req: RetrievalInput,
) -> Result<Retrieved, ApiError> {
    // A grant the office cannot use at all (forged, unknown, lost in a race) is refused with
    // a record like every other refusal (issue 11, #17).
    let Some(claims) = open_grant(office, &req.grant).await? else {
        return Err(refuse_retrieval(office, caller, invalid_grant()).await);
    };
    let db = &office.db;
    let now = office.clock.now();
    let Some(grant) = db.grant(&claims.grant).await? else {
        return Err(refuse_retrieval(office, caller, invalid_grant()).await);
    };
    let row = row(office, claims.request).await?;
    let terminal = db
        .terminal(&claims.terminal)
        .await?
        .ok_or_else(|| unknown_terminal(&claims.terminal))?;
    let facts = GrantFacts {
        used: grant.used_us.is_some(),
        superseded: grant.superseded_us.is_some(),
        request_retrieved: db.request_retrieved(row.id).await?,
        // The database's expiry, not only the note's: scope and time come from the record.
        expires: claims.expires.min(mimamori_db::from_us(grant.expires_us)),
        matches_request: grant.request_id == row.id && row.handler() == Some(&claims.handler),
        terminal_signed: terminal_signed(&terminal.public_key, &req.grant, &req.signature),
    };
    let verdict = decide_grant(&facts, now);
    caller
        .record_refusal(office, retrieve_action(&row), "retrieval", verdict)
        .await?;
    let next = may_step(
        office,
        caller,
        &row,
        Step::Retrieve,
        Some(&terminal_facts(&terminal)),
    )
    .await?;
    let body = EventBody::RetrievalStarted(vocabulary::GrantUsed {
        request: row.id,
        grant: claims.grant.clone(),
    });
    let used = caller
        .event_as(retrieve_action(&row), body)
        .at_terminal(&terminal.id);
    let spent = match db.use_grant(&claims.grant, now, used).await {
        Err(mimamori_db::DbError::Conflict(_)) => {
            return Err(refuse_retrieval(office, caller, lost_race()).await)
        }
        spent => spent?,
    };
    export_for(office, caller, &row, spent, next).await
}

/// A retrieval under way: its request, and its evidence package's zip as it is made. The
/// request is recorded as retrieved before the zip's last bytes are made.
pub struct Retrieved {
    pub request: RequestId,
    pub body: BodyStream,
}

/// Records a refused retrieval attempt and returns the refusal.
async fn refuse_retrieval(office: &OfficeState, caller: &Caller, refusal: Refusal) -> ApiError {
    let action = Action::Chain(Step::Retrieve);
    match caller
        .record_refusal::<()>(office, action, "retrieval", Err(refusal))
        .await
    {
        Err(refused) => refused,
        Ok(()) => ApiError::internal("a refusal was not refused"),
    }
}

/// Checks the ward's signature on a grant note and reads its claims; `None` if the note is
/// not a grant of this ward's. Only the current key opens a grant: a retired key (rotated,
/// perhaps because it leaked) opens none.
pub(crate) async fn open_grant(
    office: &OfficeState,
    note: &str,
) -> Result<Option<GrantClaims>, ApiError> {
    let keys: Vec<String> = office
        .db
        .ledger_keys()
        .await?
        .into_iter()
        .filter(|k| k.retired_us.is_none())
        .map(|k| k.verifier_key)
        .collect();
    let trusted = TrustedKeys::parse(&keys.join("\n")).map_err(ApiError::internal)?;
    let Ok(text) = trusted.open_note(note.as_bytes()) else {
        return Ok(None);
    };
    Ok(GrantClaims::parse(&text))
}

pub(crate) fn invalid_grant() -> Refusal {
    Refusal::new(
        "grant_invalid",
        Rule::N9_4,
        "this is not a retrieval grant issued by this ward",
        "この区が発行した取り出し許可ではありません",
    )
}

/// Another retrieval used this grant, or this request's footage, at the same moment.
fn lost_race() -> Refusal {
    Refusal::new(
        "grant_used",
        Rule::N9_4,
        "another retrieval used this grant or this request's footage at the same moment",
        "同時に別の取り出しがこの許可（または依頼）を使用しました",
    )
}

/// Exports exactly the spent grant's scope into a package streamed to the caller, records
/// the retrieval, and ends the package. A failure before the first byte is the answer; one
/// after it cuts the download off. Either way it is recorded and the grant marked failed.
pub(crate) async fn export_for(
    office: &Shared,
    caller: &Caller,
    row: &RequestRow,
    spent: SpentGrant,
    next: RequestState,
) -> Result<Retrieved, ApiError> {
    let (sink, chunks) = stream::channel();
    let errors = sink.errors();
    let (office_, caller_, row_) = (office.clone(), caller.clone(), row.clone());
    tokio::spawn(async move {
        if let Err(e) = package_and_record(&office_, &caller_, &row_, spent, next, sink).await {
            // The receiver may be gone already (the terminal hung up); that is recorded too.
            let _ = errors.send(Err(e)).await;
        }
    });
    Ok(Retrieved {
        request: row.id,
        body: stream::body(chunks).await?,
    })
}

/// The package of `spent`'s scope, written into `sink`, with the retrieval recorded before
/// the package's last bytes.
async fn package_and_record(
    office: &OfficeState,
    caller: &Caller,
    row: &RequestRow,
    spent: SpentGrant,
    next: RequestState,
    sink: BodyWriter,
) -> Result<(), ApiError> {
    let name = format!("request-{}-{}", row.id, spent.grant());
    let grant = spent.grant().to_owned();
    let terminal = spent.terminal().to_owned();
    let chain = Chain {
        request_id: Some(row.id.to_string()),
        instruction_id: Some(format!("{}-1", row.id)),
        ordered_by: row.ordered_by.clone(),
        instructed_by: row.instruction.as_ref().map(|i| i.instructed_by.clone()),
        terminal: Some(terminal.to_string()),
        legal_basis: Some(row.basis.kind.code().to_owned()),
    };
    let export = PackageRequest {
        grant: spent,
        actor: caller.login().to_owned(),
        reason: row.purpose.clone(),
    };
    let made = create_package(
        office.recorder(),
        &office.notary,
        export,
        &chain,
        &name,
        sink,
    )
    .await;
    let (package, summary) = match made {
        Ok(p) => p,
        Err(e) => return Err(retrieval_failed(office, caller, row, &grant, e).await),
    };
    let clips = summary
        .clips
        .iter()
        .map(|c| ClipRecord {
            range: CameraRange {
                camera: c.camera.to_string(),
                site: office.policy.camera(&c.camera).map(|p| p.site.clone()),
                from: c.start,
                to: c.end,
            },
            clip_sha256: c.export.clip.sha256.clone(),
            clip_bytes: c.export.clip.bytes,
            export_started_event: c.export.clip.started_event,
            export_finished_event: c.export.finished_event,
        })
        .collect();
    let done = RetrievalDone::new(
        row.id,
        grant.clone(),
        terminal.to_string(),
        summary.manifest_sha256.clone(),
        clips,
    )
    .ok_or_else(|| ApiError::internal("a package without a clip"))?;
    let update = RequestUpdate::Retrieved {
        by: caller.login().to_owned(),
        record: done.clone(),
    };
    let event = caller
        .event_as(retrieve_action(row), EventBody::RetrievalDone(done))
        .at_terminal(&terminal);
    advance(office, row, next, update, vec![event]).await?;
    // Recorded as retrieved: a download cut off from here on is the terminal's to report.
    package.finish().await.map_err(ApiError::internal)?;
    Ok(())
}

pub(crate) async fn retrieval_failed(
    office: &OfficeState,
    caller: &Caller,
    row: &RequestRow,
    grant: &str,
    error: EvidenceError,
) -> ApiError {
    let body = EventBody::RetrievalFailed(vocabulary::RetrievalFailed {
        request: row.id,
        error: error.to_string(),
    });
    let event = caller.event_as(retrieve_action(row), body);
    // The grant is marked failed with its event: the request may be retrieved with a new one.
    if let Err(e) = office
        .db
        .grant_failed(grant, office.clock.now(), event)
        .await
    {
        return ApiError::internal(e);
    }
    match error {
        EvidenceError::Recorder(RecorderError::NoFootage) => ApiError::not_found(
            "no_footage",
            "no footage is stored for that camera and range; the grant is spent, ask for a new one",
            "指定範囲の映像はありません（取り出し許可は使用済みになりました。新しい許可を申請してください）",
        ),
        e => ApiError::internal(e),
    }
}
