//! Every error code the worker sends, in one place: as an HTTP refusal before a stream starts (its
//! status) or as a stream's `error` event (whether asking again may work). The wire carries the code as
//! its snake_case string, so readers that meet a code they do not know still read the event.

use serde::{Deserialize, Serialize};

/// A stable reason a request was refused or an answer failed; [`ErrorCode::as_str`] is what programs
/// match on, the message beside it is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Refusals of the request itself.
    /// The body is not JSON.
    InvalidJson,
    /// JSON of the wrong shape (wrong types, unknown fields, a `system` role).
    InvalidRequest,
    /// The body is not UTF-8.
    InvalidUtf8,
    /// No messages at all.
    NoMessages,
    /// A message with no text.
    EmptyMessage,
    /// A message over the character limit.
    MessageTooLong,
    /// More turns than a conversation may hold.
    TooManyTurns,
    /// The conversation does not end with the reader's message.
    LastNotUser,
    /// The body is over the size limit.
    BodyTooLarge,
    /// No backend with that id.
    UnknownBackend,
    /// A chat request that is not `application/json`.
    UnsupportedMediaType,
    /// A known path with the wrong method.
    MethodNotAllowed,
    /// No such path.
    NotFound,
    /// A browser origin that may not call the API.
    OriginNotAllowed,
    /// `OPTIONS` without an `Origin`.
    NotAPreflight,
    /// Too many requests from one address (or, in a stream, from the backend's own limit).
    RateLimited,
    /// `/api/search` parameters that do not parse.
    BadQuery,
    /// `/api/search` without `q`.
    MissingQuery,
    /// `/api/search` with a `q` over its limit.
    QueryTooLong,
    /// `/api/search` switched off by configuration.
    SearchDisabled,
    /// The worker or a backend lacks configuration or a secret.
    NotConfigured,
    // Failures of the answer.
    /// The index could not be searched.
    RetrievalFailed,
    /// The backend says it is overloaded.
    UpstreamOverloaded,
    /// The backend failed (a 5xx, or an error inside its stream).
    UpstreamError,
    /// The backend's stream was cut off before it finished.
    UpstreamDropped,
    /// The backend sent nothing for too long.
    UpstreamTimeout,
    /// The backend could not be reached.
    UpstreamUnavailable,
    /// The backend's stream could not be read.
    UpstreamProtocol,
    /// The backend refused the worker's credentials.
    UpstreamAuth,
    /// The backend rejected the request as made.
    UpstreamRejected,
    /// The model ended its turn without any text.
    EmptyAnswer,
    /// A scale-to-zero GPU did not wake within the deadline.
    GpuUnavailable,
    /// The request names a probe this worker does not have.
    UnknownProbe,
    /// The backend has spent its daily token budget; it resets at midnight UTC (`retry_after_s`).
    BudgetExhausted,
    /// Feedback for an answer this worker has no trace of (a wrong id, or one past its retention).
    UnknownTrace,
    /// Feedback sent to a worker that keeps no traces (`TRACES = "off"`).
    FeedbackOff,
}

