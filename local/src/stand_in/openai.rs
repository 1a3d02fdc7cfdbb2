//! The OpenAI chat completions wire format: streamed `chat.completion.chunk`s ending in `data: [DONE]`,
//! error bodies and the non-streaming completion, as vLLM and llama.cpp send them.

use serde_json::{Value, json};

fn chunk(model: &str, delta: Value, finish: Option<&str>) -> String {
    let data = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1_700_000_000u64,
                      "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {data}\n\n")
}

/// The first chunk: the assistant role with empty content.
pub(crate) fn head(model: &str) -> Vec<String> {
    vec![chunk(
        model,
        json!({"role": "assistant", "content": ""}),
        None,
    )]
}

/// One chunk carrying `text`.
pub(crate) fn delta(model: &str, text: &str) -> String {
    chunk(model, json!({"content": text}), None)
}

/// The finishing chunk, a usage chunk when the request asked for one (`stream_options.include_usage`, as
/// vLLM honours it), and the `[DONE]` sentinel.
pub(crate) fn tail(model: &str, usage: Option<(u64, u64)>, finish: &str) -> Vec<String> {
    let mut out = vec![chunk(model, json!({}), Some(finish))];
    if let Some((input, output)) = usage {
        let data = json!({"id": "chatcmpl-standin", "object": "chat.completion.chunk", "created": 1_700_000_000u64,
                          "model": model, "choices": [],
                          "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}});
        out.push(format!("data: {data}\n\n"));
    }
    out.push("data: [DONE]\n\n".to_string());
    out
}

/// An error object in the stream, as OpenAI-compatible servers send mid-stream.
pub(crate) fn overloaded_event() -> String {
    let e = json!({"error": {"message": "The server is overloaded", "type": "server_error", "code": 503}});
    format!("data: {e}\n\n")
}

/// An SSE event with a name, which OpenAI streams never use; clients must ignore it.
pub(crate) fn unknown_event() -> String {
    "event: stand_in_future_event\ndata: {\"detail\":\"ignore me\"}\n\n".to_string()
}

/// The error body for an HTTP status.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_exceeded",
        _ => "server_error",
    };
    json!({"error": {"message": message, "type": kind, "code": status}})
}

/// The non-streaming completion.
pub(crate) fn completion(model: &str, text: &str, input_tokens: u64, output_tokens: u64) -> Value {
    json!({"id": "chatcmpl-standin", "object": "chat.completion", "created": 1_700_000_000u64, "model": model,
           "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                     "total_tokens": input_tokens + output_tokens}})
}

/// The fields a chat completions server requires.
pub(crate) fn validate(body: &Value) -> Result<(), (u16, String)> {
    match body.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => Ok(()),
        _ => Err((400, "messages must be a non-empty array".into())),
    }
}
