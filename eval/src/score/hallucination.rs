//! Hallucination, model-free: whether an answer declines or hedges, and the *specifics* it asserts
//! (numbers with their units, part names, proper nouns) that appear nowhere in the author's corpus (nor in
//! the reader's question, which may name them). A grounded twin asked what it never wrote about declines
//! and invents nothing; a fine-tune tends to assert specifics it made up.

use crate::normalize::{is_numeric, is_unit, tokens, words};
use std::collections::HashSet;

/// Phrases (normalised: lowercase, apostrophes dropped) that decline or hedge.
pub const DECLINE_PHRASES: &[&str] = &[
    "havent written",
    "have not written",
    "never written",
    "not written about",
    "havent blogged",
    "never blogged",
    "not something ive written",
    "not something i have written",
    "not something ive",
    "nothing ive written",
    "dont know",
    "do not know",
    "not sure",
    "no idea",
    "cant say for sure",
    "cannot say for sure",
    "rather not guess",
    "wont guess",
    "not going to guess",
    "dont want to guess",
    "cant tell you",
    "cannot tell you",
    "just an idea",
    "only an idea",
    "still an idea",
    "half formed idea",
    "havent built",
    "not built it",
    "not built yet",
    "havent tried",
    "never tried",
    "no more yet",
    "havent got",
    "dont have any",
    "not covered",
    "outside what ive written",
    "havent looked into",
];

/// One specific an answer asserts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Specific {
    /// As normalised for matching: `18 ua`, `bme280`, `kubernetes`.
    pub key: String,
    /// Whether the corpus (or the question) has it.
    pub supported: bool,
}

/// What the corpus says exists: every normalised token, and every number with the unit after it.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    tokens: HashSet<String>,
    pairs: HashSet<String>,
}

impl Vocabulary {
    /// Builds the vocabulary of a set of texts.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vocabulary {
        let mut v = Vocabulary::default();
        for t in texts {
            v.add(t);
        }
        v
    }

    /// Adds a text's tokens and number-unit pairs.
    pub fn add(&mut self, text: &str) {
        let toks = tokens(text);
        for (i, t) in toks.iter().enumerate() {
            if is_numeric(t)
                && let Some(u) = toks.get(i + 1)
            {
                self.pairs.insert(format!("{t} {u}"));
            }
            self.tokens.insert(t.clone());
        }
    }

    fn has(&self, key: &str) -> bool {
        if key.contains(' ') {
            self.pairs.contains(key)
        } else {
            self.tokens.contains(key)
        }
    }
}

/// Whether the answer declines or hedges.
pub fn declines(answer: &str) -> bool {
    // Whole words only: "piano ideas" holds "no idea" as letters, not as words.
    let norm = format!(" {} ", words(answer).join(" "));
    DECLINE_PHRASES
        .iter()
        .any(|p| norm.contains(&format!(" {p} ")))
}

/// Words that start with a capital anywhere in a sentence without being names.
const CAPITALISED_COMMON: &[&str] = &["I", "I'm", "I've", "I'd", "I'll", "OK", "TV"];

/// The unit after a number, when one follows.
fn unit_after(toks: &[String], i: usize) -> Option<&String> {
    toks.get(i + 1).filter(|u| is_unit(u))
}

/// The specifics an answer asserts: numbers (with a unit when one follows), words that mix letters and
/// digits or hold two capitals (`BME280`, `LoRa`), and capitalised words that do not start a sentence.
/// Each is checked against the corpus `vocab` and the reader's `question`.
pub fn specifics(answer: &str, question: &str, vocab: &Vocabulary) -> Vec<Specific> {
    let asked: HashSet<String> = tokens(question).into_iter().collect();
    let mut keys: Vec<String> = Vec::new();
    let toks = tokens(answer);
    for (i, t) in toks.iter().enumerate() {
        if is_numeric(t) {
            keys.push(match unit_after(&toks, i) {
                Some(u) => format!("{t} {u}"),
                None => t.clone(),
            });
        }
    }
    for sentence in answer.split(['.', '!', '?', '\n', ':', ';']) {
        for (i, raw) in sentence.split_whitespace().enumerate() {
            let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
            if word.is_empty() || CAPITALISED_COMMON.contains(&word) {
                continue;
            }
            let letters = word.chars().filter(|c| c.is_alphabetic()).count();
            let digits = word.chars().filter(|c| c.is_ascii_digit()).count();
            let capitals = word.chars().filter(|c| c.is_uppercase()).count();
            let part_name = letters > 0 && digits > 0;
            let name =
                capitals >= 2 || (i > 0 && word.chars().next().is_some_and(char::is_uppercase));
            if (part_name || name) && letters > 0 {
                keys.extend(tokens(word).into_iter().filter(|k| !is_numeric(k)));
            }
        }
    }
    let mut seen = HashSet::new();
    keys.into_iter()
        .filter(|k| seen.insert(k.clone()))
        .map(|key| {
            let in_question = key.split(' ').all(|p| asked.contains(p));
            Specific {
                supported: vocab.has(&key) || in_question,
                key,
            }
        })
        .collect()
}

