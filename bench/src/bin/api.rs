//! Office API benchmark (issue 4). Serves the real router on 127.0.0.1 over the SQLite default
//! (on disk, WAL, synchronous FULL) and drives it from `--clients` keep-alive HTTP/1.1
//! connections with an open-loop schedule: each client sends at a fixed pace, and latency is
//! measured from when a request was due, not when it went out, so a stall counts in full
//! (no coordinated omission). The mix is the ward's daily work: reading requests, Form 1, the
//! health page and checkpoints, and writing orders, instructions and retrieval grants.
//!
//! Prints throughput, p50/p90/p99/max overall and per kind, and errors.
//! Run: `cargo run --release -p mimamori-bench --bin api` (defaults: 200 clients, 1,000
//! requests/s for 30 s; target p99 < 50 ms).
//!
//! `--mix screens` reads the staff's HTML pages instead (issue 13: the home page of waiting
//! work, the request list and a request, Form 1, the cameras, the ledger, staff, holds), each
//! with the browser's session cookie, while the same writes go on through the API; the target
//! there is every page under 100 ms p99 at 50 concurrent users
//! (`--mix screens --clients 50 --rate 250`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use jiff::{SignedDuration, Timestamp};
use mimamori_office::grant::TerminalKey;
use mimamori_office::setup::{seed_account, Seed};
use mimamori_office::Shared;
use mimamori_policy::access::Role;
use mimamori_recorder::SystemClock;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// Offered load, requests per second over all clients.
    #[arg(long, default_value_t = 1000.0)]
    rate: f64,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds of load before measuring (connections, statement caches, first pages).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// What the reads are: the JSON API's, or the staff screens' pages.
    #[arg(long, value_enum, default_value_t = Mix::Api)]
    mix: Mix,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mix {
    Api,
    Screens,
}

impl Mix {
    /// The p99 the mix is held to, in milliseconds.
    fn target_ms(self) -> f64 {
        match self {
            Mix::Api => 50.0,
            Mix::Screens => 100.0,
        }
    }
}

const POLICY: &str = r#"
[ward]
name = "ベンチ区"
operator = "ベンチ区役所"
[retention]
days = 10
[office]
session_minutes = 600
signin_attempts_per_minute = 1000
instruction_max_days = 7
[[camera]]
id = "cam1"
name = "駅前"
site = "1丁目"
url = "rtsp://127.0.0.1:1/cam1"
without_credentials = "ベンチ用（接続しない）"
"#;

const PASSWORD: &str = "bench-password-1";
const HANDLERS: usize = 20;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let work = tempfile::tempdir_in(std::env::current_dir()?)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(&args, work.path()))
}

async fn run(args: &Args, dir: &Path) -> anyhow::Result<()> {
    let office = open_office(dir).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Served as `mimamori serve` serves it: hyper's loop with the policy's limits.
    let limits = office.policy.office.clone();
    let app = mimamori_office::router(office);
    tokio::spawn(async move {
        mimamori_office::serve::serve(listener, app, &limits, std::future::pending()).await
    });

    let tokens = Arc::new(sign_in_everyone(addr).await?);
    let mix = args.mix;
    println!(
        "api ({}): {} clients, offered {:.0} req/s for {} s after {} s of warm-up, on {addr} \
         (SQLite, synchronous FULL)",
        if mix == Mix::Screens {
            "screens"
        } else {
            "json"
        },
        args.clients,
        args.rate,
        args.seconds,
        args.warmup
    );
    let interval = Duration::from_secs_f64(args.clients as f64 / args.rate);
    let start = Instant::now() + Duration::from_millis(200);
    let measured = start + Duration::from_secs(args.warmup);
    let end = measured + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let tokens = tokens.clone();
        // Stagger the clients evenly over one interval.
        let first = start + interval.mul_f64(client as f64 / args.clients as f64);
        tasks.push(tokio::spawn(async move {
            let at = Pace {
                first,
                interval,
                measured,
                end,
            };
            drive(addr, (client, mix), &tokens, at).await
        }));
    }
    let mut samples: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (s, e) = task.await??;
        for (kind, d) in s {
            samples.entry(kind).or_default().push(d);
        }
        for (k, n) in e {
            *errors.entry(k).or_default() += n;
        }
    }
    report(&samples, &errors, Duration::from_secs(args.seconds), mix);
    Ok(())
}

