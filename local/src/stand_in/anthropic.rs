//! The Anthropic Messages API's wire format: streamed events (`message_start` … `message_stop`), error
//! bodies and the non-streaming message, as the real API sends them.

use serde_json::{Value, json};

/// One SSE frame: `event: <name>` and `data: <json>`.
fn frame(event: &str, data: Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

/// Frames before the text: `message_start`, `content_block_start`, `ping`.
pub(crate) fn head(model: &str, input_tokens: u64) -> Vec<String> {
    vec![
        frame(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_standin_01", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1}}}),
        ),
        frame(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        frame("ping", json!({"type": "ping"})),
    ]
}

/// One `content_block_delta` carrying `text`.
pub(crate) fn delta(text: &str) -> String {
    frame(
        "content_block_delta",
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
    )
}

/// Frames after the text: `content_block_stop`, `message_delta` (stop reason, cumulative usage),
/// `message_stop`.
pub(crate) fn tail(output_tokens: u64, stop_reason: &str) -> Vec<String> {
    vec![
        frame(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        frame(
            "message_delta",
            json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
                   "usage": {"output_tokens": output_tokens}}),
        ),
        frame("message_stop", json!({"type": "message_stop"})),
    ]
}

/// The `error` event the API sends mid-stream when overloaded.
pub(crate) fn overloaded_event() -> String {
    frame(
        "error",
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded (stand-in upstream text)"}}),
    )
}

/// An event type no client knows yet; clients must ignore it.
pub(crate) fn unknown_event() -> String {
    frame(
        "stand_in_future_event",
        json!({"type": "stand_in_future_event", "detail": "ignore me"}),
    )
}

/// The error body for an HTTP status.
pub(crate) fn error_body(status: u16, message: &str) -> Value {
    let kind = match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// The non-streaming response.
pub(crate) fn message(model: &str, text: &str, input_tokens: u64, output_tokens: u64) -> Value {
    json!({"id": "msg_standin_01", "type": "message", "role": "assistant", "model": model,
           "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": null,
           "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}})
}

/// The headers the API checks first, before it reads the body.
pub(crate) fn validate_headers(headers: &axum::http::HeaderMap) -> Result<(), (u16, String)> {
    if !headers.contains_key("x-api-key") {
        return Err((401, "x-api-key header is required".into()));
    }
    if !headers.contains_key("anthropic-version") {
        return Err((400, "anthropic-version header is required".into()));
    }
    Ok(())
}

/// The body fields the API requires.
pub(crate) fn validate(body: &Value) -> Result<(), (u16, String)> {
    if body.get("model").and_then(Value::as_str).is_none() {
        return Err((400, "model: Field required".into()));
    }
    if body.get("max_tokens").and_then(Value::as_u64).is_none() {
        return Err((400, "max_tokens: Field required".into()));
    }
    match body.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => Ok(()),
        _ => Err((400, "messages: at least one message is required".into())),
    }
}
