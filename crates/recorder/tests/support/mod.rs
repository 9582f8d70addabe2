//! Shared by the recorder's integration tests: a one-camera ward whose camera is the built-in
//! demo camera on a free loopback port, recorded into a temporary directory.

// Each test binary uses a different part.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use mimamori_db::Db;
use mimamori_democam::{demo_clip, DemoCamera, Mount};
use mimamori_policy::Policy;
use mimamori_recorder::{Clock, Kek, RecorderContext, Store};

pub struct DemoWard {
    pub democam: DemoCamera,
    pub db: Db,
    pub ctx: Arc<RecorderContext>,
}

impl DemoWard {
    /// `recording` and `retention` are extra lines for those policy sections.
    pub async fn start(
        dir: &Path,
        retention: &str,
        recording: &str,
        clock: Arc<dyn Clock>,
    ) -> DemoWard {
        Self::start_with(dir, vec![Mount::new("cam1")], retention, recording, clock).await
    }

    /// A ward with one camera per mount, named after it.
    pub async fn start_with(
        dir: &Path,
        mounts: Vec<Mount>,
        retention: &str,
        recording: &str,
        clock: Arc<dyn Clock>,
    ) -> DemoWard {
        let paths: Vec<String> = mounts.iter().map(|m| m.path.clone()).collect();
        let democam = DemoCamera::start("127.0.0.1:0".parse().unwrap(), demo_clip(), mounts)
            .await
            .unwrap();
        let mut text = format!(
            "[ward]\nname = \"テスト区\"\noperator = \"テスト区役所\"\n\
             [retention]\ndays = 10\n{retention}\n\
             [recording]\n{recording}\n"
        );
        for (i, path) in paths.iter().enumerate() {
            let name = if i == 0 { "駅前" } else { "商店街" };
            text.push_str(&format!(
                "[[camera]]\nid = \"{path}\"\nname = \"{name}\"\nsite = \"1丁目\"\nurl = \"{}\"\n\
                 without_credentials = \"テスト用の模擬カメラ\"\n",
                democam.url(path)
            ));
        }
        let policy = Arc::new(Policy::parse(&text, Path::new("policy.toml")).unwrap());
        let db = Db::open(&dir.join("m.db")).await.unwrap();
        let store = Store::new(dir.join("segments"));
        let kek = Arc::new(Kek::from_bytes(&[5; 32]));
        let ctx = Arc::new(RecorderContext::new(policy, db.clone(), store, kek, clock));
        DemoWard { democam, db, ctx }
    }
}
