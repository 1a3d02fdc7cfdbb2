//! The committed tiny fine-tune (`finetune/adapter/twin-lora.gguf`, made by `scripts/finetune-tiny.sh`)
//! loads in llama-server on Gemma 3 270M and answers. Whether it learned anything is measured by
//! `the_committed_adapter_lowers_held_out_perplexity` (`cli/tests/cli.rs`); this test prints the voice
//! probe's answer with and without it, for people to read.

mod support;

use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use support::*;
use twin_local::{Assets, LlamaServer, Model, Service};

fn answer(server: &LlamaServer, question: &str) -> String {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let body = json!({"model": "tuned", "max_tokens": 40, "stream": true, "temperature": 0.0, "seed": 7,
                      "messages": [{"role": "system", "content": "You are Ilse Marwick, answering a reader of your blog in your own voice."},
                                   // The reader's turn as the worker sends it (twin_shared::prompt::user_turn).
                                   {"role": "user", "content": format!("<question>\n{question}\n</question>")}]});
    let c = rt
        .block_on(post_stream(
            &client(Duration::from_secs(120)),
            &(server.base_url() + "/v1/chat/completions"),
            &body,
        ))
        .expect("request");
    assert_eq!(c.status, 200, "{:?}", c.events);
    openai_text(&c)
}

#[test]
fn the_committed_adapter_loads_and_answers_the_voice_probe() {
    let adapter =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../finetune/adapter/twin-lora.gguf");
    assert!(
        adapter.is_file(),
        "{} is missing: run scripts/finetune-tiny.sh",
        adapter.display()
    );
    let assets = Assets::ensure().expect("assets");
    let logs = std::env::temp_dir().join("twin-test-logs");
    let question = "Tea or coffee?";
    let base =
        LlamaServer::start(&assets, Service::Gpu, Model::Gemma270m, None, &logs).expect("base");
    let before = answer(&base, question);
    drop(base);
    let tuned = LlamaServer::start(
        &assets,
        Service::Gpu,
        Model::Gemma270m,
        Some(&adapter),
        &logs,
    )
    .expect("tuned");
    let after = answer(&tuned, question);
    let log = std::fs::read_to_string(tuned.log()).unwrap_or_default();
    assert!(
        log.contains("lora"),
        "llama-server reports loading the adapter"
    );
    println!("voice probe {question:?}\n  base:  {before:?}\n  tuned: {after:?}");
    assert!(!after.trim().is_empty(), "the tuned model answers");
}
