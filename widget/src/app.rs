//! The widget: loads the worker's config, shows one pane per backend side by side, one input that asks
//! both, the probe buttons, and the controls (stop, new conversation). Wakes the GPU once the widget is
//! in view and the config has arrived.

use crate::Options;
use crate::api;
use crate::conversation::PaneState;
use crate::pane::Pane;
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
    let endpoint = options.endpoint.clone();
    // Loaded once; `None` until the worker answers. Whichever comes last, the config or the widget
    // scrolling into view, wakes a cold-start backend (no polling).
    let config: RwSignal<Option<Result<PublicConfig, String>>> = RwSignal::new(None);
    let panes: RwSignal<Vec<PaneState>, LocalStorage> = RwSignal::new_local(Vec::new());
    let warm = Warm::new(endpoint.clone(), config);
    {
        let (endpoint, chosen) = (endpoint.clone(), options.backends.clone());
        let warm = warm.clone();
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
            warm.config_loaded();
        });
    }
    warm.when_visible(&host);

    let input = NodeRef::<html::Textarea>::new();
    let draft = RwSignal::new(String::new());
    // A memo: the controls change when a pane starts or stops streaming, not on every delta.
    let busy = Memo::new(move |_| panes.with(|p| p.iter().any(|p| p.busy())));
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
                    {move || if busy.get() {
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

/// Calls `/api/warm` once, when the widget is in view and the config is loaded (in either order), if a
/// backend has a cold start.
#[derive(Clone)]
struct Warm {
    endpoint: String,
    config: RwSignal<Option<Result<PublicConfig, String>>>,
    visible: std::rc::Rc<std::cell::Cell<bool>>,
    done: std::rc::Rc<std::cell::Cell<bool>>,
}

impl Warm {
    fn new(endpoint: String, config: RwSignal<Option<Result<PublicConfig, String>>>) -> Warm {
        Warm {
            endpoint,
            config,
            visible: Default::default(),
            done: Default::default(),
        }
    }

    /// The config has arrived.
    fn config_loaded(&self) {
        self.maybe_warm();
    }

    /// Watches `host` and notes the first time it is in view.
    fn when_visible(&self, host: &HtmlElement) {
        let this = self.clone();
        let callback = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
            move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
                let in_view = entries.iter().any(|e| {
                    e.unchecked_into::<web_sys::IntersectionObserverEntry>()
                        .is_intersecting()
                });
                if in_view {
                    observer.disconnect();
                    this.visible.set(true);
                    this.maybe_warm();
                }
            },
        );
        if let Ok(observer) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref())
        {
            observer.observe(host);
        }
        callback.forget();
    }

    fn maybe_warm(&self) {
        if self.done.get() || !self.visible.get() {
            return;
        }
        let Some(cold) = self.config.with_untracked(|c| {
            c.as_ref().map(|c| {
                c.as_ref()
                    .is_ok_and(|c| c.backends.iter().any(|b| b.cold_start))
            })
        }) else {
            return;
        };
        self.done.set(true);
        if cold {
            let endpoint = self.endpoint.clone();
            spawn_local(async move { api::warm(&endpoint).await });
        }
    }
}
