//! Issue 13: the staff screens in a real browser. `mimamori demo` serves a demo ward; Debian's
//! Chromium, headless, driven over WebDriver by `chromedriver` (the same Debian version),
//! signs in as the demo's people. Screenshots of each page go to `target/screenshots/`.

mod common;
/// Issue 14: the public page in the browser.
#[path = "browser/public.rs"]
mod public;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::key::Key;
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

/// `mimamori demo` on a free port: `cameras` demo cameras, the demo's people.
fn demo(dir: &Path, cameras: u16) -> (Running, String) {
    let port = free_port();
    let child = mimamori()
        .args([
            "demo",
            "--cameras",
            &cameras.to_string(),
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

/// The page's text, read again while a navigation replaces the page under it.
async fn text(c: &Client) -> String {
    for _ in 0..100 {
        if let Ok(body) = c.find(Locator::Css("body")).await {
            if let Ok(text) = body.text().await {
                return text;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page has no readable body");
}

/// The page's text once it contains `needle` (a form's answer may take a moment to load).
async fn page_with(c: &Client, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = text(c).await;
        if page.contains(needle) || Instant::now() > deadline {
            assert!(page.contains(needle), "no {needle:?} in:\n{page}");
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page's path once it satisfies `wanted` (a submitted form navigates asynchronously).
async fn path_when(c: &Client, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let path = c.current_url().await.unwrap().path().to_owned();
        if wanted(&path) {
            return path;
        }
        assert!(Instant::now() < deadline, "still at {path}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_out(c: &Client) {
    c.find(Locator::Css("form[action='/signout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    path_when(c, |p| p.ends_with("/signin")).await;
}

async fn sign_in(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/signin")).await.unwrap();
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    form.set_by_name("login", login).await.unwrap();
    form.set_by_name("password", password).await.unwrap();
    form.submit().await.unwrap();
    // The answer is the home page, or the sign-in page again with the reason.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if c.current_url().await.unwrap().path() == "/"
            || c.find(Locator::Css(".problem")).await.is_ok()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the sign-in was not answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sign_in_see_their_work_in_japanese_and_switch_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path(), 1);
    let (_driver, c) = browser().await;

    // The address the demo prints is the public page (issue 14), with the staff's sign-in as a
    // link on it; the sign-in page is in Japanese.
    c.goto(&format!("{base}/")).await.unwrap();
    page_with(&c, "の防犯カメラ").await;
    c.find(Locator::Css("main a[href='/signin']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    path_when(&c, |p| p.ends_with("/signin")).await;
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
    let page = page_with(&c, "サインインできませんでした").await;
    assert!(page.contains("N3.3.1"), "{page}");
    let login = c.find(Locator::Id("login")).await.unwrap();
    assert_eq!(login.prop("value").await.unwrap().as_deref(), Some("sato"));
    screenshot(&c, "signin-refused-ja").await;

    // The image handler's home page.
    sign_in(&c, &base, "sato", "demo-sato-pass").await;
    let page = page_with(&c, "佐藤 取扱").await;
    assert!(page.contains("画像取扱員"), "{page}");
    assert!(page.contains("待っている仕事"), "{page}");
    screenshot(&c, "home-sato-ja").await;

    // The cameras page: states and today's bar, never an image (N5, N6.3).
    c.goto(&format!("{base}/cameras")).await.unwrap();
    page_with(&c, "カメラの録画状況").await;
    assert!(c.find(Locator::Css("svg.timeline")).await.is_ok());
    assert!(c.find(Locator::Css("img, video")).await.is_err());
    screenshot(&c, "cameras-ja").await;
    // The ledger page: the demo's own events, and how to verify from outside.
    c.goto(&format!("{base}/ledger")).await.unwrap();
    page_with(&c, "mimamori ledger verify").await;
    screenshot(&c, "ledger-ja").await;
    c.goto(&format!("{base}/")).await.unwrap();

    // English by the switch, remembered across pages.
    c.find(Locator::Css("form[action='/lang'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_with(&c, "Image handler").await;
    c.goto(&format!("{base}/")).await.unwrap();
    let html = c.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("lang").await.unwrap().as_deref(), Some("en"));
    screenshot(&c, "home-sato-en").await;

    // Signing out leads back to the sign-in page; the session is gone.
    sign_out(&c).await;
    c.goto(&format!("{base}/requests")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().ends_with("/signin"));

    // The auditor's page, keyboard only: tab to each field, type, press Enter.
    c.goto(&format!("{base}/signin")).await.unwrap();
    c.find(Locator::Id("login"))
        .await
        .unwrap()
        .send_keys("auditor\u{E004}demo-auditor-pass\u{E007}")
        .await
        .unwrap();
    page_with(&c, "Auditor").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_from_another_site_is_refused_and_repeated_failures_lock_the_account() {
    let dir = tempfile::tempdir().unwrap();
    let (_demo, base) = demo(dir.path(), 1);
    let (_driver, c) = browser().await;

    // Another site's page that posts a sign-in form to the office when loaded.
    let evil = format!(
        "data:text/html;charset=utf-8,<form method=post action='{base}/signin'>\
         <input name=login value=sato><input name=password value=demo-sato-pass></form>\
         <script>document.forms[0].submit()</script>"
    );
    c.goto(&evil).await.unwrap();
    page_with(&c, "別のサイトからの送信は受け付けません").await;
    screenshot(&c, "cross-site-refused").await;

    // N3.3.1: five wrong passwords lock the account, and the page says until when.
    for _ in 0..5 {
        sign_in(&c, &base, "lead", "wrong-password-1").await;
        page_with(&c, "サインインできませんでした").await;
    }
    sign_in(&c, &base, "lead", "demo-lead-pass").await;
    page_with(&c, "アカウントをロックしています").await;
    screenshot(&c, "signin-locked-ja").await;
    c.close().await.unwrap();
}

/// Sets up the signed-in person's second factor on screen; returns the app's generator.
async fn set_up_second_factor(c: &Client, base: &str) -> totp_rs::TOTP {
    c.goto(&format!("{base}/me/totp")).await.unwrap();
    c.find(Locator::Css("form[action='/me/totp'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let secret: String = c
        .wait()
        .for_element(Locator::Id("secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .split_whitespace()
        .collect();
    // The QR code an app scans is drawn on the page.
    c.find(Locator::Css(".qr svg")).await.unwrap();
    screenshot(c, "totp-ja").await;
    let bytes = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, bytes).unwrap();
    let form = c
        .form(Locator::Css("form[action='/me/totp/confirm']"))
        .await
        .unwrap();
    form.set_by_name("code", &totp.generate_current().unwrap())
        .await
        .unwrap();
    form.submit().await.unwrap();
    totp
}

/// A moment as a `datetime-local` input takes it, in Japan time.
fn form_time(t: jiff::Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    t.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// `mimamori terminal serve` for the demo's terminal, on a free port: its page's address.
fn terminal_page(dir: &Path, base: &str) -> (Running, String) {
    let port = free_port();
    let child = mimamori()
        .args(["terminal", "serve", "--server", base, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--key")
        .arg(dir.join("data/terminal/demo-pc.key"))
        .arg("--out")
        .arg(dir.join("packages"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    wait_for_port(port, "the terminal's page");
    (running, format!("http://127.0.0.1:{port}"))
}

/// What a URL of the office answers the signed-in browser (its session cookie), as bytes.
async fn download(c: &Client, url: &str) -> Vec<u8> {
    let cookie = c.get_named_cookie("__Host-mimamori-session").await.unwrap();
    let header = format!("__Host-mimamori-session={}", cookie.value());
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let answer = ureq::get(&url).set("Cookie", &header).call().unwrap();
        assert_eq!(answer.content_type(), "application/pdf");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut answer.into_reader(), &mut bytes).unwrap();
        bytes
    })
    .await
    .unwrap()
}

/// A PDF's text by poppler's `pdftotext`, without spaces.
fn pdf_text(dir: &Path, pdf: &[u8]) -> String {
    let path = dir.join("downloaded.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext; {INSTALL_HINT}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect()
}

/// The whole chain by four people in the browser: the Manager orders, the Operations lead
/// instructs, the handler retrieves at the dedicated terminal's own page and reports, and the
/// auditor finds the row in Form 1 and prints 様式第1号.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn n9_the_whole_chain_in_the_browser_with_the_terminal_page() {
    let dir = tempfile::tempdir().unwrap();
    // Two adjacent cameras: the case spans both (issue 13).
    let (_demo, base) = demo(dir.path(), 2);
    let began = jiff::Timestamp::now();
    let (_driver, c) = browser().await;

    // The Manager sets up a second factor on screen (N3.3.1), then orders on the form.
    sign_in(&c, &base, "mayor", "demo-mayor-pass").await;
    set_up_second_factor(&c, &base).await;
    path_when(&c, |p| p == "/").await; // a confirmed code leads home
    c.goto(&format!("{base}/orders/new")).await.unwrap();
    // With the keyboard only: Tab to the purpose, type, Tab on, choose the basis by typing
    // its rule, and send with Enter.
    let tab = Key::Tab.to_string();
    let mut at_purpose = false;
    for _ in 0..40 {
        c.active_element()
            .await
            .unwrap()
            .send_keys(&tab)
            .await
            .unwrap();
        let focused = c.active_element().await.unwrap();
        if focused.attr("id").await.unwrap().as_deref() == Some("purpose") {
            at_purpose = true;
            break;
        }
    }
    assert!(at_purpose, "the purpose is reached with Tab");
    let type_then_tab = async |text: &str| {
        let focused = c.active_element().await.unwrap();
        focused.send_keys(text).await.unwrap();
        focused.send_keys(&tab).await.unwrap();
    };
    type_then_tab("御幣島駅前のひったくり事件の確認").await;
    type_then_tab("西淀川警察署からの照会による").await;
    let basis = c.active_element().await.unwrap();
    assert_eq!(
        basis.attr("id").await.unwrap().as_deref(),
        Some("basis.kind")
    );
    basis.send_keys("T6.1b").await.unwrap();
    let chosen = c.find(Locator::Id("basis.kind")).await.unwrap();
    assert_eq!(
        chosen.prop("value").await.unwrap().as_deref(),
        Some("t6_1_b")
    );
    chosen.send_keys(&tab).await.unwrap();
    let law = c.active_element().await.unwrap();
    law.send_keys(&Key::Enter.to_string()).await.unwrap();
    // T6.1(b) needs the document: the form again, what was typed kept.
    c.wait()
        .for_element(Locator::Css(".problem"))
        .await
        .unwrap();
    page_with(&c, "「照会文書等」の記載が必要です").await;
    let purpose = c.find(Locator::Id("purpose")).await.unwrap();
    assert_eq!(
        purpose.prop("value").await.unwrap().as_deref(),
        Some("御幣島駅前のひったくり事件の確認")
    );
    screenshot(&c, "order-refused-ja").await;
    let form = c
        .form(Locator::Css("form[action='/orders']"))
        .await
        .unwrap();
    form.set_by_name("basis.document", "西淀川警察署 照会書 第12号")
        .await
        .unwrap();
    form.submit().await.unwrap();
    let request = path_when(&c, |p| p.starts_with("/requests/")).await;
    page_with(&c, "指示（管理責任者）済み").await;
    screenshot(&c, "request-ordered-ja").await;
    sign_out(&c).await;

    // The Operations lead sees it waiting, and instructs the handler at the demo terminal.
    sign_in(&c, &base, "lead", "demo-lead-pass").await;
    set_up_second_factor(&c, &base).await;
    page_with(&c, "取り出しの指示（運用責任者）").await;
    c.goto(&format!("{base}{request}/instruct")).await.unwrap();
    // What the demo camera has recorded so far: a few ten-second segments.
    let recorded = began + jiff::SignedDuration::from_secs(25);
    let now = jiff::Timestamp::now();
    if now < recorded {
        let wait = recorded.as_millisecond() - now.as_millisecond();
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
    let now = jiff::Timestamp::now();
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    // The person walked from cam-001's view into cam-002's: each camera with its own range.
    let ranges = [
        ("cam-001", began - jiff::SignedDuration::from_mins(1)),
        ("cam-002", now - jiff::SignedDuration::from_secs(15)),
    ];
    for (n, (camera, from)) in ranges.into_iter().enumerate() {
        let field = |f: &str| format!("cameras.{n}.{f}");
        form.set_by_name(&field("camera"), camera).await.unwrap();
        form.set_by_name(&field("from"), &form_time(from))
            .await
            .unwrap();
        form.set_by_name(
            &field("to"),
            &form_time(now - jiff::SignedDuration::from_secs(1)),
        )
        .await
        .unwrap();
    }
    form.set_by_name("handler", "sato").await.unwrap();
    form.set_by_name("terminal", "demo-pc").await.unwrap();
    screenshot(&c, "instruct-ja").await;
    form.submit().await.unwrap();
    page_with(&c, "指示（運用責任者）済み").await;
    sign_out(&c).await;

    // The handler finds it on their page.
    sign_in(&c, &base, "sato", "demo-sato-pass").await;
    let page = page_with(&c, "取り出し（専用端末）").await;
    assert!(page.contains("御幣島駅前のひったくり事件の確認"), "{page}");
    screenshot(&c, "home-sato-waiting-ja").await;
    sign_out(&c).await;

    // …and retrieves at the dedicated terminal's own page, which holds the terminal's key
    // (N2): signed in there, the instruction is listed; 取り出し fetches, verifies and saves.
    let (_terminal, term) = terminal_page(dir.path(), &base);
    c.goto(&format!("{term}/")).await.unwrap();
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    form.set_by_name("login", "sato").await.unwrap();
    form.set_by_name("password", "demo-sato-pass")
        .await
        .unwrap();
    form.submit().await.unwrap();
    page_with(&c, "御幣島駅前のひったくり事件の確認").await;
    screenshot(&c, "terminal-instructions-ja").await;
    let id = request.trim_start_matches("/requests/");
    c.find(Locator::Css(&format!(
        "form[action='/retrieve/{id}'] button"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let page = loop {
        let page = text(&c).await;
        if page.contains("検証に成功しました") || page.contains("取り出しできませんでした")
        {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "the retrieval did not end:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(page.contains("検証に成功しました"), "{page}");
    screenshot(&c, "terminal-retrieved-ja").await;
    // One verified clip per camera of the case.
    for (n, camera) in [(1, "cam-001"), (2, "cam-002")] {
        let shown = c
            .find(Locator::Id(&format!("clip-{n}")))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let clip = shown
            .strip_prefix(&format!("{camera}: "))
            .unwrap_or_else(|| panic!("{shown}"));
        assert!(Path::new(clip).is_file(), "{clip}");
        assert!(clip.ends_with(&format!("clip-{n}.mp4")), "{clip}");
    }
    c.goto(&format!("{term}/history")).await.unwrap();
    page_with(&c, "cam-001").await;
    c.find(Locator::Css("form[action='/signout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    page_with(&c, "専用端末の取り出しソフト").await;

    // The handler reports on the office's screens (N9.3).
    sign_in(&c, &base, "sato", "demo-sato-pass").await;
    c.goto(&format!("{base}{request}/report")).await.unwrap();
    let form = c.form(Locator::Css("form.card")).await.unwrap();
    form.set_by_name("media", "DVD-R").await.unwrap();
    form.set_by_name("copies", "1").await.unwrap();
    form.submit().await.unwrap();
    page_with(&c, "報告済み").await;
    sign_out(&c).await;

    // The auditor finds the row in Form 1 and prints 様式第1号 (T4).
    sign_in(&c, &base, "auditor", "demo-auditor-pass").await;
    c.goto(&format!("{base}/form1")).await.unwrap();
    page_with(&c, "御幣島駅前のひったくり事件の確認").await;
    screenshot(&c, "form1-auditor-ja").await;
    let pdf = download(&c, &format!("{base}/form1.pdf")).await;
    let text = pdf_text(dir.path(), &pdf);
    assert!(text.contains("様式第1号"), "{text}");
    assert!(text.contains("御幣島駅前のひったくり事件の確認"), "{text}");
    assert!(text.contains("DVD-R×1"), "{text}");
    c.close().await.unwrap();
}
