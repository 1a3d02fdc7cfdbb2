//! What one decoded upstream event says, whatever the protocol.

/// What one upstream event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Answer text.
    Text(String),
    /// Token counts; `None` fields were not reported by this event. Output counts are cumulative.
    Usage {
        /// Prompt tokens.
        input: Option<u64>,
        /// Answer tokens so far.
        output: Option<u64>,
    },
    /// Why generation stopped.
    Stop(String),
    /// An error inside the stream (e.g. Anthropic's `overloaded_error`).
    Error {
        /// The protocol's error type (`overloaded_error`, `server_error`, ...).
        kind: String,
        /// Its message.
        message: String,
    },
    /// The stream's proper end (`message_stop`, `[DONE]`).
    End,
}

/// An event whose data does not match its protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed {protocol} event `{event}`: {detail}")]
pub struct ProtocolError {
    /// `anthropic` or `openai`.
    pub protocol: &'static str,
    /// The event's name (`chunk` for OpenAI's unnamed events).
    pub event: String,
    /// What was wrong with it.
    pub detail: String,
}
