//! `twin models`: the local model servers and the fault stand-in that replace Anthropic and the GPU
//! service during development, the demo and tests.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;
use twin_local::{Assets, Fault, LlamaServer, Model, Service, StandIn};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Build llama-server and fetch the weights if missing, then print where they are.
    Fetch,
    /// Start the Haiku-role and GPU-role servers and the stand-in; print their URLs; Ctrl-C stops all.
    Up(UpArgs),
    /// Run only the fault stand-in (it is not a model: it says so in its answers).
    StandIn(StandInArgs),
}

#[derive(clap::Args)]
struct UpArgs {
    /// Model for the GPU role: `smollm2` (default, until the fine-tune's adapter exists) or `gemma`.
    #[arg(long, default_value = "smollm2")]
    gpu_model: String,
    /// A GGUF LoRA adapter for the GPU role (use with `--gpu-model gemma`).
    #[arg(long)]
    lora: Option<PathBuf>,
    /// Where the servers' logs go.
    #[arg(long, default_value = "build/logs")]
    log_dir: PathBuf,
}

#[derive(clap::Args)]
struct StandInArgs {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Refuse connections for this many seconds first, like a scale-to-zero host starting.
    #[arg(long, default_value_t = 0)]
    refuse_for: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Fetch => {
            let assets = Assets::ensure()?;
            println!("llama-server: {}", assets.llama_server.display());
            for m in [Model::SmolLm2, Model::Gemma270m] {
                let p = assets.model(m);
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                println!("{}: {} ({} MB)", m.alias(), p.display(), size / 1_000_000);
            }
        }
        Command::Up(a) => up(a)?,
        Command::StandIn(a) => {
            let stop = ctrl_c()?;
            let s = StandIn::start_on(a.port, Duration::from_secs(a.refuse_for))
                .context("starting the stand-in")?;
            println!("stand-in (not a model): {}", s.base_url());
            println!(
                "  faults: {}/fault/<name>/v1/... with <name> one of {}",
                s.base_url(),
                Fault::NAMES.join(", ")
            );
            let _ = stop.recv();
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn up(a: UpArgs) -> anyhow::Result<()> {
    let Some(gpu_model) = Model::parse(&a.gpu_model) else {
        bail!(
            "--gpu-model must be smollm2 or gemma, not {:?}",
            a.gpu_model
        );
    };
    if let Some(l) = &a.lora
        && !l.is_file()
    {
        bail!("--lora {}: no such file", l.display());
    }
    // The handler goes in first: a Ctrl-C during start-up must stop what has started, not kill us.
    let stop = ctrl_c()?;
    let assets = Assets::ensure()?;
    eprintln!(
        "starting the local model servers (logs in {})",
        a.log_dir.display()
    );
    let haiku = LlamaServer::start(&assets, Service::Haiku, Model::SmolLm2, None, &a.log_dir)?;
    let gpu = LlamaServer::start(
        &assets,
        Service::Gpu,
        gpu_model,
        a.lora.as_deref(),
        &a.log_dir,
    )?;
    let stand_in = StandIn::start().context("starting the stand-in")?;
    println!(
        "haiku role ({}): {}/v1/messages",
        haiku.model().alias(),
        haiku.base_url()
    );
    println!(
        "gpu role ({}): {}/v1/chat/completions",
        gpu.model().alias(),
        gpu.base_url()
    );
    println!(
        "stand-in (not a model): {} (faults under /fault/<name>)",
        stand_in.base_url()
    );
    println!("Ctrl-C stops all three.");
    let _ = stop.recv();
    eprintln!("stopping");
    Ok(())
}

/// Installs the Ctrl-C (SIGINT/SIGTERM) handler; the receiver gets a message on each.
pub fn ctrl_c() -> anyhow::Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .context("installing the Ctrl-C handler")?;
    Ok(rx)
}
