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

use crate::Hit;
use crate::query::Clause;
use crate::search::idf;
use twin_shared::Coverage;

/// A passage scoring below this *and* matching less than [`NONE_SHARE_BELOW`] covers nothing worth
/// showing (fitted on the tuning half; see the module doc).
pub const NONE_BELOW: f32 = 8.0;
/// See [`NONE_BELOW`].
pub const NONE_SHARE_BELOW: f32 = 0.44;
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

/// Words by which a follow-up points back at the conversation ("how long did *that* take?").
/// Pronouns and demonstratives only: "there", "one" or "more" open questions that name their own
/// subject too ("Is there a football team you support?").
const REFERS_BACK: &[&str] = &[
    "it", "its", "that", "this", "those", "these", "they", "them", "their", "he", "him", "his",
    "she", "her", "then",
];

/// Whether a question leans on what came before it, so that its own words cannot say whether the blog
/// covers it: the worker then judges it together with the reader's previous question. A question that
/// names its own subject ("Which football team do you support?") is judged alone, even mid-conversation.
pub fn refers_back(question: &str) -> bool {
    question
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| REFERS_BACK.contains(&w.to_lowercase().as_str()))
}

/// One question term for the share: the term and the alternatives the query also matched it by
/// (another spelling, a typo's correction), and its idf.
pub(crate) struct Weighted {
    pub terms: Vec<String>,
    pub idf: f32,
}

/// The question's clauses weighted by idf (the rarest of a clause's spellings; a term the corpus never
/// uses gets the highest idf).
pub(crate) fn weights(clauses: &[Clause], n: u64, doc_freq: &dyn Fn(&str) -> u64) -> Vec<Weighted> {
    clauses
        .iter()
        .map(|c| {
            let terms: Vec<String> = std::iter::once(c.term.clone())
                .chain(c.alternatives.iter().map(|(t, _)| t.clone()))
                .collect();
            let df = terms.iter().map(|t| doc_freq(t)).max().unwrap_or(0);
            Weighted {
                terms,
                idf: idf(n, df),
            }
        })
        .collect()
}

/// The matched idf share of a passage: of the question's terms weighted by idf, the share it contains
/// (a term counts when the passage holds any of its spellings).
fn share(weights: &[Weighted], passage_terms: &[String]) -> f32 {
    let total: f32 = weights.iter().map(|w| w.idf).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let matched: f32 = weights
        .iter()
        .filter(|w| {
            w.terms
                .iter()
                .any(|t| passage_terms.binary_search(t).is_ok())
        })
        .map(|w| w.idf)
        .sum();
    matched / total
}

/// Each analysed term of a hit's title, headings and body, sorted.
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

/// The matched idf share of one hit.
pub(crate) fn hit_share(weights: &[Weighted], hit: &Hit) -> f32 {
    share(weights, &hit_terms(hit))
}

/// The best matched idf share among the hits; 0 without hits.
pub(crate) fn best_share(weights: &[Weighted], hits: &[Hit]) -> f32 {
    hits.iter()
        .map(|h| hit_share(weights, h))
        .fold(0.0, f32::max)
}

/// The threshold that keeps at least `keep` of `values` (a signal on answerable questions) at or above
/// it: how each `none` threshold is fitted, here and by `twin eval retrieval`.
pub fn floor_keeping(values: &[f64], keep: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let drop = ((1.0 - keep) * sorted.len() as f64).floor() as usize;
    sorted.get(drop).copied().unwrap_or(0.0)
}

/// Balanced accuracy of "covered when signal ≥ threshold" on answerable vs unanswerable questions.
pub fn balanced_accuracy(answerable: &[f64], unanswerable: &[f64], threshold: f64) -> f64 {
    let tpr = answerable.iter().filter(|s| **s >= threshold).count() as f64
        / answerable.len().max(1) as f64;
    let tnr = unanswerable.iter().filter(|s| **s < threshold).count() as f64
        / unanswerable.len().max(1) as f64;
    (tpr + tnr) / 2.0
}

/// The threshold with the best balanced accuracy on these questions (each observed value is a candidate).
pub fn best_threshold(answerable: &[f64], unanswerable: &[f64]) -> f64 {
    let mut best = (f64::NEG_INFINITY, 0.0);
    for t in answerable.iter().chain(unanswerable) {
        let acc = balanced_accuracy(answerable, unanswerable, *t);
        if acc > best.0 {
            best = (acc, *t);
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_separate_and_are_judged_on_the_other_half() {
        let a = [5.0, 6.0, 7.0];
        let u = [1.0, 2.0, 5.5];
        let t = best_threshold(&a, &u);
        assert!(balanced_accuracy(&a, &u, t) >= 5.0 / 6.0 - 1e-9);
        assert_eq!(balanced_accuracy(&a, &u, 100.0), 0.5);
        assert_eq!(balanced_accuracy(&[1.0], &[0.0], 0.5), 1.0);
    }

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
        assert_eq!(floor_keeping(&[3.0, 1.0, 2.0, 4.0], 0.75), 2.0);
        assert_eq!(floor_keeping(&[], 0.9), 0.0);
    }

    #[test]
    fn follow_ups_that_point_back_are_recognised() {
        assert!(refers_back("How long did that take?"));
        assert!(refers_back("Did it survive the winter?"));
        assert!(refers_back("What about THEM?"));
        assert!(!refers_back("Which football team do you support?"));
        assert!(!refers_back("Is there a football team you support?"));
        assert!(!refers_back(
            "What's one thing you'd change about your garden?"
        ));
        assert!(!refers_back("Tell me about Gerald"));
        assert!(!refers_back(""));
    }

    #[test]
    fn the_share_weighs_rare_terms_most_and_counts_other_spellings() {
        let w = |t: &[&str], idf: f32| Weighted {
            terms: t.iter().map(|s| s.to_string()).collect(),
            idf,
        };
        let terms = |t: &[&str]| {
            let mut v: Vec<String> = t.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        let weights = [
            w(&["sourdough"], 3.0),
            w(&["pizza"], 5.0),
            w(&["recip"], 1.0),
        ];
        let s = share(&weights, &terms(&["sourdough", "recip", "loaf"]));
        assert!((s - 4.0 / 9.0).abs() < 1e-6, "{s}");
        assert_eq!(
            share(&weights, &terms(&["sourdough", "pizza", "recip"])),
            1.0
        );
        let spelled = [w(&["color", "colour"], 2.0), w(&["bread"], 2.0)];
        assert_eq!(share(&spelled, &terms(&["bread", "colour"])), 1.0);
        assert_eq!(share(&[], &terms(&["a"])), 0.0);
        assert_eq!(best_share(&weights, &[]), 0.0);
    }
}
