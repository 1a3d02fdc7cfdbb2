//! Bounded everything, under `wrangler dev`: bodies capped while they arrive, an answer's overall
//! deadline, a cold backend whose host cannot resolve failing at once, upstream text kept from readers,
//! unknown probes and blank messages refused, and IPv6 clients limited by their /64.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use twin_e2e::{Client, Stack};

fn error_of(body: &str) -> (String, String) {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("a JSON body: {body}"));
    (
        v["error"]["code"].as_str().expect("a code").to_string(),
        v["error"]["message"]
            .as_str()
            .expect("a message")
            .to_string(),
    )
}

/// A body that sends `bytes` and then never ends: only a worker that counts as it reads answers.
fn endless_body(bytes: usize) -> reqwest::Body {
    let chunks = futures_util::stream::iter(
        (0..bytes / 1024).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024])),
    )
    .chain(futures_util::stream::pending());
    reqwest::Body::wrap_stream(chunks)
}

/// A chat body over the limit without a `Content-Length` is refused as soon as it passes the limit,
/// without waiting for its end; `/api/warm` takes at most 1 KB and refuses what it cannot read.
pub fn bodies_are_capped_as_they_arrive(_: &Stack, c: &Client) {
    let t = Instant::now();
    let (s, _, body) = c.send(
        c.request(Method::POST, "/api/chat")
            .header("content-type", "application/json")
            .body(endless_body(40 * 1024))
            .timeout(Duration::from_secs(20)),
    );
    assert_eq!(
        (s, error_of(&body).0.as_str()),
        (413, "body_too_large"),
        "{body}"
    );
    println!(
        "  endless chat body refused in {} ms",
        t.elapsed().as_millis()
    );
    let (s, _, body) = c.send(
        c.request(Method::POST, "/api/warm")
            .body(endless_body(4 * 1024))
            .timeout(Duration::from_secs(20)),
    );
    assert_eq!(
        (s, error_of(&body).0.as_str()),
        (413, "body_too_large"),
        "{body}"
    );
    for (sent, code) in [
        ("{\"backend\":", "invalid_json"),
        ("{\"backend\":\"tuned\",\"x\":1}", "invalid_json"),
        ("[1,2]", "invalid_json"),
    ] {
        let (s, _, body) = c.send(c.request(Method::POST, "/api/warm").body(sent));
        assert_eq!(
            (s, error_of(&body).0.as_str()),
            (400, code),
            "{sent}: {body}"
        );
    }
}

/// An answer that trickles (a word every half second, never idle) is stopped at its backend's
/// `answer_deadline_s` (3 s here) with a timeout error; the words already sent stay sent.
pub fn an_answer_past_its_deadline_is_stopped(_: &Stack, c: &Client) {
    let run = c.ask("f-trickle", "Tell me slowly.");
    let e = run.expect_error();
    assert_eq!(e.code, "upstream_timeout", "{e:?}");
    assert!(e.message.contains("longer than 3 s"), "{}", e.message);
    assert!(
        run.text().contains("drip"),
        "text before the deadline is kept"
    );
    assert!(
        run.total < Duration::from_secs(10),
        "stopped near the deadline: {:?}",
        run.total
    );
}

/// A scale-to-zero backend whose host does not resolve is a configuration error at once, not a minute
/// of "Waking", and the reader is not shown its host.
pub fn a_cold_backend_that_cannot_resolve_fails_at_once(_: &Stack, c: &Client) {
    let run = c.ask("gpu-nxdomain", "Hello?");
    let e = run.expect_error();
    assert_eq!(
        (e.code.as_str(), e.retryable),
        ("not_configured", false),
        "{e:?}"
    );
    assert!(
        !e.message.contains("invalid"),
        "no host shown: {}",
        e.message
    );
    assert!(
        run.total < Duration::from_secs(15),
        "at once, not at the 60 s wake deadline: {:?} ({} status events)",
        run.total,
        run.statuses().len()
    );
}

