//! `POST /api/chat`: validate, retrieve, assemble the prompt, and stream the backend's answer as chat
//! events. Everything that can be refused is refused before the stream starts (a 4xx JSON body); after
//! that, failures are `error` events.

use crate::config::{self, Backend, Config, credential};
use crate::history::History;
use crate::probe_cache::{self, Lookup, ProbeCache};
use crate::sink::{Signer, Sink};
use crate::spend::{Budget, Reserved};
use crate::traces::{self, Trace};
use crate::{call, clock, fetch, history, http, rate_limit, retrieval};
use twin_shared::prompt::{Retrieved, user_turn_as};
use twin_shared::{ChatEvent, ChatRequest, Coverage, ErrorCode, chat::MAX_BODY_BYTES};
use twin_upstream::errors;
use worker::{Context, Env, Headers, Request, Response, Result};

/// Handles one chat request (method, origin and rate limit already checked).
pub async fn handle(
    mut req: Request,
    env: &Env,
    config: &Config,
    ctx: &Context,
) -> Result<Response> {
    let started = clock::now_ms();
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !http::is_json(&content_type) {
        return http::refuse(
            ErrorCode::UnsupportedMediaType,
            "send the chat request as application/json",
        );
    }
    let bytes = match http::read_capped(&mut req, MAX_BODY_BYTES)
        .await?
        .or_refuse(MAX_BODY_BYTES)
    {
        Ok(b) => b,
        Err(refusal) => return refusal,
    };
    let chat = match ChatRequest::parse(&bytes) {
        Ok(c) => c,
        Err(e) => return http::refuse(e.code, e.message),
    };
    if let Some(probe) = chat.probe.as_deref()
        && config.probe(probe).is_none()
    {
        let known: Vec<&str> = config.probes.iter().map(|p| p.id.as_str()).collect();
        return http::refuse(
            ErrorCode::UnknownProbe,
            format!(
                "no probe `{}`; this worker has {}",
                probe.chars().take(64).collect::<String>(),
                known.join(", ")
            ),
        );
    }
    let Some(backend) = config.backend(&chat.backend) else {
        let known: Vec<&str> = config.backends.iter().map(|b| b.id.as_str()).collect();
        return http::refuse(
            ErrorCode::UnknownBackend,
            format!(
                "no backend `{}`; this worker has {}",
                chat.backend,
                known.join(", ")
            ),
        );
    };
    let key = match credential(env, backend) {
        Ok(k) => k,
        Err(m) => return http::refuse(ErrorCode::NotConfigured, m),
    };
    let backend = backend.clone();
    let author = config.author.clone();
    let answer_key = config::answer_key(env);
    let history = history::prepare(
        &chat.messages[..chat.messages.len() - 1],
        &backend,
        answer_key.as_ref(),
        clock::now_s(),
    );
    if history.unsigned > 0 || history.over_budget > 0 {
        worker::console_log!(
            "chat {}: left out {} unsigned earlier answer(s) and {} message(s) over the history budget",
            backend.id,
            history.unsigned,
            history.over_budget
        );
    }
    let (id, question) = (backend.id.clone(), chat.question().to_string());
    let signer: Signer = Box::new(move |text| {
        answer_key
            .as_ref()
            .map(|k| k.sign(&id, &question, text, clock::now_s()))
    });
    let (mut sink, body) = Sink::new(started, signer);
    let trace_id = (config.traces != traces::TraceMode::Off)
        .then(traces::new_id)
        .flatten();
    sink.trace = trace_id.clone();
    let env = env.clone();
    let mode = config.traces;
    let client_key = rate_limit::client_key(req.headers().get("cf-connecting-ip")?.as_deref());
    let cache = ProbeCache::for_request(&env, config, &backend, &chat);
    // Kept alive past the response (`wait_until`): the answer streams, then its trace is written.
    ctx.wait_until(async move {
        let asked = Asked {
            backend: &backend,
            key: key.as_deref(),
            author: &author,
            chat: &chat,
            history: &history,
        };
        let mut found = None;
        let mut replayed = false;
        // A probe asked as itself is answered from the cache when it can be (no model, no retrieval,
        // no budget), and a fresh answer to one is kept for the next reader.
        let lookup = match &cache {
            Some(c) => c.get().await,
            None => Lookup::Unknown,
        };
        match (lookup, &cache) {
            (Lookup::Hit(cached), _) => {
                replayed = true;
                probe_cache::replay(&mut sink, cached)
            }
            (Lookup::Miss, Some(c)) => {
                answer(&env, asked, &mut sink, &mut found).await;
                c.put_finished(&sink).await;
            }
            _ => answer(&env, asked, &mut sink, &mut found).await,
        }
        sink.close();
        let Some(id) = trace_id else { return };
        let (hits, coverage) = match found {
            Some(Found { hits, coverage }) => (Some(hits), Some(coverage)),
            None => (None, None),
        };
        let trace = Trace {
            id,
            at_ms: started,
            backend: backend.id.clone(),
            probe: chat.probe.clone(),
            question: chat.question().to_string(),
            hits,
            coverage,
            answer: sink.text().to_string(),
            outcome: sink.outcome.clone().unwrap_or_else(|| "reader_left".into()),
            ttft_ms: sink.ttft_ms,
            total_ms: clock::since(started),
            tokens_in: sink.usage.map(|u| u.input_tokens),
            tokens_out: sink.usage.map(|u| u.output_tokens),
            client_key,
            cached: replayed,
        };
        traces::record(&env, mode, trace).await;
    });
    let headers = Headers::new();
    headers.set("content-type", "text/event-stream; charset=utf-8")?;
    headers.set("cache-control", "no-cache, no-transform")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::from_stream(body)?.with_headers(headers))
}

