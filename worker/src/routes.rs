//! The small endpoints: health, public config, search, and waking the GPU.

use crate::config::Config;
use crate::{call, clock, http, retrieval};
use serde::Deserialize;
use std::time::Duration;
use twin_shared::{ErrorCode, PublicConfig, SearchHit, SearchResponse, WarmResponse};
use worker::{Context, Fetch, Request, Response, Result};

/// Longest query string `/api/search` reads.
const MAX_Q_CHARS: usize = 2_000;

/// `GET /api/health`.
pub fn health() -> Result<Response> {
    http::json(&serde_json::json!({"status": "ok"}), 200)
}

/// `GET /api/config`: backends as readers may see them, and the probes.
pub fn config(config: &Config) -> Result<Response> {
    let probes = config.probes.clone();
    http::json(
        &PublicConfig {
            author: config.author.clone(),
            backends: config
                .backends
                .iter()
                .map(|b| crate::config::info(b, &config.author))
                .collect(),
            probes,
            search_enabled: config.search_enabled,
            feedback: config.traces != crate::traces::TraceMode::Off,
        },
        200,
    )
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    k: Option<usize>,
}

/// `GET /api/search?q=...&k=5`.
pub fn search(req: &Request, config: &Config) -> Result<Response> {
    if !config.search_enabled {
        return http::refuse(
            ErrorCode::SearchDisabled,
            "search is switched off on this worker (SEARCH_ENABLED)",
        );
    }
    let Ok(query) = req.query::<SearchQuery>() else {
        return http::refuse(ErrorCode::BadQuery, "use /api/search?q=your+question&k=5");
    };
    let Some(q) = query.q.filter(|q| !q.trim().is_empty()) else {
        return http::refuse(ErrorCode::MissingQuery, "add ?q= with a question");
    };
    // The query string is decoded leniently (bad UTF-8 becomes U+FFFD): refuse it instead.
    if !http::query_is_utf8(req.url()?.query().unwrap_or_default()) {
        return http::refuse(
            ErrorCode::BadQuery,
            "the query string is not UTF-8 once its %-escapes are decoded",
        );
    }
    if let Some(c) = twin_shared::chat::forbidden_char(&q) {
        return http::refuse(
            ErrorCode::BadQuery,
            format!(
                "q contains U+{:04X}, a control or text-direction character",
                u32::from(c)
            ),
        );
    }
    if q.chars().count() > MAX_Q_CHARS {
        return http::refuse(
            ErrorCode::QueryTooLong,
            format!("q is over {MAX_Q_CHARS} characters"),
        );
    }
    let started = clock::now_ms();
    let (hits, levels) = match retrieval::judged(&q, query.k.unwrap_or(5).clamp(1, 20)) {
        Ok(judged) => judged,
        Err(e) => return http::refuse(ErrorCode::RetrievalFailed, e),
    };
    let took_ms = clock::now_ms() - started;
    let coverage = Some(twin_shared::Coverage::best(&levels));
    let passages = hits
        .into_iter()
        .map(|h| SearchHit {
            score: h.score,
            title: h.title,
            url: h.url,
            slug: h.slug,
            snippet: h.snippet,
        })
        .collect();
    http::json(
        &SearchResponse {
            query: q,
            took_ms,
            coverage,
            passages,
        },
        200,
    )
}

/// Most bytes in `/api/warm`'s body (it is at most a backend id).
const MAX_WARM_BODY_BYTES: usize = 1024;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct WarmBody {
    backend: Option<String>,
}

/// How long a wake-up ping waits before it reports `waking`.
const WARM_WAIT: Duration = Duration::from_secs(3);

/// `POST /api/warm` (body optional: `{"backend": "tuned"}`): pings the cold-start backend's `/health`
/// so its container starts while the reader reads. The ping is kept alive past the response (the
/// worker's `wait_until`), so a GPU that takes longer than [`WARM_WAIT`] to answer still wakes; the
/// response says what the ping showed by then: `awake` (200), `waking` (a refused or lost connection,
/// 502/503/504, or no answer yet) or `unreachable` (any other status, or a host that does not resolve
/// or whose TLS fails: waiting will not help).
pub async fn warm(mut req: Request, config: &Config, ctx: &Context) -> Result<Response> {
    let bytes = match http::read_capped(&mut req, MAX_WARM_BODY_BYTES)
        .await?
        .or_refuse(MAX_WARM_BODY_BYTES)
    {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let body: WarmBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        WarmBody::default()
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(b) => b,
            Err(e) => {
                return http::refuse(
                    ErrorCode::InvalidJson,
                    format!("the body is not {{\"backend\": \"id\"}}: {e}"),
                );
            }
        }
    };
    let backend = match &body.backend {
        Some(id) => config.backend(id),
        None => config.backends.iter().find(|b| b.cold_start),
    };
    let Some(backend) = backend else {
        return http::refuse(
            ErrorCode::UnknownBackend,
            "no such backend, or no backend with a cold start",
        );
    };
    let started = clock::now_ms();
    let url = format!("{}/health", backend.base_url.trim_end_matches('/'));
    let (tx, rx) = futures_channel::oneshot::channel::<&'static str>();
    let id = backend.id.clone();
    ctx.wait_until(async move {
        let state = match worker::Url::parse(&url) {
            Err(_) => "unreachable",
            Ok(u) => match Fetch::Url(u).send().await {
                Ok(r) if r.status_code() == 200 => "awake",
                Ok(r) if (502..=504).contains(&r.status_code()) => "waking",
                Ok(r) => {
                    worker::console_log!("warm {id}: HTTP {}", r.status_code());
                    "unreachable"
                }
                Err(e) if call::is_waking_failure(&e.to_string()) => "waking",
                Err(e) => {
                    worker::console_error!("warm {id}: {e}");
                    "unreachable"
                }
            },
        };
        let _ = tx.send(state);
    });
    let state = match futures_util::future::select(rx, Box::pin(clock::sleep(WARM_WAIT))).await {
        futures_util::future::Either::Left((Ok(state), _)) => state,
        _ => "waking",
    };
    http::json(
        &WarmResponse {
            backend: backend.id.clone(),
            state: state.into(),
            elapsed_ms: clock::since(started),
        },
        200,
    )
}
