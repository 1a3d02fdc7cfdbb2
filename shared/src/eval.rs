//! The eval sets in `content/eval/`: questions the corpus answers (with the posts and facts a good answer
//! has), questions it does not, and voice prompts. Retrieval tests and the backend eval both read them.

use crate::ContentError;
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

/// All three eval files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalSet {
    pub answerable: Vec<AnswerableQuestion>,
    pub unanswerable: Vec<UnanswerableQuestion>,
    pub voice: Vec<VoicePrompt>,
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
    /// Reads `answerable.toml`, `unanswerable.toml` and `voice.toml` from `dir`.
    pub fn read(dir: &Path) -> Result<EvalSet, ContentError> {
        let answerable: Questions<AnswerableQuestion> = read_toml(&dir.join("answerable.toml"))?;
        let unanswerable: Questions<UnanswerableQuestion> =
            read_toml(&dir.join("unanswerable.toml"))?;
        let voice: Prompts = read_toml(&dir.join("voice.toml"))?;
        let file = dir.join("answerable.toml").display().to_string();
        for (i, q) in answerable.question.iter().enumerate() {
            if q.slugs.is_empty() || !(1..=3).contains(&q.facts.len()) {
                return Err(ContentError::new(
                    &file,
                    0,
                    format!(
                        "question {} needs at least one slug and 1 to 3 facts",
                        i + 1
                    ),
                ));
            }
        }
        Ok(EvalSet {
            answerable: answerable.question,
            unanswerable: unanswerable.question,
            voice: voice.prompt,
        })
    }

    /// Every question and prompt text, for checking that none leaks into training data.
    pub fn all_texts(&self) -> impl Iterator<Item = &str> {
        self.answerable
            .iter()
            .map(|q| q.question.as_str())
            .chain(self.unanswerable.iter().map(|q| q.question.as_str()))
            .chain(self.voice.iter().map(|p| p.prompt.as_str()))
    }
}

fn read_toml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ContentError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ContentError::new(&file, 0, format!("cannot read: {e}")))?;
    toml::from_str(&text).map_err(|e| ContentError::from_toml(&file, &text, &e))
}
