//! What the worker embeds at build time, in one place: the index blob `twin index` writes, the voice
//! guide the system prompt is built from, and the probe buttons.

/// The packed tantivy index (`build/index.blob`; the worker's `[build]` step runs `twin index`).
pub static BLOB: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/index.blob"));
/// The author's voice guide (`content/persona.md`).
pub static PERSONA: &str = include_str!("../../content/persona.md");
/// The probe buttons (`content/probes.toml`).
pub static PROBES: &str = include_str!("../../content/probes.toml");
