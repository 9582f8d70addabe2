//! Accounts made outside the API: the first Administrator of a new ward (`mimamori staff
//! bootstrap`), and the demo ward's people. Each is recorded in the ledger like any other
//! account, with the local operator or `system:demo` as the actor.

use jiff::Timestamp;
use mimamori_db::{Db, DbError, Event, NewStaff, Outcome};
use mimamori_policy::access::Role;
use mimamori_policy::Rule;

use crate::auth::{hash_password, pledge_sha256};

/// An account to create, with its roles.
pub struct Seed<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub unit: &'a str,
    pub password: &'a str,
    pub roles: &'a [Role],
    /// Demo accounts come with the pledge acknowledged and a password not yet due; a real
    /// bootstrap account has neither.
    pub ready: bool,
    pub delegation_id: Option<i64>,
}

/// Creates the account, its appointments and (for a ready account) its pledge.
pub async fn seed_account(
    db: &Db,
    seed: &Seed<'_>,
    by: &str,
    now: Timestamp,
) -> Result<i64, DbError> {
    let event = |kind: &str, rule: Rule, detail: serde_json::Value| {
        Event {
            actor: by.to_owned(),
            outcome: Outcome::Done,
            ..Event::system("setup", kind, Some(rule), detail)
        }
        .at(now)
    };
    let new = NewStaff {
        login: seed.login.to_owned(),
        name: seed.name.to_owned(),
        unit: seed.unit.to_owned(),
        contact: String::new(),
        delegation_id: seed.delegation_id,
        password_hash: hash_password(seed.password),
        password_changed: if seed.ready {
            now
        } else {
            Timestamp::UNIX_EPOCH
        },
        created_by: by.to_owned(),
    };
    let detail = serde_json::json!({ "login": seed.login, "name": seed.name, "unit": seed.unit });
    let id = db
        .create_staff(&new, now, |_| event("staff_created", Rule::N7_1, detail))
        .await?;
    for role in seed.roles {
        let detail = serde_json::json!({ "login": seed.login, "role": role.as_str() });
        db.appoint(id, role.as_str(), by, now, None, |_| {
            event("appointed", Rule::N7_1, detail)
        })
        .await?;
    }
    if seed.ready {
        let sha = pledge_sha256();
        let detail = serde_json::json!({ "login": seed.login, "text_sha256": sha });
        db.acknowledge_pledge(
            id,
            &sha,
            now,
            event("pledge_acknowledged", Rule::N12, detail),
        )
        .await?;
    }
    Ok(id)
}
