//! The model protocols twin speaks, one home each: [`anthropic`] (the Messages API, for Haiku) and
//! [`openai`] (chat completions, for vLLM on the GPU and llama.cpp locally). Each module holds its
//! request body, headers, stream decoding and one-shot reply reading; [`Provider`] picks one, [`Backend`]
//! is a configured backend, [`errors`] maps failures to the stream's `error` events and [`Answer`] turns
//! decoded events into what the reader is sent. Everything here is plain code with native tests; the
//! worker adds only transport (fetch, timeouts, cold start) and the dataset builder its blocking client.

mod answer;
pub mod anthropic;
mod backend;
pub mod errors;
mod event;
pub mod openai;

pub use answer::{Answer, Step};
pub use backend::Backend;
pub use event::{ProtocolError, Upstream};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use twin_shared::sse::SseEvent;

/// Which wire protocol a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Anthropic Messages API (`POST {base_url}/v1/messages`).
    Anthropic,
    /// OpenAI-compatible chat completions (`POST {base_url}/v1/chat/completions`), e.g. vLLM.
    Openai,
}

impl Provider {
    /// The name in configuration (`"anthropic"`, `"openai"`).
    pub fn name(self) -> &'static str {
        match self {
            Provider::Anthropic => "anthropic",
            Provider::Openai => "openai",
        }
    }

    /// The endpoint for a base URL given without its `/v1/...` path.
    pub fn endpoint(self, base_url: &str) -> String {
        let base = base_url.trim_end_matches('/');
        match self {
            Provider::Anthropic => format!("{base}/{}", anthropic::PATH),
            Provider::Openai => format!("{base}/{}", openai::PATH),
        }
    }

    /// The request headers, with the key or token when there is one.
    pub fn headers(self, key: Option<&str>) -> Vec<(&'static str, String)> {
        match self {
            Provider::Anthropic => anthropic::headers(key),
            Provider::Openai => openai::headers(key),
        }
    }

    /// Interprets one event of an answer's stream.
    pub fn decode(self, event: &SseEvent) -> Result<Vec<Upstream>, ProtocolError> {
        match self {
            Provider::Anthropic => anthropic::decode(&event.event, &event.data),
            // OpenAI streams name no events (the default type is "message"): a named one is an
            // extension this client does not know, ignored like Anthropic's unknown events, unless
            // it carries an error (`event: error`), which still ends the answer as one.
            Provider::Openai if !matches!(event.event.as_str(), "" | "message") => {
                Ok(openai::decode(&event.data)
                    .ok()
                    .filter(|items| items.iter().any(|i| matches!(i, Upstream::Error { .. })))
                    .unwrap_or_default())
            }
            Provider::Openai => openai::decode(&event.data),
        }
    }

    /// A one-shot request (not streamed): an optional system prompt and one user message.
    pub fn one_shot_body(
        self,
        model: &str,
        max_tokens: u32,
        system: Option<&str>,
        prompt: &str,
    ) -> Value {
        match self {
            Provider::Anthropic => anthropic::one_shot_body(model, max_tokens, system, prompt),
            Provider::Openai => openai::one_shot_body(model, max_tokens, system, prompt),
        }
    }

    /// The text of a one-shot reply.
    pub fn reply_text(self, reply: &Value) -> Option<&str> {
        match self {
            Provider::Anthropic => anthropic::reply_text(reply),
            Provider::Openai => openai::reply_text(reply),
        }
    }
}

impl std::str::FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Provider, String> {
        match s {
            "anthropic" => Ok(Provider::Anthropic),
            "openai" => Ok(Provider::Openai),
            other => Err(format!(
                "unknown provider `{other}`; use anthropic or openai"
            )),
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Sets the backend's temperature and stop sequences on a request, only when configured (newer Haiku
/// models reject sampling parameters); `stop_key` is the protocol's name for the stops.
fn sampling(body: &mut Value, backend: &Backend, stop_key: &str) {
    if let Some(t) = backend.temperature {
        body["temperature"] = serde_json::json!(t);
    }
    if !backend.stop.is_empty() {
        body[stop_key] = serde_json::json!(backend.stop);
    }
}

/// The wire name of a turn's role (both protocols use the same two).
/// An earlier turn as both protocols write it: `{"role", "content"}`.
fn turn_json(m: &twin_shared::ChatMessage) -> serde_json::Value {
    serde_json::json!({"role": role(m.role), "content": m.content})
}

fn role(r: twin_shared::Role) -> &'static str {
    match r {
        twin_shared::Role::User => "user",
        twin_shared::Role::Assistant => "assistant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_name_their_endpoints_and_parse_back() {
        for p in [Provider::Anthropic, Provider::Openai] {
            assert_eq!(p.name().parse::<Provider>(), Ok(p));
            assert_eq!(serde_json::to_string(&p).expect("json"), format!("\"{p}\""));
        }
        assert_eq!(
            Provider::Anthropic.endpoint("http://h:1/"),
            "http://h:1/v1/messages"
        );
        assert_eq!(
            Provider::Openai.endpoint("http://h:1"),
            "http://h:1/v1/chat/completions"
        );
        assert!("gemini".parse::<Provider>().is_err());
    }

    /// Found by the fuzz target `sse-framing`: a named event in an OpenAI stream (an extension, or the
    /// stand-in's `unknown-events`) failed the whole answer as malformed.
    #[test]
    fn an_openai_stream_ignores_named_events_but_not_bad_chunks() {
        let event = |name: &str, data: &str| SseEvent {
            event: name.into(),
            data: data.into(),
            id: String::new(),
            retry: None,
        };
        let unknown = event("stand_in_future_event", r#"{"detail":"ignore me"}"#);
        assert_eq!(Provider::Openai.decode(&unknown), Ok(Vec::new()));
        let named_error = event(
            "error",
            r#"{"error":{"type":"server_error","message":"boom"}}"#,
        );
        assert!(
            matches!(
                Provider::Openai.decode(&named_error).as_deref(),
                Ok([Upstream::Error { .. }])
            ),
            "a named event that carries an error still ends the answer"
        );
        let text = r#"{"choices":[{"delta":{"content":"hi"}}]}"#;
        assert_eq!(
            Provider::Openai.decode(&event("message", text)),
            Ok(vec![Upstream::Text("hi".into())])
        );
        assert!(
            Provider::Openai
                .decode(&event("message", r#"{"detail":"no choices"}"#))
                .is_err()
        );
    }
}
