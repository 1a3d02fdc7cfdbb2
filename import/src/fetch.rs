//! Polite HTTP for imports: a user agent naming twin, timeouts, a size cap, a delay between requests to a
//! host, `robots.txt` (read with `texting_robots`) obeyed for every URL fetched and every redirect hop,
//! and, for a source given as a URL, fetches kept to the blog's host.

use crate::error::ImportError;
use std::collections::{HashMap, HashSet};
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
/// Redirects followed (each hop checked against robots.txt and the host scope).
pub const MAX_REDIRECTS: usize = 5;
/// The longest pause between two requests to a host, ours or a robots.txt `Crawl-delay`.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

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

/// An origin's robots.txt, read once.
enum Robots {
    Rules(Robot),
    /// No robots.txt (a 4xx answer): everything may be fetched.
    AllowAll,
    /// robots.txt could not be read (a 5xx answer, no connection): nothing is fetched, as crawlers do.
    DisallowAll,
}

/// Shared by the threads of one import.
pub struct Fetcher {
    agent: ureq::Agent,
    politeness: Politeness,
    /// Per host: when the next request may leave.
    next_slot: Mutex<HashMap<String, Instant>>,
    /// Per origin: what its robots.txt says.
    robots: Mutex<HashMap<String, Robots>>,
    /// The hosts fetches may go to; empty: any.
    scope: Mutex<HashSet<String>>,
}

