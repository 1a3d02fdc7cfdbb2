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

/// The value below which at most `1 - keep` of `values` fall (the `none` cut's fit, as `twin eval
/// retrieval` makes it).
fn floor_keeping(values: &mut [f32], keep: f64) -> f32 {
    values.sort_by(f32::total_cmp);
    let drop = ((1.0 - keep) * values.len() as f64).floor() as usize;
    values[drop]
}

#[test]
fn coverage_thresholds_are_the_tuning_half_fit_and_separate_it() {
    use twin_index::coverage::{self, NONE_BELOW, NONE_KEEPS, NONE_SHARE_BELOW};
    use twin_shared::Coverage;
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    let c = read_content(&content);
    let index =
        PackedIndex::open_vec(build_blob(&c.passages, &mut |_| {}).expect("build")).expect("open");
    let eval = EvalSet::read(&content.join("eval")).expect("eval set");
    let judge = |q: &str| {
        let hits = index.search(q, 5).expect("search");
        let top = hits.first().map_or(0.0, |h| h.score);
        let share = index.coverage_share(q, &hits).expect("share");
        let level = coverage::best(&index.coverage_levels(q, &hits).expect("levels"));
        (top, share, level)
    };
    let answerable: Vec<_> = eval.answerable.iter().map(|q| judge(&q.question)).collect();
    let mut tops: Vec<f32> = answerable.iter().map(|a| a.0).collect();
    let mut shares: Vec<f32> = answerable.iter().map(|a| a.1).collect();
    let (fit_top, fit_share) = (
        floor_keeping(&mut tops, NONE_KEEPS),
        floor_keeping(&mut shares, NONE_KEEPS),
    );
    println!("fitted: none below {fit_top:.3} and share below {fit_share:.3}");
    assert!(
        (fit_top - NONE_BELOW).abs() < 0.1 && (fit_share - NONE_SHARE_BELOW).abs() < 0.02,
        "the shipped thresholds ({NONE_BELOW}, {NONE_SHARE_BELOW}) are no longer the tuning half's fit \
         ({fit_top:.3}, {fit_share:.3}): refit with `twin eval retrieval`"
    );
    let none = |levels: &[Coverage]| {
        levels.iter().filter(|l| **l == Coverage::None).count() as f64 / levels.len() as f64
    };
    let kept = none(&answerable.iter().map(|a| a.2).collect::<Vec<_>>());
    let caught = none(
        &eval
            .unanswerable
            .iter()
            .map(|q| judge(&q.question).2)
            .collect::<Vec<_>>(),
    );
    println!("tuning half marked none: answerable {kept:.2}, unanswerable {caught:.2}");
    assert!(kept <= 1.0 - NONE_KEEPS, "{kept}");
    assert!(caught >= 0.5, "{caught}");
}
