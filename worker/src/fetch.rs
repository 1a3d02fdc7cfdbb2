//! The transport to a model backend: sending with a deadline (while telling the reader we wait) and
//! reading its SSE stream with an idle timeout. What the bytes mean (decoding, errors, when an answer is
//! done) is `twin_upstream`'s; this is the part that needs `worker::Fetch`.

use crate::clock;
use crate::sink::Sink;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use std::time::Duration;
use twin_shared::sse::{bounded_lines, sse_events};
use twin_shared::{ChatEvent, Done};
use twin_upstream::{Answer, Provider, Step, errors};
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
/// `tick()` runs (to send a status event, or to check the reader is still there); it returns false
/// when the reader has gone.
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

/// Reads an upstream SSE body in `provider`'s protocol, sending `delta`s as text arrives and then the
/// stream's last event, `done` or `error`, here where it is built (nothing when the reader has gone).
/// The stream fails if it goes silent for `idle`, if the answer runs past `deadline_ms` after the
/// request arrived, or if a line grows past [`twin_shared::sse::MAX_LINE_BYTES`].
pub async fn consume(
    resp: &mut Response,
    sink: &mut Sink,
    idle: Duration,
    deadline_s: u64,
    backend: &str,
    provider: Provider,
) {
    let bytes = match resp.stream() {
        Ok(s) => s,
        Err(e) => return fail(sink, errors::no_body(backend), &e.to_string()),
    };
    let mut events = sse_events(bounded_lines(bytes, |e| {
        worker::Error::RustError(e.to_string())
    }));
    let mut answer = Answer::default();
    let deadline = sink.started + (deadline_s * 1000) as f64;
    loop {
        let left = deadline - clock::now_ms();
        if left <= 0.0 {
            return fail(
                sink,
                errors::too_slow(backend, deadline_s),
                "answer deadline",
            );
        }
        let wait = idle.min(Duration::from_millis(left as u64));
        let next = match select(events.next(), Box::pin(clock::sleep(wait))).await {
            Either::Left((next, _)) => next,
            Either::Right(_) if wait < idle => {
                return fail(
                    sink,
                    errors::too_slow(backend, deadline_s),
                    "answer deadline",
                );
            }
            Either::Right(_) => {
                return fail(sink, errors::went_silent(backend, idle.as_secs()), "");
            }
        };
        let event = match next {
            Some(Ok(ev)) => ev,
            Some(Err(e)) => return fail(sink, errors::cut_off(backend), &e.to_string()),
            None => return fail(sink, errors::ended_early(backend), ""),
        };
        let items = match provider.decode(&event) {
            Ok(items) => items,
            Err(e) => return fail(sink, errors::malformed(backend), &e.to_string()),
        };
        for item in items {
            match answer.feed(item, backend) {
                Step::Delta(text) => {
                    if !sink.send(&ChatEvent::Delta { text }) {
                        return;
                    }
                }
                Step::Continue => {}
                Step::Failed { event, detail } => return fail(sink, event, &detail),
                Step::Finished { stop_reason, usage } => {
                    let done = Done {
                        stop_reason,
                        usage,
                        ttft_ms: sink.ttft_ms.unwrap_or_else(|| clock::since(sink.started)),
                        total_ms: clock::since(sink.started),
                        signature: sink.signature(),
                        trace: sink.trace.clone(),
                        cached: false,
                        made_at_ms: None,
                    };
                    sink.send(&ChatEvent::Done(done));
                    return;
                }
            }
        }
    }
}

/// Sends a stream's `error` event (its last), a fixed message for the reader; `detail`, what the
/// backend or the network said, goes to the worker's log only.
pub fn fail(sink: &mut Sink, error: ChatEvent, detail: &str) {
    if let ChatEvent::Error(e) = &error {
        worker::console_error!("answer failed: {} ({}) {detail}", e.code, e.message);
    }
    sink.send(&error);
}
