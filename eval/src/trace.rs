//! One JSONL trace line per question asked of a backend: what was asked, everything the stream said, and
//! how long it took. The run folder's traces are the eval's raw data; scores are computed from them.

use crate::items::Expect;
use serde::{Deserialize, Serialize};
use twin_shared::{Coverage, Source, Status};

/// The run folder's format; a folder written by another version is refused, not mixed.
pub const FORMAT_VERSION: u32 = 1;

/// A failure, as the worker named it (`error` event or refusal) or as the eval saw it (`unreachable`,
/// `incomplete_stream`, `stream_broken`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceError {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

/// One question asked of one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub backend: String,
    pub set: String,
    pub id: String,
    /// Which repetition (0-based) of the question this is.
    pub repeat: u32,
    pub question: String,
    #[serde(default)]
    pub probe: Option<String>,
    #[serde(default)]
    pub style: Option<String>,
    /// What a good answer holds (copied from the eval set, so a run folder scores on its own).
    pub expect: Expect,
    /// The HTTP status of `/api/chat`.
    pub http_status: u16,
    /// The streamed answer (every `delta`, joined).
    pub answer: String,
    pub sources: Vec<Source>,
    /// The slugs of the posts behind `sources`.
    pub source_slugs: Vec<String>,
    pub statuses: Vec<Status>,
    pub error: Option<TraceError>,
    pub stop_reason: Option<String>,
    /// Time to the first `delta`, measured by the eval.
    pub ttft_ms: Option<u64>,
    /// Time to the end of the stream, measured by the eval.
    pub total_ms: u64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The coverage the `sources` event carried (`covered`, `thin`, `none` for no sources, `unknown` from a
    /// worker that does not send it); absent without a `sources` event (a backend without retrieval).
    #[serde(default)]
    pub coverage: Option<Coverage>,
    /// Seconds spent waiting out rate limits before the answer.
    #[serde(default)]
    pub waited_s: u64,
    /// The backend's fingerprint when it answered (`/api/config`): a rerun reuses the answer only while
    /// the worker still reports the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl Trace {
    /// Whether a rerun should ask again: nothing was answered and the failure may pass.
    pub fn retry_on_resume(&self) -> bool {
        self.error.as_ref().is_some_and(|e| e.retryable)
    }

    /// The key that identifies a question's repetition within a backend's trace.
    pub fn key(&self) -> (String, u32) {
        (self.id.clone(), self.repeat)
    }
}
