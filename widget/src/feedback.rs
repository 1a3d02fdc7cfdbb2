//! Under a finished answer: thumbs up or down (each then offers an optional comment) and "Report a
//! jailbreak" (an optional note, then the conversation goes to the author, each earlier answer with the
//! signature its `done` carried, so the author can tell the twin's words from words put in its mouth).
//! Sent with the trace id the answer's `done` carried. The state lives in its own signal per answer and
//! the buttons are rendered once, so a keyboard reader keeps their focus; the comment box takes focus
//! when it opens and gives it back to its button when it closes; what happened is said in a status line.

use crate::api;
use crate::conversation::PaneState;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twin_shared::feedback::MAX_COMMENT_CHARS;
use twin_shared::{FeedbackKind, FeedbackRequest};

/// What the reader has said about one answer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FeedbackState {
    /// The verdict the worker stored.
    pub verdict: Option<FeedbackKind>,
    /// A jailbreak report was stored.
    pub reported: bool,
    /// The comment form that is open: after a verdict, or for a report.
    pub open: Option<FeedbackKind>,
    /// A request in flight (the buttons say so with `aria-disabled`, keeping their focus).
    pub sending: bool,
    /// What happened, for the reader.
    pub note: String,
}

/// What the reader is told once `kind` (with a comment or not) is stored; `text_kept` is false where
/// the site keeps no comment or conversation text.
fn thanks(kind: FeedbackKind, with_comment: bool, text_kept: bool) -> &'static str {
    match (kind, with_comment, text_kept) {
        (FeedbackKind::Jailbreak, _, true) => {
            "Reported: the conversation was sent to the author. Thank you."
        }
        (FeedbackKind::Jailbreak, _, false) => {
            "Reported to the author. This site keeps no conversation text."
        }
        (_, true, true) => "Thanks: your comment was sent.",
        (_, true, false) => "Thanks. This site keeps verdicts but not comments.",
        (FeedbackKind::Up, false, _) => {
            "Thanks: marked as a good answer. Add a comment if you like."
        }
        (FeedbackKind::Down, false, _) => {
            "Thanks: marked as a bad answer. You can say what was wrong."
        }
    }
}

/// One answer's feedback: its state, where it goes, and the buttons focus returns to.
#[derive(Clone)]
struct Bar {
    state: ArcRwSignal<FeedbackState>,
    pane: PaneState,
    id: u64,
    trace: String,
    up: NodeRef<html::Button>,
    down: NodeRef<html::Button>,
    report: NodeRef<html::Button>,
}

impl Bar {
    /// Sends `kind` with `comment`, and records what happened.
    fn send(&self, kind: FeedbackKind, comment: Option<String>) {
        if self.state.with_untracked(|s| s.sending) {
            return;
        }
        let conversation = if kind == FeedbackKind::Jailbreak {
            self.pane.conversation_until(self.id)
        } else {
            Vec::new()
        };
        let req = FeedbackRequest {
            trace: self.trace.clone(),
            kind,
            comment: comment.filter(|c| !c.trim().is_empty()),
            conversation,
        };
        let with_comment = req.comment.is_some();
        let endpoint = self.pane.endpoint.clone();
        self.state.update(|s| s.sending = true);
        let bar = self.clone();
        spawn_local(async move {
            let result = api::feedback(&endpoint, &req).await;
            let closing = bar.state.with_untracked(|s| s.open.is_some());
            bar.state.update(|s| {
                s.sending = false;
                match &result {
                    Ok(receipt) => {
                        s.note = thanks(kind, with_comment, receipt.text_kept).into();
                        match kind {
                            FeedbackKind::Jailbreak => {
                                s.reported = true;
                                s.open = None;
                            }
                            verdict => {
                                s.verdict = Some(verdict);
                                // A verdict offers a comment once; a comment sent closes it.
                                s.open = (!with_comment).then_some(verdict);
                            }
                        }
                    }
                    Err(message) => s.note = format!("Feedback not sent: {message}"),
                }
            });
            // Focus goes back to the button that opened a form the send closed.
            let open_now = bar.state.with_untracked(|s| s.open.is_some());
            if closing && !open_now {
                bar.focus(kind);
            }
        });
    }

