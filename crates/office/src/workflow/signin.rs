//! Signing in and out (N3.3.1), the password change, the second factor, and the
//! confidentiality pledge (N12, T3.4).

use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, Nothing};
use mimamori_db::{from_us, Event, EventBody};
use mimamori_policy::access::{acting_roles, needs_second_factor, Action};
use mimamori_policy::Rule;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::auth::{
    bad_credentials, check_new_password, dummy_hash, hash_password, open_totp, pledge_sha256,
    seal_totp, totp_step, verify_blocking, Caller,
};
use crate::error::ApiError;
use crate::throttle::Peer;
use crate::wire::{Acknowledge, Code, Me, NewPassword, SignIn, SignedIn, TotpSecret};
use crate::workflow::attempt::Attempt;
use crate::OfficeState;

/// The longest login and password a sign-in considers; longer ones are refused before any
/// hashing or recording (issue 11, #9: a 60 KB login became a ledger event's actor).
const MAX_LOGIN_BYTES: usize = 64;
const MAX_PASSWORD_BYTES: usize = 1024;

/// Signs in (N3.3.1). Every sign-in and every refusal is an event. A wrong password and a wrong
/// or missing second factor get the same answer, count the same towards the lockout, and are
/// counted atomically.
pub async fn sign_in(
    office: &OfficeState,
    req: SignIn,
    peer: Option<Peer>,
) -> Result<SignedIn, ApiError> {
    if req.login.len() > MAX_LOGIN_BYTES || req.password.len() > MAX_PASSWORD_BYTES {
        return Err(bad_credentials());
    }
    let db = &office.db;
    let policy = &office.policy.office;
    let attempt = Attempt::begin(office, &req.login, peer).await?;
    let now = attempt.now;
    let Some(staff) = attempt.account().await? else {
        // Spend the time a real check would, so timing does not tell which logins exist.
        verify_blocking(dummy_hash().to_owned(), req.password).await;
        return Err(bad_credentials());
    };
    let fail = async |code: &str| attempt.fail(&staff, code, bad_credentials).await;
    // Issue 11, #1: an account whose holder has not set a password with the enrolment code
    // has none; the same time is spent and the same answer given as for a wrong one.
    if staff.enrolled_us.is_none() {
        verify_blocking(dummy_hash().to_owned(), req.password).await;
        return Err(fail("not_enrolled").await);
    }
    if !verify_blocking(staff.password_hash.clone(), req.password).await {
        return Err(fail("bad_password").await);
    }
    // N3.3.1: an enrolled second factor is required at every sign-in. A wrong or missing code
    // is answered like a wrong password, so the answer does not tell that the password was
    // right, and it counts towards the lockout like one (issue 11, #7).
    let enrolled = staff
        .totp_secret
        .as_deref()
        .filter(|_| staff.totp_enabled_us.is_some())
        .map(|s| open_totp(office, staff.id, s));
    // RFC 6238 §5.2: a code is accepted once; a replay is a failed attempt too.
    let second_factor = match (enrolled, req.totp.as_deref()) {
        (None, _) => false,
        // A secret that no longer opens (the KEK changed) is a factor nobody can show.
        (Some(None), _) => return Err(fail("bad_second_factor").await),
        (Some(Some(secret)), Some(code)) => match totp_step(&secret, code, now) {
            Some(step) if db.claim_totp_step(staff.id, step).await? => true,
            Some(_) => return Err(fail("reused_second_factor").await),
            None => return Err(fail("bad_second_factor").await),
        },
        (Some(_), None) => return Err(fail("bad_second_factor").await),
    };
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = BASE64_URL_SAFE_NO_PAD.encode(raw);
    let event = Event::by(&staff.login, EventBody::SignedIn(Nothing {})).at(now);
    let opened = db
        .open_session(
            staff.id,
            &Sha256::digest(token.as_bytes()),
            second_factor,
            now,
            event,
        )
        .await;
    if let Err(mimamori_db::DbError::Conflict(_)) = opened {
        // Racing failed attempts locked the account while this password was being checked.
        return Err(attempt.locked_meanwhile(&staff).await);
    }
    opened?;
    let roles = db.roles_in_force(staff.id, now).await?;
    let rotation =
        SignedDuration::try_from(policy.password_rotation).map_err(ApiError::internal)?;
    Ok(SignedIn {
        token,
        idle_seconds: policy.session_idle.as_secs(),
        password_change_due: from_us(staff.password_changed_us) + rotation <= now,
        pledge_required: !db.has_pledged(staff.id, &pledge_sha256()).await?,
        second_factor_required: needs_second_factor(policy, &roles, second_factor),
        roles,
    })
}

/// Signs out: the session ends.
pub async fn sign_out(office: &OfficeState, caller: &Caller) -> Result<(), ApiError> {
    let now = office.clock.now();
    let event = caller.event(EventBody::SignedOut(Nothing {}));
    office
        .db
        .end_session(&caller.token_sha256, now, event)
        .await?;
    Ok(())
}

