//! What the camera register's steps take and give (issue 14): positions in degrees, views in
//! whole degrees and metres, dates as the ward's calendar dates (`2026-11-30`).

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// N4.1: a site chosen from the police station's crime information, or chosen again while the
/// camera is planned.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SiteInput {
    /// The camera's id, as the policy file will name it for the recorder.
    pub camera: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(flatten)]
    pub view: ViewInput,
    /// N4.1: the police station's document (its reference), its date and what it says.
    pub basis_document: String,
    #[schema(value_type = String, format = Date)]
    pub basis_date: Date,
    pub basis_summary: String,
}

/// T2.1: which way the camera looks, how far, how high, and what is masked.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ViewInput {
    /// Whole degrees clockwise from true north, 0–359.
    pub bearing_deg: i64,
    /// Horizontal field of view, whole degrees, 1–360.
    pub fov_deg: i64,
    /// Metres, 1–2000.
    pub range_m: i64,
    /// Mounting height in metres (to the centimetre), 0.01–30.
    #[serde(default)]
    pub height_m: Option<f64>,
    #[serde(default)]
    pub privacy_notes: String,
}

/// T2.1: the camera's name and view recorded anew.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DetailsInput {
    pub name: String,
    #[serde(flatten)]
    pub view: ViewInput,
}

/// A date something happened: installed (T2.1), operation started (N5).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DatedInput {
    #[schema(value_type = String, format = Date)]
    pub on: Date,
}

/// T7.2: a camera's or a sign's removal: when, and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RemovalInput {
    #[schema(value_type = String, format = Date)]
    pub on: Date,
    pub reason: String,
}

/// N4.2, T2.2: a sign placed, and the cameras it tells of.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SignInput {
    pub lat: f64,
    pub lon: f64,
    pub text: String,
    pub cameras: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub on: Date,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignPlacedOut {
    pub sign: i64,
}

/// What a removal took down with it (T7.2), or left with no sign (N4.2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Removed {
    /// Signs removed with the camera.
    pub signs_removed: Vec<i64>,
    /// Cameras in operation a sign's removal left with no sign (each has an alert).
    pub cameras_left_unsigned: Vec<String>,
}

/// A camera of the register as staff read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterCameraOut {
    pub id: String,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub bearing_deg: u16,
    pub fov_deg: u16,
    pub range_m: u16,
    pub height_m: Option<f64>,
    pub privacy_notes: String,
    /// `planned`, `installed`, `in_operation` or `removed`.
    pub state: String,
    pub basis_document: String,
    #[schema(value_type = String, format = Date)]
    pub basis_date: Date,
    pub basis_summary: String,
    pub chosen_by: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub installed_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub operating_since: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub removed_on: Option<Date>,
    /// The policy file names it, so the recorder records it.
    pub in_policy: bool,
    /// Standing signs that tell of it.
    pub signs: Vec<i64>,
}

/// A sign of the register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignOut {
    pub id: i64,
    pub lat: f64,
    pub lon: f64,
    pub text: String,
    pub cameras: Vec<String>,
    #[schema(value_type = String, format = Date)]
    pub placed_on: Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub removed_on: Option<Date>,
}

/// The register: cameras, signs, and what needs attention.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RegisterOut {
    pub cameras: Vec<RegisterCameraOut>,
    pub signs: Vec<SignOut>,
    /// Policy cameras missing from the register (the public is not told of them, N3.1b).
    pub unregistered: Vec<String>,
    /// Removed cameras the policy file still names, so the recorder still records them (T7.2:
    /// take them out of the policy).
    pub removed_in_policy: Vec<String>,
    /// Cameras in operation that no standing sign covers (N4.2).
    pub unsigned: Vec<String>,
}
