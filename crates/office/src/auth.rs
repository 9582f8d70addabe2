//! Sign-in (N3.3.1): Argon2id password hashes, lockout after repeated failures, sessions that
//! end when idle, the periodic password change, and the confidentiality pledge (N12, T3.4).
//!
//! [`Caller`] is the extractor every protected handler takes: it turns a bearer token into the
//! person, their roles in force, and whether their pledge and password are in order, as the
//! policy module's [`Actor`]. It decides nothing itself.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::{self, Nothing};
use mimamori_db::{from_us, Event, EventBody, StaffRow};
use mimamori_policy::access::{decide, needs_second_factor, Action, Actor, Refusal, Role};
use mimamori_policy::Rule;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, Body};
use crate::{OfficeState, Shared};

/// N12, T3.4: the pledge every account acknowledges before touching footage. Its SHA-256 is
/// recorded with the acknowledgement, so a changed text needs a new one.
pub const PLEDGE_JA: &str = "私は、防犯カメラ及びその画像の取扱いにより知り得た秘密を、\
在職中はもとより退職後も、他に漏らし、又は不当な目的に使用しません。";
pub const PLEDGE_EN: &str = "I will not disclose any secret learnt through the cameras or their \
images, nor use it for an improper purpose, while in this role or after leaving it.";

pub fn pledge_sha256() -> String {
    hex::encode(Sha256::digest(PLEDGE_JA.as_bytes()))
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/sessions", post(sign_in).delete(sign_out))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
        .route(
            "/api/v1/me/pledge",
            get(pledge_text).post(acknowledge_pledge),
        )
        .route("/api/v1/me/totp", post(start_totp))
        .route("/api/v1/me/totp/confirm", post(confirm_totp))
}

/// RFC 6238 with the parameters every authenticator app takes: SHA-1, 6 digits, 30 s, and one
/// step of clock skew either way.
fn totp(secret: &[u8]) -> Option<totp_rs::TOTP> {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret.to_vec()).ok()
}

/// Does `code` match the base32 `secret` at `now`?
pub fn totp_matches(secret_base32: &str, code: &str, now: Timestamp) -> bool {
    let Ok(secret) = totp_rs::Secret::Encoded(secret_base32.to_owned()).to_bytes() else {
        return false;
    };
    let now = u64::try_from(now.as_second()).unwrap_or(0);
    totp(&secret).is_some_and(|t| t.check(code.trim(), now))
}

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Hashing is deliberately slow; it runs off the async workers.
async fn verify_blocking(hash: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false)
}

pub fn check_new_password(login: &str, password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password == login {
        return Err(ApiError::invalid(
            "password",
            format!("use at least {MIN_PASSWORD_CHARS} characters, not the login name"),
            format!("{MIN_PASSWORD_CHARS}文字以上で、ログイン名と異なるものにしてください"),
        )
        .rule(Rule::N3_3_1));
    }
    Ok(())
}

/// The signed-in person behind a request.
#[derive(Clone)]
pub struct Caller {
    pub staff: StaffRow,
    pub roles: Vec<Role>,
    pub pledged: bool,
    pub password_due: bool,
    pub second_factor_missing: bool,
    token_sha256: Vec<u8>,
    /// The office's clock: events are timed by it, like every record they describe.
    clock: std::sync::Arc<dyn mimamori_recorder::Clock>,
}

