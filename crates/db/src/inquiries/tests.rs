//! The inquiry records: receipts numbered per year in the ward's time zone, steps that expect
//! the state they were decided on, the first answer (and only it) resolving the overdue alert
//! (T8), a request to see one's own footage becoming a provision request in the same
//! transaction (T6.1 d), and what the public sent kept as sent.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use mimamori_ledger::vocabulary::{Basis, Document, IdentityCheck, Provision};
use mimamori_policy::chain::LegalBasis;
use mimamori_policy::inquiry::{Category, InquiryState, Receipt};

use crate::testutil::{any_event, t0};
use crate::{
    AlertKind, Db, DbError, EntryKind, Move, NewAlert, NewEntry, NewInquiry, NewRequest, Origin,
};

use InquiryState::*;

fn tokyo() -> TimeZone {
    TimeZone::get("Asia/Tokyo").unwrap()
}

fn new(category: Category) -> NewInquiry {
    NewInquiry {
        category,
        message: "カメラの向きについて<script>alert(1)</script>".into(),
        contact: Some("taro@example.jp".into()),
        secret_sha256: [7; 32],
    }
}

async fn receive(db: &Db, category: Category, at: Timestamp) -> Receipt {
    db.receive_inquiry(&new(category), at, &tokyo(), |_| any_event())
        .await
        .unwrap()
}

fn entry<'a>(kind: EntryKind, author: &'a str, text: &'a str) -> NewEntry<'a> {
    NewEntry { kind, author, text }
}

fn step(from: InquiryState, to: InquiryState) -> Move {
    Move { from, to }
}

#[tokio::test]
async fn receipts_count_within_the_wards_year() {
    let db = crate::testutil::test_db().await;
    let a = receive(&db, Category::Inquiry, t0()).await;
    let b = receive(&db, Category::Complaint, t0()).await;
    assert_eq!((a.as_str(), b.as_str()), ("2026-00001", "2026-00002"));
    // 2026-12-31T15:30Z is already 2027-01-01 in Tokyo: the serial starts again.
    let new_year: Timestamp = "2026-12-31T15:30:00Z".parse().unwrap();
    assert_eq!(
        receive(&db, Category::Other, new_year).await.as_str(),
        "2027-00001"
    );
    let row = db.inquiry(&a).await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.category, row.received),
        (Received, Category::Inquiry, t0())
    );
    assert_eq!(row.message, new(Category::Inquiry).message);
    assert_eq!(row.secret_sha256, [7; 32]);
}

#[tokio::test]
async fn t8_the_first_answer_resolves_the_overdue_alert_and_later_ones_are_not_first() {
    let db = crate::testutil::test_db().await;
    let r = receive(&db, Category::Complaint, t0()).await;
    let later = t0() + SignedDuration::from_hours(24 * 15);
    let due = db.inquiries_overdue(later).await.unwrap();
    assert_eq!(due.len(), 1);
    let alert = NewAlert {
        kind: AlertKind::InquiryOverdue,
        camera: None,
        message: format!("inquiry {r}"),
    };
    db.raise_inquiry_overdue(&r, &alert, later, |_| any_event())
        .await
        .unwrap();
    assert!(db.inquiries_overdue(later).await.unwrap().is_empty());
    let again = db.raise_inquiry_overdue(&r, &alert, later, |_| any_event());
    assert!(matches!(again.await, Err(DbError::Conflict(_))));

    db.assign_inquiry(&r, step(Received, Assigned), "yamada", later, any_event())
        .await
        .unwrap();
    let mut firsts = vec![];
    db.write_inquiry(
        &r,
        step(Assigned, Assigned),
        entry(EntryKind::Note, "yamada", "確認中"),
        later,
        |first| {
            firsts.push(first);
            vec![any_event()]
        },
    )
    .await
    .unwrap();
    let open = db.alerts(10).await.unwrap();
    assert!(open
        .iter()
        .any(|a| a.kind == AlertKind::InquiryOverdue && a.resolved_us.is_none()));
    db.write_inquiry(
        &r,
        step(Assigned, Answered),
        entry(EntryKind::Answer, "yamada", "回答です"),
        later,
        |first| {
            firsts.push(first);
            vec![any_event()]
        },
    )
    .await
    .unwrap();
    db.write_inquiry(
        &r,
        step(Answered, Answered),
        entry(EntryKind::Answer, "yamada", "追記"),
        later,
        |first| {
            firsts.push(first);
            vec![any_event()]
        },
    )
    .await
    .unwrap();
    assert_eq!(firsts, [false, true, false]);
    let alerts = db.alerts(10).await.unwrap();
    assert!(alerts.iter().all(|a| a.resolved_us.is_some()));
    let row = db.inquiry(&r).await.unwrap().unwrap();
    assert_eq!((row.state, row.first_answered), (Answered, Some(later)));
    let entries = db.inquiry_entries(&r).await.unwrap();
    let kinds: Vec<_> = entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [EntryKind::Note, EntryKind::Answer, EntryKind::Answer]
    );
}

