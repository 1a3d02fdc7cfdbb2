//! The stream the worker sends and the widget and eval read, as server-sent events.
//!
//! Order: `sources`? → `status`* → `delta`+ → `done`, or `error` at any point (then nothing). Readers
//! ignore event names they do not know; fields are only ever added, never changed in meaning.

use crate::ErrorCode;
use serde::{Deserialize, Serialize};

/// A retrieved passage as the reader sees it: a link to the post and why it was picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub title: String,
    pub url: String,
    pub snippet: String,
    /// How well this passage covers the question (`covered` or `thin`; a passage that covers nothing is
    /// not sent). The question's coverage is the best of its sources': an empty `sources` list means the
    /// author has not written about it. Absent from workers that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
}

/// How much of a question the author's writing covers, judged from retrieval: passages that answer it,
/// passages that only touch on it, or nothing worth showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    Covered,
    Thin,
    None,
    /// A level this reader does not know (sent by a newer worker): read, never sent.
    #[serde(other)]
    Unknown,
}

impl Coverage {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Coverage::Covered => "covered",
            Coverage::Thin => "thin",
            Coverage::None => "none",
            Coverage::Unknown => "unknown",
        }
    }

    /// The best of some levels (covered, then thin, then none); `none` for no levels.
    pub fn best(levels: &[Coverage]) -> Coverage {
        let rank = |c: &Coverage| match c {
            Coverage::Covered => 3,
            Coverage::Thin => 2,
            Coverage::Unknown => 1,
            Coverage::None => 0,
        };
        levels
            .iter()
            .copied()
            .max_by_key(rank)
            .unwrap_or(Coverage::None)
    }
}

/// Waiting, said out loud: a scale-to-zero GPU waking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// `waking` (a GPU cold start, the only phase the worker sends today); readers show `message`
    /// whatever the phase, so new phases need no reader change.
    pub phase: String,
    pub elapsed_ms: u64,
    pub message: String,
}

/// Tokens the upstream model counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// How an answer ended and what it cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done {
    /// `end_turn`, `max_tokens`, `stop`, ... as the upstream said.
    pub stop_reason: String,
    pub usage: Usage,
    /// Time from the request to the first text.
    pub ttft_ms: u64,
    pub total_ms: u64,
    /// The worker's signature of this answer: sent back with it as history, it shows the answer is the
    /// twin's own (a message without a valid one is not trusted as the twin's words).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The id of this answer's trace, for `POST /api/feedback`; absent when the worker keeps no traces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// The answer was made earlier for a probe and replayed from the worker's cache (no model was
    /// asked; `usage` is what this answer cost: nothing).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cached: bool,
    /// When a cached answer was made (Unix milliseconds); absent for a live answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_at_ms: Option<u64>,
}

/// For `skip_serializing_if`: a `false` flag is left off the wire.
fn is_false(b: &bool) -> bool {
    !*b
}

/// A failure; after it nothing else comes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEvent {
    /// An [`ErrorCode`]'s wire string (a string, so a reader meeting a newer code still reads it).
    pub code: String,
    pub message: String,
    /// Whether asking again may work.
    pub retryable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

/// One event of the chat stream.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    Sources(Vec<Source>),
    Status(Status),
    Delta { text: String },
    Done(Done),
    Error(ErrorEvent),
}

#[derive(Serialize, Deserialize)]
struct DeltaBody {
    text: String,
}