/// Reserves `estimate` tokens of a capped backend's budget for today (`Some(None)` for a backend
/// without a cap), or `None` after telling the reader why it will not answer: its budget is spent, or
/// cannot be read (failing closed, since the cap exists to protect the author's bill). The reservation
/// is made in one Durable Object request, so answers asked at the same moment cannot all pass.
async fn reserve(
    env: &Env,
    backend: &Backend,
    estimate: u64,
    sink: &mut Sink,
) -> Option<Option<Budget>> {
    let Some(cap) = backend.daily_token_cap else {
        return Some(None);
    };
    let unreadable = |sink: &mut Sink, e: worker::Error| {
        let message = format!(
            "{} cannot count its spending right now; the site's owner has been told in the log",
            backend.label
        );
        let event = ChatEvent::error(ErrorCode::NotConfigured, message, None);
        fetch::fail(sink, event, &format!("spend counter: {e}"));
        None
    };
    let budget = match Budget::today(env, &backend.id, cap) {
        Ok(b) => b,
        Err(e) => return unreadable(sink, e),
    };
    match budget.reserve(estimate).await {
        Ok(Reserved::Granted) => Some(Some(budget)),
        Ok(Reserved::Spent(spent)) => {
            let event = errors::budget_exhausted(&backend.label, budget.reset_s);
            fetch::fail(sink, event, &format!("{spent} of {cap} tokens used today"));
            None
        }
        Err(e) => unreadable(sink, e),
    }
}

/// One question to answer: the backend, its key, and the conversation.
struct Asked<'a> {
    backend: &'a Backend,
    key: Option<&'a str>,
    author: &'a str,
    chat: &'a ChatRequest,
    history: &'a History,
}

/// What retrieval found, for the trace.
struct Found {
    /// `(slug, score)` of each hit, best first.
    hits: Vec<(String, f64)>,
    /// How well the hits cover the question.
    coverage: Coverage,
}

/// Produces the whole event stream for one question, within the backend's daily budget; what retrieval
/// found goes into `found`, for the trace (`None`: the backend does not retrieve).
async fn answer(env: &Env, asked: Asked<'_>, sink: &mut Sink, found: &mut Option<Found>) {
    let Asked {
        backend,
        key,
        author,
        chat,
        history,
    } = asked;
    let passages = if backend.retrieval {
        match retrieval::judged(chat.question(), backend.passages).and_then(|(hits, levels)| {
            // A follow-up that points back ("how long did that take?") is judged, and searched, with
            // the reader's previous question; one that names its own subject is judged alone.
            let nothing = levels.iter().all(|l| *l == Coverage::None);
            match history.previous_question.as_deref() {
                Some(prev) if nothing && twin_index::coverage::refers_back(chat.question()) => {
                    retrieval::judged(&format!("{}\n{prev}", chat.question()), backend.passages)
                }
                _ => Ok((hits, levels)),
            }
        }) {
            Ok((hits, levels)) => {
                *found = Some(Found {
                    hits: hits
                        .iter()
                        .map(|h| (h.slug.clone(), f64::from(h.score)))
                        .collect(),
                    coverage: Coverage::best(&levels),
                });
                // Only passages that cover something are sent, to the reader (one link per post: two
                // passages of a post are one link) and to the model. With none left, the reader sees
                // an empty list and the model is told nothing matches, so it says it hasn't written
                // about it instead of stretching a stray match.
                let kept: Vec<(&twin_index::Hit, Coverage)> = hits
                    .iter()
                    .zip(levels)
                    .filter(|(_, l)| *l != Coverage::None)
                    .collect();
                let mut sources: Vec<twin_shared::Source> = Vec::new();
                let mut seen: Vec<&str> = Vec::new();
                for (h, level) in &kept {
                    if !seen.contains(&h.slug.as_str()) {
                        seen.push(&h.slug);
                        sources.push(retrieval::source(h, *level));
                    }
                }
                if !sink.send(&ChatEvent::Sources(sources)) {
                    return;
                }
                let coverage = Coverage::best(&kept.iter().map(|(_, l)| *l).collect::<Vec<_>>());
                let passages: Vec<_> = kept
                    .iter()
                    .map(|(h, _)| retrieval::prompt_passage(h))
                    .collect();
                Some((coverage, passages))
            }
            Err(e) => {
                sink.send(&ChatEvent::error(
                    ErrorCode::RetrievalFailed,
                    format!("the index could not be searched: {e}"),
                    None,
                ));
                return;
            }
        }
    } else {
        None
    };
    let system = config::system_prompt(backend, author);
    let retrieved = match &passages {
        Some((coverage, p)) => Retrieved::at(*coverage, p),
        None => Retrieved::Off,
    };
    let last_user = user_turn_as(chat.question(), retrieved, backend.passage_format);
    let body = backend.stream_body(&system, &history.turns, &last_user);
    // About four characters to a token, plus the longest answer.
    let estimate =
        (body.to_string().len() as u64 / 4).saturating_add(u64::from(backend.max_tokens));
    let Some(budget) = reserve(env, backend, estimate, sink).await else {
        return;
    };
    call::stream(backend, key, &body, sink).await;
    // The reader's stream ends here; settling and the trace do not keep them waiting.
    sink.close();
    // Settled with the usage the model reported; without one (the reader left, the stream failed)
    // the estimate stands.
    if let (Some(budget), Some(usage)) = (budget, sink.usage) {
        let used = usage.input_tokens.saturating_add(usage.output_tokens);
        if let Err(e) = budget.settle(estimate, used).await {
            worker::console_error!("{}: {used} tokens not settled: {e}", backend.id);
        }
    }
}
