//! Load on the worker under `wrangler dev`: a burst of concurrent streaming chats, the same burst from
//! one client with the rate limit on, and (when asked) a soak at a steady rate. The upstream is the
//! stand-in's fast `seq-<n>` mode: numbered deltas with no pause, then a checksum, so every answer shows
//! whether a chunk was lost, repeated or reordered. Loopback only; every phase is bounded and stops by
//! itself. Prints one table.
//!
//! Run: `cargo bench -p twin-e2e --bench load`. Knobs (environment): `TWIN_LOAD_CONCURRENCY` (200
//! chats at once), `TWIN_LOAD_DELTAS` (30 a chat), `TWIN_SOAK_SECONDS` (0: no soak; 600 is the
//! ten-minute soak) and `TWIN_SOAK_RATE` (chats started a second, 5).

use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use twin_e2e::{API_KEY, Stack};
use twin_local::StandIn;
use twin_local::stand_in::sequence_checksum;
use twin_local::worker_stack::{STAND_IN, WorkerStack};
use twin_local::wrangler::WranglerDev;
use twin_shared::ChatEvent;
use twin_shared::sse::sse_events;
use twin_upstream::{Backend, Provider};

/// Longest one chat may take before it counts as hung.
const CHAT_TIMEOUT: Duration = Duration::from_secs(120);

fn knob(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// What one chat came to.
#[derive(Debug)]
struct Outcome {
    /// `ok`, `http <status> (<the worker's code, or another body's first words>)`, an `error` event's
    /// code, `broken`, `timeout`, `sequence` (a lost, repeated or reordered chunk, or a wrong checksum),
    /// or `stopped: …` (the phase was stopped for workerd's open files).
    result: String,
    ttft: Option<Duration>,
    deltas: usize,
}

/// Whether `text` is `s0 s1 ... s<n-1> sum:<checksum>`, every number once and in order.
fn sequence_intact(text: &str, n: u64) -> bool {
    let Some((body, sum)) = text.rsplit_once("sum:") else {
        return false;
    };
    let expected: String = (0..n).map(|i| format!("s{i} ")).collect();
    body == expected && sum.trim() == format!("{:016x}", sequence_checksum(&expected))
}

async fn chat(
    http: &reqwest::Client,
    url: &str,
    backend: &str,
    ip: &str,
    question: &str,
    n: u64,
) -> Outcome {
    let started = Instant::now();
    let body = serde_json::json!({"backend": backend, "messages": [{"role": "user", "content": question}]});
    let sent = http
        .post(format!("{url}/api/chat"))
        .header("cf-connecting-ip", ip)
        .json(&body)
        .send();
    let run = async {
        let r = match sent.await {
            Ok(r) => r,
            Err(_) => return ("broken".to_string(), None, 0),
        };
        if r.status() != 200 {
            // Whose refusal it is: the worker's JSON error code, or the first words of another body
            // (wrangler's own proxy answers 503 with text).
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            let code = serde_json::from_str::<twin_shared::ApiError>(&body)
                .map(|e| e.error.code)
                .unwrap_or_else(|_| {
                    body.chars()
                        .map(|c| {
                            if c.is_whitespace() || c == '|' {
                                ' '
                            } else {
                                c
                            }
                        })
                        .take(40)
                        .collect()
                });
            return (format!("http {status} ({code})"), None, 0);
        }
        let mut events = sse_events(r.bytes_stream());
        let (mut text, mut ttft, mut deltas) = (String::new(), None, 0);
        while let Some(item) = events.next().await {
            let Ok(ev) = item else {
                return ("broken".to_string(), ttft, deltas);
            };
            match ChatEvent::from_sse(&ev.event, &ev.data) {
                Some(Ok(ChatEvent::Delta { text: t })) => {
                    ttft.get_or_insert_with(|| started.elapsed());
                    deltas += 1;
                    text.push_str(&t);
                }
                Some(Ok(ChatEvent::Done(_))) => {
                    let result = if sequence_intact(&text, n) {
                        "ok"
                    } else {
                        "sequence"
                    };
                    return (result.to_string(), ttft, deltas);
                }
                Some(Ok(ChatEvent::Error(e))) => return (e.code.to_string(), ttft, deltas),
                Some(Err(_)) => return ("malformed event".to_string(), ttft, deltas),
                _ => {}
            }
        }
        ("no end".to_string(), ttft, deltas)
    };
    match tokio::time::timeout(CHAT_TIMEOUT, run).await {
        Ok((result, ttft, deltas)) => Outcome {
            result,
            ttft,
            deltas,
        },
        Err(_) => Outcome {
            result: "timeout".into(),
            ttft: None,
            deltas: 0,
        },
    }
}

fn quantile(mut v: Vec<f64>, q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v.get(i).copied()
}

/// One phase's row of the table.
struct Row {
    phase: String,
    chats: usize,
    elapsed: Duration,
    outcomes: Vec<Outcome>,
    /// workerd's resident memory before the phase and after its last chat ended.
    memory: (u64, u64),
    /// workerd's open file descriptors before the phase, at their peak, and after it.
    fds: (u64, u64, u64),
}

impl Row {
    /// Whether the phase was stopped for workerd's open files (the next phase would meet the same).
    fn stopped(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| o.result.starts_with("stopped"))
    }

    fn print(&self) {
        let mut by: BTreeMap<&str, usize> = BTreeMap::new();
        for o in &self.outcomes {
            *by.entry(o.result.as_str()).or_default() += 1;
        }
        let served = by.get("ok").copied().unwrap_or(0);
        let errors: Vec<String> = by
            .iter()
            .filter(|(k, _)| **k != "ok" && **k != "sequence")
            .map(|(k, n)| format!("{k} × {n}"))
            .collect();
        let ttft: Vec<f64> = self
            .outcomes
            .iter()
            .filter_map(|o| o.ttft.map(|t| t.as_secs_f64() * 1e3))
            .collect();
        let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.0} ms"));
        let deltas: usize = self.outcomes.iter().map(|o| o.deltas).sum();
        let secs = self.elapsed.as_secs_f64();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} chats/s, {:.0} deltas/s | {:.0} → {:.0} MB | {} → {} → {} |",
            self.phase,
            self.chats,
            served,
            if errors.is_empty() {
                "none".to_string()
            } else {
                errors.join(", ")
            },
            by.get("sequence").copied().unwrap_or(0),
            ms(quantile(ttft.clone(), 0.5)),
            ms(quantile(ttft, 0.99)),
            served as f64 / secs,
            deltas as f64 / secs,
            self.memory.0 as f64 / 1e6,
            self.memory.1 as f64 / 1e6,
            self.fds.0,
            self.fds.1,
            self.fds.2,
        );
    }
}

