//! The camera register and its signs (issue 14; N4.1, N4.2, T2.1, T2.2, T7.2).
//!
//! Rows are parsed at this boundary into the policy's types ([`Lifecycle`], [`Position`],
//! [`View`]); a stored value they refuse is [`DbError::Corrupt`]. Each write names the state it
//! expects, so a step decided on a state that changed meanwhile is a conflict, not a wrong row;
//! its event (and any `sign_missing` alert) is written in the same transaction.

use jiff::civil::Date;
use jiff::Timestamp;
use mimamori_ledger::vocabulary::{CameraDetails, SiteBasis};
use mimamori_policy::register::{Lifecycle, Position, View};
use mimamori_policy::CameraId;
use sqlx::AnyConnection;

use crate::alerts::insert_alert;
use crate::write::changed_one;
use crate::{to_us, AlertKind, Db, DbError, Engine, Event, Flag, NewAlert, Result};

/// A camera as the register holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterCamera {
    pub id: CameraId,
    pub address: String,
    pub position: Position,
    pub details: CameraDetails,
    pub state: Lifecycle,
    pub basis: SiteBasis,
    pub chosen_by: String,
    pub chosen_us: i64,
    pub installed_on: Option<Date>,
    pub operating_since: Option<Date>,
    pub removed_on: Option<Date>,
    pub updated_us: i64,
}

/// A sign, standing or removed, with the cameras it tells of.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisterSign {
    pub id: i64,
    pub position: Position,
    pub text: String,
    pub placed_on: Date,
    pub removed_on: Option<Date>,
    pub cameras: Vec<CameraId>,
}

impl RegisterSign {
    pub fn is_standing(&self) -> bool {
        self.removed_on.is_none()
    }
}

/// A site the Manager chose (N4.1).
#[derive(Debug, Clone)]
pub struct NewSite {
    pub camera: CameraId,
    pub address: String,
    pub position: Position,
    pub details: CameraDetails,
    pub basis: SiteBasis,
    pub chosen_by: String,
}

/// A sign to place (N4.2, T2.2).
#[derive(Debug, Clone)]
pub struct NewSign {
    pub position: Position,
    pub text: String,
    pub cameras: Vec<CameraId>,
    pub placed_on: Date,
}

#[derive(sqlx::FromRow)]
struct CameraRaw {
    id: String,
    name: String,
    address: String,
    lat_udeg: i64,
    lon_udeg: i64,
    bearing_deg: i64,
    fov_deg: i64,
    range_m: i64,
    height_cm: Option<i64>,
    privacy_notes: String,
    state: String,
    basis_document: String,
    basis_date: String,
    basis_summary: String,
    chosen_by: String,
    chosen_us: i64,
    installed_on: Option<String>,
    operating_since: Option<String>,
    removed_on: Option<String>,
    updated_us: i64,
}

const CAMERA_COLUMNS: &str = "id, name, address, lat_udeg, lon_udeg, bearing_deg, fov_deg, \
     range_m, height_cm, privacy_notes, state, basis_document, basis_date, basis_summary, \
     chosen_by, chosen_us, installed_on, operating_since, removed_on, updated_us";

fn date(record: &str, text: &str) -> Result<Date> {
    text.parse().map_err(|e| DbError::corrupt(record, e))
}

fn optional_date(record: &str, text: Option<&str>) -> Result<Option<Date>> {
    text.map(|t| date(record, t)).transpose()
}

impl TryFrom<CameraRaw> for RegisterCamera {
    type Error = DbError;

