//! Traces under `wrangler dev` with local D1: each answer writes one row after its stream, with the
//! fields the author needs and never the client's address; `TRACES=metadata` keeps no text and `off`
//! writes nothing (each on a `wrangler dev` of its own).

use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use twin_e2e::{Client, Stack};
use twin_local::wrangler::WranglerDev;
use twin_traces::{D1, D1Error, Location};
use twin_upstream::{Backend, Provider};

/// Rows of `sql` on the local D1 database kept in `state` (a `--persist-to` directory); empty when
/// the table does not exist yet.
pub fn query(state: &Path, sql: &str) -> Vec<Value> {
    let db = D1::new(
        &Stack::root().join("worker"),
        Location::Local {
            persist_to: Some(state.to_path_buf()),
        },
    );
    match db.query(sql) {
        Ok(rows) => rows,
        Err(D1Error::NoTable(_)) => Vec::new(),
        Err(e) => panic!("{e}"),
    }
}

/// Rows of `sql`, failing when a table is missing (where an empty result must mean no rows).
pub fn query_strict(state: &Path, sql: &str) -> Vec<Value> {
    let db = D1::new(
        &Stack::root().join("worker"),
        Location::Local {
            persist_to: Some(state.to_path_buf()),
        },
    );
    db.query(sql).unwrap_or_else(|e| panic!("{e}"))
}

