//! `twin search`: what retrieval returns for a question, for the author to inspect.

use crate::{ContentArg, DEFAULT_BLOB};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::ExitCode;
use twin_index::PackedIndex;
use twin_index::build::build_blob;
use twin_index::ingest::read_content;

#[derive(clap::Args)]
pub struct Args {
    /// The reader's question, as free text.
    question: String,
    /// How many passages to print.
    #[arg(short = 'k', long, default_value_t = 5)]
    limit: usize,
    /// The index blob; when it does not exist the content is indexed in memory.
    #[arg(long, default_value = DEFAULT_BLOB)]
    index: PathBuf,
    #[command(flatten)]
    content: ContentArg,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let index = if args.index.exists() {
        let bytes = std::fs::read(&args.index)
            .with_context(|| format!("reading {}", args.index.display()))?;
        PackedIndex::open_vec(bytes).with_context(|| format!("opening {}", args.index.display()))?
    } else {
        eprintln!(
            "(no index at {}; indexing {} in memory)",
            args.index.display(),
            args.content.content.display()
        );
        let content = read_content(&args.content.content);
        if let Some(d) = content.diagnostics.first() {
            bail!(
                "{d} (and {} more; run `twin index --check`)",
                content.diagnostics.len() - 1
            );
        }
        PackedIndex::open_vec(build_blob(&content.passages, &mut |_| {})?)?
    };
    let hits = index.search(&args.question, args.limit)?;
    if hits.is_empty() {
        eprintln!("no passages match");
    }
    let levels = index.coverage_levels(&args.question, &hits)?;
    for (i, (h, level)) in hits.iter().zip(&levels).enumerate() {
        if args.json {
            println!("{}", serde_json::to_string(h)?);
        } else {
            println!(
                "{}. [{:.2}, {}] {} ({})\n   {}\n   {}\n",
                i + 1,
                h.score,
                level.as_str(),
                h.title,
                h.date,
                h.url,
                h.snippet.replace('\n', " ")
            );
        }
    }
    eprintln!(
        "coverage: {} (what the worker would tell the reader and the model)",
        twin_shared::Coverage::best(&levels).as_str()
    );
    Ok(ExitCode::SUCCESS)
}