#[tokio::test]
async fn a_step_decided_on_a_stale_state_is_a_conflict_and_closed_is_final() {
    let db = crate::testutil::test_db().await;
    let r = receive(&db, Category::Inquiry, t0()).await;
    let stale = db.close_inquiry(&r, step(Answered, Closed), t0(), any_event());
    assert!(matches!(stale.await, Err(DbError::Conflict(_))));
    db.write_inquiry(
        &r,
        step(Received, Answered),
        entry(EntryKind::Answer, "suzuki", "回答"),
        t0(),
        |_| vec![any_event()],
    )
    .await
    .unwrap();
    db.close_inquiry(&r, step(Answered, Closed), t0(), any_event())
        .await
        .unwrap();
    // The database itself keeps a closed inquiry as it is (a change no CHECK minds is
    // refused too), its notes and answers, and every inquiry for good (one without entries,
    // which no foreign key holds).
    let refused = |sql: &'static str| {
        let db = db.clone();
        async move { sqlx::query(sql).execute(&db.writer).await.is_err() }
    };
    assert!(refused("UPDATE inquiry SET assignee = 'someone' WHERE id = 1").await);
    assert!(refused("UPDATE inquiry_entry SET text = '書き換え'").await);
    assert!(refused("DELETE FROM inquiry_entry").await);
    let lone = receive(&db, Category::Other, t0()).await;
    assert!(sqlx::query("DELETE FROM inquiry WHERE receipt = $1")
        .bind(lone.as_str())
        .execute(&db.writer)
        .await
        .is_err());
}

/// T8: the Manager's last answer closes an inquiry that never had one (an own-footage request
/// whose person never came): the answer is the first, the overdue alert goes with it.
#[tokio::test]
async fn t8_a_last_answer_closes_and_resolves_the_overdue_alert() {
    let db = crate::testutil::test_db().await;
    let r = receive(&db, Category::OwnFootage, t0()).await;
    let alert = NewAlert {
        kind: AlertKind::InquiryOverdue,
        camera: None,
        message: format!("inquiry {r}"),
    };
    db.raise_inquiry_overdue(&r, &alert, t0(), |_| any_event())
        .await
        .unwrap();
    let mut firsts = vec![];
    db.write_inquiry(
        &r,
        step(Received, Closed),
        entry(EntryKind::Answer, "mayor", "来庁がなかったため終了します"),
        t0(),
        |first| {
            firsts.push(first);
            vec![any_event(), any_event()]
        },
    )
    .await
    .unwrap();
    assert_eq!(firsts, [true]);
    let row = db.inquiry(&r).await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.first_answered, row.closed),
        (Closed, Some(t0()), Some(t0()))
    );
    assert!(db
        .alerts(10)
        .await
        .unwrap()
        .iter()
        .all(|a| a.resolved_us.is_some()));
}

#[tokio::test]
async fn what_the_public_sent_is_not_rewritten() {
    let db = crate::testutil::test_db().await;
    let r = receive(&db, Category::Complaint, t0()).await;
    let edit = sqlx::query("UPDATE inquiry SET message = 'ほかの文' WHERE receipt = $1")
        .bind(r.as_str())
        .execute(&db.writer)
        .await;
    assert!(edit.is_err());
    let bad = sqlx::query("UPDATE inquiry SET state = 'answered' WHERE receipt = $1")
        .bind(r.as_str())
        .execute(&db.writer)
        .await;
    assert!(bad.is_err(), "answered needs the time of the answer");
}

#[tokio::test]
async fn t6_1d_own_footage_becomes_a_provision_request_in_one_transaction() {
    let db = crate::testutil::test_db().await;
    let r = receive(&db, Category::OwnFootage, t0()).await;
    let provision = Provision {
        body: "本人".into(),
        applicant: "見守 太郎".into(),
        document: Document::OwnRequest { receipt: r.clone() },
        identity_check: IdentityCheck {
            document_type: "運転免許証".into(),
            document_number: "1234".into(),
            checked_by: "suzuki".into(),
        },
    };
    let request = NewRequest {
        origin: Origin::Provision(Box::new(provision)),
        purpose: "本人の映像の確認".into(),
        basis: Basis {
            kind: LegalBasis::Consent,
            facts: [("consent_of".to_owned(), "見守 太郎".to_owned())].into(),
        },
        reason: "本人からの申出".into(),
        created_by: "suzuki".into(),
        scope: None,
        alert: None,
    };
    let id = db
        .start_inquiry_provision(&r, step(Received, InProvision), &request, t0(), |_| {
            vec![any_event(), any_event()]
        })
        .await
        .unwrap();
    let row = db.inquiry(&r).await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.request, row.first_answered),
        (InProvision, Some(id), Some(t0()))
    );
    assert!(db.request(id).await.unwrap().is_some());

    // Another category cannot hold a provision request, and a stale step makes nothing.
    let other = receive(&db, Category::Complaint, t0()).await;
    let refused = db
        .start_inquiry_provision(&other, step(Received, InProvision), &request, t0(), |_| {
            vec![any_event()]
        })
        .await;
    assert!(matches!(refused, Err(DbError::Conflict(_))));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM request")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 1, "the refused step left no request behind");
}
