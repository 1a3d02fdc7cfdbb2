//! The dense retrieval baseline that `twin eval retrieval --dense` measures BM25 against: every passage
//! and question embedded with all-MiniLM-L6-v2 (a 22M-parameter sentence-embedding model, run locally on
//! the CPU with candle), ranked by cosine similarity; and a hybrid that fuses the dense and BM25 rankings
//! by reciprocal rank fusion. Measurement only: the worker does not run it (see the README for what that
//! would take).

mod embedder;
mod fusion;

pub use embedder::{DenseError, Embedder};
pub use fusion::{DenseIndex, reciprocal_rank_fusion};
