//! The index served as a static asset (a blob too big to embed) under its own `wrangler dev`: loaded
//! once per isolate on first use, even by concurrent first requests; never at a public URL; and the
//! same search results and sources as the embedded index the shared stack runs.

use reqwest::Method;
use serde_json::{Value, json};
use std::time::Instant;
use twin_e2e::{API_KEY, Client, Stack, encode_query};
use twin_local::wrangler::WranglerDev;
use twin_upstream::{Backend, Provider};

/// What a search found: its coverage and each passage's slug, score and snippet.
fn found(c: &Client, q: &str) -> Value {
    let (status, v) = c.get_json(&format!("/api/search?k=5&q={}", encode_query(q)));
    assert_eq!(status, 200, "{q}: {v}");
    let passages = v["passages"].as_array().expect("passages");
    json!({
        "coverage": v["coverage"],
        "passages": passages.iter().map(|p| json!([p["slug"], p["score"], p["snippet"]])).collect::<Vec<_>>(),
    })
}

pub fn an_index_served_as_an_asset_searches_the_same(stack: &Stack, c: &Client) {
    let root = Stack::root();
    let eval = twin_shared::EvalSet::read(&root.join("content/eval")).expect("eval sets");
    let questions: Vec<String> = eval
        .heldout_answerable
        .iter()
        .take(20)
        .map(|q| q.question.clone())
        .chain(
            eval.heldout_unanswerable
                .iter()
                .take(5)
                .map(|q| q.question.clone()),
        )
        .collect();
    // The shared stack's worker (auto mode) embeds its index: the demo's is far under the 1.5 MB
    // threshold.
    let before =
        std::fs::read_to_string(stack.staged_worker().join("index.asset")).expect("index.asset");
    assert!(
        before.trim().is_empty(),
        "the shared stack is not embedded: {before:?}"
    );
    let embedded: Vec<Value> = questions.iter().map(|q| found(c, q)).collect();
    let asked = questions[0].clone();
    let chat = |c: &Client| {
        let run = c.ask("echo-rag", &asked);
        assert!(run.done().is_some(), "{:?}", run.names());
        run.sources()
    };
    let embedded_sources = chat(c);
    assert!(!embedded_sources.is_empty());

    let echo = Backend {
        secret: Some("ANTHROPIC_API_KEY".into()),
        retrieval: true,
        max_tokens: 48,
        ..Backend::new(
            "echo-rag",
            "echo-rag",
            Provider::Anthropic,
            &stack.stand_in.base_url(),
            "local",
        )
    };
    let log = root.join("build/logs/e2e/wrangler-index-asset.log");
    let worker = WranglerDev::start_with_build_env(
        &root.join("worker"),
        &[("BACKENDS", json!([echo]).to_string())],
        &[("ANTHROPIC_API_KEY", API_KEY.to_string())],
        &log,
        &[("TWIN_INDEX_MODE", "asset")],
    )
    .expect("wrangler dev with the index as a static asset");
    // This worker was built with the index as an asset: the asset described, and there beside it.
    let described =
        std::fs::read_to_string(worker.staged.join("index.asset")).expect("index.asset");
    let path = described.split_whitespace().next().unwrap_or_default();
    let asset = worker
        .staged
        .join("index-assets")
        .join(path.trim_start_matches('/'));
    assert!(
        described.starts_with("/index-") && asset.is_file(),
        "not an asset build: {described:?}, {} missing",
        asset.display()
    );

    // Eight first requests at once (clients made first, released together), on a fresh isolate: one
    // load, eight identical answers.
    let clients: Vec<Client> = (0..8)
        .map(|i| Client::new(&worker.url, &format!("203.0.113.{}", 10 + i)))
        .collect();
    let gate = std::sync::Barrier::new(clients.len());
    let started = Instant::now();
    let results: Vec<(Value, u128)> = std::thread::scope(|s| {
        let handles: Vec<_> = clients
            .iter()
            .map(|c| {
                let (gate, q) = (&gate, &questions[0]);
                s.spawn(move || {
                    gate.wait();
                    let v = found(c, q);
                    (v, started.elapsed().as_millis())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a first request"))
            .collect()
    });
    for (v, _) in &results {
        assert_eq!(v, &embedded[0], "a concurrent first request");
    }
    println!(
        "  first requests (8 at once, fresh isolate, index loaded from {path}): slowest {} ms",
        results.iter().map(|r| r.1).max().unwrap_or(0)
    );
    let a = Client::new(&worker.url, "203.0.113.50");
    for (q, want) in questions.iter().zip(&embedded) {
        assert_eq!(&found(&a, q), want, "{q}");
    }
    assert_eq!(chat(&a), embedded_sources, "the chat's sources");
    // The blob is the worker's alone: its asset path is a route the worker does not have.
    let (status, _, body) = a.send(a.request(Method::GET, path));
    assert_eq!(status, 404, "{path} is served: {body}");
    assert!(body.contains("not_found"), "{body}");
    let logged = std::fs::read_to_string(&log).expect("the log");
    let loads = logged.matches("loaded the index from").count();
    assert_eq!(loads, 1, "the index was loaded {loads} times:\n{logged}");
    // How many of the eight arrived while the load ran (the rest found it done): a small index loads
    // in tens of milliseconds, so this is reported, not required.
    println!(
        "  {} of the other first requests joined the load in flight",
        logged.matches("joined the index load in flight").count()
    );
}
