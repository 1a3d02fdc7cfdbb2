//! The conversation controller of one pane: its turns as they stream in, sending, retrying and stopping
//! the request in flight, and folding each stream event into the answer.

use crate::api;
use crate::feedback::FeedbackState;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twin_shared::chat::{MAX_ANSWER_CHARS, MAX_MESSAGE_CHARS};
use twin_shared::feedback::{MAX_FEEDBACK_BYTES, MAX_REPORT_TURNS};
use twin_shared::{
    BackendInfo, ChatEvent, ChatMessage, ChatRequest, Done, ErrorCode, Source, Status,
};
use web_sys::AbortController;

/// A failure shown under an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub message: String,
    pub retryable: bool,
}

/// One question and its answer so far.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Turn {
    pub question: String,
    /// The probe that asked it, if a probe button did.
    pub probe: Option<String>,
    pub answer: String,
    pub sources: Vec<Source>,
    /// Retrieval found nothing worth showing: the author hasn't written about it (an empty `sources`).
    pub uncovered: bool,
    /// The latest waiting status (GPU waking), cleared when text arrives.
    pub status: Option<Status>,
    pub failure: Option<Failure>,
    pub done: Option<Done>,
    pub streaming: bool,
    pub stopped: bool,
}

impl Turn {
    fn apply(&mut self, event: ChatEvent) {
        match event {
            ChatEvent::Sources(s) => {
                self.uncovered = s.is_empty();
                self.sources = s;
            }
            ChatEvent::Status(s) => self.status = Some(s),
            ChatEvent::Delta { text } => {
                self.status = None;
                self.answer.push_str(&text);
            }
            ChatEvent::Done(d) => {
                self.status = None;
                self.done = Some(d);
            }
            ChatEvent::Error(e) => {
                self.status = None;
                // Only these codes change what is shown; compared as strings (no parsing needed).
                let code = e.code.as_str();
                let message = match e.retry_after_s {
                    Some(s) if code == ErrorCode::RateLimited.as_str() => {
                        format!("Too many questions right now. Try again in {s} seconds.")
                    }
                    _ if code == ErrorCode::GpuUnavailable.as_str() => {
                        format!("{} The GPU may still be waking; try again.", e.message)
                    }
                    _ => e.message,
                };
                // A spent daily budget passes only at its reset: no "Try again" before then.
                let retryable = e.retryable && code != ErrorCode::BudgetExhausted.as_str();
                self.failure = Some(Failure { message, retryable });
            }
        }
    }
}

/// One turn in a pane's list: a stable id (the key its view is kept by) and its own signal, so a streamed
/// delta updates that turn alone and the list only changes when a turn is added or removed.
#[derive(Clone)]
pub struct TurnCell {
    /// Unique within the pane.
    pub id: u64,
    /// The turn as it streams in.
    pub turn: ArcRwSignal<Turn>,
    /// The reader's verdict or report on its answer (its own signal: feedback never re-renders the
    /// answer, and the answer's last changes never reset it).
    pub feedback: ArcRwSignal<FeedbackState>,
}

/// What the reader can do about a refusal that asking again cannot fix: a question over the limit is
/// theirs to shorten; otherwise the conversation itself has grown past what the worker takes.
fn advice(code: &str, question: &str) -> Option<&'static str> {
    let history = [
        ErrorCode::MessageTooLong,
        ErrorCode::TooManyTurns,
        ErrorCode::BodyTooLarge,
    ];
    if !history.iter().any(|c| c.as_str() == code) {
        return None;
    }
    if question.chars().count() > MAX_MESSAGE_CHARS {
        Some("Shorten your question.")
    } else {
        Some("Start a new conversation.")
    }
}

/// A pane: which backend, and its conversation.
#[derive(Clone)]
pub struct PaneState {
    pub backend: BackendInfo,
    pub endpoint: String,
    /// The worker takes feedback on answers (it keeps traces).
    pub feedback: bool,
    pub turns: RwSignal<Vec<TurnCell>>,
    next_id: StoredValue<u64>,
    /// The request in flight and the id of its turn (so a finished request never clears a newer one's).
    abort: RwSignal<Option<(u64, AbortController)>, LocalStorage>,
}

impl PaneState {
    /// An empty conversation with `backend` through the worker at `endpoint`, which takes `feedback`
    /// on answers or not.
    pub fn new(backend: BackendInfo, endpoint: String, feedback: bool) -> PaneState {
        PaneState {
            backend,
            endpoint,
            feedback,
            turns: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(0),
            abort: RwSignal::new_local(None),
        }
    }

