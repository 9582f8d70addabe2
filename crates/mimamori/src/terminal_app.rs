//! `mimamori terminal serve`: the dedicated PC's own retrieval software (N2 専用ソフト), as a
//! small Japanese web page served on this PC alone (127.0.0.1).
//!
//! Why a page of its own and not the office's: the retrieval is signed with the terminal's
//! private key, which must never be on the ward's web server. This program holds the key, signs
//! the handler in to the office over TLS, lists the instructions addressed to this terminal and
//! this handler, retrieves with a progress bar, checks the package against the ward's keys
//! pinned here, and shows this terminal's signed monthly history (N11.3). The handler's
//! password goes straight to the office and is not kept; only the office's session is.
//!
//! The page has no script: a running retrieval's page reloads itself each second
//! (`<meta http-equiv="refresh">`). It carries the office's security headers and cross-site
//! refusal (`mimamori_office::web::harden`) and its own session cookie, so it does not collide
//! with the office's when both run on one machine (cookies ignore ports).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context as _};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use mimamori_ledger::checkpoint::TrustedKeys;
use mimamori_office::grant::TerminalKey;
use mimamori_office::web::{harden, lang_cookie, lang_of, Lang, SignInForm, Tr, STYLE};
use rand::RngCore;
use serde::Deserialize;
use serde_json::Value;

use crate::client::Client;
use crate::terminal::{retrieve, signed_history, ward_keys, Progress, Retrieval, Stage};

const COOKIE: &str = "__Host-mimamori-terminal";

/// What `terminal serve` was started with.
pub struct Options {
    pub server: String,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
    pub out: PathBuf,
}

/// A handler signed in at this terminal: the office's session, in its client (each use takes a
/// clone, so a long retrieval never holds up the list of instructions).
struct Session {
    login: String,
    name: String,
    client: Client,
}

/// A retrieval started from the page.
struct Job {
    progress: Progress,
    /// The outcome once it ended: the summary, or why it failed.
    outcome: Mutex<Option<Result<Value, String>>>,
    out: PathBuf,
}

struct App {
    options: Options,
    terminal: String,
    trusted: TrustedKeys,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    jobs: Mutex<HashMap<i64, Arc<Job>>>,
}

type Shared = Arc<App>;

/// Serves the page on `listen`, which must be this PC's loopback address.
pub async fn serve(options: Options, listen: SocketAddr) -> anyhow::Result<()> {
    if !listen.ip().is_loopback() {
        bail!(
            "{listen}: the terminal's page listens on this PC only (127.0.0.1) \
             (専用端末の画面はこのパソコンの中だけで開きます)"
        );
    }
    crate::client::check_server(&options.server)?;
    let key = TerminalKey::load(&options.key)
        .with_context(|| format!("the terminal key {}", options.key.display()))?;
    let trusted = ward_keys(&options.key, None)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    let app = Arc::new(App {
        terminal: key.terminal_id.clone(),
        options,
        trusted,
        sessions: Mutex::default(),
        jobs: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!(
        "terminal {}: open http://{addr}/ (専用端末の取り出しソフト)",
        app.terminal
    );
    axum::serve(listener, routes(app)).await?;
    Ok(())
}

fn routes(app: Shared) -> Router {
    let router = Router::new()
        .route("/", get(home))
        .route("/signin", post(sign_in))
        .route("/signout", post(sign_out))
        .route("/retrieve/{id}", post(start))
        .route("/jobs/{id}", get(job))
        .route("/history", get(history))
        .route("/history.json", get(history_json))
        .route("/lang", post(switch_language))
        .route("/static/style.css", get(style))
        .with_state(app);
    harden(router)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE).into_response()
}

fn session(app: &App, jar: &CookieJar) -> Option<Arc<Session>> {
    let token = jar.get(COOKIE)?.value().to_owned();
    app.sessions.lock().ok()?.get(&token).cloned()
}

/// Runs blocking office calls (the client is synchronous) off the runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> Result<T, String> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{e:#}")),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "terminal/signin.html")]
struct SignInPage {
    tr: Tr,
    terminal: String,
    login: String,
    problem: Option<String>,
}

/// An instruction waiting at this terminal for the signed-in handler.
struct Waiting {
    id: i64,
    purpose: String,
    camera: String,
    range: String,
    expires: String,
    /// A retrieval of it was started here.
    started: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "terminal/home.html")]
