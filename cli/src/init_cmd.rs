//! `twin init`: scaffolds persona, probes and starter eval sets (and `site.toml` if missing) from the
//! content, with the reasons each probe was suggested (see `twin_import::scaffold`).

use anyhow::anyhow;
use std::path::PathBuf;
use std::process::ExitCode;
use twin_import::scaffold::{InitOptions, init};

#[derive(clap::Args)]
pub struct Args {
    /// The content folder (with posts/, e.g. from `twin import`).
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// The author's name, for a new site.toml.
    #[arg(long)]
    author: Option<String>,
    /// The blog's title, for a new site.toml.
    #[arg(long)]
    title: Option<String>,
    /// The blog's address, for a new site.toml (default: the origin most post URLs share).
    #[arg(long)]
    base_url: Option<String>,
    /// Overwrite persona.md, probes.toml and eval/*.toml if they exist (site.toml and posts are never touched).
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = init(&InitOptions {
        content_dir: args.content.clone(),
        author: args.author,
        title: args.title,
        base_url: args.base_url,
        force: args.force,
    })
    .map_err(|e| anyhow!("init: {e}"))?;
    for p in &report.written {
        println!("wrote {}", p.display());
    }
    for p in &report.kept {
        println!(
            "kept  {} (exists{})",
            p.display(),
            if p.ends_with("site.toml") {
                ""
            } else {
                "; --force rewrites it"
            }
        );
    }
    println!("suggested probes:");
    for (id, question, why) in &report.probes {
        println!("  {id}: {question}\n    because {why}");
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "next: edit persona.md, probes.toml and eval/ (they are starters), then `twin index --check --content {}`",
        args.content.display()
    );
    Ok(ExitCode::SUCCESS)
}
