//! What the scorers compare answers with: the author's corpus (its vocabulary for unsupported specifics,
//! its style for voice, its URLs for source slugs) and the neutral reference text.

use crate::score::hallucination::Vocabulary;
use crate::score::voice::{VoiceModel, signature_phrases};
use std::collections::HashMap;
use std::path::Path;
use twin_index::Passage;
use twin_index::ingest::read_content;

/// Generic assistant-style answers on the blog's topics (`eval/data/neutral.md`): the voice score's
/// neutral pole.
pub const NEUTRAL: &str = include_str!("../data/neutral.md");

/// The neutral reference as separate answers (split at `---` lines, the leading comment dropped).
pub fn neutral_texts() -> Vec<&'static str> {
    NEUTRAL
        .split("\n---")
        .map(|t| {
            let t = t.trim();
            match t.strip_prefix("<!--").and_then(|r| r.split_once("-->")) {
                Some((_, rest)) => rest.trim(),
                None => t,
            }
        })
        .filter(|t| !t.is_empty())
        .collect()
}

/// The author's corpus, ready for scoring.
pub struct Corpus {
    pub vocab: Vocabulary,
    pub voice: VoiceModel,
    slugs_by_url: HashMap<String, String>,
}

fn without_fragment(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

impl Corpus {
    /// Reads `content/` (posts, social posts, about page and `persona.md`); content problems are an error
    /// naming the first few.
    pub fn load(content: &Path) -> Result<Corpus, String> {
        let c = read_content(content);
        if !c.diagnostics.is_empty() {
            let first: Vec<String> = c
                .diagnostics
                .iter()
                .take(3)
                .map(|d| d.to_string())
                .collect();
            return Err(format!(
                "{} has {} problem(s); run `twin index --check`: {}",
                content.display(),
                c.diagnostics.len(),
                first.join("; ")
            ));
        }
        let persona_path = content.join("persona.md");
        let persona = std::fs::read_to_string(&persona_path)
            .map_err(|e| format!("{}: cannot read: {e}", persona_path.display()))?;
        Ok(Corpus::new(&c.passages, &persona))
    }

    /// Builds the corpus from passages and the persona text.
    pub fn new(passages: &[Passage], persona: &str) -> Corpus {
        let texts = passages
            .iter()
            .flat_map(|p| [p.title.as_str(), p.text.as_str()]);
        let author: Vec<&str> = passages.iter().map(|p| p.text.as_str()).collect();
        Corpus {
            vocab: Vocabulary::new(texts),
            voice: VoiceModel::new(author, neutral_texts(), &signature_phrases(persona)),
            slugs_by_url: passages
                .iter()
                .map(|p| (without_fragment(&p.url).to_string(), p.slug.clone()))
                .collect(),
        }
    }

    /// The slug of the post a source links to (its URL without the `#anchor`).
    pub fn slug_for(&self, url: &str) -> Option<&str> {
        self.slugs_by_url
            .get(without_fragment(url))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_neutral_reference_splits_into_answers() {
        let t = neutral_texts();
        assert!(t.len() >= 30, "{}", t.len());
        assert!(
            t.iter()
                .all(|x| !x.starts_with("<!--") && !x.contains("\n---"))
        );
    }
}
