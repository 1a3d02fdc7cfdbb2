//! The stand-in's answer: deterministic text derived from the request, split into stream deltas.

use serde_json::Value;

/// The last user message's text, from either protocol's `messages` (string or content-block array).
pub(crate) fn last_user_text(body: &Value) -> String {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return String::new();
    };
    let Some(last) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    else {
        return String::new();
    };
    match last.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The answer's pieces, each a word with its leading space, as a model streams tokens.
pub(crate) fn answer_deltas(question: &str) -> Vec<String> {
    let q: String = question.split_whitespace().collect::<Vec<_>>().join(" ");
    let q: String = q.chars().take(80).collect();
    let text = format!("This is the twin stand-in, not a model. You asked: \"{q}\". Kettle's on.");
    let mut out = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        out.push(if i == 0 {
            word.to_string()
        } else {
            format!(" {word}")
        });
    }
    out
}

/// A rough token count for usage numbers: words.
pub(crate) fn approx_tokens(body: &Value) -> u64 {
    body.to_string().split_whitespace().count() as u64
}
