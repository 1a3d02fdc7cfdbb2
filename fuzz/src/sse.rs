//! The upstream stream reader, as the worker composes it (`worker/src/fetch.rs`): bytes in chunks as
//! the network cuts them, [`bounded_lines`], [`sse_events`], then [`Provider::decode`].

use crate::{Budget, Outcome, Target, run_for};
use futures_util::StreamExt;
use proptest::prelude::*;
use serde_json::json;
use twin_shared::sse::{bounded_lines, sse_events};
use twin_upstream::{Provider, Upstream};

/// Garbage in: any bytes, cut anywhere, never a panic or a hang.
pub const TARGET: Target = Target {
    name: "sse-bytes",
    what: "upstream SSE: any bytes (SSE-shaped and not), cut into any chunks, for both protocols: decoded or refused, never a panic",
    ci_cases: 3_000,
    run: bytes,
};

/// Framing: a well-formed answer cut at any byte (inside a UTF-8 character too) reads as if whole.
pub const FRAMING: Target = Target {
    name: "sse-framing",
    what: "upstream SSE: a well-formed answer (any text, LF/CRLF/CR line ends, comments, pings, unknown events) cut at any bytes: the same text, in order, then the end",
    ci_cases: 2_000,
    run: framing,
};

/// Everything the worker would take from `chunks`: the decoded items, or the first error as text.
pub fn decode_all(provider: Provider, chunks: Vec<Vec<u8>>) -> (Vec<Upstream>, Option<String>) {
    let bytes = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, String>));
    let mut events = sse_events(bounded_lines(bytes, |e| e.to_string()));
    futures_executor::block_on(async {
        let mut out = Vec::new();
        while let Some(event) = events.next().await {
            match event {
                Ok(e) => match provider.decode(&e) {
                    Ok(items) => out.extend(items),
                    Err(p) => return (out, Some(p.to_string())),
                },
                Err(e) => return (out, Some(e.to_string())),
            }
        }
        (out, None)
    })
}

/// `bytes` cut at the given fractions of its length (sorted, deduplicated): how a network delivers it.
fn cut(bytes: &[u8], at: &[u16]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = at
        .iter()
        .map(|f| bytes.len() * usize::from(*f) / usize::from(u16::MAX))
        .collect();
    points.sort_unstable();
    points.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([bytes.len()]) {
        if p > start {
            chunks.push(bytes[start..p].to_vec());
            start = p;
        }
    }
    chunks
}

fn provider() -> impl Strategy<Value = Provider> {
    prop_oneof![Just(Provider::Anthropic), Just(Provider::Openai)]
}

/// Pieces an SSE stream (and a broken one) is made of, so random input reaches the decoders.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"event: content_block_delta".to_vec()),
        Just(b"event: message_delta".to_vec()),
        Just(b"event: message_stop".to_vec()),
        Just(b"event: error".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b": ping".to_vec()),
        Just(b"id: 7".to_vec()),
        Just(b"retry: 99999999999999999999".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just(br#"{"type":"text_delta","text":"x"}"#.to_vec()),
        Just(br#"{"delta":{"type":"text_delta","text":"hi"}}"#.to_vec()),
        Just(br#"{"choices":[{"delta":{"content":"hi"},"finish_reason":null}]}"#.to_vec()),
        Just(br#"{"choices":{}}"#.to_vec()),
        Just(br#"{"usage":{"prompt_tokens":-1,"completion_tokens":1e400}}"#.to_vec()),
        Just(br#"{"error":{"type":7}}"#.to_vec()),
        Just(vec![0xf0, 0x9f, 0x92]),
        Just(vec![0xff, 0xfe, 0x00]),
        any::<String>().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn bytes(budget: Budget) -> Outcome {
    let input = (
        provider(),
        prop::collection::vec(piece(), 0..48).prop_map(|p| p.concat()),
        prop::collection::vec(any::<u16>(), 0..12),
    );
    run_for(budget, input, |(provider, bytes, at)| {
        let whole = decode_all(provider, vec![bytes.clone()]);
        let cut_up = decode_all(provider, cut(&bytes, &at));
        // However the bytes arrive, the reader sees the same thing.
        prop_assert_eq!(whole, cut_up);
        Ok(())
    })
}

/// One well-formed answer on the wire and the text it carries.
#[derive(Debug, Clone)]
struct Answer {
    provider: Provider,
    texts: Vec<String>,
    /// Line ends: `\n`, `\r\n` or `\r`.
    eol: &'static str,
    /// Where a comment, a ping or an unknown event goes (before text number `i`).
    noise: Vec<(usize, u8)>,
}

impl Answer {
    fn wire(&self) -> Vec<u8> {
        let eol = self.eol;
        let event = |name: Option<&str>, data: serde_json::Value| {
            let mut s = String::new();
            if let Some(n) = name {
                s.push_str(&format!("event: {n}{eol}"));
            }
            s.push_str(&format!("data: {data}{eol}{eol}"));
            s
        };
        let anthropic = self.provider == Provider::Anthropic;
        let mut out = String::new();
        if anthropic {
            out.push_str(&event(
                Some("message_start"),
                json!({"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}),
            ));
        }
        for (i, text) in self.texts.iter().enumerate() {
            for (_, kind) in self.noise.iter().filter(|(at, _)| *at == i) {
                match kind % 3 {
                    0 => out.push_str(&format!(": keep-alive {i}{eol}")),
                    1 if anthropic => {
                        out.push_str(&event(Some("ping"), json!({"type":"ping"})));
                    }
                    _ => out.push_str(&event(
                        Some("future_event"),
                        json!({"type":"future_event","text":"not answer text"}),
                    )),
                }
            }
            if anthropic {
                out.push_str(&event(
                    Some("content_block_delta"),
                    json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":text}}),
                ));
            } else {
                out.push_str(&event(
                    None,
                    json!({"choices":[{"index":0,"delta":{"content":text},"finish_reason":null}]}),
                ));
            }
        }
        if anthropic {
            out.push_str(&event(
                Some("message_delta"),
                json!({"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}),
            ));
            out.push_str(&event(Some("message_stop"), json!({"type":"message_stop"})));
        } else {
            out.push_str(&event(
                None,
                json!({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}),
            ));
            out.push_str(&format!("data: [DONE]{eol}{eol}"));
        }
        out.into_bytes()
    }
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        provider(),
        prop::collection::vec(any::<String>().prop_filter("text", |t| !t.is_empty()), 1..8),
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        prop::collection::vec((0usize..8, any::<u8>()), 0..4),
    )
        .prop_map(|(provider, texts, eol, noise)| Answer {
            provider,
            texts,
            eol,
            noise,
        })
}

fn framing(budget: Budget) -> Outcome {
    let input = (answer(), prop::collection::vec(any::<u16>(), 0..16));
    run_for(budget, input, |(answer, at)| {
        let (items, error) = decode_all(answer.provider, cut(&answer.wire(), &at));
        prop_assert_eq!(error, None);
        let text: String = items
            .iter()
            .filter_map(|i| match i {
                Upstream::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        prop_assert_eq!(text, answer.texts.concat());
        prop_assert_eq!(items.last(), Some(&Upstream::End));
        Ok(())
    })
}
