//! The worker's configuration, read once per isolate from `wrangler.toml` vars (and the embedded
//! probes) into typed structs: the backends (as JSON in `BACKENDS`), allowed origins, the author,
//! whether search is public, and the probe buttons.

use crate::assets::{PERSONA, PROBES};
use crate::signature::{AnswerKey, MIN_KEY_BYTES};
use crate::traces::TraceMode;
use std::rc::Rc;
use twin_shared::BackendInfo;
use twin_shared::{Probe, Probes};
pub use twin_upstream::Backend;
use worker::Env;

/// Everything the worker is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    pub author: String,
    pub allowed_origins: Vec<String>,
    pub search_enabled: bool,
    pub backends: Vec<Backend>,
    /// The probe buttons (`content/probes.toml`, embedded).
    pub probes: Vec<Probe>,
    /// Serve requests when the rate limiter is missing or fails (`RATE_LIMIT_FAILURE = "open"`);
    /// the default, `"closed"`, refuses them.
    pub rate_limit_fail_open: bool,
    /// Whether the rate limit applies at all (`RATE_LIMIT = "off"` switches it off, for a load run on
    /// loopback; the worker logs that it is off on every start).
    pub rate_limit: bool,
    /// How much each answer's trace keeps (`TRACES`).
    pub traces: TraceMode,
    /// Days a trace is kept (`TRACE_RETENTION_DAYS`, 30): the daily scheduled run deletes older ones.
    pub trace_retention_days: u64,
}

impl Config {
    /// The configuration, parsed on this isolate's first request and kept (vars do not change while
    /// an isolate lives); a broken one stays an error, logged once, with the reason.
    pub fn cached(env: &Env) -> Result<Rc<Config>, String> {
        thread_local! {
            static CONFIG: std::cell::OnceCell<Result<Rc<Config>, String>> =
                const { std::cell::OnceCell::new() };
        }
        CONFIG.with(|cell| {
            cell.get_or_init(|| {
                let parsed = Config::from_env(env).map(Rc::new);
                if let Err(e) = &parsed {
                    worker::console_error!("the worker's configuration is invalid: {e}");
                }
                parsed
            })
            .clone()
        })
    }

    /// The probe with `id`.
    pub fn probe(&self, id: &str) -> Option<&Probe> {
        self.probes.iter().find(|p| p.id == id)
    }

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
        if let Some(b) = backends.iter().find(|b| b.history_chars > 100_000) {
            return Err(format!(
                "backend `{}` has history_chars {}; keep it under 100,000",
                b.id, b.history_chars
            ));
        }
        let probes = Probes::from_toml("content/probes.toml", PROBES)
            .map_err(|e| e.to_string())?
            .probe;
        let rate_limit_fail_open = match var("RATE_LIMIT_FAILURE").as_deref().map(str::trim) {
            None | Some("closed") => false,
            Some("open") => true,
            Some(other) => {
                return Err(format!(
                    "RATE_LIMIT_FAILURE is {other:?}; use \"closed\" (the default) or \"open\""
                ));
            }
        };
        let rate_limit = match var("RATE_LIMIT").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => {
                worker::console_error!("RATE_LIMIT is off: no client is rate limited");
                false
            }
            Some(other) => {
                return Err(format!(
                    "RATE_LIMIT is {other:?}; use \"on\" (the default) or \"off\""
                ));
            }
        };
        let traces = TraceMode::parse(var("TRACES").as_deref())?;
        let trace_retention_days = match var("TRACE_RETENTION_DAYS") {
            None => 30,
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|d| (1..=3650).contains(d))
                .ok_or(format!(
                    "TRACE_RETENTION_DAYS is {v:?}; use a whole number of days from 1 to 3650"
                ))?,
        };
        Ok(Config {
            trace_retention_days,
            traces,
            rate_limit_fail_open,
            rate_limit,
            probes,
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

/// The key answers are signed with: the `HISTORY_KEY` secret (at least 32 bytes), or, when it is not
/// set, a random key made once per isolate (logged: follow-ups then lose their history when the isolate
/// is replaced, and across isolates). `None`, failing closed (no history is trusted), when the secret is
/// too short or no randomness is to be had.
pub fn answer_key(env: &Env) -> Option<AnswerKey> {
    let secret = env
        .secret(HISTORY_KEY)
        .map(|s| s.to_string())
        .ok()
        .filter(|s| !s.trim().is_empty());
    if let Some(s) = secret {
        let key = AnswerKey::new(s.as_bytes());
        if key.is_none() {
            worker::console_error!(
                "{HISTORY_KEY} is shorter than {MIN_KEY_BYTES} bytes: no earlier answer is trusted \
                 (`openssl rand -hex 32 | wrangler secret put {HISTORY_KEY}`)"
            );
        }
        return key;
    }
    thread_local! {
        static EPHEMERAL: Option<AnswerKey> = {
            let mut bytes = [0u8; 32];
            match getrandom::fill(&mut bytes) {
                Ok(()) => {
                    worker::console_warn!(
                        "{HISTORY_KEY} is not set: answers are signed with a key made for this \
                         isolate, so follow-ups lose their history when it is replaced \
                         (`wrangler secret put {HISTORY_KEY}`)"
                    );
                    AnswerKey::new(&bytes)
                }
                Err(e) => {
                    worker::console_error!(
                        "{HISTORY_KEY} is not set and there is no randomness ({e}): no earlier \
                         answer is trusted"
                    );
                    None
                }
            }
        };
    }
    EPHEMERAL.with(Option::clone)
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