    /// Whether an answer is streaming.
    pub fn busy(&self) -> bool {
        self.turns
            .with(|t| t.last().is_some_and(|c| c.turn.with(|t| t.streaming)))
    }

    /// The newest turn's cell.
    fn last(&self) -> Option<TurnCell> {
        self.turns.with_untracked(|t| t.last().cloned())
    }

    /// Asks `question` in this pane's conversation.
    pub fn ask(&self, question: String, probe: Option<String>) {
        self.ask_as(question, probe, false);
    }

    /// Asks `question`; `live` asks the model even when the worker holds a cached answer to the probe.
    /// A probe is a question of its own: it goes without the earlier turns (so its answer can come from
    /// the worker's probe cache), and its answer joins the conversation as any other.
    fn ask_as(&self, question: String, probe: Option<String>, live: bool) {
        self.stop();
        // Earlier answers go back with the signature their `done` carried (the worker trusts no other);
        // as many of the newest as fit the worker's limits.
        let history: Vec<ChatMessage> = self.turns.with_untracked(|cells| {
            if probe.is_some() {
                return Vec::new();
            }
            cells
                .iter()
                .filter_map(|c| {
                    c.turn.with_untracked(|t| {
                        let signature = t.done.as_ref()?.signature.clone()?;
                        (t.failure.is_none() && !t.answer.trim().is_empty()).then(|| {
                            [
                                ChatMessage::user(t.question.clone()),
                                ChatMessage::assistant(t.answer.clone(), Some(signature)),
                            ]
                        })
                    })
                })
                .flatten()
                .collect()
        });
        let mut req = ChatRequest::bounded(&self.backend.id, &history, &question, probe.clone());
        req.live = live;
        let Ok(controller) = AbortController::new() else {
            return;
        };
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let cell = TurnCell {
            id,
            turn: ArcRwSignal::new(Turn {
                question,
                probe,
                streaming: true,
                ..Default::default()
            }),
            feedback: ArcRwSignal::new(FeedbackState::default()),
        };
        let turn = cell.turn.clone();
        self.turns.update(|t| t.push(cell));
        let signal = controller.signal();
        self.abort.set(Some((id, controller)));
        let abort = self.abort;
        let endpoint = self.endpoint.clone();
        spawn_local(async move {
            let result = api::chat(&endpoint, &req, &signal, |event| {
                turn.update(|t| t.apply(event))
            })
            .await;
            turn.update(|last| {
                last.streaming = false;
                if let Err(refused) = result
                    && !last.stopped
                    && last.failure.is_none()
                {
                    let message = match advice(&refused.code, &last.question) {
                        Some(what) => format!("{} {what}", refused.message),
                        None => refused.message,
                    };
                    last.failure = Some(Failure {
                        message,
                        retryable: refused.retryable,
                    });
                }
                if last.done.is_none() && last.failure.is_none() && !last.stopped {
                    last.failure = Some(Failure {
                        message: "The answer ended early.".into(),
                        retryable: true,
                    });
                }
            });
            // Only if no newer request has replaced this one.
            abort.update(|a| {
                if a.as_ref().is_some_and(|(i, _)| *i == id) {
                    *a = None;
                }
            });
        });
    }

    /// Stops the answer in flight, keeping what arrived.
    pub fn stop(&self) {
        if let Some((_, c)) = self.abort.get_untracked() {
            if let Some(cell) = self.last() {
                cell.turn.update(|last| {
                    if last.streaming {
                        last.stopped = true;
                        last.streaming = false;
                        last.status = None;
                    }
                });
            }
            c.abort();
            self.abort.set(None);
        }
    }

    /// Asks the last question again (after a retryable failure).
    pub fn retry(&self) {
        self.again(false);
    }

    /// Asks the last probe again, live: the model answers now instead of the worker's cache.
    pub fn ask_live(&self) {
        self.again(true);
    }

    /// Replaces the last turn with a new asking of its question (and probe).
    fn again(&self, live: bool) {
        let last = self.last().map(|c| {
            c.turn
                .with_untracked(|t| (t.question.clone(), t.probe.clone()))
        });
        if let Some((q, probe)) = last {
            self.turns.update(|t| {
                t.pop();
            });
            self.ask_as(q, probe, live);
        }
    }

