//! The Anthropic Messages API: the request (the static system prompt marked for prompt caching), its
//! headers, and the stream: `message_start`, `content_block_*`, `message_delta` (cumulative usage, stop
//! reason), `message_stop`; `ping` anywhere; `error` mid-stream; unknown event types ignored.

use crate::{Backend, ProtocolError, Upstream};
use serde_json::{Value, json};
use twin_shared::ChatMessage;

/// The endpoint's path under the base URL.
pub const PATH: &str = "v1/messages";
/// The API version header value.
pub const VERSION: &str = "2023-06-01";

/// The version header, and the key when there is one (a local server needs none).
pub fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut h = vec![("anthropic-version", VERSION.to_string())];
    if let Some(k) = key {
        h.push(("x-api-key", k.to_string()));
    }
    h
}

/// The streaming request: system prompt (cacheable), earlier turns, the reader's turn.
pub fn stream_body(
    backend: &Backend,
    system: &str,
    turns: &[ChatMessage],
    last_user: &str,
) -> Value {
    let mut messages: Vec<Value> = turns.iter().map(crate::turn_json).collect();
    messages.push(json!({"role": "user", "content": last_user}));
    let mut body = json!({
        "model": backend.model,
        "max_tokens": backend.max_tokens,
        "stream": true,
        "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
        "messages": messages,
    });
    crate::sampling(&mut body, backend, "stop_sequences");
    body
}

/// A one-shot request: an optional system prompt and one user message, not streamed.
pub fn one_shot_body(model: &str, max_tokens: u32, system: Option<&str>, prompt: &str) -> Value {
    let mut body = json!({"model": model, "max_tokens": max_tokens,
                          "messages": [{"role": "user", "content": prompt}]});
    if let Some(s) = system {
        body["system"] = json!(s);
    }
    body
}

/// The text of a one-shot reply (its first content block).
pub fn reply_text(reply: &Value) -> Option<&str> {
    reply["content"][0]["text"].as_str()
}

/// All the prompt's tokens: `input_tokens` leaves out those read from or written to the prompt cache
/// (Anthropic, and llama-server when it reuses a cached prefix), which are still read and billed.
fn prompt_tokens(usage: &Value) -> Option<u64> {
    let uncached = usage["input_tokens"].as_u64()?;
    let read = usage["cache_read_input_tokens"].as_u64().unwrap_or(0);
    let written = usage["cache_creation_input_tokens"].as_u64().unwrap_or(0);
    Some(uncached.saturating_add(read).saturating_add(written))
}

