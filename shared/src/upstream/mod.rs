//! Decoding the upstream model streams into what they mean for twin's stream. SSE framing is done by the
//! maintained `eventsource-stream` crate ([`sse_events`]); this module only interprets each event's data,
//! for the Anthropic Messages protocol ([`anthropic`]) and the OpenAI chat completions protocol
//! ([`openai`]). One decoder for the worker, the CLI and the tests.

pub mod anthropic;
pub mod openai;

use futures_core::Stream;

pub use eventsource_stream::{Event as SseEvent, EventStreamError};

/// What one upstream event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Answer text.
    Text(String),
    /// Token counts; `None` fields were not reported by this event. Output counts are cumulative.
    Usage {
        input: Option<u64>,
        output: Option<u64>,
    },
    /// Why generation stopped.
    Stop(String),
    /// An error inside the stream (e.g. Anthropic's `overloaded_error`).
    Error { kind: String, message: String },
    /// The stream's proper end (`message_stop`, `[DONE]`).
    End,
}

/// An event whose data does not match its protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {protocol} event `{event}`: {detail}")]
pub struct ProtocolError {
    pub protocol: &'static str,
    pub event: String,
    pub detail: String,
}

/// Frames a byte stream into SSE events.
pub fn sse_events<S, B, E>(bytes: S) -> eventsource_stream::EventStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    eventsource_stream::Eventsource::eventsource(bytes)
}
