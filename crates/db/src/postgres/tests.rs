//! PostgreSQL's schema against SQLite's (issue 15), on a real throwaway cluster: the same
//! tables, columns, indexes and event kinds; the same changes refused by both; upgrades that
//! apply once, also when two processes start together.

use std::collections::BTreeMap;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;

use super::*;
use crate::testutil::postgres::Cluster;
use crate::{Db, UPGRADES};

/// A cluster of the test's own (stopped when the test ends, however it ends) and a pool on
/// its database.
async fn fresh() -> (Cluster, AnyPool) {
    let cluster = Cluster::start();
    let pool = {
        sqlx::any::install_default_drivers();
        AnyPoolOptions::new()
    }
    .max_connections(4)
    .connect(&cluster.database("test"))
    .await
    .unwrap();
    (cluster, pool)
}

/// A column as both engines can describe it: its type family and whether it may be NULL.
type Columns = BTreeMap<String, (String, bool)>;

async fn sqlite_tables(db: &Db) -> BTreeMap<String, Columns> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name != 'schema_upgrade'",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut tables = BTreeMap::new();
    for name in names {
        let rows: Vec<(String, String, i64, i64)> =
            sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                .bind(&name)
                .fetch_all(db.pool())
                .await
                .unwrap();
        let columns = rows
            .into_iter()
            .map(|(column, ty, not_null, pk)| {
                let family = match ty.as_str() {
                    "INTEGER" => "integer",
                    "TEXT" => "text",
                    "BLOB" => "bytes",
                    other => panic!("{name}.{column}: type {other}"),
                };
                // A primary key's column is never NULL, whatever SQLite reports of rowid keys.
                (column, (family.to_owned(), !(not_null != 0 || pk > 0)))
            })
            .collect();
        tables.insert(name, columns);
    }
    tables
}

async fn postgres_tables(pool: &AnyPool) -> BTreeMap<String, Columns> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != 'schema_upgrade'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tables: BTreeMap<String, Columns> = BTreeMap::new();
    for (table, column, ty, nullable) in rows {
        let family = match ty.as_str() {
            "bigint" => "integer",
            "text" => "text",
            "bytea" => "bytes",
            other => panic!("{table}.{column}: type {other}"),
        };
        tables
            .entry(table)
            .or_default()
            .insert(column, (family.to_owned(), nullable == "YES"));
    }
    tables
}

/// Upgrade numbers stay in step: a SQLite upgrade without its PostgreSQL twin fails here.
#[test]
fn both_engines_end_at_the_same_schema_version() {
    assert_eq!(
        PG_UPGRADES.last().map(|u| u.0),
        UPGRADES.last().map(|u| u.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_has_the_tables_columns_indexes_and_kinds_sqlite_has() {
    let (_cluster, pg) = fresh().await;
    assert_eq!(upgrade_postgres(&pg).await.unwrap(), 19);
    let sqlite = Db::open_in_memory().await.unwrap();
    assert_eq!(postgres_tables(&pg).await, sqlite_tables(&sqlite).await);

    let mut sqlite_indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
    )
    .fetch_all(sqlite.pool())
    .await
    .unwrap();
    let mut pg_indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes
         WHERE schemaname = 'public' AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%'",
    )
    .fetch_all(&pg)
    .await
    .unwrap();
    sqlite_indexes.sort();
    pg_indexes.sort();
    assert_eq!(pg_indexes, sqlite_indexes);

    let kinds = "SELECT kind FROM event_kind ORDER BY kind";
    let pg_kinds: Vec<String> = sqlx::query_scalar(kinds).fetch_all(&pg).await.unwrap();
    let sqlite_kinds: Vec<String> = sqlx::query_scalar(kinds)
        .fetch_all(sqlite.pool())
        .await
        .unwrap();
    assert_eq!(pg_kinds, sqlite_kinds);
    let head: i64 = sqlx::query_scalar("SELECT size FROM ledger_head")
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(head, 0);
}

/// Rows both engines take, in SQL both speak.
const SETUP: &[&str] = &[
    "INSERT INTO event (id, time_us, actor, kind, outcome, detail)
         VALUES (1, 1, 'system:test', 'refused', 'refused', '{}')",
    "INSERT INTO ledger_hash (idx, hash) VALUES (0, decode_32())",
    "INSERT INTO register_sign (id, lat_udeg, lon_udeg, text, placed_on, removed_on, created_us)
         VALUES (1, 0, 0, '防犯カメラ作動中', '2026-11-01', '2026-11-20', 1)",
    "INSERT INTO inquiry (id, receipt, secret_sha256, category, state, message, received_us,
         first_answered_us, closed_us, updated_us)
         VALUES (1, '2026-00001', decode_32(), 'complaint', 'closed', 'まぶしい', 1, 2, 3, 3)",
    "INSERT INTO inquiry_entry (id, inquiry_id, kind, author, at_us, text)
         VALUES (1, 1, 'answer', 'lead', 2, '調整しました')",
];

