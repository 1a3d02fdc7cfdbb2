//! `POST /api/feedback`: a reader's thumbs up or down on an answer, or a jailbreak report with the
//! conversation, stored in D1's `feedback` table beside the answer's trace. Only answers this worker
//! traced take feedback (the id must name a trace row), so the table holds nothing a script made up.
//! With `TRACES = "metadata"` the comment and the conversation are not kept, as questions are not (the
//! receipt says so). A report's conversation is kept as the reader sent it, each earlier answer marked
//! `signed` when its signature (from its `done`) is the worker's: the author can tell the twin's words
//! from words put in its mouth.

use crate::config::{self, Config};
use crate::signature::AnswerKey;
use crate::traces::{self, TraceMode};
use crate::{clock, http, rate_limit};
use std::time::Duration;
use twin_shared::feedback::MAX_FEEDBACK_BYTES;
use twin_shared::{ChatMessage, ErrorCode, FeedbackKind, FeedbackReceipt, FeedbackRequest, Role};
use wasm_bindgen::JsValue;
use worker::{Env, Request, Response, Result};

/// How long a trace may take to appear: it is written just after the answer's stream ends, so a very
/// quick click can arrive first.
const TRACE_GRACE: Duration = Duration::from_millis(1_500);

/// Handles one feedback request (method, origin and rate limit already checked).
pub async fn handle(mut req: Request, env: &Env, config: &Config) -> Result<Response> {
    if config.traces == TraceMode::Off {
        return http::refuse(
            ErrorCode::FeedbackOff,
            "this twin keeps no traces (TRACES = \"off\"), so it takes no feedback",
        );
    }
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !http::is_json(&content_type) {
        return http::refuse(
            ErrorCode::UnsupportedMediaType,
            "send feedback as application/json",
        );
    }
    let bytes = match http::read_capped(&mut req, MAX_FEEDBACK_BYTES)
        .await?
        .or_refuse(MAX_FEEDBACK_BYTES)
    {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let feedback = match FeedbackRequest::parse(&bytes) {
        Ok(f) => f,
        Err(e) => return http::refuse(e.code, e.message),
    };
    let client_key = rate_limit::client_key(req.headers().get("cf-connecting-ip")?.as_deref());
    let stored = match store(
        env,
        config.traces,
        &feedback,
        &client_key,
        config::answer_key(env),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => {
            worker::console_error!("feedback not stored: {e}");
            return http::refuse(
                ErrorCode::NotConfigured,
                "feedback cannot be stored right now; its owner can see why in the worker's log",
            );
        }
    };
    if !stored {
        return http::refuse(
            ErrorCode::UnknownTrace,
            "no answer has this trace id (it may be past the twin's retention period)",
        );
    }
    http::json(
        &FeedbackReceipt {
            trace: feedback.trace,
            kind: feedback.kind,
            text_kept: config.traces == TraceMode::Full,
        },
        201,
    )
}

/// A reported message as stored: what the reader sent, and whether it is the twin's own signed answer.
#[derive(serde::Serialize)]
struct Reported<'a> {
    role: Role,
    content: &'a str,
    signed: bool,
}

/// The conversation with each answer checked against the question before it, as `backend` answered.
fn checked<'a>(
    conversation: &'a [ChatMessage],
    backend: &str,
    key: Option<&AnswerKey>,
    now_s: u64,
) -> Vec<Reported<'a>> {
    conversation
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let asked = i
                .checked_sub(1)
                .and_then(|j| conversation.get(j))
                .filter(|q| q.role == Role::User);
            let signed = match (m.role, key, asked, m.signature.as_deref()) {
                (Role::Assistant, Some(key), Some(q), Some(sig)) => {
                    key.verify(backend, &q.content, &m.content, sig, now_s)
                }
                _ => false,
            };
            Reported {
                role: m.role,
                content: &m.content,
                signed,
            }
        })
        .collect()
}

/// Stores the feedback in its trace's slot (a verdict replaces the earlier one); false when there is
/// no such trace.
async fn store(
    env: &Env,
    mode: TraceMode,
    f: &FeedbackRequest,
    client_key: &str,
    key: Option<AnswerKey>,
) -> Result<bool> {
    let db = traces::ready_db(env).await?;
    let backend_of = || async {
        db.prepare("SELECT backend FROM traces WHERE trace_id = ?1")
            .bind(&[JsValue::from_str(&f.trace)])?
            .first::<String>(Some("backend"))
            .await
    };
    let backend = match backend_of().await? {
        Some(b) => b,
        None => {
            worker::Delay::from(TRACE_GRACE).await;
            match backend_of().await? {
                Some(b) => b,
                None => return Ok(false),
            }
        }
    };
    let full = mode == TraceMode::Full;
    let comment = match f.comment() {
        Some(c) if full => JsValue::from_str(c),
        _ => JsValue::NULL,
    };
    let conversation = if full && f.kind == FeedbackKind::Jailbreak && !f.conversation.is_empty() {
        let reported = checked(&f.conversation, &backend, key.as_ref(), clock::now_s());
        JsValue::from_str(&serde_json::to_string(&reported)?)
    } else {
        JsValue::NULL
    };
    let now = clock::now_ms();
    db.prepare(
        "INSERT INTO feedback (at_ms, trace_id, slot, kind, comment, conversation, client) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
         ON CONFLICT (trace_id, slot) DO UPDATE SET at_ms = excluded.at_ms, kind = excluded.kind, \
         comment = excluded.comment, conversation = excluded.conversation, client = excluded.client",
    )
    .bind(&[
        JsValue::from_f64(now.floor()),
        JsValue::from_str(&f.trace),
        JsValue::from_str(f.kind.slot()),
        JsValue::from_str(f.kind.as_str()),
        comment,
        conversation,
        JsValue::from_str(&traces::client_column(env, now, client_key)),
    ])?
    .run()
    .await?;
    Ok(true)
}