struct HomePage {
    tr: Tr,
    terminal: String,
    name: String,
    login: String,
    waiting: Vec<Waiting>,
    problem: Option<String>,
}

fn jst(text: &str) -> String {
    match text.parse::<jiff::Timestamp>() {
        Ok(t) => match jiff::tz::TimeZone::get("Asia/Tokyo") {
            Ok(tz) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => text.to_owned(),
        },
        Err(_) => text.to_owned(),
    }
}

async fn home(State(app): State<Shared>, jar: CookieJar) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let Some(session) = session(&app, &jar) else {
        let page = SignInPage {
            tr,
            terminal: app.terminal.clone(),
            login: String::new(),
            problem: None,
        };
        return page.into_response();
    };
    // The instructed requests the office shows this handler, kept to this terminal's.
    let client = session.client.clone();
    let listed = blocking(move || {
        let list: Vec<Value> =
            client.call::<(), _>("GET", "/api/v1/requests?state=instructed", None)?;
        Ok(list)
    })
    .await;
    let (list, problem) = match listed {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let started = app
        .jobs
        .lock()
        .map(|j| j.keys().copied().collect::<Vec<_>>());
    let started = started.unwrap_or_default();
    let waiting = list
        .iter()
        .filter(|r| {
            let i = &r["instruction"];
            i["terminal"] == app.terminal.as_str() && i["handler"] == session.login.as_str()
        })
        .map(|r| {
            let i = &r["instruction"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let id = r["id"].as_i64().unwrap_or_default();
            Waiting {
                id,
                purpose: text(&r["purpose"]),
                camera: text(&i["camera"]),
                range: format!("{} 〜 {}", jst(&text(&i["from"])), jst(&text(&i["to"]))),
                expires: jst(&text(&i["expires"])),
                started: started.contains(&id),
            }
        })
        .collect();
    HomePage {
        tr,
        terminal: app.terminal.clone(),
        name: session.name.clone(),
        login: session.login.clone(),
        waiting,
        problem,
    }
    .into_response()
}

/// The handler signs in to the office through this program; the password is not kept.
async fn sign_in(
    State(app): State<Shared>,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let tr = Tr::new(lang_of(&jar));
    let (server, ca) = (app.options.server.clone(), app.options.ca.clone());
    let login = form.login.trim().to_owned();
    let who = login.clone();
    let signed = blocking(move || {
        let mut client = Client::new(&server, ca.as_deref())?;
        let totp = Some(form.totp.trim()).filter(|t| !t.is_empty());
        client.sign_in(&who, &form.password, totp)?;
        let me: Value = client.call::<(), _>("GET", "/api/v1/me", None)?;
        Ok((client, me))
    })
    .await;
    match signed {
        Ok((client, me)) => {
            let mut token = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut token);
            let token = hex::encode(token);
            let session = Session {
                name: me["name"].as_str().unwrap_or(&login).to_owned(),
                login,
                client,
            };
            if let Ok(mut sessions) = app.sessions.lock() {
                sessions.insert(token.clone(), Arc::new(session));
            }
            let cookie = Cookie::build((COOKIE, token))
                .path("/")
                .secure(true)
                .http_only(true)
                .same_site(SameSite::Strict)
                .build();
            (jar.add(cookie), Redirect::to("/")).into_response()
        }
        Err(e) => {
            let page = SignInPage {
                tr,
                terminal: app.terminal.clone(),
                login,
                problem: Some(e),
            };
            (axum::http::StatusCode::UNAUTHORIZED, page).into_response()
        }
    }
}

async fn sign_out(State(app): State<Shared>, jar: CookieJar) -> Response {
    if let Some(token) = jar.get(COOKIE).map(|c| c.value().to_owned()) {
        let ended = app.sessions.lock().ok().and_then(|mut s| s.remove(&token));
        if let Some(session) = ended {
            // The office ends its session too; the page goes back to signing in either way.
            let mut client = session.client.clone();
            let _ = blocking(move || client.sign_out()).await;
        }
    }
    let mut removal = Cookie::build((COOKIE, "")).path("/").build();
    removal.make_removal();
    (jar.add(removal), Redirect::to("/")).into_response()
}

