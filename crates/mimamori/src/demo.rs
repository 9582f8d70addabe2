//! `mimamori demo`: a demo ward on the embedded default. Its cameras are real RTSP streams from
//! the built-in demo camera, which replays a short H.264 clip kept in the repository.

use std::net::SocketAddr;

use anyhow::Context as _;
use mimamori_democam::{demo_clip, DemoCamera, Mount};

use crate::app::{App, Paths, Purpose};
use crate::DataArgs;

/// One demo camera asks for digest credentials, as real cameras do (N3.1c).
const DEMO_CREDENTIALS: (&str, &str) = ("viewer", "mimamori-demo");

/// Sites in Nishiyodogawa Ward, the guideline's own ward, for a recognisable demo.
const SITES: &[(&str, &str)] = &[
    ("御幣島駅前交差点", "御幣島5丁目"),
    ("姫島駅南口", "姫島2丁目"),
    ("千船駅前", "佃1丁目"),
    ("大和田公園入口", "大和田3丁目"),
    ("歌島橋交差点", "歌島1丁目"),
    ("野里商店街", "野里1丁目"),
];

pub async fn run(data: DataArgs, listen: SocketAddr, cameras: u16) -> anyhow::Result<()> {
    let paths = Paths::new(&data);
    std::fs::create_dir_all(&paths.data_dir)
        .with_context(|| format!("cannot create {}", paths.data_dir.display()))?;
    let mounts: Vec<Mount> = (1..=cameras)
        .map(|i| {
            let m = Mount::new(format!("cam{i}"));
            if i == cameras && cameras > 1 {
                m.with_credentials(DEMO_CREDENTIALS.0, DEMO_CREDENTIALS.1)
            } else {
                m
            }
        })
        .collect();
    let democam = DemoCamera::start("127.0.0.1:0".parse()?, demo_clip(), mounts).await?;
    let credentials_file = paths.data_dir.join("demo-camera.credentials");
    std::fs::write(
        &credentials_file,
        format!("{}:{}\n", DEMO_CREDENTIALS.0, DEMO_CREDENTIALS.1),
    )?;
    std::fs::write(&paths.default_policy, demo_policy(&democam, cameras))?;
    println!(
        "demo: {} built-in RTSP demo camera(s) at rtsp://{}",
        cameras,
        democam.local_addr()
    );
    println!("demo: policy written to {}", paths.default_policy.display());
    let app = App::open(&data, None, Purpose::Record).await?;
    let result = app.serve(listen).await;
    democam.shutdown().await;
    result
}

fn demo_policy(democam: &DemoCamera, cameras: u16) -> String {
    let mut policy = String::from(
        "# Demo policy written by `mimamori demo`; it is rewritten on every demo start.\n\
         [ward]\n\
         name = \"西淀川区 (デモ)\"\n\
         operator = \"西淀川区役所 市民協働課 (デモ)\"\n\
         time_zone = \"Asia/Tokyo\"\n\n\
         [retention]\n\
         days = 10            # N6.1: about 10 days from the day after recording\n\
         storage_cap = \"2 GiB\"\n\n\
         [recording]\n\
         segment_seconds = 10 # short, so the demo shows segments quickly; 60 is typical\n",
    );
    for i in 1..=cameras {
        let (name, site) = SITES[usize::from(i - 1) % SITES.len()];
        let url = democam.url(&format!("cam{i}"));
        policy.push_str(&format!(
            "\n[[camera]]\nid = \"cam-{i:03}\"\nname = \"{name}\"\nsite = \"{site}\"\nurl = \"{url}\"\n"
        ));
        if i == cameras && cameras > 1 {
            policy.push_str("credentials = \"file:demo-camera.credentials\"\n");
        }
    }
    policy
}
