//! Each fault of the stand-in produces what it says, in both protocols.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::*;
use twin_local::StandIn;

const MESSAGES: &str = "/v1/messages";
const CHAT: &str = "/v1/chat/completions";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

/// One streamed request with a 10 s client, read to the end.
fn stream(url: &str, body: &serde_json::Value) -> Collected {
    rt().block_on(post_stream(&client(Duration::from_secs(10)), url, body))
        .expect("request")
}

#[test]
fn healthy_anthropic_stream_has_the_exact_event_sequence() {
    let s = StandIn::start().expect("stand-in");
    let c = stream(
        &(s.base_url() + MESSAGES),
        &anthropic_body("Tea or coffee?", 50),
    );
    assert_eq!(c.status, 200);
    assert_eq!(c.header("content-type"), Some("text/event-stream"));
    let names = c.names();
    assert_eq!(
        &names[..3],
        ["message_start", "content_block_start", "ping"]
    );
    assert!(
        names[3..names.len() - 3]
            .iter()
            .all(|n| *n == "content_block_delta")
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    for (name, data) in &c.events {
        let v: Value = serde_json::from_str(data).expect("every data is JSON");
        assert_eq!(
            v["type"],
            name.as_str(),
            "the type field repeats the event name"
        );
    }
    let text = anthropic_text(&c);
    assert!(
        text.contains("stand-in") && text.contains("Tea or coffee?"),
        "{text}"
    );
    let delta: Value = serde_json::from_str(&c.events[c.events.len() - 2].1).expect("json");
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert!(delta["usage"]["output_tokens"].as_u64().expect("usage") > 5);
    assert!(c.error.is_none());
}

#[test]
fn healthy_openai_stream_ends_with_done() {
    let s = StandIn::start().expect("stand-in");
    let c = stream(&(s.base_url() + CHAT), &openai_body("Tea or coffee?", 50));
    assert_eq!(c.status, 200);
    let chunks = openai_chunks(&c);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(
        chunks.last().expect("finish")["choices"][0]["finish_reason"],
        "stop"
    );
    assert!(openai_text(&c).contains("Tea or coffee?"));
}

#[test]
fn http_error_faults_carry_status_body_and_retry_after() {
    let s = StandIn::start().expect("stand-in");
    let rt = rt();
    let cl = client(Duration::from_secs(10));
    let cases = [
        ("429", 429, "rate_limit_error", Some("7")),
        ("429-30", 429, "rate_limit_error", Some("30")),
        ("500", 500, "api_error", None),
        ("529", 529, "overloaded_error", None),
    ];
    for (fault, status, kind, retry) in cases {
        let c = rt
            .block_on(post_stream(
                &cl,
                &(s.fault_url(fault) + MESSAGES),
                &anthropic_body("q", 10),
            ))
            .expect("req");
        assert_eq!(c.status, status, "{fault}");
        let body: Value = serde_json::from_str(&c.events[0].1).expect("error JSON");
        assert_eq!(body["type"], "error");
        assert_eq!(body["error"]["type"], kind, "{fault}");
        assert_eq!(c.header("retry-after"), retry, "{fault}");
    }
    let c = rt
        .block_on(post_stream(
            &cl,
            &(s.fault_url("429") + CHAT),
            &openai_body("q", 10),
        ))
        .expect("req");
    assert_eq!(c.status, 429);
    let body: Value = serde_json::from_str(&c.events[0].1).expect("error JSON");
    assert_eq!(body["error"]["code"], 429);
}

#[test]
fn overloaded_mid_stream_sends_text_then_an_error_event() {
    let s = StandIn::start().expect("stand-in");
    let c = stream(
        &(s.fault_url("overloaded-mid-stream") + MESSAGES),
        &anthropic_body("q", 10),
    );
    assert_eq!(c.status, 200);
    let names = c.names();
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "content_block_delta")
            .count(),
        3
    );
    assert_eq!(*names.last().expect("last"), "error");
    let err: Value = serde_json::from_str(&c.events.last().expect("e").1).expect("json");
    assert_eq!(err["error"]["type"], "overloaded_error");
    assert!(!names.contains(&"message_stop"));
}

#[test]
fn dropped_connection_cuts_the_stream_without_its_end() {
    let s = StandIn::start().expect("stand-in");
    let rt = rt();
    let cl = client(Duration::from_secs(10));
    let c = rt
        .block_on(post_stream(
            &cl,
            &(s.fault_url("drop-mid-stream") + MESSAGES),
            &anthropic_body("q", 10),
        ))
        .expect("req");
    assert!(
        c.error.is_some(),
        "the body ends in a transport error: {:?}",
        c.names()
    );
    assert_eq!(
        c.names()
            .iter()
            .filter(|n| **n == "content_block_delta")
            .count(),
        3
    );
    assert!(!c.names().contains(&"message_stop"));
    let c = rt
        .block_on(post_stream(
            &cl,
            &(s.fault_url("drop-mid-stream") + CHAT),
            &openai_body("q", 10),
        ))
        .expect("req");
    assert!(c.error.is_some());
    assert!(!c.events.iter().any(|(_, d)| d == "[DONE]"));
}

