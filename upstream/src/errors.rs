//! How a backend's failures become the stream's `error` events: one function per failure, each with
//! its [`ErrorCode`] and a fixed message for the reader that never quotes what the backend or the
//! network said (it may echo secrets, URLs or prompt text): the worker logs that instead.
//! `backend` is the label readers know it by.

use twin_shared::{ChatEvent, ErrorCode};

/// A non-200 answer.
pub fn http_error(status: u16, retry_after_s: Option<u64>, backend: &str) -> ChatEvent {
    match status {
        429 => ChatEvent::error(
            ErrorCode::RateLimited,
            format!("{backend} is rate limited; try again shortly"),
            retry_after_s.or(Some(10)),
        ),
        529 => ChatEvent::error(
            ErrorCode::UpstreamOverloaded,
            format!("{backend} is overloaded; try again in a moment"),
            retry_after_s,
        ),
        401 | 403 => ChatEvent::error(
            ErrorCode::UpstreamAuth,
            format!("{backend} refused the worker's credentials"),
            None,
        ),
        400 | 404 | 413 | 422 => ChatEvent::error(
            ErrorCode::UpstreamRejected,
            format!("{backend} rejected the request (HTTP {status})"),
            None,
        ),
        _ => ChatEvent::error(
            ErrorCode::UpstreamError,
            format!("{backend} failed (HTTP {status})"),
            retry_after_s,
        ),
    }
}

/// Nothing within `secs` of asking.
pub fn timed_out(backend: &str, secs: u64) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamTimeout,
        format!("{backend} did not answer within {secs} s"),
        None,
    )
}

/// The connection failed.
pub fn unreachable(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamUnavailable,
        format!("{backend} is unreachable right now"),
        None,
    )
}

/// The backend's host does not resolve or its TLS fails: a configuration error, not a waking GPU.
pub fn misconfigured(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::NotConfigured,
        format!(
            "{backend} cannot be reached as configured; the site's owner has been told in the log"
        ),
        None,
    )
}

/// A 200 without a readable body.
pub fn no_body(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamError,
        format!("{backend} answered without a body"),
        None,
    )
}

/// The stream went quiet for `secs`.
pub fn went_silent(backend: &str, secs: u64) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamTimeout,
        format!("{backend} went silent for {secs} s"),
        None,
    )
}

/// The connection broke mid-stream.
pub fn cut_off(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamDropped,
        format!("{backend}'s answer was cut off"),
        None,
    )
}

/// The answer took longer than its overall deadline of `secs`.
pub fn too_slow(backend: &str, secs: u64) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamTimeout,
        format!("{backend}'s answer took longer than {secs} s and was stopped"),
        None,
    )
}

/// The stream ended without its protocol's end event.
pub fn ended_early(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamDropped,
        format!("{backend}'s answer ended early"),
        None,
    )
}

/// An event that does not decode.
pub fn malformed(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::UpstreamProtocol,
        format!("{backend} sent a stream that could not be read"),
        None,
    )
}

/// An error event inside the stream (`kind` is the protocol's error type; its message is not passed on).
pub fn in_stream(backend: &str, kind: &str) -> ChatEvent {
    if kind.contains("overloaded") {
        ChatEvent::error(
            ErrorCode::UpstreamOverloaded,
            format!("{backend} is overloaded; try again in a moment"),
            None,
        )
    } else {
        ChatEvent::error(
            ErrorCode::UpstreamError,
            format!("{backend} failed while answering"),
            None,
        )
    }
}

/// A scale-to-zero backend did not wake within its deadline of `secs`.
pub fn did_not_wake(backend: &str, secs: u64) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::GpuUnavailable,
        format!("{backend} did not wake within {secs} s; try again in a minute"),
        Some(30),
    )
}

/// The backend has used its daily token budget; it resets in `reset_s` seconds.
pub fn budget_exhausted(backend: &str, reset_s: u64) -> ChatEvent {
    let hours = reset_s.div_ceil(3600);
    ChatEvent::error(
        ErrorCode::BudgetExhausted,
        format!(
            "{backend} has answered all it can today; it is back in about {hours} hour{}",
            if hours == 1 { "" } else { "s" }
        ),
        Some(reset_s),
    )
}

/// The model ended its turn without any visible text.
pub fn empty_answer(backend: &str) -> ChatEvent {
    ChatEvent::error(
        ErrorCode::EmptyAnswer,
        format!("{backend} ended its answer without saying anything"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: ChatEvent) -> (String, bool, Option<u64>) {
        match e {
            ChatEvent::Error(e) => (e.code, e.retryable, e.retry_after_s),
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn statuses_map_to_codes_and_retry_hints() {
        let c = |s, r| code(http_error(s, r, "B"));
        assert_eq!(c(429, None), ("rate_limited".into(), true, Some(10)));
        assert_eq!(c(429, Some(3)), ("rate_limited".into(), true, Some(3)));
        assert_eq!(c(529, None), ("upstream_overloaded".into(), true, None));
        assert_eq!(c(401, None), ("upstream_auth".into(), false, None));
        assert_eq!(c(422, None), ("upstream_rejected".into(), false, None));
        assert_eq!(c(500, Some(5)), ("upstream_error".into(), true, Some(5)));
        assert_eq!(
            code(in_stream("B", "overloaded_error")).0,
            "upstream_overloaded"
        );
        assert_eq!(code(in_stream("B", "api_error")).0, "upstream_error");
        assert_eq!(
            code(misconfigured("B")),
            ("not_configured".into(), false, None)
        );
    }
}
