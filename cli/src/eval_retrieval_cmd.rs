//! `twin eval retrieval`: how well retrieval finds the passage, per question style, on the held-out half
//! of the eval set (and the tuning half beside it), and how well the top score tells covered questions
//! from uncovered ones. Builds the index from `content/` in memory, as `twin index` would.

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use twin_eval::retrieval::{Row, bm25, measure, rows, separation};
use twin_index::PackedIndex;
use twin_index::build::build_blob;
use twin_index::ingest::read_content;
use twin_shared::EvalSet;

#[derive(clap::Args)]
pub struct Args {
    /// The content folder.
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

fn table(title: &str, rows: &[Row]) -> String {
    let mut out = format!(
        "{title}\n\n| style | n | passages R@1 | R@5 | R@10 | MRR@10 | posts R@1 | R@5 | R@10 | MRR@10 | ms/query p50 |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            r.group,
            r.n,
            r.passages.recall_1,
            r.passages.recall_5,
            r.passages.recall_10,
            r.passages.mrr_10,
            r.posts.recall_1,
            r.posts.recall_5,
            r.posts.recall_10,
            r.posts.mrr_10,
            r.query_ms_p50
        ));
    }
    out
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let c = read_content(&args.content);
    if !c.diagnostics.is_empty() {
        for d in &c.diagnostics {
            eprintln!("{d}");
        }
        bail!("content has problems; fix them first (`twin index --check`)");
    }
    let eval = EvalSet::read(&args.content.join("eval"))?;
    if eval.heldout_answerable.is_empty() {
        bail!(
            "{} has no held-out questions (heldout/answerable.toml)",
            args.content.join("eval").display()
        );
    }
    let blob = build_blob(&c.passages, &mut |_| {}).context("building the index")?;
    let index = PackedIndex::open_vec(blob).context("opening the index")?;
    let search = bm25(&index);
    let heldout = rows(&measure(&eval.heldout_answerable, &search).map_err(anyhow::Error::msg)?);
    let tune = rows(&measure(&eval.answerable, &search).map_err(anyhow::Error::msg)?);
    // The top score of every question, searched once (a search error stops the command, naming it).
    let mut top_scores: HashMap<&str, f64> = HashMap::new();
    let questions = eval
        .all_answerable()
        .map(|q| q.question.as_str())
        .chain(eval.all_unanswerable().map(|q| q.question.as_str()));
    for q in questions {
        let hits = search(q, 1).map_err(anyhow::Error::msg)?;
        top_scores.insert(q, hits.first().map_or(0.0, |h| f64::from(h.score)));
    }
    let mut ratios: HashMap<&str, f64> = HashMap::new();
    for (q, top) in &top_scores {
        let c = index
            .coverage(q, *top as f32)
            .context("measuring coverage")?;
        ratios.insert(q, f64::from(c));
    }
    let top = |q: &str| top_scores.get(q).copied().unwrap_or(0.0);
    let ratio = |q: &str| ratios.get(q).copied().unwrap_or(0.0);
    let halves = (
        (&eval.answerable[..], &eval.unanswerable[..]),
        (&eval.heldout_answerable[..], &eval.heldout_unanswerable[..]),
    );
    let raw = separation(&top, halves.0, halves.1);
    let normalised = separation(&ratio, halves.0, halves.1);
    if args.json {
        let v = serde_json::json!({"heldout": heldout, "tune": tune,
            "coverage": {"raw_top_score": raw, "top_over_reference": normalised}});
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", table("BM25 as shipped, held-out half", &heldout));
    println!("{}", table("BM25 as shipped, tuning half", &tune));
    println!(
        "coverage signal (threshold fitted on the tuning half) | threshold | balanced accuracy, tuning | held out"
    );
    println!("|---|---|---|---|");
    for (name, s) in [
        ("raw top score", raw),
        ("top score / reference score", normalised),
    ] {
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            s.threshold, s.tune, s.heldout
        );
    }
    Ok(ExitCode::SUCCESS)
}
