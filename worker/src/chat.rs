//! `POST /api/chat`: validate, retrieve, assemble the prompt, and stream the backend's answer as chat
//! events. Everything that can be refused is refused before the stream starts (a 4xx JSON body); after
//! that, failures are `error` events.

use crate::config::{Backend, Config, Provider, credential};
use crate::sink::Sink;
use crate::{PERSONA, anthropic, clock, http, openai, retrieval};
use twin_shared::prompt::{brief_system_prompt, system_prompt_as, user_turn_as};
use twin_shared::{ChatEvent, ChatRequest, Coverage, chat::MAX_BODY_BYTES};
use worker::{Env, Headers, Request, Response, Result};

/// Handles one chat request (method, origin and rate limit already checked).
pub async fn handle(mut req: Request, env: &Env, config: &Config) -> Result<Response> {
    let started = clock::now_ms();
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return http::error(
            415,
            "unsupported_media_type",
            "send the chat request as application/json",
        );
    }
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return http::error(
            413,
            "body_too_large",
            format!("the body is over {MAX_BODY_BYTES} bytes"),
        );
    }
    let bytes = req.bytes().await?;
    let chat = match ChatRequest::parse(&bytes) {
        Ok(c) => c,
        Err(e) => {
            let status = if e.code == "body_too_large" { 413 } else { 400 };
            return http::error(status, e.code, e.message);
        }
    };
    let Some(backend) = config.backend(&chat.backend) else {
        let known: Vec<&str> = config.backends.iter().map(|b| b.id.as_str()).collect();
        return http::error(
            400,
            "unknown_backend",
            format!(
                "no backend `{}`; this worker has {}",
                chat.backend,
                known.join(", ")
            ),
        );
    };
    let key = match credential(env, backend) {
        Ok(k) => k,
        Err(m) => return http::error(503, "not_configured", m),
    };
    let backend = backend.clone();
    let author = config.author.clone();
    let (mut sink, body) = Sink::new(started);
    wasm_bindgen_futures::spawn_local(async move {
        answer(&backend, key.as_deref(), &author, &chat, &mut sink).await;
    });
    let headers = Headers::new();
    headers.set("content-type", "text/event-stream; charset=utf-8")?;
    headers.set("cache-control", "no-cache, no-transform")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// Produces the whole event stream for one question.
async fn answer(
    backend: &Backend,
    key: Option<&str>,
    author: &str,
    chat: &ChatRequest,
    sink: &mut Sink,
) {
    let (passages, coverage) = if backend.retrieval {
        match retrieval::search(chat.question(), backend.passages).and_then(|hits| {
            let levels = retrieval::coverage_levels(chat.question(), &hits)?;
            Ok((hits, levels))
        }) {
            Ok((hits, levels)) => {
                let coverage = twin_index::coverage::best(&levels);
                // Only passages that cover something are worth a link, and one source per post: two
                // passages of a post are one link for the reader. With no coverage the model gets no
                // passages, so it says it hasn't written about it instead of stretching a stray match.
                let mut sources: Vec<twin_shared::Source> = Vec::new();
                let mut seen: Vec<&str> = Vec::new();
                for (h, level) in hits.iter().zip(&levels) {
                    if *level != Coverage::None && !seen.contains(&h.slug.as_str()) {
                        seen.push(&h.slug);
                        sources.push(retrieval::source(h, *level));
                    }
                }
                if !sink.send(&ChatEvent::Sources(sources)) {
                    return;
                }
                let passages = if coverage == Coverage::None {
                    Vec::new()
                } else {
                    hits.iter().map(retrieval::prompt_passage).collect()
                };
                (Some(passages), coverage)
            }
            Err(e) => {
                sink.send(&ChatEvent::error(
                    "retrieval_failed",
                    format!("the index could not be searched: {e}"),
                    false,
                    None,
                ));
                return;
            }
        }
    } else {
        (None, Coverage::Covered)
    };
    let system = if backend.brief_system {
        brief_system_prompt(author)
    } else {
        system_prompt_as(author, PERSONA, backend.retrieval, backend.passage_format)
    };
    let last_user = user_turn_as(
        chat.question(),
        passages.as_deref(),
        backend.passage_format,
        coverage,
    );
    let prior = &chat.messages[..chat.messages.len() - 1];
    let end = match backend.provider {
        Provider::Anthropic => {
            let body = anthropic::body(backend, &system, prior, &last_user);
            anthropic::run(backend, key, &body, sink).await
        }
        Provider::Openai => {
            let body = openai::body(backend, &system, prior, &last_user);
            openai::run(backend, key, &body, sink).await
        }
    };
    if let Some(event) = end {
        sink.send(&event);
    }
}
