//! `twin eval`: measures what the twin exists to show, the difference between *voice* (a fine-tune) and
//! *knowledge* (retrieval), for every backend, through the worker's public API.
//!
//! [`items`] picks the questions, [`run`] asks them and writes one JSONL [`trace`] per backend,
//! [`summary`] scores the traces with the model-free [`score`]rs (knowledge, hallucination, voice, markup
//! leaks) plus latency and [`prices`], and [`report`] writes `report.md` and compares two runs.

pub mod corpus;
pub mod http;
pub mod items;
pub mod judge;
pub mod normalize;
pub mod prices;
pub mod report;
pub mod report_html;
pub mod retrieval;
pub mod run;
pub mod score;
pub mod stats;
pub mod summary;
pub mod svg;
pub mod trace;
