//! How well the retrieved passages cover a question: `covered`, `thin` or `none`, which the worker sends
//! with the sources and tells the model, so a question the author never wrote about gets "I haven't
//! written about that" rather than a weak passage stretched to fit.
//!
//! Each passage is judged by two signals, both measured by `twin eval retrieval` (thresholds fitted on
//! the tuning half, balanced accuracy reported on the held-out half): its BM25 score, and its *matched idf
//! share* (of the question's terms weighted by rarity, the share the passage contains; a term the corpus
//! never uses weighs the most). The raw score separates best, but it grows with question length, so a
//! short covered question ("Do you grow potatoes?") scores low; the share is length-free but marks long,
//! chatty questions (many words the corpus never uses) as uncovered. A passage covers nothing only when
//! *both* say so. A third signal, the top score over the question's attainable score
//! ([`crate::PackedIndex::coverage_ratio`]), separated worst and is measured only.
//!
//! `none` is kept rare on purpose: a question wrongly marked `none` loses its sources and gets a refusal,
//! while a question wrongly marked `covered` still reaches a model told to say when the passages do not
//! answer it. So each `none` threshold keeps [`NONE_KEEPS`] of the tuning half's answerable questions
//! above it; `covered` is the score's balanced-accuracy threshold. The score's scale depends on the
//! corpus, so these are this blog's thresholds; `twin eval retrieval` prints the fit for any `content/`.

use crate::{Hit, IndexError, query};
use tantivy::Searcher;
use twin_shared::Coverage;

/// A passage scoring below this *and* matching less than [`NONE_SHARE_BELOW`] covers nothing worth
/// showing (fitted on the tuning half; see the module doc).
pub const NONE_BELOW: f32 = 8.0;
/// See [`NONE_BELOW`].
pub const NONE_SHARE_BELOW: f32 = 0.39;
/// A top score at or above this covers the question (fitted on the tuning half).
pub const COVERED_AT: f32 = 9.2;
/// The share of the tuning half's answerable questions the `none` threshold keeps above it.
pub const NONE_KEEPS: f64 = 0.95;

/// The coverage a passage with this BM25 score and matched idf share gives.
pub fn level(score: f32, share: f32) -> Coverage {
    if score >= COVERED_AT {
        Coverage::Covered
    } else if score >= NONE_BELOW || share >= NONE_SHARE_BELOW {
        Coverage::Thin
    } else {
        Coverage::None
    }
}

/// A question's coverage from its passages' levels: the best of them, `none` without passages.
pub fn best(levels: &[Coverage]) -> Coverage {
    let rank = |c: &Coverage| match c {
        Coverage::Covered => 2,
        Coverage::Thin => 1,
        Coverage::None => 0,
    };
    levels
        .iter()
        .copied()
        .max_by_key(rank)
        .unwrap_or(Coverage::None)
}

/// The matched idf share of a passage: of the question's terms weighted by idf, the share it contains.
fn share(weights: &[(String, f32)], passage_terms: &[String]) -> f32 {
    let total: f32 = weights.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let matched: f32 = weights
        .iter()
        .filter(|(t, _)| passage_terms.iter().any(|p| p == t))
        .map(|(_, w)| w)
        .sum();
    matched / total
}

/// Each analysed term of a hit's title, headings and body.
fn hit_terms(hit: &Hit) -> Vec<String> {
    let mut analyzer = crate::schema::analyzer();
    let mut terms = Vec::new();
    for text in [&hit.title, &hit.headings, &hit.text] {
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
    }
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// Each question term with its idf in the field where it is most common; a term the corpus never uses
/// gets the highest idf.
pub(crate) fn term_weights(
    searcher: &Searcher,
    fields: &crate::schema::Fields,
    question: &str,
) -> Result<Vec<(String, f32)>, IndexError> {
    let n = searcher.num_docs() as f32;
    query::question_terms(question)
        .into_iter()
        .map(|term| {
            let mut df = 0u64;
            for (field, _) in fields.boosted() {
                df = df.max(searcher.doc_freq(&tantivy::Term::from_field_text(field, &term))?);
            }
            let df = df as f32;
            Ok((term, (1.0 + (n - df + 0.5) / (df + 0.5)).ln()))
        })
        .collect()
}

/// The matched idf share of one hit.
pub(crate) fn hit_share(weights: &[(String, f32)], hit: &Hit) -> f32 {
    share(weights, &hit_terms(hit))
}

/// The best matched idf share among the hits; 0 without hits.
pub(crate) fn best_share(weights: &[(String, f32)], hits: &[Hit]) -> f32 {
    hits.iter()
        .map(|h| hit_share(weights, h))
        .fold(0.0, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_rise_with_the_score_and_the_share_saves_short_questions() {
        assert_eq!(level(0.0, 0.0), Coverage::None);
        assert_eq!(
            level(NONE_BELOW - 0.01, NONE_SHARE_BELOW - 0.01),
            Coverage::None
        );
        assert_eq!(level(NONE_BELOW, 0.0), Coverage::Thin);
        assert_eq!(
            level(1.0, NONE_SHARE_BELOW),
            Coverage::Thin,
            "short and matched"
        );
        assert_eq!(level(COVERED_AT, 0.0), Coverage::Covered);
        assert_eq!(best(&[]), Coverage::None);
        assert_eq!(
            best(&[Coverage::None, Coverage::Covered, Coverage::Thin]),
            Coverage::Covered
        );
    }

    #[test]
    fn the_share_weighs_rare_terms_most() {
        let weights: Vec<(String, f32)> = [("sourdough", 3.0), ("pizza", 5.0), ("recip", 1.0)]
            .iter()
            .map(|(t, w)| (t.to_string(), *w))
            .collect();
        let terms = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let s = share(&weights, &terms(&["sourdough", "recip", "loaf"]));
        assert!((s - 4.0 / 9.0).abs() < 1e-6, "{s}");
        assert_eq!(
            share(&weights, &terms(&["sourdough", "pizza", "recip"])),
            1.0
        );
        assert_eq!(share(&[], &terms(&["a"])), 0.0);
        assert_eq!(best_share(&weights, &[]), 0.0);
    }
}