/// What a backend or the network says in an error never reaches the reader: each code has its own
/// fixed message.
pub fn upstream_error_text_stays_in_the_log(_: &Stack, c: &Client) {
    for backend in ["f-overloaded", "f-malformed", "f-dead", "f-500"] {
        let run = c.ask(backend, "Hello?");
        let e = run.expect_error();
        for leaked in [
            "stand-in",
            "upstream text",
            "127.0.0.1",
            "connect",
            "expected",
            "json",
        ] {
            assert!(
                !e.message.to_lowercase().contains(leaked),
                "{backend} shows upstream text ({leaked}): {}",
                e.message
            );
        }
    }
}

/// A probe id the worker does not have, and a message of only invisible characters, are refused by
/// name before anything is asked.
pub fn unknown_probes_and_blank_messages_are_refused(_: &Stack, c: &Client) {
    let post = |body: Value| c.chat(c.request(Method::POST, "/api/chat").json(&body));
    let run = post(json!({"backend": "echo", "probe": "no-such-probe",
        "messages": [{"role": "user", "content": "hi"}]}));
    assert_eq!(
        (run.status, run.code()),
        (400, Some("unknown_probe")),
        "{:?}",
        run.body
    );
    let message = run
        .body
        .as_ref()
        .and_then(|b| b["error"]["message"].as_str());
    assert!(
        message.is_some_and(|m| m.contains("no-such-probe") && m.contains("voice")),
        "{message:?}"
    );
    let run = post(json!({"backend": "echo", "probe": "voice",
        "messages": [{"role": "user", "content": "hi"}]}));
    assert_eq!(run.status, 200, "a known probe is asked: {:?}", run.body);
    for blank in ["\u{0}\u{0}", "\u{200b}\u{200d}", "\u{feff} \u{2066}"] {
        let run = post(json!({"backend": "echo",
            "messages": [{"role": "user", "content": blank}]}));
        assert_eq!(
            (run.status, run.code()),
            (400, Some("empty_message")),
            "{blank:?}: {:?}",
            run.body
        );
    }
}

/// Addresses inside one IPv6 /64 share one limit (a client rotating through its /64 is still one
/// client); another /64 is not limited.
pub fn ipv6_clients_are_limited_by_their_64(_: &Stack, c: &Client) {
    let mut codes = Vec::new();
    for i in 1..=40 {
        let rotating = Client::new(&c.base, &format!("2001:db8:77:1:{i:x}:{i:x}::1"));
        let (s, _, _) = rotating.send(rotating.request(Method::GET, "/api/search?q=salt"));
        codes.push(s);
        if s == 429 {
            break;
        }
    }
    assert_eq!(codes.last(), Some(&429), "limited within 40: {codes:?}");
    assert!(
        codes.iter().filter(|s| **s == 200).count() >= 20,
        "{codes:?}"
    );
    let neighbour = Client::new(&c.base, "2001:db8:77:2::1");
    assert_eq!(neighbour.get_json("/api/search?q=salt").0, 200);
}