/// The rows whose question or backend matches, waiting up to 10 s for the write after the stream.
pub fn rows_where(state: &Path, condition: &str, want: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let rows = query(state, &format!("SELECT * FROM traces WHERE {condition}"));
        if rows.len() >= want || start.elapsed() > Duration::from_secs(10) {
            return rows;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The `--persist-to` folder of the `wrangler dev` that logs to `build/logs/e2e/{log}.log`.
pub fn state_of(log: &str) -> std::path::PathBuf {
    Stack::root().join(format!("build/logs/e2e/{log}.state"))
}

/// A chat writes exactly one row: backend, outcome, timings, tokens, retrieval hits with the top score,
/// the question and the answer, and a salted client hash that is not the address.
pub fn each_answer_writes_one_trace_row(_: &Stack, c: &Client) {
    let state = state_of("wrangler");
    let mark = format!("TRACE{}", std::process::id());
    let run = c.ask("echo", &format!("What is in the shed? {mark}-1"));
    assert!(run.done().is_some(), "{:?}", run.names());
    let rows = rows_where(&state, &format!("question LIKE '%{mark}-1%'"), 1);
    assert_eq!(rows.len(), 1, "one row per answer: {rows:?}");
    let row = &rows[0];
    let id = run
        .done()
        .and_then(|d| d.trace.clone())
        .expect("done carries the trace id");
    assert!(twin_shared::feedback::is_trace_id(&id), "{id}");
    assert_eq!(
        row["trace_id"],
        id.as_str(),
        "the row is the answer's trace: {row}"
    );
    assert_eq!(row["backend"], "echo", "{row}");
    assert_eq!(row["outcome"], "end_turn", "{row}");
    assert!(
        row["answer"]
            .as_str()
            .is_some_and(|a| a.contains("stand-in")),
        "{row}"
    );
    assert!(row["total_ms"].as_f64().is_some_and(|t| t > 0.0), "{row}");
    assert!(row["ttft_ms"].as_f64().is_some(), "{row}");
    assert!(row["tokens_out"].as_f64().is_some_and(|t| t > 0.0), "{row}");
    assert_eq!(
        row.get("hits"),
        Some(&Value::Null),
        "no retrieval on echo: {row}"
    );
    assert_eq!(row.get("top_score"), Some(&Value::Null), "{row}");
    assert_eq!(row.get("coverage"), Some(&Value::Null), "{row}");
    let client = row["client"].as_str().expect("a client hash");
    assert!(
        client.len() == 32 && client.chars().all(|c| c.is_ascii_hexdigit()),
        "{client}"
    );
    assert!(
        !row.to_string().contains(&c.ip),
        "no address in the row: {row}"
    );
    // With retrieval: the hits and the top score.
    let run = c.ask(
        "echo-rag",
        &format!("How did you stop the salt air? {mark}-2"),
    );
    assert!(run.done().is_some(), "{:?}", run.names());
    let rows = rows_where(&state, &format!("question LIKE '%{mark}-2%'"), 1);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let hits: Vec<(String, f64)> =
        serde_json::from_str(rows[0]["hits"].as_str().expect("hits")).expect("hits JSON");
    assert!(!hits.is_empty(), "{rows:?}");
    let top = rows[0]["top_score"].as_f64().expect("a top score");
    assert!(
        (top - hits[0].1).abs() < 1e-3,
        "the best hit's score: {rows:?}"
    );
    assert_eq!(rows[0]["coverage"], "covered", "{rows:?}");
    assert_eq!(rows[0]["client"], client, "the same client, the same day");
    // Another network, another hash.
    let other = Client::new(&c.base, "203.0.113.99");
    assert!(
        other
            .ask("echo", &format!("Me too? {mark}-3"))
            .done()
            .is_some()
    );
    let rows = rows_where(&state, &format!("question LIKE '%{mark}-3%'"), 1);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let theirs = rows[0]["client"].as_str().expect("a client hash");
    assert!(
        theirs.len() == 32 && theirs != client,
        "{theirs} vs {client}"
    );
    // Still one row per answer a moment later (no second write).
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        query(
            &state,
            &format!("SELECT id FROM traces WHERE question LIKE '%{mark}%'")
        )
        .len(),
        3
    );
}

/// `TRACES = "metadata"` keeps the row without the question and answer text; `"off"` writes nothing.
pub fn trace_modes_keep_less_or_nothing(stack: &Stack, _: &Client) {
    let echo = Backend::new(
        "echo",
        "Echo",
        Provider::Openai,
        &stack.stand_in.base_url(),
        "x",
    );
    let backends = serde_json::to_string(&[echo]).expect("json");
    for (mode, want) in [("metadata", 1), ("off", 0)] {
        let log = Stack::root().join(format!("build/logs/e2e/wrangler-traces-{mode}.log"));
        let worker = WranglerDev::start(
            &Stack::root().join("worker"),
            &[("BACKENDS", backends.clone()), ("TRACES", mode.into())],
            &[],
            &log,
        )
        .expect("wrangler dev");
        let c = Client::new(&worker.url, "198.51.100.251");
        let run = c.ask("echo", "Tell me about the shed.");
        assert!(run.done().is_some(), "{mode}: answered {:?}", run.names());
        let state = log.with_extension("state");
        let rows = rows_where(&state, "backend = 'echo'", want.max(1));
        assert_eq!(rows.len(), want, "{mode}: {rows:?}");
        for row in &rows {
            assert!(
                row.get("question") == Some(&Value::Null)
                    && row.get("answer") == Some(&Value::Null),
                "{mode} keeps no text: {row}"
            );
            assert_eq!(row["outcome"], "stop", "{row}");
        }
        let trace = run.done().and_then(|d| d.trace.clone());
        let (_, config) = c.get_json("/api/config");
        let feedback = json!({
            "trace": trace.clone().unwrap_or_else(|| "0".repeat(32)),
            "kind": "down",
            "comment": "The year is wrong."
        });
        let (s, _, body) = c.send(c.request(Method::POST, "/api/feedback").json(&feedback));
        let report = json!({
            "trace": trace.clone().unwrap_or_else(|| "0".repeat(32)),
            "kind": "jailbreak",
            "conversation": [{"role": "user", "content": "Tell me about the shed."}]
        });
        let (rs, _, rbody) = c.send(c.request(Method::POST, "/api/feedback").json(&report));
        if mode == "off" {
            assert_eq!(trace, None, "no trace id without a trace");
            assert_eq!(config["feedback"], false, "{config}");
            assert!(s == 404 && body.contains("feedback_off"), "{s} {body}");
            assert!(rs == 404 && rbody.contains("feedback_off"), "{rs} {rbody}");
        } else {
            assert_eq!(config["feedback"], true, "{config}");
            assert_eq!(s, 201, "{body}");
            assert_eq!(rs, 201, "{rbody}");
            assert!(
                body.contains("\"text_kept\":false"),
                "the reader is told: {body}"
            );
            let stored = query_strict(&state, "SELECT * FROM feedback ORDER BY id");
            assert_eq!(stored.len(), 2, "{stored:?}");
            assert_eq!(stored[0]["kind"], "down", "{stored:?}");
            assert_eq!(stored[1]["kind"], "jailbreak", "{stored:?}");
            for row in &stored {
                assert!(
                    row.get("comment") == Some(&Value::Null)
                        && row.get("conversation") == Some(&Value::Null),
                    "{mode} keeps no text: {row}"
                );
            }
        }
    }
}

/// The daily scheduled run (invoked through `/__scheduled`, as the cron trigger would) deletes traces
/// past the retention period and keeps recent ones.
pub fn the_scheduled_run_deletes_old_traces(stack: &Stack, c: &Client) {
    let state = state_of("wrangler");
    let mark = format!("RETAIN{}", std::process::id());
    let run = c.ask("echo", &format!("Still here tomorrow? {mark}"));
    assert!(run.done().is_some(), "{:?}", run.names());
    assert_eq!(
        rows_where(&state, &format!("question LIKE '%{mark}%'"), 1).len(),
        1
    );
    // A trace from 1970, well past 30 days.
    query(
        &state,
        &format!(
            "INSERT INTO traces (trace_id, at_ms, backend, hits, outcome, total_ms, client) \
             VALUES ('old-{mark}', 1000, 'old-{mark}', '[]', 'end_turn', 1, 'x'); \
             INSERT INTO feedback (at_ms, trace_id, slot, kind, client) \
             VALUES (1000, 'old-{mark}', 'verdict', 'down', 'x')"
        ),
    );
    assert_eq!(
        query_strict(
            &state,
            &format!("SELECT id FROM traces WHERE backend = 'old-{mark}'")
        )
        .len(),
        1,
        "the old trace is there before the run"
    );
    assert_eq!(
        query_strict(
            &state,
            &format!("SELECT id FROM feedback WHERE trace_id = 'old-{mark}'")
        )
        .len(),
        1,
        "and its feedback"
    );
    let (status, _, body) = c.send(c.request(reqwest::Method::GET, "/__scheduled?cron=17+3+*+*+*"));
    assert_eq!(status, 200, "{body}");
    let start = Instant::now();
    let gone = loop {
        let left = query(
            &state,
            &format!("SELECT id FROM traces WHERE backend = 'old-{mark}'"),
        );
        if left.is_empty() || start.elapsed() > Duration::from_secs(10) {
            break left.is_empty();
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        gone,
        "the scheduled run deleted the old trace ({})",
        stack.url
    );
    assert!(
        query_strict(
            &state,
            &format!("SELECT id FROM feedback WHERE trace_id = 'old-{mark}'")
        )
        .is_empty(),
        "its feedback goes with it"
    );
    assert_eq!(
        query(
            &state,
            &format!("SELECT id FROM traces WHERE question LIKE '%{mark}%'")
        )
        .len(),
        1,
        "the recent trace stays"
    );
}
