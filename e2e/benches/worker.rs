//! Worker benchmarks under `wrangler dev`: the time the worker adds to the first token over calling the
//! same upstream directly (median and ratio, one run), retrieval time inside the worker, worker startup,
//! and the bundle size. Run: `cargo bench -p twin-e2e --bench worker`.

use futures_util::StreamExt;
use std::time::{Duration, Instant};
use twin_e2e::{Client, Stack, encode_query};
use twin_shared::prompt::user_turn;
use twin_shared::sse::sse_events;
use twin_upstream::{Backend, Provider, Upstream, openai};

const ROUNDS: usize = 15;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds to the first content chunk of a direct OpenAI-protocol stream, read to its end as the
/// worker's is. (Leaving at the first chunk, as this bench once did, left llama-server generating the
/// rest of an abandoned answer while the next request, the worker's, waited for its one slot: that
/// was 40 of the "added" milliseconds.)
async fn direct_ttft(http: &reqwest::Client, url: &str, body: &serde_json::Value) -> f64 {
    let start = Instant::now();
    let r = http
        .post(url)
        .json(body)
        .send()
        .await
        .expect("direct request");
    let mut events = sse_events(r.bytes_stream());
    let mut first = None;
    while let Some(Ok(ev)) = events.next().await {
        if first.is_none()
            && let Ok(items) = openai::decode(&ev.data)
            && items.iter().any(|i| matches!(i, Upstream::Text(_)))
        {
            first = Some(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    first.unwrap_or_else(|| panic!("no text from {url}"))
}

fn gzip_len(path: &std::path::Path) -> u64 {
    let out = std::process::Command::new("gzip")
        .arg("-9")
        .arg("-c")
        .arg(path)
        .output()
        .expect("gzip");
    out.stdout.len() as u64
}

/// Time to first token via the worker vs straight to the same upstream, for the stand-in and for
/// llama-server: one printed line each, `how` naming the worker's runner.
fn ttft_rows(
    stack: &Stack,
    client: &Client,
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    how: &str,
) {
    let persona =
        std::fs::read_to_string(Stack::root().join("content/persona.md")).expect("persona");
    let question = "Tea or coffee?";
    for (label, backend, upstream) in [
        (
            "stand-in (fixed-speed upstream)",
            "echo-gpu",
            stack.stand_in.base_url(),
        ),
        ("llama-server SmolLM2", "tuned", stack.llama.base_url()),
    ] {
        // The request the worker sends for this backend (e2e/src/stack.rs: openai, model "local", 48
        // tokens, no retrieval), sent straight to the same upstream.
        let direct_backend = Backend {
            max_tokens: 48,
            ..Backend::new(backend, backend, Provider::Openai, &upstream, "local")
        };
        let body = direct_backend.stream_body(
            &direct_backend.system_prompt("Ilse Marwick", &persona),
            &[],
            &user_turn(question, None),
        );
        let (mut via, mut direct) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let run = client.ask(backend, question);
            via.push(run.first_delta.expect("worker delta").as_secs_f64() * 1e3);
            direct.push(rt.block_on(direct_ttft(http, &direct_backend.endpoint(), &body)));
        }
        let (v, d) = (median(via), median(direct));
        println!(
            "time to first token{how}, {label}: via worker {v:.1} ms, direct {d:.1} ms (median of {ROUNDS}); worker adds {:.1} ms, ratio {:.2}",
            v - d,
            v / d
        );
    }
}

/// The median round trip of a GET of `path` on `url` over 40 requests, each from a client address of
/// its own (the rate limit, 30 a minute per address, must not count here).
fn median_get(url: &str, path: &str) -> f64 {
    let mut t = Vec::new();
    for i in 0..40 {
        let c = Client::new(url, &format!("192.0.2.{}", 100 + i));
        let s = Instant::now();
        let (status, _) = c.get_json(path);
        assert_eq!(status, 200, "{path}");
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    median(t)
}

fn main() {
    let stack = Stack::start().expect("stack");
    println!(
        "worker startup (the worker's build, then wrangler dev to a healthy /api/health): {:.1} s",
        stack.startup.as_secs_f64()
    );
    let client = Client::new(&stack.url, "192.0.2.10");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    twin_eval::http::install_tls();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http");

    ttft_rows(&stack, &client, &rt, &http, "");

    // A probe click, to the first token: asked live (the model answers) on SmolLM2, and replayed from
    // the probe cache. Only an answer that ended by itself is kept, and SmolLM2 with this stack's 48
    // tokens is often cut off, so the cached side is measured on the stand-in's backends (a replay
    // asks no model: its time does not depend on one), after one live answer filled the cache.
    let probe_question = |id: &str| {
        let (_, config) = client.get_json("/api/config");
        config["probes"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == id))
            .and_then(|p| p["question"].as_str())
            .expect("the probe's question")
            .to_string()
    };
    let mut ip = 0;
    let mut ask = |backend: &str, probe: &str, live: bool| {
        ip += 1;
        let c = Client::new(&stack.url, &format!("192.0.3.{ip}"));
        let body = serde_json::json!({"backend": backend, "probe": probe, "live": live,
            "messages": [{"role": "user", "content": probe_question(probe)}]});
        c.chat(c.request(reqwest::Method::POST, "/api/chat").json(&body))
    };
    let ttft = |run: &twin_e2e::ChatRun| run.first_delta.map(|d| d.as_secs_f64() * 1e3);
    for (label, live_backend, cached_backend, probe) in [
        ("retrieval backend", "rag", "echo-rag", "knowledge"),
        ("GPU-protocol backend", "tuned", "echo-gpu", "voice"),
    ] {
        let live: Vec<f64> = (0..ROUNDS)
            .filter_map(|_| ttft(&ask(live_backend, probe, true)))
            .collect();
        let mut cached = Vec::new();
        for _ in 0..ROUNDS * 2 {
            let run = ask(cached_backend, probe, false);
            if run.done().is_some_and(|d| d.cached)
                && let Some(t) = ttft(&run)
            {
                cached.push(t);
            }
            if cached.len() == ROUNDS {
                break;
            }
        }
        assert!(
            !live.is_empty() && !cached.is_empty(),
            "{label}: no answers"
        );
        let (l, c) = (median(live.clone()), median(cached.clone()));
        println!(
            "probe click to first token, {label}: live on SmolLM2 ({live_backend}) {l:.1} ms (median of {}), replayed from the probe cache ({cached_backend}) {c:.1} ms (median of {}); cached is {:.1}x faster",
            live.len(),
            cached.len(),
            l / c
        );
    }

    let health = median_get(&stack.url, "/api/health");
    let search = median_get(
        &stack.url,
        "/api/search?q=how+did+you+stop+salt+air+wrecking+the+weather+station",
    );
    println!(
        "retrieval inside the worker: /api/search {search:.2} ms vs /api/health {health:.2} ms (median of 40) → retrieval ≈ {:.2} ms",
        search - health
    );
    // Every held-out question (typos, chatty ones, unknown words: the typo correction's work), k = 5 as a
    // backend asks, plus coverage: the spread of retrieval time inside workerd. workerd's clock stands
    // still during CPU work, so this is each request's round trip minus the median health round trip.
    // Each question is asked REPEATS times, in rounds over the whole set: the first round is what one
    // reader sees (transport and scheduling jitter included); the median per question is the search's
    // own cost, as the native bench measures it.
    const REPEATS: usize = 7;
    let eval = twin_shared::EvalSet::read(&Stack::root().join("content/eval")).expect("eval sets");
    let questions: Vec<&str> = eval
        .heldout_answerable
        .iter()
        .map(|q| q.question.as_str())
        .chain(
            eval.heldout_unanswerable
                .iter()
                .map(|q| q.question.as_str()),
        )
        .collect();
    let mut spent = vec![Vec::new(); questions.len()];
    for round in 0..REPEATS {
        for (i, q) in questions.iter().enumerate() {
            let n = round * questions.len() + i;
            let c = Client::new(&stack.url, &format!("198.18.{}.{}", n / 250, 1 + n % 250));
            let path = format!("/api/search?k=5&q={}", encode_query(q));
            let s = Instant::now();
            let (status, _) = c.get_json(&path);
            assert_eq!(status, 200, "{path}");
            spent[i].push((s.elapsed().as_secs_f64() * 1e3 - health).max(0.0));
        }
    }
    let first: Vec<f64> = spent.iter().map(|t| t[0]).collect();
    let per_question: Vec<f64> = spent.into_iter().map(median).collect();
    for (label, times) in [
        ("each asked once".to_string(), &first),
        (format!("median of {REPEATS} per question"), &per_question),
    ] {
        let at = |p: f64| twin_eval::stats::quantile(times, p).unwrap_or(f64::NAN);
        println!(
            "retrieval inside the worker over {} held-out questions, {} (round trip minus the median health round trip): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            times.len(),
            label,
            at(0.5),
            at(0.9),
            at(0.99),
            at(1.0)
        );
    }

    let build = stack.staged_worker().join("build");
    let (js, wasm) = (build.join("index.js"), build.join("index_bg.wasm"));
    let raw = std::fs::metadata(&js).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0);
    let gz = gzip_len(&js) + gzip_len(&wasm);
    println!(
        "bundle (index.js + index_bg.wasm, demo index embedded): {:.2} MB raw, {:.2} MB gzip (budget 1.5 MB)",
        raw as f64 / 1e6,
        gz as f64 / 1e6
    );
    let health_with = median_get(&stack.url, "/api/health");
    drop(stack);

    // The same stack with the worker started without the DevTools inspector `wrangler dev` attaches
    // (wrangler's dev API, `dev.inspector = false`): what the inspector's relay adds to each answer.
    let quiet = Stack::start_without_inspector().expect("the stack without the inspector");
    let client = Client::new(&quiet.url, "192.0.2.11");
    ttft_rows(&quiet, &client, &rt, &http, " without the inspector");
    println!(
        "/api/health round trip (median of 40): {health_with:.2} ms under wrangler dev, {:.2} ms without the inspector",
        median_get(&quiet.url, "/api/health")
    );
    std::thread::sleep(Duration::from_millis(10));
}
