//! The payloads that name cameras and ranges of a case: the instruction (N9.2) and the
//! retrieval that let them out (N9.3).
//!
//! An incident usually spans adjacent cameras, so one instruction may name several cameras,
//! each with its own range (N9.2 「対象となる防犯カメラ及び画像の日時」), and one retrieval
//! carries one clip of each (issue 13). The first camera stays in the members the first
//! releases wrote (`camera`, `site`, `from`, `to`); the others follow in `further_cameras`
//! (`further_clips`), absent when there is only one, so an event naming one camera has the
//! same canonical bytes it always had. Readers take [`InstructionIssued::cameras`] and
//! [`RetrievalDone::clips`], which give every camera in order, the first included.

use jiff::Timestamp;
use mimamori_policy::RequestId;
use serde::{Deserialize, Serialize};

/// One camera of a case and the range of its footage (N9.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraRange {
    pub camera: String,
    /// The camera's site as the policy named it then.
    pub site: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionIssued {
    pub request: RequestId,
    /// The first camera named, with its site and range.
    pub camera: String,
    pub site: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub handler: String,
    pub terminal: String,
    pub expires: Timestamp,
    /// The other cameras named, in order (see the module docs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub further_cameras: Vec<CameraRange>,
}

impl InstructionIssued {
    /// Every camera the instruction names, the first one first.
    pub fn cameras(&self) -> Vec<CameraRange> {
        let first = CameraRange {
            camera: self.camera.clone(),
            site: self.site.clone(),
            from: self.from,
            to: self.to,
        };
        std::iter::once(first)
            .chain(self.further_cameras.iter().cloned())
            .collect()
    }
}

/// One clip a retrieval let out: its camera and range, its hash and size, and the
/// `export_started` / `export_finished` events the recorder wrote for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClipRecord {
    #[serde(flatten)]
    pub range: CameraRange,
    pub clip_sha256: String,
    pub clip_bytes: u64,
    pub export_started_event: i64,
    pub export_finished_event: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetrievalDone {
    pub request: RequestId,
    pub grant: String,
    /// The first clip: its camera, site, range, hash, size and events.
    pub camera: String,
    pub site: Option<String>,
    pub from: Timestamp,
    pub to: Timestamp,
    pub terminal: String,
    pub clip_sha256: String,
    pub clip_bytes: u64,
    pub manifest_sha256: String,
    pub export_started_event: i64,
    pub export_finished_event: i64,
    /// The package's other clips, in order (see the module docs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub further_clips: Vec<ClipRecord>,
}

impl RetrievalDone {
    /// The record of a retrieval of `clips` (at least one) into a package.
    pub fn new(
        request: RequestId,
        grant: String,
        terminal: String,
        manifest_sha256: String,
        clips: Vec<ClipRecord>,
    ) -> Option<RetrievalDone> {
        let mut clips = clips.into_iter();
        let first = clips.next()?;
        Some(RetrievalDone {
            request,
            grant,
            camera: first.range.camera,
            site: first.range.site,
            from: first.range.from,
            to: first.range.to,
            terminal,
            clip_sha256: first.clip_sha256,
            clip_bytes: first.clip_bytes,
            manifest_sha256,
            export_started_event: first.export_started_event,
            export_finished_event: first.export_finished_event,
            further_clips: clips.collect(),
        })
    }

    /// Every clip the retrieval let out, the first one first.
    pub fn clips(&self) -> Vec<ClipRecord> {
        let first = ClipRecord {
            range: CameraRange {
                camera: self.camera.clone(),
                site: self.site.clone(),
                from: self.from,
                to: self.to,
            },
            clip_sha256: self.clip_sha256.clone(),
            clip_bytes: self.clip_bytes,
            export_started_event: self.export_started_event,
            export_finished_event: self.export_finished_event,
        };
        std::iter::once(first)
            .chain(self.further_clips.iter().cloned())
            .collect()
    }

    /// Bytes of footage let out, every clip counted.
    pub fn bytes(&self) -> u64 {
        self.clips().iter().map(|c| c.clip_bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn clip(camera: &str, n: i64) -> ClipRecord {
        ClipRecord {
            range: CameraRange {
                camera: camera.into(),
                site: Some(format!("{camera} site")),
                from: at("2026-11-20T01:00:00Z"),
                to: at("2026-11-20T01:10:00Z"),
            },
            clip_sha256: format!("{n:064}"),
            clip_bytes: 1000 + n as u64,
            export_started_event: n * 2,
            export_finished_event: n * 2 + 1,
        }
    }

    /// Issue 13: a retrieval of one camera serializes exactly as before several cameras were
    /// possible (no `further_clips` member), and one of three gives its clips back in order.
    #[test]
    fn n9_2_one_camera_keeps_its_bytes_and_several_come_back_in_order() {
        let one = RetrievalDone::new(
            RequestId::new(7),
            "g".into(),
            "pc-1".into(),
            "m".into(),
            vec![clip("cam1", 1)],
        )
        .unwrap();
        let json = serde_json::to_value(&one).unwrap();
        assert!(json.get("further_clips").is_none(), "{json}");
        assert_eq!(json["camera"], "cam1");
        assert_eq!(json["export_started_event"], 2);

        let clips = vec![clip("cam1", 1), clip("cam2", 2), clip("cam3", 3)];
        let three = RetrievalDone::new(
            RequestId::new(7),
            "g".into(),
            "pc-1".into(),
            "m".into(),
            clips.clone(),
        )
        .unwrap();
        let back: RetrievalDone =
            serde_json::from_value(serde_json::to_value(&three).unwrap()).unwrap();
        assert_eq!(back.clips(), clips);
        assert_eq!(back.bytes(), 1001 + 1002 + 1003);
        assert!(RetrievalDone::new(
            RequestId::new(7),
            "g".into(),
            "t".into(),
            "m".into(),
            vec![]
        )
        .is_none());
    }
}
