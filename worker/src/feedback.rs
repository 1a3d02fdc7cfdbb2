//! `POST /api/feedback`: a reader's thumbs up or down on an answer, or a jailbreak report with the
//! conversation, stored in D1's `feedback` table beside the answer's trace. Only answers this worker
//! traced take feedback (the id must name a trace row), so the table holds nothing a script made up.
//! With `TRACES = "metadata"` the comment and the conversation are not kept, as questions are not.

use crate::config::Config;
use crate::traces::{self, TraceMode};
use crate::{clock, http, rate_limit};
use std::time::Duration;
use twin_shared::feedback::MAX_FEEDBACK_BYTES;
use twin_shared::{ErrorCode, FeedbackKind, FeedbackReceipt, FeedbackRequest};
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
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
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
    let stored = match store(env, config.traces, &feedback, &client_key).await {
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
        },
        201,
    )
}

/// Stores the feedback in its trace's slot (a verdict replaces the earlier one); false when there is
/// no such trace.
async fn store(env: &Env, mode: TraceMode, f: &FeedbackRequest, client_key: &str) -> Result<bool> {
    let db = traces::ready_db(env).await?;
    let exists = || async {
        db.prepare("SELECT 1 AS found FROM traces WHERE trace_id = ?1")
            .bind(&[JsValue::from_str(&f.trace)])?
            .first::<serde_json::Value>(None)
            .await
            .map(|row| row.is_some())
    };
    if !exists().await? {
        worker::Delay::from(TRACE_GRACE).await;
        if !exists().await? {
            return Ok(false);
        }
    }
    let full = mode == TraceMode::Full;
    let comment = match f.comment() {
        Some(c) if full => JsValue::from_str(c),
        _ => JsValue::NULL,
    };
    let conversation = if full && f.kind == FeedbackKind::Jailbreak && !f.conversation.is_empty() {
        JsValue::from_str(&serde_json::to_string(&f.conversation)?)
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
