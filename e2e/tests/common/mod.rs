//! What the browser test binaries share: headless Chromium launched the one way that works here, console
//! errors collected, and the small polling helpers every check uses.

#![allow(dead_code)] // each test binary uses its own subset

pub mod harness;

use chromiumoxide::Page;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::ScreenshotParams;
use futures_util::StreamExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// JS: the widget's shadow root.
pub const ROOT: &str = "document.querySelector('#twin-chat').shadowRoot";

/// A running headless Chromium with one page, and every console error or uncaught exception it logged.
pub struct Chromium {
    pub browser: Browser,
    pub page: Page,
    pub console_errors: Arc<Mutex<Vec<String>>>,
    events: tokio::task::JoinHandle<()>,
    profile: PathBuf,
}

impl Chromium {
    /// Launches `/usr/bin/chromium` headless at 1280×1000 with a fresh profile.
    pub async fn launch() -> Chromium {
        let profile = std::env::temp_dir().join(format!("twin-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let _ = std::fs::create_dir_all(&profile);
        let config = BrowserConfig::builder()
            .chrome_executable("/usr/bin/chromium")
            .no_sandbox()
            .user_data_dir(&profile)
            .window_size(1280, 1000)
            .args([
                "--headless=new",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .build()
            .expect("browser config");
        let (browser, mut handler) = Browser::launch(config).await.expect("launch chromium");
        let events = tokio::spawn(async move {
            while let Some(h) = handler.next().await {
                if h.is_err() {
                    break;
                }
            }
        });
        let page = browser.new_page("about:blank").await.expect("page");
        let console_errors = Arc::new(Mutex::new(Vec::new()));
        let mut console = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .expect("console events");
        let mut thrown = page
            .event_listener::<EventExceptionThrown>()
            .await
            .expect("exceptions");
        let errs = console_errors.clone();
        tokio::spawn(async move {
            while let Some(ev) = console.next().await {
                if ev.r#type == ConsoleApiCalledType::Error {
                    errs.lock()
                        .map(|mut e| e.push(format!("{:?}", ev.args)))
                        .ok();
                }
            }
        });
        let errs = console_errors.clone();
        tokio::spawn(async move {
            while let Some(ev) = thrown.next().await {
                errs.lock()
                    .map(|mut e| e.push(ev.exception_details.text.clone()))
                    .ok();
            }
        });
        Chromium {
            browser,
            page,
            console_errors,
            events,
            profile,
        }
    }

    /// The console errors so far.
    pub fn errors(&self) -> Vec<String> {
        self.console_errors
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    /// Closes the browser and removes its profile.
    pub async fn close(mut self) {
        let _ = self.browser.close().await;
        self.events.abort();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Evaluates `js` in the page; panics (failing the check) if it throws.
/// The value of `js`, which must be there: a result that is `undefined` or `null` (a failed lookup)
/// fails the check instead of comparing as a missing value.
pub async fn read(page: &Page, js: &str) -> Value {
    let v = eval(page, js).await;
    assert!(!v.is_null(), "{js} gave no value");
    v
}

/// `v[key]` as a number; a missing or non-numeric field fails the check.
pub fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no number {key} in {v}"))
}

/// `v[key]` as a string; a missing or non-string field fails the check.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {v}"))
}

/// Runs `js` and returns its value (`Null` for a statement without one, such as a click). Checks that
/// read a value use [`read`], [`num`] and [`text`], which fail when it is missing.
pub async fn eval(page: &Page, js: &str) -> Value {
    match page.evaluate(js).await {
        Ok(r) => r.into_value::<Value>().unwrap_or(Value::Null),
        Err(e) => panic!("evaluate {js}: {e}"),
    }
}

/// Polls `js` until it returns true; panics with `what` (and the widget's text) after `timeout`.
pub async fn wait_for(page: &Page, js: &str, timeout: Duration, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        if eval(page, js).await == Value::Bool(true) {
            return start.elapsed();
        }
        if start.elapsed() >= timeout {
            let shown = eval(
                page,
                &format!("{ROOT} ? {ROOT}.querySelector('.panes').innerText : 'no widget'"),
            )
            .await;
            panic!("timed out waiting for {what}; the widget shows: {shown}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `backend`'s pane has finished its answer (a Copy button or an error); when it failed with
/// "Try again" (a tiny model that ended without a word: `empty_answer`), clicks it as a reader would, at
/// most `retries` times.
pub async fn answer_finished(page: &Page, backend: &str, retries: usize, timeout: Duration) {
    let pane = format!("{ROOT}.querySelector('.pane[data-backend={backend}]')");
    let done = format!(
        "(() => {{ const p = {pane}; return !!p.querySelector('.copy') || !!p.querySelector('.error'); }})()"
    );
    wait_for(page, &done, timeout, &format!("the {backend} answer")).await;
    for _ in 0..retries {
        let retry = format!("{pane}.querySelector('.error .retry')");
        if eval(page, &format!("!!{retry}")).await != Value::Bool(true) {
            return;
        }
        let why = eval(page, &format!("{pane}.querySelector('.error').textContent")).await;
        println!("  {backend}: {why}; trying again");
        // Mark the failure shown now, so a new one (a fast second failure) is told apart from it.
        eval(
            page,
            &format!("{pane}.querySelector('.error').dataset.seen = '1'; {retry}.click()"),
        )
        .await;
        wait_for(
            page,
            &format!("!{pane}.querySelector('.error[data-seen]')"),
            Duration::from_secs(10),
            "the retry to start",
        )
        .await;
        wait_for(page, &done, timeout, &format!("the {backend} answer")).await;
    }
}

/// Navigates to `url` and waits until the widget shows its panes and probe buttons.
pub async fn open(page: &Page, url: &str) {
    page.goto(url).await.expect("navigate");
    wait_for(page, &format!("!!document.querySelector('#twin-chat') && !!{ROOT} && {ROOT}.querySelectorAll('.pane').length > 0 && {ROOT}.querySelectorAll('.probe').length > 0"), Duration::from_secs(30), "the widget to load").await;
}

/// Saves a full-page PNG of `page` as `dir/name`.
pub async fn screenshot(page: &Page, dir: &Path, name: &str) {
    let params = ScreenshotParams::builder()
        .format(CaptureScreenshotFormat::Png)
        .full_page(true)
        .build();
    let path = dir.join(name);
    page.save_screenshot(params, &path)
        .await
        .expect("screenshot");
    println!("  screenshot: {}", path.display());
}

/// Ends a test binary whose set-up failed the way its harness reports (`0 passed, 1 failed`), naming why.
pub fn setup_failed(why: impl std::fmt::Display) -> ! {
    eprintln!("{why}");
    println!("0 passed, 1 failed");
    std::process::exit(1);
}

/// Starts the demo stack with `opts`, naming why it could not.
pub fn start_demo(
    root: &Path,
    opts: &twin_local::demo::DemoOptions,
) -> Result<twin_local::demo::Demo, String> {
    twin_local::demo::Demo::start(root, opts)
        .map_err(|e| format!("could not start the demo stack: {e}"))
}
