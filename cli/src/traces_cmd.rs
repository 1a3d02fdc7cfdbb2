//! `twin traces`: what readers asked, from the worker's D1 database: volume per day and backend, errors
//! by code, median time to first token, thumbs-down answers, jailbreak reports and coverage gaps, as
//! text, JSON (`--json`) or one self-contained HTML page (`--html FILE`).

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use twin_traces::{D1, Location, Options, Report};

/// Where `twin demo` keeps the worker's local state (its D1 database among it).
const DEMO_STATE: &str = "build/logs/demo/wrangler.state";

#[derive(clap::Args)]
pub struct Args {
    /// Read the deployed database (needs `CLOUDFLARE_API_TOKEN` or `wrangler login`) instead of a
    /// local one.
    #[arg(long, conflicts_with = "persist_to")]
    remote: bool,
    /// The local state folder `wrangler dev --persist-to` used [default: the demo's, build/logs/demo/wrangler.state,
    /// when it exists; otherwise wrangler's own default].
    #[arg(long)]
    persist_to: Option<PathBuf>,
    /// The worker folder (with wrangler.toml and node_modules).
    #[arg(long, default_value = "worker")]
    worker: PathBuf,
    /// Only answers from the last N days.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Only this backend's answers.
    #[arg(long)]
    backend: Option<String>,
    /// A top retrieval score under this also counts as a coverage gap (BM25 scores; see `twin search`).
    #[arg(long)]
    low_score: Option<f64>,
    /// Print the report as JSON.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// Write the report as a self-contained HTML page to this file.
    #[arg(long)]
    html: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let location = if args.remote {
        Location::Remote
    } else {
        let persist_to = match args.persist_to {
            // Absolute: wrangler runs in the worker folder.
            Some(p) => Some(std::fs::canonicalize(&p).with_context(|| {
                format!(
                    "{} is not there; pass the folder `wrangler dev --persist-to` used",
                    p.display()
                )
            })?),
            None => std::fs::canonicalize(DEMO_STATE).ok(),
        };
        Location::Local { persist_to }
    };
    if !args.worker.join("wrangler.toml").exists() {
        anyhow::bail!(
            "{} has no wrangler.toml; run from the project root or pass --worker",
            args.worker.display()
        );
    }
    let db = D1::new(&args.worker, location);
    eprintln!("reading traces from {} …", db.place());
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
    let since = now_ms - f64::from(args.days) * 86_400_000.0;
    let (traces, feedback) = twin_traces::rows::load(&db, since)?;
    let options = Options {
        backend: args.backend,
        low_score: args.low_score,
    };
    let report = Report::build(&db.place(), &traces, &feedback, &options);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if let Some(path) = args.html {
        std::fs::write(&path, twin_traces::html::html(&report))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
        print!("{}", twin_traces::text::text(&report));
    } else {
        print!("{}", twin_traces::text::text(&report));
    }
    Ok(ExitCode::SUCCESS)
}
