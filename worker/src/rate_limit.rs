//! Per-client rate limiting with Cloudflare's rate limiting binding (`RATE_LIMITER` in wrangler.toml).
//! A client is its IPv4 address, or its IPv6 /64 (one subscriber's network: the addresses inside it
//! rotate freely). What happens when the limiter is missing or fails is configuration
//! (`RATE_LIMIT_FAILURE`): closed (the default: refuse, so a broken limiter cannot run up the bill) or
//! open (serve); either way the worker logs which happened.

use std::net::IpAddr;
use worker::{Env, Request};

/// The binding's name.
const BINDING: &str = "RATE_LIMITER";
/// What `Retry-After` says when limited: the binding's period.
pub const RETRY_AFTER_S: u64 = 60;

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Over the limit.
    Limited,
    /// The limiter is missing or failed and the worker fails closed.
    Unavailable,
}

/// The key a client is limited by: an IPv4 address (or an IPv4-mapped IPv6 one) as itself, an IPv6
/// address as its /64, anything unreadable as one shared `unknown` client.
pub fn client_key(ip: Option<&str>) -> String {
    match ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "unknown".into(),
    }
}

/// The verdict when the limiter cannot give one: `fail_open` serves, otherwise refuse.
fn without_limiter(fail_open: bool, why: &str) -> Verdict {
    let (verdict, how) = if fail_open {
        (
            Verdict::Allow,
            "failing open: the request is served unlimited",
        )
    } else {
        (
            Verdict::Unavailable,
            "failing closed: the request is refused",
        )
    };
    worker::console_error!("rate limiter {why}; {how} (RATE_LIMIT_FAILURE)");
    verdict
}

/// Whether this client may make another request now.
pub async fn check(env: &Env, req: &Request, fail_open: bool) -> Verdict {
    let Ok(limiter) = env.rate_limiter(BINDING) else {
        return without_limiter(fail_open, &format!("binding {BINDING} is missing"));
    };
    let ip = req.headers().get("cf-connecting-ip").ok().flatten();
    match limiter.limit(client_key(ip.as_deref())).await {
        Ok(outcome) if outcome.success => Verdict::Allow,
        Ok(_) => Verdict::Limited,
        Err(e) => without_limiter(fail_open, &format!("failed ({e})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        assert_eq!(client_key(Some("203.0.113.7")), "203.0.113.7");
        let a = client_key(Some("2001:db8:aa:bb:1:2:3:4"));
        assert_eq!(a, "2001:db8:aa:bb::/64");
        assert_eq!(client_key(Some("2001:0db8:00aa:00bb:ffff::9")), a);
        assert_ne!(client_key(Some("2001:db8:aa:bc::1")), a);
        assert_eq!(client_key(Some("::ffff:198.51.100.4")), "198.51.100.4");
        assert_eq!(client_key(Some("not an ip")), "unknown");
        assert_eq!(client_key(None), "unknown");
    }
}
