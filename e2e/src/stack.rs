//! Starting and stopping the stack.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use twin_local::{
    Assets, LlamaServer, LocalError, ManagedProcess, Model, Role, StandIn, free_port, get_status,
};

/// The Anthropic key the worker is given in tests: it must never come back in a response.
pub const API_KEY: &str = "sk-test-never-shown-7f3a9c";

/// How long wrangler dev may take to build and start the worker (a cold build takes minutes).
const WRANGLER_READY: Duration = Duration::from_secs(600);

/// The running stack.
pub struct Stack {
    /// The worker's base URL.
    pub url: String,
    pub llama: LlamaServer,
    pub stand_in: StandIn,
    /// How long `wrangler dev` took from spawn to a healthy `/api/health`.
    pub startup: Duration,
    _wrangler: ManagedProcess,
}

fn backend(id: &str, provider: &str, base: &str, extra: Value) -> Value {
    let mut b = json!({"id": id, "label": id, "subtitle": format!("test backend {id}"), "provider": provider,
                       "base_url": base, "model": "local", "max_tokens": 48});
    if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    b
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
        let llama = LlamaServer::start(&assets, Role::Haiku, Model::SmolLm2, None, &logs)?;
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
                json!({"secret": "ANTHROPIC_API_KEY", "retrieval": true,
                     "label": "Retrieval + Haiku", "subtitle": "anthropic api · prompted, with retrieval"})
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
            backend(
                "no-key",
                "anthropic",
                &stand_in.base_url(),
                json!({"secret": "MISSING_SECRET"})
            ),
        ]);
        let port = free_port()?;
        let worker_dir = Self::root().join("worker");
        let mut cmd = Command::new("npx");
        cmd.current_dir(&worker_dir)
            .args([
                "wrangler",
                "dev",
                "--local",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .arg("--var")
            .arg(format!("BACKENDS:{backends}"))
            .arg("--var")
            .arg(format!("ANTHROPIC_API_KEY:{API_KEY}"))
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true");
        let started = Instant::now();
        let mut wrangler = ManagedProcess::spawn("wrangler dev", cmd, &logs.join("wrangler.log"))?;
        eprintln!(
            "e2e: waiting for wrangler dev on port {port} (builds the worker when needed; log build/logs/e2e/wrangler.log)"
        );
        wrangler.wait_until(WRANGLER_READY, || {
            get_status(port, "/api/health") == Some(200)
        })?;
        Ok(Stack {
            url: format!("http://127.0.0.1:{port}"),
            llama,
            stand_in,
            startup: started.elapsed(),
            _wrangler: wrangler,
        })
    }
}
