//! Written delegations to investigative bodies (N10.2), which accounts and terminals of
//! delegated staff name (N10.3, N10.4).

use jiff::Timestamp;

use mimamori_policy::DelegationId;

use crate::{to_us, Db, Event, Result};

#[derive(Debug, Clone)]
pub struct NewDelegation {
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub from: Timestamp,
    pub until: Timestamp,
    pub recorded_by: String,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DelegationRow {
    pub id: DelegationId,
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub from_us: i64,
    pub until_us: i64,
    pub recorded_by: String,
    pub recorded_us: i64,
}

impl Db {
    pub async fn create_delegation(
        &self,
        new: &NewDelegation,
        now: Timestamp,
        event: impl FnOnce(DelegationId) -> Event,
    ) -> Result<DelegationId> {
        self.write_with(
            async |c| {
                Ok(DelegationId::new(
                    sqlx::query(
                        "INSERT INTO delegation (body, document_ref, scope, from_us, until_us,
                         recorded_by, recorded_us) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    )
                    .bind(&new.body)
                    .bind(&new.document_ref)
                    .bind(&new.scope)
                    .bind(to_us(new.from))
                    .bind(to_us(new.until))
                    .bind(&new.recorded_by)
                    .bind(to_us(now))
                    .execute(&mut *c)
                    .await?
                    .last_insert_rowid(),
                ))
            },
            |&id| vec![event(id)],
        )
        .await
    }

    pub async fn delegation(&self, id: DelegationId) -> Result<Option<DelegationRow>> {
        Ok(sqlx::query_as("SELECT * FROM delegation WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn delegations(&self) -> Result<Vec<DelegationRow>> {
        Ok(sqlx::query_as("SELECT * FROM delegation ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }
}
