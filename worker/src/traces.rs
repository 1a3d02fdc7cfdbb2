//! Traces: one row per `/api/chat` answer in Cloudflare's D1 (`TRACES_DB` binding, schema in
//! `worker/migrations/`), so the author can see what readers ask and what went wrong. Written after
//! the reader's stream has ended; a failed write is logged and never touches the answer. `TRACES`
//! says how much is kept: `off`, `metadata` (no question or answer text) or `full`. The client is a
//! salted hash of its network (the rate limiter's key), the salt (`TRACE_SALT`) mixed with the UTC day,
//! so the same reader cannot be followed from one day to the next and the address is never stored.

use crate::signature::{MIN_KEY_BYTES, hex};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasm_bindgen::JsValue;
use worker::Env;

/// The D1 binding.
const BINDING: &str = "TRACES_DB";
/// The schema (every migration, in order), run once per isolate before the first read or write.
const SCHEMA: &[&str] = &[
    include_str!("../migrations/0001_traces.sql"),
    include_str!("../migrations/0002_feedback.sql"),
    include_str!("../migrations/0003_trace_ids.sql"),
    include_str!("../migrations/0004_cached.sql"),
];

/// How much a trace keeps (`TRACES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    Off,
    /// Everything but the question and the answer text.
    Metadata,
    Full,
}

impl TraceMode {
    /// Reads `TRACES`; unset is `off`.
    pub fn parse(value: Option<&str>) -> Result<TraceMode, String> {
        match value.map(str::trim) {
            None | Some("off") => Ok(TraceMode::Off),
            Some("metadata") => Ok(TraceMode::Metadata),
            Some("full") => Ok(TraceMode::Full),
            Some(other) => Err(format!(
                "TRACES is {other:?}; use \"off\", \"metadata\" or \"full\""
            )),
        }
    }
}

/// One answer, as recorded.
#[derive(Debug, Default)]
pub struct Trace {
    /// The id the reader got in `done` ([`new_id`]).
    pub id: String,
    pub at_ms: f64,
    pub backend: String,
    pub probe: Option<String>,
    pub question: String,
    /// `(slug, score)` of each retrieved passage, best first; `None` for a backend without retrieval.
    pub hits: Option<Vec<(String, f64)>>,
    /// How well the posts cover the question, judged from retrieval; `None` without retrieval.
    pub coverage: Option<twin_shared::Coverage>,
    pub answer: String,
    /// The stop reason, or the error code.
    pub outcome: String,
    pub ttft_ms: Option<u64>,
    pub total_ms: u64,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    /// The rate limiter's key for the client (an address or an IPv6 /64), hashed before storing.
    pub client_key: String,
    /// Replayed from the probe cache (no model was asked).
    pub cached: bool,
}

/// A new trace id: [`twin_shared::feedback::TRACE_ID_HEX`] random hex digits; `None` without
/// randomness (the answer then goes untraced).
pub fn new_id() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex(&bytes))
}

/// The salted, daily hash of a client key: 32 hex digits.
pub fn client_hash(salt: &[u8], day: u64, client_key: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(salt)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(b"twin-trace-client-v1\0");
    mac.update(&day.to_le_bytes());
    mac.update(client_key.as_bytes());
    hex(&mac.finalize().into_bytes()[..16])
}

/// The salt: the `TRACE_SALT` secret, or a random one per isolate (logged; hashes then differ between
/// isolates, which only makes readers harder to count).
fn salt(env: &Env) -> Vec<u8> {
    if let Ok(s) = env.secret("TRACE_SALT") {
        let s = s.to_string();
        if s.len() >= MIN_KEY_BYTES {
            return s.into_bytes();
        }
        worker::console_error!(
            "TRACE_SALT is shorter than {MIN_KEY_BYTES} bytes; using a random salt"
        );
    }
    thread_local! {
        static SALT: Vec<u8> = {
            let mut bytes = vec![0u8; 32];
            if getrandom::fill(&mut bytes).is_err() {
                worker::console_error!("no randomness for the trace salt; traces keep no client");
                bytes.clear();
            }
            bytes
        };
    }
    SALT.with(Vec::clone)
}

/// The stored form of a client key at `at_ms`: its salted daily hash, or `unknown` without a salt.
pub fn client_column(env: &Env, at_ms: f64, client_key: &str) -> String {
    let salt = salt(env);
    if salt.is_empty() {
        "unknown".to_string()
    } else {
        client_hash(&salt, (at_ms / 86_400_000.0) as u64, client_key)
    }
}

