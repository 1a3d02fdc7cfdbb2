//! Retrieval quality, measured: recall@1/5/10 and MRR@10 per question style, counted over passages (the
//! rank of the first passage from an expected post) and over distinct posts (the rank of the first
//! expected post once each post counts once), with the time per query; and how well the top score tells
//! answerable questions from unanswerable ones (balanced accuracy, threshold chosen on the tuning half).

use crate::stats::quantile;
use std::collections::BTreeMap;
use std::time::Instant;
use twin_index::{Feedback, Hit, PackedIndex, QueryOptions};
use twin_shared::{AnswerableQuestion, Coverage, UnanswerableQuestion};

/// Passages fetched per question (enough for distinct-post ranks to 10).
const FETCH: usize = 50;

/// Recall and MRR of one group of questions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Row {
    pub group: String,
    pub n: usize,
    pub passages: Ranks,
    pub posts: Ranks,
    /// Median milliseconds per query.
    pub query_ms_p50: f64,
}

/// Recall@1/5/10 and MRR@10.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Ranks {
    pub recall_1: f64,
    pub recall_5: f64,
    pub recall_10: f64,
    pub mrr_10: f64,
}

fn ranks(found: &[Option<usize>]) -> Ranks {
    let n = found.len().max(1) as f64;
    let within = |k: usize| found.iter().filter(|r| r.is_some_and(|r| r < k)).count() as f64 / n;
    Ranks {
        recall_1: within(1),
        recall_5: within(5),
        recall_10: within(10),
        mrr_10: found
            .iter()
            .map(|r| {
                r.filter(|r| *r < 10)
                    .map_or(0.0, |r| 1.0 / (r as f64 + 1.0))
            })
            .sum::<f64>()
            / n,
    }
}

/// Where one question found its expected post (passage and post ranks), and how long the search took.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub style: String,
    /// 0-based rank of the first passage from an expected post.
    pub passage_rank: Option<usize>,
    /// 0-based rank of the first expected post among distinct posts.
    pub post_rank: Option<usize>,
    pub ms: f64,
}

/// Ranks of the expected posts in `hits`.
pub fn outcome(slugs: &[String], hits: &[Hit]) -> (Option<usize>, Option<usize>) {
    let passage = hits.iter().position(|h| slugs.contains(&h.slug));
    let mut distinct: Vec<&str> = Vec::new();
    for h in hits {
        if !distinct.contains(&h.slug.as_str()) {
            distinct.push(&h.slug);
        }
    }
    let post = distinct.iter().position(|s| slugs.iter().any(|x| x == s));
    (passage, post)
}

/// A retriever: the top `k` passages for a question, or an error naming it.
pub type Search<'a> = dyn Fn(&str, usize) -> Result<Vec<Hit>, String> + 'a;

/// Searches every question and records where its posts ranked.
pub fn measure(questions: &[AnswerableQuestion], search: &Search) -> Result<Vec<Found>, String> {
    questions
        .iter()
        .map(|q| {
            let t = Instant::now();
            let hits = search(&q.question, FETCH)?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let (passage_rank, post_rank) = outcome(&q.slugs, &hits);
            Ok(Found {
                style: q.style().to_string(),
                passage_rank,
                post_rank,
                ms,
            })
        })
        .collect()
}

/// Rows per style and one for all, in style order.
pub fn rows(outcomes: &[Found]) -> Vec<Row> {
    let mut groups: BTreeMap<String, Vec<&Found>> = BTreeMap::new();
    for o in outcomes {
        groups.entry(o.style.clone()).or_default().push(o);
    }
    groups.insert("all".into(), outcomes.iter().collect());
    groups
        .into_iter()
        .map(|(group, os)| Row {
            n: os.len(),
            passages: ranks(&os.iter().map(|o| o.passage_rank).collect::<Vec<_>>()),
            posts: ranks(&os.iter().map(|o| o.post_rank).collect::<Vec<_>>()),
            query_ms_p50: quantile(&os.iter().map(|o| o.ms).collect::<Vec<_>>(), 0.5)
                .unwrap_or(0.0),
            group,
        })
        .collect()
}

/// The search the shipped index does. A search error is an error naming the question, not a miss.
pub fn bm25(index: &PackedIndex) -> impl Fn(&str, usize) -> Result<Vec<Hit>, String> + '_ {
    bm25_with(index, QueryOptions::SHIPPED)
}

