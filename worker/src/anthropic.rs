//! The Anthropic Messages backend: one streamed request (no retries: once text has reached the reader a
//! retry would repeat it), the static system prompt marked for prompt caching.

use crate::config::Backend;
use crate::sink::Sink;
use crate::upstream::{self, Sent};
use serde_json::{Value, json};
use std::time::Duration;
use twin_shared::{ChatEvent, ChatMessage, Role};
use worker::Headers;

/// The API version header value.
const VERSION: &str = "2023-06-01";

/// The request body: system prompt (cacheable), prior turns, the reader's turn with passages.
pub fn body(backend: &Backend, system: &str, turns: &[ChatMessage], last_user: &str) -> Value {
    let mut messages: Vec<Value> = turns
        .iter()
        .map(|m| json!({"role": role(m.role), "content": m.content}))
        .collect();
    messages.push(json!({"role": "user", "content": last_user}));
    let mut body = json!({
        "model": backend.model,
        "max_tokens": backend.max_tokens,
        "stream": true,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "messages": messages,
    });
    if let Some(t) = backend.temperature {
        body["temperature"] = json!(t);
    }
    if !backend.stop.is_empty() {
        body["stop_sequences"] = json!(backend.stop);
    }
    body
}

fn role(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

/// Streams one answer into `sink`, ending with `done` or `error`.
pub async fn run(
    backend: &Backend,
    key: Option<&str>,
    body: &Value,
    sink: &mut Sink,
) -> Option<ChatEvent> {
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set("anthropic-version", VERSION);
    if let Some(k) = key {
        let _ = headers.set("x-api-key", k);
    }
    let timeout = Duration::from_secs(backend.first_byte_timeout_s);
    let sent = upstream::send(
        &backend.endpoint(),
        &headers,
        &body.to_string(),
        timeout,
        || sink.open(),
    )
    .await;
    let mut resp = match sent {
        Sent::Response(r) => r,
        Sent::ReaderGone => return None,
        Sent::TimedOut => {
            return Some(upstream::timed_out(
                &backend.label,
                backend.first_byte_timeout_s,
            ));
        }
        Sent::Failed(e) => return Some(upstream::unreachable(&backend.label, &e)),
    };
    if resp.status_code() != 200 {
        return Some(upstream::http_error(
            resp.status_code(),
            upstream::retry_after(&resp),
            &backend.label,
        ));
    }
    let idle = Duration::from_secs(backend.idle_timeout_s);
    upstream::consume(&mut resp, sink, idle, &backend.label, |ev| {
        twin_shared::upstream::anthropic::decode(&ev.event, &ev.data)
    })
    .await
    .into_event()
}
