//! Accounts and terminals made outside the API: the first Administrator of a new ward
//! (`mimamori staff bootstrap`), and the demo ward's people and terminal (and the benchmarks').
//! Each is recorded in the ledger like any other, with the local operator or `system:demo` as
//! the actor.

use jiff::Timestamp;
use mimamori_db::{
    vocabulary, Credential, Db, DbError, Event, EventBody, NewAppointment, NewStaff, NewTerminal,
};
use mimamori_policy::access::Role;
use mimamori_policy::{DelegationId, Login, StaffId};

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
    pub delegation_id: Option<DelegationId>,
}

/// Creates the account, its appointments and (for a ready account) its pledge.
pub async fn seed_account(
    db: &Db,
    seed: &Seed<'_>,
    by: &str,
    now: Timestamp,
) -> Result<StaffId, DbError> {
    let event = |body: EventBody| Event::by(by, body).at(now);
    let new = NewStaff {
        login: Login::parse(seed.login).map_err(|e| DbError::Invalid(e.to_string()))?,
        name: seed.name.to_owned(),
        unit: seed.unit.to_owned(),
        contact: String::new(),
        delegation_id: seed.delegation_id,
        credential: Credential::Password {
            hash: hash_password(seed.password),
            changed: if seed.ready {
                now
            } else {
                Timestamp::UNIX_EPOCH
            },
        },
        created_by: by.to_owned(),
    };
    let created = EventBody::StaffCreated(vocabulary::StaffCreated {
        login: seed.login.to_owned(),
        name: seed.name.to_owned(),
        unit: seed.unit.to_owned(),
        delegation_id: seed.delegation_id,
    });
    let id = db.create_staff(&new, now, |_| vec![event(created)]).await?;
    for &role in seed.roles {
        let appointed = EventBody::Appointed(vocabulary::Appointed {
            login: seed.login.to_owned(),
            role,
            until: None,
        });
        let new = NewAppointment {
            staff_id: id,
            role,
            by,
            until: None,
        };
        db.appoint(&new, now, None, |_| event(appointed)).await?;
    }
    if seed.ready {
        let sha = pledge_sha256();
        let pledged = EventBody::PledgeAcknowledged(vocabulary::PledgeAcknowledged {
            login: Some(seed.login.to_owned()),
            text_sha256: sha.clone(),
        });
        db.acknowledge_pledge(id, &sha, now, event(pledged)).await?;
    }
    Ok(id)
}

/// Registers a terminal whose key was made here (the demo's, a benchmark's), in the name of
/// its `registered_by` (`system:demo`).
pub async fn seed_terminal(db: &Db, terminal: &NewTerminal, now: Timestamp) -> Result<(), DbError> {
    let body = EventBody::TerminalRegistered(terminal.registered());
    let event = Event::by(&terminal.registered_by, body).at(now);
    db.register_terminal(terminal, now, None, event).await
}

/// A demo camera's place in the register: its site, view and the police information it rests
/// on; it is recorded as installed and in operation from `on`, under a sign of its own.
pub struct SeedSite<'a> {
    pub site: &'a mimamori_db::NewSite,
    pub sign_text: &'a str,
    /// Where the sign stands.
    pub sign_at: mimamori_policy::register::Position,
    pub on: jiff::civil::Date,
}

/// Records a camera in the register as the demo ward's (N4.1, T2.1, N4.2): site chosen,
/// installed, a sign placed, in operation. Each step is its own event by `by`.
pub async fn seed_register_camera(
    db: &Db,
    seed: &SeedSite<'_>,
    by: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    let event = |body: EventBody| Event::by(by, body).at(now);
    let site = seed.site;
    let camera = site.camera.to_string();
    let chosen = EventBody::CameraSiteChosen(vocabulary::CameraSiteChosen {
        camera: camera.clone(),
        address: site.address.clone(),
        position: site.position,
        details: site.details.clone(),
        basis: site.basis.clone(),
    });
    db.choose_site(site, false, now, event(chosen)).await?;
    let dated = vocabulary::CameraDated {
        camera: camera.clone(),
        on: seed.on,
    };
    let installed = EventBody::CameraInstalled(dated.clone());
    db.install_camera(&site.camera, seed.on, now, event(installed))
        .await?;
    let sign = mimamori_db::NewSign {
        position: seed.sign_at,
        text: seed.sign_text.to_owned(),
        cameras: vec![site.camera.clone()],
        placed_on: seed.on,
    };
    db.place_sign(&sign, now, |id| {
        event(EventBody::SignPlaced(vocabulary::SignPlaced {
            sign: id,
            position: sign.position,
            text: sign.text.clone(),
            cameras: vec![camera.clone()],
            on: seed.on,
        }))
    })
    .await?;
    let started = EventBody::CameraOperationStarted(dated);
    db.start_operation(&site.camera, seed.on, now, event(started))
        .await
}
