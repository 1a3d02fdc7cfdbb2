//! The probe cache under `wrangler dev` (local KV): a probe's second click replays the first answer
//! without asking the model (counted at the stand-in), a GPU probe replays without a cold start, and
//! every request that must not be cached (asked live, a changed question, earlier turns, a typed
//! question) reaches the model.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use twin_e2e::{ChatRun, Client, Stack};

/// The question of probe `id`, as the worker serves it.
fn probe_question(c: &Client, id: &str) -> String {
    let (status, config) = c.get_json("/api/config");
    assert_eq!(status, 200, "{config}");
    config["probes"]
        .as_array()
        .expect("probes in /api/config")
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["question"].as_str())
        .unwrap_or_else(|| panic!("no probe {id} in {config}"))
        .to_string()
}

fn chat(c: &Client, body: &Value) -> ChatRun {
    c.chat(c.request(Method::POST, "/api/chat").json(body))
}

/// Asks `body` and returns the run with how many requests the stand-in got meanwhile.
fn counted(stack: &Stack, c: &Client, body: &Value) -> (ChatRun, u64) {
    let before = stack.stand_in.requests();
    let run = chat(c, body);
    assert_eq!(run.status, 200, "{:?}", run.body);
    (run, stack.stand_in.requests() - before)
}

