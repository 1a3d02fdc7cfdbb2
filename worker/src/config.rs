//! The worker's configuration, read once per request from `wrangler.toml` vars into typed structs: the
//! backends (as JSON in `BACKENDS`), allowed origins, the author, and whether search is public.

use crate::assets::PERSONA;
use serde::Deserialize;
use twin_shared::BackendInfo;
use twin_shared::prompt::{
    PassageFormat, PromptPassage, Retrieved, brief_system_prompt, system_prompt_as, user_turn_as,
};
use worker::Env;

/// Which wire protocol a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Anthropic Messages API (`POST {base_url}/v1/messages`).
    Anthropic,
    /// OpenAI-compatible chat completions (`POST {base_url}/v1/chat/completions`), e.g. vLLM.
    Openai,
}

/// One model backend, as configured.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub subtitle: String,
    pub provider: Provider,
    /// Without the `/v1/...` path.
    pub base_url: String,
    /// The upstream model id (ids change; this is configuration).
    pub model: String,
    /// Name of the secret (or var) holding the API key or bearer token; none for open local servers.
    #[serde(default)]
    pub secret: Option<String>,
    /// Whether retrieved passages go into the prompt (and `sources` into the stream).
    #[serde(default)]
    pub retrieval: bool,
    /// Whether the service scales to zero and must be woken (status events, retries until the deadline).
    #[serde(default)]
    pub cold_start: bool,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Sent only when set: newer Haiku models reject sampling parameters.
    #[serde(default)]
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

impl Backend {
    /// What readers may see of it, with the fingerprint of what its answers are made from.
    pub fn info(&self, author: &str) -> BackendInfo {
        let content = crate::retrieval::content_id();
        let mut prompt = crc32fast::Hasher::new();
        prompt.update(self.system_prompt(author).as_bytes());
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
                "{:?} {} {} {:?} {} {} {:?} {:?}",
                self.provider,
                self.model,
                self.max_tokens,
                self.temperature,
                self.retrieval,
                self.passages,
                self.stop,
                self.brief_system
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
    /// otherwise the persona with the rules for its passage layout.
    pub fn system_prompt(&self, author: &str) -> String {
        if self.brief_system {
            brief_system_prompt(author)
        } else {
            system_prompt_as(author, PERSONA, self.retrieval, self.passage_format)
        }
    }

    /// The streaming endpoint.
    pub fn endpoint(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match self.provider {
            Provider::Anthropic => format!("{base}/v1/messages"),
            Provider::Openai => format!("{base}/v1/chat/completions"),
        }
    }
}

/// Everything the worker is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    pub author: String,
    pub allowed_origins: Vec<String>,
    pub search_enabled: bool,
    pub backends: Vec<Backend>,
}

impl Config {
    /// Reads the vars; a missing or malformed one is named in the error.
    pub fn from_env(env: &Env) -> Result<Config, String> {
        let var = |name: &str| env.var(name).map(|v| v.to_string()).ok();
        let backends_json = var("BACKENDS").ok_or("the BACKENDS var is not set")?;
        let backends: Vec<Backend> = serde_json::from_str(&backends_json)
            .map_err(|e| format!("the BACKENDS var is not valid: {e}"))?;
        if backends.is_empty() {
            return Err("the BACKENDS var lists no backend".into());
        }
        if let Some(b) = backends.iter().find(|b| {
            worker::Url::parse(&b.base_url).map_or(true, |u| !u.scheme().starts_with("http"))
        }) {
            return Err(format!(
                "backend `{}` has base_url {:?}, which is not an http(s) URL",
                b.id, b.base_url
            ));
        }
        Ok(Config {
            author: var("AUTHOR").unwrap_or_else(|| "the author".into()),
            allowed_origins: var("ALLOWED_ORIGINS")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().trim_end_matches('/').to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            search_enabled: var("SEARCH_ENABLED").is_none_or(|v| v != "false"),
            backends,
        })
    }

    /// The backend with `id`.
    pub fn backend(&self, id: &str) -> Option<&Backend> {
        self.backends.iter().find(|b| b.id == id)
    }
}

/// The key or token of a backend from its secret (or a var of that name in local development).
pub fn credential(env: &Env, backend: &Backend) -> Result<Option<String>, String> {
    let Some(name) = &backend.secret else {
        return Ok(None);
    };
    if let Ok(s) = env.secret(name) {
        return Ok(Some(s.to_string()));
    }
    if let Ok(v) = env.var(name) {
        return Ok(Some(v.to_string()));
    }
    Err(format!(
        "backend `{}` needs the secret {name}; set it with `wrangler secret put {name}` (or in .dev.vars locally)",
        backend.id
    ))
}
