//! The twin widget: a blog embeds it with `<script type="module" src=".../twin.js"></script>` and
//! `<div id="twin-chat" data-endpoint="https://twin.example.workers.dev"></div>`. Each such element gets a
//! shadow root (so the blog's CSS and the widget's never touch), a stylesheet, and the app.

mod api;
mod app;
mod conversation;
mod feedback;
mod markdown;
mod pane;
mod sse;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

/// The widget's stylesheet, scoped by the shadow root; themable through CSS custom properties.
const STYLE: &str = include_str!("../style.css");

/// Options read from the host element's data attributes.
#[derive(Clone, Debug)]
pub struct Options {
    /// The worker's base URL (`data-endpoint`); empty means the page's own origin.
    pub endpoint: String,
    /// The prompt above the input (`data-title`).
    pub title: String,
    /// Backend ids to show, in order (`data-backends="rag,tuned"`); default: the first two configured.
    pub backends: Vec<String>,
}

fn main() {
    // A widget panic prints a readable message and stack in the console, not `unreachable`.
    console_error_panic_hook::set_once();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(hosts) = document.query_selector_all("#twin-chat, [data-twin-chat]") else {
        return;
    };
    for i in 0..hosts.length() {
        let Some(host) = hosts.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else {
            continue;
        };
        mount(&document, &host);
    }
}

fn mount(document: &web_sys::Document, host: &HtmlElement) {
    if host.shadow_root().is_some() {
        return;
    }
    let data = host.dataset();
    let options = Options {
        endpoint: data
            .get("endpoint")
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string(),
        title: data
            .get("title")
            .unwrap_or_else(|| "Pick a probe below, or type one of your own.".into()),
        backends: data
            .get("backends")
            .map(|b| {
                b.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let Ok(shadow) = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open)) else {
        return;
    };
    if let Ok(style) = document.create_element("style") {
        style.set_text_content(Some(STYLE));
        let _ = shadow.append_child(&style);
    }
    let Some(root) = document
        .create_element("div")
        .ok()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    else {
        return;
    };
    root.set_class_name("twin");
    let _ = shadow.append_child(&root);
    leptos::mount::mount_to(root, move || view! { <app::App options=options.clone() /> }).forget();
}
