//! Fixtures shared by the database's unit tests.

use jiff::Timestamp;

use crate::{Db, Event, EventBody, NewStaff};

/// Any event: tests of records are about the records, not what the events say.
pub(crate) fn any_event() -> Event {
    Event::system("test", EventBody::SignedIn(Default::default()))
}

/// A fixed instant, so that no test depends on the day it runs.
pub(crate) fn t0() -> Timestamp {
    "2026-11-23T01:00:00Z".parse().unwrap()
}

/// An in-memory database with one person, "sato"; returns the person's id.
pub(crate) async fn db_with_staff() -> (Db, i64) {
    let db = Db::open_in_memory().await.unwrap();
    let id = db
        .create_staff(&new_staff("sato"), t0(), |_| any_event())
        .await
        .unwrap();
    (db, id)
}

pub(crate) fn new_staff(login: &str) -> NewStaff {
    NewStaff {
        login: login.into(),
        name: "佐藤".into(),
        unit: "防犯係".into(),
        contact: String::new(),
        delegation_id: None,
        password_hash: "x".into(),
        password_changed: Timestamp::UNIX_EPOCH,
        created_by: "admin".into(),
    }
}