/// BM25 with the query-side options given.
pub fn bm25_with(
    index: &PackedIndex,
    options: QueryOptions,
) -> impl Fn(&str, usize) -> Result<Vec<Hit>, String> + '_ {
    move |q, k| {
        index
            .search_with(q, k, &options)
            .map_err(|e| format!("searching {q:?} failed: {e}"))
    }
}

/// One retriever's rows on both halves.
#[derive(serde::Serialize)]
pub struct Compared {
    pub name: String,
    pub shipped: bool,
    pub heldout: Vec<Row>,
    pub tune: Vec<Row>,
}

/// The query-side variants `twin eval retrieval` compares, by name.
pub fn variants() -> Vec<(&'static str, QueryOptions)> {
    let plain = QueryOptions::PLAIN;
    let rm3 = |passages, terms, weight| {
        Some(Feedback {
            passages,
            terms,
            weight,
        })
    };
    vec![
        ("BM25, nothing added", plain),
        (
            "+ other spellings",
            QueryOptions {
                spelling: true,
                ..plain
            },
        ),
        (
            "+ typo correction",
            QueryOptions {
                typos: true,
                ..plain
            },
        ),
        (
            "+ RM3 (3 passages, 10 terms, weight 0.3)",
            QueryOptions {
                feedback: rm3(3, 10, 0.3),
                ..plain
            },
        ),
        (
            "+ RM3 (5 passages, 20 terms, weight 0.5)",
            QueryOptions {
                feedback: rm3(5, 20, 0.5),
                ..plain
            },
        ),
        (
            "+ spellings + typos",
            QueryOptions {
                spelling: true,
                typos: true,
                feedback: None,
                synonyms: None,
            },
        ),
        (
            "+ spellings + typos + RM3 (3, 10, 0.3)",
            QueryOptions {
                spelling: true,
                typos: true,
                feedback: rm3(3, 10, 0.3),
                synonyms: None,
            },
        ),
    ]
}

pub use twin_index::coverage::{balanced_accuracy, best_threshold, floor_keeping};

/// The share of a group of questions at each coverage level.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct LevelShares {
    pub n: usize,
    pub covered: f64,
    pub thin: f64,
    pub none: f64,
}

impl LevelShares {
    pub fn of(levels: impl Iterator<Item = Coverage>) -> LevelShares {
        let levels: Vec<Coverage> = levels.collect();
        let n = levels.len();
        let share =
            |c: Coverage| levels.iter().filter(|l| **l == c).count() as f64 / n.max(1) as f64;
        LevelShares {
            n,
            covered: share(Coverage::Covered),
            thin: share(Coverage::Thin),
            none: share(Coverage::None),
        }
    }
}

/// A coverage signal's separation: threshold fitted on the tuning half, balanced accuracy on both halves.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Separation {
    pub threshold: f64,
    pub tune: f64,
    pub heldout: f64,
}

/// Fits a threshold on the tuning half's signals and reports it on the held-out half.
pub fn separation(
    signal: &dyn Fn(&str) -> f64,
    tune: (&[AnswerableQuestion], &[UnanswerableQuestion]),
    heldout: (&[AnswerableQuestion], &[UnanswerableQuestion]),
) -> Separation {
    let values = |a: &[AnswerableQuestion], u: &[UnanswerableQuestion]| {
        (
            a.iter().map(|q| signal(&q.question)).collect::<Vec<_>>(),
            u.iter().map(|q| signal(&q.question)).collect::<Vec<_>>(),
        )
    };
    let (ta, tu) = values(tune.0, tune.1);
    let (ha, hu) = values(heldout.0, heldout.1);
    let threshold = best_threshold(&ta, &tu);
    Separation {
        threshold,
        tune: balanced_accuracy(&ta, &tu, threshold),
        heldout: balanced_accuracy(&ha, &hu, threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_count_recall_and_reciprocal_rank() {
        let r = ranks(&[Some(0), Some(3), Some(7), None]);
        assert_eq!((r.recall_1, r.recall_5, r.recall_10), (0.25, 0.5, 0.75));
        assert!((r.mrr_10 - (1.0 + 0.25 + 0.125) / 4.0).abs() < 1e-9);
        assert_eq!(ranks(&[Some(12)]).mrr_10, 0.0);
    }
}