impl Caller {
    pub fn login(&self) -> &str {
        &self.staff.login
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            login: &self.staff.login,
            roles: &self.roles,
            pledged: self.pledged,
            password_due: self.password_due,
            second_factor_missing: self.second_factor_missing,
        }
    }

    /// The role an action is taken in: the caller's first role the action permits.
    pub fn role_for(&self, action: Action) -> Option<Role> {
        let (permitted, _) = action.permitted();
        self.roles.iter().copied().find(|r| permitted.contains(r))
    }

    /// An event of this caller's doing, in the role its action is taken in.
    pub fn event(&self, body: EventBody) -> Event {
        match body.action() {
            Some(action) => self.event_as(action, body),
            None => Event::by(&self.staff.login, body).at(self.clock.now()),
        }
    }

    /// An event whose action is not the body's own: a retrieval on an emergency request is
    /// delegated staff's (N11.1), a refusal is the attempted action's.
    pub fn event_as(&self, action: Action, body: EventBody) -> Event {
        Event {
            role: self.role_for(action),
            ..Event::by(&self.staff.login, body).at(self.clock.now())
        }
    }

    /// Asks the policy module; a refusal is recorded before it is returned.
    pub async fn may(
        &self,
        office: &OfficeState,
        action: Action,
        kind: &str,
    ) -> Result<(), ApiError> {
        let verdict = decide(&self.actor(), action);
        self.record_refusal(office, action, kind, verdict).await
    }

    /// Records `verdict` as a refused event when it is a refusal, and passes it on.
    pub async fn record_refusal(
        &self,
        office: &OfficeState,
        action: Action,
        kind: &str,
        verdict: Result<(), Refusal>,
    ) -> Result<(), ApiError> {
        let Err(refusal) = verdict else {
            return Ok(());
        };
        let body = EventBody::Refused(vocabulary::Refused {
            code: refusal.code.to_owned(),
            refused: kind.to_owned(),
            rule: refusal.rule,
        });
        let event = self.event_as(action, body);
        office.ctx.db.append_event(&event).await?;
        Err(refusal.into())
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, office: &Shared) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthenticated)?;
        let token_sha256 = Sha256::digest(token.trim().as_bytes()).to_vec();
        let db = &office.ctx.db;
        let now = office.ctx.clock.now();
        let session = db
            .session(&token_sha256)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let idle = SignedDuration::try_from(office.ctx.policy.office.session_idle)
            .map_err(ApiError::internal)?;
        if session.ended_us.is_some() || from_us(session.last_used_us) + idle <= now {
            return Err(session_ended());
        }
        let staff = db
            .staff_by_id(session.staff_id)
            .await?
            .filter(|s| s.left_us.is_none())
            .ok_or_else(session_ended)?;
        let roles = db.roles_in_force(staff.id, now).await?;
        let second_factor_missing =
            needs_second_factor(&office.ctx.policy.office, &roles, session.second_factor);
        let pledged = db.has_pledged(staff.id, &pledge_sha256()).await?;
        let rotation = SignedDuration::try_from(office.ctx.policy.office.password_rotation)
            .map_err(ApiError::internal)?;
        let password_due = from_us(staff.password_changed_us) + rotation <= now;
        // Written at most once a minute, so reads stay reads: an UPDATE on every request
        // would queue every reader behind the single writer.
        const TOUCH_US: i64 = 60_000_000;
        if mimamori_db::to_us(now) - session.last_used_us > TOUCH_US {
            db.touch_session(&token_sha256, now, TOUCH_US).await?;
        }
        Ok(Caller {
            staff,
            roles,
            pledged,
            password_due,
            second_factor_missing,
            token_sha256,
            clock: office.ctx.clock.clone(),
        })
    }
}

fn session_ended() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_ended",
        "the session has ended; sign in again",
        "セッションが終了しました。再度サインインしてください",
    )
    .rule(Rule::N3_3_1)
}

#[derive(Deserialize)]
struct SignIn {
    login: String,
    password: String,
    /// The TOTP code, for an account with a second factor.
    totp: Option<String>,
}

#[derive(Serialize)]
struct SignedIn {
    token: String,
    /// The session ends after this many seconds without use.
    idle_seconds: u64,
    roles: Vec<Role>,
    password_change_due: bool,
    pledge_required: bool,
    /// The policy wants a TOTP code from this person, and this session has none.
    second_factor_required: bool,
}

