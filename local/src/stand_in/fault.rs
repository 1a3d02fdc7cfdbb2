//! The faults the stand-in can play, chosen by the URL path so that a backend's configured base URL alone
//! selects one: `http://127.0.0.1:PORT/fault/<name>` + `/v1/messages`. No prefix means a healthy answer.

use std::time::Duration;

/// One behaviour of the stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// A well-formed streamed answer.
    None,
    /// HTTP 429 with `retry-after: <secs>` and the protocol's rate-limit error body (`429` or `429-<secs>`).
    RateLimited { retry_after_s: u32 },
    /// HTTP 429 with no `retry-after` at all (`429-bare`).
    RateLimitedBare,
    /// Headers (and then a healthy answer) only after `secs` (`slow-<secs>`): a slow first byte that
    /// still comes within the worker's timeout.
    SlowFirstByte { secs: u64 },
    /// A fast healthy answer for load runs (`seq-<n>`): deltas `s0 `, `s1 `, ... `s<n-1> ` sent with no
    /// pause, then `sum:<hex>`, the [`sequence_checksum`] of the text before it, so a reader can tell a
    /// lost, repeated or reordered chunk.
    Sequence { deltas: u32 },
    /// HTTP 500 with an `api_error` / `server_error` body (`500`).
    ServerError,
    /// HTTP 529 `overloaded_error`, as Anthropic sends when overloaded (`529`).
    Overloaded,
    /// Some text, then an `overloaded_error` event mid-stream (`overloaded-mid-stream`).
    OverloadedMidStream,
    /// Some text, then the connection is cut without the stream's end (`drop-mid-stream`).
    DropMidStream,
    /// 503 with `retry-after: 1` until `secs` after the first request on this path, then answers
    /// (`cold-<secs>`): a scale-to-zero GPU waking.
    ColdStart { secs: u64 },
    /// A well-formed stream that ends properly without any text, as a small model does when its first
    /// token is a stop sequence (`empty-answer`).
    EmptyAnswer,
    /// Headers never come; the request hangs until the client gives up (`no-first-byte`).
    NoFirstByte,
    /// A 200 `text/event-stream` whose events are not valid JSON or lack fields (`malformed`).
    Malformed,
    /// A healthy stream that trickles: a word every half second for two minutes, never silent long
    /// enough for an idle timeout (`trickle`).
    Trickle,
    /// A healthy stream with event types the client has never heard of mixed in (`unknown-events`).
    UnknownEvents,
    /// An answer cut off at the token limit: text, then stop reason `max_tokens` (Anthropic) or finish
    /// reason `length` (OpenAI) (`cut-off`; streamed answers only).
    CutOff,
    /// 303 See Other to a result URL that a GET then streams, as Modal does past its 150 s limit
    /// (`redirect-303`).
    Redirect303,
    /// A healthy stream whose answer is written a given way, so the eval's scores can be checked against
    /// a known-good and a known-bad answerer (`answer-passage`, `answer-unrelated`, `answer-generic`), or
    /// a judge's verdict (`answer-judge`).
    Answer(AnswerStyle),
}

/// How an `answer-*` stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerStyle {
    /// Quotes the first retrieved passage of the prompt: grounded, if nothing else.
    Passage,
    /// Talks about something the blog never covers, with made-up specifics.
    Unrelated,
    /// A generic assistant's answer: no facts, no voice.
    Generic,
    /// A long answer as a model writes up to its limit: as many words as the request's `max_tokens`
    /// (at most 4,000), twenty to a delta (`answer-long`).
    Long,
    /// Plays the eval's LLM judge (`answer-judge`): replies with a JSON verdict by a visible rule, so
    /// the judge's plumbing is tested without the real API (see `answer::judge_verdict`).
    Judge,
}

/// The most deltas a `seq-<n>` answer may have.
pub const MAX_SEQUENCE: u32 = 100_000;

