//! Per-client-IP rate limiting with Cloudflare's rate limiting binding (`RATE_LIMITER` in wrangler.toml).

use worker::{Env, Request};

/// The binding's name.
const BINDING: &str = "RATE_LIMITER";
/// What `Retry-After` says when limited: the binding's period.
pub const RETRY_AFTER_S: u64 = 60;

/// Whether this client may make another request now. Without the binding (not configured), everyone may.
pub async fn allow(env: &Env, req: &Request) -> bool {
    let Ok(limiter) = env.rate_limiter(BINDING) else {
        return true;
    };
    let key = req
        .headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into());
    match limiter.limit(key).await {
        Ok(outcome) => outcome.success,
        // A limiter failure must not take the site down.
        Err(_) => true,
    }
}
