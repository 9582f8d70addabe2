//! Written delegations to investigative bodies (N10.2), which accounts and terminals of
//! delegated staff name (N10.3, N10.4).

use jiff::Timestamp;
use mimamori_policy::{CameraId, DelegationId};
use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;

use crate::{from_us, to_us, Db, Event, Result};

/// The cameras a delegation covers (N10.2): data the emergency step checks (issue 11, #4). A
/// JSON array of camera ids in the `cameras` column; a delegation recorded before the scope was
/// data has none, and covers no camera until the Manager records it again.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
pub struct DelegatedCameras(pub Vec<CameraId>);

impl sqlx::Type<Any> for DelegatedCameras {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }
}

impl<'q> sqlx::Encode<'q, Any> for DelegatedCameras {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> std::result::Result<IsNull, BoxDynError> {
        let ids: Vec<&str> = self.0.iter().map(CameraId::as_str).collect();
        <String as sqlx::Encode<'q, Any>>::encode(serde_json::to_string(&ids)?, buf)
    }
}

/// Parsed like the policy's ids: a damaged list is an error, not an empty scope.
impl<'r> sqlx::Decode<'r, Any> for DelegatedCameras {
    fn decode(value: AnyValueRef<'r>) -> std::result::Result<Self, BoxDynError> {
        let text = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
        let ids: Vec<String> = serde_json::from_str(text)?;
        let ids = ids
            .iter()
            .map(|id| CameraId::new(id))
            .collect::<std::result::Result<Vec<_>, String>>()?;
        Ok(DelegatedCameras(ids))
    }
}

#[derive(Debug, Clone)]
pub struct NewDelegation {
    pub body: String,
    pub document_ref: String,
    pub scope: String,
    pub cameras: DelegatedCameras,
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
    /// The cameras it covers; none for one recorded before the scope was data.
    pub cameras: Option<DelegatedCameras>,
    pub from_us: i64,
    pub until_us: i64,
    pub recorded_by: String,
    pub recorded_us: i64,
    pub withdrawn_us: Option<i64>,
    pub withdrawn_by: Option<String>,
    pub withdrawal_reason: Option<String>,
}

impl DelegationRow {
    /// Within its dates and not withdrawn.
    pub fn in_force(&self, now: Timestamp) -> bool {
        from_us(self.from_us) <= now
            && now < from_us(self.until_us)
            && self.withdrawn_us.is_none_or(|w| now < from_us(w))
    }

    pub fn covers(&self, camera: &CameraId) -> bool {
        self.cameras.as_ref().is_some_and(|c| c.0.contains(camera))
    }
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
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO delegation (body, document_ref, scope, cameras, from_us,
                         until_us, recorded_by, recorded_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    )
                    .bind(&new.body)
                    .bind(&new.document_ref)
                    .bind(&new.scope)
                    .bind(&new.cameras)
                    .bind(to_us(new.from))
                    .bind(to_us(new.until))
                    .bind(&new.recorded_by)
                    .bind(to_us(now))
                    .fetch_one(&mut *c)
                    .await?,
                ))
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// N10.2: the Manager withdraws a delegation, from `now`.
    pub async fn withdraw_delegation(
        &self,
        id: DelegationId,
        by: &str,
        reason: &str,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE delegation SET withdrawn_us = $1, withdrawn_by = $2, withdrawal_reason = $3
             WHERE id = $4 AND withdrawn_us IS NULL",
        )
        .bind(to_us(now))
        .bind(by.to_owned())
        .bind(reason.to_owned())
        .bind(id);
        self.update_one(query, "the delegation was already withdrawn", event)
            .await
    }

    pub async fn delegation(&self, id: DelegationId) -> Result<Option<DelegationRow>> {
        Ok(sqlx::query_as("SELECT * FROM delegation WHERE id = $1")
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
