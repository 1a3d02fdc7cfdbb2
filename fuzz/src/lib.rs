//! Property-based fuzzing of every parser that meets outside input, on stable Rust with `proptest`:
//! what a model's stream ([`sse`]), a reader's request ([`chat`]), a question ([`query`]), a blogger's
//! files ([`ingest`]) and a damaged index ([`blob`]) can be, and what the prompt makes of reader and
//! post text ([`prompt`]). Each target states properties (never a panic; escaping holds; what is
//! accepted is within the limits) and [`run_for`] runs it for a number of cases or for a time.
//!
//! The short run is `cargo test -p twin-fuzz` (each target's [`Target::ci_cases`]); the long run is
//! `scripts/fuzz.sh` (`twin-fuzz --seconds 600`: ten minutes a target), which prints the counts. The
//! widget's markdown renderer has its target beside it (`widget/src/markdown.rs`), on the same runner.

pub mod blob;
pub mod chat;
pub mod ingest;
pub mod prompt;
pub mod query;
pub mod sse;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::fmt::Debug;
use std::time::{Duration, Instant};

/// How long a target runs: a number of cases (the tests) or a stretch of time (the long run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    Cases(u32),
    Time(Duration),
}

impl Budget {
    /// `TWIN_FUZZ_SECONDS` as a time budget when set (a long run of a target kept beside its code, such
    /// as the widget's), else `cases`.
    pub fn from_env(cases: u32) -> Budget {
        std::env::var("TWIN_FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(Budget::Cases(cases), |s| {
                Budget::Time(Duration::from_secs(s))
            })
    }
}

/// What one target's run came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Inputs tried: every case of the batches that passed, and the whole batch a failure came in
    /// (proptest does not say how far into it).
    pub cases: u64,
    /// How long it ran.
    pub elapsed: Duration,
    /// The first failure, shrunk to a small input, if any.
    pub failure: Option<String>,
}

impl Outcome {
    /// A target that could not even set up (its fixture index did not build): no case ran.
    pub fn setup_failed(why: String) -> Outcome {
        Outcome {
            cases: 0,
            elapsed: Duration::ZERO,
            failure: Some(why),
        }
    }
}

/// Cases per batch of a timed run: each batch is a fresh runner with a fresh random seed.
const BATCH: u32 = 256;

/// Runs `test` on inputs drawn from `strategy` until `budget` is spent or a case fails (then shrinks it
/// and reports the smallest failing input). Random seeds each time (`PROPTEST_RNG_SEED` fixes one).
pub fn run_for<S>(
    budget: Budget,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Outcome
where
    S: Strategy,
    S::Value: Debug,
{
    let started = Instant::now();
    let mut cases = 0u64;
    loop {
        let batch = match budget {
            Budget::Cases(n) => n.saturating_sub(u32::try_from(cases).unwrap_or(u32::MAX)),
            Budget::Time(_) => BATCH,
        };
        if batch == 0 {
            break;
        }
        let config = Config {
            cases: batch,
            failure_persistence: None,
            max_shrink_iters: 4096,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&strategy, &test);
        cases += u64::from(batch);
        if let Err(e) = result {
            let failure = match e {
                TestError::Fail(why, input) => format!("{why}\nsmallest failing input: {input:#?}"),
                TestError::Abort(why) => format!("aborted: {why}"),
            };
            return Outcome {
                cases,
                elapsed: started.elapsed(),
                failure: Some(failure),
            };
        }
        match budget {
            Budget::Cases(_) => {}
            Budget::Time(t) if started.elapsed() >= t => break,
            Budget::Time(_) => {}
        }
    }
    Outcome {
        cases,
        elapsed: started.elapsed(),
        failure: None,
    }
}

/// One fuzz target.
pub struct Target {
    /// Its name on the command line and in the table.
    pub name: &'static str,
    /// What it feeds and what it checks, for the table.
    pub what: &'static str,
    /// Cases in the short run (`cargo test`): enough to catch a regression, small enough for CI.
    pub ci_cases: u32,
    /// Runs it.
    pub run: fn(Budget) -> Outcome,
}

/// Every target in this crate.
pub const TARGETS: &[Target] = &[
    sse::TARGET,
    sse::FRAMING,
    chat::TARGET,
    chat::BOUNDED,
    prompt::TARGET,
    query::TARGET,
    ingest::FRONT_MATTER,
    ingest::CONTENT,
    blob::TARGET,
];
