//! One answer from a backend, whatever its protocol: headers and endpoint from `twin_upstream`, one
//! attempt with a first-byte timeout, or, for a scale-to-zero service, attempts until its wake deadline.
//! While a cold service wakes (refused connections, 502/503/504, a first byte that does not come) the
//! reader gets `status` events with the elapsed time; past the deadline the error is retryable. No
//! retry once a stream has started: text already sent would be repeated. A 303 to a result URL (Modal
//! past its 150 s limit) is followed by the fetch itself.

use crate::clock;
use crate::config::Backend;
use crate::fetch::{self, Sent, fail};
use crate::sink::Sink;
use serde_json::Value;
use std::time::Duration;
use twin_shared::{ChatEvent, Status};
use twin_upstream::errors;
use worker::Headers;

/// Whether a failed fetch is a host that is there but not listening yet (a refused, lost or reset
/// connection: what a scale-to-zero host does while its container starts). Anything else, such as a
/// name that does not resolve or a TLS failure (workerd reports both as an opaque "internal error"),
/// will not change by waiting: it is the backend's configuration.
pub fn is_waking_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "network connection lost",
        "connection refused",
        "econnrefused",
        "connection reset",
        "econnreset",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// Longest pause between wake attempts, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

fn waking(sink: &mut Sink, started: f64, backend: &Backend) -> bool {
    let elapsed_ms = clock::since(started);
    sink.send(&ChatEvent::Status(Status {
        phase: "waking".into(),
        elapsed_ms,
        message: format!(
            "Waking {} ({} s so far; a cold start takes about a minute)",
            backend.label,
            elapsed_ms / 1000
        ),
    }))
}

/// Streams one answer to `body` into `sink`, ending with `done` or `error` (sent where each is built;
/// nothing more once the reader has gone).
pub async fn stream(backend: &Backend, key: Option<&str>, body: &Value, sink: &mut Sink) {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    for (name, value) in backend.provider.headers(key) {
        let _ = headers.set(name, &value);
    }
    let started = clock::now_ms();
    let deadline_ms = backend.wake_deadline_s * 1000;
    let body = body.to_string();
    loop {
        let left = deadline_ms.saturating_sub(clock::since(started));
        let limit = if backend.cold_start {
            left
        } else {
            backend.first_byte_timeout_s * 1000
        };
        let sent = fetch::send(
            &backend.endpoint(),
            &headers,
            &body,
            Duration::from_millis(limit),
            // While waiting: a waking service tells the reader; any other notices a reader who left.
            || {
                if backend.cold_start {
                    waking(sink, started, backend)
                } else {
                    sink.open()
                }
            },
        )
        .await;
        let pause = match sent {
            Sent::ReaderGone => return,
            Sent::Response(mut resp) => match resp.status_code() {
                200 => {
                    let idle = Duration::from_secs(backend.idle_timeout_s);
                    let deadline = backend.answer_deadline_s;
                    let (label, provider) = (&backend.label, backend.provider);
                    fetch::consume(&mut resp, sink, idle, deadline, label, provider).await;
                    return;
                }
                502..=504 if backend.cold_start => {
                    fetch::retry_after(&resp).map(Duration::from_secs)
                }
                status => {
                    let error =
                        errors::http_error(status, fetch::retry_after(&resp), &backend.label);
                    return fail(sink, error, &format!("HTTP {status}"));
                }
            },
            Sent::Failed(e) if backend.cold_start && is_waking_failure(&e) => {
                worker::console_log!("{}: not awake yet ({e})", backend.id);
                None
            }
            // A host that does not resolve, or whose TLS fails, is not a GPU waking up: it never will.
            Sent::Failed(e) if backend.cold_start => {
                return fail(sink, errors::misconfigured(&backend.label), &e);
            }
            Sent::TimedOut if backend.cold_start => None,
            Sent::Failed(e) => return fail(sink, errors::unreachable(&backend.label), &e),
            Sent::TimedOut => {
                let error = errors::timed_out(&backend.label, backend.first_byte_timeout_s);
                return fail(sink, error, "");
            }
        };
        if clock::since(started) >= deadline_ms {
            let error = errors::did_not_wake(&backend.label, backend.wake_deadline_s);
            return fail(sink, error, "");
        }
        if !waking(sink, started, backend) {
            return;
        }
        clock::sleep(
            pause
                .unwrap_or(Duration::from_secs(1))
                .clamp(Duration::from_millis(500), MAX_BACKOFF),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::is_waking_failure;

    #[test]
    fn only_a_host_not_listening_yet_counts_as_waking() {
        // What workerd's fetch rejects with (seen under wrangler dev): a refused connection, and a
        // name that does not resolve.
        assert!(is_waking_failure("Error: Network connection lost."));
        assert!(is_waking_failure("connect ECONNREFUSED 127.0.0.1:9"));
        assert!(!is_waking_failure(
            "Error: internal error; reference = paqnuba4jbfg49nbe12lugtn"
        ));
        assert!(!is_waking_failure("TLS peer's certificate is not trusted"));
    }
}
