//! The whole stack for end-to-end tests and benchmarks: a real llama-server (SmolLM2 plays both Haiku and
//! the GPU), the fault stand-in, and the worker under `wrangler dev` (workerd) configured with one backend
//! per behaviour to test. Everything stops when the [`Stack`] drops.

mod client;
mod stack;

pub use client::{ChatRun, Client, encode_query};
pub use stack::{API_KEY, MATRIX_FAULTS, Stack, matrix_id};
