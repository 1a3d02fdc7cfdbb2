//! Starter eval sets: answerable questions drawn from the posts' headings (with the section's first
//! sentence as the fact), unanswerable questions checked to name nothing the content mentions, and voice
//! prompts. Marked as starters: the author rewrites them the way readers ask.

use super::stats::{Stats, is_common, stems};
use serde::Serialize;
use std::collections::BTreeSet;
use twin_index::{Kind, Passage};

/// Questions drawn from headings, at most this many.
const MAX_ANSWERABLE: usize = 20;

#[derive(Serialize)]
struct Answerable {
    question: String,
    slugs: Vec<String>,
    facts: Vec<String>,
}

#[derive(Serialize)]
struct Unanswerable {
    question: String,
    why: String,
}

#[derive(Serialize)]
struct Voice {
    prompt: String,
    notes: String,
}

#[derive(Serialize)]
struct Questions<T> {
    question: Vec<T>,
}

#[derive(Serialize)]
struct Prompts {
    prompt: Vec<Voice>,
}

/// Off-topic questions and the words that would show the blog does cover them after all.
const OFF_TOPIC: &[(&str, &[&str])] = &[
    (
        "What's your favourite recipe for Thai green curry?",
        &["curry"],
    ),
    (
        "Which Kubernetes distribution do you recommend for a home lab?",
        &["kubernetes"],
    ),
    ("How did you train for your marathon?", &["marathon"]),
    (
        "Do you think cryptocurrency is a good investment?",
        &["cryptocurrency", "bitcoin", "crypto"],
    ),
    ("Where did you hold your wedding?", &["wedding"]),
    ("How do you look after a pet tortoise?", &["tortoise"]),
    ("Which golf clubs do you use?", &["golf"]),
    ("What was it like learning to scuba dive?", &["scuba"]),
    ("What is your skincare routine?", &["skincare"]),
    (
        "Which video game consoles do you own?",
        &["console", "playstation", "xbox", "nintendo"],
    ),
];

const VOICE: &[(&str, &str)] = &[
    ("Tea or coffee?", "Short, and unmistakably the author."),
    (
        "Describe your morning in one sentence.",
        "The author's own details, not a generic morning.",
    ),
    (
        "What would you tell someone just starting out?",
        "The author's advice in the author's words.",
    ),
    (
        "Why do you write this blog?",
        "Plain, personal, no mission statement.",
    ),
];

const HEADER: &str = "# STARTER SET written by `twin init`: rewrite each question the way a reader would ask it, and check\n# the facts (a phrase a correct answer states). Questions here may tune retrieval; keep a held-out half\n# in eval/heldout/ that never does.\n";

/// `eval/answerable.toml`: one question per post with a heading that names something (a word that is
/// not common English and is used by at most a quarter of the documents), spread over the posts.
pub fn answerable(passages: &[Passage], stats: &Stats) -> String {
    let mut analyzer = twin_index::schema::analyzer();
    let mut telling = |heading: &str| {
        stems(&mut analyzer, heading)
            .into_iter()
            .any(|(stem, word, _)| {
                word.chars().count() >= 4
                    && !is_common(word)
                    && stats
                        .terms
                        .get(&stem)
                        .is_some_and(|t| t.docs.len() * 4 <= stats.docs.max(4))
            })
    };
    let mut seen = BTreeSet::new();
    let mut firsts: Vec<(&Passage, &String)> = Vec::new();
    for p in passages
        .iter()
        .filter(|p| p.kind == Kind::Post && p.text.split_whitespace().count() >= 8)
    {
        if let Some(heading) = p.headings.last()
            && !seen.contains(&p.slug)
            && telling(heading)
        {
            seen.insert(p.slug.clone());
            firsts.push((p, heading));
        }
    }
    let step = firsts.len().div_ceil(MAX_ANSWERABLE).max(1);
    let questions: Vec<Answerable> = firsts
        .iter()
        .step_by(step)
        .take(MAX_ANSWERABLE)
        .filter_map(|(p, heading)| {
            let fact = first_sentence(&p.text, 8)?;
            Some(Answerable {
                question: format!("What did you write about \"{heading}\"?"),
                slugs: vec![p.slug.clone()],
                facts: vec![fact],
            })
        })
        .collect();
    starter(&Questions {
        question: questions,
    })
}

/// `eval/unanswerable.toml`: off-topic questions whose key words appear nowhere in the content.
pub fn unanswerable(stats: &Stats) -> String {
    let mut analyzer = twin_index::schema::analyzer();
    let questions: Vec<Unanswerable> = OFF_TOPIC
        .iter()
        .filter(|(_, words)| {
            words.iter().all(|w| {
                stems(&mut analyzer, w)
                    .iter()
                    .all(|(stem, _, _)| !stats.terms.contains_key(stem))
            })
        })
        .map(|(q, words)| Unanswerable {
            question: (*q).to_string(),
            why: format!(
                "`{}` appears nowhere in the content (checked by twin init)",
                words.join("`, `")
            ),
        })
        .collect();
    starter(&Questions {
        question: questions,
    })
}

/// `eval/voice.toml`.
pub fn voice() -> String {
    let prompt = VOICE
        .iter()
        .map(|(p, n)| Voice {
            prompt: (*p).to_string(),
            notes: (*n).to_string(),
        })
        .collect();
    starter(&Prompts { prompt })
}

/// The start of the first sentence of `text` (list markers dropped), at most `max_words` words, with
/// no punctuation left hanging; `None` under four words.
fn first_sentence(text: &str, max_words: usize) -> Option<String> {
    let sentence = text
        .split_inclusive(['.', '!', '?'])
        .map(|s| {
            s.trim().trim_start_matches(|c: char| {
                matches!(c, '-' | '*' | '+' | '>' | '#') || c.is_whitespace()
            })
        })
        .find(|s| s.split_whitespace().count() >= 4)?;
    let words: Vec<&str> = sentence.split_whitespace().take(max_words).collect();
    Some(
        words
            .join(" ")
            .trim_end_matches(|c: char| c.is_ascii_punctuation() && !matches!(c, ')' | '%' | '"'))
            .to_string(),
    )
}

/// A starter file: the STARTER header, then `value` as TOML (plain strings and lists cannot fail to
/// serialise).
fn starter(value: &impl Serialize) -> String {
    format!("{HEADER}\n{}", toml::to_string(value).unwrap_or_default())
}
