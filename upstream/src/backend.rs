//! A configured backend: where it is, which protocol it speaks, how it is asked and how long it is
//! waited for. Deserialised by the worker from its `BACKENDS` var and serialised by whoever writes that
//! var, so a new option is added here once.

use crate::Provider;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use twin_shared::BackendInfo;
use twin_shared::ChatMessage;
use twin_shared::prompt::{
    PassageFormat, PromptPassage, Retrieved, brief_system_prompt, system_prompt_as, user_turn_as,
};

/// One model backend, as configured (the worker's `BACKENDS` var is a JSON list of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    /// What requests name it by (`/api/chat` `backend`).
    pub id: String,
    /// Its pane's title.
    pub label: String,
    /// A line under the title (what answers it).
    #[serde(default)]
    pub subtitle: String,
    /// The protocol it speaks.
    pub provider: Provider,
    /// Without the `/v1/...` path.
    pub base_url: String,
    /// The upstream model id (ids change; this is configuration).
    pub model: String,
    /// Name of the secret (or var) holding the API key or bearer token; none for open local servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Whether retrieved passages go into the prompt (and `sources` into the stream).
    #[serde(default)]
    pub retrieval: bool,
    /// Whether the service scales to zero and must be woken (status events, retries until the deadline).
    #[serde(default)]
    pub cold_start: bool,
    /// The longest answer, in tokens.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Sent only when set: newer Haiku models reject sampling parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// How long to keep trying to wake a cold backend before a retryable error.
    #[serde(default = "default_wake_deadline")]
    pub wake_deadline_s: u64,
    /// How long to wait for the first byte of a backend that is not cold-starting.
    #[serde(default = "default_first_byte")]
    pub first_byte_timeout_s: u64,
    /// How long a stream may go silent before it counts as stalled.
    #[serde(default = "default_idle")]
    pub idle_timeout_s: u64,
    /// Send the one-line system prompt instead of the voice guide (for a model fine-tuned with
    /// `twin dataset --brief-system`).
    #[serde(default)]
    pub brief_system: bool,
    /// Passages retrieved per question.
    #[serde(default = "default_passages")]
    pub passages: usize,
    /// How passages are laid out for the model: `tagged` (default) or `numbered` (small models).
    #[serde(default)]
    pub passage_format: PassageFormat,
    /// Stop sequences sent upstream (`stop_sequences` / `stop`), e.g. a small model's turn end.
    #[serde(default)]
    pub stop: Vec<String>,
    /// The most characters of earlier turns sent with a question (about four to a token). The worker
    /// keeps the newest turns that fit and trims the answer where the budget runs out; the question
    /// itself never counts against it.
    #[serde(default = "default_history_chars")]
    pub history_chars: usize,
    /// The longest one answer may take from the request to its end, besides the idle timeout, so a
    /// stream that trickles forever is stopped.
    #[serde(default = "default_answer_deadline")]
    pub answer_deadline_s: u64,
    /// The most tokens (input + output, as the backend reports them) its answers may use in a UTC day,
    /// counted in the worker's `SPEND` Durable Object; past it the backend answers `budget_exhausted`
    /// until midnight UTC. Unset: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_token_cap: Option<u64>,
}

fn default_max_tokens() -> u32 {
    600
}
fn default_wake_deadline() -> u64 {
    120
}
fn default_first_byte() -> u64 {
    30
}
fn default_idle() -> u64 {
    30
}
fn default_passages() -> usize {
    5
}
fn default_answer_deadline() -> u64 {
    300
}
/// About 1,500 tokens: two or three earlier exchanges with full answers, a small share of a
/// production model's context and of each request's cost.
fn default_history_chars() -> usize {
    6_000
}

impl Backend {
    /// A backend with every optional setting at its default, for code that writes `BACKENDS` (the demo,
    /// the tests); set the rest on the result.
    pub fn new(id: &str, label: &str, provider: Provider, base_url: &str, model: &str) -> Backend {
        Backend {
            id: id.into(),
            label: label.into(),
            subtitle: String::new(),
            provider,
            base_url: base_url.into(),
            model: model.into(),
            secret: None,
            retrieval: false,
            cold_start: false,
            max_tokens: default_max_tokens(),
            temperature: None,
            wake_deadline_s: default_wake_deadline(),
            first_byte_timeout_s: default_first_byte(),
            idle_timeout_s: default_idle(),
            brief_system: false,
            passages: default_passages(),
            passage_format: PassageFormat::default(),
            stop: Vec::new(),
            history_chars: default_history_chars(),
            answer_deadline_s: default_answer_deadline(),
            daily_token_cap: None,
        }
    }

