//! Issue 13: the staff screens in a real browser. `mimamori demo` serves a demo ward; Debian's
//! Chromium, headless, driven over WebDriver by `chromedriver` (the same Debian version),
//! signs in as the demo's people. Screenshots of each page go to `target/screenshots/`.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen; {INSTALL_HINT}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `mimamori demo` on a free port: one demo camera, the demo's people.
fn demo(dir: &Path) -> (Running, String) {
    let port = free_port();
    let child = mimamori()
        .args([
            "demo",
            "--cameras",
            "1",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .current_dir(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(&format!("127.0.0.1:{port}"), "/api/v1/health").is_none() {
        assert!(Instant::now() < deadline, "the demo did not start");
        std::thread::sleep(Duration::from_millis(200));
    }
    (running, base)
}

/// chromedriver on a free port, and a headless Chromium session through it.
async fn browser() -> (Running, Client) {
    // WebDriver speaks plain HTTP on loopback; rustls only needs a provider chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromedriver: {e}; {INSTALL_HINT}"));
    let running = Running(child);
    wait_for_port(port, "chromedriver");
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,900",
        "--lang=ja",
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": args, "binary": "/usr/bin/chromium" }),
    );
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");
    (running, client)
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn sign_in(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    form.set_by_name("login", login).await.unwrap();
    form.set_by_name("password", password).await.unwrap();
    form.submit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_see_their_work_in_japanese_and_switch_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path());
    let (_driver, c) = browser().await;

    // The address the demo prints leads to the sign-in page, in Japanese.
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/signin"));
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("ja"));
    // Every visible input has a label.
    for input in c
        .find_all(Locator::Css("input:not([type=hidden])"))
        .await
        .unwrap()
    {
        let id = input
            .attr("id")
            .await
            .unwrap()
            .expect("an input with an id");
        c.find(Locator::Css(&format!("label[for='{id}']")))
            .await
            .unwrap_or_else(|_| panic!("no label for {id}"));
    }
    screenshot(&c, "signin-ja").await;

    // A wrong password: the reason in Japanese, with its rule, and the login kept.
    sign_in(&c, &base, "sato", "not-the-password").await;
    let page = text(&c).await;
    assert!(page.contains("サインインできませんでした"), "{page}");
    assert!(page.contains("N3.3.1"), "{page}");
    let login = c.find(Locator::Id("login")).await.unwrap();
    assert_eq!(login.prop("value").await.unwrap().as_deref(), Some("sato"));
    screenshot(&c, "signin-refused-ja").await;

    // The image handler's home page.
    sign_in(&c, &base, "sato", "demo-sato-pass").await;
    let page = text(&c).await;
    assert!(page.contains("佐藤 取扱"), "{page}");
    assert!(page.contains("画像取扱員"), "{page}");
    assert!(page.contains("待っている仕事"), "{page}");
    screenshot(&c, "home-sato-ja").await;

    // English by the switch, remembered across pages.
    c.find(Locator::Css("form[action='/lang'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let page = text(&c).await;
    assert!(page.contains("Image handler"), "{page}");
    c.goto(&format!("{base}/")).await.unwrap();
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("en"));
    screenshot(&c, "home-sato-en").await;

    // Signing out leads back to the sign-in page; the session is gone.
    c.find(Locator::Css("form[action='/signout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/signin"));

    // The auditor's page, keyboard only: tab to each field, type, press Enter.
    c.goto(&format!("{base}/signin")).await.unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys("auditor\u{E004}demo-auditor-pass\u{E007}")
        .await
        .unwrap();
    let page = text(&c).await;
    assert!(page.contains("Auditor"), "{page}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_from_another_site_is_refused_and_repeated_failures_lock_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path());
    let (_driver, c) = browser().await;

    // Another site's page that posts a sign-in form to the office when loaded.
    let evil = format!(
        "data:text/html;charset=utf-8,<form method=post action='{base}/signin'>\
         <input name=login value=sato><input name=password value=demo-sato-pass></form>\
         <script>document.forms[0].submit()</script>"
    );
    c.goto(&evil).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = text(&c).await;
        if page.contains("別のサイト") || Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        page.contains("別のサイトからの送信は受け付けません"),
        "{page}"
    );
    screenshot(&c, "cross-site-refused").await;

    // N3.3.1: five wrong passwords lock the account, and the page says until when.
    for _ in 0..5 {
        sign_in(&c, &base, "lead", "wrong-password-1").await;
    }
    sign_in(&c, &base, "lead", "demo-lead-pass").await;
    let page = text(&c).await;
    assert!(page.contains("アカウントをロックしています"), "{page}");
    screenshot(&c, "signin-locked-ja").await;
    c.close().await.unwrap();
}
