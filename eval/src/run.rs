//! Asking the questions: every item, for every backend, through the worker's public `/api/chat` (the
//! path a reader's question takes), with bounded concurrency. Each answer is appended to its backend's
//! JSONL trace as soon as it ends, so an interrupted run resumes where it stopped.

use crate::corpus::Corpus;
use crate::items::Item;
use crate::trace::{FORMAT_VERSION, Trace, TraceError};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use twin_shared::sse::sse_events;
use twin_shared::{ChatEvent, Coverage, PublicConfig};

/// How long one answer may take, cold start included.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(300);
/// Rate-limit refusals waited out per question before it is recorded as `rate_limited`.
const RATE_LIMIT_RETRIES: u32 = 3;
/// The longest `Retry-After` the eval waits.
const MAX_RETRY_AFTER_S: u64 = 65;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The worker's base URL.
    pub endpoint: String,
    pub backends: Vec<String>,
    pub items: Vec<Item>,
    /// How many times each question is asked.
    pub repeat: u32,
    /// Questions in flight at once.
    pub concurrency: usize,
    /// The run folder.
    pub out: PathBuf,
    /// Model id per backend, for the price table (the worker never says which model a backend runs).
    pub models: BTreeMap<String, String>,
    /// Give each question its own `cf-connecting-ip` (a stack the eval started itself, where the rate
    /// limit would otherwise throttle the run; Cloudflare overwrites the header in production).
    pub rotate_client_ip: bool,
}

/// What a run folder records about its run (`meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub version: u32,
    pub endpoint: String,
    pub backends: Vec<BackendMeta>,
}

/// A backend as the run saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendMeta {
    pub id: String,
    pub label: String,
    pub retrieval: bool,
    /// The model id given for pricing, if any.
    pub model: Option<String>,
    /// What the worker said its answers are made from (content, prompt, settings) when this run
    /// started; each answer also carries the fingerprint it was made under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// Progress, for a progress bar.
#[derive(Debug, Clone)]
pub enum Progress {
    /// `total` questions to ask, `skipped` already answered in the run folder.
    Start { total: usize, skipped: usize },
    /// `answers` of `backend` in the run folder were made before `what` changed on the worker; they are
    /// asked again.
    Remade {
        backend: String,
        answers: usize,
        what: String,
    },
    /// One answer ended.
    Answered {
        backend: String,
        error: Option<String>,
    },
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot reach the worker at {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    #[error("unknown backend `{id}`: the worker at {endpoint} has {known}")]
    UnknownBackend {
        id: String,
        endpoint: String,
        known: String,
    },
    #[error(
        "{folder} holds a run of format version {found}; this twin writes version {FORMAT_VERSION}: use a new --out folder"
    )]
    Incompatible { folder: String, found: String },
    #[error("{file}:{line}: not a trace line: {detail}")]
    BadTrace {
        file: String,
        line: usize,
        detail: String,
    },
    #[error("{0}")]
    Io(String),
}

fn io(path: &Path, e: std::io::Error) -> RunError {
    RunError::Io(format!("{}: {e}", path.display()))
}

/// The traces file of a backend in a run folder.
pub fn trace_path(out: &Path, backend: &str) -> PathBuf {
    out.join("traces").join(format!("{backend}.jsonl"))
}

/// Reads a run folder's `meta.json`, refusing another format version.
pub fn read_meta(out: &Path) -> Result<Option<Meta>, RunError> {
    let path = out.join("meta.json");
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| RunError::Incompatible {
        folder: out.display().to_string(),
        found: format!("unknown ({e})"),
    })?;
    let found = v.get("version").and_then(serde_json::Value::as_u64);
    if found != Some(u64::from(FORMAT_VERSION)) {
        return Err(RunError::Incompatible {
            folder: out.display().to_string(),
            found: found.map_or("none".into(), |f| f.to_string()),
        });
    }
    serde_json::from_value(v)
        .map(Some)
        .map_err(|e| RunError::Incompatible {
            folder: out.display().to_string(),
            found: format!("{FORMAT_VERSION} with unreadable fields ({e})"),
        })
}

