//! `twin`: the command line for a blog's personal twin: check and index the author's content, search it.

mod dataset_cmd;
mod demo_cmd;
mod eval_cmd;
#[cfg(feature = "dense")]
mod eval_dense;
mod eval_retrieval_cmd;
mod import_cmd;
mod index_cmd;
mod init_cmd;
mod models_cmd;
mod search_cmd;
mod traces_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Where `twin index` writes the blob by default and where the worker embeds it from.
pub const DEFAULT_BLOB: &str = "build/index.blob";

#[derive(Parser)]
#[command(
    name = "twin",
    version,
    about = "A personal twin for a blog: import → content → index → worker → widget"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bring a blog in: a feed, sitemap or platform export, written to content/ as Markdown.
    Import(import_cmd::Args),
    /// Scaffold persona.md, probes.toml and starter eval sets (and site.toml) from the content.
    Init(init_cmd::Args),
    /// Read content/, chunk it into passages and write the packed BM25 index blob.
    Index(index_cmd::Args),
    /// Print the passages retrieval returns for a question.
    Search(search_cmd::Args),
    /// Local model servers (llama.cpp) and the fault stand-in, for development and tests.
    Models(models_cmd::Args),
    /// Write the fine-tune dataset (chat JSONL for TRL) from content/.
    Dataset(dataset_cmd::Args),
    /// Score every backend's answers (knowledge, hallucination, voice, latency, cost) through the worker.
    Eval(eval_cmd::Args),
    /// What readers asked: volume, errors, feedback and coverage gaps, from the worker's traces (D1).
    Traces(traces_cmd::Args),
    /// Run the whole demo: models, the worker under wrangler dev, the demo blog page with the widget.
    Demo(demo_cmd::Args),
}

/// Options shared by commands that read content.
#[derive(clap::Args, Clone)]
pub struct ContentArg {
    /// The content folder (posts/, social/Shares.csv, about.md, site.toml).
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import(a) => import_cmd::run(a),
        Command::Init(a) => init_cmd::run(a),
        Command::Index(a) => index_cmd::run(a),
        Command::Search(a) => search_cmd::run(a),
        Command::Models(a) => models_cmd::run(a),
        Command::Demo(a) => demo_cmd::run(a),
        Command::Dataset(a) => dataset_cmd::run(a),
        Command::Eval(a) => eval_cmd::run_cmd(a),
        Command::Traces(a) => traces_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("twin: {e:#}");
            ExitCode::FAILURE
        }
    }
}
