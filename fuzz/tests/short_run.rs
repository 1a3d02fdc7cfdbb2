//! The short fuzz run CI does: every target for its `ci_cases` (or `TWIN_FUZZ_SECONDS` each), one test
//! per target so a failure names it and shows the smallest failing input.

use twin_fuzz::{Budget, TARGETS};

fn run(name: &str) {
    let target = TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no fuzz target {name}"));
    let out = (target.run)(Budget::from_env(target.ci_cases));
    if let Some(failure) = out.failure {
        panic!("{name} failed after {} cases:\n{failure}", out.cases);
    }
    eprintln!(
        "{name}: {} cases in {:.1} s",
        out.cases,
        out.elapsed.as_secs_f64()
    );
}

#[test]
fn every_target_has_a_test_here() {
    let here = include_str!("short_run.rs");
    for t in TARGETS {
        assert!(
            here.contains(&format!("run(\"{}\")", t.name)),
            "{} has no test",
            t.name
        );
    }
}

#[test]
fn sse_bytes() {
    run("sse-bytes");
}

#[test]
fn sse_framing() {
    run("sse-framing");
}

#[test]
fn chat_request() {
    run("chat-request");
}

#[test]
fn chat_bounded() {
    run("chat-bounded");
}

#[test]
fn prompt() {
    run("prompt");
}

#[test]
fn query() {
    run("query");
}

#[test]
fn front_matter() {
    run("front-matter");
}

#[test]
fn content() {
    run("content");
}

#[test]
fn blob() {
    run("blob");
}
