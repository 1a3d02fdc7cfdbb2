//! A static file server for the demo page and the built widget, on a loopback port. In HTML files the
//! placeholder endpoint `http://127.0.0.1:8787` is replaced with the running worker's URL, so the page
//! embeds the widget exactly as a blog would, with one tag. In text files (HTML, XML, JSON, plain text)
//! `http://twin-site.invalid` becomes the server's own URL, so a served sitemap or feed links to itself.

use axum::Router;
use axum::body::Body;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use std::net::TcpListener as StdListener;
use std::path::{Component, Path, PathBuf};
use tokio::sync::oneshot;

/// The endpoint written in the demo page, replaced when served.
pub const PLACEHOLDER_ENDPOINT: &str = "http://127.0.0.1:8787";
/// The site's own address in served text files, replaced with the running server's URL.
pub const PLACEHOLDER_SITE: &str = "http://twin-site.invalid";

/// A running static server; stopped on drop.
pub struct StaticSite {
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") => "application/xml; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

async fn serve_file(root: PathBuf, endpoint: String, site: String, uri: Uri) -> Response {
    let rel = uri.path().trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    let rel_path = Path::new(rel);
    let not_found = || {
        Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap_or_default()
    };
    if rel_path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return not_found();
    }
    let path = root.join(rel_path);
    let Ok(mut bytes) = std::fs::read(&path) else {
        return not_found();
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "html" {
        bytes = String::from_utf8_lossy(&bytes)
            .replace(PLACEHOLDER_ENDPOINT, &endpoint)
            .into_bytes();
    }
    if matches!(ext, "html" | "xml" | "json" | "txt") {
        bytes = String::from_utf8_lossy(&bytes)
            .replace(PLACEHOLDER_SITE, &site)
            .into_bytes();
    }
    Response::builder()
        .header("content-type", content_type(&path))
        .header("cache-control", "no-store")
        .body(Body::from(bytes))
        .unwrap_or_default()
}

impl StaticSite {
    /// Serves `root` on `port` (0: any free one); HTML gets `endpoint` in place of the placeholder.
    pub fn start(root: &Path, endpoint: &str, port: u16) -> std::io::Result<StaticSite> {
        let listener = StdListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let (tx, rx) = oneshot::channel::<()>();
        let root = root.to_path_buf();
        let endpoint = endpoint.to_string();
        let site = format!("http://127.0.0.1:{port}");
        let thread = std::thread::Builder::new()
            .name("static-site".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let app = Router::new().fallback(move |uri: Uri| {
                        serve_file(root.clone(), endpoint.clone(), site.clone(), uri)
                    });
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = rx.await;
                        })
                        .await;
                });
            })?;
        Ok(StaticSite {
            url: format!("http://127.0.0.1:{port}"),
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