/// `POST /api/v1/sessions`: sign in. Every sign-in and every refusal is an event (N3.3.1).
async fn sign_in(
    State(office): State<Shared>,
    Body(req): Body<SignIn>,
) -> Result<Json<SignedIn>, ApiError> {
    let db = &office.ctx.db;
    let policy = &office.ctx.policy.office;
    let now = office.ctx.clock.now();
    let staff = db
        .staff_by_login(&req.login)
        .await?
        .filter(|s| s.left_us.is_none());
    let refused = |code: &str, failures: Option<i64>, locked: Option<bool>| {
        let body = EventBody::SigninRefused(vocabulary::SigninRefused {
            code: code.to_owned(),
            failures,
            locked,
        });
        Event::by(&req.login, body).at(now)
    };
    let Some(staff) = staff else {
        // Spend the time a real check would, so timing does not tell which logins exist.
        verify_blocking(dummy_hash().to_owned(), req.password).await;
        db.append_event(&refused("unknown_login", None, None))
            .await?;
        return Err(bad_credentials());
    };
    if let Some(until) = staff.locked_until_us.filter(|&u| from_us(u) > now) {
        db.append_event(&refused("locked", None, None)).await?;
        return Err(locked(from_us(until)));
    }
    if !verify_blocking(staff.password_hash.clone(), req.password).await {
        let failures = staff.failed_signins + 1;
        let lockout = SignedDuration::try_from(policy.lockout).map_err(ApiError::internal)?;
        let lock = (failures >= i64::from(policy.lockout_attempts)).then(|| now + lockout);
        let event = refused("bad_password", Some(failures), Some(lock.is_some()));
        db.record_signin_failure(staff.id, lock, event).await?;
        return Err(match lock {
            Some(until) => locked(until),
            None => bad_credentials(),
        });
    }
    // N3.3.1: an enrolled second factor is required at every sign-in; a wrong code counts as
    // a failed attempt.
    let enrolled = staff
        .totp_secret
        .as_deref()
        .filter(|_| staff.totp_enabled_us.is_some());
    let second_factor = match (enrolled, req.totp.as_deref()) {
        (None, _) => false,
        (Some(secret), Some(code)) if totp_matches(secret, code, now) => true,
        (Some(_), _) => {
            let failures = Some(staff.failed_signins + 1);
            let event = refused("bad_second_factor", failures, None);
            db.record_signin_failure(staff.id, None, event).await?;
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "second_factor_failed",
                "this account signs in with a TOTP code (field \"totp\"); it was missing or wrong",
                "このアカウントはワンタイムコードが必要です（未入力または誤り）",
            )
            .rule(Rule::N3_3_1));
        }
    };
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let token = BASE64_URL_SAFE_NO_PAD.encode(raw);
    let event = Event::by(&staff.login, EventBody::SignedIn(Nothing {})).at(now);
    db.open_session(
        staff.id,
        &Sha256::digest(token.as_bytes()),
        second_factor,
        now,
        event,
    )
    .await?;
    let roles = db.roles_in_force(staff.id, now).await?;
    let rotation =
        SignedDuration::try_from(policy.password_rotation).map_err(ApiError::internal)?;
    Ok(Json(SignedIn {
        token,
        idle_seconds: policy.session_idle.as_secs(),
        password_change_due: from_us(staff.password_changed_us) + rotation <= now,
        pledge_required: !db.has_pledged(staff.id, &pledge_sha256()).await?,
        second_factor_required: needs_second_factor(policy, &roles, second_factor),
        roles,
    }))
}

/// A valid Argon2id hash of nothing anyone types, for unknown logins.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("mimamori-no-such-account"))
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "wrong login name or password",
        "ログイン名またはパスワードが違います",
    )
    .rule(Rule::N3_3_1)
}

fn locked(until: Timestamp) -> ApiError {
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("bundled tzdb");
    let local = until.to_zoned(tokyo).strftime("%Y-%m-%d %H:%M").to_string();
    ApiError::new(
        StatusCode::FORBIDDEN,
        "account_locked",
        format!("too many failed sign-ins; the account is locked until {until}"),
        format!("サインインの失敗が続いたため、{local} までアカウントをロックしています"),
    )
    .rule(Rule::N3_3_1)
}