/// The database, with its schema run once per isolate.
pub async fn ready_db(env: &Env) -> worker::Result<worker::D1Database> {
    let db = env.d1(BINDING)?;
    thread_local! {
        static READY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if !READY.with(std::cell::Cell::get) {
        // Comments out first, then one statement at a time.
        let sql: Vec<&str> = SCHEMA
            .iter()
            .flat_map(|migration| migration.lines())
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect();
        for statement in sql.join(" ").split(';').filter(|s| !s.trim().is_empty()) {
            if let Err(e) = db.prepare(statement).run().await {
                // A column an earlier run (or `wrangler d1 migrations apply`) already added.
                let added = statement.trim_start().starts_with("ALTER TABLE")
                    && e.to_string().contains("duplicate column name");
                if !added {
                    return Err(e);
                }
            }
        }
        READY.with(|r| r.set(true));
    }
    Ok(db)
}

/// Deletes traces older than `days` (the scheduled retention run); failures are logged.
pub async fn forget_older_than(env: &Env, days: u64, now_ms: f64) {
    let cutoff = now_ms - days as f64 * 86_400_000.0;
    match delete_before(env, cutoff).await {
        Ok(()) => worker::console_log!("traces older than {days} days deleted"),
        Err(e) => worker::console_error!("old traces not deleted: {e}"),
    }
}

async fn delete_before(env: &Env, cutoff_ms: f64) -> worker::Result<()> {
    let db = ready_db(env).await?;
    let cutoff = [JsValue::from_f64(cutoff_ms.floor())];
    db.prepare("DELETE FROM traces WHERE at_ms < ?1")
        .bind(&cutoff)?
        .run()
        .await?;
    // Feedback goes with its answer's trace, whatever its own age.
    db.prepare(
        "DELETE FROM feedback WHERE at_ms < ?1 \
         OR trace_id NOT IN (SELECT trace_id FROM traces WHERE trace_id IS NOT NULL)",
    )
    .bind(&cutoff)?
    .run()
    .await?;
    Ok(())
}

/// Writes `trace` as `mode` says; failures are logged.
pub async fn record(env: &Env, mode: TraceMode, trace: Trace) {
    if mode == TraceMode::Off {
        return;
    }
    if let Err(e) = write(env, mode, &trace).await {
        worker::console_error!("trace not written ({}): {e}", trace.backend);
    }
}

async fn write(env: &Env, mode: TraceMode, t: &Trace) -> worker::Result<()> {
    let db = ready_db(env).await?;
    let client = client_column(env, t.at_ms, &t.client_key);
    let text = |s: &str| match mode {
        TraceMode::Full => JsValue::from_str(s),
        _ => JsValue::NULL,
    };
    let num = |n: Option<u64>| n.map_or(JsValue::NULL, |n| JsValue::from_f64(n as f64));
    let hits = match &t.hits {
        Some(h) => JsValue::from_str(&serde_json::to_string(h)?),
        None => JsValue::NULL,
    };
    let top = t
        .hits
        .as_ref()
        .and_then(|h| h.first())
        .map_or(JsValue::NULL, |(_, s)| JsValue::from_f64(*s));
    db.prepare(
        "INSERT INTO traces (trace_id, at_ms, backend, probe, question, hits, top_score, coverage, \
         answer, outcome, ttft_ms, total_ms, tokens_in, tokens_out, client, cached) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )
    .bind(&[
        JsValue::from_str(&t.id),
        JsValue::from_f64(t.at_ms.floor()),
        JsValue::from_str(&t.backend),
        t.probe.as_deref().map_or(JsValue::NULL, JsValue::from_str),
        text(&t.question),
        hits,
        top,
        t.coverage
            .map_or(JsValue::NULL, |c| JsValue::from_str(c.as_str())),
        text(&t.answer),
        JsValue::from_str(&t.outcome),
        num(t.ttft_ms),
        JsValue::from_f64(t.total_ms as f64),
        num(t.tokens_in),
        num(t.tokens_out),
        JsValue::from_str(&client),
        JsValue::from_f64(if t.cached { 1.0 } else { 0.0 }),
    ])?
    .run()
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_hash_hides_the_address_and_changes_daily() {
        let salt = [3u8; 32];
        let a = client_hash(&salt, 20_000, "203.0.113.7");
        assert_eq!(a.len(), 32);
        assert!(!a.contains("203"));
        assert_eq!(
            a,
            client_hash(&salt, 20_000, "203.0.113.7"),
            "stable within a day"
        );
        assert_ne!(
            a,
            client_hash(&salt, 20_001, "203.0.113.7"),
            "unlinkable the next day"
        );
        assert_ne!(a, client_hash(&[4u8; 32], 20_000, "203.0.113.7"), "salted");
        assert_eq!(TraceMode::parse(None), Ok(TraceMode::Off));
        assert_eq!(TraceMode::parse(Some("metadata")), Ok(TraceMode::Metadata));
        assert!(TraceMode::parse(Some("everything")).is_err());
    }
}
