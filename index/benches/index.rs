//! Index build time and query latency (p50/p99) on the demo corpus and on a generated corpus of 10,000
//! posts, and the worker's own search (`search_judged`: passages and coverage from one analysis) over the
//! held-out questions, typos and long chatty ones included, with the slowest named. A bench binary rather than criterion groups because the numbers wanted are percentiles of single
//! queries and one-shot build times. Run: `cargo bench -p twin-index --bench index`.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use twin_index::build::build_blob;
use twin_index::ingest::{Document, Section, chunk_document, read_content};
use twin_index::{Kind, PackedIndex, Passage};

/// Builds of each corpus timed; the median is reported.
const BUILDS: usize = 3;
/// Queries timed per corpus (cycling through the question list).
const QUERIES: usize = 2_000;

fn main() {
    let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
    let demo = read_content(&content);
    assert!(demo.diagnostics.is_empty(), "{:?}", demo.diagnostics);
    let questions: Vec<String> = twin_shared::EvalSet::read(&content.join("eval"))
        .map(|e| e.answerable.into_iter().map(|q| q.question).collect())
        .unwrap_or_else(|e| panic!("eval set: {e}"));

    report("demo corpus", &demo.passages, &questions);
    let heldout: Vec<String> = twin_shared::EvalSet::read(&content.join("eval"))
        .map(|e| {
            e.heldout_answerable
                .into_iter()
                .map(|q| q.question)
                .chain(e.heldout_unanswerable.into_iter().map(|q| q.question))
                .collect()
        })
        .unwrap_or_else(|e| panic!("eval set: {e}"));
    judged("demo corpus", &demo.passages, &heldout);
    let generated = generated_corpus(10_000);
    report("generated corpus (10,000 posts)", &generated, &questions);
}

fn report(name: &str, passages: &[Passage], questions: &[String]) {
    let mut builds = Vec::new();
    let mut blob = Vec::new();
    for _ in 0..BUILDS {
        let t = Instant::now();
        blob = build_blob(passages, &mut |_| {}).expect("build");
        builds.push(t.elapsed());
    }
    builds.sort();
    let t = Instant::now();
    let index = PackedIndex::open_vec(blob.clone()).expect("open");
    let open = t.elapsed();
    let mut lat: Vec<Duration> = Vec::with_capacity(QUERIES);
    for q in questions.iter().cycle().take(QUERIES) {
        let t = Instant::now();
        let hits = index.search(q, 5).expect("search");
        lat.push(t.elapsed());
        std::hint::black_box(hits);
    }
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    println!("{name}: {} passages", passages.len());
    println!(
        "  build (median of {BUILDS}): {:.1} ms",
        builds[BUILDS / 2].as_secs_f64() * 1e3
    );
    println!("  blob: {} bytes raw", blob.len());
    println!("  open: {:.2} ms", open.as_secs_f64() * 1e3);
    println!(
        "  query over {QUERIES}: p50 {:.3} ms, p99 {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
}

/// Rounds over the held-out questions; each question's median is its time.
const ROUNDS: usize = 15;

/// The worker's search (`search_judged`, 5 passages as Haiku's backend asks) per held-out question: the
/// median of [`ROUNDS`] runs each, then p50 / p90 / p99 / max over questions. Then the same questions
/// searched plainly (no typo correction, no other spellings, no coverage), to show what those cost.
fn judged(name: &str, passages: &[Passage], questions: &[String]) {
    let blob = build_blob(passages, &mut |_| {}).expect("build");
    let index = PackedIndex::open_vec(blob).expect("open");
    percentiles(name, "search_judged (k = 5)", questions, &|q| {
        std::hint::black_box(index.search_judged(q, 5).expect("search"));
    });
    percentiles(
        name,
        "plain search (k = 5; no typo correction, spellings or coverage)",
        questions,
        &|q| {
            std::hint::black_box(
                index
                    .search_with(q, 5, &twin_index::QueryOptions::PLAIN)
                    .expect("search"),
            );
        },
    );
}

/// Times `search` per question (the median of [`ROUNDS`] runs) and prints the percentiles over questions
/// and the slowest three.
fn percentiles(name: &str, what: &str, questions: &[String], search: &dyn Fn(&str)) {
    let mut per_question: Vec<(Duration, &str)> = questions
        .iter()
        .map(|q| {
            let mut runs: Vec<Duration> = (0..ROUNDS)
                .map(|_| {
                    let t = Instant::now();
                    search(q);
                    t.elapsed()
                })
                .collect();
            runs.sort();
            (runs[ROUNDS / 2], q.as_str())
        })
        .collect();
    per_question.sort();
    let n = per_question.len();
    let pct = |p: f64| {
        per_question[((n as f64 * p) as usize).min(n - 1)]
            .0
            .as_secs_f64()
            * 1e3
    };
    println!(
        "{name}: {what} over {n} held-out questions (median of {ROUNDS} runs each): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    for (t, q) in per_question.iter().rev().take(3) {
        println!("  slowest: {:.3} ms  {q:?}", t.as_secs_f64() * 1e3);
    }
}

/// `n` synthetic posts of three sections each, words drawn by a fixed xorshift from a vocabulary mixing
/// the demo's topic words with filler, so queries hit realistic posting-list lengths.
fn generated_corpus(n: usize) -> Vec<Passage> {
    const VOCAB: &str = "salt air sensor station weather wind gust battery solar sleep radio packet \
        sourdough starter flour water proofing loaf hydration bike tour spokes dynamo luggage rain \
        keyboard switch solder diode layout allotment compost blight seaweed tomato rust error clap \
        sqlite wal backup timestamp review mentor alert book paper tide swim cold kit shed bench \
        the a of and to in it is was for on with as at by from that this but not or be have";
    let vocab: Vec<&str> = VOCAB.split_whitespace().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut words = |k: usize| -> String {
        (0..k)
            .map(|_| vocab[(next() % vocab.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Vec::new();
    for i in 0..n {
        let doc = Document {
            title: words(6),
            slug: format!("gen-{i}"),
            url: format!("https://gen.example/posts/gen-{i}/"),
            date: "2024-01-01".into(),
            kind: Kind::Post,
            tags: vec![words(1)],
            sections: (0..3)
                .map(|s| Section {
                    headings: vec![words(3)],
                    anchor: Some(format!("s{s}")),
                    blocks: vec![words(60), words(60)],
                })
                .collect(),
        };
        out.extend(chunk_document(&doc));
    }
    out
}
