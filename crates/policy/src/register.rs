//! The camera register's rules (issue 14): a camera's life from a chosen site to its removal,
//! what its view must be, and what a sign must say.
//!
//! N4.1: a site is chosen from the police station's crime information, by the Manager (N7.2),
//! and the register keeps that justification. T2.1: the layout map shows each camera's position
//! and shooting direction. N4.2, T2.2: where a camera records, a sign says so and names the
//! ward. T7.2: when operation ends, the camera and its signs come down. The office asks this
//! module whether a step may be taken from a camera's state ([`next_state`]); the database keeps
//! the same order in CHECK constraints.

use serde::{Deserialize, Serialize};

use crate::access::Refusal;
use crate::Rule;

/// Where a camera is in its life (T2.1, T7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    /// The site is chosen (N4.1); nothing stands there yet.
    Planned,
    /// Mounted, not yet recording for the ward.
    Installed,
    /// Recording (N5); a sign must stand (N4.2).
    InOperation,
    /// Taken down with its signs (T7.2); kept on record.
    Removed,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [
        Lifecycle::Planned,
        Lifecycle::Installed,
        Lifecycle::InOperation,
        Lifecycle::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Planned => "planned",
            Lifecycle::Installed => "installed",
            Lifecycle::InOperation => "in_operation",
            Lifecycle::Removed => "removed",
        }
    }

    pub fn parse(text: &str) -> Option<Lifecycle> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn ja(self) -> &'static str {
        match self {
            Lifecycle::Planned => "設置予定",
            Lifecycle::Installed => "設置済み",
            Lifecycle::InOperation => "運用中",
            Lifecycle::Removed => "撤去済み",
        }
    }

    /// Whether the public is told about it: a planned site is not yet on the layout map.
    pub fn is_public(self) -> bool {
        !matches!(self, Lifecycle::Planned)
    }
}

impl TryFrom<String> for Lifecycle {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Lifecycle::parse(&text).ok_or_else(|| format!("unknown camera lifecycle state {text:?}"))
    }
}

/// A change to a camera's place in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterStep {
    /// N4.1: choose the site (or choose it again while nothing stands there).
    ChooseSite,
    /// Name, view and privacy notes, any time before removal.
    RecordDetails,
    /// T2.1: mounted.
    Install,
    /// N5, N4.2: recording for the ward; a sign must cover it.
    StartOperation,
    /// T7.2: taken down, with the signs that told of it alone.
    Remove,
}

/// The state a step leads to from `current` (`None`: the camera is not in the register), or
/// the refusal naming the rule. `has_sign` says whether a sign standing now covers the camera.
pub fn next_state(
    current: Option<Lifecycle>,
    step: RegisterStep,
    has_sign: bool,
) -> Result<Lifecycle, Refusal> {
    use Lifecycle::*;
    use RegisterStep::*;
    let refuse = |code, rule, en: &str, ja: &str| Err(Refusal::new(code, rule, en, ja));
    match (current, step) {
        (Some(Removed), _) => refuse(
            "camera_removed",
            Rule::T7_2,
            "the camera was removed; its record is kept as it was",
            "撤去済みのカメラです。記録は撤去時のまま保存されます",
        ),
        (None, ChooseSite) | (Some(Planned), ChooseSite) => Ok(Planned),
        (Some(_), ChooseSite) => refuse(
            "site_fixed",
            Rule::N4_1,
            "the camera is installed; a new site is a new camera",
            "設置済みのカメラの場所は変更できません。新しい場所は新しいカメラとして登録してください",
        ),
        (None, _) => refuse(
            "camera_not_registered",
            Rule::N4_1,
            "the camera is not in the register: its site must be chosen first",
            "台帳にないカメラです。先に設置場所の選定を記録してください",
        ),
        (Some(state), RecordDetails) => Ok(state),
        (Some(Planned), Install) => Ok(Installed),
        (Some(_), Install) => refuse(
            "already_installed",
            Rule::T2_1,
            "the camera is already installed",
            "このカメラは設置済みです",
        ),
        (Some(Installed), StartOperation) if has_sign => Ok(InOperation),
        (Some(Installed), StartOperation) => refuse(
            "no_sign",
            Rule::N4_2,
            "no sign standing covers this camera: place one before operation starts",
            "このカメラを表示する看板がありません。運用開始の前に看板を設置してください",
        ),
        (Some(Planned), StartOperation) => refuse(
            "not_installed",
            Rule::T2_1,
            "the camera is not installed yet",
            "このカメラはまだ設置されていません",
        ),
        (Some(InOperation), StartOperation) => refuse(
            "already_in_operation",
            Rule::N5,
            "the camera is already in operation",
            "このカメラは運用中です",
        ),
        (Some(_), Remove) => Ok(Removed),
    }
}