    /// What readers may see of it, with the fingerprint of what its answers are made from.
    pub fn info(&self, author: &str, persona: &str, content_id: u32) -> BackendInfo {
        let content = content_id;
        let mut prompt = crc32fast::Hasher::new();
        prompt.update(self.system_prompt(author, persona).as_bytes());
        // The reader's turn as this backend lays it out, on a fixed sample.
        let sample = [PromptPassage {
            title: "T".into(),
            url: "u".into(),
            date: "d".into(),
            text: "x\ny".into(),
        }];
        for retrieved in [
            Retrieved::Off,
            Retrieved::Covered(&sample),
            Retrieved::Thin(&sample),
            Retrieved::Nothing,
        ] {
            prompt.update(user_turn_as("q?", retrieved, self.passage_format).as_bytes());
        }
        let prompt = prompt.finalize();
        // The settings that shape an answer. Not the URL (a local server's port changes every start, and
        // a URL may carry a credential), nor the label and subtitle (words for readers).
        let settings = crc32fast::hash(
            format!(
                "{:?} {} {} {:?} {} {} {:?} {:?} {}",
                self.provider,
                self.model,
                self.max_tokens,
                self.temperature,
                self.retrieval,
                self.passages,
                self.stop,
                self.brief_system,
                self.history_chars
            )
            .as_bytes(),
        );
        BackendInfo {
            id: self.id.clone(),
            label: self.label.clone(),
            subtitle: self.subtitle.clone(),
            retrieval: self.retrieval,
            cold_start: self.cold_start,
            fingerprint: Some(format!("c{content:08x}-p{prompt:08x}-b{settings:08x}")),
        }
    }

    /// The system prompt this backend is sent: the one-line brief for a model fine-tuned with it,
    /// otherwise the author's voice guide (`persona`) with the rules for its passage layout.
    pub fn system_prompt(&self, author: &str, persona: &str) -> String {
        if self.brief_system {
            brief_system_prompt(author)
        } else {
            system_prompt_as(author, persona, self.retrieval, self.passage_format)
        }
    }

    /// The streaming endpoint.
    pub fn endpoint(&self) -> String {
        self.provider.endpoint(&self.base_url)
    }

    /// The streaming request for one answer in this backend's protocol: `system`, the earlier turns,
    /// then the reader's turn.
    pub fn stream_body(&self, system: &str, turns: &[ChatMessage], last_user: &str) -> Value {
        match self.provider {
            Provider::Anthropic => crate::anthropic::stream_body(self, system, turns, last_user),
            Provider::Openai => crate::openai::stream_body(self, system, turns, last_user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_round_trips_and_unknown_options_are_refused() {
        let b: Backend = serde_json::from_str(
            r#"{"id":"rag","label":"R","provider":"anthropic","base_url":"http://h","model":"m"}"#,
        )
        .expect("minimal backend");
        assert_eq!((b.max_tokens, b.passages, b.wake_deadline_s), (600, 5, 120));
        let again: Backend =
            serde_json::from_str(&serde_json::to_string(&b).expect("json")).expect("back");
        assert_eq!(again, b);
        assert_eq!(
            Backend::new("rag", "R", Provider::Anthropic, "http://h", "m"),
            b,
            "new() has the same defaults as a minimal BACKENDS entry"
        );
        let typo = r#"{"id":"r","label":"R","provider":"openai","base_url":"h","model":"m","max_token":5}"#;
        let err = serde_json::from_str::<Backend>(typo).expect_err("unknown field");
        assert!(err.to_string().contains("max_token"), "{err}");
    }

    #[test]
    fn the_fingerprint_follows_settings_not_the_url_or_label() {
        let b: Backend = serde_json::from_str(
            r#"{"id":"rag","label":"R","provider":"anthropic","base_url":"http://h:1","model":"m"}"#,
        )
        .expect("backend");
        let fp = |b: &Backend| b.info("A", "persona", 7).fingerprint.expect("fingerprint");
        let moved = Backend {
            base_url: "http://h:2".into(),
            label: "Other".into(),
            ..b.clone()
        };
        assert_eq!(fp(&b), fp(&moved));
        let hotter = Backend {
            temperature: Some(0.9),
            ..b.clone()
        };
        assert_ne!(fp(&b), fp(&hotter));
        assert_ne!(
            fp(&b),
            b.info("A", "another persona", 7).fingerprint.expect("fp")
        );
        assert!(fp(&b).starts_with("c00000007-p"));
    }
}
