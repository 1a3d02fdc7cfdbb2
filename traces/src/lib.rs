//! What readers asked, for the author: the worker's D1 tables (`traces`, `feedback`; schema in
//! `worker/migrations/`) read back through `wrangler d1 execute` and summarised: volume per day and
//! backend, errors by code, median time to first token, thumbs-down answers, jailbreak reports, and
//! coverage gaps (questions the blog does not answer yet, grouped into topics). `twin traces` prints it.

pub mod d1;
pub mod gaps;
pub mod html;
pub mod report;
pub mod rows;
pub mod text;

pub use d1::{D1, D1Error, Location};
pub use report::{Options, Report};
pub use rows::{FeedbackRow, TraceRow};
