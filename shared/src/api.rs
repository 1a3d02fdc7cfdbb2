//! The worker's other JSON shapes: errors before a stream starts, `/api/config`, `/api/search`,
//! `/api/warm`.

use crate::{ErrorCode, Probe};
use serde::{Deserialize, Serialize};

/// Every 4xx/5xx body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

/// The inside of [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// An [`ErrorCode`]'s wire string (a string, so a reader meeting a newer code still reads it).
    pub code: String,
    pub message: String,
    /// Whether sending the same request again may work ([`ErrorCode::retryable`]): false for a request
    /// that can never pass as it is. Absent (false) from workers that predate it.
    #[serde(default)]
    pub retryable: bool,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            error: ApiErrorBody {
                code: code.as_str().to_string(),
                message: message.into(),
                retryable: code.retryable(),
            },
        }
    }
}

/// What a reader may know about a backend (no URLs, no model ids, no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub id: String,
    pub label: String,
    pub subtitle: String,
    /// Whether answers come with retrieved sources.
    pub retrieval: bool,
    /// Whether the backend sleeps and needs waking (`/api/warm`).
    pub cold_start: bool,
    /// What its answers are made from, as far as the worker knows, so a saved answer can be told apart
    /// from one made after a change: `c<content>-p<prompt>-b<backend>`, three CRC-32s in hex of the
    /// indexed passages, the prompt it is sent (system prompt and the layout of the reader's turn) and
    /// the settings that shape an answer (model id, tokens, sampling, stops; not the URL or any secret).
    /// The model server's own settings and the retrieval code are not in it. Absent from workers that
    /// predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// `GET /api/config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicConfig {
    pub author: String,
    pub backends: Vec<BackendInfo>,
    pub probes: Vec<Probe>,
    pub search_enabled: bool,
    /// Whether `POST /api/feedback` takes verdicts and reports (the worker keeps traces); absent from
    /// workers that predate it.
    #[serde(default)]
    pub feedback: bool,
}

/// One passage in `GET /api/search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub score: f32,
    pub title: String,
    pub url: String,
    pub slug: String,
    pub snippet: String,
}

/// `GET /api/search?q=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    pub query: String,
    pub took_ms: f64,
    /// How well the returned passages cover the query: the best of their levels, judged as the chat
    /// judges its own (fewer) passages; absent from workers that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<crate::Coverage>,
    pub passages: Vec<SearchHit>,
}

/// `POST /api/warm`: the GPU service's state as the worker found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmResponse {
    pub backend: String,
    /// `awake` (answered), `waking` (asked to start; not answering yet), `unreachable`.
    pub state: String,
    pub elapsed_ms: u64,
}
