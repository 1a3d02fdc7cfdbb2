//! The fault-injecting stand-in: an HTTP server speaking the Anthropic Messages and OpenAI chat
//! completions protocols, healthy or broken on demand. It is a stand-in, not a model: its answer says so.
//!
//! Paths: `POST [/fault/<name>]/v1/messages`, `POST [/fault/<name>]/v1/chat/completions`,
//! `GET /result/<id>` (after a 303), `GET /health`. Fault names: see [`Fault`].

mod answer;
mod anthropic;
mod fault;
mod openai;

pub use fault::{
    AnswerStyle, Fault, MAX_SEQUENCE, NO_FIRST_BYTE_HOLD, sequence_checksum, sequence_deltas,
};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Pause between streamed deltas, like a small model decoding.
const DELTA_INTERVAL: Duration = Duration::from_millis(15);
/// Pause between deltas of a `trickle` answer: never silent long enough for an idle timeout.
const TRICKLE_INTERVAL: Duration = Duration::from_millis(500);
/// Deltas of a `trickle` answer (two minutes of it).
const TRICKLE_DELTAS: usize = 240;
/// Deltas sent before a mid-stream fault strikes.
const DELTAS_BEFORE_FAULT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Anthropic,
    OpenAi,
}

/// Requests the stand-in keeps for [`StandIn::received`], the newest.
const KEEP_RECEIVED: usize = 256;

#[derive(Default)]
struct Shared {
    /// The JSON bodies of the newest model requests, oldest first.
    received: Mutex<std::collections::VecDeque<Value>>,
    /// Every model request so far (not capped like `received`).
    requests: std::sync::atomic::AtomicU64,
    /// First request time per cold-start path, so each path wakes once.
    woke: Mutex<HashMap<String, Instant>>,
    /// Whether the faults have healed: every fault path then answers as a healthy one.
    healed: std::sync::atomic::AtomicBool,
    /// Requests parked behind a 303, by id.
    results: Mutex<HashMap<u64, (Protocol, Value)>>,
    next_id: Mutex<u64>,
}