/// Asks the probe until its answer comes from the cache (the first answer is written after its stream
/// closes, so the second click may still race it), at most 10 s.
fn until_cached(stack: &Stack, c: &Client, body: &Value) -> (ChatRun, u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (run, asked) = counted(stack, c, body);
        if run.done().is_some_and(|d| d.cached) || Instant::now() > deadline {
            return (run, asked);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// A retrieval probe: live first, then the same events from the cache with no model request, marked
/// `cached` with when it was made; then every kind of request that must not be cached is asked live.
pub fn probe_answers_are_cached_and_replayed(stack: &Stack, c: &Client) {
    let question = probe_question(c, "knowledge");
    let probe = json!({"backend": "echo-rag", "probe": "knowledge",
        "messages": [{"role": "user", "content": question}]});
    let (first, asked) = counted(stack, c, &probe);
    let done = first.done().expect("a live answer ends with done");
    assert!(!done.cached && done.made_at_ms.is_none(), "{done:?}");
    assert_eq!(asked, 1, "the first click asks the model");
    assert!(!first.sources().is_empty() && !first.text().is_empty());

    let (again, asked) = until_cached(stack, c, &probe);
    let cached = again.done().expect("a cached answer ends with done");
    assert!(cached.cached, "the probe was never answered from the cache");
    assert_eq!(asked, 0, "a cached answer asks no model");
    assert_eq!(
        again.names().first(),
        Some(&"sources"),
        "sources first, as live"
    );
    assert_eq!(again.sources(), first.sources());
    assert_eq!(again.text(), first.text());
    assert_eq!(cached.stop_reason, done.stop_reason);
    assert_eq!(cached.usage.input_tokens + cached.usage.output_tokens, 0);
    assert!(cached.signature.is_some(), "a cached answer is signed");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let made = cached.made_at_ms.expect("when the cached answer was made");
    assert!(
        made <= now_ms && now_ms - made < 120_000,
        "made {made}, now {now_ms}"
    );
    println!(
        "  probe: live {} ms to first text, cached {} ms",
        first.first_delta.map_or(0, |d| d.as_millis()),
        again.first_delta.map_or(0, |d| d.as_millis())
    );

    // Not cached: asked live, the probe's question changed, after earlier turns, a typed question.
    let mut live = probe.clone();
    live["live"] = json!(true);
    let mut changed = probe.clone();
    changed["messages"][0]["content"] = json!(format!("{question} Briefly."));
    let mut follow_up = probe.clone();
    follow_up["messages"] = json!([
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": question},
    ]);
    let typed = json!({"backend": "echo-rag", "messages": [{"role": "user", "content": question}]});
    for (what, body) in [
        ("asked live", &live),
        ("a changed question", &changed),
        ("after earlier turns", &follow_up),
        ("a typed question", &typed),
        ("a typed question again", &typed),
    ] {
        let (run, asked) = counted(stack, c, body);
        let done = run
            .done()
            .unwrap_or_else(|| panic!("{what}: no done: {:?}", run.names()));
        assert!(!done.cached, "{what} was answered from the cache");
        assert_eq!(asked, 1, "{what} must ask the model");
    }
    // The live re-ask did not replace the cached answer's time.
    let (still, _) = counted(stack, c, &probe);
    assert_eq!(still.done().and_then(|d| d.made_at_ms), Some(made));
    // Another backend's cache is its own: the same probe on `echo` asks the model.
    let mut other = probe.clone();
    other["backend"] = json!("echo");
    let (run, asked) = counted(stack, c, &other);
    assert!(
        run.done().is_some_and(|d| !d.cached) && asked == 1,
        "{:?}",
        run.names()
    );
    // The replay is traced, marked cached, with no tokens spent.
    let trace = cached.trace.clone().expect("a traced replay");
    let rows = crate::traces::rows_where(
        &crate::traces::state_of("wrangler"),
        &format!("trace_id = '{trace}'"),
        1,
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (&rows[0]["cached"], &rows[0]["tokens_out"]),
        (&json!(1), &json!(0)),
        "{rows:?}"
    );
}

/// Nothing but a finished answer to the probe as itself is stored: on a probe nobody has asked yet,
/// the changed question, the probe after earlier turns, and failed or empty answers all leave the
/// cache empty, so the first real click still asks the model.
pub fn only_finished_probe_answers_are_kept(stack: &Stack, c: &Client) {
    let question = probe_question(c, "thin");
    let ask = |backend: &str, messages: &Value| json!({"backend": backend, "probe": "thin", "messages": messages});
    let itself = json!([{"role": "user", "content": question}]);
    let changed = json!([{"role": "user", "content": format!("{question} Briefly.")}]);
    let after_turns = json!([
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hi"},
        {"role": "user", "content": question},
    ]);
    for (what, messages) in [
        ("a changed question", &changed),
        ("after earlier turns", &after_turns),
    ] {
        let (run, asked) = counted(stack, c, &ask("echo-rag", messages));
        assert!(
            run.done().is_some_and(|d| !d.cached),
            "{what}: {:?}",
            run.names()
        );
        assert_eq!(asked, 1, "{what}");
    }
    std::thread::sleep(Duration::from_secs(1));
    let (first, asked) = counted(stack, c, &ask("echo-rag", &itself));
    assert!(
        first.done().is_some_and(|d| !d.cached) && asked == 1,
        "an earlier request filled the probe's cache: {:?}",
        first.done()
    );
    // Answers cut off at the token limit (they end with `done`) are not kept either.
    for backend in ["f-cut", "f-cut-gpu"] {
        for n in 1..=2 {
            let (run, asked) = counted(stack, c, &ask(backend, &itself));
            let done = run
                .done()
                .unwrap_or_else(|| panic!("{backend}: {:?}", run.names()));
            assert!(
                ["max_tokens", "length"].contains(&done.stop_reason.as_str()) && !done.cached,
                "{backend}: {done:?}"
            );
            assert_eq!(asked, 1, "{backend}, ask {n}: a cut-off answer was kept");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    // Failed and empty answers are never kept: each ask reaches the model again.
    for backend in ["f-500", "f-overloaded", "f-empty-a"] {
        for n in 1..=2 {
            let (run, asked) = counted(stack, c, &ask(backend, &itself));
            assert!(run.error().is_some(), "{backend}: {:?}", run.names());
            assert_eq!(asked, 1, "{backend}, ask {n}: answered from the cache");
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

/// A GPU probe (its own stand-in path, so no earlier check has woken it) waits for the cold start once; the next click is answered from the cache with no
/// waking status and no request to the GPU.
pub fn a_cached_gpu_probe_needs_no_cold_start(stack: &Stack, c: &Client) {
    let question = probe_question(c, "voice");
    let probe = json!({"backend": "gpu-cold-probe", "probe": "voice",
        "messages": [{"role": "user", "content": question}]});
    let (first, asked) = counted(stack, c, &probe);
    assert!(
        first.done().is_some_and(|d| !d.cached),
        "{:?}",
        first.names()
    );
    assert!(asked >= 1);
    assert!(
        !first.statuses().is_empty(),
        "the first click did not wait for the GPU to wake: {:?}",
        first.names()
    );
    let (again, asked) = until_cached(stack, c, &probe);
    assert!(
        again.done().is_some_and(|d| d.cached),
        "{:?}",
        again.names()
    );
    assert_eq!(asked, 0, "the GPU was asked for a cached probe");
    assert!(again.statuses().is_empty(), "{:?}", again.statuses());
    assert_eq!(again.text(), first.text());
    println!(
        "  gpu probe: live {} ms ({} waking statuses), cached {} ms",
        first.total.as_millis(),
        first.statuses().len(),
        again.total.as_millis()
    );
}
