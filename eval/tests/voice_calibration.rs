//! The voice score against its two poles, on texts it was not built from: paragraphs of posts left out
//! of the author profile must score as the author, and generic assistant answers (written separately from
//! the neutral reference) must not. Prints both distributions.

use std::path::PathBuf;
use twin_eval::corpus::{Corpus, neutral_texts};
use twin_eval::score::voice::{VoiceModel, signature_phrases};
use twin_eval::stats::{mean, quantile};
use twin_index::ingest::read_content;

/// Posts left out of the author profile (one per topic family), whose paragraphs play the author's own
/// unseen writing.
const LEFT_OUT: &[&str] = &[
    "driftwood-one-year",
    "sourdough-five-failures",
    "sqlite-backups",
    "sea-swimming-tides",
    "keyboards-colemak-dh",
    "touring-cycling-in-rain",
    "mentoring-first-month",
    "allotment-tomato-blight",
];

fn content() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content")
}

fn split(text: &str) -> Vec<String> {
    text.split("\n---")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn summary(name: &str, scores: &[f64]) -> (f64, f64) {
    let m = mean(scores).expect("scores");
    let median = quantile(scores, 0.5).expect("scores");
    println!(
        "{name}: n={} mean={m:.3} median={median:.3} min={:.3} max={:.3}",
        scores.len(),
        quantile(scores, 0.0).expect("scores"),
        quantile(scores, 1.0).expect("scores")
    );
    (m, median)
}

#[test]
fn authors_unseen_paragraphs_score_high_and_generic_answers_low() {
    let c = read_content(&content());
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    let persona = std::fs::read_to_string(content().join("persona.md")).expect("persona");
    let (held, kept): (Vec<_>, Vec<_>) = c
        .passages
        .iter()
        .partition(|p| LEFT_OUT.contains(&p.slug.as_str()));
    assert!(
        held.len() >= 16,
        "left-out posts give {} passages",
        held.len()
    );
    let model = VoiceModel::new(
        kept.iter().map(|p| p.text.as_str()),
        neutral_texts(),
        &signature_phrases(&persona),
    );
    let author: Vec<f64> = held
        .iter()
        .filter(|p| p.text.split_whitespace().count() >= 30)
        .map(|p| model.score(&p.text).score)
        .collect();
    let scores = |file: &str| -> Vec<f64> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        split(&text).iter().map(|t| model.score(t).score).collect()
    };
    let generic = scores("generic_answers.txt");
    let like = scores("author_like_answers.txt");
    assert!(generic.len() >= 15 && like.len() >= 8);
    let (a_mean, a_median) = summary("author's unseen paragraphs", &author);
    let (l_mean, _) = summary("answers in the author's voice", &like);
    let (g_mean, g_median) = summary("generic assistant answers", &generic);
    assert!(
        a_median > 0.6,
        "the author's own paragraphs should score high"
    );
    assert!(g_median < 0.4, "generic assistant answers should score low");
    assert!(l_mean > g_mean + 0.3 && a_mean > g_mean + 0.3);
    let share_right = author.iter().filter(|s| **s > 0.5).count() as f64 / author.len() as f64;
    let generic_right = generic.iter().filter(|s| **s < 0.5).count() as f64 / generic.len() as f64;
    println!(
        "author paragraphs above 0.5: {share_right:.2}; generic answers below 0.5: {generic_right:.2}"
    );
    assert!(share_right >= 0.8 && generic_right >= 0.8);
}

#[test]
fn the_full_corpus_model_loads_from_content() {
    let corpus = Corpus::load(&content()).expect("content");
    let tea = corpus
        .voice
        .score("Grey morning, kettle on. Tea, obviously. Kettle's on. — Ilse");
    let generic = corpus.voice.score("Great question! Both tea and coffee have their benefits. Ultimately, it depends on your personal preference. I hope this helps!");
    assert!(tea.score > generic.score, "{tea:?} vs {generic:?}");
    assert_eq!(
        corpus.slug_for("https://notesfromtheshed.example/posts/driftwood-salt-air/#six-weeks"),
        Some("driftwood-salt-air")
    );
    assert_eq!(corpus.slug_for("https://example.com/nowhere/"), None);
}