/// A running stand-in on a loopback port; stopped on drop.
pub struct StandIn {
    port: u16,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StandIn {
    /// Starts a stand-in on a free port, answering at once.
    pub fn start() -> std::io::Result<StandIn> {
        Self::start_on(0, Duration::ZERO)
    }

    /// Starts a stand-in on `port` (0: any free one) that refuses connections for `refuse_for` first,
    /// as a scale-to-zero host does before its container is up.
    pub fn start_on(port: u16, refuse_for: Duration) -> std::io::Result<StandIn> {
        let port = if port == 0 { crate::free_port()? } else { port };
        let early = if refuse_for.is_zero() {
            Some(StdListener::bind(("127.0.0.1", port))?)
        } else {
            None
        };
        let (tx, rx) = oneshot::channel::<()>();
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("stand-in-{port}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => return eprintln!("stand-in: no runtime: {e}"),
                };
                rt.block_on(serve(port, early, refuse_for, rx, state));
            })?;
        Ok(StandIn {
            port,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: a healthy base URL.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The base URL that plays `fault` (a name from [`Fault::NAMES`]).
    pub fn fault_url(&self, fault: &str) -> String {
        format!("{}/fault/{fault}", self.base_url())
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Heals every fault (`true`: each fault path answers as a healthy one) or brings them back, so a
    /// test can show that a backend which failed is served again once its upstream recovers.
    pub fn heal(&self, healed: bool) {
        self.shared
            .healed
            .store(healed, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many model requests it has received since it started: a count that shows whether a
    /// caller asked a model at all.
    pub fn requests(&self) -> u64 {
        self.shared
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The JSON bodies of the newest model requests it received (up to 256), oldest first: what a
    /// caller really sent upstream, for tests to assert on.
    pub fn received(&self) -> Vec<Value> {
        self.shared
            .received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn serve(
    port: u16,
    early: Option<StdListener>,
    refuse_for: Duration,
    mut stop: oneshot::Receiver<()>,
    shared: Arc<Shared>,
) {
    let listener = match early {
        Some(l) => l,
        None => {
            tokio::select! {
                _ = tokio::time::sleep(refuse_for) => {}
                _ = &mut stop => return,
            }
            match StdListener::bind(("127.0.0.1", port)) {
                Ok(l) => l,
                Err(e) => return eprintln!("stand-in: cannot bind {port}: {e}"),
            }
        }
    };
    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listener))
    {
        Ok(l) => l,
        Err(e) => return eprintln!("stand-in: {e}"),
    };
    let app = Router::new()
        .route(
            "/health",
            get(|| async { json_response(200, &json!({"status": "ok", "stand_in": true}), &[]) }),
        )
        .route("/result/{id}", get(result))
        .fallback(handle)
        .with_state(shared);
    let _ = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.await;
        })
        .await;
}

fn json_response(status: u16, body: &Value, headers: &[(&str, String)]) -> Response {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    for (k, v) in headers {
        b = b.header(*k, v);
    }
    b.body(Body::from(body.to_string())).unwrap_or_default()
}

fn error(protocol: Protocol, status: u16, message: &str, headers: &[(&str, String)]) -> Response {
    let body = match protocol {
        Protocol::Anthropic => anthropic::error_body(status, message),
        Protocol::OpenAi => openai::error_body(status, message),
    };
    json_response(status, &body, headers)
}

/// Splits `[/fault/<name>]/v1/<endpoint>` into the fault and the protocol.
fn route(path: &str) -> Result<(Fault, Protocol, String), String> {
    let (fault, rest) = match path.strip_prefix("/fault/") {
        Some(r) => {
            let (name, rest) = r.split_once('/').unwrap_or((r, ""));
            let f = Fault::parse(name).ok_or_else(|| {
                format!("unknown fault `{name}`; known: {}", Fault::NAMES.join(", "))
            })?;
            (f, format!("/{rest}"))
        }
        None => (Fault::None, path.to_string()),
    };
    let protocol = match rest.as_str() {
        "/v1/messages" => Protocol::Anthropic,
        "/v1/chat/completions" => Protocol::OpenAi,
        _ => {
            return Err(format!(
                "no endpoint at {path}; use /v1/messages or /v1/chat/completions"
            ));
        }
    };
    Ok((fault, protocol, path.to_string()))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fault, protocol, key) = match route(uri.path()) {
        Ok(r) => r,
        Err(m) => {
            return json_response(
                404,
                &json!({"error": {"type": "not_found_error", "message": m}}),
                &[],
            );
        }
    };
    let fault = if shared.healed.load(std::sync::atomic::Ordering::SeqCst) {
        Fault::None
    } else {
        fault
    };
    if method != Method::POST {
        return error(protocol, 405, "use POST", &[("allow", "POST".into())]);
    }
    if protocol == Protocol::Anthropic
        && let Err((status, m)) = anthropic::validate_headers(&headers)
    {
        return error(protocol, status, &m, &[]);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(protocol, 400, "request body is not valid JSON", &[]);
    };
    {
        let mut received = shared.received.lock().unwrap_or_else(|p| p.into_inner());
        if received.len() == KEEP_RECEIVED {
            received.pop_front();
        }
        received.push_back(body.clone());
        shared
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    let valid = match protocol {
        Protocol::Anthropic => anthropic::validate(&body),
        Protocol::OpenAi => openai::validate(&body),
    };
    if let Err((status, m)) = valid {
        return error(protocol, status, &m, &[]);
    }
    match fault {
        Fault::RateLimited { retry_after_s } => error(
            protocol,
            429,
            "rate limited (stand-in)",
            &[("retry-after", retry_after_s.to_string())],
        ),
        Fault::RateLimitedBare => error(protocol, 429, "rate limited (stand-in)", &[]),
        Fault::SlowFirstByte { secs } => {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            answer(protocol, &body, Fault::None)
        }
        Fault::ServerError => error(protocol, 500, "internal server error (stand-in)", &[]),
        Fault::Overloaded => error(protocol, 529, "Overloaded (stand-in)", &[]),
        Fault::ColdStart { secs } => {
            let first = *shared
                .woke
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(key)
                .or_insert_with(Instant::now);
            if first.elapsed() < Duration::from_secs(secs) {
                error(
                    protocol,
                    503,
                    "the GPU is waking up (stand-in)",
                    &[("retry-after", "1".into())],
                )
            } else {
                answer(protocol, &body, Fault::None)
            }
        }
        Fault::NoFirstByte => {
            tokio::time::sleep(NO_FIRST_BYTE_HOLD).await;
            error(protocol, 504, "gave up holding the request (stand-in)", &[])
        }
        Fault::Redirect303 => {
            let id = {
                let mut n = shared.next_id.lock().unwrap_or_else(|p| p.into_inner());
                *n += 1;
                *n
            };
            shared
                .results
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id, (protocol, body));
            Response::builder()
                .status(StatusCode::SEE_OTHER)
                .header("location", format!("/result/{id}"))
                .body(Body::empty())
                .unwrap_or_default()
        }
        other => answer(protocol, &body, other),
    }
}

/// `GET /result/<id>`: the answer parked behind a 303 (each result can be fetched once).
async fn result(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    let parked = shared
        .results
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    match parked {
        Some((protocol, body)) => answer(protocol, &body, Fault::None),
        None => json_response(
            404,
            &json!({"error": {"type": "not_found_error", "message": "no such result"}}),
            &[],
        ),
    }
}

/// A streamed (or, with `"stream": false`, whole) answer, with a stream fault applied.
fn answer(protocol: Protocol, body: &Value, fault: Fault) -> Response {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("stand-in")
        .to_string();
    let user = answer::last_user_text(body);
    let deltas = match fault {
        Fault::Trickle => vec![" drip".to_string(); TRICKLE_DELTAS],
        Fault::Answer(AnswerStyle::Long) => {
            answer::long_deltas(body["max_tokens"].as_u64().unwrap_or(600))
        }
        Fault::Answer(style) => answer::styled_deltas(style, &user),
        Fault::Sequence { deltas } => sequence_deltas(deltas),
        _ => answer::answer_deltas(&user),
    };
    let input_tokens = answer::approx_tokens(body);
    let output_tokens = deltas.concat().split_whitespace().count() as u64;
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        let text = deltas.concat();
        let full = match protocol {
            Protocol::Anthropic => anthropic::message(&model, &text, input_tokens, output_tokens),
            Protocol::OpenAi => openai::completion(&model, &text, input_tokens, output_tokens),
        };
        return json_response(200, &full, &[]);
    }
    let cut = fault == Fault::CutOff;
    let (head, mut middle, tail): (Vec<String>, Vec<String>, Vec<String>) = match protocol {
        Protocol::Anthropic => (
            anthropic::head(&model, input_tokens),
            deltas.iter().map(|d| anthropic::delta(d)).collect(),
            anthropic::tail(output_tokens, if cut { "max_tokens" } else { "end_turn" }),
        ),
        Protocol::OpenAi => (
            openai::head(&model),
            deltas.iter().map(|d| openai::delta(&model, d)).collect(),
            openai::tail(
                &model,
                (body["stream_options"]["include_usage"] == true)
                    .then_some((input_tokens, output_tokens)),
                if cut { "length" } else { "stop" },
            ),
        ),
    };
    let mut frames: Vec<Result<String, ()>> = head.into_iter().map(Ok).collect();
    match fault {
        Fault::OverloadedMidStream => {
            middle.truncate(DELTAS_BEFORE_FAULT);
            frames.extend(middle.into_iter().map(Ok));
            frames.push(Ok(match protocol {
                Protocol::Anthropic => anthropic::overloaded_event(),
                Protocol::OpenAi => openai::overloaded_event(),
            }));
        }
        Fault::DropMidStream => {
            middle.truncate(DELTAS_BEFORE_FAULT);
            frames.extend(middle.into_iter().map(Ok));
            frames.push(Err(()));
        }
        Fault::EmptyAnswer => frames.extend(tail.into_iter().map(Ok)),
        Fault::Malformed => {
            frames.push(Ok("data: {\"type\": \"content_block_delta\", \"delta\": {\"text\": \"unterminated\n\n".into()));
            frames.push(Ok(
                "event: content_block_delta\ndata: not json at all\n\n".into()
            ));
            frames.push(Ok("data: {\"choices\": \"should be an array\"}\n\n".into()));
            frames.push(Ok(":: \u{0}\u{7} garbage without a field\n\n".into()));
        }
        Fault::UnknownEvents => {
            let unknown = match protocol {
                Protocol::Anthropic => anthropic::unknown_event(),
                Protocol::OpenAi => openai::unknown_event(),
            };
            for (i, d) in middle.into_iter().enumerate() {
                if i % 3 == 1 {
                    frames.push(Ok(unknown.clone()));
                }
                frames.push(Ok(d));
            }
            frames.extend(tail.into_iter().map(Ok));
        }
        _ => {
            frames.extend(middle.into_iter().map(Ok));
            frames.extend(tail.into_iter().map(Ok));
        }
    }
    let interval = match fault {
        Fault::Trickle => TRICKLE_INTERVAL,
        Fault::Sequence { .. } => Duration::ZERO,
        _ => DELTA_INTERVAL,
    };
    sse_response(frames, interval)
}

/// Streams frames one at a time, pausing between them; an `Err` frame cuts the connection.
fn sse_response(frames: Vec<Result<String, ()>>, interval: Duration) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        for f in frames {
            let item = f
                .map(Bytes::from)
                .map_err(|()| std::io::Error::other("stand-in dropped the connection"));
            let cut = item.is_err();
            if tx.send(item).await.is_err() || cut {
                return;
            }
            tokio::time::sleep(interval).await;
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

#[cfg(test)]
mod independence {
    /// The stand-in checks the worker's protocol clients, so it must not be built from them: no file of
    /// it uses `twin_upstream` (the clients) or `twin_shared` (the worker's contract).
    #[test]
    fn the_stand_in_shares_no_code_with_the_clients_it_checks() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/stand_in");
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).expect("stand_in folder") {
            let path = entry.expect("entry").path();
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            files += 1;
            // Spelt in two pieces so this file does not name them itself.
            for client in [["twin", "_upstream"].concat(), ["twin", "_shared"].concat()] {
                let uses = text
                    .lines()
                    .any(|l| l.contains(&client) && !l.trim_start().starts_with("///"));
                assert!(!uses, "{} uses {client}", path.display());
            }
        }
        assert!(files >= 4, "read {files} files of the stand-in");
    }
}
