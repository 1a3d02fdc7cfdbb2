//! `twin dataset`: writes the fine-tune dataset (`twin-dataset`) from `content/` as train.jsonl,
//! valid.jsonl, stats.json and train.sha256, and prints what each strategy gave.

use crate::ContentArg;
use anyhow::{Context, bail};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use twin_dataset::{Strategy, build, normalise, sha256_file, synthetic, write_jsonl};
use twin_index::ingest::read_content;
use twin_shared::EvalSet;
use twin_shared::prompt::{brief_system_prompt, system_prompt};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    content: ContentArg,
    /// Strategies to use, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Strategy::Voice, Strategy::Knowledge, Strategy::Refusals])]
    strategies: Vec<Strategy>,
    /// Output folder for train.jsonl, valid.jsonl and stats.json.
    #[arg(long, default_value = "build/dataset")]
    out: PathBuf,
    /// Percentage of sources (posts) held out for validation.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=50))]
    valid_percent: u8,
    /// Use a one-line system prompt instead of the full voice guide (short sequences for a CPU run; the
    /// serving side must then send the same, see finetune/README.md).
    #[arg(long)]
    brief_system: bool,
    /// Mixed into the split's hash; change it for a different (still deterministic) split.
    #[arg(long, default_value = "twin")]
    split_seed: String,
    /// Synthetic strategy: the generating model's base URL (e.g. https://api.anthropic.com).
    #[arg(long)]
    llm_url: Option<String>,
    /// Synthetic strategy: the protocol it speaks, anthropic or openai. Its key comes from
    /// ANTHROPIC_API_KEY or OPENAI_API_KEY.
    #[arg(long, default_value = "anthropic")]
    llm_protocol: twin_upstream::Provider,
    /// Synthetic strategy: the model id.
    #[arg(long, default_value = "claude-haiku-4-5")]
    llm_model: String,
    /// Synthetic strategy: questions per post.
    #[arg(long, default_value_t = 5)]
    questions_per_post: usize,
    /// Synthetic strategy: where replies are cached (reruns cost nothing).
    #[arg(long, default_value = "build/dataset-cache")]
    cache_dir: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = &args.content.content;
    let content = read_content(dir);
    for d in &content.diagnostics {
        eprintln!("{d}");
    }
    if !content.diagnostics.is_empty() {
        bail!(
            "{} problem(s) in {}; no dataset written",
            content.diagnostics.len(),
            dir.display()
        );
    }
    let persona_path = dir.join("persona.md");
    let persona = std::fs::read_to_string(&persona_path)
        .with_context(|| format!("reading {}", persona_path.display()))?;
    let system = if args.brief_system {
        brief_system_prompt(&content.site.author)
    } else {
        system_prompt(&content.site.author, &persona, false)
    };
    let eval: HashSet<String> = match EvalSet::read(&dir.join("eval")) {
        Ok(set) => set.all_texts().map(normalise).collect(),
        Err(e) if dir.join("eval").exists() => bail!("{e}"),
        Err(_) => HashSet::new(),
    };
    let mut synthetic_examples = Vec::new();
    if args.strategies.contains(&Strategy::Synthetic) {
        let Some(base_url) = args.llm_url.clone() else {
            bail!(
                "the synthetic strategy needs --llm-url (an Anthropic or OpenAI-compatible endpoint)"
            );
        };
        let key_var = match args.llm_protocol {
            twin_upstream::Provider::Anthropic => "ANTHROPIC_API_KEY",
            twin_upstream::Provider::Openai => "OPENAI_API_KEY",
        };
        let generator = synthetic::Generator {
            base_url,
            protocol: args.llm_protocol,
            model: args.llm_model.clone(),
            key: std::env::var(key_var).ok().filter(|k| !k.is_empty()),
            cache_dir: args.cache_dir.clone(),
            per_post: args.questions_per_post,
        };
        let posts = twin_dataset::posts(&content.passages);
        let bar = indicatif::ProgressBar::new(posts.len() as u64);
        let out = synthetic::examples(&content.site.author, &posts, &generator, &mut |n| {
            bar.set_position(n as u64)
        })
        .map_err(anyhow::Error::msg)?;
        bar.finish_and_clear();
        eprintln!(
            "synthetic: {} replies from the cache, {} fetched, {} unreadable lines skipped",
            out.cached, out.fetched, out.bad_lines
        );
        synthetic_examples = out.examples;
    }
    let ds = build(
        &content.passages,
        system,
        &args.strategies,
        synthetic_examples,
        &eval,
        args.valid_percent,
        &args.split_seed,
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_jsonl(&args.out.join("train.jsonl"), &ds.system, &ds.train)?;
    write_jsonl(&args.out.join("valid.jsonl"), &ds.system, &ds.valid)?;
    let mut stats = serde_json::Map::new();
    println!(
        "{:<10} {:>6} {:>6} {:>9}",
        "strategy", "train", "valid", "~tokens"
    );
    for s in &args.strategies {
        let t = ds.train.iter().filter(|e| e.strategy == *s).count();
        let v = ds.valid.iter().filter(|e| e.strategy == *s).count();
        let tokens: usize = ds
            .train
            .iter()
            .chain(&ds.valid)
            .filter(|e| e.strategy == *s)
            .map(|e| e.approx_tokens(&ds.system))
            .sum();
        println!("{:<10} {t:>6} {v:>6} {tokens:>9}", s.name());
        stats.insert(
            s.name().into(),
            serde_json::json!({"train": t, "valid": v, "approx_tokens": tokens}),
        );
    }
    let total: usize = ds
        .train
        .iter()
        .chain(&ds.valid)
        .map(|e| e.approx_tokens(&ds.system))
        .sum();
    println!(
        "{:<10} {:>6} {:>6} {total:>9}",
        "total",
        ds.train.len(),
        ds.valid.len()
    );
    println!(
        "dropped {} example(s) whose prompt is an eval question",
        ds.leaked
    );
    stats.insert("total".into(), serde_json::json!({"train": ds.train.len(), "valid": ds.valid.len(), "approx_tokens": total, "dropped_for_eval_leakage": ds.leaked}));
    let stats_path = args.out.join("stats.json");
    std::fs::write(&stats_path, serde_json::to_string_pretty(&stats)?)
        .with_context(|| format!("writing {}", stats_path.display()))?;
    let sha = sha256_file(&args.out.join("train.jsonl"))?;
    std::fs::write(
        args.out.join("train.sha256"),
        format!("{sha}  train.jsonl\n"),
    )?;
    println!(
        "wrote {}/train.jsonl (sha256 {sha}) and valid.jsonl",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