/// 取り出し: the retrieval runs in the background; its page shows how far it has come.
async fn start(State(app): State<Shared>, jar: CookieJar, Path(id): Path<i64>) -> Response {
    let Some(session) = session(&app, &jar) else {
        return Redirect::to("/").into_response();
    };
    let job = {
        let Ok(mut jobs) = app.jobs.lock() else {
            return Redirect::to("/").into_response();
        };
        if jobs.contains_key(&id) {
            return Redirect::to(&format!("/jobs/{id}")).into_response();
        }
        let job = Arc::new(Job {
            progress: Progress::default(),
            outcome: Mutex::new(None),
            out: free_dir(&app.options.out, id),
        });
        jobs.insert(id, job.clone());
        job
    };
    let app2 = app.clone();
    tokio::task::spawn_blocking(move || {
        let at = Retrieval {
            key: &app2.options.key,
            trusted: &app2.trusted,
            handler: &session.login,
            out: &job.out,
        };
        let result = retrieve(&session.client, &at, id, &job.progress);
        if let Ok(mut outcome) = job.outcome.lock() {
            *outcome = Some(result.map_err(|e| format!("{e:#}")));
        }
    });
    Redirect::to(&format!("/jobs/{id}")).into_response()
}

/// `OUT/request-N`, or `request-N-2`… if a package of it is already there.
fn free_dir(out: &std::path::Path, id: i64) -> PathBuf {
    let mut n = 1;
    loop {
        let name = match n {
            1 => format!("request-{id}"),
            n => format!("request-{id}-{n}"),
        };
        let dir = out.join(&name);
        if !dir.exists() && !dir.with_extension("zip").exists() {
            return dir;
        }
        n += 1;
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "terminal/job.html")]
struct JobPage {
    tr: Tr,
    terminal: String,
    id: i64,
    running: bool,
    stage: &'static str,
    /// Of the five stages, how many are behind.
    step: u8,
    megabytes: String,
    folder: String,
    /// Every clip, one per camera of the case.
    clips: Vec<String>,
    problem: Option<String>,
}

async fn job(State(app): State<Shared>, jar: CookieJar, Path(id): Path<i64>) -> Response {
    let tr = Tr::new(lang_of(&jar));
    if session(&app, &jar).is_none() {
        return Redirect::to("/").into_response();
    }
    let Some(job) = app.jobs.lock().ok().and_then(|j| j.get(&id).cloned()) else {
        return Redirect::to("/").into_response();
    };
    let outcome = job.outcome.lock().ok().and_then(|o| o.clone());
    let stage = job.progress.stage();
    let (running, clips, problem) = match outcome {
        None => (true, Vec::new(), None),
        Some(Ok(summary)) => (
            false,
            summary["clips"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{}: {}",
                        c["camera"].as_str().unwrap_or(""),
                        c["file"].as_str().unwrap_or("")
                    )
                })
                .collect(),
            None,
        ),
        Some(Err(e)) => (false, Vec::new(), Some(e)),
    };
    JobPage {
        tr,
        terminal: app.terminal.clone(),
        id,
        running,
        stage: match stage {
            Stage::Granting => "term-stage-granting",
            Stage::Downloading => "term-stage-downloading",
            Stage::Verifying => "term-stage-verifying",
            Stage::Unpacking => "term-stage-unpacking",
            Stage::Done => "term-stage-done",
        },
        step: stage as u8,
        megabytes: format!("{:.1}", job.progress.bytes() as f64 / 1_048_576.0),
        folder: job.out.display().to_string(),
        clips,
        problem,
    }
    .into_response()
}

/// An entry of the terminal's own history, as shown.
struct Entry {
    request: String,
    retrieved: String,
    camera: String,
    range: String,
    handler: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "terminal/history.html")]
struct HistoryPage {
    tr: Tr,
    terminal: String,
    month: String,
    entries: Vec<Entry>,
    signature: String,
    problem: Option<String>,
}

fn this_month() -> String {
    let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::now()
        .to_zoned(tz)
        .strftime("%Y-%m")
        .to_string()
}

