//! The browser test binaries' harness: their checks run one at a time under `libtest-mimic` (so
//! filters, `--list` and `--exact` work as with any test binary), sharing one context (the demo stack
//! and one headless Chromium page) that the first check to run starts; a last check,
//! `no_console_errors`, fails if the page logged any error. Nothing starts for `--list` or a filter
//! that matches nothing.

use super::Chromium;
use chromiumoxide::Page;
use libtest_mimic::{Arguments, Failed, Trial};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// One check: given the shared context, a future that panics on failure.
pub type Check<C> = Box<dyn Fn(Arc<C>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Builds the shared context around Chromium's page (may block: it starts the demo stack).
pub type Setup<C> = Box<dyn FnOnce(Page) -> Result<C, String> + Send>;

/// Names a check for [`run`]: `check!(name)` for an `async fn name(&Ctx)`.
#[macro_export]
macro_rules! check {
    ($name:ident) => {
        (
            stringify!($name),
            Box::new(|c: std::sync::Arc<_>| {
                Box::pin(async move { $name(&c).await })
                    as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
            }) as common::harness::Check<_>,
        )
    };
}

/// The context and its browser, once started (or why they could not be).
type Started<C> = Option<Result<(Arc<C>, Chromium), String>>;

struct Shared<C> {
    rt: tokio::runtime::Runtime,
    setup: Mutex<Option<Setup<C>>>,
    started: Mutex<Started<C>>,
}

impl<C: Send + Sync + 'static> Shared<C> {
    /// The context, started on first use.
    fn context(&self) -> Result<Arc<C>, Failed> {
        let mut started = self
            .started
            .lock()
            .map_err(|_| "the harness lock is poisoned")?;
        if started.is_none() {
            let setup = self
                .setup
                .lock()
                .map_err(|_| "the harness lock is poisoned")?
                .take()
                .ok_or("the setup already ran")?;
            let chromium = self.rt.block_on(Chromium::launch());
            *started = Some(setup(chromium.page.clone()).map(|c| (Arc::new(c), chromium)));
        }
        match started.as_ref() {
            Some(Ok((c, _))) => Ok(c.clone()),
            Some(Err(e)) => Err(format!("could not start: {e}").into()),
            None => Err("not started".into()),
        }
    }
}

/// Runs `checks` (in order) and then `no_console_errors`, and exits with the result.
pub fn run<C: Send + Sync + 'static>(setup: Setup<C>, checks: Vec<(&'static str, Check<C>)>) {
    let args = Arguments {
        test_threads: Some(1),
        ..Arguments::from_args()
    };
    let shared = Arc::new(Shared {
        rt: tokio::runtime::Runtime::new().expect("a tokio runtime"),
        setup: Mutex::new(Some(setup)),
        started: Mutex::new(None),
    });
    let mut trials: Vec<Trial> = checks
        .into_iter()
        .map(|(name, check)| {
            let shared = shared.clone();
            Trial::test(name, move || {
                let ctx = shared.context()?;
                // In its own task, so a panic fails this check and the next one still runs.
                let task = shared.rt.spawn(check(ctx));
                shared
                    .rt
                    .block_on(task)
                    .map_err(|e| Failed::from(panic_text(e)))
            })
        })
        .collect();
    let console = shared.clone();
    trials.push(Trial::test("no_console_errors", move || {
        let started = console
            .started
            .lock()
            .map_err(|_| "the harness lock is poisoned")?;
        match started.as_ref() {
            Some(Ok((_, chromium))) => {
                let errors = chromium.errors();
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(format!("the page logged errors: {errors:?}").into())
                }
            }
            Some(Err(e)) => Err(format!("could not start: {e}").into()),
            None => Err("no other check ran, so there is no page to check".into()),
        }
    }));
    let conclusion = libtest_mimic::run(&args, trials);
    // Stop the browser, then the demo stack (models, wrangler dev, the site).
    let taken = shared.started.lock().ok().and_then(|mut s| s.take());
    if let Some(Ok((ctx, chromium))) = taken {
        shared.rt.block_on(chromium.close());
        drop(ctx);
    }
    conclusion.exit();
}

/// What a failed check's task panicked with.
fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the check panicked".into()),
        Err(e) => e.to_string(),
    }
}