/// Changes both engines must refuse: the append-only and keep-it triggers, the CHECKs.
const REFUSED: &[&str] = &[
    "UPDATE event SET actor = 'someone' WHERE id = 1",
    "DELETE FROM event WHERE id = 1",
    "UPDATE ledger_hash SET idx = 5 WHERE idx = 0",
    "DELETE FROM ledger_hash",
    "UPDATE register_sign SET text = '別の文' WHERE id = 1",
    "DELETE FROM register_sign",
    "INSERT INTO register_sign (id, lat_udeg, lon_udeg, text, placed_on, created_us)
         VALUES (2, 0, 0, 't', '2026-02-30', 1)",
    "INSERT INTO register_sign (id, lat_udeg, lon_udeg, text, placed_on, created_us)
         VALUES (3, 0, 0, 't', '2026-2-03', 1)",
    "UPDATE inquiry SET state = 'answered', closed_us = NULL WHERE id = 1",
    "DELETE FROM inquiry",
    "UPDATE inquiry_entry SET text = '書き換え' WHERE id = 1",
    "INSERT INTO inquiry (id, receipt, secret_sha256, category, state, message, received_us,
         updated_us) VALUES (2, '2026-0002', decode_32(), 'other', 'received', 'x', 1, 1)",
    "INSERT INTO inquiry (id, receipt, secret_sha256, category, state, message, received_us,
         updated_us) VALUES (3, '2026-00003', decode_32(), 'other', 'answered', 'x', 1, 1)",
    "INSERT INTO event (id, time_us, actor, kind, outcome, detail)
         VALUES (2, 1, 'system:test', 'refused', 'refused', '{not json')",
    "INSERT INTO event (id, time_us, actor, kind, outcome, detail)
         VALUES (3, 1, 'system:test', 'no_such_kind', 'done', '{}')",
];

