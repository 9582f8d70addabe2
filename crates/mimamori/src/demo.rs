//! `mimamori demo`: a demo ward on the embedded default. Its cameras are real RTSP streams from
//! the built-in demo camera, which replays a short H.264 clip kept in the repository.

use std::net::SocketAddr;

use anyhow::Context as _;
use mimamori_democam::{demo_clip, DemoCamera, Mount};

use mimamori_db::NewTerminal;
use mimamori_office::grant::TerminalKey;
use mimamori_office::setup::{seed_account, seed_terminal, Seed};
use mimamori_policy::access::Role;

use crate::app::{App, Paths, Purpose};
use crate::DataArgs;

/// One demo camera asks for digest credentials, as real cameras do (N3.1c).
const DEMO_CREDENTIALS: (&str, &str) = ("viewer", "mimamori-demo");

/// Sites in Nishiyodogawa Ward, the guideline's own ward, for a recognisable demo: name,
/// address, approximate latitude and longitude, and the direction the camera looks.
const SITES: &[(&str, &str, f64, f64, i64)] = &[
    ("御幣島駅前交差点", "御幣島5丁目", 34.69670, 135.47440, 45),
    ("姫島駅南口", "姫島2丁目", 34.70080, 135.46380, 180),
    ("千船駅前", "佃1丁目", 34.70560, 135.45400, 270),
    ("大和田公園入口", "大和田3丁目", 34.70300, 135.44700, 120),
    ("歌島橋交差点", "歌島1丁目", 34.69880, 135.47780, 330),
    ("野里商店街", "野里1丁目", 34.70600, 135.46700, 90),
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
    seed_people(&app, &paths, listen).await?;
    seed_register(&app).await?;
    let result = app.serve(listen, None).await;
    democam.shutdown().await;
    result
}

fn demo_policy(democam: &DemoCamera, cameras: u16) -> String {
    let mut policy = String::from(
        "# Demo policy written by `mimamori demo`; it is rewritten on every demo start.\n\
         [ward]\n\
         name = \"西淀川区 (デモ)\"\n\
         operator = \"西淀川区役所 市民協働課 (デモ)\"\n\
         time_zone = \"Asia/Tokyo\"\n\
         code = \"271136\"    # 全国地方公共団体コード\n\
         contact = \"西淀川区役所 市民協働課 (デモ) 電話 06-0000-0000\"\n\n\
         [retention]\n\
         days = 10            # N6.1: about 10 days from the day after recording\n\
         storage_cap = \"2 GiB\"\n\n\
         [recording]\n\
         segment_seconds = 10 # short, so the demo shows segments quickly; 60 is typical\n",
    );
    for i in 1..=cameras {
        let (name, site, ..) = SITES[usize::from(i - 1) % SITES.len()];
        let url = democam.url(&format!("cam{i}"));
        policy.push_str(&format!(
            "\n[[camera]]\nid = \"cam-{i:03}\"\nname = \"{name}\"\nsite = \"{site}\"\nurl = \"{url}\"\n"
        ));
        if i == cameras && cameras > 1 {
            policy.push_str("credentials = \"file:demo-camera.credentials\"\n");
        } else {
            // N3.1c: a real camera has a password; the demo's simulated ones say why not.
            policy.push_str("without_credentials = \"デモ用の模擬カメラ（パスワードなし）\"\n");
        }
    }
    policy
}

