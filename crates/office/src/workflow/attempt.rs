//! What a sign-in and an enrolment share (N3.3.1): someone without a session presents a login
//! and a secret. Unknown logins, locked accounts and wrong secrets are each a `signin_refused`
//! event; wrong secrets count towards the lockout, atomically (issue 11, #8).

use jiff::{SignedDuration, Timestamp};
use mimamori_db::vocabulary;
use mimamori_db::{from_us, Event, EventBody, StaffRow};

use crate::auth::locked;
use crate::error::ApiError;
use crate::throttle::{Peer, Verdict};
use crate::OfficeState;

pub(crate) struct Attempt<'a> {
    office: &'a OfficeState,
    login: &'a str,
    pub now: Timestamp,
}

impl<'a> Attempt<'a> {
    /// An attempt from `peer` (when the server knows it), after that address's throttle: one
    /// over `signin_attempts_per_minute` is refused before anything is looked up or hashed, and
    /// only the first such refusal of the minute is recorded (issue 11, #9, #17).
    pub async fn begin(
        office: &'a OfficeState,
        login: &'a str,
        peer: Option<Peer>,
    ) -> Result<Attempt<'a>, ApiError> {
        let attempt = Attempt {
            office,
            login,
            now: office.clock.now(),
        };
        let limit = office.policy.office.signin_attempts_per_minute;
        if let Some(Peer(ip)) = peer {
            if let Verdict::Refused { first, retry_after } =
                office.throttle.check(ip, limit, attempt.now)
            {
                if first {
                    office
                        .db
                        .append_event(&attempt.refused("throttled", None, None))
                        .await?;
                }
                return Err(too_many_attempts(retry_after));
            }
        }
        Ok(attempt)
    }

    fn refused(&self, code: &str, failures: Option<i64>, locked: Option<bool>) -> Event {
        let body = EventBody::SigninRefused(vocabulary::SigninRefused {
            code: code.to_owned(),
            failures,
            locked,
        });
        Event::by(self.login, body).at(self.now)
    }

    /// The account presented, if it exists and its holder has not left; `None` (recorded) if
    /// not. A locked account is refused here, on the record.
    pub async fn account(&self) -> Result<Option<StaffRow>, ApiError> {
        let db = &self.office.db;
        let staff = db
            .staff_by_login(self.login)
            .await?
            .filter(|s| s.left_us.is_none());
        let Some(staff) = staff else {
            db.append_event(&self.refused("unknown_login", None, None))
                .await?;
            return Ok(None);
        };
        if let Some(until) = staff.locked_until_us.filter(|&u| from_us(u) > self.now) {
            db.append_event(&self.refused("locked", None, None)).await?;
            return Err(locked(from_us(until)));
        }
        Ok(Some(staff))
    }

    /// Racing failed attempts locked the account while this one was being checked.
    pub async fn locked_meanwhile(&self, staff: &StaffRow) -> ApiError {
        let db = &self.office.db;
        if let Err(e) = db.append_event(&self.refused("locked", None, None)).await {
            return e.into();
        }
        match db.staff_by_id(staff.id).await {
            Ok(row) => locked(
                row.and_then(|s| s.locked_until_us)
                    .map_or(self.now, from_us),
            ),
            Err(e) => e.into(),
        }
    }

    /// A wrong secret (`code` says which): counted towards the lockout. The answer is
    /// `refusal` unless this one locked the account.
    pub async fn fail(&self, staff: &StaffRow, code: &str, refusal: fn() -> ApiError) -> ApiError {
        let policy = &self.office.policy.office;
        let lockout = match SignedDuration::try_from(policy.lockout) {
            Ok(d) => d,
            Err(e) => return ApiError::internal(e),
        };
        let limit = (i64::from(policy.lockout_attempts), self.now + lockout);
        let failure = self
            .office
            .db
            .record_signin_failure(staff.id, limit, |f| {
                self.refused(code, Some(f.failures), Some(f.locked_until.is_some()))
            })
            .await;
        match failure {
            Ok(f) => f.locked_until.map_or_else(refusal, locked),
            Err(e) => e.into(),
        }
    }
}

fn too_many_attempts(retry_after: SignedDuration) -> ApiError {
    let secs = retry_after.as_secs().max(1);
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!("too many sign-in attempts from this address; try again in {secs} s"),
        format!("このアドレスからのサインインの試行が多すぎます。{secs}秒後に再度お試しください"),
    )
    .rule(mimamori_policy::Rule::N3_3_1)
}
