//! Retrieval quality on the demo corpus: recall@5 and MRR over `content/eval/answerable.toml`.
//! Fails below recall@5 = 0.9; prints both numbers and every miss.
#![cfg(all(feature = "ingest", not(target_arch = "wasm32")))]

use std::path::PathBuf;
use twin_index::PackedIndex;
use twin_index::build::build_blob;
use twin_index::ingest::read_content;
use twin_shared::EvalSet;

const MIN_RECALL_AT_5: f64 = 0.9;

#[test]
fn recall_at_5_and_mrr_on_the_eval_set() {
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    let c = read_content(&content);
    assert!(
        c.diagnostics.is_empty(),
        "content problems: {:?}",
        c.diagnostics
    );
    let index =
        PackedIndex::open_vec(build_blob(&c.passages, &mut |_| {}).expect("build")).expect("open");
    let eval = EvalSet::read(&content.join("eval")).expect("eval set");
    assert!(eval.answerable.len() >= 30);

    let (mut hits5, mut rr_sum) = (0usize, 0f64);
    for q in &eval.answerable {
        let top = index.search(&q.question, 10).expect("search");
        let rank = top.iter().position(|h| q.slugs.contains(&h.slug));
        if let Some(r) = rank {
            rr_sum += 1.0 / (r as f64 + 1.0);
            if r < 5 {
                hits5 += 1;
                continue;
            }
        }
        let got: Vec<&str> = top.iter().take(5).map(|h| h.slug.as_str()).collect();
        println!(
            "miss: {:?} wants {:?}, rank {:?}, top 5 {:?}",
            q.question,
            q.slugs,
            rank.map(|r| r + 1),
            got
        );
    }
    let n = eval.answerable.len() as f64;
    let recall = hits5 as f64 / n;
    let mrr = rr_sum / n;
    println!("retrieval over {n} questions: recall@5 = {recall:.3}, MRR@10 = {mrr:.3}");
    assert!(
        recall >= MIN_RECALL_AT_5,
        "recall@5 {recall:.3} is below {MIN_RECALL_AT_5}"
    );
}

#[test]
fn coverage_thresholds_are_the_tuning_half_fit() {
    use twin_index::coverage::{
        COVERED_AT, NONE_BELOW, NONE_KEEPS, NONE_SHARE_BELOW, best_threshold, floor_keeping,
    };
    use twin_shared::Coverage;
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    let c = read_content(&content);
    let index =
        PackedIndex::open_vec(build_blob(&c.passages, &mut |_| {}).expect("build")).expect("open");
    let eval = EvalSet::read(&content.join("eval")).expect("eval set");
    // (top score, best matched share, level) of a question, as the worker judges it.
    let judge = |q: &str| {
        let hits = index.search(q, 5).expect("search");
        let top = f64::from(hits.first().map_or(0.0, |h| h.score));
        let share = f64::from(index.coverage_share(q, &hits).expect("share"));
        let level = Coverage::best(&index.coverage_levels(q, &hits).expect("levels"));
        (top, share, level)
    };
    let judged = |qs: Vec<&str>| qs.into_iter().map(judge).collect::<Vec<_>>();
    let tune_a = judged(
        eval.answerable
            .iter()
            .map(|q| q.question.as_str())
            .collect(),
    );
    let tune_u = judged(
        eval.unanswerable
            .iter()
            .map(|q| q.question.as_str())
            .collect(),
    );
    let tops = |v: &[(f64, f64, Coverage)]| v.iter().map(|x| x.0).collect::<Vec<_>>();
    let shares: Vec<f64> = tune_a.iter().map(|x| x.1).collect();
    let fit = (
        floor_keeping(&tops(&tune_a), NONE_KEEPS),
        floor_keeping(&shares, NONE_KEEPS),
        best_threshold(&tops(&tune_a), &tops(&tune_u)),
    );
    println!(
        "fitted on the tuning half: none below {:.3} and share below {:.3}, covered at {:.3}",
        fit.0, fit.1, fit.2
    );
    let shipped = (
        f64::from(NONE_BELOW),
        f64::from(NONE_SHARE_BELOW),
        f64::from(COVERED_AT),
    );
    assert!(
        (fit.0 - shipped.0).abs() < 0.1
            && (fit.1 - shipped.1).abs() < 0.02
            && (fit.2 - shipped.2).abs() < 0.1,
        "the shipped thresholds {shipped:?} are no longer the tuning half's fit {fit:?}: refit with `twin eval retrieval`"
    );
    // What the levels do on the held-out half, which never tuned them: a guard against a change that
    // hides real answers, not a target.
    let none = |v: &[(f64, f64, Coverage)]| {
        v.iter().filter(|x| x.2 == Coverage::None).count() as f64 / v.len() as f64
    };
    let held_a = judged(
        eval.heldout_answerable
            .iter()
            .map(|q| q.question.as_str())
            .collect(),
    );
    let held_u = judged(
        eval.heldout_unanswerable
            .iter()
            .map(|q| q.question.as_str())
            .collect(),
    );
    println!(
        "marked none: tuning answerable {:.2}, unanswerable {:.2}; held out answerable {:.2}, unanswerable {:.2}",
        none(&tune_a),
        none(&tune_u),
        none(&held_a),
        none(&held_u)
    );
    assert!(
        none(&tune_u) >= 0.5,
        "the tuning half's unanswerable questions are mostly caught"
    );
    assert!(
        none(&held_a) <= 0.1,
        "at most one held-out answerable question in ten loses its sources"
    );
    assert!(
        none(&held_u) > 0.0,
        "the held-out half's off-topic questions are caught"
    );
}