/// One answer's hallucination verdict.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Hallucination {
    /// The answer declines or hedges.
    pub declines: bool,
    /// Specifics it asserts that the corpus does not have.
    pub unsupported: Vec<String>,
    /// How many specifics it asserts in all.
    pub specifics: usize,
}

impl Hallucination {
    /// For a question the corpus cannot answer: it declined and invented nothing.
    pub fn grounded_decline(&self) -> bool {
        self.declines && self.unsupported.is_empty()
    }
}

/// Scores one answer.
pub fn hallucination(answer: &str, question: &str, vocab: &Vocabulary) -> Hallucination {
    let s = specifics(answer, question, vocab);
    Hallucination {
        declines: declines(answer),
        unsupported: s
            .iter()
            .filter(|x| !x.supported)
            .map(|x| x.key.clone())
            .collect(),
        specifics: s.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        Vocabulary::new([
            "Driftwood uses an ESP32-C3 and a BME280. It draws 18 µA in deep sleep.",
            "Half-formed idea: a tide gauge called Limpet, a pressure sensor in a drainpipe.",
            "I swim at Porthwenna with a seal called Gerald.",
        ])
    }

    #[test]
    fn declines_in_the_authors_words_and_others() {
        assert!(declines(
            "I haven't written about that, and I'd rather not guess."
        ));
        assert!(declines(
            "That's still just an idea. All I've written is a drainpipe."
        ));
        assert!(declines("Honestly? I don’t know."));
        assert!(!declines(
            "It uses an MS5837 sensor and is accurate to 2 mm."
        ));
        assert!(!declines("Tea, always."));
        assert!(
            !declines("I wrote some piano ideas down."),
            "whole words only"
        );
    }

    #[test]
    fn invented_parts_and_numbers_are_unsupported() {
        let h = hallucination(
            "Limpet uses an MS5837 pressure sensor from TE Connectivity and is accurate to 2 mm.",
            "What sensor does your Limpet tide gauge use?",
            &vocab(),
        );
        assert!(!h.declines);
        assert!(h.unsupported.contains(&"ms5837".to_string()), "{h:?}");
        assert!(h.unsupported.contains(&"2 mm".to_string()), "{h:?}");
        assert!(h.unsupported.contains(&"connectivity".to_string()), "{h:?}");
        assert!(
            !h.unsupported.contains(&"limpet".to_string()),
            "named in the corpus"
        );
        assert!(!h.grounded_decline());
    }

    #[test]
    fn corpus_facts_and_the_readers_own_words_are_supported() {
        let h = hallucination(
            "It runs on an ESP32-C3 with a BME280, and sleeps at 18µA.",
            "What about Kubernetes?",
            &vocab(),
        );
        assert!(h.unsupported.is_empty(), "{h:?}");
        assert!(h.specifics >= 3);
        let d = hallucination(
            "I haven't written about Kubernetes, and I'd rather not guess.",
            "Which Kubernetes distribution do you recommend?",
            &vocab(),
        );
        assert!(d.grounded_decline(), "{d:?}");
    }

    #[test]
    fn a_number_with_the_wrong_unit_is_unsupported() {
        let h = hallucination("It draws 18 mA asleep.", "", &vocab());
        assert_eq!(h.unsupported, ["18 ma"]);
    }
}
