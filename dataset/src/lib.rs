//! The fine-tune dataset: chat-format JSONL for TRL's SFTTrainer from the author's passages, by the usual
//! fine-tuning strategies (voice, knowledge, refusals, and optionally synthetic Q&A from an LLM), with a
//! deterministic train/validation split and no eval question in either half. `twin dataset` is the
//! command around it.

mod example;
mod knowledge;
mod refusals;
pub mod synthetic;
mod voice;

pub use example::{Example, Strategy, stable_hash};

use anyhow::Context;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use twin_index::{Kind, Passage};

/// A built dataset.
pub struct Dataset {
    /// The system prompt every example is written under.
    pub system: String,
    /// The training examples.
    pub train: Vec<Example>,
    /// The validation examples (whole sources held out).
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

/// The SHA-256 of a file, in hex (written beside `train.jsonl` so a training run can name its data).
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `examples` as chat JSONL lines under `system`.
pub fn write_jsonl(path: &Path, system: &str, examples: &[Example]) -> anyhow::Result<()> {
    let mut text = String::new();
    for e in examples {
        text.push_str(&e.to_jsonl(system));
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The posts among `passages`, each as one text (its passages joined), for the synthetic strategy.
pub fn posts(passages: &[Passage]) -> Vec<synthetic::Post<'_>> {
    let mut posts: Vec<synthetic::Post> = Vec::new();
    for p in passages.iter().filter(|p| p.kind == Kind::Post) {
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
    posts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use twin_index::ingest::read_content;
    use twin_shared::EvalSet;
    use twin_shared::prompt::system_prompt;

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
        assert_eq!(line["meta"]["strategy"], "voice", "{line}");
        assert_eq!(line["meta"]["source"], voice.source.as_str(), "{line}");
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
