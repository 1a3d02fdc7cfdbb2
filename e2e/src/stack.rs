//! Starting and stopping the stack.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;
use twin_local::profile::{small_retrieval_profile, with_profile};
use twin_local::wrangler::WranglerDev;
use twin_local::{Assets, LlamaServer, LocalError, Model, Service, StandIn, free_port};

/// The Anthropic key the worker is given in tests: it must never come back in a response.
pub const API_KEY: &str = "sk-test-never-shown-7f3a9c";

/// The running stack.
pub struct Stack {
    /// The worker's base URL.
    pub url: String,
    pub llama: LlamaServer,
    pub stand_in: StandIn,
    /// How long `wrangler dev` took from spawn to a healthy `/api/health`.
    pub startup: Duration,
    _wrangler: WranglerDev,
}

fn backend(id: &str, provider: &str, base: &str, extra: Value) -> Value {
    let b = json!({"id": id, "label": id, "subtitle": format!("test backend {id}"), "provider": provider,
                   "base_url": base, "model": "local", "max_tokens": 48});
    with_profile(b, &extra)
}

impl Stack {
    /// The repository root.
    pub fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Starts everything; logs go to `build/logs/e2e`.
    pub fn start() -> Result<Stack, LocalError> {
        let logs = Self::root().join("build/logs/e2e");
        let assets = Assets::ensure()?;
        let llama = LlamaServer::start(&assets, Service::Haiku, Model::SmolLm2, None, &logs)?;
        let stand_in = StandIn::start()?;
        let dead = format!("http://127.0.0.1:{}", free_port()?);
        let l = llama.base_url();
        let fault = |name: &str| stand_in.fault_url(name);
        let key = json!({"secret": "ANTHROPIC_API_KEY"});
        let quick =
            json!({"secret": "ANTHROPIC_API_KEY", "first_byte_timeout_s": 2, "idle_timeout_s": 3});
        let cold = json!({"cold_start": true, "wake_deadline_s": 4});
        let backends = json!([
            backend(
                "rag",
                "anthropic",
                &l,
                with_profile(
                    json!({"secret": "ANTHROPIC_API_KEY", "retrieval": true,
                         "label": "Retrieval + Haiku", "subtitle": "anthropic api · prompted, with retrieval"}),
                    &small_retrieval_profile()
                )
            ),
            backend(
                "tuned",
                "openai",
                &l,
                json!({"cold_start": true, "label": "Fine-tuned Gemma",
                     "subtitle": "GPU · cold start ~60s"})
            ),
            backend("tuned-rag", "openai", &l, json!({"retrieval": true})),
            backend("echo", "anthropic", &stand_in.base_url(), key.clone()),
            backend(
                "echo-rag",
                "anthropic",
                &stand_in.base_url(),
                json!({"secret": "ANTHROPIC_API_KEY", "retrieval": true})
            ),
            backend("echo-gpu", "openai", &stand_in.base_url(), json!({})),
            backend("f-429", "anthropic", &fault("429"), key.clone()),
            backend("f-500", "anthropic", &fault("500"), key.clone()),
            backend("f-529", "anthropic", &fault("529"), key.clone()),
            backend(
                "f-overloaded",
                "anthropic",
                &fault("overloaded-mid-stream"),
                key.clone()
            ),
            backend(
                "f-drop",
                "anthropic",
                &fault("drop-mid-stream"),
                quick.clone()
            ),
            backend("f-malformed", "anthropic", &fault("malformed"), key.clone()),
            backend("f-empty", "openai", &fault("empty-answer"), json!({})),
            backend(
                "f-empty-a",
                "anthropic",
                &fault("empty-answer"),
                key.clone()
            ),
            backend(
                "f-unknown",
                "anthropic",
                &fault("unknown-events"),
                key.clone()
            ),
            backend(
                "f-no-first-byte",
                "anthropic",
                &fault("no-first-byte"),
                quick.clone()
            ),
            backend("f-dead", "anthropic", &dead, quick),
            backend(
                "gpu-cold",
                "openai",
                &fault("cold-3"),
                json!({"cold_start": true, "wake_deadline_s": 20})
            ),
            backend("gpu-never", "openai", &fault("no-first-byte"), cold.clone()),
            backend("gpu-dead", "openai", &dead, cold),
            backend("gpu-303", "openai", &fault("redirect-303"), json!({})),
            backend(
                "gpu-429",
                "openai",
                &fault("429"),
                json!({"cold_start": true})
            ),
            // The eval's known answerers: grounded, off-topic and generic.
            backend(
                "eval-passage",
                "anthropic",
                &fault("answer-passage"),
                json!({"secret": "ANTHROPIC_API_KEY", "retrieval": true})
            ),
            backend(
                "eval-unrelated",
                "anthropic",
                &fault("answer-unrelated"),
                json!({"secret": "ANTHROPIC_API_KEY", "retrieval": true})
            ),
            backend(
                "eval-generic",
                "openai",
                &fault("answer-generic"),
                json!({})
            ),
            backend(
                "no-key",
                "anthropic",
                &stand_in.base_url(),
                json!({"secret": "MISSING_SECRET"})
            ),
        ]);
        let vars = [
            ("BACKENDS", backends.to_string()),
            ("ANTHROPIC_API_KEY", API_KEY.to_string()),
        ];
        let wrangler = WranglerDev::start(
            &Self::root().join("worker"),
            &vars,
            &logs.join("wrangler.log"),
        )?;
        Ok(Stack {
            url: wrangler.url.clone(),
            llama,
            stand_in,
            startup: wrangler.startup,
            _wrangler: wrangler,
        })
    }
}