    fn try_from(r: CameraRaw) -> Result<Self> {
        let record = format!("register camera {}", r.id);
        let problem = |p: mimamori_policy::register::FieldProblem| DbError::corrupt(&record, p.en);
        let height_cm = r
            .height_cm
            .map(u16::try_from)
            .transpose()
            .map_err(|e| DbError::corrupt(&record, e))?;
        Ok(RegisterCamera {
            id: CameraId::new(&r.id).map_err(|e| DbError::corrupt(&record, e))?,
            address: r.address,
            position: Position::from_udeg(r.lat_udeg, r.lon_udeg).map_err(problem)?,
            details: CameraDetails {
                name: r.name,
                view: View::new(r.bearing_deg, r.fov_deg, r.range_m).map_err(problem)?,
                height_cm,
                privacy_notes: r.privacy_notes,
            },
            state: Lifecycle::try_from(r.state).map_err(|e| DbError::corrupt(&record, e))?,
            basis: SiteBasis {
                document: r.basis_document,
                date: date(&record, &r.basis_date)?,
                summary: r.basis_summary,
            },
            chosen_by: r.chosen_by,
            chosen_us: r.chosen_us,
            installed_on: optional_date(&record, r.installed_on.as_deref())?,
            operating_since: optional_date(&record, r.operating_since.as_deref())?,
            removed_on: optional_date(&record, r.removed_on.as_deref())?,
            updated_us: r.updated_us,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SignRaw {
    id: i64,
    lat_udeg: i64,
    lon_udeg: i64,
    text: String,
    placed_on: String,
    removed_on: Option<String>,
    /// The cameras' ids joined by ','.
    cameras: Option<String>,
}

impl TryFrom<SignRaw> for RegisterSign {
    type Error = DbError;

    fn try_from(r: SignRaw) -> Result<Self> {
        let record = format!("sign {}", r.id);
        let cameras = r
            .cameras
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| CameraId::new(c).map_err(|e| DbError::corrupt(&record, e)))
            .collect::<Result<Vec<_>>>()?;
        Ok(RegisterSign {
            id: r.id,
            position: Position::from_udeg(r.lat_udeg, r.lon_udeg)
                .map_err(|p| DbError::corrupt(&record, p.en))?,
            text: r.text,
            placed_on: date(&record, &r.placed_on)?,
            removed_on: optional_date(&record, r.removed_on.as_deref())?,
            cameras,
        })
    }
}

/// Cameras in operation among `cameras` that no standing sign covers.
async fn unsigned_in_operation(
    c: &mut AnyConnection,
    cameras: &[CameraId],
) -> Result<Vec<CameraId>> {
    let mut out = Vec::new();
    for camera in cameras {
        let Flag(unsigned) = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM register_camera
                   WHERE id = $1 AND state = 'in_operation')
               AND NOT EXISTS (SELECT 1 FROM register_sign_camera sc
                   JOIN register_sign s ON s.id = sc.sign_id
                   WHERE sc.camera_id = $1 AND s.removed_on IS NULL) THEN 1 ELSE 0 END",
        )
        .bind(camera.as_str())
        .fetch_one(&mut *c)
        .await?;
        if unsigned {
            out.push(camera.clone());
        }
    }
    Ok(out)
}

async fn resolve_sign_missing(
    c: &mut AnyConnection,
    camera: &CameraId,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE alert SET resolved_us = $1 \
         WHERE kind = 'sign_missing' AND camera_id = $2 AND resolved_us IS NULL",
    )
    .bind(to_us(now))
    .bind(camera.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

impl Db {
    /// Every camera in the register, removed ones included, by id.
    pub async fn register_cameras(&self) -> Result<Vec<RegisterCamera>> {
        let rows: Vec<CameraRaw> = sqlx::query_as(&format!(
            "SELECT {CAMERA_COLUMNS} FROM register_camera ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RegisterCamera::try_from).collect()
    }

    pub async fn register_camera(&self, id: &CameraId) -> Result<Option<RegisterCamera>> {
        let row: Option<CameraRaw> = sqlx::query_as(&format!(
            "SELECT {CAMERA_COLUMNS} FROM register_camera WHERE id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(RegisterCamera::try_from).transpose()
    }

    /// Every sign, removed ones included, with its cameras.
    pub async fn signs(&self) -> Result<Vec<RegisterSign>> {
        let sql = match self.engine {
            Engine::Sqlite => {
                "SELECT s.id, s.lat_udeg, s.lon_udeg, s.text, s.placed_on, s.removed_on,
                    (SELECT group_concat(camera_id, ',') FROM
                        (SELECT camera_id FROM register_sign_camera
                         WHERE sign_id = s.id ORDER BY camera_id)) AS cameras
                 FROM register_sign s ORDER BY s.id"
            }
            Engine::Postgres => {
                "SELECT s.id, s.lat_udeg, s.lon_udeg, s.text, s.placed_on, s.removed_on,
                    (SELECT string_agg(camera_id, ',' ORDER BY camera_id)
                     FROM register_sign_camera WHERE sign_id = s.id) AS cameras
                 FROM register_sign s ORDER BY s.id"
            }
        };
        let rows: Vec<SignRaw> = sqlx::query_as(sql).fetch_all(&self.pool).await?;
        rows.into_iter().map(RegisterSign::try_from).collect()
    }

    /// N4.1: records a chosen site, new or chosen again while still planned (`replaces`).
    pub async fn choose_site(
        &self,
        site: &NewSite,
        replaces: bool,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let d = &site.details;
        self.write_with(
            async |c| {
                let query = if replaces {
                    "UPDATE register_camera SET name = $2, address = $3, lat_udeg = $4,
                         lon_udeg = $5, bearing_deg = $6, fov_deg = $7, range_m = $8,
                         height_cm = $9, privacy_notes = $10, basis_document = $11,
                         basis_date = $12, basis_summary = $13, chosen_by = $14, chosen_us = $15,
                         updated_us = $15
                     WHERE id = $1 AND state = 'planned'"
                } else {
                    "INSERT INTO register_camera (id, name, address, lat_udeg, lon_udeg,
                         bearing_deg, fov_deg, range_m, height_cm, privacy_notes, basis_document,
                         basis_date, basis_summary, chosen_by, chosen_us, updated_us, state)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                         $15, 'planned')
                     ON CONFLICT (id) DO NOTHING"
                };
                let n = sqlx::query(query)
                    .bind(site.camera.as_str())
                    .bind(&d.name)
                    .bind(&site.address)
                    .bind(site.position.lat_udeg)
                    .bind(site.position.lon_udeg)
                    .bind(i64::from(d.view.bearing_deg))
                    .bind(i64::from(d.view.fov_deg))
                    .bind(i64::from(d.view.range_m))
                    .bind(d.height_cm.map(i64::from))
                    .bind(&d.privacy_notes)
                    .bind(&site.basis.document)
                    .bind(site.basis.date.to_string())
                    .bind(&site.basis.summary)
                    .bind(&site.chosen_by)
                    .bind(to_us(now))
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                changed_one(n, || {
                    format!(
                        "camera {} changed meanwhile; reload and try again",
                        site.camera
                    )
                })
            },
            |_| vec![event],
        )
        .await
    }

    /// T2.1: a camera's name, view and privacy notes, while it is not removed.
    pub async fn record_camera_details(
        &self,
        camera: &CameraId,
        details: &CameraDetails,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE register_camera SET name = $2, bearing_deg = $3, fov_deg = $4, range_m = $5,
                 height_cm = $6, privacy_notes = $7, updated_us = $8
             WHERE id = $1 AND state != 'removed'",
        )
        .bind(camera.as_str().to_owned())
        .bind(details.name.clone())
        .bind(i64::from(details.view.bearing_deg))
        .bind(i64::from(details.view.fov_deg))
        .bind(i64::from(details.view.range_m))
        .bind(details.height_cm.map(i64::from))
        .bind(details.privacy_notes.clone())
        .bind(to_us(now));
        self.update_one(query, "the camera was removed meanwhile", event)
            .await
    }

    /// T2.1: planned → installed on `on`.
    pub async fn install_camera(
        &self,
        camera: &CameraId,
        on: Date,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE register_camera SET state = 'installed', installed_on = $2, updated_us = $3
             WHERE id = $1 AND state = 'planned'",
        )
        .bind(camera.as_str().to_owned())
        .bind(on.to_string())
        .bind(to_us(now));
        self.update_one(query, "the camera's state changed meanwhile", event)
            .await
    }

    /// N5, N4.2: installed → in operation on `on`, only while a standing sign covers it.
    pub async fn start_operation(
        &self,
        camera: &CameraId,
        on: Date,
        now: Timestamp,
        event: Event,
    ) -> Result<()> {
        let query = sqlx::query(
            "UPDATE register_camera SET state = 'in_operation', operating_since = $2,
                 updated_us = $3
             WHERE id = $1 AND state = 'installed'
               AND EXISTS (SELECT 1 FROM register_sign_camera sc
                   JOIN register_sign s ON s.id = sc.sign_id
                   WHERE sc.camera_id = $1 AND s.removed_on IS NULL)",
        )
        .bind(camera.as_str().to_owned())
        .bind(on.to_string())
        .bind(to_us(now));
        self.update_one(
            query,
            "the camera's state or its signs changed meanwhile",
            event,
        )
        .await
    }

    /// T7.2: the camera comes down on `on`, with every standing sign that tells of no other
    /// camera still up. `event` gets the signs removed.
    pub async fn remove_camera(
        &self,
        camera: &CameraId,
        on: Date,
        now: Timestamp,
        event: impl FnOnce(&[i64]) -> Event,
    ) -> Result<Vec<i64>> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE register_camera SET state = 'removed', removed_on = $2,
                         updated_us = $3
                     WHERE id = $1 AND state != 'removed'",
                )
                .bind(camera.as_str())
                .bind(on.to_string())
                .bind(to_us(now))
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || "the camera was removed meanwhile".to_owned())?;
                let signs: Vec<i64> = sqlx::query_scalar(
                    "SELECT s.id FROM register_sign s
                     JOIN register_sign_camera sc ON sc.sign_id = s.id AND sc.camera_id = $1
                     WHERE s.removed_on IS NULL AND NOT EXISTS (
                         SELECT 1 FROM register_sign_camera other
                         JOIN register_camera cam ON cam.id = other.camera_id
                         WHERE other.sign_id = s.id AND cam.state != 'removed')
                     ORDER BY s.id",
                )
                .bind(camera.as_str())
                .fetch_all(&mut *c)
                .await?;
                for sign in &signs {
                    sqlx::query(
                        "UPDATE register_sign
                         SET removed_on = CASE WHEN placed_on > $2 THEN placed_on ELSE $2 END
                         WHERE id = $1",
                    )
                    .bind(sign)
                    .bind(on.to_string())
                    .execute(&mut *c)
                    .await?;
                }
                resolve_sign_missing(c, camera, now).await?;
                Ok(signs)
            },
            |signs| vec![event(signs)],
        )
        .await
    }

    /// N4.2, T2.2: places a sign over cameras of the register not removed; any `sign_missing`
    /// alert of theirs is resolved. Returns the sign's number.
    pub async fn place_sign(
        &self,
        sign: &NewSign,
        now: Timestamp,
        event: impl FnOnce(i64) -> Event,
    ) -> Result<i64> {
        self.write_with(
            async |c| {
                let id = sqlx::query_scalar::<_, i64>(
                    "INSERT INTO register_sign (lat_udeg, lon_udeg, text, placed_on, created_us)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(sign.position.lat_udeg)
                .bind(sign.position.lon_udeg)
                .bind(&sign.text)
                .bind(sign.placed_on.to_string())
                .bind(to_us(now))
                .fetch_one(&mut *c)
                .await?;
                for camera in &sign.cameras {
                    let n = sqlx::query(
                        "INSERT INTO register_sign_camera (sign_id, camera_id)
                         SELECT $1, id FROM register_camera WHERE id = $2 AND state != 'removed'",
                    )
                    .bind(id)
                    .bind(camera.as_str())
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    changed_one(n, || format!("camera {camera} was removed meanwhile"))?;
                    resolve_sign_missing(c, camera, now).await?;
                }
                Ok(id)
            },
            |&id| vec![event(id)],
        )
        .await
    }

    /// T7.2: a sign taken down on `on`. A camera in operation it leaves with no sign gets a
    /// `sign_missing` alert (N4.2); `event` gets those cameras.
    pub async fn remove_sign(
        &self,
        sign: i64,
        on: Date,
        now: Timestamp,
        event: impl FnOnce(&[CameraId]) -> Event,
    ) -> Result<Vec<CameraId>> {
        self.write_with(
            async |c| {
                let n = sqlx::query(
                    "UPDATE register_sign SET removed_on = $2
                     WHERE id = $1 AND removed_on IS NULL AND placed_on <= $2",
                )
                .bind(sign)
                .bind(on.to_string())
                .execute(&mut *c)
                .await?
                .rows_affected();
                changed_one(n, || {
                    format!("sign {sign} is not standing, or was placed after {on}")
                })?;
                let covered: Vec<String> = sqlx::query_scalar(
                    "SELECT camera_id FROM register_sign_camera WHERE sign_id = $1 ORDER BY camera_id",
                )
                .bind(sign)
                .fetch_all(&mut *c)
                .await?;
                let covered = covered
                    .iter()
                    .map(|id| CameraId::new(id).map_err(|e| DbError::corrupt(format!("sign {sign}"), e)))
                    .collect::<Result<Vec<_>>>()?;
                let unsigned = unsigned_in_operation(c, &covered).await?;
                for camera in &unsigned {
                    let alert = NewAlert {
                        kind: AlertKind::SignMissing,
                        camera: Some(camera.clone()),
                        message: format!(
                            "N4.2: camera {camera} is in operation with no sign standing \
                             (運用中のカメラ {camera} を表示する看板がありません)"
                        ),
                    };
                    insert_alert(c, &alert, now).await?;
                }
                Ok(unsigned)
            },
            |unsigned| vec![event(unsigned)],
        )
        .await
    }
}

#[cfg(test)]
mod tests;
