//! `twin index`: content → passages → one packed index blob; `--check` only validates the content.

use crate::{ContentArg, DEFAULT_BLOB};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use twin_index::build::build_blob;
use twin_index::ingest::{check_probes_and_eval, read_content};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
    /// Where to write the blob.
    #[arg(long, default_value = DEFAULT_BLOB)]
    out: PathBuf,
    /// Validate the content (front matter, slugs, empty or unreadable files) and exit; writes nothing.
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let content = read_content(&args.content.content);
    let mut problems = content.diagnostics.clone();
    problems.extend(check_probes_and_eval(
        &args.content.content,
        &content.passages,
    ));
    for p in &problems {
        eprintln!("{p}");
    }
    if !problems.is_empty() {
        eprintln!(
            "twin: {} problem(s) in {}; nothing written",
            problems.len(),
            args.content.content.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    eprintln!(
        "read {} posts, {} social posts → {} passages",
        content.posts,
        content.social,
        content.passages.len()
    );
    if args.check {
        eprintln!("content is valid");
        return Ok(ExitCode::SUCCESS);
    }
    let bar = ProgressBar::new(content.passages.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("indexing {bar:30} {pos}/{len} passages")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let blob = build_blob(&content.passages, &mut |n| bar.set_position(n as u64))?;
    bar.finish_and_clear();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = args.out.with_extension("blob.tmp");
    std::fs::write(&tmp, &blob).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} ({} bytes, {} passages) in {} ms",
        args.out.display(),
        blob.len(),
        content.passages.len(),
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}
