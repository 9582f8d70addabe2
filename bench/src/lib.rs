//! What the benchmarks share.

use jiff::Timestamp;
use mimamori_db::{Db, DbError, NewTerminal};
use mimamori_office::grant::TerminalKey;
use mimamori_office::setup::seed_terminal;

/// Registers `key`'s terminal, in the Operations lead `lead`'s custody, as `system:bench`.
pub async fn seed_bench_terminal(
    db: &Db,
    key: &TerminalKey,
    now: Timestamp,
) -> Result<(), DbError> {
    let terminal = NewTerminal {
        id: key.terminal_id.as_str().into(),
        name: "専用端末".into(),
        location: "防犯係".into(),
        custodian: "lead".into(),
        public_key: key.public_key(),
        delegation_id: None,
        registered_by: "system:bench".into(),
    };
    seed_terminal(db, &terminal, now).await
}