/// FNV-1a (64-bit) of `text`: the checksum a `seq-<n>` answer ends with, so a load run can check that
/// every chunk arrived once and in order.
pub fn sequence_checksum(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The text of a `seq-<n>` answer: `n` numbered deltas, then the checksum of their text.
pub fn sequence_deltas(n: u32) -> Vec<String> {
    let mut deltas: Vec<String> = (0..n).map(|i| format!("s{i} ")).collect();
    let sum = sequence_checksum(&deltas.concat());
    deltas.push(format!("sum:{sum:016x}"));
    deltas
}

/// How long a `no-first-byte` request is held before the stand-in gives up itself (bounded, never forever).
pub const NO_FIRST_BYTE_HOLD: Duration = Duration::from_secs(300);

impl Fault {
    /// Parses a fault name from the path; `None` for an unknown name.
    pub fn parse(name: &str) -> Option<Fault> {
        let number = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|n| n.parse::<u64>().ok())
        };
        Some(match name {
            "none" | "ok" => Fault::None,
            "429" => Fault::RateLimited { retry_after_s: 7 },
            "429-bare" => Fault::RateLimitedBare,
            "500" => Fault::ServerError,
            "529" => Fault::Overloaded,
            "overloaded-mid-stream" => Fault::OverloadedMidStream,
            "drop-mid-stream" => Fault::DropMidStream,
            "empty-answer" => Fault::EmptyAnswer,
            "no-first-byte" => Fault::NoFirstByte,
            "malformed" => Fault::Malformed,
            "unknown-events" => Fault::UnknownEvents,
            "cut-off" => Fault::CutOff,
            "trickle" => Fault::Trickle,
            "redirect-303" => Fault::Redirect303,
            "answer-passage" => Fault::Answer(AnswerStyle::Passage),
            "answer-unrelated" => Fault::Answer(AnswerStyle::Unrelated),
            "answer-generic" => Fault::Answer(AnswerStyle::Generic),
            "answer-judge" => Fault::Answer(AnswerStyle::Judge),
            "answer-long" => Fault::Answer(AnswerStyle::Long),
            _ => {
                if let Some(s) = number("429-") {
                    Fault::RateLimited {
                        retry_after_s: u32::try_from(s).ok()?,
                    }
                } else if let Some(secs) = number("cold-") {
                    Fault::ColdStart { secs }
                } else if let Some(secs) = number("slow-") {
                    Fault::SlowFirstByte { secs }
                } else if let Some(n) = number("seq-") {
                    Fault::Sequence {
                        deltas: u32::try_from(n).ok().filter(|n| *n <= MAX_SEQUENCE)?,
                    }
                } else {
                    return None;
                }
            }
        })
    }

    /// Every fault name, for help text and the 404 message.
    pub const NAMES: &'static [&'static str] = &[
        "429",
        "429-<secs>",
        "429-bare",
        "slow-<secs>",
        "seq-<n>",
        "500",
        "529",
        "overloaded-mid-stream",
        "drop-mid-stream",
        "empty-answer",
        "cold-<secs>",
        "no-first-byte",
        "malformed",
        "unknown-events",
        "cut-off",
        "trickle",
        "redirect-303",
        "answer-passage",
        "answer-unrelated",
        "answer-generic",
        "answer-judge",
        "answer-long",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_parameters() {
        assert_eq!(
            Fault::parse("429"),
            Some(Fault::RateLimited { retry_after_s: 7 })
        );
        assert_eq!(
            Fault::parse("429-30"),
            Some(Fault::RateLimited { retry_after_s: 30 })
        );
        assert_eq!(Fault::parse("cold-5"), Some(Fault::ColdStart { secs: 5 }));
        assert_eq!(Fault::parse("cold-x"), None);
        assert_eq!(Fault::parse("429-bare"), Some(Fault::RateLimitedBare));
        assert_eq!(
            Fault::parse("slow-2"),
            Some(Fault::SlowFirstByte { secs: 2 })
        );
        assert_eq!(Fault::parse("seq-5"), Some(Fault::Sequence { deltas: 5 }));
        assert_eq!(Fault::parse("seq-100001"), None);
        let seq = sequence_deltas(3);
        assert_eq!(seq[..3], ["s0 ", "s1 ", "s2 "]);
        assert_eq!(
            seq[3],
            format!("sum:{:016x}", sequence_checksum("s0 s1 s2 "))
        );
        assert_eq!(Fault::parse("explode"), None);
        assert_eq!(
            Fault::parse("answer-generic"),
            Some(Fault::Answer(AnswerStyle::Generic))
        );
    }
}
