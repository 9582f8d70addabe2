//! Fixtures shared by the tests of the database and of the crates above it (feature
//! `testutil`). They use the public API and write their events like any caller.

pub mod postgres;

use jiff::{SignedDuration, Timestamp};
use mimamori_ledger::vocabulary::Basis;
use mimamori_policy::chain::{LegalBasis, RequestState};
use mimamori_policy::StaffId;

use crate::{
    Db, Engine, Event, EventBody, GrantRow, Instruction, NewRequest, NewStaff, NewTerminal, Origin,
    RequestUpdate, SpentGrant,
};

/// Any event: tests of records are about the records, not what the events say.
pub fn any_event() -> Event {
    Event::system("test", EventBody::SignedIn(Default::default()))
}

/// A fixed instant, so that no test depends on the day it runs.
pub fn t0() -> Timestamp {
    "2026-11-23T01:00:00Z".parse().unwrap()
}

/// The engine tests run on: SQLite in memory, unless `MIMAMORI_TEST_ENGINE=postgres` (the
/// test command runs the database's suite both ways; issue 15).
pub fn engine() -> Engine {
    match std::env::var("MIMAMORI_TEST_ENGINE").as_deref() {
        Ok("postgres") => Engine::Postgres,
        Ok("sqlite") | Err(_) => Engine::Sqlite,
        Ok(other) => panic!("MIMAMORI_TEST_ENGINE={other}: sqlite or postgres"),
    }
}

/// A fresh, empty, upgraded database for one test, on [`engine`]: in memory on SQLite; on
/// PostgreSQL a database of its own in the process's throwaway cluster.
pub async fn test_db() -> Db {
    match engine() {
        Engine::Sqlite => Db::open_in_memory().await.unwrap(),
        Engine::Postgres => Db::open_postgres(&postgres::database_for_test())
            .await
            .unwrap(),
    }
}

/// A fresh database ([`test_db`]) with one person, "sato"; returns the person's id.
pub async fn db_with_staff() -> (Db, StaffId) {
    let db = test_db().await;
    let id = db
        .create_staff(&new_staff("sato"), t0(), |_| vec![any_event()])
        .await
        .unwrap();
    (db, id)
}

pub fn new_staff(login: &str) -> NewStaff {
    NewStaff {
        login: mimamori_policy::Login::parse(login).expect("a test login"),
        name: "佐藤".into(),
        unit: "防犯係".into(),
        contact: String::new(),
        delegation_id: None,
        credential: crate::Credential::Password {
            hash: "x".into(),
            changed: Timestamp::UNIX_EPOCH,
        },
        created_by: "admin".into(),
    }
}

/// A grant spent the way the office spends one: the Manager's order, the instruction naming
/// `camera` and `[start, end)` for `handler` at terminal "pc-1", the grant `grant`, and its one
/// use, each with its event. The export of footage takes the result.
pub async fn spend_grant(
    db: &Db,
    grant: &str,
    camera: &str,
    range: (Timestamp, Timestamp),
    handler: &str,
) -> SpentGrant {
    spend_grant_of(db, grant, &[(camera, range)], handler).await
}

/// The one clip of [`spend_grant`]'s grant, as the recorder's export takes it.
pub async fn spend_clip(
    db: &Db,
    grant: &str,
    camera: &str,
    range: (Timestamp, Timestamp),
    handler: &str,
) -> crate::ClipGrant {
    let mut clips = spend_grant(db, grant, camera, range, handler)
        .await
        .into_clips();
    clips.remove(0)
}

/// [`spend_grant`] for an instruction naming several cameras, each with its range (N9.2).
pub async fn spend_grant_of(
    db: &Db,
    grant: &str,
    cameras: &[(&str, (Timestamp, Timestamp))],
    handler: &str,
) -> SpentGrant {
    let now = Timestamp::now();
    if db.terminal(&"pc-1".into()).await.unwrap().is_none() {
        let terminal = NewTerminal {
            id: "pc-1".into(),
            name: "専用端末".into(),
            location: "防犯係".into(),
            custodian: "lead".into(),
            public_key: "test-key".into(),
            delegation_id: None,
            registered_by: "lead".into(),
        };
        db.register_terminal(&terminal, now, None, any_event())
            .await
            .unwrap();
    }
    let order = NewRequest {
        origin: Origin::Order,
        purpose: "test retrieval".into(),
        basis: Basis {
            kind: LegalBasis::Purpose,
            facts: Default::default(),
        },
        reason: "test".into(),
        created_by: "mgr".into(),
        scope: None,
        alert: None,
    };
    let id = db
        .create_request(&order, now, |_| any_event())
        .await
        .unwrap();
    let instruction = RequestUpdate::Instructed(Instruction {
        cameras: cameras
            .iter()
            .map(|&(camera, (start, end))| crate::CameraScope {
                camera: mimamori_policy::CameraId::new(camera).unwrap(),
                start,
                end,
            })
            .collect(),
        handler: handler.into(),
        terminal_id: "pc-1".into(),
        expires: now + SignedDuration::from_hours(1),
        instructed_by: "lead".into(),
    });
    let step = (RequestState::Ordered, RequestState::Instructed);
    db.advance_request(id, step, &instruction, now, vec![any_event()])
        .await
        .unwrap();
    let row = GrantRow {
        id: grant.into(),
        request_id: id,
        issued_us: crate::to_us(now),
        expires_us: crate::to_us(now + SignedDuration::from_hours(1)),
        used_us: None,
        superseded_us: None,
        failed_us: None,
    };
    db.issue_grant(&row, any_event()).await.unwrap();
    db.use_grant(grant, now, any_event()).await.unwrap()
}

/// What someone holding the database itself can do and the product never does: let `table`'s
/// rows change behind its append-only and keep-it triggers (SQLite: dropped; PostgreSQL:
/// disabled). Tests of the ledger's check use it to play that attacker.
pub async fn let_rows_change(db: &Db, table: &str) {
    match db.engine() {
        Engine::Sqlite => {
            let triggers: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1",
            )
            .bind(table)
            .fetch_all(db.pool())
            .await
            .unwrap();
            for trigger in triggers {
                sqlx::query(&format!("DROP TRIGGER {trigger}"))
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        }
        Engine::Postgres => {
            sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .execute(db.pool())
                .await
                .unwrap();
        }
    }
}

/// The same attacker, or a database an older release left without the CHECKs: `table` takes
/// values its CHECK constraints refuse (SQLite: ignored on the one test connection;
/// PostgreSQL: dropped).
pub async fn without_checks(db: &Db, table: &str) {
    let sql = match db.engine() {
        Engine::Sqlite => "PRAGMA ignore_check_constraints = ON".to_owned(),
        Engine::Postgres => format!(
            "DO $$ DECLARE c record; BEGIN
                 FOR c IN SELECT conname FROM pg_constraint
                          WHERE conrelid = '{table}'::regclass AND contype = 'c' LOOP
                     EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', c.conname);
                 END LOOP;
             END $$"
        ),
    };
    sqlx::raw_sql(&sql).execute(db.pool()).await.unwrap();
}
