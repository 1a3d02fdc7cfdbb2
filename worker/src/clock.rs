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
