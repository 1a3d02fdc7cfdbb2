//! Anthropic Messages streaming: `message_start`, `content_block_*`, `message_delta` (cumulative usage,
//! stop reason), `message_stop`; `ping` anywhere; `error` mid-stream; unknown event types ignored.

use super::{ProtocolError, Upstream};
use serde_json::Value;

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
                input: usage["input_tokens"].as_u64(),
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
                    input: usage["input_tokens"].as_u64(),
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