/// `DELETE /api/v1/sessions`: sign out.
async fn sign_out(State(office): State<Shared>, caller: Caller) -> Result<StatusCode, ApiError> {
    let now = office.ctx.clock.now();
    let event = caller.event(EventBody::SignedOut(Nothing {}));
    office
        .ctx
        .db
        .end_session(&caller.token_sha256, now, event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct Me {
    login: String,
    name: String,
    roles: Vec<Role>,
    pledged: bool,
    password_change_due: bool,
    password_changed: String,
}

/// `GET /api/v1/me`.
async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        login: caller.staff.login.clone(),
        name: caller.staff.name.clone(),
        roles: caller.roles.clone(),
        pledged: caller.pledged,
        password_change_due: caller.password_due,
        password_changed: from_us(caller.staff.password_changed_us).to_string(),
    })
}

#[derive(Deserialize)]
struct NewPassword {
    current: String,
    new: String,
}

/// `POST /api/v1/me/password`: the periodic change (N3.3.1). Other sessions end.
async fn change_password(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<NewPassword>,
) -> Result<StatusCode, ApiError> {
    check_new_password(caller.login(), &req.new)?;
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
    let now = office.ctx.clock.now();
    let event = caller.event(EventBody::PasswordChanged(Nothing {}));
    office
        .ctx
        .db
        .set_password(caller.staff.id, &hash, now, &caller.token_sha256, event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me/pledge`: the text to acknowledge.
async fn pledge_text() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "rule": Rule::N12,
        "ja": PLEDGE_JA,
        "en": PLEDGE_EN,
        "sha256": pledge_sha256(),
    }))
}

#[derive(Deserialize)]
struct Acknowledge {
    /// The SHA-256 of the text the person read, so nobody acknowledges a text they did not see.
    sha256: String,
}

/// `POST /api/v1/me/pledge`: N12, T3.4.
async fn acknowledge_pledge(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Acknowledge>,
) -> Result<StatusCode, ApiError> {
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
        return Ok(StatusCode::NO_CONTENT);
    }
    let now = office.ctx.clock.now();
    let event = caller.event(EventBody::PledgeAcknowledged(
        vocabulary::PledgeAcknowledged {
            login: None,
            text_sha256: current.clone(),
        },
    ));
    office
        .ctx
        .db
        .acknowledge_pledge(caller.staff.id, &current, now, event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/me/totp`: a new TOTP secret for the caller's authenticator app (N3.3.1). It
/// takes effect once a code from the app confirms it.
async fn start_totp(
    State(office): State<Shared>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller
        .may(&office, Action::EnrollSecondFactor, "totp_started")
        .await?;
    let mut secret = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    let encoded = totp_rs::Secret::Raw(secret.to_vec())
        .to_encoded()
        .to_string();
    let event = caller.event(EventBody::TotpStarted(Nothing {}));
    office
        .ctx
        .db
        .set_totp_secret(caller.staff.id, &encoded, event)
        .await?;
    let issuer: String =
        url::form_urlencoded::byte_serialize(office.ctx.policy.ward.name.as_bytes()).collect();
    let uri = format!(
        "otpauth://totp/{issuer}:{}?secret={encoded}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        caller.login()
    );
    Ok(Json(
        serde_json::json!({ "secret": encoded, "otpauth_uri": uri }),
    ))
}

#[derive(Deserialize)]
struct Code {
    code: String,
}

/// `POST /api/v1/me/totp/confirm`: a code from the app switches the second factor on; every
/// later sign-in needs one.
async fn confirm_totp(
    State(office): State<Shared>,
    caller: Caller,
    Body(req): Body<Code>,
) -> Result<StatusCode, ApiError> {
    caller
        .may(&office, Action::EnrollSecondFactor, "totp_enabled")
        .await?;
    let now = office.ctx.clock.now();
    let pending = caller.staff.totp_secret.as_deref().unwrap_or_default();
    if !totp_matches(pending, &req.code, now) {
        return Err(ApiError::invalid(
            "code",
            "does not match the secret being set up (POST /api/v1/me/totp first)",
            "設定中のシークレットと一致しません",
        )
        .rule(Rule::N3_3_1));
    }
    let event = caller.event(EventBody::TotpEnabled(Nothing {}));
    office
        .ctx
        .db
        .enable_totp(caller.staff.id, now, event)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
