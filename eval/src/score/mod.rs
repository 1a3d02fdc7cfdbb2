//! The scorers: each a small function over one answer, model-free and offline.

pub mod hallucination;
pub mod knowledge;
pub mod leaks;
pub mod loops;
pub mod voice;
