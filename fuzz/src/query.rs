//! Query building and search: any question a reader can type (any script, typos, punctuation, stop
//! words only, overlong) against a real index, searched as the worker searches.

use crate::{Budget, Outcome, Target, run_for};
use proptest::prelude::*;
use std::sync::OnceLock;
use twin_index::{Kind, MAX_QUERY_TERMS, PackedIndex, Passage, question_terms};

pub const TARGET: Target = Target {
    name: "query",
    what: "query building and search: any question (any script, typos, stop words only, overlong) on a real index: a result, never an error, at most k hits, at most 32 terms",
    ci_cases: 1_500,
    run: query,
};

/// Words of the small index below, so questions hit real terms, typo corrections and spellings.
const WORDS: &[&str] = &[
    "salt",
    "weather",
    "station",
    "sourdough",
    "starter",
    "colour",
    "color",
    "keyboard",
    "solder",
    "garden",
    "winter",
    "tide",
    "gauge",
    "the",
    "how",
    "did",
    "you",
    "what",
    "why",
    "sourdoguh",
    "wether",
    "stations",
    "Driftwood",
    "rust",
    "copper",
    "été",
    "Straße",
    "東京",
    "🙂",
];

/// The blob of a small real index, built as `twin index` builds one.
pub(crate) fn blob() -> Result<&'static [u8], String> {
    static BLOB: OnceLock<Result<Vec<u8>, String>> = OnceLock::new();
    BLOB.get_or_init(|| {
        let passages: Vec<Passage> = (0..40)
            .map(|i| Passage {
                title: format!(
                    "{} {}",
                    WORDS[i % WORDS.len()],
                    WORDS[(i * 7) % WORDS.len()]
                ),
                slug: format!("post-{i}"),
                url: format!("https://blog.example/post-{i}/"),
                date: "2024-01-01".into(),
                kind: if i % 5 == 0 { Kind::Social } else { Kind::Post },
                headings: vec![WORDS[(i * 3) % WORDS.len()].to_string()],
                tags: vec![WORDS[(i * 11) % WORDS.len()].to_string()],
                text: (0..60)
                    .map(|j| WORDS[(i * 13 + j * j) % WORDS.len()])
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect();
        twin_index::build::build_blob(&passages, &mut |_| {}).map_err(|e| e.to_string())
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// That blob opened as the worker opens it.
fn index() -> Result<&'static PackedIndex, String> {
    static INDEX: OnceLock<Result<PackedIndex, String>> = OnceLock::new();
    INDEX
        .get_or_init(|| PackedIndex::open_static(blob()?).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

fn question() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        prop::sample::select(WORDS).prop_map(str::to_string),
        any::<String>(),
        "[a-z]{1,12}",
        Just("?".to_string()),
        Just("\"".to_string()),
        Just("AND OR NOT +-:*^~()[]{}".to_string()),
        Just("\u{0}\u{200b}\u{202e}".to_string()),
        Just("a".repeat(300)),
    ];
    prop_oneof![
        4 => prop::collection::vec(word, 0..24).prop_map(|w| w.join(" ")),
        1 => (1usize..4).prop_map(|n| "salt ".repeat(1_000 * n)),
    ]
}

fn query(budget: Budget) -> Outcome {
    let index = match index() {
        Ok(i) => i,
        Err(e) => {
            return Outcome::setup_failed(format!("the fuzz index could not be built: {e}"));
        }
    };
    run_for(budget, (question(), 1usize..12), |(q, k)| {
        prop_assert!(question_terms(&q).len() <= MAX_QUERY_TERMS);
        let (hits, levels) = index
            .search_judged(&q, k)
            .map_err(|e| TestCaseError::fail(format!("search failed: {e}")))?;
        prop_assert!(hits.len() <= k);
        prop_assert_eq!(hits.len(), levels.len());
        prop_assert!(
            hits.iter()
                .all(|h| h.url.starts_with("https://blog.example/"))
        );
        Ok(())
    })
}
