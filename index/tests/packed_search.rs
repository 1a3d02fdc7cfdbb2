//! The packed blob: built natively, opened from bytes, searched with anything a reader might type.
#![cfg(all(feature = "ingest", not(target_arch = "wasm32")))]

use std::path::PathBuf;
use std::sync::OnceLock;
use twin_index::build::build_blob;
use twin_index::ingest::read_content;
use twin_index::{IndexError, PackedIndex};

fn demo_blob() -> &'static [u8] {
    static BLOB: OnceLock<Vec<u8>> = OnceLock::new();
    BLOB.get_or_init(|| {
        let c = read_content(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content"));
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        build_blob(&c.passages, &mut |_| {}).expect("build")
    })
}

#[test]
fn blob_is_one_segment_and_holds_every_passage() {
    let index = PackedIndex::open_static(demo_blob()).expect("open");
    let c = read_content(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content"));
    assert_eq!(index.num_passages(), c.passages.len() as u64);
    assert_eq!(
        index
            .tantivy()
            .searchable_segment_ids()
            .expect("segments")
            .len(),
        1
    );
}

#[test]
fn builds_are_deterministic_in_what_they_answer() {
    let a = PackedIndex::open_static(demo_blob()).expect("open");
    let c = read_content(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content"));
    let b =
        PackedIndex::open_vec(build_blob(&c.passages, &mut |_| {}).expect("build")).expect("open");
    let q = "conformal coating on the boards";
    let urls = |i: &PackedIndex| {
        i.search(q, 5)
            .expect("search")
            .into_iter()
            .map(|h| h.url)
            .collect::<Vec<_>>()
    };
    assert_eq!(urls(&a), urls(&b));
    assert!(urls(&a)[0].contains("driftwood-salt-air"), "{:?}", urls(&a));
}

#[test]
fn the_content_id_names_the_passages_not_the_build() {
    let c = read_content(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content"));
    let again = build_blob(&c.passages, &mut |_| {}).expect("build");
    assert_ne!(
        again,
        demo_blob(),
        "index files differ between builds (random segment ids)"
    );
    let id = twin_index::blob::content_id(demo_blob()).expect("a content id in the blob");
    assert_eq!(twin_index::blob::content_id(&again), Some(id));
    assert_eq!(twin_index::build::content_id(&c.passages), id);
    let mut edited = c.passages.clone();
    edited[0].text.push('.');
    assert_ne!(twin_index::build::content_id(&edited), id);
    assert_eq!(twin_index::blob::content_id(b"not a blob"), None);
}

#[test]
fn hits_carry_link_title_snippet_and_text() {
    let index = PackedIndex::open_static(demo_blob()).expect("open");
    let hits = index
        .search("What's your idea for a tide gauge called Limpet?", 5)
        .expect("search");
    let limpet = hits
        .iter()
        .find(|h| h.text.contains("Limpet"))
        .expect("the one Limpet post is retrieved");
    assert_eq!(limpet.slug, "social-2024-05-18");
    assert!(limpet.url.starts_with("https://"));
    assert!(limpet.snippet.contains("Limpet"), "{}", limpet.snippet);
    assert!(hits.len() <= 5);
    assert!(
        hits.windows(2).all(|w| w[0].score >= w[1].score),
        "best first"
    );
}

#[test]
fn hostile_questions_never_error_and_match_sensibly() {
    let index = PackedIndex::open_static(demo_blob()).expect("open");
    let long = "why did the salt air corrode everything? ".repeat(250); // ~10,000 chars
    // Unknown words, each a typo candidate, as many as a question holds.
    let unknown = "zxcvbnmasdf qwertyuiopz asdfghjklqw ".repeat(60);
    let cases = [
        &unknown,
        "",
        "   ",
        "\"salt air\"",
        "title:driftwood AND body:salt",
        "(salt OR air) NOT wifi",
        "salt* ~2 ^3 +air -wind",
        "🌊🧂🔌",
        "a\u{0}b\u{7}c",
        "\\ / [ ] { } : ! ? < >",
        &long,
    ];
    for q in cases {
        let hits = index
            .search(q, 5)
            .unwrap_or_else(|e| panic!("{q:?} errored: {e}"));
        assert!(hits.len() <= 5);
    }
    assert!(index.search("", 5).expect("empty").is_empty());
    assert!(index.search("🌊🧂🔌", 5).expect("emoji").is_empty());
    let syntax = index
        .search("title:driftwood AND body:salt", 3)
        .expect("syntax as words");
    assert!(
        syntax.iter().any(|h| h.slug.starts_with("driftwood")),
        "syntax characters are plain separators"
    );
    assert!(
        index.search(&long, 5).expect("long")[0]
            .slug
            .starts_with("driftwood-salt-air")
    );
    let typos = "sourdoguh startr";
    let slugs = |options: &twin_index::QueryOptions| {
        index
            .search_with(typos, 3, options)
            .expect("typos")
            .into_iter()
            .map(|h| h.slug)
            .collect::<Vec<_>>()
    };
    let fixed = slugs(&twin_index::QueryOptions::SHIPPED);
    assert!(
        fixed.iter().any(|s| s.contains("sourdough")),
        "misspelt words still find their post: {fixed:?}"
    );
    assert!(
        slugs(&twin_index::QueryOptions::PLAIN).is_empty(),
        "without correction nothing matches"
    );
}

#[test]
fn a_damaged_blob_is_refused_with_a_clear_error() {
    let mut blob = demo_blob().to_vec();
    let mid = blob.len() / 2;
    blob[mid] ^= 0x55;
    match PackedIndex::open_vec(blob) {
        Err(IndexError::Blob(m)) => assert!(m.contains("checksum"), "{m}"),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a damaged blob opened"),
    }
    assert!(PackedIndex::open_vec(b"not an index".to_vec()).is_err());
}

#[test]
fn judged_search_is_the_search_and_its_levels_in_one() {
    let index = PackedIndex::open_static(demo_blob()).expect("open");
    for q in [
        "How did you stop the salt air wrecking the weather station?",
        "how do i tell my sourdoguh startr is redy",
        "Which football team do you support?",
        "Do you grow potatoes?",
    ] {
        let (hits, levels) = index.search_judged(q, 5).expect("judged");
        assert_eq!(hits, index.search(q, 5).expect("search"), "{q}");
        assert_eq!(
            levels,
            index.coverage_levels(q, &hits).expect("levels"),
            "{q}"
        );
        assert_eq!(hits.len(), levels.len());
    }
}
