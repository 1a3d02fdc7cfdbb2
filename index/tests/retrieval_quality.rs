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
