//! One backend's pane: its label and subtitle, the conversation with sources, waking status, errors with
//! retry, and copy. Answers are announced politely to screen readers (`role="log"`).

use crate::api;
use crate::conversation::{PaneState, Turn};
use crate::feedback::{FeedbackState, feedback_bar};
use crate::markdown::markdown;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn Pane(pane: PaneState) -> impl IntoView {
    let label = pane.backend.label.clone();
    let subtitle = pane.backend.subtitle.clone();
    let heading_id = format!("twin-pane-{}", pane.backend.id);
    let labelled_by = heading_id.clone();
    let backend_id = pane.backend.id.clone();
    let turns = pane.turns;
    let retry_pane = pane.clone();
    view! {
        <section class="pane" aria-labelledby=labelled_by data-backend=backend_id>
            <header>
                <h3 id=heading_id>{label}</h3>
                <p class="sub">{subtitle}</p>
            </header>
            <div class="log" role="log" aria-live="polite" aria-relevant="additions text">
                {move || {
                    turns
                        .with(Vec::is_empty)
                        .then(|| view! { <p class="empty">"Answers appear here."</p> })
                }}
                // Keyed by turn: a new turn adds its own node, and a streamed delta re-renders only its
                // own turn (each turn has its own signal).
                <For each=move || turns.get() key=|cell| cell.id let:cell>
                    {
                        let pane = retry_pane.clone();
                        let id = cell.id;
                        // A memo, so a turn re-renders when it stops or starts being the last one, not
                        // whenever the list changes.
                        let is_last = Memo::new(move |_| {
                            turns.with(|t| t.last().map(|c| c.id) == Some(id))
                        });
                        let (turn, feedback) = (cell.turn, cell.feedback);
                        move || {
                            let feedback = feedback.clone();
                            turn.with(|t| view_turn(t.clone(), is_last.get(), pane.clone(), feedback, id))
                        }
                    }
                </For>
            </div>
        </section>
    }
}

fn view_turn(
    t: Turn,
    last: bool,
    pane: PaneState,
    feedback_state: ArcRwSignal<FeedbackState>,
    id: u64,
) -> impl IntoView {
    let coverage = t.uncovered.then(|| {
        view! { <p class="coverage" role="note">"Not something I've written about"</p> }
    });
    let sources = (!t.sources.is_empty()).then(|| {
        view! {
            <ul class="sources" aria-label="Posts this answer draws on">
                {t.sources.iter().map(|s| view! {
                    <li>
                        <a href=s.url.clone() target="_blank" rel="noopener">{s.title.clone()}</a>
                        <span class="snippet">{s.snippet.clone()}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let status = t.status.clone().filter(|_| t.streaming).map(|s| {
        view! { <p class="status" role="status">{s.message}" "<span class="elapsed">{format!("{} s", s.elapsed_ms / 1000)}</span></p> }
    });
    let thinking = (t.streaming && t.answer.is_empty() && t.status.is_none())
        .then(|| view! { <p class="status">"Thinking…"</p> });
    let failure = t.failure.clone().map(|f| {
        let retry = (last && f.retryable).then(|| {
            let p = pane.clone();
            view! { <button class="retry" on:click=move |_| p.retry()>"Try again"</button> }
        });
        view! { <div class="error" role="alert"><span>{f.message}</span>{retry}</div> }
    });
    let answer_text = t.answer.clone();
    let copy = (!t.streaming && !t.answer.is_empty()).then(move || {
        let text = answer_text.clone();
        let copied = RwSignal::new(false);
        view! {
            <button class="copy" aria-label="Copy this answer" on:click=move |_| {
                let text = text.clone();
                spawn_local(async move {
                    if api::copy(&text).await {
                        copied.set(true);
                    }
                });
            }>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
        }
    });
    let stopped = t.stopped.then(|| view! { <p class="note">"Stopped."</p> });
    // A probe answered from the worker's cache says so, and the newest one can be asked live.
    let cached = t.done.as_ref().filter(|d| d.cached).map(|_| {
        let live = (last && !t.streaming).then(|| {
            let p = pane.clone();
            view! { <button class="live" on:click=move |_| p.ask_live()>"ask live"</button> }
        });
        view! { <p class="cached">"answered earlier"{live.is_some().then_some(" · ")}{live}</p> }
    });
    // Only a finished answer the worker traced takes feedback.
    let feedback = t
        .done
        .as_ref()
        .and_then(|d| d.trace.clone())
        .filter(|_| pane.feedback && !t.streaming && t.failure.is_none())
        .map(|trace| feedback_bar(feedback_state, pane.clone(), id, trace));
    view! {
        <article class="turn">
            <p class="q">{t.question.clone()}</p>
            {coverage}
            {sources}
            {status}
            {thinking}
            <div class="a">{markdown(&t.answer)}</div>
            {stopped}
            {cached}
            {failure}
            {copy}
            {feedback}
        </article>
    }
}