/// Every trace of a backend in a run folder; a later line for the same question and repeat replaces an
/// earlier one (a retried failure).
pub fn read_traces(out: &Path, backend: &str) -> Result<Vec<Trace>, RunError> {
    let path = trace_path(out, backend);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
    let mut by_key: Vec<Trace> = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let t: Trace = match serde_json::from_str(line) {
            Ok(t) => t,
            // A run killed mid-write leaves a cut-off last line: that answer is asked again.
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => continue,
            Err(e) => {
                return Err(RunError::BadTrace {
                    file: path.display().to_string(),
                    line: i + 1,
                    detail: e.to_string(),
                });
            }
        };
        match by_key.iter_mut().find(|x| x.key() == t.key()) {
            Some(x) => *x = t,
            None => by_key.push(t),
        }
    }
    Ok(by_key)
}

/// Runs the eval into `spec.out` and returns every backend's traces of the chosen questions and repeats
/// (earlier answers to them in the folder included; answers to questions not chosen this time are kept in
/// the folder but not returned).
pub fn run(
    spec: &RunSpec,
    corpus: &Corpus,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BTreeMap<String, Vec<Trace>>, RunError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| RunError::Io(format!("no async runtime: {e}")))?;
    rt.block_on(run_async(spec, corpus, progress))
}

async fn run_async(
    spec: &RunSpec,
    corpus: &Corpus,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BTreeMap<String, Vec<Trace>>, RunError> {
    let http = crate::http::client(ANSWER_TIMEOUT).map_err(RunError::Io)?;
    let endpoint = spec.endpoint.trim_end_matches('/').to_string();
    let config = fetch_config(&http, &endpoint).await?;
    let mut backends = Vec::new();
    for id in &spec.backends {
        let Some(b) = config.backends.iter().find(|b| &b.id == id) else {
            let known: Vec<&str> = config.backends.iter().map(|b| b.id.as_str()).collect();
            return Err(RunError::UnknownBackend {
                id: id.clone(),
                endpoint: endpoint.clone(),
                known: known.join(", "),
            });
        };
        backends.push(BackendMeta {
            id: b.id.clone(),
            label: b.label.clone(),
            retrieval: b.retrieval,
            model: spec.models.get(&b.id).cloned(),
            fingerprint: b.fingerprint.clone(),
        });
    }
    read_meta(&spec.out)?;
    let fingerprints: HashMap<String, Option<String>> = backends
        .iter()
        .map(|b| (b.id.clone(), b.fingerprint.clone()))
        .collect();
    std::fs::create_dir_all(spec.out.join("traces")).map_err(|e| io(&spec.out, e))?;
    let meta = Meta {
        version: FORMAT_VERSION,
        endpoint: public_url(&endpoint),
        backends,
    };
    let meta_path = spec.out.join("meta.json");
    let meta_json = serde_json::to_string_pretty(&meta).map_err(|e| RunError::Io(e.to_string()))?;
    std::fs::write(&meta_path, meta_json).map_err(|e| io(&meta_path, e))?;

    let mut done: BTreeMap<String, Vec<Trace>> = BTreeMap::new();
    let mut todo: Vec<(String, &Item, u32)> = Vec::new();
    let mut skipped = 0;
    for b in &spec.backends {
        let now = fingerprints.get(b).cloned().flatten();
        // Answers made before the worker changed (another fingerprint, or none recorded when the worker
        // sends one) are asked again, never mixed with answers made after the change.
        let existing: Vec<Trace> = read_traces(&spec.out, b)?;
        let remade: Vec<&Trace> = existing.iter().filter(|t| t.fingerprint != now).collect();
        if let Some(first) = remade.first() {
            progress(Progress::Remade {
                backend: b.clone(),
                answers: remade.len(),
                what: changed(first.fingerprint.as_deref(), now.as_deref())
                    .unwrap_or_else(|| "the fingerprint (these answers carry none)".into()),
            });
        }
        let existing: Vec<Trace> = existing
            .into_iter()
            .filter(|t| t.fingerprint == now)
            .collect();
        for item in &spec.items {
            for r in 0..spec.repeat {
                // An answer to an earlier wording of the question is asked again.
                let answered = existing.iter().any(|t| {
                    t.id == item.id
                        && t.repeat == r
                        && t.question == item.question
                        && !t.retry_on_resume()
                });
                if answered {
                    skipped += 1;
                } else {
                    todo.push((b.clone(), item, r));
                }
            }
        }
        // Scored against what the eval set says now (facts may have been edited since).
        let chosen: Vec<Trace> = existing
            .into_iter()
            .filter(|t| t.repeat < spec.repeat)
            .filter_map(|t| {
                let item = spec
                    .items
                    .iter()
                    .find(|i| i.id == t.id && i.question == t.question)?;
                Some(Trace {
                    expect: item.expect.clone(),
                    ..t
                })
            })
            .collect();
        done.insert(b.clone(), chosen);
    }
    progress(Progress::Start {
        total: todo.len() + skipped,
        skipped,
    });
    let mut files: HashMap<String, std::fs::File> = HashMap::new();
    for b in &spec.backends {
        let path = trace_path(&spec.out, b);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        files.insert(b.clone(), f);
    }
    let mut answers = futures_util::stream::iter(todo.into_iter().enumerate())
        .map(|(n, (backend, item, repeat))| {
            let http = &http;
            let endpoint = &endpoint;
            let ip = spec
                .rotate_client_ip
                .then(|| format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255));
            let fingerprint = fingerprints.get(&backend).cloned().flatten();
            async move {
                let mut t = ask(http, endpoint, &backend, item, repeat, ip, corpus).await;
                t.fingerprint = fingerprint;
                t
            }
        })
        .buffer_unordered(spec.concurrency.max(1));
    while let Some(trace) = answers.next().await {
        let line = serde_json::to_string(&trace).map_err(|e| RunError::Io(e.to_string()))?;
        if let Some(f) = files.get_mut(&trace.backend) {
            writeln!(f, "{line}")
                .and_then(|()| f.flush())
                .map_err(|e| {
                    RunError::Io(format!(
                        "{}: {e}",
                        trace_path(&spec.out, &trace.backend).display()
                    ))
                })?;
        }
        progress(Progress::Answered {
            backend: trace.backend.clone(),
            error: trace.error.as_ref().map(|e| e.code.clone()),
        });
        let list = done.entry(trace.backend.clone()).or_default();
        match list.iter_mut().find(|x| x.key() == trace.key()) {
            Some(x) => *x = trace,
            None => list.push(trace),
        }
    }
    Ok(done)
}

