//! Sign-in (N3.3.1): Argon2id password hashes, lockout after repeated failures, sessions that
//! end when idle, the periodic password change, and the confidentiality pledge (N12, T3.4).
//!
//! [`Caller`] is the signed-in person every step takes: [`Caller::for_session`] turns a session
//! token into the person, their roles in force, and whether their pledge and password are in
//! order, as the policy module's [`Actor`]. It decides nothing itself. The steps of signing in
//! are in `workflow::signin`.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary::{self};
use mimamori_db::{from_us, Event, EventBody, StaffRow};
use mimamori_policy::access::{
    acting_roles, decide, needs_second_factor, Action, Actor, Refusal, Role,
};
use mimamori_policy::{Rule, StaffId};
use mimamori_recorder::keys::SEALED_PREFIX;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::ApiError;
use crate::throttle::Verdict;
use crate::OfficeState;

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

/// RFC 6238 with the parameters every authenticator app takes: SHA-1, 6 digits, 30 s, and one
/// step of clock skew either way.
fn totp(secret: &[u8]) -> Option<totp_rs::TOTP> {
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, secret.to_vec()).ok()
}

/// The RFC 6238 time step whose code `code` is, for the base32 `secret`, within one step of
/// `now` either way; `None` if it is no code of those steps.
pub fn totp_step(secret_base32: &str, code: &str, now: Timestamp) -> Option<i64> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .ok()?;
    let totp = totp(&secret)?;
    let step = now.as_second().div_euclid(30);
    // totp-rs compares in constant time; with no skew of its own, one step at a time.
    (step - 1..=step + 1).find(|&s| u64::try_from(s * 30).is_ok_and(|t| totp.check(code.trim(), t)))
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

/// How many password checks may run at once. Each takes Argon2id's memory (19 MiB by
/// default); unbounded, 64 parallel sign-ins took the process from 250 MB to 1.4 GB (issue 11,
/// #9). Checks beyond these wait their turn.
const CONCURRENT_PASSWORD_CHECKS: usize = 4;

static PASSWORD_CHECKS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(CONCURRENT_PASSWORD_CHECKS);

/// Hashing is deliberately slow; it runs off the async workers, a few at a time.
pub(crate) async fn verify_blocking(hash: String, password: String) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .unwrap_or(false)
}

/// A new password's hash, made off the async workers and bounded like the checks: enrolment
/// is open to anyone who has a login (issue 11, #9).
pub(crate) async fn hash_blocking(password: String) -> Result<String, ApiError> {
    let _permit = PASSWORD_CHECKS
        .acquire()
        .await
        .map_err(ApiError::internal)?;
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)
}

pub fn check_new_password(field: &str, login: &str, password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password == login {
        return Err(ApiError::invalid(
            field,
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
    pub(crate) token_sha256: Vec<u8>,
    /// The office's clock: events are timed by it, like every record they describe.
    clock: std::sync::Arc<dyn mimamori_recorder::Clock>,
}

pub(crate) fn session_ended() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "session_ended",
        "the session has ended; sign in again",
        "セッションが終了しました。再度サインインしてください",
    )
    .rule(Rule::N3_3_1)
}

/// A valid Argon2id hash of nothing anyone types, for unknown logins.
pub(crate) fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("mimamori-no-such-account"))
}

pub(crate) fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "wrong login name, password or one-time code (an account with a second factor sends \
         its code in \"totp\")",
        "ログイン名、パスワード、またはワンタイムコードが違います",
    )
    .rule(Rule::N3_3_1)
}

pub(crate) fn locked(until: Timestamp) -> ApiError {
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("bundled tzdb");
    let local = until.to_zoned(tokyo).strftime("%Y-%m-%d %H:%M").to_string();
    ApiError::new(
        StatusCode::FORBIDDEN,
        "account_locked",
        format!("too many failed sign-ins; the account is locked until {local} (JST)"),
        format!("サインインの失敗が続いたため、{local} までアカウントをロックしています"),
    )
    .rule(Rule::N3_3_1)
}

