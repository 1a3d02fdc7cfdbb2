//! Where the llama-server binary and the model weights are, fetching or building them on first use
//! through the project's scripts (cached under `~/.cache/twin`, so this is slow once per machine).

use crate::LocalError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The local models twin uses for development.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): an instruction-tuned chat model, plays Haiku.
    SmolLm2,
    /// Gemma 3 270M base, Q4_K_M (Gemma Terms of Use): the base the fine-tune's LoRA applies to.
    Gemma270m,
}

impl Model {
    /// The weights' file name in the models cache (and in `models/SHA256SUMS`).
    pub fn file_name(self) -> &'static str {
        match self {
            Model::SmolLm2 => "SmolLM2-135M-Instruct.Q4_1.gguf",
            Model::Gemma270m => "gemma-3-270m-q4_k_m.gguf",
        }
    }

    /// The model id the server reports.
    pub fn alias(self) -> &'static str {
        match self {
            Model::SmolLm2 => "smollm2-135m-instruct",
            Model::Gemma270m => "gemma-3-270m",
        }
    }

    /// Parses `smollm2` or `gemma`.
    pub fn parse(s: &str) -> Option<Model> {
        match s {
            "smollm2" => Some(Model::SmolLm2),
            "gemma" | "gemma-270m" => Some(Model::Gemma270m),
            _ => None,
        }
    }
}

/// The resolved binary and weights folder.
#[derive(Debug, Clone)]
pub struct Assets {
    pub llama_server: PathBuf,
    pub models_dir: PathBuf,
}

impl Assets {
    /// Finds everything, building llama-server and fetching weights when missing. `TWIN_LLAMA_SERVER`
    /// and `TWIN_MODELS_DIR` point at existing ones instead.
    pub fn ensure() -> Result<Assets, LocalError> {
        let llama_server = match std::env::var_os("TWIN_LLAMA_SERVER") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(run_script("llama-server.sh")?),
        };
        let models_dir = match std::env::var_os("TWIN_MODELS_DIR") {
            Some(p) => PathBuf::from(p),
            None => PathBuf::from(run_script("models.sh")?),
        };
        Ok(Assets {
            llama_server,
            models_dir,
        })
    }

    /// Path of a model's weights.
    pub fn model(&self, m: Model) -> PathBuf {
        self.models_dir.join(m.file_name())
    }
}

/// The repository's `scripts/` folder.
pub fn scripts_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts"))
}

/// Runs a setup script (its progress goes to our stderr) and returns the last line it printed.
fn run_script(name: &str) -> Result<String, LocalError> {
    let path = scripts_dir().join(name);
    let out = Command::new("bash")
        .arg(&path)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| LocalError::Setup {
            script: path.display().to_string(),
            detail: e.to_string(),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last() {
        Some(line) if out.status.success() && !line.trim().is_empty() => {
            Ok(line.trim().to_string())
        }
        _ => Err(LocalError::Setup {
            script: path.display().to_string(),
            detail: format!("exit {}; output: {stdout}", out.status),
        }),
    }
}
