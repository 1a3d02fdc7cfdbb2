//! The wire contract and small shared logic of twin: the types that the worker, the widget and the CLI
//! exchange, defined once so they cannot drift. Compiles to wasm32 for the widget, so its dependencies
//! stay light (serde, serde_json, toml, thiserror, eventsource-stream).

pub mod api;
pub mod chat;
mod error;
pub mod error_code;
#[cfg(feature = "files")]
pub mod eval;
pub mod event;
pub mod feedback;
pub mod probes;
pub mod prompt;
pub mod sse;

pub use api::{ApiError, BackendInfo, PublicConfig, SearchHit, SearchResponse, WarmResponse};
pub use chat::{ChatMessage, ChatRequest, RequestError, Role};
pub use error::{Diagnostic, line_of};
pub use error_code::ErrorCode;
#[cfg(feature = "files")]
pub use eval::{AnswerableQuestion, EvalSet, UnanswerableQuestion, VoicePrompt};
pub use event::{ChatEvent, Coverage, Done, ErrorEvent, Source, Status, Usage};
pub use feedback::{FeedbackKind, FeedbackReceipt, FeedbackRequest};
pub use probes::{Probe, Probes};