impl Caller {
    pub fn login(&self) -> &str {
        self.staff.login.as_str()
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            login: self.staff.login.as_str(),
            roles: &self.roles,
            pledged: self.pledged,
            password_due: self.password_due,
            second_factor_missing: self.second_factor_missing,
        }
    }

    /// The role an action is taken in: the caller's first role the action permits.
    pub fn role_for(&self, action: Action) -> Option<Role> {
        let (permitted, _) = action.permitted();
        acting_roles(&self.roles).find(|r| permitted.contains(r))
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
    pub async fn record_refusal<T>(
        &self,
        office: &OfficeState,
        action: Action,
        kind: &str,
        verdict: Result<T, Refusal>,
    ) -> Result<T, ApiError> {
        let refusal = match verdict {
            Ok(allowed) => return Ok(allowed),
            Err(refusal) => refusal,
        };
        // Issue 11, #17: recorded up to the policy's rate per person; the first one over it is
        // recorded as that, and the rest of the minute only refused.
        let limit = office.policy.office.refusals_recorded_per_minute;
        let code = match office
            .refusals
            .check(self.staff.id, limit, self.clock.now())
        {
            Verdict::Allowed => refusal.code.to_owned(),
            Verdict::Refused { first: true, .. } => "refusals_no_longer_recorded".to_owned(),
            Verdict::Refused { first: false, .. } => return Err(refusal.into()),
        };
        let body = EventBody::Refused(vocabulary::Refused {
            code,
            refused: kind.to_owned(),
            rule: refusal.rule,
        });
        let event = self.event_as(action, body);
        office.db.append_event(&event).await?;
        Err(refusal.into())
    }

    /// The person behind a session token: their roles in force, and whether their pledge,
    /// password and second factor are in order. Every front end resolves its caller here.
    pub async fn for_session(office: &OfficeState, token: &str) -> Result<Caller, ApiError> {
        let token_sha256 = Sha256::digest(token.trim().as_bytes()).to_vec();
        let db = &office.db;
        let now = office.clock.now();
        let session = db
            .session(&token_sha256)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let idle = SignedDuration::try_from(office.policy.office.session_idle)
            .map_err(ApiError::internal)?;
        let max = SignedDuration::try_from(office.policy.office.session_max)
            .map_err(ApiError::internal)?;
        if session.ended_us.is_some()
            || from_us(session.last_used_us) + idle <= now
            || from_us(session.created_us) + max <= now
        {
            return Err(session_ended());
        }
        let staff = db
            .staff_by_id(session.staff_id)
            .await?
            .filter(|s| s.left_us.is_none())
            .ok_or_else(session_ended)?;
        let roles = db.roles_in_force(staff.id, now).await?;
        let second_factor_missing =
            needs_second_factor(&office.policy.office, &roles, session.second_factor);
        let pledged = db.has_pledged(staff.id, &pledge_sha256()).await?;
        let rotation = SignedDuration::try_from(office.policy.office.password_rotation)
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
            clock: office.clock.clone(),
        })
    }
}

/// What a TOTP secret is sealed to (issue 11, #19): its account.
fn totp_context(staff: StaffId) -> String {
    format!("totp\0staff {staff}")
}

/// A TOTP secret (base32) as stored: sealed with the KEK.
pub(crate) fn seal_totp(office: &OfficeState, staff: StaffId, secret_base32: &str) -> String {
    office
        .recorder()
        .kek
        .seal_secret(&totp_context(staff), secret_base32.as_bytes())
}

/// A stored TOTP secret, opened; `None` if it does not open (another KEK, damage). A secret an
/// older release kept in plain text is taken as it is until [`OfficeState::seal_stored_secrets`]
/// seals it.
pub(crate) fn open_totp(
    office: &OfficeState,
    staff: StaffId,
    stored: &str,
) -> Option<Zeroizing<String>> {
    if !stored.starts_with(SEALED_PREFIX) {
        return Some(Zeroizing::new(stored.to_owned()));
    }
    let plain = office
        .recorder()
        .kek
        .open_secret(&totp_context(staff), stored)?;
    String::from_utf8(plain.to_vec()).ok().map(Zeroizing::new)
}

impl OfficeState {
    /// Seals TOTP secrets an older release kept in plain text (issue 11, #19). Run at start;
    /// returns how many accounts it changed.
    pub async fn seal_stored_secrets(&self) -> Result<usize, mimamori_db::DbError> {
        let mut changed = 0;
        for staff in self.db.staff_list().await? {
            let plain =
                |s: &Option<String>| s.as_deref().is_some_and(|s| !s.starts_with(SEALED_PREFIX));
            if !plain(&staff.totp_secret) && !plain(&staff.totp_pending_secret) {
                continue;
            }
            let seal = |s: &Option<String>| {
                s.as_deref().map(|s| {
                    if s.starts_with(SEALED_PREFIX) {
                        s.to_owned()
                    } else {
                        seal_totp(self, staff.id, s)
                    }
                })
            };
            let (secret, pending) = (seal(&staff.totp_secret), seal(&staff.totp_pending_secret));
            self.db
                .restore_totp_secrets(staff.id, (secret.as_deref(), pending.as_deref()))
                .await?;
            changed += 1;
        }
        Ok(changed)
    }
}