/// The periodic change (N3.3.1). Other sessions end.
pub async fn change_password(
    office: &OfficeState,
    caller: &Caller,
    req: NewPassword,
) -> Result<(), ApiError> {
    check_new_password("new", caller.login(), &req.new)?;
    if req.new == req.current {
        return Err(ApiError::invalid(
            "new",
            "the new password must differ from the current one",
            "現在と異なるパスワードにしてください",
        )
        .rule(Rule::N3_3_1));
    }
    if !verify_blocking(caller.staff.password_hash.clone(), req.current).await {
        return Err(bad_credentials());
    }
    let hash = tokio::task::spawn_blocking(move || hash_password(&req.new))
        .await
        .map_err(ApiError::internal)?;
    let now = office.clock.now();
    let event = caller.event(EventBody::PasswordChanged(Nothing {}));
    office
        .db
        .set_password(caller.staff.id, &hash, now, &caller.token_sha256, event)
        .await?;
    Ok(())
}

/// N12, T3.4.
pub async fn acknowledge_pledge(
    office: &OfficeState,
    caller: &Caller,
    req: Acknowledge,
) -> Result<(), ApiError> {
    let current = pledge_sha256();
    if req.sha256 != current {
        return Err(ApiError::invalid(
            "sha256",
            "is not the hash of the current pledge text (GET /api/v1/me/pledge)",
            "現在の誓約文のハッシュ値ではありません",
        )
        .rule(Rule::N12));
    }
    if caller.pledged {
        return Ok(());
    }
    let now = office.clock.now();
    let event = caller.event(EventBody::PledgeAcknowledged(
        vocabulary::PledgeAcknowledged {
            login: None,
            text_sha256: current.clone(),
        },
    ));
    office
        .db
        .acknowledge_pledge(caller.staff.id, &current, now, event)
        .await?;
    Ok(())
}

/// N3.3.1: a new TOTP secret for the caller's authenticator app. It takes effect once a
/// code from the app confirms it; a second factor in force stays in force until then.
pub async fn start_totp(office: &OfficeState, caller: &Caller) -> Result<TotpSecret, ApiError> {
    caller
        .may(office, Action::EnrollSecondFactor, "totp_started")
        .await?;
    let mut secret = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let encoded = totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string();
    let event = caller.event(EventBody::TotpStarted(Nothing {}));
    let sealed = seal_totp(office, caller.staff.id, &encoded);
    office
        .db
        .set_totp_secret(caller.staff.id, &sealed, event)
        .await?;
    let issuer: String =
        url::form_urlencoded::byte_serialize(office.policy.ward.name.as_bytes()).collect();
    let uri = format!(
        "otpauth://totp/{issuer}:{}?secret={encoded}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        caller.login()
    );
    Ok(TotpSecret {
        secret: encoded,
        otpauth_uri: uri,
    })
}

/// N3.3.1: a code from the app switches the second factor on; every later sign-in needs
/// one.
pub async fn confirm_totp(
    office: &OfficeState,
    caller: &Caller,
    req: Code,
) -> Result<(), ApiError> {
    caller
        .may(office, Action::EnrollSecondFactor, "totp_enabled")
        .await?;
    let now = office.clock.now();
    let staff = &caller.staff;
    let pending = staff
        .totp_pending_secret
        .as_deref()
        .and_then(|s| open_totp(office, staff.id, s))
        .unwrap_or_default();
    let Some(step) = totp_step(&pending, &req.code, now) else {
        return Err(ApiError::invalid(
            "code",
            "does not match the secret being set up (POST /api/v1/me/totp first)",
            "設定中のシークレットと一致しません",
        )
        .rule(Rule::N3_3_1));
    };
    // A second factor in force is replaced only with a code from it as well.
    let in_force = staff
        .totp_secret
        .as_deref()
        .filter(|_| staff.totp_enabled_us.is_some())
        .map(|s| open_totp(office, staff.id, s));
    if let Some(secret) = in_force {
        let current = req
            .current
            .as_deref()
            .zip(secret.as_deref())
            .and_then(|(c, secret)| totp_step(secret, c, now));
        let accepted = match current {
            Some(step) => office.db.claim_totp_step(staff.id, step).await?,
            None => false,
        };
        if !accepted {
            return Err(ApiError::invalid(
                "current",
                "a second factor is in force: send a fresh code from it as \"current\" to replace it",
                "設定済みのワンタイムコード（current）が必要です",
            )
            .rule(Rule::N3_3_1));
        }
    }
    let event = caller.event(EventBody::TotpEnabled(Nothing {}));
    office.db.enable_totp(staff.id, step, now, event).await?;
    Ok(())
}

/// The signed-in person, their roles, and the open alerts addressed to them.
pub async fn me(office: &OfficeState, caller: &Caller) -> Result<Me, ApiError> {
    let roles: Vec<_> = acting_roles(&caller.roles).collect();
    let open_alerts = office
        .db
        .open_alert_counts()
        .await?
        .into_iter()
        .filter(|(kind, _)| kind.addressees().iter().any(|r| roles.contains(r)))
        .map(|(_, n)| n)
        .sum();
    Ok(Me {
        login: caller.staff.login.clone(),
        name: caller.staff.name.clone(),
        roles: caller.roles.clone(),
        pledged: caller.pledged,
        password_change_due: caller.password_due,
        password_changed: from_us(caller.staff.password_changed_us).to_string(),
        open_alerts,
    })
}