/// Which way a camera looks and how far (T2.1), as the layout map draws it. Whole degrees and
/// metres: finer than a sign on a pole can be aimed, and integers are what the ledger's
/// canonical JSON carries exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct View {
    /// Degrees clockwise from true north, 0 ≤ b < 360.
    pub bearing_deg: u16,
    /// Horizontal field of view in degrees, 1 ≤ f ≤ 360.
    pub fov_deg: u16,
    /// How far it records usefully, in metres, 1 ≤ r ≤ 2000.
    pub range_m: u16,
}

impl View {
    /// The view, or the field that is out of range with what it must be.
    pub fn new(bearing_deg: i64, fov_deg: i64, range_m: i64) -> Result<View, FieldProblem> {
        if !(0..360).contains(&bearing_deg) {
            return Err(FieldProblem::new(
                "bearing_deg",
                "the shooting direction is whole degrees clockwise from true north, 0 to 359",
                "撮影方向は真北から時計回りの角度（0〜359の整数）で入力してください",
            ));
        }
        if !(1..=360).contains(&fov_deg) {
            return Err(FieldProblem::new(
                "fov_deg",
                "the horizontal field of view is whole degrees, 1 to 360",
                "水平画角は1〜360の整数（度）で入力してください",
            ));
        }
        if !(1..=2000).contains(&range_m) {
            return Err(FieldProblem::new(
                "range_m",
                "the range is whole metres, 1 to 2000",
                "撮影範囲は1〜2000の整数（m）で入力してください",
            ));
        }
        Ok(View {
            bearing_deg: bearing_deg as u16,
            fov_deg: fov_deg as u16,
            range_m: range_m as u16,
        })
    }

    fn point(&self) -> usize {
        ((usize::from(self.bearing_deg) * 2 + 45) / 90) % 8
    }

    /// The compass point the camera faces, in Japanese (北, 北東, …), for people.
    pub fn compass_ja(&self) -> &'static str {
        ["北", "北東", "東", "南東", "南", "南西", "西", "北西"][self.point()]
    }

    /// The compass point in English (N, NE, …).
    pub fn compass_en(&self) -> &'static str {
        ["N", "NE", "E", "SE", "S", "SW", "W", "NW"][self.point()]
    }
}

/// A position on the earth (WGS 84), in millionths of a degree (about 0.1 m): integers, so the
/// ledger records exactly what the register holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position {
    pub lat_udeg: i64,
    pub lon_udeg: i64,
}

impl Position {
    /// From degrees, rounded to the millionth.
    pub fn from_degrees(lat: f64, lon: f64) -> Result<Position, FieldProblem> {
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(FieldProblem::new(
                "lat",
                "the latitude is -90 to 90 degrees",
                "緯度は-90〜90度で入力してください",
            ));
        }
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(FieldProblem::new(
                "lon",
                "the longitude is -180 to 180 degrees",
                "経度は-180〜180度で入力してください",
            ));
        }
        Ok(Position {
            lat_udeg: (lat * 1e6).round() as i64,
            lon_udeg: (lon * 1e6).round() as i64,
        })
    }

    /// From stored millionths, checked.
    pub fn from_udeg(lat_udeg: i64, lon_udeg: i64) -> Result<Position, FieldProblem> {
        Position::from_degrees(lat_udeg as f64 / 1e6, lon_udeg as f64 / 1e6)
            .map(|_| Position { lat_udeg, lon_udeg })
    }

    pub fn lat(&self) -> f64 {
        self.lat_udeg as f64 / 1e6
    }

    pub fn lon(&self) -> f64 {
        self.lon_udeg as f64 / 1e6
    }
}

/// An input field that is not what the register accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub en: &'static str,
    pub ja: &'static str,
}

impl FieldProblem {
    fn new(field: &'static str, en: &'static str, ja: &'static str) -> Self {
        FieldProblem { field, en, ja }
    }
}

