//! Probe answers kept at the edge, so a reader clicking a probe gets an answer at once, at no token cost,
//! and the GPU pane's probes need no cold start.
//!
//! Workers KV (binding `PROBE_CACHE`), not the Cache API: the Cache API keeps entries per data centre and
//! does nothing on `*.workers.dev` hosts, where many blogs' twins will live; KV is one global store with
//! per-key expiry, and the few writes probes need (backends × probes per content version) are far under
//! the free plan's 1,000 a day. Without the binding nothing is cached.
//!
//! Only a probe asked as itself is cached: its configured question, word for word, with no earlier
//! turns, and not asked live. Typed questions never are. Only an answer that ended by itself is kept
//! (not one cut off at `max_tokens`, refused or failed). The key names the backend and probe and hashes
//! what shapes the answer: the index (its checksum), the persona, the author, the question, the
//! backend's whole configuration, its rendered prompt templates (the `/api/config` fingerprint) and the
//! worker's build (`TWIN_BUILD_ID`, the git commit `scripts/build-worker.sh` passes), so new content, a
//! new model or new code never replays an old answer.

use crate::assets::{PERSONA, index_crc};
use crate::config::Backend;
use crate::sink::Sink;
use crate::{clock, config::Config};
use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;
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
/// The longest a probe click waits for the cache before asking the model instead (and then keeps what
/// the model says only if the read said there was nothing).
pub const READ_TIMEOUT: Duration = Duration::from_millis(1000);
/// Stop reasons of an answer that ended by itself (Anthropic's, then OpenAI's): only these are kept.
pub const FINISHED: [&str; 3] = ["end_turn", "stop_sequence", "stop"];
/// The worker's build, set by `scripts/build-worker.sh` (empty when built otherwise).
const BUILD_ID: &str = match option_env!("TWIN_BUILD_ID") {
    Some(id) => id,
    None => "",
};

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

/// What the cache said.
pub enum Lookup {
    /// An answer to replay.
    Hit(Cached),
    /// Nothing kept: a finished live answer will be.
    Miss,
    /// The store could not say (an error, or slower than [`READ_TIMEOUT`]): ask live, keep nothing.
    Unknown,
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
    // Strings, numbers and bools only: serialising cannot fail; the debug form stands in if it did.
    let backend_json = serde_json::to_string(backend).unwrap_or_else(|_| format!("{backend:?}"));
    let prompts = crate::config::info(backend, author)
        .fingerprint
        .unwrap_or_default();
    // The index's CRC-32 (`twin_index::blob`): a content version for free.
    let blob_crc = index_crc().to_le_bytes();
    for part in [
        FORMAT.as_bytes(),
        BUILD_ID.as_bytes(),
        &blob_crc,
        PERSONA.as_bytes(),
        author.as_bytes(),
        question.as_bytes(),
        backend_json.as_bytes(),
        prompts.as_bytes(),
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
        if chat.live || chat.messages.len() != 1 || chat.question().trim() != probe.question.trim()
        {
            return None;
        }
        let kv = env.kv(BINDING).ok()?;
        Some(ProbeCache {
            kv,
            key: key(backend, &probe.id, &probe.question, &config.author),
        })
    }

    /// The cached answer, if there is one; a store that cannot be read, or not within
    /// [`READ_TIMEOUT`], is logged and is [`Lookup::Unknown`]. An entry of an older format is a miss.
    pub async fn get(&self) -> Lookup {
        let read = Box::pin(self.kv.get(&self.key).text());
        let read = match select(read, Box::pin(clock::sleep(READ_TIMEOUT))).await {
            Either::Left((read, _)) => read,
            Either::Right(_) => {
                worker::console_warn!("probe cache: {} took too long to read", self.key);
                return Lookup::Unknown;
            }
        };
        match read {
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(c) => Lookup::Hit(c),
                Err(e) => {
                    worker::console_warn!("probe cache: {} is unreadable: {e}", self.key);
                    Lookup::Miss
                }
            },
            Ok(None) => Lookup::Miss,
            Err(e) => {
                worker::console_warn!("probe cache: {} could not be read: {e}", self.key);
                Lookup::Unknown
            }
        }
    }

    /// Keeps the answer `sink` sent, if it finished by itself: a `done` with a [`FINISHED`] stop
    /// reason after some text.
    pub async fn put_finished(&self, sink: &Sink) {
        let (Some(stop_reason), Some(_)) = (sink.outcome.as_deref(), sink.usage) else {
            return;
        };
        if !FINISHED.contains(&stop_reason) || sink.text().trim().is_empty() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use twin_upstream::Provider;

    #[test]
    fn the_key_changes_with_whatever_shapes_the_answer() {
        let b = Backend::new("rag", "R", Provider::Anthropic, "http://h", "m");
        let base = key(&b, "voice", "Tea?", "Ilse");
        assert!(base.starts_with("probe:rag:voice:"), "{base}");
        assert_eq!(key(&b, "voice", "Tea?", "Ilse"), base, "stable");
        let other_model = Backend::new("rag", "R", Provider::Anthropic, "http://h", "m2");
        let more_tokens = Backend {
            max_tokens: 7,
            ..b.clone()
        };
        let numbered = Backend {
            passage_format: twin_shared::prompt::PassageFormat::Numbered,
            ..b.clone()
        };
        let others = [
            key(&b, "thin", "Tea?", "Ilse"),
            key(&b, "voice", "Coffee?", "Ilse"),
            key(&b, "voice", "Tea?", "Someone else"),
            key(&other_model, "voice", "Tea?", "Ilse"),
            key(&more_tokens, "voice", "Tea?", "Ilse"),
            key(&numbered, "voice", "Tea?", "Ilse"),
        ];
        for k in &others {
            assert_ne!(k, &base);
        }
    }
}