/// 32 bytes, as each engine writes a literal.
fn dialect(sql: &str, sqlite: bool) -> String {
    let bytes = if sqlite {
        format!("x'{}'", "07".repeat(32))
    } else {
        format!("'\\x{}'::bytea", "07".repeat(32))
    };
    sql.replace("decode_32()", &bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_what_sqlite_refuses() {
    let (_cluster, pg) = fresh().await;
    upgrade_postgres(&pg).await.unwrap();
    let sqlite = Db::open_in_memory().await.unwrap();
    for sql in SETUP {
        sqlx::query(&dialect(sql, true))
            .execute(&sqlite.writer)
            .await
            .unwrap_or_else(|e| panic!("SQLite: {sql}: {e}"));
        sqlx::query(&dialect(sql, false))
            .execute(&pg)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL: {sql}: {e}"));
    }
    for sql in REFUSED {
        let on_sqlite = sqlx::query(&dialect(sql, true))
            .execute(&sqlite.writer)
            .await;
        let on_pg = sqlx::query(&dialect(sql, false)).execute(&pg).await;
        assert!(on_sqlite.is_err(), "SQLite took {sql}");
        assert!(on_pg.is_err(), "PostgreSQL took {sql}");
    }
}

/// Two processes starting against one new database (two recorder nodes, say): one applies the
/// upgrade, the other waits for it and finds it applied; applying again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_apply_once_also_when_two_start_together() {
    let cluster = Cluster::start();
    let url = cluster.database("together");
    let connect = || async {
        {
            sqlx::any::install_default_drivers();
            AnyPoolOptions::new()
        }
        .max_connections(2)
        .connect(&url)
        .await
        .unwrap()
    };
    let (a, b) = (connect().await, connect().await);
    let (x, y) = tokio::join!(upgrade_postgres(&a), upgrade_postgres(&b));
    assert_eq!((x.unwrap(), y.unwrap()), (19, 19));
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM schema_upgrade")
        .fetch_one(&a)
        .await
        .unwrap();
    assert_eq!(applied, 2);
    assert_eq!(upgrade_postgres(&a).await.unwrap(), 19);

    sqlx::query("INSERT INTO schema_upgrade VALUES (99, 0)")
        .execute(&a)
        .await
        .unwrap();
    assert!(matches!(
        upgrade_postgres(&b).await,
        Err(DbError::TooNew { found: 99, .. })
    ));
}

/// How many appends of two events each [`append_worker`] makes.
const WORKER_APPENDS: usize = 150;

/// Issue 15: the ledger's append is serialized across processes. Two processes (this test
/// binary again, running [`append_worker`]) append to one database at once; the events are
/// numbered 1..=N with no number twice and none missing, each is its leaf, and the tree and
/// the events agree. Without the write lock the two would read one ledger head and collide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_append_to_one_ledger_without_gap_or_twice() {
    let cluster = Cluster::start();
    let url = cluster.database("ledger");
    Db::open_postgres(&url).await.unwrap();
    let worker = |name: &str| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "postgres::tests::append_worker", "--ignored"])
            .env("MIMAMORI_APPEND_URL", &url)
            .env("MIMAMORI_APPEND_AS", name)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut workers = [worker("a"), worker("b")];
    for w in &mut workers {
        assert!(w.wait().unwrap().success(), "a worker failed");
    }

    let db = Db::open_postgres(&url).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM event ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let n = 2 * 2 * WORKER_APPENDS;
    assert_eq!(ids, (1..=n as i64).collect::<Vec<_>>());
    assert_eq!(db.ledger_size().await.unwrap(), n as u64);
    let per_actor: Vec<(String, i64)> =
        sqlx::query_as("SELECT actor, count(*) FROM event GROUP BY actor ORDER BY actor")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let each = 2 * WORKER_APPENDS as i64;
    assert_eq!(
        per_actor,
        vec![("system:a".to_owned(), each), ("system:b".to_owned(), each)]
    );
    let check = db.verify_ledger(None).await.unwrap();
    assert!(check.problems.is_empty(), "{:?}", check.problems);
}

/// One of the processes of [`two_processes_append_to_one_ledger_without_gap_or_twice`]; does
/// nothing when run on its own.
#[tokio::test]
#[ignore = "a worker process the two-process ledger test starts"]
async fn append_worker() {
    let (Ok(url), Ok(name)) = (
        std::env::var("MIMAMORI_APPEND_URL"),
        std::env::var("MIMAMORI_APPEND_AS"),
    ) else {
        return;
    };
    let db = Db::open_postgres(&url).await.unwrap();
    for _ in 0..WORKER_APPENDS {
        let event = || crate::Event::system(&name, crate::EventBody::SignedIn(Default::default()));
        db.append_events(&[event(), event()]).await.unwrap();
    }
}
