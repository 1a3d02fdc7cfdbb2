//! An answer being read, event by event: the text to pass on, the usage and stop reason to keep, and
//! when the answer has finished or failed. The worker feeds it what [`crate::Provider::decode`] gives
//! and only moves bytes and keeps time.

use crate::{Upstream, errors};
use twin_shared::{ChatEvent, Usage};

/// What the reader is owed after one decoded event.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this text as a `delta`.
    Delta(String),
    /// Nothing to send yet.
    Continue,
    /// The answer ended properly: send `done` with these.
    Finished { stop_reason: String, usage: Usage },
    /// The answer failed: send this `error` (a fixed message) and stop; `detail` is what the backend
    /// said, for the log only.
    Failed { event: ChatEvent, detail: String },
}

/// The state of one answer's stream.
#[derive(Debug, Default)]
pub struct Answer {
    usage: Usage,
    stop_reason: Option<String>,
    /// Whether any visible text was passed on: a stream that ends without any is an `empty_answer`
    /// error, not a blank answer.
    said_something: bool,
}

impl Answer {
    /// What `item` means; `backend` is the label used in error messages.
    pub fn feed(&mut self, item: Upstream, backend: &str) -> Step {
        match item {
            Upstream::Text(text) => {
                self.said_something |= !text.trim().is_empty();
                Step::Delta(text)
            }
            Upstream::Usage { input, output } => {
                if let Some(i) = input {
                    self.usage.input_tokens = i;
                }
                if let Some(o) = output {
                    self.usage.output_tokens = o;
                }
                Step::Continue
            }
            Upstream::Stop(reason) => {
                self.stop_reason = Some(reason);
                Step::Continue
            }
            Upstream::Error { kind, message } => Step::Failed {
                event: errors::in_stream(backend, &kind),
                detail: format!("{kind}: {message}"),
            },
            Upstream::End if !self.said_something => Step::Failed {
                event: errors::empty_answer(backend),
                detail: "the stream ended without text".into(),
            },
            Upstream::End => Step::Finished {
                stop_reason: self
                    .stop_reason
                    .clone()
                    .unwrap_or_else(|| "end_turn".into()),
                usage: self.usage,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_usage_and_stop_make_a_finished_answer() {
        let mut a = Answer::default();
        let text = |t: &str| Upstream::Text(t.into());
        assert_eq!(a.feed(text("Hi"), "B"), Step::Delta("Hi".into()));
        let usage = Upstream::Usage {
            input: Some(7),
            output: Some(2),
        };
        assert_eq!(a.feed(usage, "B"), Step::Continue);
        assert_eq!(
            a.feed(Upstream::Stop("max_tokens".into()), "B"),
            Step::Continue
        );
        let Step::Finished { stop_reason, usage } = a.feed(Upstream::End, "B") else {
            panic!("not finished");
        };
        assert_eq!(stop_reason, "max_tokens");
        assert_eq!((usage.input_tokens, usage.output_tokens), (7, 2));
    }

    #[test]
    fn an_answer_without_visible_text_or_with_an_error_fails() {
        let mut a = Answer::default();
        assert_eq!(
            a.feed(Upstream::Text("  \n".into()), "B"),
            Step::Delta("  \n".into())
        );
        let Step::Failed {
            event: ChatEvent::Error(e),
            ..
        } = a.feed(Upstream::End, "B")
        else {
            panic!("a blank answer must fail");
        };
        assert_eq!((e.code.as_str(), e.retryable), ("empty_answer", true));
        let mut b = Answer::default();
        let err = Upstream::Error {
            kind: "overloaded_error".into(),
            message: "busy: sk-echoed-secret".into(),
        };
        let Step::Failed {
            event: ChatEvent::Error(e),
            detail,
        } = b.feed(err, "B")
        else {
            panic!("an in-stream error must fail");
        };
        assert_eq!(e.code, "upstream_overloaded");
        assert!(
            !e.message.contains("busy"),
            "the reader never sees it: {}",
            e.message
        );
        assert_eq!(
            detail, "overloaded_error: busy: sk-echoed-secret",
            "the log does"
        );
    }
}
