//! The wire contract and small shared logic of twin: the types that the worker, the widget and the CLI
//! exchange, defined once so they cannot drift. Compiles to wasm32 for the widget, so its dependencies
//! stay light (serde, serde_json, toml, thiserror).

mod error;
pub mod eval;
pub mod probes;

pub use error::ContentError;
pub use eval::{AnswerableQuestion, EvalSet, UnanswerableQuestion, VoicePrompt};
pub use probes::{Probe, Probes};