/// T2.2: a sign names the ward and says that a security camera is recording. The words the
/// model guideline uses are 「防犯カメラ作動中」; a ward may word it otherwise, so the rule
/// asked of the text is that it contains 防犯カメラ and the ward's name.
pub fn check_sign_text(text: &str, ward_name: &str) -> Result<(), Refusal> {
    let text = text.trim();
    if !text.contains("防犯カメラ") || !text.contains(ward_name.trim()) {
        return Err(Refusal::new(
            "sign_text",
            Rule::T2_2,
            format!(
                "a sign says a security camera (防犯カメラ) is in operation and names {ward_name}"
            ),
            format!(
                "看板には「防犯カメラ」作動中である旨と「{ward_name}」の名称を記載してください"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;
    use RegisterStep::*;

    /// N4.1, T2.1, N4.2, T7.2: the life of a camera in order, and every step out of order
    /// refused with its rule.
    #[test]
    fn n4_1_t7_2_a_camera_lives_in_order() {
        assert_eq!(next_state(None, ChooseSite, false), Ok(Planned));
        assert_eq!(next_state(Some(Planned), ChooseSite, false), Ok(Planned));
        assert_eq!(next_state(Some(Planned), Install, false), Ok(Installed));
        assert_eq!(
            next_state(Some(Installed), StartOperation, true),
            Ok(InOperation)
        );
        assert_eq!(
            next_state(Some(InOperation), RecordDetails, true),
            Ok(InOperation)
        );
        assert_eq!(next_state(Some(InOperation), Remove, true), Ok(Removed));
        assert_eq!(next_state(Some(Planned), Remove, false), Ok(Removed));

        let rule = |r: Result<Lifecycle, Refusal>| r.unwrap_err().rule;
        assert_eq!(rule(next_state(None, Install, false)), Rule::N4_1);
        assert_eq!(
            rule(next_state(Some(Installed), ChooseSite, true)),
            Rule::N4_1
        );
        assert_eq!(
            rule(next_state(Some(Installed), StartOperation, false)),
            Rule::N4_2
        );
        assert_eq!(
            rule(next_state(Some(Planned), StartOperation, true)),
            Rule::T2_1
        );
        assert_eq!(rule(next_state(Some(Installed), Install, true)), Rule::T2_1);
        for step in [ChooseSite, RecordDetails, Install, StartOperation, Remove] {
            assert_eq!(rule(next_state(Some(Removed), step, true)), Rule::T7_2);
        }
    }

    #[test]
    fn t2_1_views_and_positions_out_of_range_name_their_field() {
        assert!(View::new(0, 90, 30).is_ok());
        assert!(View::new(359, 360, 2000).is_ok());
        assert_eq!(View::new(360, 90, 30).unwrap_err().field, "bearing_deg");
        assert_eq!(View::new(-1, 90, 30).unwrap_err().field, "bearing_deg");
        assert_eq!(View::new(10, 0, 30).unwrap_err().field, "fov_deg");
        assert_eq!(View::new(10, 361, 30).unwrap_err().field, "fov_deg");
        assert_eq!(View::new(10, 90, 0).unwrap_err().field, "range_m");
        assert_eq!(View::new(10, 90, 2001).unwrap_err().field, "range_m");
        assert_eq!(Position::from_degrees(91.0, 0.0).unwrap_err().field, "lat");
        assert_eq!(
            Position::from_degrees(35.0, 181.0).unwrap_err().field,
            "lon"
        );
        assert_eq!(
            Position::from_degrees(f64::NAN, 0.0).unwrap_err().field,
            "lat"
        );
        let p = Position::from_degrees(35.6895123, 139.6917).unwrap();
        assert_eq!((p.lat_udeg, p.lon_udeg), (35_689_512, 139_691_700));
        assert_eq!(Position::from_udeg(91_000_000, 0).unwrap_err().field, "lat");
        assert_eq!(View::new(44, 90, 30).unwrap().compass_ja(), "北東");
        assert_eq!(View::new(350, 90, 30).unwrap().compass_en(), "N");
        assert_eq!(View::new(180, 90, 30).unwrap().compass_en(), "S");
        assert_eq!(View::new(22, 90, 30).unwrap().compass_en(), "N");
        assert_eq!(View::new(23, 90, 30).unwrap().compass_en(), "NE");
    }

    #[test]
    fn t2_2_a_sign_names_the_ward_and_the_camera() {
        assert!(check_sign_text("防犯カメラ作動中 見守り区", "見守り区").is_ok());
        let refusal = check_sign_text("カメラ作動中 見守り区", "見守り区").unwrap_err();
        assert_eq!(refusal.rule, Rule::T2_2);
        assert!(check_sign_text("防犯カメラ作動中", "見守り区").is_err());
    }
}
