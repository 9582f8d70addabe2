//! Dedicated terminals (N2, N3.3, N8, N10.4): registered with their public key, revoked when
//! lost or retired, kept for the record.

use jiff::Timestamp;

use mimamori_policy::{DelegationId, TerminalId};

use crate::alerts::insert_alert;
use crate::write::unique_violation;
use crate::{to_us, Db, Event, NewAlert, Result};

#[derive(Debug, Clone)]
pub struct NewTerminal {
    pub id: TerminalId,
    pub name: String,
    pub location: String,
    pub custodian: String,
    pub public_key: String,
    pub delegation_id: Option<DelegationId>,
    pub registered_by: String,
}

impl NewTerminal {
    /// What the ledger's `terminal_registered` event says of it.
    pub fn registered(&self) -> crate::vocabulary::TerminalRegistered {
        crate::vocabulary::TerminalRegistered {
            terminal: self.id.to_string(),
            location: Some(self.location.clone()),
            custodian: Some(self.custodian.clone()),
            public_key: self.public_key.clone(),
            delegation_id: self.delegation_id,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalRow {
    pub id: TerminalId,
    pub name: String,
    pub location: String,
    pub custodian: String,
    pub public_key: String,
    pub delegation_id: Option<DelegationId>,
    pub registered_by: String,
    pub registered_us: i64,
    pub revoked_by: Option<String>,
    pub revoked_us: Option<i64>,
}

impl Db {
    pub async fn register_terminal(
        &self,
        new: &NewTerminal,
        now: Timestamp,
        alert: Option<&NewAlert>,
        event: Event,
    ) -> Result<()> {
        self.write_with(
            async |c| {
                if let Some(alert) = alert {
                    insert_alert(c, alert, now).await?;
                }
                sqlx::query(
                    "INSERT INTO terminal (id, name, location, custodian, public_key,
                         delegation_id, registered_by, registered_us)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&new.id)
                .bind(&new.name)
                .bind(&new.location)
                .bind(&new.custodian)
                .bind(&new.public_key)
                .bind(new.delegation_id)
                .bind(&new.registered_by)
                .bind(to_us(now))
                .execute(&mut *c)
                .await
                .map_err(|e| unique_violation(e, "terminal id or public key"))?;
                Ok(())
            },
            |_| vec![event],
        )
        .await
    }

    pub async fn revoke_terminal(
        &self,
        id: &TerminalId,
        by: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE terminal SET revoked_by = $1, revoked_us = $2 WHERE id = $3 AND revoked_us IS NULL",
        )
        .bind(by.to_owned())
        .bind(to_us(now))
        .bind(id.to_owned());
        self.update_one(query, "the terminal is already revoked", event)
            .await
    }

    pub async fn terminal(&self, id: &TerminalId) -> Result<Option<TerminalRow>> {
        Ok(sqlx::query_as("SELECT * FROM terminal WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn terminals(&self) -> Result<Vec<TerminalRow>> {
        Ok(sqlx::query_as("SELECT * FROM terminal ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }
}
