//! `twin eval retrieval`: how well retrieval finds the passage, per question style, on the held-out half
//! of the eval set (and the tuning half beside it), and how well the top score tells covered questions
//! from uncovered ones. Builds the index from `content/` in memory, as `twin index` would.

use anyhow::{Context, bail};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use twin_eval::retrieval::{
    Compared, LevelShares, Row, bm25, bm25_with, floor_keeping, measure, rows, separation, variants,
};
use twin_index::build::build_blob;
use twin_index::ingest::read_content;
use twin_index::{PackedIndex, QueryOptions, coverage};
use twin_shared::Coverage;
use twin_shared::EvalSet;

#[derive(clap::Args)]
pub struct Args {
    /// The content folder.
    #[arg(long, default_value = "content")]
    content: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Also measure the dense baseline (all-MiniLM-L6-v2, fetched on first use by
    /// scripts/embedder.sh) and the BM25 + dense hybrid. Needs a build with `--features dense`.
    #[arg(long)]
    dense: bool,
    /// Also list the held-out questions BM25 as shipped misses (the expected post not among the top 5
    /// posts), with the words the query kept, so stemming and stop words can be checked against them.
    #[arg(long)]
    misses: bool,
    /// Also measure synonym expansion from WordNet (the `thesaurus` crate). Needs a build with
    /// `--features synonyms`.
    #[arg(long)]
    synonyms: bool,
}

/// BM25 as shipped plus WordNet synonyms, at two weights fixed before measuring (not tuned on either half).
#[cfg(feature = "synonyms")]
fn synonym_variants() -> Vec<(String, QueryOptions)> {
    // `thesaurus::synonyms` copies the whole dictionary on every call; copy it once.
    static DICT: std::sync::OnceLock<HashMap<String, Vec<String>>> = std::sync::OnceLock::new();
    fn wordnet(word: &str) -> Vec<String> {
        DICT.get_or_init(thesaurus::dict)
            .get(word)
            .cloned()
            .unwrap_or_default()
    }
    [(0.3, 3), (0.6, 5)]
        .into_iter()
        .map(|(weight, per_word)| {
            let options = QueryOptions {
                synonyms: Some(twin_index::Synonyms {
                    name: "wordnet",
                    lookup: wordnet,
                    weight,
                    per_word,
                }),
                ..QueryOptions::SHIPPED
            };
            (
                format!(
                    "+ spellings + typos + WordNet synonyms ({per_word} a word, weight {weight})"
                ),
                options,
            )
        })
        .collect()
}

/// Without the `synonyms` feature (refused up front in [`run`]).
#[cfg(not(feature = "synonyms"))]
fn synonym_variants() -> Vec<(String, QueryOptions)> {
    Vec::new()
}

/// The dense baseline's and the hybrid's rows.
#[cfg(feature = "dense")]
fn dense_rows(
    passages: &[twin_index::Passage],
    index: &PackedIndex,
    eval: &EvalSet,
) -> anyhow::Result<Vec<Compared>> {
    let dense = crate::eval_dense::Dense::build(passages)?;
    let alone = |q: &str, k: usize| dense.search(q, k);
    let hybrid = |q: &str, k: usize| dense.hybrid(index, q, k);
    let mut out = Vec::new();
    for (name, s) in [
        (
            "dense: all-MiniLM-L6-v2, cosine",
            &alone as &twin_eval::retrieval::Search,
        ),
        ("hybrid: BM25 (shipped) + dense, RRF k=60", &hybrid),
    ] {
        out.push(Compared {
            name: name.to_string(),
            shipped: false,
            heldout: rows(&measure(&eval.heldout_answerable, s).map_err(anyhow::Error::msg)?),
            tune: rows(&measure(&eval.answerable, s).map_err(anyhow::Error::msg)?),
        });
    }
    Ok(out)
}

/// Without the `dense` feature (refused up front in [`run`]).
#[cfg(not(feature = "dense"))]
fn dense_rows(
    _: &[twin_index::Passage],
    _: &PackedIndex,
    _: &EvalSet,
) -> anyhow::Result<Vec<Compared>> {
    bail!("built without the `dense` feature")
}

/// One line per retriever: the tuning half's recall@5 and MRR (posts), then the held-out half's overall
/// numbers and recall@5 over posts per style.
fn comparison(compared: &[Compared]) -> String {
    let styles: Vec<&str> = compared
        .first()
        .map(|c| {
            c.heldout
                .iter()
                .map(|r| r.group.as_str())
                .filter(|g| *g != "all")
                .collect()
        })
        .unwrap_or_default();
    let mut out = String::from(
        "Retrievers compared (tuning half: posts R@5 / MRR@10; held out: all questions, then posts R@5 per style)\n\n| retriever | tuning R@5 | tuning MRR | held-out R@1 | R@5 passages | R@5 posts | R@10 posts | MRR@10 posts |",
    );
    for s in &styles {
        out.push_str(&format!(" {s} |"));
    }
    out.push_str(" ms/query p50 |\n|---|---|---|---|---|---|---|---|");
    out.push_str(&"---|".repeat(styles.len() + 1));
    out.push('\n');
    let get = |rows: &[Row], g: &str| rows.iter().find(|r| r.group == g).cloned();
    for c in compared {
        let (Some(t), Some(h)) = (get(&c.tune, "all"), get(&c.heldout, "all")) else {
            continue;
        };
        let mark = if c.shipped { " (shipped)" } else { "" };
        out.push_str(&format!(
            "| {}{mark} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            c.name,
            t.posts.recall_5,
            t.posts.mrr_10,
            h.posts.recall_1,
            h.passages.recall_5,
            h.posts.recall_5,
            h.posts.recall_10,
            h.posts.mrr_10
        ));
        for s in &styles {
            let r = get(&c.heldout, s).map_or(0.0, |r| r.posts.recall_5);
            out.push_str(&format!(" {r:.3} |"));
        }
        out.push_str(&format!(" {:.2} |\n", h.query_ms_p50));
    }
    out
}

fn table(title: &str, rows: &[Row]) -> String {
    let mut out = format!(
        "{title}\n\n| style | n | passages R@1 | R@5 | R@10 | MRR@10 | posts R@1 | R@5 | R@10 | MRR@10 | ms/query p50 |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            r.group,
            r.n,
            r.passages.recall_1,
            r.passages.recall_5,
            r.passages.recall_10,
            r.passages.mrr_10,
            r.posts.recall_1,
            r.posts.recall_5,
            r.posts.recall_10,
            r.posts.mrr_10,
            r.query_ms_p50
        ));
    }
    out
}

