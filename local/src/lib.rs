//! Local stand-ins for the services twin talks to in production, for development, the demo and tests:
//!
//! - [`LlamaServer`]: a real llama.cpp `llama-server` on a loopback port, serving the Anthropic Messages
//!   stream (`/v1/messages`, the "Haiku" role) and the OpenAI chat completions stream
//!   (`/v1/chat/completions`, the "GPU" role) from small local models.
//! - [`StandIn`]: a fault-injecting stand-in for what a real model cannot do on demand (429, 500, 529,
//!   errors and dropped connections mid-stream, a slow cold start, a first byte that never comes,
//!   malformed SSE, a 303 to a result URL), speaking the exact wire formats of both APIs.
//!
//! - [`wrangler::WranglerDev`]: the worker under `wrangler dev` (workerd);
//!   [`worker_stack::WorkerStack`]: the stand-in and the worker, the one builder the demo and the
//!   end-to-end tests share; [`demo::Demo`]: the whole demo.
//!
//! Every process started here is stopped when its handle drops, and dies with the parent process.

mod assets;
pub mod demo;
mod error;
mod health;
mod llama;
mod ports;
mod process;
pub mod profile;
pub mod stand_in;
pub mod static_site;
pub mod usage;
mod worker_build;
pub mod worker_stack;
pub mod wrangler;

pub use assets::{Assets, Model};
pub use error::LocalError;
pub use health::get_status;
pub use llama::{LlamaServer, Service};
pub use ports::free_port;
pub use process::ManagedProcess;
pub use stand_in::{Fault, StandIn};