async fn open_office(dir: &Path) -> anyhow::Result<Shared> {
    let office = mimamori_office::testutil::office_at(dir, POLICY, Arc::new(SystemClock)).await;
    office.notary.sign_checkpoint().await?;
    let db = &office.db;
    let now = Timestamp::now() - SignedDuration::from_secs(1);
    let mut people = vec![
        ("mayor".to_owned(), Role::Manager),
        ("lead".to_owned(), Role::OperationsLead),
        ("auditor".to_owned(), Role::Auditor),
    ];
    people.extend((0..HANDLERS).map(|i| (format!("h{i}"), Role::ImageHandler)));
    for (login, role) in &people {
        let seed = Seed {
            login,
            name: login,
            unit: "防犯係",
            password: PASSWORD,
            roles: &[*role],
            ready: true,
            delegation_id: None,
        };
        seed_account(db, &seed, "system:bench", now).await?;
    }
    let key = TerminalKey::generate("pc-1");
    mimamori_bench::seed_bench_terminal(db, &key, now).await?;
    Ok(office)
}

struct Tokens {
    mayor: String,
    lead: String,
    auditor: String,
    handlers: Vec<String>,
}

async fn sign_in_everyone(addr: std::net::SocketAddr) -> anyhow::Result<Tokens> {
    let mut conn = connect(addr).await?;
    let mut sign_in = async |login: &str| -> anyhow::Result<String> {
        let body = json!({ "login": login, "password": PASSWORD });
        let (status, answer) =
            send(&mut conn, "POST", "/api/v1/sessions", None, Some(body)).await?;
        anyhow::ensure!(status == 200, "sign-in {login}: {status} {answer}");
        Ok(answer["token"].as_str().context("token")?.to_owned())
    };
    let mut handlers = Vec::new();
    for i in 0..HANDLERS {
        handlers.push(sign_in(&format!("h{i}")).await?);
    }
    Ok(Tokens {
        mayor: sign_in("mayor").await?,
        lead: sign_in("lead").await?,
        auditor: sign_in("auditor").await?,
        handlers,
    })
}

