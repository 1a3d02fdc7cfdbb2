//! Retrieval over the index blob embedded at build time ([`crate::assets::BLOB`]), opened once per
//! isolate without copying.

use crate::assets::BLOB;
use std::sync::OnceLock;
use twin_index::{Hit, PackedIndex};
use twin_shared::prompt::PromptPassage;
use twin_shared::{Coverage, Source};

static INDEX: OnceLock<Result<PackedIndex, String>> = OnceLock::new();

static CONTENT_ID: OnceLock<u32> = OnceLock::new();

/// The identity of the content the embedded index was built from (0 for a blob that predates it), read
/// once per isolate.
pub fn content_id() -> u32 {
    *CONTENT_ID.get_or_init(|| twin_index::blob::content_id(BLOB).unwrap_or(0))
}

/// The opened index, or why it could not be opened.
pub fn index() -> Result<&'static PackedIndex, String> {
    INDEX
        .get_or_init(|| PackedIndex::open_static(BLOB).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The top `limit` passages for a question, each with how well it covers it.
pub fn judged(question: &str, limit: usize) -> Result<(Vec<Hit>, Vec<Coverage>), String> {
    index()?
        .search_judged(question, limit)
        .map_err(|e| e.to_string())
}

/// What the reader sees of a hit, with how well it covers the question.
pub fn source(h: &Hit, coverage: Coverage) -> Source {
    Source {
        title: h.title.clone(),
        url: h.url.clone(),
        snippet: h.snippet.clone(),
        coverage: Some(coverage),
    }
}

/// What the prompt quotes of a hit.
pub fn prompt_passage(h: &Hit) -> PromptPassage {
    PromptPassage {
        title: h.title.clone(),
        url: h.url.clone(),
        date: h.date.clone(),
        text: h.text.clone(),
    }
}
