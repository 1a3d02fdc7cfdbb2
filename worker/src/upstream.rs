//! Talking to a model backend: sending with a deadline (while telling the reader we wait), mapping HTTP
//! failures to error events, and reading the upstream SSE stream into chat events. The SSE framing and
//! the per-protocol decoding live in `twin_shared::upstream`; this is the part that needs `worker::Fetch`.

use crate::clock;
use crate::sink::Sink;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use std::time::Duration;
use twin_shared::upstream::{ProtocolError, SseEvent, Upstream, sse_events};
use twin_shared::{ChatEvent, Done, ErrorCode, Usage};
use wasm_bindgen::JsValue;
use worker::{AbortController, Fetch, Headers, Method, Request, RequestInit, Response};

/// How often a waiting reader hears from us.
pub const STATUS_EVERY: Duration = Duration::from_secs(2);

/// What one send attempt came to.
pub enum Sent {
    /// Headers arrived.
    Response(Response),
    /// The connection failed (refused, reset, DNS).
    Failed(String),
    /// Nothing came back within the time allowed.
    TimedOut,
    /// The reader left while we waited.
    ReaderGone,
}

/// POSTs `body` as JSON to `url`, giving up after `timeout`. Every [`STATUS_EVERY`] while waiting,
/// `tick(elapsed_ms)` runs (to send a status event); it returns false when the reader has gone.
pub async fn send(
    url: &str,
    headers: &Headers,
    body: &str,
    timeout: Duration,
    mut tick: impl FnMut() -> bool,
) -> Sent {
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers.clone())
        .with_body(Some(JsValue::from_str(body)));
    let req = match Request::new_with_init(url, &init) {
        Ok(r) => r,
        Err(e) => return Sent::Failed(e.to_string()),
    };
    let abort = AbortController::default();
    let signal = abort.signal();
    let fetch = Fetch::Request(req);
    let mut fut = Box::pin(fetch.send_with_signal(&signal));
    let deadline = clock::now_ms() + timeout.as_millis() as f64;
    loop {
        let left = deadline - clock::now_ms();
        if left <= 0.0 {
            abort.abort();
            return Sent::TimedOut;
        }
        let wait = STATUS_EVERY.min(Duration::from_millis(left as u64));
        match select(fut, Box::pin(clock::sleep(wait))).await {
            Either::Left((Ok(resp), _)) => return Sent::Response(resp),
            Either::Left((Err(e), _)) => return Sent::Failed(e.to_string()),
            Either::Right((_, pending)) => {
                fut = pending;
                if clock::now_ms() < deadline && !tick() {
                    abort.abort();
                    return Sent::ReaderGone;
                }
            }
        }
    }
}

/// The `Retry-After` header in whole seconds, if given as seconds.
pub fn retry_after(resp: &Response) -> Option<u64> {
    resp.headers()
        .get("retry-after")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok())
}

/// The error event for a non-200 answer from a backend (never quoting its body: it may echo secrets).
pub fn http_error(status: u16, retry_after_s: Option<u64>, backend: &str) -> ChatEvent {
    match status {
        429 => ChatEvent::error(
            ErrorCode::RateLimited,
            format!("{backend} is rate limited; try again shortly"),
            retry_after_s.or(Some(10)),
        ),
        529 => ChatEvent::error(
            ErrorCode::UpstreamOverloaded,
            format!("{backend} is overloaded; try again in a moment"),
            retry_after_s,
        ),
        401 | 403 => ChatEvent::error(
            ErrorCode::UpstreamAuth,
            format!("{backend} refused the worker's credentials"),
            None,
        ),
        400 | 404 | 413 | 422 => ChatEvent::error(
            ErrorCode::UpstreamRejected,
            format!("{backend} rejected the request (HTTP {status})"),
            None,
        ),
        _ => ChatEvent::error(
            ErrorCode::UpstreamError,
            format!("{backend} failed (HTTP {status})"),
            retry_after_s,
        ),
    }
}

/// The error event for a backend that sent nothing within `secs`.
pub fn timed_out(backend: &str, secs: u64) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamTimeout,
        format!("{backend} did not answer within {secs} s"),
        None,
    )
}