async fn connect(addr: std::net::SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(
    conn: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(u16, Value)> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1");
    match token {
        // A page is asked for as a browser does: the same session, in its cookie.
        Some(t) if !path.starts_with("/api/") => {
            req = req.header("cookie", format!("__Host-mimamori-session={t}"));
        }
        Some(t) => req = req.header("authorization", format!("Bearer {t}")),
        None => {}
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Full::new(Bytes::from(b.to_string()))
        }
        None => Full::new(Bytes::new()),
    };
    conn.ready().await?;
    let response = conn.send_request(req.body(body)?).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await?.to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

type Samples = Vec<(&'static str, Duration)>;

const WARM_UP: &str = "(warm-up)";
type Errors = BTreeMap<String, usize>;

/// A client's schedule: its first request, the interval, and the measured window.
struct Pace {
    first: Instant,
    interval: Duration,
    measured: Instant,
    end: Instant,
}

/// One client: a fixed pace, one request kind after another from the mix.
async fn drive(
    addr: std::net::SocketAddr,
    (client, mix): (usize, Mix),
    tokens: &Tokens,
    pace: Pace,
) -> anyhow::Result<(Samples, Errors)> {
    let Pace {
        first,
        interval,
        measured,
        end,
    } = pace;
    let mut conn = connect(addr).await?;
    let mut samples = Vec::new();
    let mut errors = Errors::new();
    let mut due = first;
    let mut state = Workflow::default();
    let mut n = client;
    while due < end {
        tokio::time::sleep_until(due.into()).await;
        let (kind, method, path, token, body) = match mix {
            Mix::Screens if !n.is_multiple_of(10) => state.page(n, client, tokens),
            _ => state.next(n, client, tokens),
        };
        let result = send(&mut conn, method, &path, Some(token), body).await;
        // Warm-up is reported apart: the first requests wait for 200 connections' set-up.
        samples.push((if due >= measured { kind } else { WARM_UP }, due.elapsed()));
        match result {
            Ok((status, answer)) if status < 300 => state.learn(kind, &answer),
            Ok((status, answer)) => {
                *errors
                    .entry(format!("{kind} {status} {}", answer["error"]["code"]))
                    .or_default() += 1;
            }
            Err(e) => *errors.entry(format!("{kind} transport: {e}")).or_default() += 1,
        }
        n += 1;
        due += interval;
    }
    Ok((samples, errors))
}

/// Each client works through requests of its own: order, instruct, grant; and reads between.
#[derive(Default)]
struct Workflow {
    ordered: Option<i64>,
    instructed: Option<i64>,
    last: Option<i64>,
}

impl Workflow {
    fn next<'t>(
        &mut self,
        n: usize,
        client: usize,
        t: &'t Tokens,
    ) -> (&'static str, &'static str, String, &'t str, Option<Value>) {
        let handler = client % HANDLERS;
        // 1 in 10 is a write: order, then instruction, then grant, in turn per client.
        if n.is_multiple_of(10) {
            if let Some(id) = self.instructed.take() {
                let body = json!({ "terminal": "pc-1" });
                let path = format!("/api/v1/requests/{id}/grants");
                return ("grant", "POST", path, &t.handlers[handler], Some(body));
            }
            if let Some(id) = self.ordered.take() {
                let now = Timestamp::now();
                let body = json!({
                    "camera": "cam1",
                    "from": (now - SignedDuration::from_mins(30)).to_string(),
                    "to": (now - SignedDuration::from_mins(20)).to_string(),
                    "handler": format!("h{handler}"), "terminal": "pc-1",
                });
                self.instructed = Some(id);
                let path = format!("/api/v1/requests/{id}/instruction");
                return ("instruct", "POST", path, &t.lead, Some(body));
            }
            let body = json!({
                "purpose": "事件の確認", "reason": "ベンチマーク", "basis": { "kind": "t6_1_e" },
            });
            return (
                "order",
                "POST",
                "/api/v1/orders".into(),
                &t.mayor,
                Some(body),
            );
        }
        match n % 10 {
            1 | 5 => (
                "list",
                "GET",
                "/api/v1/requests?limit=20".into(),
                &t.auditor,
                None,
            ),
            2 | 6 => match self.last {
                Some(id) => (
                    "show",
                    "GET",
                    format!("/api/v1/requests/{id}"),
                    &t.lead,
                    None,
                ),
                None => ("me", "GET", "/api/v1/me".into(), &t.lead, None),
            },
            3 | 7 => ("me", "GET", "/api/v1/me".into(), &t.handlers[handler], None),
            4 => ("health", "GET", "/api/v1/health".into(), &t.auditor, None),
            8 => (
                "checkpoint",
                "GET",
                "/api/v1/ledger/checkpoint".into(),
                &t.auditor,
                None,
            ),
            _ => ("staff", "GET", "/api/v1/staff".into(), &t.auditor, None),
        }
    }

    /// A page of the staff screens, as the people who read it most.
    fn page<'t>(
        &mut self,
        n: usize,
        client: usize,
        t: &'t Tokens,
    ) -> (&'static str, &'static str, String, &'t str, Option<Value>) {
        let handler = &t.handlers[client % HANDLERS];
        let (kind, path, token) = match n % 10 {
            1 => ("p:home", "/".to_owned(), handler),
            2 => ("p:requests", "/requests".to_owned(), &t.lead),
            3 => match self.last {
                Some(id) => ("p:request", format!("/requests/{id}"), &t.lead),
                None => ("p:home", "/".to_owned(), &t.mayor),
            },
            4 => ("p:form1", "/form1".to_owned(), &t.auditor),
            5 => ("p:cameras", "/cameras".to_owned(), &t.auditor),
            6 => ("p:home", "/".to_owned(), &t.mayor),
            7 => ("p:ledger", "/ledger".to_owned(), &t.auditor),
            8 => ("p:staff", "/staff".to_owned(), &t.auditor),
            _ => ("p:holds", "/holds".to_owned(), &t.mayor),
        };
        (kind, "GET", path, token, None)
    }

    fn learn(&mut self, kind: &str, answer: &Value) {
        if kind == "order" {
            self.ordered = answer["id"].as_i64();
            self.last = self.ordered;
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(
    samples: &BTreeMap<&'static str, Vec<Duration>>,
    errors: &Errors,
    span: Duration,
    mix: Mix,
) {
    let mut all: Vec<Duration> = samples
        .iter()
        .filter(|(kind, _)| **kind != WARM_UP)
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    all.sort();
    let line = |name: &str, sorted: &[Duration]| {
        println!(
            "  {name:<11} {:>7} req  p50 {:>7.2} ms  p90 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms",
            sorted.len(),
            ms(percentile(sorted, 0.50)),
            ms(percentile(sorted, 0.90)),
            ms(percentile(sorted, 0.99)),
            ms(*sorted.last().unwrap_or(&Duration::ZERO)),
        );
    };
    println!(
        "throughput: {:.0} req/s completed ({} requests in {} s)",
        all.len() as f64 / span.as_secs_f64(),
        all.len(),
        span.as_secs()
    );
    line("all", &all);
    for (kind, v) in samples {
        let mut v = v.clone();
        v.sort();
        line(kind, &v);
    }
    let failed: usize = errors.values().sum();
    println!("errors: {failed}");
    for (k, n) in errors {
        println!("  {n:>6}  {k}");
    }
    let p99 = ms(percentile(&all, 0.99));
    let target = mix.target_ms();
    println!(
        "target p99 < {target:.0} ms: {} ({p99:.2} ms)",
        if p99 < target { "met" } else { "NOT met" }
    );
}
