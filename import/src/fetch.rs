//! Polite HTTP for imports: a user agent naming twin, timeouts, a size cap, a delay between requests to a
//! host, and `robots.txt` (read with `texting_robots`) respected for every page fetched.

use crate::error::ImportError;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use texting_robots::Robot;

/// The user agent every request sends.
pub const USER_AGENT: &str = concat!(
    "twin-import/",
    env!("CARGO_PKG_VERSION"),
    " (personal-twin blog importer)"
);
/// The token `robots.txt` groups are matched against.
pub const ROBOTS_AGENT: &str = "twin";
/// The largest response read (a page, a feed, a sitemap).
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;

/// How politely to fetch.
#[derive(Debug, Clone)]
pub struct Politeness {
    /// Pause between two requests to the same host (a longer `Crawl-delay` in robots.txt wins).
    pub delay: Duration,
    /// Pages fetched at once.
    pub concurrency: usize,
    /// Per-request time limit.
    pub timeout: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            delay: Duration::from_millis(1000),
            concurrency: 2,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: String,
    pub body: String,
}

/// Shared by the threads of one import.
pub struct Fetcher {
    agent: ureq::Agent,
    politeness: Politeness,
    /// Per host: when the next request may leave.
    next_slot: Mutex<HashMap<String, Instant>>,
    /// Per origin: its robots rules (`None`: no robots.txt, everything allowed).
    robots: Mutex<HashMap<String, Option<Robot>>>,
}

impl Fetcher {
    pub fn new(politeness: Politeness) -> Fetcher {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(politeness.timeout))
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            .build()
            .new_agent();
        Fetcher {
            agent,
            politeness,
            next_slot: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
        }
    }

    pub fn concurrency(&self) -> usize {
        self.politeness.concurrency.max(1)
    }

    /// GETs `url` as text, after waiting its host's turn. Non-2xx answers are errors naming the URL.
    pub fn get(&self, url: &str) -> Result<Fetched, ImportError> {
        let parsed =
            url::Url::parse(url).map_err(|e| ImportError::new(url, format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ImportError::new(
                url,
                "only http and https URLs are fetched",
            ));
        }
        self.wait_turn(&parsed);
        let mut resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| ImportError::new(url, format!("fetch failed: {e}")))?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(ImportError::new(url, format!("HTTP {status}")));
        }
        let final_url = resp
            .headers()
            .get("content-location")
            .and_then(|v| v.to_str().ok())
            .and_then(|loc| parsed.join(loc).ok())
            .map(|u| u.to_string())
            .unwrap_or_else(|| url.to_string());
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_vec()
            .map_err(|e| ImportError::new(url, format!("reading the answer: {e}")))?;
        Ok(Fetched {
            url: final_url,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// Whether robots.txt lets twin fetch `url` (read once per origin; a missing robots.txt allows all).
    pub fn allowed(&self, url: &str) -> bool {
        let Ok(parsed) = url::Url::parse(url) else {
            return false;
        };
        let origin = parsed.origin().ascii_serialization();
        if let Some(rules) = self
            .robots
            .lock()
            .ok()
            .and_then(|m| m.get(&origin).map(|r| r.as_ref().map(|r| r.allowed(url))))
        {
            return rules.unwrap_or(true);
        }
        let robot = self
            .get(&format!("{origin}/robots.txt"))
            .ok()
            .and_then(|f| Robot::new(ROBOTS_AGENT, f.body.as_bytes()).ok());
        let verdict = robot.as_ref().is_none_or(|r| r.allowed(url));
        if let Ok(mut m) = self.robots.lock() {
            m.insert(origin, robot);
        }
        verdict
    }

    /// Sleeps until this host's next slot, then books the one after. A robots.txt `Crawl-delay`
    /// longer than ours wins (capped at a minute).
    fn wait_turn(&self, url: &url::Url) {
        let host = url.host_str().unwrap_or("").to_string();
        let delay = self
            .politeness
            .delay
            .max(self.crawl_delay(&url.origin().ascii_serialization()));
        let wait = {
            let Ok(mut slots) = self.next_slot.lock() else {
                return;
            };
            let now = Instant::now();
            let at = slots.get(&host).copied().unwrap_or(now).max(now);
            slots.insert(host, at + delay);
            at - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }

    fn crawl_delay(&self, origin: &str) -> Duration {
        self.robots
            .lock()
            .ok()
            .and_then(|m| m.get(origin).and_then(|r| r.as_ref().and_then(|r| r.delay)))
            .map(|d| Duration::from_secs_f32(d.clamp(0.0, 60.0)))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_to_one_host_are_spaced_by_the_delay() {
        let fetcher = Fetcher::new(Politeness {
            delay: Duration::from_millis(150),
            ..Politeness::default()
        });
        let a = url::Url::parse("http://one.invalid/a").expect("url");
        let b = url::Url::parse("http://two.invalid/b").expect("url");
        let started = Instant::now();
        for _ in 0..3 {
            fetcher.wait_turn(&a);
        }
        // Three turns on one host: the second and third each wait a full delay.
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "{:?}",
            started.elapsed()
        );
        let slots = fetcher.next_slot.lock().expect("lock");
        assert!(slots.contains_key("one.invalid") && !slots.contains_key("two.invalid"));
        drop(slots);
        fetcher.wait_turn(&b);
        assert!(
            fetcher
                .next_slot
                .lock()
                .expect("lock")
                .contains_key("two.invalid")
        );
    }

    #[test]
    fn a_robots_crawl_delay_longer_than_ours_wins() {
        let fetcher = Fetcher::new(Politeness {
            delay: Duration::from_millis(10),
            ..Politeness::default()
        });
        let robot = Robot::new(
            ROBOTS_AGENT,
            b"User-agent: *\nCrawl-delay: 2\nDisallow: /private/\n",
        )
        .expect("robots");
        assert!(
            !robot.allowed("http://one.invalid/private/x")
                && robot.allowed("http://one.invalid/posts/x")
        );
        fetcher
            .robots
            .lock()
            .expect("lock")
            .insert("http://one.invalid".into(), Some(robot));
        assert_eq!(
            fetcher.crawl_delay("http://one.invalid"),
            Duration::from_secs(2)
        );
        assert!(
            fetcher.allowed("http://one.invalid/posts/x")
                && !fetcher.allowed("http://one.invalid/private/x")
        );
    }
}
