//! The index crate's one error type, so callers (CLI, worker) can turn each case into a clear message.

/// What can go wrong building, packing, opening or querying the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The blob is not a twin index blob, is truncated, or fails its checksum.
    #[error("index blob: {0}")]
    Blob(String),
    /// tantivy refused an operation (corrupt segment, schema mismatch, ...).
    #[error("tantivy: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}
