//! A real llama.cpp `llama-server` on a loopback port. One server speaks both protocols twin needs:
//! Anthropic Messages streaming at `/v1/messages` and OpenAI chat completions streaming at
//! `/v1/chat/completions`.

use crate::assets::{Assets, Model};
use crate::health::get_status;
use crate::process::ManagedProcess;
use crate::{LocalError, free_port};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long a model server may take to load before it counts as failed (they take ~2 s here).
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// Context window given to each server.
const CONTEXT: u32 = 4096;

/// The chat template shared with `finetune/train.py`.
pub fn chat_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../finetune/chat_template.jinja")
}

/// Which production service a local server stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Claude Haiku behind the Anthropic Messages API (`/v1/messages`).
    Haiku,
    /// The fine-tuned Gemma on the scale-to-zero GPU (`/v1/chat/completions`).
    Gpu,
}

impl Service {
    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Service::Haiku => "haiku",
            Service::Gpu => "gpu",
        }
    }
}

/// A running llama-server; stopped on drop.
#[derive(Debug)]
pub struct LlamaServer {
    process: ManagedProcess,
    port: u16,
    role: Service,
    model: Model,
    log: PathBuf,
}

impl LlamaServer {
    /// Starts `model` (with an optional GGUF LoRA adapter) for `role`, logging to `log_dir`, and waits
    /// until `/health` answers 200.
    pub fn start(
        assets: &Assets,
        role: Service,
        model: Model,
        lora: Option<&Path>,
        log_dir: &Path,
    ) -> Result<LlamaServer, LocalError> {
        let port = free_port()?;
        let weights = assets.model(model);
        let mut cmd = Command::new(&assets.llama_server);
        cmd.arg("-m")
            .arg(&weights)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "-c",
                &CONTEXT.to_string(),
                "-t",
                "2",
                "--alias",
                model.alias(),
            ])
            .args(["--parallel", "2", "--no-webui"])
            // On a busy 2-core machine, spinning OpenMP threads collapse decode speed.
            .env("OMP_WAIT_POLICY", "passive");
        if model == Model::Gemma270m {
            // The base GGUF has no chat template (llama.cpp would fall back to ChatML); serve the Gemma turns
            // that finetune/train.py trains with, from the same file.
            cmd.arg("--jinja")
                .arg("--chat-template-file")
                .arg(chat_template());
        }
        if let Some(adapter) = lora {
            cmd.arg("--lora").arg(adapter);
        }
        let log = log_dir.join(format!("llama-{}-{port}.log", role.name()));
        let name = format!("llama-server ({} role, {})", role.name(), model.alias());
        let mut process = ManagedProcess::spawn(&name, cmd, &log)?;
        process.wait_until(READY_TIMEOUT, || get_status(port, "/health") == Some(200))?;
        Ok(LlamaServer {
            process,
            port,
            role,
            model,
            log,
        })
    }

    /// `http://127.0.0.1:PORT`; append `/v1/messages` or `/v1/chat/completions`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The role it plays.
    pub fn role(&self) -> Service {
        self.role
    }

    /// The model it serves.
    pub fn model(&self) -> Model {
        self.model
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Its process id (tests check it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }
}
