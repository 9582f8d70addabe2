//! Enrolment (N3.3.1; issue 11, #1): the holder of a new account sets its password with a
//! one-time code, so no Administrator ever knows it. Only the code's SHA-256 is stored; a code
//! is used once, before its expiry, and a new one replaces an open one.

use jiff::Timestamp;
use mimamori_policy::StaffId;

use crate::staff::UNUSABLE_PASSWORD;
use crate::write::changed_one;
use crate::{to_us, Db, Event, Result};

impl Db {
    /// A new code for an account that has not enrolled (the first one expired, or was lost).
    /// An account that enrolled or whose holder left is a conflict: its password is its
    /// holder's.
    pub async fn issue_enrolment(
        &self,
        staff_id: StaffId,
        code_sha256: &[u8; 32],
        expires: Timestamp,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE staff SET enrolment_sha256 = $1, enrolment_expires_us = $2
                     WHERE id = $3 AND enrolled_us IS NULL AND left_us IS NULL",
                )
                .bind(&code_sha256[..])
                .bind(to_us(expires))
                .bind(staff_id)
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || {
                    "the account has enrolled already (its password is its holder's), or the \
                     person left"
                        .into()
                })
            },
            |_| vec![event],
        )
        .await
    }

    /// The holder sets the password with the code. The code must be the account's open one and
    /// unexpired; it is spent in the same statement, so two uses of one code make one password.
    pub async fn enrol(
        &self,
        staff_id: StaffId,
        code_sha256: &[u8; 32],
        password_hash: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        debug_assert_ne!(password_hash, UNUSABLE_PASSWORD);
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE staff SET password_hash = $1, password_changed_us = $2,
                         enrolled_us = $2, enrolment_sha256 = NULL, enrolment_expires_us = NULL,
                         failed_signins = 0, locked_until_us = NULL
                     WHERE id = $3 AND left_us IS NULL AND enrolled_us IS NULL
                         AND enrolment_sha256 = $4 AND enrolment_expires_us > $2",
                )
                .bind(password_hash)
                .bind(to_us(now))
                .bind(staff_id)
                .bind(&code_sha256[..])
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || "the enrolment code was used or has expired".into())
            },
            |_| vec![event],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use crate::staff::Credential;
    use crate::testutil::{any_event, new_staff, t0};
    use crate::{Db, DbError};

    #[tokio::test]
    async fn n3_3_1_an_enrolment_code_is_used_once_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("m.db")).await.unwrap();
        let expires = t0() + SignedDuration::from_hours(24);
        let new = crate::NewStaff {
            credential: Credential::Enrolment {
                code_sha256: [7; 32],
                expires,
            },
            ..new_staff("tanaka")
        };
        let id = db
            .create_staff(&new, t0(), |_| vec![any_event()])
            .await
            .unwrap();
        let row = db.staff_by_id(id).await.unwrap().unwrap();
        assert_eq!(row.enrolled_us, None);
        assert_eq!(row.password_hash, "!");
        let wrong = db.enrol(id, &[8; 32], "$h", t0(), any_event()).await;
        assert!(matches!(wrong, Err(DbError::Conflict(_))), "{wrong:?}");
        let late = db.enrol(id, &[7; 32], "$h", expires, any_event()).await;
        assert!(matches!(late, Err(DbError::Conflict(_))), "{late:?}");
        db.enrol(id, &[7; 32], "$h", t0(), any_event())
            .await
            .unwrap();
        let again = db.enrol(id, &[7; 32], "$other", t0(), any_event()).await;
        assert!(matches!(again, Err(DbError::Conflict(_))), "{again:?}");
        let row = db.staff_by_id(id).await.unwrap().unwrap();
        assert_eq!(
            (row.password_hash.as_str(), row.enrolled_us),
            ("$h", Some(crate::to_us(t0())))
        );
        assert_eq!(row.enrolment_sha256, None);
        // Its password is now its holder's: no new code replaces it.
        let reissue = db.issue_enrolment(id, &[9; 32], expires, any_event()).await;
        assert!(matches!(reissue, Err(DbError::Conflict(_))), "{reissue:?}");
    }
}
