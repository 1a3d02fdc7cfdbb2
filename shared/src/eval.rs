//! The eval sets in `content/eval/`: questions the corpus answers (with the posts and facts a good answer
//! has), questions it does not, and voice prompts. Retrieval tests and the backend eval both read them.

use crate::Diagnostic;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A question the author's writing answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerableQuestion {
    pub question: String,
    /// Slugs of the documents that answer it (any one is a hit).
    pub slugs: Vec<String>,
    /// One to three facts a correct answer contains.
    pub facts: Vec<String>,
    /// How the question is written, for per-style results: one of [`STYLES`]; `plain` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// The question styles of the held-out set: plain questions, paraphrases that avoid the post's words,
/// 2-4 word keyword queries, long chatty questions, typos, details buried mid-post, and answers found in
/// a social post.
pub const STYLES: &[&str] = &[
    "plain",
    "paraphrase",
    "keywords",
    "chatty",
    "typo",
    "buried",
    "social",
];

impl AnswerableQuestion {
    /// The question's style (`plain` when the file gives none).
    pub fn style(&self) -> &str {
        self.style.as_deref().unwrap_or("plain")
    }
}

/// A question the corpus does not answer: a grounded twin declines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnanswerableQuestion {
    pub question: String,
    /// Why the corpus does not answer it.
    pub why: String,
}

/// A prompt where voice is everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicePrompt {
    pub prompt: String,
    pub notes: String,
}

/// The eval files: the tuning half (`answerable.toml`, `unanswerable.toml`), the voice prompts, and the
/// held-out half (`heldout/answerable.toml`, `heldout/unanswerable.toml`) that reports retrieval and
/// coverage numbers and is never used to tune them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalSet {
    pub answerable: Vec<AnswerableQuestion>,
    pub unanswerable: Vec<UnanswerableQuestion>,
    pub voice: Vec<VoicePrompt>,
    pub heldout_answerable: Vec<AnswerableQuestion>,
    pub heldout_unanswerable: Vec<UnanswerableQuestion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Questions<T> {
    question: Vec<T>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompts {
    prompt: Vec<VoicePrompt>,
}

impl EvalSet {
    /// Reads `answerable.toml`, `unanswerable.toml` and `voice.toml` from `dir`, and the held-out half
    /// from `dir/heldout/` when that folder exists.
    pub fn read(dir: &Path) -> Result<EvalSet, Diagnostic> {
        let answerable = read_answerable(&dir.join("answerable.toml"))?;
        let unanswerable: Questions<UnanswerableQuestion> =
            read_toml(&dir.join("unanswerable.toml"))?;
        let voice: Prompts = read_toml(&dir.join("voice.toml"))?;
        let heldout = dir.join("heldout");
        let (heldout_answerable, heldout_unanswerable) = if heldout.is_dir() {
            let u: Questions<UnanswerableQuestion> = read_toml(&heldout.join("unanswerable.toml"))?;
            (
                read_answerable(&heldout.join("answerable.toml"))?,
                u.question,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(EvalSet {
            answerable,
            unanswerable: unanswerable.question,
            voice: voice.prompt,
            heldout_answerable,
            heldout_unanswerable,
        })
    }

    /// Every question and prompt text, for checking that none leaks into training data.
    pub fn all_texts(&self) -> impl Iterator<Item = &str> {
        self.all_answerable()
            .map(|q| q.question.as_str())
            .chain(self.all_unanswerable().map(|q| q.question.as_str()))
            .chain(self.voice.iter().map(|p| p.prompt.as_str()))
    }

    /// Answerable questions of both halves.
    pub fn all_answerable(&self) -> impl Iterator<Item = &AnswerableQuestion> {
        self.answerable.iter().chain(&self.heldout_answerable)
    }

    /// Unanswerable questions of both halves.
    pub fn all_unanswerable(&self) -> impl Iterator<Item = &UnanswerableQuestion> {
        self.unanswerable.iter().chain(&self.heldout_unanswerable)
    }
}

/// Reads and checks one answerable file: each question has a slug, 1 to 3 facts and a known style.
fn read_answerable(path: &Path) -> Result<Vec<AnswerableQuestion>, Diagnostic> {
    let file = path.display().to_string();
    let (parsed, text): (Questions<AnswerableQuestion>, String) = read_toml_text(path)?;
    for (i, q) in parsed.question.iter().enumerate() {
        // The line of the n-th `[[question]]`, so the message points at the entry.
        let line = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim() == "[[question]]")
            .nth(i)
            .map_or(0, |(n, _)| n + 1);
        if q.slugs.is_empty() || !(1..=3).contains(&q.facts.len()) {
            return Err(Diagnostic::new(
                &file,
                line,
                format!(
                    "question {} needs at least one slug and 1 to 3 facts",
                    i + 1
                ),
            ));
        }
        if !STYLES.contains(&q.style()) {
            return Err(Diagnostic::new(
                &file,
                line,
                format!(
                    "question {} has style `{}`; use one of {}",
                    i + 1,
                    q.style(),
                    STYLES.join(", ")
                ),
            ));
        }
    }
    Ok(parsed.question)
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Diagnostic> {
    read_toml_text(path).map(|(t, _)| t)
}

/// Parses a TOML file and keeps its text (for line numbers in later checks).
fn read_toml_text<T: serde::de::DeserializeOwned>(path: &Path) -> Result<(T, String), Diagnostic> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::new(&file, 0, format!("cannot read: {e}")))?;
    let parsed = toml::from_str(&text).map_err(|e| Diagnostic::from_toml(&file, &text, &e))?;
    Ok((parsed, text))
}
