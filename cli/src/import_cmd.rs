//! `twin import SOURCE`: a feed, sitemap or platform export into `content/` (see the `twin-import` crate),
//! with a progress bar and a summary of what was imported, updated, skipped and why.

use anyhow::anyhow;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use twin_import::{Filter, Format, Options, Politeness, Progress, Report};

#[derive(clap::Args)]
pub struct Args {
    /// A feed (RSS, Atom, JSON Feed), a sitemap.xml or a blog page (file or http(s) URL), a WordPress
    /// export (.xml), a Ghost export (.json), a Substack or Medium export folder, or a LinkedIn Shares.csv.
    source: String,
    /// The content folder to write into (posts go to its posts/, a LinkedIn export to social/).
    #[arg(long, default_value = "content")]
    into: PathBuf,
    /// The format, if detection gets it wrong: feed, sitemap, wordpress, ghost, substack, medium, linkedin.
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// The blog's address, for Ghost and Substack exports (which do not hold it); default: site.toml's base_url.
    #[arg(long)]
    base_url: Option<String>,
    /// Sitemap crawls: only pages whose path starts with this (e.g. /posts/).
    #[arg(long)]
    include: Option<String>,
    /// Sitemap crawls: at most this many pages.
    #[arg(long)]
    limit: Option<usize>,
    /// Milliseconds between two requests to the same host, up to 60000 (a longer robots.txt
    /// Crawl-delay wins, up to a minute).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    delay_ms: u64,
    /// Pages fetched at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=8))]
    concurrency: u64,
    /// List every skipped item and note, not just the counts by reason.
    #[arg(long, short)]
    verbose: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Format::ALL.iter().map(|(_, n)| *n).collect();
        format!("`{s}` is not one of {}", names.join(", "))
    })
}

/// An indicatif bar that appears once there is work to count.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: usize, what: &str) {
        self.0.set_length(total as u64);
        self.0.set_position(0);
        self.0.set_message(what.to_string());
        self.0.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {wide_msg:.dim}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    fn step(&self, label: &str) {
        self.0.inc(1);
        self.0
            .set_message(label.chars().take(60).collect::<String>());
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        content_dir: args.into.clone(),
        format: args.format,
        base_url: args.base_url.clone(),
        politeness: Politeness {
            delay: Duration::from_millis(args.delay_ms),
            concurrency: args.concurrency as usize,
            ..Politeness::default()
        },
        filter: Filter {
            include: args.include.clone(),
            limit: args.limit,
        },
    };
    let bar = ProgressBar::new(0);
    bar.enable_steady_tick(Duration::from_millis(200));
    let result = twin_import::import(&args.source, &opts, &Bar(bar.clone()));
    bar.finish_and_clear();
    let report = result.map_err(|e| anyhow!("import: {e}"))?;
    print_report(&report, &args);
    Ok(ExitCode::SUCCESS)
}

fn print_report(r: &Report, args: &Args) {
    if let Some(via) = &r.via {
        println!("read {via}");
    }
    if let Some((base, from)) = &r.base_url {
        println!("post URLs built on {base} (from {from})");
    }
    if let Some(social) = &r.social {
        let what = if social.changed {
            "copied to"
        } else {
            "already at"
        };
        println!(
            "LinkedIn export checked: {} posts with text; {what} {}",
            social.posts,
            social.path.display()
        );
        return;
    }
    let w = &r.written;
    let total = w.created.len() + w.updated.len() + w.unchanged.len();
    println!(
        "imported {total} posts ({}) into {}: {} new, {} updated, {} unchanged",
        r.format.name(),
        args.into.join("posts").display(),
        w.created.len(),
        w.updated.len(),
        w.unchanged.len()
    );
    if !r.skipped.is_empty() {
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, why) in &r.skipped {
            *by_reason.entry(why.as_str()).or_default() += 1;
        }
        println!("skipped {}:", r.skipped.len());
        if args.verbose {
            for (what, why) in &r.skipped {
                println!("  {what}: {why}");
            }
        } else {
            for (why, n) in by_reason {
                println!("  {n} × {why}");
            }
        }
    }
    if let Some(site) = &r.site_toml {
        println!(
            "wrote {} from the source: check author, title and base_url",
            site.display()
        );
    }
    if r.dropped_media > 0 {
        println!(
            "left out {} images and embeds (twin indexes text only)",
            r.dropped_media
        );
    }
    if !r.notes.is_empty() {
        println!("notes on {} posts:", r.notes.len());
        for (url, note) in r
            .notes
            .iter()
            .take(if args.verbose { usize::MAX } else { 10 })
        {
            println!("  {url}: {note}");
        }
        if !args.verbose && r.notes.len() > 10 {
            println!("  … {} more (--verbose lists all)", r.notes.len() - 10);
        }
    }
    if total > 0 {
        println!("next: twin index --check --content {}", args.into.display());
    }
}