/// Resident memory of wrangler's workerd processes (its proxy and the worker), summed, and the open file
/// descriptors of those processes now.
fn workerd(w: &WranglerDev) -> (u64, u64) {
    w.usage()
        .iter()
        .filter(|p| p.name == "workerd")
        .fold((0, 0), |(rss, fds), p| {
            (rss + p.rss_bytes, fds + p.open_fds)
        })
}

/// The open-file limit asked for wrangler and workerd. Under `wrangler dev`, wrangler's inspector proxy
/// (in its own workerd) posts every inspector event of the worker's to wrangler's node process, each
/// on a socket of its own, and the worker's inspector reports every chunk of every upstream stream
/// (`Network.dataReceived`): about one socket per delta, held until node closes it. A deployed worker
/// has no inspector proxy.
const OPEN_FILES: u64 = 1 << 20;

/// Open file descriptors (of both workerd processes together) past which a phase is stopped: nine
/// tenths of the limit each inherits, and never past 25,000 (loopback runs out of ephemeral ports near
/// 28,000). Near its limit, workerd logs an error for every refused accept, without end.
static STOP_AT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(u64::MAX);

/// Runs `chats` chats, started `gap` apart (zero: all at once), each from the client `ip(i)`, while
/// sampling workerd's memory and open files (the phase stops early if they pass `STOP_AT`).
fn phase(
    rt: &tokio::runtime::Runtime,
    worker: &WranglerDev,
    name: &str,
    chats: usize,
    gap: Duration,
    ip: impl Fn(usize) -> String,
    n: u64,
) -> Row {
    twin_eval::http::install_tls();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client");
    let stop_at = STOP_AT.load(std::sync::atomic::Ordering::Relaxed);
    let (rss_before, fds_before) = workerd(worker);
    let peak_fds = std::cell::Cell::new(fds_before);
    let started = Instant::now();
    let outcomes = rt.block_on(async {
        let mut tasks = Vec::new();
        // Starts the chats and waits for all of them; their outcomes are collected after, either way.
        let launch = async {
            for i in 0..chats {
                let (http, url, ip) = (http.clone(), worker.url.clone(), ip(i));
                let backend = if i % 2 == 0 { "seq" } else { "seq-a" };
                tasks.push(tokio::spawn(async move {
                    chat(&http, &url, backend, &ip, &format!("load question {i}"), n).await
                }));
                if !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
            }
            while tasks.iter().any(|t| !t.is_finished()) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        let watch = async {
            loop {
                let (_, fds) = workerd(worker);
                peak_fds.set(peak_fds.get().max(fds));
                if fds > stop_at {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        let stopped_early = tokio::select! {
            () = launch => false,
            () = watch => true,
        };
        let stopped = || Outcome {
            result: format!("stopped: workerd over {stop_at} open files"),
            ttft: None,
            deltas: 0,
        };
        if stopped_early {
            eprintln!("load: {name}: workerd passed {stop_at} open files; the phase is stopped");
            for t in &tasks {
                t.abort();
            }
        }
        // Chats that finished keep their outcome; those stopped, and those never started, are stopped.
        let mut out = Vec::new();
        for t in tasks.drain(..) {
            out.push(t.await.unwrap_or_else(|e| {
                if e.is_cancelled() {
                    stopped()
                } else {
                    Outcome {
                        result: "task panicked".into(),
                        ttft: None,
                        deltas: 0,
                    }
                }
            }));
        }
        out.resize_with(chats, stopped);
        out
    });
    let (rss_after, fds_after) = workerd(worker);
    Row {
        phase: name.to_string(),
        chats,
        elapsed: started.elapsed(),
        outcomes,
        memory: (rss_before, rss_after),
        fds: (fds_before, peak_fds.get(), fds_after),
    }
}

fn start(root: &Path, n: u64, rate_limit: bool, log: &str) -> WorkerStack {
    let stand_in = StandIn::start().expect("stand-in");
    let base = format!("{STAND_IN}/fault/seq-{n}");
    let backends = [
        Backend::new("seq", "seq", Provider::Openai, &base, "local"),
        Backend {
            secret: Some("ANTHROPIC_API_KEY".into()),
            ..Backend::new("seq-a", "seq-a", Provider::Anthropic, &base, "local")
        },
    ];
    let vars: Vec<(&str, String)> = if rate_limit {
        Vec::new()
    } else {
        vec![("RATE_LIMIT", "off".to_string())]
    };
    let secrets = [("ANTHROPIC_API_KEY", API_KEY.to_string())];
    WorkerStack::start(
        root,
        stand_in,
        &backends,
        &vars,
        &secrets,
        &root.join(format!("build/logs/load/{log}.log")),
    )
    .expect("worker stack")
}

fn main() {
    let root = Stack::root();
    let concurrency = knob("TWIN_LOAD_CONCURRENCY", 200) as usize;
    // Thirty, not a hundred: under `wrangler dev` each delta costs a socket for a while (`OPEN_FILES`),
    // and 200 chats of 100 deltas pass workerd's 20,000 open files on this machine.
    let n = knob("TWIN_LOAD_DELTAS", 30);
    let soak_s = knob("TWIN_SOAK_SECONDS", 0);
    let rate = knob("TWIN_SOAK_RATE", 5).max(1);
    // Before wrangler starts, so workerd inherits it (see `OPEN_FILES`).
    let fd_limit = twin_local::usage::raise_open_files(OPEN_FILES).unwrap_or(1024);
    STOP_AT.store(
        (fd_limit / 10 * 9).min(25_000),
        std::sync::atomic::Ordering::Relaxed,
    );
    eprintln!("load: open-file limit {fd_limit} for wrangler and workerd");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut rows = Vec::new();

    let stack = start(&root, n, false, "unlimited");
    let worker = &stack.worker;
    // Warm the isolate (its first request compiles the wasm), then the burst.
    let _ = phase(
        &rt,
        worker,
        "warm-up",
        2,
        Duration::ZERO,
        |i| format!("198.18.0.{i}"),
        n,
    );
    let burst_ip = |i: usize| format!("198.18.{}.{}", 1 + i / 250, 1 + i % 250);
    rows.push(phase(
        &rt,
        worker,
        "burst, rate limit off",
        concurrency,
        Duration::ZERO,
        burst_ip,
        n,
    ));
    let go_on = |rows: &[Row]| rows.iter().all(|r| !r.stopped());
    if go_on(&rows) {
        rows.push(phase(
            &rt,
            worker,
            "burst again",
            concurrency,
            Duration::ZERO,
            burst_ip,
            n,
        ));
    }
    if soak_s > 0 && go_on(&rows) {
        let chats = (soak_s * rate) as usize;
        let gap = Duration::from_millis(1000 / rate);
        rows.push(phase(
            &rt,
            worker,
            &format!("soak, {rate}/s for {soak_s} s"),
            chats,
            gap,
            |i| format!("198.19.{}.{}", 1 + (i / 250) % 250, 1 + i % 250),
            n,
        ));
    }
    drop(stack);

    // The same burst from one client with the rate limit on: the limiter must engage.
    let limited_stack = start(&root, n, true, "limited");
    let limited = &limited_stack.worker;
    let _ = phase(
        &rt,
        limited,
        "warm-up",
        1,
        Duration::ZERO,
        |_| "198.18.250.1".into(),
        n,
    );
    let row = phase(
        &rt,
        limited,
        "one client's burst, rate limit on",
        concurrency,
        Duration::ZERO,
        |_| "198.18.250.2".to_string(),
        n,
    );
    let limited_count = row
        .outcomes
        .iter()
        .filter(|o| o.result.starts_with("http 429"))
        .count();
    rows.push(row);
    drop(limited_stack);

    println!(
        "\nload under wrangler dev (the stand-in's seq-{n}: {n} numbered deltas and a checksum a chat, half OpenAI, half Anthropic protocol; each chat read to its end)"
    );
    println!(
        "| phase | chats | served | errors by code | lost/reordered | TTFT p50 | TTFT p99 (chats that got text) | served throughput | workerd memory before → after | workerd open files before → peak → after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        r.print();
    }
    println!(
        "rate limit on: {limited_count} of {concurrency} chats from one client answered 429 (the limit is 30 a minute)"
    );
}
