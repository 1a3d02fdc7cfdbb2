//! The rows `twin traces` reads: one per answer (`traces`) and one per verdict or report (`feedback`),
//! as the worker wrote them (numbers arrive from D1 as JSON numbers, absent values as `null`).

use crate::d1::{D1, D1Error};
use serde::{Deserialize, Serialize};
use twin_shared::Role;

/// One answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    pub trace_id: String,
    pub at_ms: f64,
    pub backend: String,
    pub probe: Option<String>,
    /// `None` when the worker kept metadata only.
    pub question: Option<String>,
    pub top_score: Option<f64>,
    /// `covered`, `thin` or `none`; `None` for a backend without retrieval.
    pub coverage: Option<String>,
    pub answer: Option<String>,
    /// The stop reason, an error code, or `reader_left`.
    pub outcome: String,
    pub ttft_ms: Option<f64>,
    pub total_ms: f64,
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    /// The salted daily hash of the reader's network.
    pub client: String,
    /// 1 when the answer was replayed from the probe cache (no model asked).
    #[serde(default)]
    pub cached: Option<f64>,
}

impl TraceRow {
    /// Whether the answer was replayed from the probe cache.
    pub fn is_cached(&self) -> bool {
        self.cached.is_some_and(|c| c != 0.0)
    }
}

/// One verdict or jailbreak report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub at_ms: f64,
    pub trace_id: String,
    /// `up`, `down` or `jailbreak`.
    pub kind: String,
    pub comment: Option<String>,
    /// A report's conversation as JSON.
    pub conversation: Option<String>,
}

/// One message of a reported conversation, as the reader sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reported {
    pub role: Role,
    pub content: String,
    /// An answer whose signature the worker verified: the twin's own words. Unsigned answers are only
    /// what the reader says the twin said.
    #[serde(default)]
    pub signed: bool,
}

impl Reported {
    /// Who said it, as the reports print it: the reader, the twin (a verified answer), or words the
    /// reader says the twin said.
    pub fn speaker(&self) -> &'static str {
        match (self.role, self.signed) {
            (Role::User, _) => "reader",
            (Role::Assistant, true) => "twin (signed)",
            (Role::Assistant, false) => "twin? (unsigned: as the reader sent it)",
        }
    }
}

impl FeedbackRow {
    /// The reported conversation; empty when none was kept or it does not read.
    pub fn messages(&self) -> Vec<Reported> {
        self.conversation
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default()
    }
}

const TRACE_COLUMNS: &str = "trace_id, at_ms, backend, probe, question, top_score, coverage, answer, \
                             outcome, ttft_ms, total_ms, tokens_in, tokens_out, client, cached";

/// Why rows could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    D1(#[from] D1Error),
    #[error(
        "a {table} row does not have the shape twin expects ({source}); is the worker's schema newer than this twin?"
    )]
    Shape {
        table: &'static str,
        source: serde_json::Error,
    },
}

/// Traces from `since_ms` on, oldest first, with their feedback; no tables yet reads as no rows.
pub fn load(db: &D1, since_ms: f64) -> Result<(Vec<TraceRow>, Vec<FeedbackRow>), LoadError> {
    let since = since_ms.max(0.0).floor() as i64;
    let traces = rows(
        db,
        "traces",
        &format!("SELECT {TRACE_COLUMNS} FROM traces WHERE at_ms >= {since} ORDER BY at_ms, id"),
    )?;
    let feedback = rows(
        db,
        "feedback",
        &format!(
            "SELECT f.at_ms, f.trace_id, f.kind, f.comment, f.conversation FROM feedback f \
             JOIN traces t ON t.trace_id = f.trace_id WHERE t.at_ms >= {since} ORDER BY f.at_ms, f.id"
        ),
    )?;
    Ok((traces, feedback))
}

fn rows<T: serde::de::DeserializeOwned>(
    db: &D1,
    table: &'static str,
    sql: &str,
) -> Result<Vec<T>, LoadError> {
    let values = match db.query(sql) {
        Ok(v) => v,
        Err(D1Error::NoTable(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(|source| LoadError::Shape { table, source }))
        .collect()
}
