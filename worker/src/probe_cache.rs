//! Probe answers kept at the edge, so a reader clicking a probe gets an answer at once, at no token cost,
//! and the GPU pane's probes need no cold start.
//!
//! Workers KV (binding `PROBE_CACHE`), not the Cache API: the Cache API keeps entries per data centre and
//! does nothing on `*.workers.dev` hosts, where many blogs' twins will live; KV is one global store with
//! per-key expiry, and the few writes probes need (backends × probes per content version) are far under
//! the free plan's 1,000 a day. Without the binding nothing is cached.
//!
//! Only a probe asked as itself is cached: its configured question, word for word, with no earlier
//! turns, and not asked live. Typed questions never are. The key names the backend and probe and hashes
//! everything that shapes the answer (the index, the persona, the author, the question and the
//! backend's whole configuration), so new content or a new model never replays an old answer.

use crate::assets::{BLOB, PERSONA};
use crate::config::Backend;
use crate::sink::Sink;
use crate::{clock, config::Config};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use twin_shared::{ChatEvent, ChatRequest, Done, Source, Usage};
use worker::Env;
use worker::kv::KvStore;

/// The KV namespace binding.
pub const BINDING: &str = "PROBE_CACHE";
/// How long a cached answer is kept (a week): content and configuration changes already change the key;
/// this bounds how long one model's sample of the answer stands.
pub const TTL_S: u64 = 7 * 24 * 3600;
/// The stored format; bumped when [`Cached`] changes, so old entries are never misread.
const FORMAT: &str = "twin-probe-cache-v1";

/// One cached probe answer: what the reader saw, event by event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cached {
    /// When the answer was made (Unix milliseconds).
    pub made_at_ms: u64,
    /// The `sources` event, for a retrieval backend.
    pub sources: Option<Vec<Source>>,
    /// The answer's text.
    pub text: String,
    /// Its `done` stop reason.
    pub stop_reason: String,
}

/// Where one probe's answer for one backend is kept.
pub struct ProbeCache {
    kv: KvStore,
    key: String,
}

/// The cache key for `backend` answering `probe` (its id) with `question`, under this build's index,
/// persona and `author`.
pub fn key(backend: &Backend, probe: &str, question: &str, author: &str) -> String {
    let mut h = Sha256::new();
    let backend_json = serde_json::to_string(backend).unwrap_or_default();
    // The blob's last four bytes are its CRC-32 (`twin_index::blob`): a content version for free.
    let blob_crc = &BLOB[BLOB.len().saturating_sub(4)..];
    for part in [
        FORMAT.as_bytes(),
        blob_crc,
        PERSONA.as_bytes(),
        author.as_bytes(),
        question.as_bytes(),
        backend_json.as_bytes(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    let hash: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("probe:{}:{probe}:{hash}", backend.id)
}

impl ProbeCache {
    /// The cache for this request, or `None` when it must not be cached: not a probe, a probe whose
    /// question was changed or follows earlier turns, asked live, or no `PROBE_CACHE` binding.
    pub fn for_request(
        env: &Env,
        config: &Config,
        backend: &Backend,
        chat: &ChatRequest,
    ) -> Option<ProbeCache> {
        let probe = config.probe(chat.probe.as_deref()?)?;
        if chat.live || chat.messages.len() != 1 || chat.question() != probe.question {
            return None;
        }
        let kv = env.kv(BINDING).ok()?;
        Some(ProbeCache {
            kv,
            key: key(backend, &probe.id, &probe.question, &config.author),
        })
    }

    /// The cached answer, if there is one (a store that cannot be read is logged and treated as empty).
    pub async fn get(&self) -> Option<Cached> {
        match self.kv.get(&self.key).text().await {
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(c) => Some(c),
                Err(e) => {
                    worker::console_warn!("probe cache: {} is unreadable: {e}", self.key);
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                worker::console_warn!("probe cache: {} could not be read: {e}", self.key);
                None
            }
        }
    }

    /// Keeps the answer `sink` sent, if it finished: a `done` after some text, no error.
    pub async fn put_finished(&self, sink: &Sink) {
        let (Some(stop_reason), Some(_)) = (sink.outcome.as_deref(), sink.usage) else {
            return;
        };
        if sink.text().trim().is_empty() {
            return;
        }
        let cached = Cached {
            made_at_ms: sink.started as u64,
            sources: sink.sources.clone(),
            text: sink.text().to_string(),
            stop_reason: stop_reason.to_string(),
        };
        let Ok(value) = serde_json::to_string(&cached) else {
            return;
        };
        let put = match self.kv.put(&self.key, value) {
            Ok(p) => p.expiration_ttl(TTL_S).execute().await,
            Err(e) => Err(e),
        };
        if let Err(e) = put {
            worker::console_warn!("probe cache: {} could not be written: {e}", self.key);
        }
    }
}

/// Streams a cached answer as a live one streams (sources first, then the text, then `done`), marked
/// `cached` with the time it was made. The signature is made now, as for any answer.
pub fn replay(sink: &mut Sink, cached: Cached) {
    if let Some(sources) = cached.sources
        && !sink.send(&ChatEvent::Sources(sources))
    {
        return;
    }
    if !sink.send(&ChatEvent::Delta { text: cached.text }) {
        return;
    }
    let done = Done {
        stop_reason: cached.stop_reason,
        usage: Usage::default(),
        ttft_ms: sink.ttft_ms.unwrap_or_else(|| clock::since(sink.started)),
        total_ms: clock::since(sink.started),
        signature: sink.signature(),
        trace: sink.trace.clone(),
        cached: true,
        made_at_ms: Some(cached.made_at_ms),
    };
    sink.send(&ChatEvent::Done(done));
}