/// Interprets one event. Unknown and uninteresting events give an empty list.
pub fn decode(event: &str, data: &str) -> Result<Vec<Upstream>, ProtocolError> {
    let known = matches!(
        event,
        "message_start"
            | "content_block_start"
            | "content_block_delta"
            | "content_block_stop"
            | "message_delta"
            | "message_stop"
            | "error"
            | "ping"
    );
    if !known {
        return Ok(Vec::new());
    }
    let bad = |detail: &str| ProtocolError {
        protocol: "anthropic",
        event: event.to_string(),
        detail: detail.to_string(),
    };
    let v: Value =
        serde_json::from_str(data).map_err(|e| bad(&format!("data is not JSON ({e})")))?;
    Ok(match event {
        "message_start" => {
            let usage = &v["message"]["usage"];
            vec![Upstream::Usage {
                input: prompt_tokens(usage),
                output: usage["output_tokens"].as_u64(),
            }]
        }
        "content_block_delta" => match v["delta"]["type"].as_str() {
            Some("text_delta") => {
                let text = v["delta"]["text"]
                    .as_str()
                    .ok_or_else(|| bad("text_delta without text"))?;
                vec![Upstream::Text(text.to_string())]
            }
            // Tool input, thinking and future delta types carry no answer text.
            Some(_) => Vec::new(),
            None => return Err(bad("delta without a type")),
        },
        "message_delta" => {
            let mut out = Vec::new();
            if let Some(reason) = v["delta"]["stop_reason"].as_str() {
                out.push(Upstream::Stop(reason.to_string()));
            }
            let usage = &v["usage"];
            if usage.is_object() {
                out.push(Upstream::Usage {
                    input: prompt_tokens(usage),
                    output: usage["output_tokens"].as_u64(),
                });
            }
            out
        }
        "message_stop" => vec![Upstream::End],
        "error" => vec![Upstream::Error {
            kind: v["error"]["type"].as_str().unwrap_or("error").to_string(),
            message: v["error"]["message"]
                .as_str()
                .unwrap_or("upstream error")
                .to_string(),
        }],
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_prompt_tokens_count_as_input() {
        let start = r#"{"message":{"usage":{"input_tokens":1,"cache_read_input_tokens":300,"cache_creation_input_tokens":5,"output_tokens":0}}}"#;
        assert_eq!(
            decode("message_start", start).expect("decodes"),
            [Upstream::Usage {
                input: Some(306),
                output: Some(0)
            }]
        );
        let delta = r#"{"delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#;
        assert_eq!(
            decode("message_delta", delta).expect("decodes")[1],
            Upstream::Usage {
                input: None,
                output: Some(9)
            }
        );
    }

    #[test]
    fn the_request_caches_the_system_prompt_and_sends_options_only_when_set() {
        let b: Backend = serde_json::from_str(
            r#"{"id":"r","label":"R","provider":"anthropic","base_url":"h","model":"claude","stop":["<"]}"#,
        )
        .expect("backend");
        let turns = [ChatMessage::assistant("earlier", None)];
        let v = stream_body(&b, "SYS", &turns, "Q");
        assert_eq!(v["system"][0]["cache_control"]["type"], "ephemeral");
        assert_eq!(v["messages"][0]["role"], "assistant");
        assert_eq!(v["messages"][1]["content"], "Q");
        assert_eq!(v["stop_sequences"][0], "<");
        assert!(
            v.get("temperature").is_none(),
            "newer Haiku models reject it"
        );
        let warm = Backend {
            temperature: Some(0.5),
            ..b.clone()
        };
        let t = stream_body(&warm, "SYS", &[], "Q")["temperature"].as_f64();
        assert!(t.is_some_and(|t| (t - 0.5).abs() < 1e-6), "{t:?}");
        assert_eq!(headers(None), [("anthropic-version", VERSION.to_string())]);
        assert_eq!(headers(Some("k"))[1], ("x-api-key", "k".to_string()));
        let reply = json!({"content": [{"type": "text", "text": "hi"}]});
        assert_eq!(reply_text(&reply), Some("hi"));
        let one = one_shot_body("m", 9, Some("RUBRIC"), "P");
        assert_eq!(
            (one["system"].as_str(), one["max_tokens"].as_u64()),
            (Some("RUBRIC"), Some(9))
        );
        assert_eq!(one["messages"][0]["content"], "P");
        assert!(one_shot_body("m", 9, None, "P").get("system").is_none());
    }

    #[test]
    fn decodes_the_events_that_matter() {
        assert_eq!(
            decode(
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#
            ),
            Ok(vec![Upstream::Text("Hi".into())])
        );
        assert_eq!(
            decode(
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"#
            ),
            Ok(vec![
                Upstream::Stop("end_turn".into()),
                Upstream::Usage {
                    input: None,
                    output: Some(9)
                }
            ])
        );
        assert_eq!(
            decode(
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            Ok(vec![Upstream::Error {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            }])
        );
        assert_eq!(
            decode("message_stop", r#"{"type":"message_stop"}"#),
            Ok(vec![Upstream::End])
        );
        assert_eq!(decode("ping", r#"{"type":"ping"}"#), Ok(vec![]));
        assert_eq!(decode("brand_new_event", "not even json"), Ok(vec![]));
        assert!(decode("content_block_delta", "not json").is_err());
    }
}