/// A backend past its daily token budget (100 here) answers `budget_exhausted` until midnight UTC
/// without asking upstream, and the other backends keep answering. A reader who leaves mid-answer is
/// charged too (the estimate is reserved before asking), so leaving early cannot dodge the cap.
pub fn a_spent_daily_budget_stops_that_backend_only(stack: &Stack, c: &Client) {
    let first = c.ask("capped", "What is in the shed? BUDGET-1");
    let done = first
        .done()
        .unwrap_or_else(|| panic!("the first answer is within budget: {:?}", first.names()));
    let used = done.usage.input_tokens + done.usage.output_tokens;
    assert!(used >= 100, "one answer spends the budget: {used} tokens");
    let run = c.ask("capped", "And the garden? BUDGET-2");
    let e = run.expect_error();
    assert_eq!(
        (e.code.as_str(), e.retryable),
        ("budget_exhausted", true),
        "{e:?}"
    );
    let reset = e.retry_after_s.expect("the reset time");
    assert!((1..=86_400).contains(&reset), "{reset}");
    assert!(e.message.contains("hour"), "{}", e.message);
    let asked = |mark: &str| {
        stack
            .stand_in
            .received()
            .iter()
            .filter(|b| b.to_string().contains(mark))
            .count()
    };
    assert_eq!(
        (asked("BUDGET-1"), asked("BUDGET-2")),
        (1, 0),
        "past the cap nothing is asked upstream"
    );
    let other = c.ask("echo", "Still there?");
    assert!(
        other.done().is_some(),
        "another backend answers: {:?}",
        other.names()
    );
    // Leaving after the first words of a slow answer still spends the budget.
    let body = json!({"backend": "capped-slow",
        "messages": [{"role": "user", "content": "Tell me slowly."}]});
    assert!(c.leave_after_first_delta(c.request(Method::POST, "/api/chat").json(&body)));
    let run = c.ask("capped-slow", "Again?");
    assert_eq!(
        run.error().map(|e| e.code.as_str()),
        Some("budget_exhausted"),
        "{:?}",
        run.names()
    );
}

/// A worker whose configuration does not parse refuses every route with `not_configured` and names no
/// URL, model id or var value to the caller (its own `wrangler dev`, with a broken `BACKENDS`).
pub fn a_broken_configuration_names_nothing_secret(_: &Stack, _: &Client) {
    let root = Stack::root();
    let log = root.join("build/logs/e2e/wrangler-broken.log");
    let backends = r#"[{"id":"x","label":"X","provider":"openai","base_url":"ftp://secret-host.example/v1","model":"secret-model-id"}]"#;
    let worker = twin_local::wrangler::WranglerDev::start_until(
        &root.join("worker"),
        &[("BACKENDS", backends.to_string())],
        &[],
        &log,
        503,
    )
    .expect("wrangler dev with a broken configuration");
    let c = Client::new(&worker.url, "198.51.100.250");
    // Ready means the worker's own JSON 503 (`WranglerDev::start_until`), not wrangler's plain text.
    for path in ["/api/config", "/api/health", "/api/search?q=salt"] {
        let (s, h, body) = c.send(
            c.request(Method::GET, path)
                .header("origin", "https://blog.example"),
        );
        assert_eq!(s, 503, "{path}: {body}");
        assert_eq!(error_of(&body).0, "not_configured", "{path}: {body}");
        // Readable by the blog's page, so its widget can say why (no origin can be checked without
        // a configuration); the refusal carries nothing else.
        let has = |name: &str, value: &str| {
            h.iter()
                .any(|(k, v)| k == name && v.to_ascii_lowercase().contains(value))
        };
        assert!(
            h.iter()
                .any(|(k, v)| k == "access-control-allow-origin" && v == "*"),
            "{path}: {h:?}"
        );
        // It varies with the page, so no cache keeps it for another.
        assert!(
            has("vary", "origin") && has("cache-control", "no-store"),
            "{path}: {h:?}"
        );
        for secret in ["secret-host", "secret-model-id", "ftp:"] {
            assert!(!body.contains(secret), "{path} shows {secret}: {body}");
        }
    }
    // A preflight gets the refusal without CORS headers: the browser never sends the request.
    let (s, h, body) = c.send(
        c.request(Method::OPTIONS, "/api/chat")
            .header("origin", "https://blog.example")
            .header("access-control-request-method", "POST"),
    );
    assert_eq!(
        (s, error_of(&body).0.as_str()),
        (503, "not_configured"),
        "{body}"
    );
    assert!(
        !h.iter().any(|(k, _)| k == "access-control-allow-origin"),
        "a refused preflight: {h:?}"
    );
    // The reason is in the worker's log (written as wrangler relays it; give it a moment).
    let logged = (0..20).any(|_| {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("not an http(s) URL") || {
            std::thread::sleep(Duration::from_millis(250));
            false
        }
    });
    assert!(
        logged,
        "the reason is in the worker's log {}",
        log.display()
    );
}