    /// The conversation up to and including turn `id`, for a jailbreak report (see [`report_messages`]).
    pub fn conversation_until(&self, id: u64) -> Vec<ChatMessage> {
        let turns: Vec<(String, String, Option<String>)> = self.turns.with_untracked(|cells| {
            cells
                .iter()
                .filter(|c| c.id <= id)
                .map(|c| {
                    c.turn.with_untracked(|t| {
                        let signature = t.done.as_ref().and_then(|d| d.signature.clone());
                        (t.question.clone(), t.answer.clone(), signature)
                    })
                })
                .collect()
        });
        report_messages(&turns)
    }

    /// Starts a new conversation.
    pub fn clear(&self) {
        self.stop();
        self.turns.set(Vec::new());
    }
}

/// A reported conversation from `(question, answer, signature)` turns, oldest first: each question,
/// then its answer (when there is one) with its signature, cut to the wire's limits, keeping the newest
/// messages that fit a report.
pub fn report_messages(turns: &[(String, String, Option<String>)]) -> Vec<ChatMessage> {
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    let mut messages: Vec<ChatMessage> = turns
        .iter()
        .flat_map(|(question, answer, signature)| {
            let mut pair = vec![ChatMessage::user(cut(question, MAX_MESSAGE_CHARS))];
            if !answer.is_empty() {
                // A cut answer's signature no longer matches; it goes unsigned.
                let whole = answer.chars().count() <= MAX_ANSWER_CHARS;
                pair.push(ChatMessage::assistant(
                    cut(answer, MAX_ANSWER_CHARS),
                    signature.clone().filter(|_| whole),
                ));
            }
            pair
        })
        .collect();
    let fits = |m: &[ChatMessage]| {
        m.len() <= MAX_REPORT_TURNS
            && serde_json::to_string(m).map_or(0, |s| s.len()) <= MAX_FEEDBACK_BYTES - 4096
    };
    while !messages.is_empty() && !fits(&messages) {
        messages.remove(0);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_keeps_the_newest_turns_that_fit_with_their_signatures() {
        let turn = |i: usize, len: usize| {
            (
                format!("q{i}"),
                "a".repeat(len),
                Some(format!("v1.{i}.sig")),
            )
        };
        let m = report_messages(&[turn(1, 10), turn(2, 10)]);
        assert_eq!(m.len(), 4);
        assert_eq!(m[0], ChatMessage::user("q1"));
        assert_eq!(m[3].signature.as_deref(), Some("v1.2.sig"), "{m:?}");
        // Thirty turns: the newest MAX_REPORT_TURNS messages, ending with the reported answer.
        let many: Vec<_> = (0..30).map(|i| turn(i, 10)).collect();
        let m = report_messages(&many);
        assert_eq!(m.len(), MAX_REPORT_TURNS);
        assert_eq!(m[m.len() - 2], ChatMessage::user("q29"));
        // Long answers: trimmed from the front to fit the body limit.
        let long: Vec<_> = (0..12).map(|i| turn(i, MAX_ANSWER_CHARS)).collect();
        let m = report_messages(&long);
        let bytes = serde_json::to_string(&m).map_or(0, |s| s.len());
        assert!(
            bytes <= MAX_FEEDBACK_BYTES - 4096 && m.len() < 24,
            "{bytes} bytes"
        );
        assert_eq!(m.last().map(|x| x.content.len()), Some(MAX_ANSWER_CHARS));
        // An answer over the wire's limit is cut, and its signature dropped.
        let m = report_messages(&[turn(1, MAX_ANSWER_CHARS + 5)]);
        assert_eq!(m[1].signature, None);
        // A question with no answer yet.
        assert_eq!(
            report_messages(&[("q".into(), String::new(), None)]).len(),
            1
        );
    }

    #[test]
    fn refusals_that_cannot_pass_say_what_to_do() {
        let long = "a".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            advice("message_too_long", &long),
            Some("Shorten your question.")
        );
        assert_eq!(
            advice("message_too_long", "short"),
            Some("Start a new conversation."),
            "an earlier turn is over the limit"
        );
        assert_eq!(
            advice("too_many_turns", "short"),
            Some("Start a new conversation.")
        );
        assert_eq!(advice("rate_limited", "short"), None);
        assert_eq!(advice("", "short"), None, "a failed connection");
    }
}
