//! Under a finished answer: thumbs up or down (a thumbs-down opens an optional comment) and "Report a
//! jailbreak" (an optional note, then the conversation goes to the author). Each is sent with the trace
//! id the answer's `done` carried; what happened is said in the pane's live log, so screen readers hear
//! it. Small buttons under the answer, beside Copy: they never cover or move the answer's text.

use crate::api;
use crate::conversation::{PaneState, Turn};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twin_shared::feedback::MAX_COMMENT_CHARS;
use twin_shared::{FeedbackKind, FeedbackRequest};

/// What the reader has said about one answer, kept with the turn so it survives re-rendering.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FeedbackState {
    /// The verdict the worker stored.
    pub verdict: Option<FeedbackKind>,
    /// A jailbreak report was stored.
    pub reported: bool,
    /// The comment form that is open: after a thumbs-down, or for a report.
    pub open: Option<FeedbackKind>,
    /// A request in flight.
    pub sending: bool,
    /// What happened, for the reader.
    pub note: Option<String>,
}

/// Sends `kind` (with `comment`) for the answer `trace` of turn `id`, and records what happened.
fn send(
    turn: ArcRwSignal<Turn>,
    pane: &PaneState,
    id: u64,
    trace: String,
    kind: FeedbackKind,
    comment: Option<String>,
) {
    let conversation = if kind == FeedbackKind::Jailbreak {
        pane.conversation_until(id)
    } else {
        Vec::new()
    };
    let req = FeedbackRequest {
        trace,
        kind,
        comment: comment.filter(|c| !c.trim().is_empty()),
        conversation,
    };
    let with_comment = req.comment.is_some();
    let endpoint = pane.endpoint.clone();
    turn.update(|t| t.feedback.sending = true);
    spawn_local(async move {
        let result = api::feedback(&endpoint, &req).await;
        turn.update(|t| {
            let f = &mut t.feedback;
            f.sending = false;
            match result {
                Ok(()) => {
                    f.note = Some(
                        match (kind, with_comment) {
                            (FeedbackKind::Up, _) => "Thanks: marked as a good answer.",
                            (FeedbackKind::Down, false) => {
                                "Thanks: marked as a bad answer. You can say what was wrong."
                            }
                            (FeedbackKind::Down, true) => "Thanks: your comment was sent.",
                            (FeedbackKind::Jailbreak, _) => {
                                "Reported: the conversation was sent to the author. Thank you."
                            }
                        }
                        .into(),
                    );
                    match kind {
                        FeedbackKind::Jailbreak => {
                            f.reported = true;
                            f.open = None;
                        }
                        FeedbackKind::Down => {
                            f.verdict = Some(kind);
                            f.open = (!with_comment).then_some(FeedbackKind::Down);
                        }
                        FeedbackKind::Up => {
                            f.verdict = Some(kind);
                            f.open = None;
                        }
                    }
                }
                Err(message) => f.note = Some(format!("Feedback not sent: {message}")),
            }
        });
    });
}

/// A thumb drawn inline (an emoji shows as a box where no emoji font is installed); `flip` points it
/// down. Hidden from screen readers: the button's label names it.
#[component]
fn Thumb(flip: bool) -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false">
            <path fill="currentColor" transform=if flip { "rotate(180 12 12)" } else { "" }
                d="M3 10h3v10H3z M8 10l4-7c1.5 0 2.5 1 2 3l-1 3h6c1.2 0 2 1 1.7 2.2l-1.8 6.5c-.3 1-1.1 1.3-2 1.3H8z"/>
        </svg>
    }
}

/// The feedback controls of a finished answer with trace id `trace`.
pub fn feedback_bar(
    turn: ArcRwSignal<Turn>,
    pane: PaneState,
    id: u64,
    trace: String,
) -> impl IntoView {
    let state = turn.with_untracked(|t| t.feedback.clone());
    let verdict_button = |kind: FeedbackKind, label: &'static str, flip: bool| {
        let (turn, pane, trace) = (turn.clone(), pane.clone(), trace.clone());
        let pressed = state.verdict == Some(kind);
        view! {
            <button type="button" class="fb" aria-label=label title=label
                aria-pressed=if pressed { "true" } else { "false" }
                disabled=state.sending
                on:click=move |_| send(turn.clone(), &pane, id, trace.clone(), kind, None)>
                <Thumb flip=flip/>
            </button>
        }
    };
    let up = verdict_button(FeedbackKind::Up, "Good answer", false);
    let down = verdict_button(FeedbackKind::Down, "Bad answer", true);
    let report = (!state.reported).then(|| {
        let turn = turn.clone();
        view! {
            <button type="button" class="fb report" disabled=state.sending
                on:click=move |_| turn.update(|t| t.feedback.open = Some(FeedbackKind::Jailbreak))>
                "Report a jailbreak"
            </button>
        }
    });
    let form = state.open.map(|kind| {
        let input = NodeRef::<html::Input>::new();
        let (label, action) = match kind {
            FeedbackKind::Jailbreak => (
                "What did it do that it should not have? (optional; the conversation is sent too)",
                "Send report",
            ),
            _ => ("What was wrong? (optional)", "Send comment"),
        };
        let (submit_turn, cancel_turn) = (turn.clone(), turn.clone());
        let (pane, trace) = (pane.clone(), trace.clone());
        let on_submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let comment = input.get().map(|el| el.value());
            send(submit_turn.clone(), &pane, id, trace.clone(), kind, comment);
        };
        view! {
            <form class="fb-form" on:submit=on_submit>
                <label>{label}" "
                    <input type="text" node_ref=input maxlength=MAX_COMMENT_CHARS.to_string() autofocus=true />
                </label>
                <button type="submit" disabled=state.sending>{action}</button>
                <button type="button" on:click=move |_| cancel_turn.update(|t| t.feedback.open = None)>
                    "Cancel"
                </button>
            </form>
        }
    });
    let note = state
        .note
        .clone()
        .map(|n| view! { <p class="note fb-note" role="status">{n}</p> });
    view! {
        <div class="feedback" role="group" aria-label="Feedback on this answer">
            {up}{down}{report}{form}{note}
        </div>
    }
}
