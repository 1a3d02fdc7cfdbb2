//! The widget: loads the worker's config, shows one pane per backend side by side, one input that asks
//! both, the probe buttons, and the controls (stop, new conversation). Wakes the GPU when the reader
//! starts on a question of their own.

use crate::Options;
use crate::api;
use crate::conversation::PaneState;
use crate::pane::Pane;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twin_shared::PublicConfig;

/// How many panes the widget shows by default: the first two backends of the config.
const PANES: usize = 2;

#[component]
pub fn App(options: Options) -> impl IntoView {
    let endpoint = options.endpoint.clone();
    // `None` until the worker answers (and again while "Try again" reloads it).
    let config: RwSignal<Option<Result<PublicConfig, api::Refused>>> = RwSignal::new(None);
    let panes: RwSignal<Vec<PaneState>, LocalStorage> = RwSignal::new_local(Vec::new());
    let warm = Warm::new(config);
    // Loads (or, after a failure, reloads) the config; until it answers the widget says it is loading.
    let load = {
        let (endpoint, chosen) = (endpoint.clone(), options.backends.clone());
        move || {
            let (endpoint, chosen) = (endpoint.clone(), chosen.clone());
            config.set(None);
            spawn_local(async move {
                let result = api::config(&endpoint).await;
                if let Ok(c) = &result {
                    let shown: Vec<PaneState> = if chosen.is_empty() {
                        c.backends
                            .iter()
                            .take(PANES)
                            .map(|b| PaneState::new(b.clone(), endpoint.clone(), c.feedback))
                            .collect()
                    } else {
                        chosen
                            .iter()
                            .filter_map(|id| c.backends.iter().find(|b| &b.id == id))
                            .map(|b| PaneState::new(b.clone(), endpoint.clone(), c.feedback))
                            .collect()
                    };
                    panes.set(shown);
                }
                config.set(Some(result));
                warm.config_loaded(&endpoint);
            });
        }
    };
    load();

    let input = NodeRef::<html::Textarea>::new();
    let draft = RwSignal::new(String::new());
    // A memo: the controls change when a pane starts or stops streaming, not on every delta.
    let busy = Memo::new(move |_| panes.with(|p| p.iter().any(|p| p.busy())));
    let ask = move |question: String, probe: Option<String>| {
        let q = question.trim().to_string();
        // Without panes (the config has not loaded) nothing would answer: the draft stays.
        if q.is_empty() || panes.with_untracked(Vec::is_empty) {
            return;
        }
        panes.with_untracked(|p| p.iter().for_each(|p| p.ask(q.clone(), probe.clone())));
        draft.set(String::new());
    };
    let stop = move || panes.with_untracked(|p| p.iter().for_each(|p| p.stop()));
    let send = move || ask(draft.get_untracked(), None);
    let on_key = move |ev: KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() => {
            ev.prevent_default();
            send();
        }
        "Escape" => stop(),
        _ => {}
    };
    let title = options.title.clone();
    view! {
        <div class="widget">
            <p class="title" id="twin-title">{title}</p>
            {move || match config.get() {
                None => view! { <p class="status">"Loading the twin…"</p> }.into_any(),
                Some(Err(e)) => {
                    // The worker could not be reached or refused: say so, and where loading again may
                    // work, let the reader try without reloading the page.
                    let load = load.clone();
                    let retry = e.retryable.then(|| view! {
                        <button type="button" class="retry" on:click=move |_| load()>"Try again"</button>
                    });
                    view! {
                        <div class="error" role="alert">
                            <span>{format!("The twin is unavailable: {}", e.message)}</span>
                            {retry}
                        </div>
                    }.into_any()
                }
                Some(Ok(c)) => view! {
                    <div class="probes" role="group" aria-label="Probe questions">
                        {c.probes.into_iter().map(|p| {
                            let q = p.question.clone();
                            let id = p.id.clone();
                            view! {
                                <button class="probe" title=p.shows.clone() data-probe=p.id.clone()
                                    on:click=move |_| ask(q.clone(), Some(id.clone()))>{p.label.clone()}</button>
                            }
                        }).collect_view()}
                    </div>
                    <p class="models">{move || format!("Answering: {}", panes.with(|p| p.iter().map(|p| format!("{} ({})", p.backend.label, p.backend.subtitle)).collect::<Vec<_>>().join(" · ")))}</p>
                }.into_any(),
            }}
            <div class="panes">
                {move || panes.get().into_iter().map(|p| view! { <Pane pane=p /> }).collect_view()}
            </div>
            <form class="ask" on:submit=move |ev| { ev.prevent_default(); send(); }>
                <label for="twin-input" class="visually-hidden">"Your question"</label>
                <textarea id="twin-input" node_ref=input rows="2" placeholder="Ask a question… (Enter sends, Shift+Enter for a new line)"
                    aria-describedby="twin-title"
                    prop:value=move || draft.get()
                    on:focus={
                        let endpoint = endpoint.clone();
                        move |_| warm.typing(&endpoint)
                    }
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_key></textarea>
                <div class="controls">
                    {move || if busy.get() {
                        view! { <button type="button" class="stop" on:click=move |_| stop()>"Stop"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="send" disabled=move || draft.get().trim().is_empty() || panes.with(Vec::is_empty)>"Ask both"</button> }.into_any()
                    }}
                    <button type="button" class="new" on:click=move |_| {
                        panes.with_untracked(|p| p.iter().for_each(|p| p.clear()));
                        if let Some(i) = input.get() { let _ = i.focus(); }
                    }>"New conversation"</button>
                </div>
            </form>
        </div>
    }
}

/// Calls `/api/warm` once, when the reader first puts the cursor in the question box (or, if that came
/// first, when the config arrives), if a backend has a cold start: the GPU wakes while they type. Probe
/// clicks do not wake it (their answers can come from the worker's probe cache; a probe that is not
/// cached wakes the GPU by asking it).
#[derive(Clone, Copy)]
struct Warm {
    config: RwSignal<Option<Result<PublicConfig, api::Refused>>>,
    /// The reader has been in the question box.
    wanted: StoredValue<bool>,
    done: StoredValue<bool>,
}

impl Warm {
    fn new(config: RwSignal<Option<Result<PublicConfig, api::Refused>>>) -> Warm {
        Warm {
            config,
            wanted: StoredValue::new(false),
            done: StoredValue::new(false),
        }
    }

    /// The reader is about to type a question.
    fn typing(self, endpoint: &str) {
        self.wanted.set_value(true);
        self.maybe(endpoint);
    }

    /// The config has arrived.
    fn config_loaded(self, endpoint: &str) {
        self.maybe(endpoint);
    }

    fn maybe(self, endpoint: &str) {
        if self.done.get_value() || !self.wanted.get_value() {
            return;
        }
        let cold = self.config.with_untracked(
            |c| matches!(c, Some(Ok(c)) if c.backends.iter().any(|b| b.cold_start)),
        );
        if cold {
            self.done.set_value(true);
            let endpoint = endpoint.to_string();
            spawn_local(async move { api::warm(&endpoint).await });
        }
    }
}