impl Fetcher {
    pub fn new(politeness: Politeness) -> Fetcher {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(politeness.timeout))
            .user_agent(USER_AGENT)
            .http_status_as_error(false)
            // Redirects are followed here, one hop at a time, so each is checked.
            .max_redirects(0)
            .build()
            .new_agent();
        Fetcher {
            agent,
            politeness,
            next_slot: Mutex::new(HashMap::new()),
            robots: Mutex::new(HashMap::new()),
            scope: Mutex::new(HashSet::new()),
        }
    }

    pub fn concurrency(&self) -> usize {
        self.politeness.concurrency.max(1)
    }

    /// Keeps every later fetch on `url`'s host (and its `www.` twin): a sitemap, a feed or a redirect
    /// pointing elsewhere is not followed.
    pub fn limit_to_host_of(&self, url: &str) {
        let Some(host) = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_lowercase))
        else {
            return;
        };
        let bare = host.strip_prefix("www.").unwrap_or(&host).to_string();
        if let Ok(mut scope) = self.scope.lock() {
            scope.insert(format!("www.{bare}"));
            scope.insert(bare);
        }
    }

    fn in_scope(&self, url: &url::Url) -> bool {
        let host = url.host_str().unwrap_or("").to_lowercase();
        self.scope
            .lock()
            .map(|s| s.is_empty() || s.contains(&host))
            .unwrap_or(false)
    }

    /// GETs `url` as text after its host's turn, following redirects itself: every hop must be on the
    /// blog's host (when limited) and allowed by robots.txt. Non-2xx answers are errors naming the URL.
    pub fn get(&self, url: &str) -> Result<Fetched, ImportError> {
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let parsed = url::Url::parse(&current)
                .map_err(|e| ImportError::new(&current, format!("not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ImportError::new(
                    &current,
                    "only http and https URLs are fetched",
                ));
            }
            if !self.in_scope(&parsed) {
                return Err(ImportError::new(
                    &current,
                    "on another host than the blog: not fetched",
                ));
            }
            if !parsed.path().eq_ignore_ascii_case("/robots.txt")
                && let Err(why) = self.permission(&current)
            {
                return Err(ImportError::new(&current, why));
            }
            let (status, location, body) = self.get_once(&parsed)?;
            if (300..400).contains(&status)
                && let Some(next) = location.and_then(|l| parsed.join(&l).ok())
            {
                current = next.to_string();
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(ImportError::new(&current, format!("HTTP {status}")));
            }
            return Ok(Fetched { url: current, body });
        }
        Err(ImportError::new(
            url,
            format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }

    /// One request, no redirects followed: (status, Location, body as text).
    fn get_once(&self, url: &url::Url) -> Result<(u16, Option<String>, String), ImportError> {
        self.wait_turn(url);
        let place = url.as_str();
        let mut resp = self
            .agent
            .get(place)
            .call()
            .map_err(|e| ImportError::new(place, format!("fetch failed: {e}")))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_BYTES)
            .read_to_vec()
            .map_err(|e| ImportError::new(place, format!("reading the answer: {e}")))?;
        Ok((
            status,
            location,
            String::from_utf8_lossy(&bytes).into_owned(),
        ))
    }

    /// Whether robots.txt lets twin fetch `url`.
    pub fn allowed(&self, url: &str) -> bool {
        self.permission(url).is_ok()
    }

    /// robots.txt's verdict on `url`, read once per origin: its rules for `twin` (else `*`); none (a
    /// 3xx or 4xx answer) allows all; an unreadable one (a 5xx, no connection) allows nothing. `Err`
    /// says why not.
    pub fn permission(&self, url: &str) -> Result<(), &'static str> {
        let Ok(parsed) = url::Url::parse(url) else {
            return Err("not a URL");
        };
        // Not even robots.txt is asked of a host the import is not reading.
        if !self.in_scope(&parsed) {
            return Err("on another host than the blog: not fetched");
        }
        let origin = parsed.origin().ascii_serialization();
        let verdict = |r: &Robots| match r {
            Robots::Rules(robot) if robot.allowed(url) => Ok(()),
            Robots::Rules(_) => Err("robots.txt disallows it"),
            Robots::AllowAll => Ok(()),
            Robots::DisallowAll => {
                Err("robots.txt could not be read, so nothing on that site is fetched")
            }
        };
        if let Some(v) = self
            .robots
            .lock()
            .ok()
            .and_then(|m| m.get(&origin).map(verdict))
        {
            return v;
        }
        let robots = self.read_robots(&origin);
        let v = verdict(&robots);
        if let Ok(mut m) = self.robots.lock() {
            m.insert(origin, robots);
        }
        v
    }

    /// `origin`'s robots.txt, following up to [`MAX_REDIRECTS`] redirects (RFC 9309): 2xx gives its
    /// rules, a 4xx (but 429) none, anything else (a 5xx, a 429, no connection, too many redirects)
    /// forbids everything.
    fn read_robots(&self, origin: &str) -> Robots {
        let Ok(mut at) = url::Url::parse(&format!("{origin}/robots.txt")) else {
            return Robots::DisallowAll;
        };
        for _ in 0..=MAX_REDIRECTS {
            match self.get_once(&at) {
                Ok((200..=299, _, body)) => {
                    return Robot::new(ROBOTS_AGENT, body.as_bytes())
                        .map_or(Robots::AllowAll, Robots::Rules);
                }
                Ok((300..=399, Some(location), _)) => match at.join(&location) {
                    Ok(next) => at = next,
                    Err(_) => return Robots::AllowAll,
                },
                Ok((429, _, _)) => return Robots::DisallowAll,
                Ok((300..=499, _, _)) => return Robots::AllowAll,
                _ => return Robots::DisallowAll,
            }
        }
        Robots::DisallowAll
    }

    /// Sleeps until this host's next slot, then books the one after. A robots.txt `Crawl-delay`
    /// longer than ours wins (capped at a minute).
    fn wait_turn(&self, url: &url::Url) {
        let host = url.host_str().unwrap_or("").to_string();
        let delay = self
            .politeness
            .delay
            .max(self.crawl_delay(&url.origin().ascii_serialization()))
            .min(MAX_DELAY);
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
            .and_then(|m| match m.get(origin) {
                Some(Robots::Rules(r)) => r.delay,
                _ => None,
            })
            .map(|d| Duration::from_secs_f32(d.clamp(0.0, MAX_DELAY.as_secs_f32())))
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
            .insert("http://one.invalid".into(), Robots::Rules(robot));
        assert_eq!(
            fetcher.crawl_delay("http://one.invalid"),
            Duration::from_secs(2)
        );
        assert!(
            fetcher.allowed("http://one.invalid/posts/x")
                && !fetcher.allowed("http://one.invalid/private/x")
        );
    }

    #[test]
    fn an_unreadable_robots_txt_allows_nothing() {
        let fetcher = Fetcher::new(Politeness {
            delay: Duration::ZERO,
            ..Politeness::default()
        });
        // Nothing listens on port 9: robots.txt cannot be read, so no page of that origin is fetched.
        assert!(!fetcher.allowed("http://127.0.0.1:9/posts/x"));
        assert!(matches!(
            fetcher
                .robots
                .lock()
                .expect("lock")
                .get("http://127.0.0.1:9"),
            Some(Robots::DisallowAll)
        ));
    }
}