/// What changed between two fingerprints (`c…-p…-b…`), in words; `None` when nothing did or either is
/// unknown (a worker that predates fingerprints).
pub fn changed(before: Option<&str>, now: Option<&str>) -> Option<String> {
    let (before, now) = (before?, now?);
    if before == now {
        return None;
    }
    // `c…-p…-b…`; anything else (another worker's format) is reported whole.
    let parts = |f: &str| -> Option<Vec<String>> {
        let p: Vec<&str> = f.split('-').collect();
        (p.len() == 3 && p.iter().zip(["c", "p", "b"]).all(|(p, k)| p.starts_with(k)))
            .then(|| p.iter().map(|s| s.to_string()).collect())
    };
    let names = [
        "the content (index)",
        "the system prompt (persona or rules)",
        "the backend's settings (model, URL, sampling)",
    ];
    let what: Vec<&str> = match (parts(before), parts(now)) {
        (Some(b), Some(n)) => names
            .iter()
            .zip(b.iter().zip(&n))
            .filter(|(_, (b, n))| b != n)
            .map(|(name, _)| *name)
            .collect(),
        _ => Vec::new(),
    };
    Some(if what.is_empty() {
        format!("the fingerprint ({before} → {now})")
    } else {
        what.join(" and ")
    })
}

