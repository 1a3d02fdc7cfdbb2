//! The packed blob opens in wasm32 and answers like native: run under `wasm-bindgen-test-runner` (node).
//!
//! `scripts/test.sh` first writes `build/index.blob` and `build/parity.json` (native top-5 URLs for a few
//! questions) with the native `twin` binary; this test embeds both and compares.
#![cfg(target_arch = "wasm32")]

use twin_index::PackedIndex;
use wasm_bindgen_test::wasm_bindgen_test;

static BLOB: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/index.blob"));
static EXPECTED: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/parity.json"));

#[derive(serde::Deserialize)]
struct Case {
    question: String,
    urls: Vec<String>,
}

#[wasm_bindgen_test]
fn wasm_top_results_match_native() {
    let index = PackedIndex::open_static(BLOB).expect("blob opens in wasm32");
    let cases: Vec<Case> = serde_json::from_str(EXPECTED).expect("parity.json");
    assert!(cases.len() >= 3, "parity.json holds too few questions");
    for case in cases {
        let urls: Vec<String> = index
            .search(&case.question, 5)
            .expect("search")
            .into_iter()
            .map(|h| h.url)
            .collect();
        assert!(!urls.is_empty(), "no hits in wasm for {:?}", case.question);
        assert_eq!(
            urls, case.urls,
            "wasm and native differ for {:?}",
            case.question
        );
    }
}

#[wasm_bindgen_test]
fn hostile_questions_do_not_panic_in_wasm() {
    let index = PackedIndex::open_static(BLOB).expect("blob opens in wasm32");
    for q in [
        "",
        "\"quoted\" AND (x OR y) title:z ~2 *",
        "🌊🌊🌊",
        &"salt ".repeat(2000),
        &"zxcvbnmasdf qwertyuiopz sourdoguh ".repeat(60),
    ] {
        assert!(index.search(q, 5).is_ok());
    }
}
