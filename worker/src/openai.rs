//! The OpenAI-compatible backend (vLLM on a scale-to-zero GPU). While the service is cold (refused
//! connections, 502/503/504, a first byte that does not come) the reader gets `status` events with the
//! elapsed time, and the worker retries until the backend's wake deadline, then fails retryably. A 303
//! to a result URL (Modal past its 150 s limit) is followed by the fetch itself.

use crate::clock;
use crate::config::Backend;
use crate::sink::Sink;
use crate::upstream::{self, Sent};
use serde_json::{Value, json};
use std::time::Duration;
use twin_shared::{ChatEvent, ChatMessage, ErrorCode, Role, Status};
use worker::Headers;

/// Longest pause between wake attempts, whatever `Retry-After` says.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The request body: system prompt, prior turns, the reader's turn.
pub fn body(backend: &Backend, system: &str, turns: &[ChatMessage], last_user: &str) -> Value {
    let mut messages = vec![json!({"role": "system", "content": system})];
    messages.extend(turns.iter().map(|m| {
        json!({"role": match m.role { Role::User => "user", Role::Assistant => "assistant" }, "content": m.content})
    }));
    messages.push(json!({"role": "user", "content": last_user}));
    let mut body = json!({
        "model": backend.model,
        "max_tokens": backend.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages,
    });
    if let Some(t) = backend.temperature {
        body["temperature"] = json!(t);
    }
    if !backend.stop.is_empty() {
        body["stop"] = json!(backend.stop);
    }
    body
}

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

/// Streams one answer into `sink`, waking the service first if it is cold.
pub async fn run(
    backend: &Backend,
    token: Option<&str>,
    body: &Value,
    sink: &mut Sink,
) -> Option<ChatEvent> {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if let Some(t) = token {
        let _ = headers.set("authorization", &format!("Bearer {t}"));
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
        let sent = upstream::send(
            &backend.endpoint(),
            &headers,
            &body,
            Duration::from_millis(limit),
            || !backend.cold_start || waking(sink, started, backend),
        )
        .await;
        let pause = match sent {
            Sent::ReaderGone => return None,
            Sent::Response(mut resp) => match resp.status_code() {
                200 => {
                    let idle = Duration::from_secs(backend.idle_timeout_s);
                    let outcome = upstream::consume(&mut resp, sink, idle, &backend.label, |ev| {
                        twin_shared::upstream::openai::decode(&ev.data)
                    })
                    .await;
                    return outcome.into_event();
                }
                502..=504 if backend.cold_start => {
                    upstream::retry_after(&resp).map(Duration::from_secs)
                }
                status => {
                    return Some(upstream::http_error(
                        status,
                        upstream::retry_after(&resp),
                        &backend.label,
                    ));
                }
            },
            Sent::Failed(_) | Sent::TimedOut if backend.cold_start => None,
            Sent::Failed(e) => return Some(upstream::unreachable(&backend.label, &e)),
            Sent::TimedOut => {
                return Some(upstream::timed_out(
                    &backend.label,
                    backend.first_byte_timeout_s,
                ));
            }
        };
        if clock::since(started) >= deadline_ms {
            return Some(ChatEvent::error(
                ErrorCode::GpuUnavailable,
                format!(
                    "{} did not wake within {} s; try again in a minute",
                    backend.label, backend.wake_deadline_s
                ),
                Some(30),
            ));
        }
        if !waking(sink, started, backend) {
            return None;
        }
        clock::sleep(
            pause
                .unwrap_or(Duration::from_secs(1))
                .clamp(Duration::from_millis(500), MAX_BACKOFF),
        )
        .await;
    }
}