/// The endpoint as recorded in the run folder: no user name, password, query or fragment.
fn public_url(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.as_str().trim_end_matches('/').to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

async fn fetch_config(http: &reqwest::Client, endpoint: &str) -> Result<PublicConfig, RunError> {
    let unreachable = |detail: String| RunError::Unreachable {
        endpoint: endpoint.to_string(),
        detail,
    };
    let r = http
        .get(format!("{endpoint}/api/config"))
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    if !r.status().is_success() {
        return Err(unreachable(format!(
            "/api/config answered HTTP {}",
            r.status().as_u16()
        )));
    }
    r.json::<PublicConfig>()
        .await
        .map_err(|e| unreachable(format!("/api/config is not twin's config: {e}")))
}

/// Asks one question and records everything the stream said.
async fn ask(
    http: &reqwest::Client,
    endpoint: &str,
    backend: &str,
    item: &Item,
    repeat: u32,
    ip: Option<String>,
    corpus: &Corpus,
) -> Trace {
    let mut t = Trace {
        backend: backend.to_string(),
        set: item.set.clone(),
        id: item.id.clone(),
        repeat,
        question: item.question.clone(),
        probe: item.probe.clone(),
        style: item.style.clone(),
        expect: item.expect.clone(),
        http_status: 0,
        answer: String::new(),
        sources: Vec::new(),
        source_slugs: Vec::new(),
        statuses: Vec::new(),
        error: None,
        stop_reason: None,
        ttft_ms: None,
        total_ms: 0,
        input_tokens: None,
        output_tokens: None,
        coverage: None,
        waited_s: 0,
        fingerprint: None,
    };
    let mut body = serde_json::json!({"backend": backend, "messages": [{"role": "user", "content": item.question}]});
    if let Some(p) = &item.probe {
        body["probe"] = serde_json::json!(p);
        // The eval measures the model: a probe is asked live, never answered from the probe cache.
        body["live"] = serde_json::json!(true);
    }
    let mut attempt = 0;
    let (response, start) = loop {
        let mut rb = http.post(format!("{endpoint}/api/chat")).json(&body);
        if let Some(ip) = &ip {
            rb = rb.header("cf-connecting-ip", ip);
        }
        let start = Instant::now();
        let r = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                t.error = Some(TraceError {
                    code: "unreachable".into(),
                    message: e.to_string(),
                    retryable: true,
                });
                return t;
            }
        };
        if r.status().as_u16() == 429 && attempt < RATE_LIMIT_RETRIES {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(10)
                .min(MAX_RETRY_AFTER_S);
            attempt += 1;
            t.waited_s += wait;
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        break (r, start);
    };
    t.http_status = response.status().as_u16();
    if t.http_status != 200 {
        let status = t.http_status;
        let v: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
        let field = |k: &str| {
            v.get("error")
                .and_then(|e| e.get(k))
                .and_then(|x| x.as_str())
                .map(str::to_string)
        };
        t.error = Some(TraceError {
            code: field("code").unwrap_or_else(|| format!("http_{status}")),
            message: field("message")
                .unwrap_or_else(|| format!("HTTP {status} without a JSON error")),
            retryable: status == 429 || status >= 500,
        });
        t.total_ms = start.elapsed().as_millis() as u64;
        return t;
    }
    let mut events = sse_events(response.bytes_stream());
    let mut ended = false;
    while let Some(item) = events.next().await {
        let ev = match item {
            Ok(ev) => ev,
            Err(e) => {
                t.error = Some(TraceError {
                    code: "stream_broken".into(),
                    message: e.to_string(),
                    retryable: true,
                });
                ended = true;
                break;
            }
        };
        match ChatEvent::from_sse(&ev.event, &ev.data) {
            None => {}
            Some(Err(e)) => {
                t.error = Some(TraceError {
                    code: "malformed_event".into(),
                    message: format!("the worker sent a malformed {} event: {e}", ev.event),
                    retryable: false,
                });
                ended = true;
                break;
            }
            Some(Ok(ChatEvent::Sources(s))) => {
                t.source_slugs = s
                    .iter()
                    .filter_map(|x| corpus.slug_for(&x.url).map(str::to_string))
                    .collect();
                // The question's coverage is its best source's; no sources means none, and a source
                // without a level (an older worker) is unknown.
                let levels: Vec<Coverage> = s
                    .iter()
                    .map(|x| x.coverage.unwrap_or(Coverage::Unknown))
                    .collect();
                t.coverage = Some(Coverage::best(&levels));
                t.sources = s;
            }
            Some(Ok(ChatEvent::Status(s))) => t.statuses.push(s),
            Some(Ok(ChatEvent::Delta { text })) => {
                if t.ttft_ms.is_none() {
                    t.ttft_ms = Some(start.elapsed().as_millis() as u64);
                }
                t.answer.push_str(&text);
            }
            Some(Ok(ChatEvent::Done(d))) => {
                t.stop_reason = Some(d.stop_reason);
                t.input_tokens = Some(d.usage.input_tokens);
                t.output_tokens = Some(d.usage.output_tokens);
                ended = true;
                break;
            }
            Some(Ok(ChatEvent::Error(e))) => {
                t.error = Some(TraceError {
                    code: e.code,
                    message: e.message,
                    retryable: e.retryable,
                });
                ended = true;
                break;
            }
        }
    }
    if !ended {
        t.error = Some(TraceError {
            code: "incomplete_stream".into(),
            message: "the stream ended without `done` or `error`".into(),
            retryable: true,
        });
    }
    t.total_ms = start.elapsed().as_millis() as u64;
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_endpoints_carry_no_credentials() {
        assert_eq!(
            public_url("https://user:pw@x.example/?key=1#f"),
            "https://x.example"
        );
        assert_eq!(
            public_url("http://127.0.0.1:8787/"),
            "http://127.0.0.1:8787"
        );
    }

    #[test]
    fn a_cut_off_last_line_is_asked_again_and_a_bad_middle_line_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("traces")).expect("dir");
        let t = Trace {
            backend: "rag".into(),
            set: "voice".into(),
            id: "voice-1".into(),
            repeat: 0,
            question: "Tea?".into(),
            probe: None,
            style: None,
            expect: crate::items::Expect::Voice,
            http_status: 200,
            answer: "Tea.".into(),
            sources: vec![],
            source_slugs: vec![],
            statuses: vec![],
            error: None,
            stop_reason: Some("end_turn".into()),
            ttft_ms: Some(5),
            total_ms: 9,
            input_tokens: Some(1),
            output_tokens: Some(1),
            coverage: None,
            waited_s: 0,
            fingerprint: Some("c1-p2-b3".into()),
        };
        let line = serde_json::to_string(&t).expect("json");
        let path = trace_path(dir.path(), "rag");
        std::fs::write(&path, format!("{line}\n{}", &line[..line.len() / 2])).expect("write");
        assert_eq!(read_traces(dir.path(), "rag").expect("resumable"), vec![t]);
        std::fs::write(&path, format!("{}\n{line}\n", &line[..10])).expect("write");
        match read_traces(dir.path(), "rag") {
            Err(RunError::BadTrace { line: 1, .. }) => {}
            other => panic!("expected a bad line 1, got {other:?}"),
        }
    }

    #[test]
    fn a_changed_fingerprint_names_what_changed() {
        let a = "c00000001-p00000002-b00000003";
        assert_eq!(changed(Some(a), Some(a)), None);
        assert_eq!(
            changed(None, Some(a)),
            None,
            "an old folder has no fingerprint"
        );
        assert_eq!(changed(Some(a), None), None, "an old worker sends none");
        assert_eq!(
            changed(Some(a), Some("c00000009-p00000002-b00000003")).as_deref(),
            Some("the content (index)")
        );
        assert_eq!(
            changed(Some(a), Some("c00000001-p0000000f-b0000000f")).as_deref(),
            Some(
                "the system prompt (persona or rules) and the backend's settings (model, URL, sampling)"
            )
        );
        let odd = changed(Some(a), Some("something else")).expect("changed");
        assert!(
            odd.starts_with("the fingerprint") && odd.contains("something else"),
            "{odd}"
        );
    }
}