/// The error event for a backend whose connection failed.
pub fn unreachable(backend: &str, why: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamUnavailable,
        format!("{backend} is unreachable ({why})"),
        None,
    )
}

/// How reading a stream ended.
pub enum StreamEnd {
    /// The stream finished properly; send this `done`.
    Done(Done),
    /// Send this error event.
    Error(ChatEvent),
    /// The reader went away; send nothing.
    ReaderGone,
}

impl StreamEnd {
    /// The stream's last event; `None` when the reader has gone.
    pub fn into_event(self) -> Option<ChatEvent> {
        match self {
            StreamEnd::Done(d) => Some(ChatEvent::Done(d)),
            StreamEnd::Error(e) => Some(e),
            StreamEnd::ReaderGone => None,
        }
    }
}

/// Reads an upstream SSE body, sending `delta`s as text arrives. `decode` is the protocol's decoder.
pub async fn consume(
    resp: &mut Response,
    sink: &mut Sink,
    idle: Duration,
    backend: &str,
    decode: impl Fn(&SseEvent) -> Result<Vec<Upstream>, ProtocolError>,
) -> StreamEnd {
    let bytes = match resp.stream() {
        Ok(s) => s,
        Err(e) => {
            return StreamEnd::Error(ChatEvent::error(
                ErrorCode::UpstreamError,
                format!("{backend}: no body ({e})"),
                None,
            ));
        }
    };
    let mut events = sse_events(bytes);
    let mut usage = Usage::default();
    let mut stop_reason: Option<String> = None;
    // Whether any visible text reached the reader: a stream that ends without any is an error, not a
    // blank answer.
    let mut said_something = false;
    loop {
        let next = match select(events.next(), Box::pin(clock::sleep(idle))).await {
            Either::Left((next, _)) => next,
            Either::Right(_) => {
                return StreamEnd::Error(ChatEvent::error(
                    ErrorCode::UpstreamTimeout,
                    format!("{backend} went silent for {} s", idle.as_secs()),
                    None,
                ));
            }
        };
        let event = match next {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                return StreamEnd::Error(ChatEvent::error(
                    ErrorCode::UpstreamDropped,
                    format!("{backend}'s answer was cut off ({e})"),
                    None,
                ));
            }
            None => {
                return StreamEnd::Error(ChatEvent::error(
                    ErrorCode::UpstreamDropped,
                    format!("{backend}'s answer ended early"),
                    None,
                ));
            }
        };
        let items = match decode(&event) {
            Ok(items) => items,
            Err(e) => {
                return StreamEnd::Error(ChatEvent::error(
                    ErrorCode::UpstreamProtocol,
                    format!("{backend} sent a malformed stream: {e}"),
                    None,
                ));
            }
        };
        for item in items {
            match item {
                Upstream::Text(text) => {
                    said_something |= !text.trim().is_empty();
                    if !sink.send(&ChatEvent::Delta { text }) {
                        return StreamEnd::ReaderGone;
                    }
                }
                Upstream::Usage { input, output } => {
                    if let Some(i) = input {
                        usage.input_tokens = i;
                    }
                    if let Some(o) = output {
                        usage.output_tokens = o;
                    }
                }
                Upstream::Stop(reason) => stop_reason = Some(reason),
                Upstream::Error { kind, message } => {
                    let overloaded = kind.contains("overloaded");
                    let code = if overloaded {
                        ErrorCode::UpstreamOverloaded
                    } else {
                        ErrorCode::UpstreamError
                    };
                    return StreamEnd::Error(ChatEvent::error(
                        code,
                        format!("{backend}: {message}"),
                        None,
                    ));
                }
                Upstream::End if !said_something => {
                    return StreamEnd::Error(ChatEvent::error(
                        ErrorCode::EmptyAnswer,
                        format!("{backend} ended its answer without saying anything"),
                        None,
                    ));
                }
                Upstream::End => {
                    return StreamEnd::Done(Done {
                        stop_reason: stop_reason.unwrap_or_else(|| "end_turn".into()),
                        usage,
                        ttft_ms: sink.ttft_ms.unwrap_or_else(|| clock::since(sink.started)),
                        total_ms: clock::since(sink.started),
                    });
                }
            }
        }
    }
}
