//! Wall-clock milliseconds and sleeping, the workerd way (timers, not threads).

use std::time::Duration;

/// Milliseconds since the epoch (in workerd, time advances across I/O, which is what we measure).
pub fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// Whole seconds since the epoch.
pub fn now_s() -> u64 {
    (now_ms() / 1000.0) as u64
}

/// Milliseconds since `start`.
pub fn since(start: f64) -> u64 {
    (now_ms() - start).max(0.0) as u64
}

/// Sleeps without blocking the isolate.
pub async fn sleep(d: Duration) {
    worker::Delay::from(d).await;
}

/// `fut`'s output if it is ready before `until_ms` (milliseconds since the epoch), `None` once that
/// time has come: one deadline for a loop of waits, however many there are.
pub async fn before<F: std::future::Future + Unpin>(fut: F, until_ms: f64) -> Option<F::Output> {
    let left = until_ms - now_ms();
    if left <= 0.0 {
        return None;
    }
    let timer = Box::pin(sleep(Duration::from_millis(left as u64)));
    match futures_util::future::select(fut, timer).await {
        futures_util::future::Either::Left((out, _)) => Some(out),
        futures_util::future::Either::Right(_) => None,
    }
}
