//! Shared by the democam integration tests: a demo camera on a free loopback port.

use mimamori_democam::{demo_clip, DemoCamera, Mount};

pub async fn start(mounts: Vec<Mount>) -> DemoCamera {
    DemoCamera::start("127.0.0.1:0".parse().expect("addr"), demo_clip(), mounts)
        .await
        .expect("server starts")
}
