//! The widget: loads the worker's config, shows one pane per backend side by side, one input that asks
//! both, the probe buttons, and the controls (stop, new conversation). Wakes the GPU when first in view.

use crate::Options;
use crate::api;
use crate::pane::Pane;
use crate::state::PaneState;
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twin_shared::PublicConfig;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::HtmlElement;

/// How many panes the widget shows by default: the first two backends of the config.
const PANES: usize = 2;

#[component]
pub fn App(options: Options, host: HtmlElement) -> impl IntoView {
    let config: RwSignal<Option<Result<PublicConfig, String>>> = RwSignal::new(None);
    let panes: RwSignal<Vec<PaneState>, LocalStorage> = RwSignal::new_local(Vec::new());
    let endpoint = options.endpoint.clone();
    let chosen = options.backends.clone();
    {
        let endpoint = endpoint.clone();
        spawn_local(async move {
            let result = api::config(&endpoint).await;
            if let Ok(c) = &result {
                let shown: Vec<PaneState> = if chosen.is_empty() {
                    c.backends
                        .iter()
                        .take(PANES)
                        .map(|b| PaneState::new(b.clone(), endpoint.clone()))
                        .collect()
                } else {
                    chosen
                        .iter()
                        .filter_map(|id| c.backends.iter().find(|b| &b.id == id))
                        .map(|b| PaneState::new(b.clone(), endpoint.clone()))
                        .collect()
                };
                panes.set(shown);
            }
            config.set(Some(result));
        });
    }
    warm_when_visible(&host, endpoint.clone(), config);

    let input = NodeRef::<html::Textarea>::new();
    let draft = RwSignal::new(String::new());
    let busy = move || panes.with(|p| p.iter().any(|p| p.busy()));
    let ask = move |question: String, probe: Option<String>| {
        let q = question.trim().to_string();
        if q.is_empty() {
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
                Some(Err(e)) => view! { <p class="error" role="alert">{format!("The twin is unavailable: {e}")}</p> }.into_any(),
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
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=on_key></textarea>
                <div class="controls">
                    {move || if busy() {
                        view! { <button type="button" class="stop" on:click=move |_| stop()>"Stop"</button> }.into_any()
                    } else {
                        view! { <button type="submit" class="send" disabled=move || draft.get().trim().is_empty()>"Ask both"</button> }.into_any()
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

/// Calls `/api/warm` once, the first time the widget scrolls into view, if a backend has a cold start.
fn warm_when_visible(
    host: &HtmlElement,
    endpoint: String,
    config: RwSignal<Option<Result<PublicConfig, String>>>,
) {
    let fired = std::rc::Rc::new(std::cell::Cell::new(false));
    let callback = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
        move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
            let visible = entries.iter().any(|e| {
                e.unchecked_into::<web_sys::IntersectionObserverEntry>()
                    .is_intersecting()
            });
            if !visible || fired.get() {
                return;
            }
            fired.set(true);
            observer.disconnect();
            let endpoint = endpoint.clone();
            spawn_local(async move {
                // Wait for the config so only a configured cold-start backend is woken.
                for _ in 0..50 {
                    if config.get_untracked().is_some() {
                        break;
                    }
                    let p = js_sys::Promise::new(&mut |resolve, _| {
                        if let Some(w) = web_sys::window() {
                            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                                &resolve, 100,
                            );
                        }
                    });
                    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                }
                let cold = config.with_untracked(|c| {
                    c.as_ref()
                        .and_then(|c| c.as_ref().ok())
                        .is_some_and(|c| c.backends.iter().any(|b| b.cold_start))
                });
                if cold {
                    api::warm(&endpoint).await;
                }
            });
        },
    );
    if let Ok(observer) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref()) {
        observer.observe(host);
    }
    callback.forget();
}
