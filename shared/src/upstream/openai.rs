//! OpenAI chat completions streaming: `data: {chunk}` lines with `choices[0].delta.content` and a
//! `finish_reason`, optional `usage`, ending with `data: [DONE]`; an `{"error": ...}` object mid-stream.

use super::{ProtocolError, Upstream};
use serde_json::Value;

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
