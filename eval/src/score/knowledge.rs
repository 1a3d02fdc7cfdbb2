//! Knowledge: how many of a question's expected facts an answer states, and whether a retrieval backend
//! showed the post that holds them. Model-free: a fact counts as stated when every number in it (with its
//! unit) appears in the answer and most of its content words do, after normalising both sides.

use crate::normalize::{is_numeric, is_unit, stem, stems, tokens};
use std::collections::HashSet;

/// Share of a fact's content words (stemmed) that must appear in the answer.
pub const CONTENT_SHARE: f64 = 0.6;

/// Words that carry no content when matching a fact: articles, pronouns (facts say "she", answers "I"),
/// auxiliaries and common prepositions.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "with",
    "from", "into", "as", "is", "are", "was", "were", "be", "been", "it", "its", "it's", "this",
    "that", "these", "those", "she", "her", "hers", "he", "his", "i", "me", "my", "mine", "we",
    "our", "you", "your", "they", "their", "them", "had", "has", "have", "do", "does", "did", "so",
    "than", "then", "there", "which", "who", "what", "when", "where", "how", "not", "no", "own",
    "up", "out", "about", "after", "before", "over", "under", "all", "each", "every", "some",
    "one", "just", "only", "very", "would", "could", "should", "will", "can", "may", "while",
    "because", "if",
];

/// One answer's knowledge score.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Knowledge {
    /// Per expected fact, whether the answer states it.
    pub stated: Vec<bool>,
    /// Share of facts stated, in [0, 1].
    pub score: f64,
}

/// Whether `answer` states `fact`.
pub fn fact_stated(fact: &str, answer: &str) -> bool {
    let answer_tokens = tokens(answer);
    let answer_stems: HashSet<String> = answer_tokens.iter().map(|t| stem(t)).collect();
    fact_in(fact, &answer_tokens, &answer_stems)
}

fn fact_in(fact: &str, answer_tokens: &[String], answer_stems: &HashSet<String>) -> bool {
    let fact_tokens = tokens(fact);
    // Every number must be there, followed by the same unit when the fact gives one.
    for (i, t) in fact_tokens.iter().enumerate() {
        if !is_numeric(t) {
            continue;
        }
        let unit = fact_tokens.get(i + 1).filter(|u| is_unit(u));
        let found = answer_tokens
            .iter()
            .enumerate()
            .any(|(j, a)| a == t && unit.is_none_or(|u| answer_tokens.get(j + 1) == Some(u)));
        if !found {
            return false;
        }
    }
    let content: Vec<String> = fact_tokens
        .iter()
        .filter(|t| !is_numeric(t) && !is_unit(t) && !STOP_WORDS.contains(&t.as_str()))
        .map(|t| stem(t))
        .collect();
    if content.is_empty() {
        return true;
    }
    let present = content.iter().filter(|c| answer_stems.contains(*c)).count();
    present as f64 / content.len() as f64 >= CONTENT_SHARE
}

/// Scores an answer against the expected facts. No facts: a score of 0 with nothing stated (the caller
/// decides whether such a question is scored at all).
pub fn knowledge(facts: &[String], answer: &str) -> Knowledge {
    let answer_tokens = tokens(answer);
    let answer_stems: HashSet<String> = stems(answer).into_iter().collect();
    let stated: Vec<bool> = facts
        .iter()
        .map(|f| fact_in(f, &answer_tokens, &answer_stems))
        .collect();
    let score = if stated.is_empty() {
        0.0
    } else {
        stated.iter().filter(|s| **s).count() as f64 / stated.len() as f64
    };
    Knowledge { stated, score }
}

/// Whether any of the answer's source slugs is one of the expected slugs.
pub fn source_hit(expected: &[String], source_slugs: &[String]) -> bool {
    source_slugs.iter().any(|s| expected.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(f: &[&str]) -> Vec<String> {
        f.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_grounded_answer_scores_high() {
        let f = facts(&["18 µA in deep sleep", "about 0.4 mA on average"]);
        let a = "Grey morning. In deep sleep it draws eighteen microamps, and averaged over a day it \
                 comes to roughly 0.4 mA.";
        let k = knowledge(&f, a);
        assert_eq!(k.stated, [true, true]);
        assert_eq!(k.score, 1.0);
    }

    #[test]
    fn paraphrase_pronouns_and_spelling_still_count() {
        assert!(fact_stated(
            "she wanted numbers from her own roof",
            "I wanted the numbers from my own roof, not a hill eleven miles away."
        ));
        assert!(fact_stated(
            "the mast is a length of driftwood from the beach",
            "The mast is driftwood I found on the beach."
        ));
        assert!(fact_stated(
            "it read 31 °C while she wore a jumper",
            "It read 31 degrees while I wore a jumper."
        ));
    }

    #[test]
    fn wrong_numbers_and_unrelated_text_score_low() {
        let f = facts(&["18 µA in deep sleep", "about 0.4 mA on average"]);
        assert_eq!(
            knowledge(&f, "It draws 25 µA in deep sleep and 2 mA on average.").score,
            0.0
        );
        assert_eq!(
            knowledge(&f, "Great question! Power budgets depend on many factors.").score,
            0.0
        );
        assert!(!fact_stated("six weeks", "It lasted six months."));
        assert!(!fact_stated(
            "every five minutes",
            "It sends a reading every fifteen minutes."
        ));
        assert!(!fact_stated(
            "acrylic conformal coating",
            "I painted the box white."
        ));
    }

    #[test]
    fn a_number_needs_its_unit() {
        assert!(!fact_stated("18 µA in deep sleep", "18 mA in deep sleep"));
        assert!(fact_stated("18 µA in deep sleep", "18µA in deep sleep"));
    }

    #[test]
    fn partial_answers_score_in_between() {
        let f = facts(&["ESP32-C3", "BME280"]);
        assert_eq!(knowledge(&f, "An ESP32-C3 board.").score, 0.5);
        assert_eq!(knowledge(&[], "anything").score, 0.0);
    }

    #[test]
    fn source_hits_need_an_expected_slug() {
        let want = facts(&["driftwood-salt-air"]);
        assert!(source_hit(
            &want,
            &facts(&["sourdough-five-failures", "driftwood-salt-air"])
        ));
        assert!(!source_hit(&want, &facts(&["driftwood-power-budget"])));
        assert!(!source_hit(&want, &[]));
    }
}