impl ErrorCode {
    /// Every code, for docs and tests.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidJson,
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidUtf8,
        ErrorCode::NoMessages,
        ErrorCode::EmptyMessage,
        ErrorCode::MessageTooLong,
        ErrorCode::TooManyTurns,
        ErrorCode::LastNotUser,
        ErrorCode::BodyTooLarge,
        ErrorCode::UnknownBackend,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::MethodNotAllowed,
        ErrorCode::NotFound,
        ErrorCode::OriginNotAllowed,
        ErrorCode::NotAPreflight,
        ErrorCode::RateLimited,
        ErrorCode::BadQuery,
        ErrorCode::MissingQuery,
        ErrorCode::QueryTooLong,
        ErrorCode::SearchDisabled,
        ErrorCode::NotConfigured,
        ErrorCode::RetrievalFailed,
        ErrorCode::UpstreamOverloaded,
        ErrorCode::UpstreamError,
        ErrorCode::UpstreamDropped,
        ErrorCode::UpstreamTimeout,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::UpstreamProtocol,
        ErrorCode::UpstreamAuth,
        ErrorCode::UpstreamRejected,
        ErrorCode::EmptyAnswer,
        ErrorCode::GpuUnavailable,
        ErrorCode::UnknownProbe,
        ErrorCode::BudgetExhausted,
        ErrorCode::UnknownTrace,
        ErrorCode::FeedbackOff,
    ];

    /// The code as sent on the wire.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "invalid_json",
            InvalidRequest => "invalid_request",
            InvalidUtf8 => "invalid_utf8",
            NoMessages => "no_messages",
            EmptyMessage => "empty_message",
            MessageTooLong => "message_too_long",
            TooManyTurns => "too_many_turns",
            LastNotUser => "last_not_user",
            BodyTooLarge => "body_too_large",
            UnknownBackend => "unknown_backend",
            UnsupportedMediaType => "unsupported_media_type",
            MethodNotAllowed => "method_not_allowed",
            NotFound => "not_found",
            OriginNotAllowed => "origin_not_allowed",
            NotAPreflight => "not_a_preflight",
            RateLimited => "rate_limited",
            BadQuery => "bad_query",
            MissingQuery => "missing_query",
            QueryTooLong => "query_too_long",
            SearchDisabled => "search_disabled",
            NotConfigured => "not_configured",
            RetrievalFailed => "retrieval_failed",
            UpstreamOverloaded => "upstream_overloaded",
            UpstreamError => "upstream_error",
            UpstreamDropped => "upstream_dropped",
            UpstreamTimeout => "upstream_timeout",
            UpstreamUnavailable => "upstream_unavailable",
            UpstreamProtocol => "upstream_protocol",
            UpstreamAuth => "upstream_auth",
            UpstreamRejected => "upstream_rejected",
            EmptyAnswer => "empty_answer",
            GpuUnavailable => "gpu_unavailable",
            UnknownProbe => "unknown_probe",
            BudgetExhausted => "budget_exhausted",
            UnknownTrace => "unknown_trace",
            FeedbackOff => "feedback_off",
        }
    }

    /// The code a wire string names, if it is one of these (read by serde, so it knows every variant
    /// whether or not [`ErrorCode::ALL`] lists it).
    pub fn parse(code: &str) -> Option<ErrorCode> {
        serde_json::from_value(serde_json::Value::String(code.to_string())).ok()
    }

    /// The HTTP status of a refusal with this code (codes that only end streams get the gateway status
    /// a proxy would use).
    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            InvalidJson | InvalidRequest | InvalidUtf8 | NoMessages | EmptyMessage
            | MessageTooLong | TooManyTurns | LastNotUser | UnknownBackend | NotAPreflight
            | BadQuery | MissingQuery | QueryTooLong | UnknownProbe => 400,
            OriginNotAllowed => 403,
            NotFound | SearchDisabled | UnknownTrace | FeedbackOff => 404,
            MethodNotAllowed => 405,
            BodyTooLarge => 413,
            UnsupportedMediaType => 415,
            RateLimited => 429,
            UpstreamOverloaded | UpstreamError | UpstreamDropped | UpstreamProtocol
            | UpstreamAuth | UpstreamRejected | EmptyAnswer => 502,
            // The index is not there: still loading, a failed load not yet retried, or one that
            // will not open until a redeploy. Unavailable, not an internal error.
            NotConfigured | UpstreamUnavailable | GpuUnavailable | BudgetExhausted
            | RetrievalFailed => 503,
            UpstreamTimeout => 504,
        }
    }

    /// Whether asking again, unchanged, may work: true for the backend's passing troubles, false where
    /// the same request will fail the same way. (`budget_exhausted` passes, but only at the reset time
    /// its `retry_after_s` gives.)
    pub fn retryable(self) -> bool {
        use ErrorCode::*;
        matches!(
            self,
            RateLimited
                | UpstreamOverloaded
                | UpstreamError
                | UpstreamDropped
                | UpstreamTimeout
                | UpstreamUnavailable
                | UpstreamProtocol
                | EmptyAnswer
                | GpuUnavailable
                | BudgetExhausted
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_string_is_serdes_and_parses_back() {
        for c in ErrorCode::ALL {
            let json = serde_json::to_string(c).expect("serialise");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).expect("read"), *c);
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "a code listed twice");
    }

    #[test]
    fn refusals_are_client_errors_and_not_retryable() {
        for c in ErrorCode::ALL.iter().filter(|c| c.status() < 500) {
            assert!((400..500).contains(&c.status()), "{c}: {}", c.status());
            assert_eq!(c.retryable(), *c == ErrorCode::RateLimited, "{c}");
        }
        assert_eq!(ErrorCode::BodyTooLarge.status(), 413);
        assert!(!ErrorCode::UpstreamAuth.retryable());
        // 503 (the index is not there), but not retryable: it also covers an index that will never
        // open (built without one, or a mismatched asset) until the worker is redeployed.
        assert!(!ErrorCode::RetrievalFailed.retryable());
        assert_eq!(ErrorCode::RetrievalFailed.status(), 503);
        assert!(ErrorCode::GpuUnavailable.retryable());
    }
}
