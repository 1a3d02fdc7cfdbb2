//! Pseudo-relevance feedback, RM3-style: the first search's top passages stand in for "relevant", the
//! terms they share (weighted by each passage's share of the score, and by rarity so the blog's everyday
//! words do not win) are added to the question, weighted down, and the search runs again. It finds posts
//! that use the author's words for what the reader said in their own.

use crate::query::{Clause, Feedback};
use crate::schema::analyzer;
use std::collections::HashMap;

/// The expansion terms for `passages` (each with its first-search score), excluding the question's own
/// terms and their alternatives, with weights summing to `feedback.weight` × the number of question terms.
pub(crate) fn terms(
    passages: &[(f32, String)],
    question: &[Clause],
    feedback: &Feedback,
    idf: &dyn Fn(&str) -> f32,
) -> Vec<(String, f32)> {
    let total: f32 = passages.iter().map(|(s, _)| s.max(0.0)).sum();
    if total <= 0.0 || feedback.terms == 0 {
        return Vec::new();
    }
    let own = |t: &str| {
        question
            .iter()
            .any(|c| c.term == t || c.alternatives.iter().any(|(a, _)| a == t))
    };
    let mut relevance: HashMap<String, f32> = HashMap::new();
    let mut analyzer = analyzer();
    for (score, text) in passages {
        let mut counts: HashMap<String, f32> = HashMap::new();
        let mut len = 0.0f32;
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            len += 1.0;
            *counts.entry(stream.token().text.clone()).or_default() += 1.0;
        }
        if len == 0.0 {
            continue;
        }
        for (t, tf) in counts {
            *relevance.entry(t).or_default() += tf / len * score.max(0.0) / total;
        }
    }
    let mut ranked: Vec<(String, f32)> = relevance
        .into_iter()
        .filter(|(t, _)| !own(t) && !t.chars().all(|c| c.is_ascii_digit()))
        .map(|(t, p)| {
            let w = p * idf(&t);
            (t, w)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(feedback.terms);
    let sum: f32 = ranked.iter().map(|(_, w)| w).sum();
    if sum <= 0.0 {
        return Vec::new();
    }
    let budget = feedback.weight * question.len() as f32;
    ranked
        .into_iter()
        .map(|(t, w)| (t, budget * w / sum))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_rare_terms_are_added_and_the_question_is_not() {
        let passages = vec![
            (
                2.0,
                "The leaven rose overnight; the leaven smelt of apples.".to_string(),
            ),
            (1.0, "A leaven needs flour and water.".to_string()),
        ];
        let question = vec![Clause {
            term: "appl".into(),
            alternatives: vec![],
        }];
        let fb = Feedback {
            passages: 2,
            terms: 2,
            weight: 0.5,
        };
        let idf = |t: &str| if t == "flour" { 0.1 } else { 2.0 };
        let got = terms(&passages, &question, &fb, &idf);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "leaven", "{got:?}");
        assert!(got.iter().all(|(t, _)| t != "appl"), "{got:?}");
        let sum: f32 = got.iter().map(|(_, w)| w).sum();
        assert!((sum - 0.5).abs() < 1e-5, "{sum}");
        assert!(terms(&[], &question, &fb, &idf).is_empty());
    }
}
