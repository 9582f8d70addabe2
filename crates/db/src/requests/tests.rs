use std::collections::BTreeMap;

use mimamori_ledger::vocabulary::{Basis, Closed};
use mimamori_policy::chain::{LegalBasis, RequestState};

use super::*;
use crate::testutil::{any_event, t0};
use crate::GrantRow;

fn order() -> NewRequest {
    NewRequest {
        origin: Origin::Order,
        purpose: "p".into(),
        basis: Basis {
            kind: LegalBasis::Purpose,
            facts: BTreeMap::new(),
        },
        reason: "r".into(),
        created_by: "mgr".into(),
        scope: None,
        alert: None,
    }
}

#[tokio::test]
async fn a_step_is_taken_once() {
    let db = crate::testutil::test_db().await;
    let now = t0();
    let id = db
        .create_request(&order(), now, |_| any_event())
        .await
        .unwrap();
    let row = db.request(id).await.unwrap().unwrap();
    assert_eq!(
        (row.kind, row.state),
        (RequestKind::Internal, RequestState::Ordered)
    );
    assert_eq!(row.ordered_by.as_deref(), Some("mgr"));
    let close = RequestUpdate::Closed(Closing::Reason(Closed {
        request: id,
        reason: "test".into(),
    }));
    let step = (RequestState::Ordered, RequestState::Cancelled);
    db.advance_request(id, step, &close, now, vec![any_event()])
        .await
        .unwrap();
    let twice = db
        .advance_request(id, step, &close, now, vec![any_event()])
        .await;
    assert!(matches!(twice, Err(DbError::Conflict(_))));
    let row = db.request(id).await.unwrap().unwrap();
    assert!(matches!(row.closing, Some(Closing::Reason(ref c)) if c.reason == "test"));
    assert_eq!(
        db.ledger_size().await.unwrap(),
        2,
        "the refused step wrote nothing"
    );
}

#[tokio::test]
async fn n9_4_a_grant_is_used_once_and_yields_its_instructions_scope() {
    let db = crate::testutil::test_db().await;
    let now = t0();
    sqlx::query(
        "INSERT INTO terminal (id, name, location, custodian, public_key, registered_by,
             registered_us) VALUES ('pc-1', 'n', 'l', 'c', 'k', 'lead', 0)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let id = db
        .create_request(&order(), now, |_| any_event())
        .await
        .unwrap();
    let start = now - jiff::SignedDuration::from_hours(2);
    // Issue 13: an instruction may name several cameras, each with its own range.
    let cameras = vec![
        CameraScope {
            camera: CameraId::new("cam1").unwrap(),
            start,
            end: now,
        },
        CameraScope {
            camera: CameraId::new("cam2").unwrap(),
            start: start + jiff::SignedDuration::from_mins(5),
            end: now - jiff::SignedDuration::from_mins(5),
        },
        CameraScope {
            camera: CameraId::new("cam3").unwrap(),
            start,
            end: start + jiff::SignedDuration::from_mins(1),
        },
    ];
    let instruction = Instruction {
        cameras: cameras.clone(),
        handler: "sato".into(),
        terminal_id: "pc-1".into(),
        expires: now + jiff::SignedDuration::from_hours(1),
        instructed_by: "lead".into(),
    };
    let step = (RequestState::Ordered, RequestState::Instructed);
    let instructed = RequestUpdate::Instructed(instruction);
    db.advance_request(id, step, &instructed, now, vec![any_event()])
        .await
        .unwrap();
    let grant = GrantRow {
        id: "g1".into(),
        request_id: id,
        issued_us: to_us(now),
        expires_us: to_us(now) + 1,
        used_us: None,
        superseded_us: None,
        failed_us: None,
    };
    db.issue_grant(&grant, any_event()).await.unwrap();
    let row = db.request(id).await.unwrap().unwrap();
    assert_eq!(
        row.instruction.unwrap().cameras,
        cameras,
        "read back in order"
    );
    let spent = db.use_grant("g1", now, any_event()).await.unwrap();
    assert_eq!((spent.request(), spent.cameras()), (id, &cameras[..]));
    assert_eq!(
        (spent.handler(), spent.terminal().as_str()),
        ("sato", "pc-1")
    );
    let clips = spent.into_clips();
    let scopes: Vec<_> = clips
        .iter()
        .map(|c| {
            (
                c.position(),
                c.camera().as_str(),
                c.start(),
                c.end(),
                c.grant(),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        cameras
            .iter()
            .enumerate()
            .map(|(i, c)| (i + 1, c.camera.as_str(), c.start, c.end, "g1"))
            .collect::<Vec<_>>()
    );
    let replay = db.use_grant("g1", now, any_event()).await;
    assert!(matches!(replay, Err(DbError::Conflict(_))));
    // The refused replay wrote nothing: order, instruction, grant, use.
    assert_eq!(db.ledger_size().await.unwrap(), 4);
}

#[tokio::test]
async fn a_closing_must_fit_the_state_it_closes() {
    let db = crate::testutil::test_db().await;
    let id = db
        .create_request(&order(), t0(), |_| any_event())
        .await
        .unwrap();
    let reason = RequestUpdate::Closed(Closing::Reason(Closed {
        request: id,
        reason: "x".into(),
    }));
    let step = (RequestState::Ordered, RequestState::HandedOver);
    let wrong = db
        .advance_request(id, step, &reason, t0(), vec![any_event()])
        .await;
    assert!(matches!(wrong, Err(DbError::Invalid(_))));
    assert_eq!(db.ledger_size().await.unwrap(), 1);
}

#[tokio::test]
async fn a_row_the_release_cannot_read_is_corrupt_not_a_default() {
    let db = crate::testutil::test_db().await;
    let id = db
        .create_request(&order(), t0(), |_| any_event())
        .await
        .unwrap();
    // Only a database without migration 0004's CHECKs could hold this; simulate one.
    crate::testutil::without_checks(&db, "request").await;
    sqlx::query("UPDATE request SET kind = 'internl' WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .unwrap();
    let err = db.request(id).await.unwrap_err();
    assert!(matches!(err, DbError::Corrupt { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("request {id} is corrupt: unknown request kind \"internl\"")
    );
}
