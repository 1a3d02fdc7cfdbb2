//! Real local models under llama.cpp's server stream through both protocols twin speaks, and stop
//! cleanly. Builds llama-server and fetches weights on first run (cached under ~/.cache/twin).
//! Prints time to first token and tokens per second for each model and protocol.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use support::*;
use twin_local::{Assets, LlamaServer, Model, Service};

fn log_dir() -> PathBuf {
    std::env::temp_dir().join("twin-test-logs")
}

fn assert_anthropic_sequence(c: &Collected) -> Value {
    assert_eq!(c.status, 200, "{:?}", c.events);
    assert!(c.error.is_none(), "{:?}", c.error);
    let names: Vec<&str> = c.names().into_iter().filter(|n| *n != "ping").collect();
    assert!(names.len() >= 6, "{names:?}");
    assert_eq!(
        &names[..2],
        ["message_start", "content_block_start"],
        "{names:?}"
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"],
        "{names:?}"
    );
    assert!(
        names[2..names.len() - 3]
            .iter()
            .all(|n| *n == "content_block_delta"),
        "{names:?}"
    );
    let delta = c
        .events
        .iter()
        .find(|(e, _)| e == "message_delta")
        .expect("message_delta");
    let v: Value = serde_json::from_str(&delta.1).expect("json");
    assert!(v["delta"]["stop_reason"].is_string(), "{v}");
    assert!(v["usage"]["output_tokens"].as_u64().unwrap_or(0) > 0, "{v}");
    v
}

fn assert_openai_sequence(c: &Collected) {
    assert_eq!(c.status, 200, "{:?}", c.events);
    assert!(c.error.is_none(), "{:?}", c.error);
    let chunks = openai_chunks(c);
    let finish = chunks
        .iter()
        .filter_map(|v| v["choices"][0]["finish_reason"].as_str())
        .collect::<Vec<_>>();
    assert_eq!(finish.len(), 1, "exactly one finish_reason: {finish:?}");
}

fn report(label: &str, c: &Collected, deltas: usize) {
    let ttft = c.first_event.unwrap_or_default();
    let decode = c.total.saturating_sub(ttft).as_secs_f64().max(1e-3);
    println!(
        "{label}: ttft {} ms, {deltas} tokens in {} ms, {:.1} tok/s",
        ttft.as_millis(),
        c.total.as_millis(),
        deltas as f64 / decode
    );
}

fn check_model(role: Service, model: Model) {
    let assets = Assets::ensure().expect("llama-server and weights");
    let server = LlamaServer::start(&assets, role, model, None, &log_dir()).expect("server starts");
    let pid = server.pid();
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let cl = client(Duration::from_secs(120));
    let q = "Tea or coffee? Answer in one sentence.";

    let c = rt
        .block_on(post_stream(
            &cl,
            &(server.base_url() + "/v1/messages"),
            &anthropic_body(q, 48),
        ))
        .expect("anthropic request");
    assert_anthropic_sequence(&c);
    let text = anthropic_text(&c);
    assert!(!text.trim().is_empty(), "{} said nothing", model.alias());
    report(
        &format!("{} /v1/messages", model.alias()),
        &c,
        c.names()
            .iter()
            .filter(|n| **n == "content_block_delta")
            .count(),
    );

    let c = rt
        .block_on(post_stream(
            &cl,
            &(server.base_url() + "/v1/chat/completions"),
            &openai_body(q, 48),
        ))
        .expect("openai request");
    assert_openai_sequence(&c);
    report(
        &format!("{} /v1/chat/completions", model.alias()),
        &c,
        c.events.len().saturating_sub(2),
    );

    drop(server);
    assert!(
        !PathBuf::from(format!("/proc/{pid}")).exists(),
        "llama-server {pid} still running after drop"
    );
}

#[test]
fn smollm2_streams_both_protocols() {
    check_model(Service::Haiku, Model::SmolLm2);
}

#[test]
fn gemma_270m_streams_both_protocols() {
    check_model(Service::Gpu, Model::Gemma270m);
}

#[test]
fn a_missing_model_file_fails_with_the_log_tail() {
    let mut assets = Assets::ensure().expect("assets");
    assets.models_dir = PathBuf::from("/nonexistent");
    let err = LlamaServer::start(&assets, Service::Haiku, Model::SmolLm2, None, &log_dir())
        .expect_err("no weights");
    let msg = err.to_string();
    assert!(msg.contains("not ready") && msg.contains("exited"), "{msg}");
    assert!(msg.contains("llama-haiku-"), "names the log: {msg}");
}
