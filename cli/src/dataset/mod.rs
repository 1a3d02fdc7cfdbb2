//! `twin dataset`: chat-format JSONL for TRL's SFTTrainer from `content/`, by the usual fine-tuning
//! strategies, with a deterministic train/validation split, no eval question in either, and statistics.

mod example;
mod knowledge;
mod refusals;
mod synthetic;
mod voice;

pub use example::{Example, Strategy, stable_hash};

use crate::ContentArg;
use anyhow::{Context, bail};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use twin_index::ingest::read_content;
use twin_index::{Kind, Passage};
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
    /// Synthetic strategy: the protocol it speaks. Its key comes from ANTHROPIC_API_KEY or OPENAI_API_KEY.
    #[arg(long, value_enum, default_value = "anthropic")]
    llm_protocol: synthetic::Protocol,
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

/// A built dataset.
pub struct Dataset {
    pub system: String,
    pub train: Vec<Example>,
    pub valid: Vec<Example>,
    /// Examples dropped because their prompt is (or contains) an eval question.
    pub leaked: usize,
}

/// Lowercase words only, for comparing prompts with eval questions.
pub fn normalise(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a prompt is, or contains, one of the (normalised) eval questions.
pub fn leaks(prompt: &str, eval: &HashSet<String>) -> bool {
    let p = normalise(prompt);
    eval.contains(&p) || eval.iter().any(|q| q.len() > 20 && p.contains(q.as_str()))
}

/// What the author covers, for refusals: the most common post tags.
fn covered_topics(passages: &[Passage]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen = HashSet::new();
    for p in passages.iter().filter(|p| p.kind == Kind::Post) {
        if seen.insert(&p.slug) {
            for t in &p.tags {
                *counts.entry(t.as_str()).or_default() += 1;
            }
        }
    }
    let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let top: Vec<&str> = tags.into_iter().take(6).map(|(t, _)| t).collect();
    match top.as_slice() {
        [] => "what's on the blog".into(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Builds the examples of `strategies` (synthetic ones passed in), drops leaks, and splits.
pub fn build(
    passages: &[Passage],
    system: String,
    strategies: &[Strategy],
    synthetic: Vec<Example>,
    eval: &HashSet<String>,
    valid_percent: u8,
    split_seed: &str,
) -> Dataset {
    let mut all = Vec::new();
    for s in strategies {
        match s {
            Strategy::Voice => all.extend(voice::examples(passages)),
            Strategy::Knowledge => all.extend(knowledge::examples(passages)),
            Strategy::Refusals => all.extend(refusals::examples(&covered_topics(passages))),
            Strategy::Synthetic => {}
        }
    }
    all.extend(synthetic);
    let before = all.len();
    all.retain(|e| !leaks(&e.user, eval));
    let leaked = before - all.len();
    let (valid, train) = all.into_iter().partition(|e| {
        stable_hash(&format!("{split_seed}/{}", e.source)) % 100 < u64::from(valid_percent)
    });
    Dataset {
        system,
        train,
        valid,
        leaked,
    }
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn write_jsonl(path: &Path, system: &str, examples: &[Example]) -> anyhow::Result<()> {
    let mut text = String::new();
    for e in examples {
        text.push_str(&e.to_jsonl(system));
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
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
            synthetic::Protocol::Anthropic => "ANTHROPIC_API_KEY",
            synthetic::Protocol::Openai => "OPENAI_API_KEY",
        };
        let generator = synthetic::Generator {
            base_url,
            protocol: args.llm_protocol,
            model: args.llm_model.clone(),
            key: std::env::var(key_var).ok().filter(|k| !k.is_empty()),
            cache_dir: args.cache_dir.clone(),
            per_post: args.questions_per_post,
        };
        let mut posts: Vec<synthetic::Post> = Vec::new();
        for p in content.passages.iter().filter(|p| p.kind == Kind::Post) {
            match posts.iter_mut().find(|x| x.slug == p.slug) {
                Some(post) => {
                    post.text.push_str("\n\n");
                    post.text.push_str(&p.text);
                }
                None => posts.push(synthetic::Post {
                    slug: &p.slug,
                    title: &p.title,
                    text: p.text.clone(),
                }),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> (Vec<Passage>, HashSet<String>, String) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
        let c = read_content(&dir);
        assert!(c.diagnostics.is_empty());
        let eval = EvalSet::read(&dir.join("eval"))
            .expect("eval")
            .all_texts()
            .map(normalise)
            .collect();
        let persona = std::fs::read_to_string(dir.join("persona.md")).expect("persona");
        (
            c.passages,
            eval,
            system_prompt("Ilse Marwick", &persona, false),
        )
    }

    const ALL: [Strategy; 3] = [Strategy::Voice, Strategy::Knowledge, Strategy::Refusals];

    #[test]
    fn each_strategy_produces_examples_in_the_authors_words() {
        let (passages, eval, system) = demo();
        let ds = build(&passages, system, &ALL, vec![], &eval, 10, "twin");
        let all: Vec<&Example> = ds.train.iter().chain(&ds.valid).collect();
        for s in ALL {
            assert!(
                all.iter().filter(|e| e.strategy == s).count() >= 20,
                "{s:?}"
            );
        }
        let voice = all
            .iter()
            .find(|e| e.strategy == Strategy::Voice)
            .expect("voice");
        assert!(
            passages.iter().any(|p| p.text == voice.assistant),
            "voice answers are the author's passages"
        );
        let dated = all
            .iter()
            .find(|e| {
                e.user
                    .starts_with("When did you publish \"Driftwood: a weather station")
            })
            .expect("date q");
        assert_eq!(
            dated.assistant,
            "I published \"Driftwood: a weather station made of spare parts\" on 2023-03-04."
        );
        let refusal = all
            .iter()
            .find(|e| e.strategy == Strategy::Refusals)
            .expect("refusal");
        assert!(
            refusal.assistant.contains("haven't written about")
                || refusal.assistant.contains("isn't something I've written"),
            "{}",
            refusal.assistant
        );
        assert!(
            refusal.assistant.contains("driftwood") || refusal.assistant.len() < 120,
            "covered topics come from tags: {}",
            refusal.assistant
        );
        let line: serde_json::Value =
            serde_json::from_str(&voice.to_jsonl(&ds.system)).expect("jsonl");
        assert_eq!(line["messages"][0]["role"], "system");
        assert_eq!(line["messages"][2]["role"], "assistant");
        assert_eq!(
            line["messages"][1]["content"],
            format!("<question>\n{}\n</question>", voice.user),
            "served shape"
        );
    }

    #[test]
    fn the_split_is_deterministic_and_keeps_a_source_on_one_side() {
        let (passages, eval, system) = demo();
        let a = build(&passages, system.clone(), &ALL, vec![], &eval, 10, "twin");
        let b = build(&passages, system.clone(), &ALL, vec![], &eval, 10, "twin");
        assert_eq!(a.train, b.train);
        assert_eq!(a.valid, b.valid);
        let train_sources: HashSet<&str> = a.train.iter().map(|e| e.source.as_str()).collect();
        assert!(
            a.valid
                .iter()
                .all(|e| !train_sources.contains(e.source.as_str()))
        );
        let share = a.valid.len() as f64 / (a.train.len() + a.valid.len()) as f64;
        assert!((0.03..0.25).contains(&share), "{share}");
        let c = build(&passages, system, &ALL, vec![], &eval, 10, "other-seed");
        assert_ne!(a.valid, c.valid, "the seed changes the split");
    }

    #[test]
    fn no_eval_question_reaches_training_or_validation() {
        let (passages, eval, system) = demo();
        let eval_q =
            EvalSet::read(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content/eval"))
                .expect("eval");
        let planted = Example {
            strategy: Strategy::Synthetic,
            source: "driftwood-salt-air".into(),
            user: eval_q.answerable[0].question.to_uppercase(),
            assistant: "x".into(),
        };
        let ds = build(&passages, system, &ALL, vec![planted], &eval, 10, "twin");
        assert_eq!(ds.leaked, 1, "the planted eval question is dropped");
        for e in ds.train.iter().chain(&ds.valid) {
            assert!(!leaks(&e.user, &eval), "leak: {}", e.user);
        }
        assert!(eval.len() >= 80);
    }
}
