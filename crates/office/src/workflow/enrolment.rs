//! N3.3.1 (issue 11, #1): a person sets their own password. An Administrator who opened an
//! account with a password of its choosing could sign in as that person; a new account now gets
//! a one-time enrolment code instead, shown once to the Administrator, who hands it to the
//! person. The person sets a password with it (`POST /api/v1/enrol`) and signs in.
//!
//! The code is 20 characters of an alphabet without look-alikes (100 bits), so its SHA-256 is
//! stored rather than a slow hash. Wrong codes count towards the account's lockout like wrong
//! passwords.

use jiff::SignedDuration;
use mimamori_db::vocabulary::{self, Nothing};
use mimamori_db::{from_us, DbError, Event, EventBody};
use mimamori_policy::access::Action;
use mimamori_policy::Rule;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::auth::{check_new_password, hash_blocking, Caller};
use crate::error::ApiError;
use crate::throttle::Peer;
use crate::wire::{Enrol, EnrolmentCode};
use crate::workflow::attempt::Attempt;
use crate::workflow::staff::find;
use crate::OfficeState;

/// The code's alphabet: upper-case letters and digits without I, O, 0 and 1.
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_CHARS: usize = 20;

/// A new code, as shown (`ABCD-EFGH-JKLM-NPQR-STUV`), and the SHA-256 the office keeps.
pub(crate) fn new_code(office: &OfficeState) -> Result<(EnrolmentCode, [u8; 32]), ApiError> {
    let mut rng = rand::thread_rng();
    let raw: String = (0..CODE_CHARS)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    let shown = raw
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect::<Vec<_>>()
        .join("-");
    let lifetime = SignedDuration::try_from(office.policy.office.enrolment_lifetime)
        .map_err(ApiError::internal)?;
    let code = EnrolmentCode {
        code: shown,
        expires: office.clock.now() + lifetime,
    };
    Ok((code, code_sha256(&raw)))
}

/// The SHA-256 of a code as typed: case, spaces and dashes do not matter.
fn code_sha256(typed: &str) -> [u8; 32] {
    let normal: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    Sha256::digest(normal.as_bytes()).into()
}

/// The event that records a code's issue (never the code).
pub(crate) fn issued(caller: &Caller, login: &str, code: &EnrolmentCode) -> Event {
    caller.event(EventBody::EnrolmentCodeIssued(
        vocabulary::EnrolmentCodeIssued {
            login: login.to_owned(),
            expires: code.expires,
        },
    ))
}

fn enrolment_refused() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        "enrolment_refused",
        "wrong login or enrolment code, or the code has expired or was used; ask the \
         Administrator for a new one",
        "ログイン名または登録コードが違うか、コードが有効期限切れ・使用済みです。システム管理者に再発行を依頼してください",
    )
    .rule(Rule::N3_3_1)
}

/// The longest login, code and password considered; longer ones are refused before anything
/// is hashed or recorded (issue 11, #9).
const MAX_LOGIN_BYTES: usize = 64;
const MAX_CODE_BYTES: usize = 64;
const MAX_PASSWORD_BYTES: usize = 1024;

/// N3.3.1: the holder sets the account's password with its enrolment code. No session is
/// needed, nor opened: the person signs in next, and acknowledges the pledge then (N12).
pub async fn enrol(office: &OfficeState, req: Enrol, peer: Option<Peer>) -> Result<(), ApiError> {
    if req.login.len() > MAX_LOGIN_BYTES
        || req.code.len() > MAX_CODE_BYTES
        || req.password.len() > MAX_PASSWORD_BYTES
    {
        return Err(enrolment_refused());
    }
    let db = &office.db;
    let attempt = Attempt::begin(office, &req.login, peer).await?;
    let now = attempt.now;
    let Some(staff) = attempt.account().await? else {
        return Err(enrolment_refused());
    };
    let sha256 = code_sha256(&req.code);
    let open = staff.enrolled_us.is_none()
        && staff.enrolment_sha256.as_deref() == Some(&sha256[..])
        && staff.enrolment_expires_us.is_some_and(|e| from_us(e) > now);
    if !open {
        return Err(attempt
            .fail(&staff, "bad_enrolment_code", enrolment_refused)
            .await);
    }
    check_new_password("password", &req.login, &req.password)?;
    let hash = hash_blocking(req.password).await?;
    let event = Event::by(&staff.login, EventBody::Enrolled(Nothing {})).at(now);
    match db.enrol(staff.id, &sha256, &hash, now, event).await {
        Ok(()) => Ok(()),
        // Another use of the same code got there first.
        Err(DbError::Conflict(_)) => Err(enrolment_refused()),
        Err(e) => Err(e.into()),
    }
}

/// N3.3.1: the Administrator issues a new code for an account that has not enrolled (its
/// first code expired or was lost). An account that enrolled keeps its holder's password.
pub async fn reissue(
    office: &OfficeState,
    caller: &Caller,
    login: String,
) -> Result<EnrolmentCode, ApiError> {
    caller
        .may(office, Action::ManageAccounts, "enrolment_code_issued")
        .await?;
    let staff = find(office, &login).await?;
    let (code, sha256) = new_code(office)?;
    let event = issued(caller, &login, &code);
    office
        .db
        .issue_enrolment(staff.id, &sha256, code.expires, event)
        .await?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n3_3_1_a_code_reads_the_same_however_it_is_typed() {
        let a = code_sha256("ABCD-EFGH-JKLM-NPQR-STUV");
        assert_eq!(a, code_sha256("abcd efgh jklm npqr stuv"));
        assert_ne!(a, code_sha256("ABCD-EFGH-JKLM-NPQR-STUW"));
    }
}
