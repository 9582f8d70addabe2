//! Payloads of the camera register's events (issue 14): a site chosen from the police's crime
//! information (N4.1), a camera's details, installation, operation and removal (T2.1, T7.2), and
//! the signs that tell the public (N4.2, T2.2).
//!
//! Positions are millionths of a degree and views whole degrees and metres: the canonical JSON
//! carries integers only, and these are exactly what the register stores. Dates are the ward's
//! calendar dates ("2026-11-30"), as a person records them.

use jiff::civil::Date;
use mimamori_policy::register::{Position, View};
use serde::{Deserialize, Serialize};

/// N4.1: the police station's crime information a site rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteBasis {
    /// The document's reference (e.g. the police station's letter number).
    pub document: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub date: Date,
    pub summary: String,
}

/// What the public and the staff are told about a camera, besides its site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraDetails {
    pub name: String,
    #[serde(flatten)]
    pub view: View,
    /// Mounting height in centimetres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_cm: Option<u16>,
    /// What is masked, and why (private windows, entrances).
    pub privacy_notes: String,
}

/// N4.1, N7.2: the Manager chose (or chose again, while planned) a camera's site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraSiteChosen {
    pub camera: String,
    pub address: String,
    #[serde(flatten)]
    pub position: Position,
    #[serde(flatten)]
    pub details: CameraDetails,
    pub basis: SiteBasis,
}

/// T2.1: a camera's name, view or privacy notes recorded anew.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraDetailsRecorded {
    pub camera: String,
    #[serde(flatten)]
    pub details: CameraDetails,
}

/// A camera reached a state on a date: installed (T2.1) or in operation (N5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraDated {
    pub camera: String,
    pub on: Date,
}

/// T7.2: a camera taken down, with the signs that told of it alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraRemoved {
    pub camera: String,
    pub on: Date,
    pub reason: String,
    pub signs_removed: Vec<i64>,
}

/// N4.2, T2.2: a sign placed where cameras record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignPlaced {
    pub sign: i64,
    #[serde(flatten)]
    pub position: Position,
    pub text: String,
    pub cameras: Vec<String>,
    pub on: Date,
}

/// A sign taken down (or found gone) on a date, for a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignRemoved {
    pub sign: i64,
    pub on: Date,
    pub reason: String,
    /// Cameras in operation this left with no sign: each has an open `sign_missing` alert.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cameras_left_unsigned: Vec<String>,
}