    /// Moves focus to `kind`'s button.
    fn focus(&self, kind: FeedbackKind) {
        let button = match kind {
            FeedbackKind::Up => self.up,
            FeedbackKind::Down => self.down,
            FeedbackKind::Jailbreak => self.report,
        };
        if let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    }

    /// The comment form for `kind`.
    fn form(&self, kind: FeedbackKind) -> impl IntoView + use<> {
        let input = NodeRef::<html::Input>::new();
        input.on_load(|el| {
            let _ = el.focus();
        });
        let (label, action) = match kind {
            FeedbackKind::Jailbreak => (
                "What did it do that it should not have? (optional)",
                "Send report",
            ),
            FeedbackKind::Down => ("What was wrong? (optional)", "Send comment"),
            FeedbackKind::Up => ("Anything to add? (optional)", "Send comment"),
        };
        let (submit, cancel) = (self.clone(), self.clone());
        let sending = self.state.clone();
        let on_submit = move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            submit.send(kind, input.get_untracked().map(|el| el.value()));
        };
        view! {
            <form class="fb-form" on:submit=on_submit>
                <label>{label}" "
                    <input type="text" node_ref=input maxlength=MAX_COMMENT_CHARS.to_string() />
                </label>
                <button type="submit"
                    aria-disabled=move || if sending.with(|s| s.sending) { "true" } else { "false" }>
                    {action}
                </button>
                <button type="button" on:click=move |_| {
                    cancel.state.update(|s| s.open = None);
                    cancel.focus(kind);
                }>"Cancel"</button>
            </form>
        }
    }
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

/// The feedback controls of finished answer `id` (trace id `trace`), kept in `state`.
pub fn feedback_bar(
    state: ArcRwSignal<FeedbackState>,
    pane: PaneState,
    id: u64,
    trace: String,
) -> impl IntoView {
    let bar = Bar {
        state,
        pane,
        id,
        trace,
        up: NodeRef::new(),
        down: NodeRef::new(),
        report: NodeRef::new(),
    };
    let busy = {
        let s = bar.state.clone();
        move || {
            if s.with(|s| s.sending) {
                "true"
            } else {
                "false"
            }
        }
    };
    let verdict = |kind: FeedbackKind, label: &'static str, flip: bool| {
        let (b, pressed, busy) = (bar.clone(), bar.state.clone(), busy.clone());
        let node = if kind == FeedbackKind::Up {
            bar.up
        } else {
            bar.down
        };
        view! {
            <button type="button" class="fb" node_ref=node aria-label=label title=label
                aria-pressed=move || if pressed.with(|s| s.verdict == Some(kind)) { "true" } else { "false" }
                aria-disabled=busy
                on:click=move |_| b.send(kind, None)>
                <Thumb flip=flip/>
            </button>
        }
    };
    let up = verdict(FeedbackKind::Up, "Good answer", false);
    let down = verdict(FeedbackKind::Down, "Bad answer", true);
    let report = {
        let (b, s, t) = (bar.clone(), bar.state.clone(), bar.state.clone());
        view! {
            <button type="button" class="fb report" node_ref=bar.report
                aria-expanded=move || if s.with(|s| s.open == Some(FeedbackKind::Jailbreak)) { "true" } else { "false" }
                aria-disabled=busy.clone()
                on:click=move |_| b.state.update(|s| {
                    if !s.reported && !s.sending {
                        s.open = Some(FeedbackKind::Jailbreak);
                    }
                })>
                {move || if t.with(|s| s.reported) { "Reported" } else { "Report a jailbreak" }}
            </button>
        }
    };
    let form = {
        let b = bar.clone();
        move || b.state.with(|s| s.open).map(|kind| b.form(kind))
    };
    let note = {
        let s = bar.state.clone();
        move || s.with(|s| s.note.clone())
    };
    view! {
        <div class="feedback" role="group" aria-label="Feedback on this answer">
            {up}{down}{report}{form}
            <p class="note fb-note" role="status">{note}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_is_told_what_was_kept() {
        assert!(thanks(FeedbackKind::Jailbreak, false, true).contains("conversation was sent"));
        assert!(thanks(FeedbackKind::Jailbreak, true, false).contains("keeps no conversation"));
        assert!(thanks(FeedbackKind::Down, true, false).contains("not comments"));
        assert_eq!(
            thanks(FeedbackKind::Down, true, true),
            "Thanks: your comment was sent."
        );
    }
}