/// On a fresh demo ward: each demo camera in the register (issue 14), in operation under a
/// sign of its own, so the public page shows the layout map. Each step is a ledger event.
async fn seed_register(app: &App) -> anyhow::Result<()> {
    use mimamori_db::vocabulary::{CameraDetails, SiteBasis};
    use mimamori_office::setup::{seed_register_camera, SeedSite};
    use mimamori_policy::register::{Position, View};
    let db = &app.ctx.db;
    if !db.register_cameras().await?.is_empty() {
        return Ok(());
    }
    let now = jiff::Timestamp::now();
    let ward = &app.ctx.policy.ward;
    let today = now.to_zoned(ward.time_zone.clone()).date();
    for (i, camera) in app.ctx.policy.cameras.iter().enumerate() {
        let (name, address, lat, lon, bearing) = SITES[i % SITES.len()];
        // Cameras beyond the named sites stand a little further along the same street.
        let step = (i / SITES.len()) as f64 * 0.0008;
        let site = mimamori_db::NewSite {
            camera: camera.id.clone(),
            address: format!("大阪市西淀川区{address}"),
            position: Position::from_degrees(lat + step, lon + step)
                .map_err(|p| anyhow::anyhow!(p.en))?,
            details: CameraDetails {
                name: name.to_owned(),
                view: View::new(bearing, 90, 40).map_err(|p| anyhow::anyhow!(p.en))?,
                height_cm: Some(450),
                privacy_notes: "住宅の窓にプライバシーマスク".to_owned(),
            },
            basis: SiteBasis {
                document: "西淀川警察署 生活安全課 提供資料 (デモ)".to_owned(),
                date: today,
                summary: "ひったくり・自転車盗の発生が多い地点 (デモ)".to_owned(),
            },
            chosen_by: "mayor".to_owned(),
        };
        let seed = SeedSite {
            site: &site,
            sign_text: &format!("防犯カメラ作動中 {}", ward.name),
            sign_at: Position::from_degrees(lat + step + 0.00015, lon + step)
                .map_err(|p| anyhow::anyhow!(p.en))?,
            on: today,
        };
        seed_register_camera(db, &seed, "system:demo", now).await?;
    }
    println!(
        "demo: {} camera(s) in the register; the public page with the layout map is at /",
        app.ctx.policy.cameras.len()
    );
    Ok(())
}

/// One account per role, as (login, name, role, password).
const PEOPLE: &[(&str, &str, Role, &str)] = &[
    (
        "admin",
        "システム 管理者",
        Role::Administrator,
        "demo-admin-pass",
    ),
    ("mayor", "区長 見守", Role::Manager, "demo-mayor-pass"),
    (
        "lead",
        "防犯係長 運用",
        Role::OperationsLead,
        "demo-lead-pass",
    ),
    ("sato", "佐藤 取扱", Role::ImageHandler, "demo-sato-pass"),
    ("auditor", "監査 担当", Role::Auditor, "demo-auditor-pass"),
];

const DEMO_TERMINAL: &str = "demo-pc";

/// On a fresh demo ward: one account per role (pledged, passwords printed) and one registered
/// terminal whose key lives in DATA_DIR/terminal/. Every one of these is a ledger event.
async fn seed_people(app: &App, paths: &Paths, listen: SocketAddr) -> anyhow::Result<()> {
    let db = &app.ctx.db;
    let key_path = paths
        .data_dir
        .join("terminal")
        .join(format!("{DEMO_TERMINAL}.key"));
    if db.staff_list().await?.is_empty() {
        let now = jiff::Timestamp::now();
        for &(login, name, role, password) in PEOPLE {
            let seed = Seed {
                login,
                name,
                unit: "西淀川区役所 市民協働課",
                password,
                roles: &[role],
                ready: true,
                delegation_id: None,
            };
            seed_account(db, &seed, "system:demo", now).await?;
        }
        let key = TerminalKey::generate(DEMO_TERMINAL);
        if key_path.exists() {
            std::fs::remove_file(&key_path)?;
        }
        key.create_file(&key_path)?;
        // The demo terminal trusts the demo ward's key, pinned beside its own (issue 11, #14).
        std::fs::write(
            crate::terminal::pinned_keys_path(&key_path),
            format!("{}\n", app.notary.verifier_key().await),
        )?;
        let terminal = NewTerminal {
            id: DEMO_TERMINAL.into(),
            name: "防犯カメラ専用端末 (デモ)".into(),
            location: "西淀川区役所 市民協働課 執務室".into(),
            custodian: "lead".into(),
            public_key: key.public_key(),
            delegation_id: None,
            registered_by: "system:demo".into(),
        };
        seed_terminal(db, &terminal, now).await?;
    }
    println!("demo accounts (one per role; passwords are for the demo only):");
    for (login, _, role, password) in PEOPLE {
        println!(
            "  {login:<8} {password:<18} {} ({})",
            role.ja(),
            role.as_str()
        );
    }
    println!(
        "demo terminal: {DEMO_TERMINAL}, key {} (try: mimamori terminal retrieve --server http://{listen} --key …)",
        key_path.display()
    );
    println!(
        "demo: open http://{listen}/ for the public page (the layout map); staff sign in from \
         its link as sato (demo-sato-pass), the image handler, or any account above"
    );
    Ok(())
}
