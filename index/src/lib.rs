//! twin's knowledge half: the author's content as passages, a BM25 (tantivy) index over them, packed into
//! one portable blob that the edge worker embeds and opens read-only (native and wasm32 alike).
//!
//! Pipeline: [`ingest`] reads `content/` into [`Passage`]s (native only, feature `ingest`), [`build`]
//! indexes them and [`blob`] packs the index files into one byte string; [`PackedIndex`] opens that blob
//! and answers free-text questions with [`Hit`]s.

pub mod blob;
mod blob_directory;
#[cfg(feature = "ingest")]
pub mod build;
pub mod coverage;
mod error;
mod feedback;
#[cfg(feature = "ingest")]
pub mod ingest;
mod passage;
mod query;
pub mod schema;
mod search;
pub mod spelling;

pub use error::IndexError;
pub use passage::{Kind, Passage};
pub use query::{
    Feedback, MAX_QUERY_CHARS, MAX_QUERY_TERMS, QueryOptions, Synonyms, question_terms,
    question_words,
};
pub use search::{Hit, PackedIndex};
