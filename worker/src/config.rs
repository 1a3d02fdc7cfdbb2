//! The worker's configuration, read once per request from `wrangler.toml` vars into typed structs: the
//! backends (as JSON in `BACKENDS`), allowed origins, the author, and whether search is public.

use crate::assets::PERSONA;
use crate::signature::AnswerKey;
use twin_shared::BackendInfo;
pub use twin_upstream::Backend;
use worker::Env;

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

/// What readers may see of `backend`, fingerprinted with the embedded content and voice guide.
pub fn info(backend: &Backend, author: &str) -> BackendInfo {
    backend.info(author, PERSONA, crate::retrieval::content_id())
}

/// The system prompt `backend` is sent, built from the embedded voice guide.
pub fn system_prompt(backend: &Backend, author: &str) -> String {
    backend.system_prompt(author, PERSONA)
}

/// The key answers are signed with: the `HISTORY_KEY` secret, or, when it is not set, a random key
/// made once per isolate (logged: follow-ups then lose their history when the isolate is replaced, and
/// across isolates).
pub fn answer_key(env: &Env) -> AnswerKey {
    let secret = env
        .secret(HISTORY_KEY)
        .map(|s| s.to_string())
        .or_else(|_| env.var(HISTORY_KEY).map(|v| v.to_string()))
        .ok()
        .filter(|s| !s.trim().is_empty());
    if let Some(s) = secret {
        return AnswerKey::new(s.as_bytes());
    }
    thread_local! {
        static EPHEMERAL: AnswerKey = {
            let mut bytes = [0u8; 32];
            if let Err(e) = getrandom::fill(&mut bytes) {
                worker::console_error!("no randomness for the answer key ({e}); using the clock");
                bytes[..8].copy_from_slice(&crate::clock::now_ms().to_bits().to_le_bytes());
            }
            worker::console_warn!(
                "{HISTORY_KEY} is not set: answers are signed with a key made for this isolate, so \
                 follow-ups lose their history when it is replaced (`wrangler secret put {HISTORY_KEY}`)"
            );
            AnswerKey::new(&bytes)
        };
    }
    EPHEMERAL.with(AnswerKey::clone)
}

/// The secret holding the answer-signing key.
pub const HISTORY_KEY: &str = "HISTORY_KEY";

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