impl ChatEvent {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            ChatEvent::Sources(_) => "sources",
            ChatEvent::Status(_) => "status",
            ChatEvent::Delta { .. } => "delta",
            ChatEvent::Done(_) => "done",
            ChatEvent::Error(_) => "error",
        }
    }

    /// The event as one SSE frame: `event: <name>\ndata: <json>\n\n` (JSON never holds a raw newline).
    pub fn to_sse(&self) -> String {
        let data = match self {
            ChatEvent::Sources(s) => serde_json::to_string(s),
            ChatEvent::Status(s) => serde_json::to_string(s),
            ChatEvent::Delta { text } => serde_json::to_string(&DeltaBody { text: text.clone() }),
            ChatEvent::Done(d) => serde_json::to_string(d),
            ChatEvent::Error(e) => serde_json::to_string(e),
        }
        .unwrap_or_else(|_| "{}".to_string());
        format!("event: {}\ndata: {data}\n\n", self.name())
    }

    /// Reads an event back from its SSE name and data; `None` for unknown names (to be ignored) and
    /// `Some(Err)` for a known name with bad data.
    pub fn from_sse(name: &str, data: &str) -> Option<Result<ChatEvent, serde_json::Error>> {
        Some(match name {
            "sources" => serde_json::from_str(data).map(ChatEvent::Sources),
            "status" => serde_json::from_str(data).map(ChatEvent::Status),
            "delta" => {
                serde_json::from_str::<DeltaBody>(data).map(|d| ChatEvent::Delta { text: d.text })
            }
            "done" => serde_json::from_str(data).map(ChatEvent::Done),
            "error" => serde_json::from_str(data).map(ChatEvent::Error),
            _ => return None,
        })
    }

    /// An error event; whether it is retryable is the code's ([`ErrorCode::retryable`]).
    pub fn error(
        code: ErrorCode,
        message: impl Into<String>,
        retry_after_s: Option<u64>,
    ) -> ChatEvent {
        ChatEvent::Error(ErrorEvent {
            code: code.as_str().to_string(),
            message: message.into(),
            retryable: code.retryable(),
            retry_after_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_sse() {
        let events = [
            ChatEvent::Sources(vec![Source {
                title: "T".into(),
                url: "u".into(),
                snippet: "a\nb".into(),
                coverage: Some(Coverage::Thin),
            }]),
            ChatEvent::Status(Status {
                phase: "waking".into(),
                elapsed_ms: 5,
                message: "m".into(),
            }),
            ChatEvent::Delta {
                text: "line\nbreak".into(),
            },
            ChatEvent::Done(Done {
                stop_reason: "end_turn".into(),
                usage: Usage {
                    input_tokens: 1,
                    output_tokens: 2,
                },
                ttft_ms: 3,
                total_ms: 4,
                signature: Some("ab12".into()),
                trace: Some("0123456789abcdef0123456789abcdef".into()),
                cached: true,
                made_at_ms: Some(1_790_000_000_000),
            }),
            ChatEvent::error(ErrorCode::RateLimited, "slow down", Some(7)),
        ];
        for c in [Coverage::Covered, Coverage::Thin, Coverage::None] {
            assert_eq!(
                serde_json::to_string(&c).ok(),
                Some(format!("\"{}\"", c.as_str())),
                "the wire name is the serde name"
            );
        }
        let old: Source = serde_json::from_str(r#"{"title":"T","url":"u","snippet":"s"}"#)
            .expect("a source from a worker without coverage");
        assert_eq!(old.coverage, None);
        assert!(
            !serde_json::to_string(&old)
                .unwrap_or_default()
                .contains("coverage")
        );
        let newer: Source =
            serde_json::from_str(r#"{"title":"T","url":"u","snippet":"s","coverage":"partial"}"#)
                .expect("a level from a newer worker");
        assert_eq!(newer.coverage, Some(Coverage::Unknown));
        assert_eq!(
            Coverage::best(&[Coverage::None, Coverage::Covered, Coverage::Thin]),
            Coverage::Covered
        );
        assert_eq!(Coverage::best(&[]), Coverage::None);
        for e in events {
            let frame = e.to_sse();
            let (head, data) = frame.trim_end().split_once('\n').expect("two lines");
            assert!(!data.contains('\n'), "one data line: {frame}");
            let name = head.strip_prefix("event: ").expect("event line");
            let back = ChatEvent::from_sse(name, data.strip_prefix("data: ").expect("data"))
                .expect("known")
                .expect("valid");
            assert_eq!(back, e);
        }
        assert!(ChatEvent::from_sse("future", "{}").is_none());
    }
}
