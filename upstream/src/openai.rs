//! OpenAI-compatible chat completions (vLLM, llama.cpp): the request, its bearer header, and the
//! stream: `data: {chunk}` lines with `choices[0].delta.content` and a `finish_reason`, optional `usage`,
//! ending with `data: [DONE]`; an `{"error": ...}` object mid-stream.

use crate::{Backend, ProtocolError, Upstream};
use serde_json::{Value, json};
use twin_shared::ChatMessage;

/// The endpoint's path under the base URL.
pub const PATH: &str = "v1/chat/completions";

/// The bearer token when there is one.
pub fn headers(token: Option<&str>) -> Vec<(&'static str, String)> {
    token
        .map(|t| ("authorization", format!("Bearer {t}")))
        .into_iter()
        .collect()
}

/// The streaming request: system prompt, earlier turns, the reader's turn, usage in the stream.
pub fn stream_body(
    backend: &Backend,
    system: &str,
    turns: &[ChatMessage],
    last_user: &str,
) -> Value {
    let mut messages = vec![json!({"role": "system", "content": system})];
    messages.extend(turns.iter().map(crate::turn_json));
    messages.push(json!({"role": "user", "content": last_user}));
    let mut body = json!({
        "model": backend.model,
        "max_tokens": backend.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": messages,
    });
    crate::sampling(&mut body, backend, "stop");
    body
}

/// A one-shot request: an optional system prompt and one user message, not streamed.
pub fn one_shot_body(model: &str, max_tokens: u32, system: Option<&str>, prompt: &str) -> Value {
    let mut messages = Vec::new();
    if let Some(s) = system {
        messages.push(json!({"role": "system", "content": s}));
    }
    messages.push(json!({"role": "user", "content": prompt}));
    json!({"model": model, "max_tokens": max_tokens, "messages": messages})
}

/// The text of a one-shot reply (its first choice).
pub fn reply_text(reply: &Value) -> Option<&str> {
    reply["choices"][0]["message"]["content"].as_str()
}

/// Interprets one event's data (OpenAI streams do not name their events).
pub fn decode(data: &str) -> Result<Vec<Upstream>, ProtocolError> {
    if data.trim() == "[DONE]" {
        return Ok(vec![Upstream::End]);
    }
    let bad = |detail: &str| ProtocolError {
        protocol: "openai",
        event: "chunk".to_string(),
        detail: detail.to_string(),
    };
    let v: Value =
        serde_json::from_str(data).map_err(|e| bad(&format!("data is not JSON ({e})")))?;
    if let Some(err) = v.get("error") {
        return Ok(vec![Upstream::Error {
            kind: err["type"].as_str().unwrap_or("error").to_string(),
            message: err["message"]
                .as_str()
                .unwrap_or("upstream error")
                .to_string(),
        }]);
    }
    let mut out = Vec::new();
    match v.get("choices") {
        Some(Value::Array(choices)) => {
            if let Some(c) = choices.first() {
                if let Some(text) = c["delta"]["content"].as_str()
                    && !text.is_empty()
                {
                    out.push(Upstream::Text(text.to_string()));
                }
                if let Some(reason) = c["finish_reason"].as_str() {
                    out.push(Upstream::Stop(reason.to_string()));
                }
            }
        }
        Some(_) => return Err(bad("choices is not an array")),
        None if v.get("usage").is_none() => return Err(bad("neither choices nor usage")),
        None => {}
    }
    if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
        out.push(Upstream::Usage {
            input: u["prompt_tokens"].as_u64(),
            output: u["completion_tokens"].as_u64(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_puts_the_system_prompt_first_and_asks_for_usage() {
        let b: Backend = serde_json::from_str(
            r#"{"id":"t","label":"T","provider":"openai","base_url":"h","model":"g","temperature":0.2}"#,
        )
        .expect("backend");
        let v = stream_body(&b, "SYS", &[], "Q");
        assert_eq!(
            v["messages"][0],
            json!({"role": "system", "content": "SYS"})
        );
        assert_eq!(v["messages"][1]["content"], "Q");
        assert_eq!(v["stream_options"]["include_usage"], true);
        assert!((v["temperature"].as_f64().expect("t") - 0.2).abs() < 1e-6);
        assert!(v.get("stop").is_none());
        let stopping = Backend {
            stop: vec!["<".into()],
            ..b.clone()
        };
        assert_eq!(stream_body(&stopping, "SYS", &[], "Q")["stop"][0], "<");
        assert!(headers(None).is_empty());
        assert_eq!(headers(Some("t"))[0].1, "Bearer t");
        let reply = json!({"choices": [{"message": {"content": "hi"}}]});
        assert_eq!(reply_text(&reply), Some("hi"));
        let one = one_shot_body("m", 9, Some("S"), "P");
        assert_eq!(
            one["messages"][0],
            json!({"role": "system", "content": "S"})
        );
        assert_eq!(one["messages"][1], json!({"role": "user", "content": "P"}));
        assert_eq!(
            one_shot_body("m", 9, None, "P")["messages"][0]["role"],
            "user"
        );
    }

    #[test]
    fn decodes_chunks_done_and_errors() {
        assert_eq!(
            decode(
                r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#
            ),
            Ok(vec![Upstream::Text("Hi".into())])
        );
        assert_eq!(
            decode(
                r#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#
            ),
            Ok(vec![
                Upstream::Stop("stop".into()),
                Upstream::Usage {
                    input: Some(3),
                    output: Some(4)
                }
            ])
        );
        assert_eq!(decode("[DONE]"), Ok(vec![Upstream::End]));
        assert!(matches!(
            decode(r#"{"error":{"message":"m","type":"server_error"}}"#).as_deref(),
            Ok([Upstream::Error { .. }])
        ));
        assert!(decode(r#"{"choices":"nope"}"#).is_err());
        assert!(decode("{oops").is_err());
    }
}
