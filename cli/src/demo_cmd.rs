//! `twin demo`: the whole stack on this machine (models, worker, demo blog page); Ctrl-C stops it all.
//! `scripts/demo.sh` builds what it needs first.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use twin_local::Model;
use twin_local::demo::{Demo, DemoOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The repository root (holds worker/ and dist/widget/).
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Local model for the GPU pane when TWIN_GPU_URL is not set: `smollm2` or `gemma`.
    #[arg(long, default_value = "smollm2")]
    gpu_model: String,
    /// GGUF LoRA adapter for the local GPU pane (with `--gpu-model gemma`).
    #[arg(long)]
    lora: Option<PathBuf>,
}

/// What answers in the demo (and in `twin eval`'s own stack): the real services when their keys are in
/// the environment, local models otherwise.
pub fn options(gpu_model: &str, lora: Option<PathBuf>) -> anyhow::Result<DemoOptions> {
    let Some(gpu_model) = Model::parse(gpu_model) else {
        bail!("--gpu-model must be smollm2 or gemma, not {gpu_model:?}");
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    Ok(DemoOptions {
        anthropic_key: env("ANTHROPIC_API_KEY"),
        anthropic_model: env("TWIN_HAIKU_MODEL").unwrap_or_else(|| "claude-haiku-4-5".into()),
        gpu_url: env("TWIN_GPU_URL"),
        gpu_token: env("GPU_TOKEN"),
        gpu_model: Some(gpu_model),
        gpu_lora: lora,
        ..Default::default()
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !args.root.join("worker/wrangler.toml").is_file() {
        bail!(
            "{} is not the twin repository (no worker/wrangler.toml); run from the repository root",
            args.root.display()
        );
    }
    if !args.root.join("dist/widget/post.html").is_file() {
        bail!(
            "the widget is not built (no dist/widget/post.html); run scripts/demo.sh, or `trunk build`"
        );
    }
    let opts = options(&args.gpu_model, args.lora)?;
    let stop = crate::models_cmd::ctrl_c()?;
    let root = args
        .root
        .canonicalize()
        .context("resolving the repository root")?;
    let demo = Demo::start(&root, &opts)?;
    for line in &demo.answering {
        println!("{line}");
    }
    println!("worker: {}", demo.worker_url);
    println!("demo page: {}", demo.page_url);
    println!("Ctrl-C stops everything.");
    let _ = stop.recv();
    eprintln!("stopping");
    drop(demo);
    Ok(ExitCode::SUCCESS)
}
