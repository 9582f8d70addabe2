//! Fixtures shared by the office's tests and the API bench (feature `testutil`): the one test
//! policy, an office on a temporary directory, and a clock fixed at a weekday morning, so that
//! no test depends on the day it runs.

use std::path::Path;
use std::sync::Arc;

use mimamori_db::{Db, Engine};
use mimamori_policy::Policy;
use mimamori_recorder::{Clock, Kek, RecorderContext, ShiftedClock, Store};

use crate::notary::Notary;
use crate::{OfficeState, Shared};

/// The ward of the tests: one camera, ten days of retention, lockout after three failures.
pub const POLICY: &str = r#"
[ward]
name = "テスト区"
operator = "テスト区役所"
[retention]
days = 10
[office]
lockout_attempts = 3
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "rtsp://127.0.0.1:1/cam1"
without_credentials = "テスト用（接続しない）"
"#;

pub const PASSWORD: &str = "correct horse battery";

/// An office over a database in `dir`, with `policy` (TOML) and `clock`.
pub async fn office_at(dir: &Path, policy: &str, clock: Arc<dyn Clock>) -> Shared {
    let policy = Arc::new(Policy::parse(policy, Path::new("policy.toml")).unwrap());
    // On the engine the tests run on (`MIMAMORI_TEST_ENGINE`, issue 15); an office opened
    // again on `dir` finds its database again.
    let db = match mimamori_db::testutil::engine() {
        Engine::Sqlite => Db::open(&dir.join("m.db")).await.unwrap(),
        Engine::Postgres => {
            let named = dir.join("postgres-url");
            let url = std::fs::read_to_string(&named).unwrap_or_else(|_| {
                let url = mimamori_db::testutil::postgres::database_for_test();
                std::fs::write(&named, &url).unwrap();
                url
            });
            Db::open_postgres(&url).await.unwrap()
        }
    };
    let kek = Arc::new(Kek::from_bytes(&[1; 32]));
    let ctx = Arc::new(RecorderContext::new(
        policy,
        db.clone(),
        Store::new(dir.join("segments")),
        kek,
        clock,
    ));
    mimamori_recorder::record_policy_cameras(&ctx)
        .await
        .unwrap();
    let notary = Notary::open(db, &ctx.policy.ledger.origin, &dir.join("ledger.key"), true)
        .await
        .unwrap();
    let office = OfficeState::new(ctx, Arc::new(notary), dir.join("work")).unwrap();
    Shared(Arc::new(office))
}

/// A weekday morning in the ward (Monday 2026-11-23, 10:00 JST), running on from there: every
/// test's time comes from its world's clock, so no test depends on the real date.
pub fn fixed_clock() -> Arc<ShiftedClock> {
    Arc::new(ShiftedClock::starting_at(
        "2026-11-23T10:00:00+09:00".parse().unwrap(),
    ))
}