#[test]
fn cold_start_answers_503_until_awake_then_streams() {
    let s = StandIn::start().expect("stand-in");
    let rt = rt();
    let cl = client(Duration::from_secs(10));
    let url = s.fault_url("cold-2") + CHAT;
    let start = Instant::now();
    let mut refusals = 0;
    loop {
        let c = rt
            .block_on(post_stream(&cl, &url, &openai_body("q", 10)))
            .expect("req");
        if c.status == 200 {
            assert!(openai_text(&c).contains("stand-in"));
            break;
        }
        assert_eq!(c.status, 503);
        assert_eq!(c.header("retry-after"), Some("1"));
        refusals += 1;
        assert!(start.elapsed() < Duration::from_secs(10), "never woke");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(refusals >= 3, "{refusals}");
    assert!(start.elapsed() >= Duration::from_secs(2));
}

#[test]
fn refused_connections_for_a_while_then_it_answers() {
    let s = StandIn::start_on(0, Duration::from_secs(2)).expect("stand-in");
    let rt = rt();
    let cl = client(Duration::from_secs(5));
    let url = s.base_url() + CHAT;
    let first = rt.block_on(post_stream(&cl, &url, &openai_body("q", 10)));
    let err = first.expect_err("connection refused while cold");
    assert!(err.is_connect(), "{err}");
    std::thread::sleep(Duration::from_millis(2500));
    let c = rt
        .block_on(post_stream(&cl, &url, &openai_body("q", 10)))
        .expect("awake");
    assert_eq!(c.status, 200);
}

#[test]
fn no_first_byte_hangs_until_the_client_gives_up() {
    let s = StandIn::start().expect("stand-in");
    let start = Instant::now();
    let r = rt().block_on(post_stream(
        &client(Duration::from_millis(800)),
        &(s.fault_url("no-first-byte") + CHAT),
        &openai_body("q", 10),
    ));
    let err = r.expect_err("times out");
    assert!(err.is_timeout(), "{err}");
    assert!(start.elapsed() >= Duration::from_millis(800));
}

#[test]
fn malformed_stream_has_undecodable_events() {
    let s = StandIn::start().expect("stand-in");
    let c = stream(
        &(s.fault_url("malformed") + MESSAGES),
        &anthropic_body("q", 10),
    );
    assert_eq!(c.status, 200);
    let bad = c
        .events
        .iter()
        .filter(|(_, d)| serde_json::from_str::<Value>(d).is_err())
        .count();
    assert!(bad >= 2, "{:?}", c.events);
    assert!(!c.names().contains(&"message_stop"));
}

#[test]
fn unknown_events_are_mixed_into_a_complete_stream() {
    let s = StandIn::start().expect("stand-in");
    let c = stream(
        &(s.fault_url("unknown-events") + MESSAGES),
        &anthropic_body("hello", 10),
    );
    assert!(c.names().contains(&"stand_in_future_event"));
    assert_eq!(*c.names().last().expect("last"), "message_stop");
    assert!(anthropic_text(&c).contains("hello"));
}

#[test]
fn a_303_leads_to_a_result_url_that_streams_the_answer() {
    let s = StandIn::start().expect("stand-in");
    let rt = rt();
    // Without following redirects, the 303 and its Location are visible.
    support::install_tls();
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = rt
        .block_on(
            raw.post(s.fault_url("redirect-303") + CHAT)
                .json(&openai_body("parked question", 10))
                .send(),
        )
        .expect("req");
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().expect("ascii").to_string();
    assert!(location.starts_with("/result/"));
    // Following it (a 303 turns the POST into a GET) streams the parked request's answer.
    let c = rt
        .block_on(post_stream(
            &client(Duration::from_secs(10)),
            &(s.fault_url("redirect-303") + CHAT),
            &openai_body("parked question", 10),
        ))
        .expect("req");
    assert_eq!(c.status, 200);
    assert!(openai_text(&c).contains("parked question"));
}

#[test]
fn bad_requests_get_the_protocols_errors() {
    let s = StandIn::start().expect("stand-in");
    let rt = rt();
    support::install_tls();
    let raw = reqwest::Client::new();
    let r = rt
        .block_on(raw.post(s.base_url() + MESSAGES).body("{not json").send())
        .expect("req");
    assert_eq!(r.status().as_u16(), 401, "no x-api-key first");
    let r = rt
        .block_on(
            raw.post(s.base_url() + MESSAGES)
                .header("x-api-key", "k")
                .header("anthropic-version", "2023-06-01")
                .body("{not json")
                .send(),
        )
        .expect("req");
    assert_eq!(r.status().as_u16(), 400);
    let r = rt
        .block_on(
            raw.post(s.base_url() + MESSAGES)
                .header("x-api-key", "k")
                .header("anthropic-version", "2023-06-01")
                .json(&serde_json::json!({"model": "m", "messages": []}))
                .send(),
        )
        .expect("req");
    assert_eq!(r.status().as_u16(), 400);
    let r = rt
        .block_on(
            raw.post(s.fault_url("explode") + CHAT)
                .json(&openai_body("q", 5))
                .send(),
        )
        .expect("req");
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = rt.block_on(r.json()).expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("unknown fault `explode`")
    );
}