/// The held-out questions whose expected post is not among the shipped search's top 5 posts.
fn print_misses(
    index: &PackedIndex,
    eval: &EvalSet,
    outcomes: &[twin_eval::retrieval::Found],
) -> anyhow::Result<()> {
    let missed: Vec<_> = eval
        .heldout_answerable
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| o.post_rank.is_none_or(|r| r >= 5))
        .collect();
    println!(
        "Held-out questions BM25 as shipped misses (expected post not in the top 5 posts): {} of {}",
        missed.len(),
        outcomes.len()
    );
    for (q, o) in missed {
        let hits = index.search(&q.question, 5).context("searching")?;
        let found: Vec<&str> = hits.iter().map(|h| h.slug.as_str()).collect();
        println!(
            "- [{}] {:?}\n  query terms: {}\n  expected: {}; post rank: {}; top 5: {}",
            o.style,
            q.question,
            twin_index::question_terms(&q.question).join(" "),
            q.slugs.join(", "),
            o.post_rank
                .map_or("none in 50".to_string(), |r| (r + 1).to_string()),
            found.join(", ")
        );
    }
    println!();
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.dense && !cfg!(feature = "dense") {
        bail!(
            "this twin was built without the dense baseline; run `cargo run --release -p twin --features dense -- eval retrieval --dense`"
        );
    }
    if args.synonyms && !cfg!(feature = "synonyms") {
        bail!(
            "this twin was built without WordNet; run `cargo run --release -p twin --features synonyms -- eval retrieval --synonyms`"
        );
    }
    let c = read_content(&args.content);
    if !c.diagnostics.is_empty() {
        for d in &c.diagnostics {
            eprintln!("{d}");
        }
        bail!("content has problems; fix them first (`twin index --check`)");
    }
    let eval = EvalSet::read(&args.content.join("eval"))?;
    if eval.heldout_answerable.is_empty() {
        bail!(
            "{} has no held-out questions (heldout/answerable.toml)",
            args.content.join("eval").display()
        );
    }
    let blob = build_blob(&c.passages, &mut |_| {}).context("building the index")?;
    let index = PackedIndex::open_vec(blob).context("opening the index")?;
    let search = bm25(&index);
    let heldout_outcomes =
        measure(&eval.heldout_answerable, &search).map_err(anyhow::Error::msg)?;
    if args.misses {
        print_misses(&index, &eval, &heldout_outcomes)?;
    }
    let heldout = rows(&heldout_outcomes);
    let tune = rows(&measure(&eval.answerable, &search).map_err(anyhow::Error::msg)?);
    let mut compared: Vec<Compared> = Vec::new();
    let extra = if args.synonyms {
        synonym_variants()
    } else {
        Vec::new()
    };
    let all = variants()
        .into_iter()
        .map(|(n, o)| (n.to_string(), o))
        .chain(extra);
    for (name, options) in all {
        let s = bm25_with(&index, options);
        compared.push(Compared {
            name,
            shipped: options == QueryOptions::SHIPPED,
            heldout: rows(&measure(&eval.heldout_answerable, &s).map_err(anyhow::Error::msg)?),
            tune: rows(&measure(&eval.answerable, &s).map_err(anyhow::Error::msg)?),
        });
    }
    if args.dense {
        compared.extend(dense_rows(&c.passages, &index, &eval)?);
    }
    // Every coverage signal of every question, searched once (a search error stops the command).
    let mut signals: HashMap<&str, [f64; 3]> = HashMap::new();
    let mut shipped: HashMap<&str, Coverage> = HashMap::new();
    let questions = eval
        .all_answerable()
        .map(|q| q.question.as_str())
        .chain(eval.all_unanswerable().map(|q| q.question.as_str()));
    for q in questions {
        let hits = search(q, 5).map_err(anyhow::Error::msg)?;
        let top = hits.first().map_or(0.0, |h| h.score);
        let ratio = index.coverage_ratio(q, top).context("measuring coverage")?;
        let share = index
            .coverage_share(q, &hits)
            .context("measuring coverage")?;
        signals.insert(q, [top, ratio, share].map(f64::from));
        let levels = index
            .coverage_levels(q, &hits)
            .context("measuring coverage")?;
        shipped.insert(q, Coverage::best(&levels));
    }
    let signals = &signals;
    let signal = |i: usize| move |q: &str| signals.get(q).map_or(0.0, |s| s[i]);
    let halves = (
        (&eval.answerable[..], &eval.unanswerable[..]),
        (&eval.heldout_answerable[..], &eval.heldout_unanswerable[..]),
    );
    let tried = [
        ("raw top score", separation(&signal(0), halves.0, halves.1)),
        (
            "top score / reference score",
            separation(&signal(1), halves.0, halves.1),
        ),
        (
            "matched idf share",
            separation(&signal(2), halves.0, halves.1),
        ),
    ];
    let tune_scores: Vec<f64> = eval
        .answerable
        .iter()
        .map(|q| signal(0)(&q.question))
        .collect();
    let fitted_none = floor_keeping(&tune_scores, coverage::NONE_KEEPS);
    let tune_shares: Vec<f64> = eval
        .answerable
        .iter()
        .map(|q| signal(2)(&q.question))
        .collect();
    let fitted_share = floor_keeping(&tune_shares, coverage::NONE_KEEPS);
    let levels = |a: &[twin_shared::AnswerableQuestion],
                  u: &[twin_shared::UnanswerableQuestion]| {
        let of = |qs: Vec<&str>| {
            LevelShares::of(
                qs.iter()
                    .map(|q| shipped.get(q).copied().unwrap_or(Coverage::None)),
            )
        };
        (
            of(a.iter().map(|q| q.question.as_str()).collect()),
            of(u.iter().map(|q| q.question.as_str()).collect()),
        )
    };
    let (tune_a, tune_u) = levels(halves.0.0, halves.0.1);
    let (held_a, held_u) = levels(halves.1.0, halves.1.1);
    if args.json {
        let v = serde_json::json!({"heldout": heldout, "tune": tune, "variants": compared,
            "coverage": {
                "signals": tried.iter().map(|(n, s)| serde_json::json!({"signal": n, "fit": s})).collect::<Vec<_>>(),
                "shipped": {"none_below": coverage::NONE_BELOW, "none_share_below": coverage::NONE_SHARE_BELOW,
                            "covered_at": coverage::COVERED_AT},
                "fitted": {"none_below": fitted_none, "none_share_below": fitted_share,
                           "covered_at": tried[0].1.threshold},
                "levels": {"tune": {"answerable": tune_a, "unanswerable": tune_u},
                           "heldout": {"answerable": held_a, "unanswerable": held_u}}}});
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}", table("BM25 as shipped, held-out half", &heldout));
    println!("{}", table("BM25 as shipped, tuning half", &tune));
    println!("{}", comparison(&compared));
    println!(
        "| coverage signal | threshold (fitted on the tuning half) | balanced accuracy, tuning | held out |"
    );
    println!("|---|---|---|---|");
    for (name, s) in &tried {
        println!(
            "| {name} | {:.3} | {:.3} | {:.3} |",
            s.threshold, s.tune, s.heldout
        );
    }
    println!(
        "\nshipped levels: none when the top score is below {:.2} (fitted: {fitted_none:.2}) and no passage's share reaches {:.2} (fitted: {fitted_share:.2}), each keeping {:.0}% of the tuning half's answerable questions; covered at {:.2} (fitted: {:.2})\n",
        coverage::NONE_BELOW,
        coverage::NONE_SHARE_BELOW,
        coverage::NONE_KEEPS * 100.0,
        coverage::COVERED_AT,
        tried[0].1.threshold
    );
    println!("| half | questions | n | covered | thin | none |");
    println!("|---|---|---|---|---|---|");
    for (half, kind, l) in [
        ("tuning", "answerable", tune_a),
        ("tuning", "unanswerable", tune_u),
        ("held out", "answerable", held_a),
        ("held out", "unanswerable", held_u),
    ] {
        println!(
            "| {half} | {kind} | {} | {:.2} | {:.2} | {:.2} |",
            l.n, l.covered, l.thin, l.none
        );
    }
    println!(
        "\nbalanced accuracy of `none` (answerable kept, unanswerable caught): tuning {:.3}, held out {:.3}",
        (1.0 - tune_a.none + tune_u.none) / 2.0,
        (1.0 - held_a.none + held_u.none) / 2.0
    );
    Ok(ExitCode::SUCCESS)
}