/// N11.3: this month's retrievals at this terminal, signed by its key.
async fn history(State(app): State<Shared>, jar: CookieJar) -> Response {
    let tr = Tr::new(lang_of(&jar));
    if session(&app, &jar).is_none() {
        return Redirect::to("/").into_response();
    }
    let month = this_month();
    let mut page = HistoryPage {
        tr,
        terminal: app.terminal.clone(),
        month: month.clone(),
        entries: Vec::new(),
        signature: String::new(),
        problem: None,
    };
    match signed_history(&app.options.key, Some(&month)) {
        Ok(signed) => {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            page.signature = text(&signed["signature"]);
            if let Some(entries) = signed["history"]["entries"].as_array() {
                page.entries = entries
                    .iter()
                    .map(|e| Entry {
                        request: e["request"].to_string(),
                        retrieved: jst(&text(&e["retrieved"])),
                        camera: text(&e["camera"]),
                        range: format!("{} 〜 {}", jst(&text(&e["from"])), jst(&text(&e["to"]))),
                        handler: text(&e["handler"]),
                    })
                    .collect();
            }
        }
        Err(e) => page.problem = Some(format!("{e:#}")),
    }
    page.into_response()
}

/// The signed history as the file the Manager receives (N11.3).
async fn history_json(State(app): State<Shared>, jar: CookieJar) -> Response {
    if session(&app, &jar).is_none() {
        return Redirect::to("/").into_response();
    }
    let month = this_month();
    match signed_history(&app.options.key, Some(&month)) {
        Ok(signed) => {
            let name = format!(
                "attachment; filename=\"history-{}-{month}.json\"",
                app.terminal
            );
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                serde_json::to_string_pretty(&signed).unwrap_or_default(),
            )
                .into_response()
        }
        Err(e) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("{e:#}"),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
}

async fn switch_language(jar: CookieJar, Form(form): Form<LangForm>) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or_default();
    (jar.add(lang_cookie(lang)), Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the terminal's templates name is in both languages.
    #[test]
    fn every_key_of_the_terminal_page_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/terminal");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("tr.t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                for lang in [Lang::Ja, Lang::En] {
                    assert!(Tr::new(lang).knows(key), "{key}");
                }
                seen += 1;
            }
        }
        assert!(seen > 15, "{seen}");
    }

    /// N2: the page that holds the terminal's key is never served to the network.
    #[tokio::test]
    async fn the_terminal_page_listens_on_this_pc_only() {
        let options = Options {
            server: "http://127.0.0.1:1".into(),
            key: "/nonexistent/terminal.key".into(),
            ca: None,
            out: "/nonexistent/packages".into(),
        };
        let err = serve(options, "0.0.0.0:0".parse().unwrap())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }

    /// A hostile page or a forged cookie cannot start a retrieval at the terminal: a
    /// cross-site post is refused before any handler runs, and without the page's own session
    /// (a made-up token included) nothing starts and the sign-in page is shown.
    #[tokio::test]
    async fn n9_4_no_retrieval_starts_without_this_pages_own_session() {
        use axum::body::Body;
        use axum::http::{Request, StatusCode};
        use tower::ServiceExt;

        let dir = tempfile::tempdir().unwrap();
        let (ward, _) = mimamori_ledger::SigningKey::generate("w.example/l").unwrap();
        let app = Arc::new(App {
            options: Options {
                server: "http://127.0.0.1:1".into(),
                key: dir.path().join("pc-1.key"),
                ca: None,
                out: dir.path().join("packages"),
            },
            terminal: "pc-1".into(),
            trusted: TrustedKeys::parse(&format!("{}\n", ward.verifier_key())).unwrap(),
            sessions: Mutex::default(),
            jobs: Mutex::default(),
        });
        let send = |uri: &str, headers: &[(&str, &str)]| {
            let mut req = Request::builder().method("POST").uri(uri);
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            routes(app.clone()).oneshot(req.body(Body::empty()).unwrap())
        };
        let cross = send("/retrieve/1", &[("sec-fetch-site", "cross-site")])
            .await
            .unwrap();
        assert_eq!(cross.status(), StatusCode::FORBIDDEN);
        let forged = format!("{COOKIE}={}", "ab".repeat(32));
        let answer = send("/retrieve/1", &[("cookie", &forged)]).await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(answer.headers()["location"], "/");
        assert!(app.jobs.lock().unwrap().is_empty(), "nothing started");
        let home = routes(app.clone())
            .oneshot(
                Request::get("/")
                    .header("cookie", &forged)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let body = axum::body::to_bytes(home.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("専用端末の取り出しソフト"));
    }

    #[test]
    fn a_second_package_of_a_request_goes_beside_the_first() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_dir(dir.path(), 7), dir.path().join("request-7"));
        std::fs::create_dir(dir.path().join("request-7")).unwrap();
        assert_eq!(free_dir(dir.path(), 7), dir.path().join("request-7-2"));
    }
}
