//! The fault matrix: every stand-in fault × both protocols × retrieval off and on. In each cell the
//! reader gets the right `error` event (or the right recovery), text already sent is kept, a pane asked
//! at the same time is unaffected, and the next request is served normally. Prints one table.

use twin_e2e::{ChatRun, Client, MATRIX_FAULTS, Stack, matrix_id};
use twin_upstream::Provider;

/// What a fault must come to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// An `error` event: its code, the retry-after it carries, and whether text came before it.
    Error {
        code: &'static str,
        retry_after_s: Option<u64>,
        text_first: bool,
    },
    /// A normal answer (`done`).
    Answer,
}

fn expected(fault: &str, provider: Provider) -> Expect {
    let error = |code, retry_after_s, text_first| Expect::Error {
        code,
        retry_after_s,
        text_first,
    };
    match fault {
        "429" => error("rate_limited", Some(7), false),
        // No retry-after from the backend: the worker suggests its own.
        "429-bare" => error("rate_limited", Some(10), false),
        "500" => error("upstream_error", None, false),
        "529" => error("upstream_overloaded", None, false),
        // Anthropic names the error `overloaded_error`; an OpenAI stream's error is a `server_error`
        // (with code 503), which the reader hears of as a failure, not as overload.
        "overloaded-mid-stream" if provider == Provider::Anthropic => {
            error("upstream_overloaded", None, true)
        }
        "overloaded-mid-stream" => error("upstream_error", None, true),
        "drop-mid-stream" => error("upstream_dropped", None, true),
        "no-first-byte" => error("upstream_timeout", None, false),
        "malformed" => error("upstream_protocol", None, false),
        "cold-60" => error("gpu_unavailable", Some(30), false),
        "slow-1" | "unknown-events" | "redirect-303" => Expect::Answer,
        other => panic!("the matrix has no expectation for {other}"),
    }
}

/// Heals the stand-in's faults until dropped (a panic included), for the checks after this one.
struct HealedUntilDropped<'a>(&'a twin_local::StandIn);

impl<'a> HealedUntilDropped<'a> {
    fn heal(stand_in: &'a twin_local::StandIn) -> Self {
        stand_in.heal(true);
        HealedUntilDropped(stand_in)
    }
}

impl Drop for HealedUntilDropped<'_> {
    fn drop(&mut self) {
        self.0.heal(false);
    }
}

/// The matrix's columns: protocol × retrieval.
const CELLS: [(Provider, bool); 4] = [
    (Provider::Anthropic, false),
    (Provider::Anthropic, true),
    (Provider::Openai, false),
    (Provider::Openai, true),
];

/// A question the demo blog answers, so retrieval has sources to send.
const QUESTION: &str = "How did you keep the salt air out of the Driftwood weather station?";

/// Checks one cell; `Err` says what was wrong.
fn cell(run: &ChatRun, fault: &str, provider: Provider, retrieval: bool) -> Result<String, String> {
    if run.status != 200 {
        return Err(format!("HTTP {} {:?}", run.status, run.body));
    }
    let names = run.names();
    let ends = names
        .iter()
        .filter(|n| **n == "done" || **n == "error")
        .count();
    if ends != 1 || !matches!(names.last(), Some(&"done") | Some(&"error")) {
        return Err(format!("the stream does not end once: {names:?}"));
    }
    if (names.first() == Some(&"sources")) != retrieval {
        return Err(format!(
            "sources {} expected first: {names:?}",
            if retrieval { "were" } else { "were not" }
        ));
    }
    if retrieval && run.sources().is_empty() {
        return Err("retrieval sent no sources for a question the blog answers".into());
    }
    match expected(fault, provider) {
        Expect::Answer => match run.done() {
            Some(_) if !run.text().trim().is_empty() => Ok("answer".into()),
            _ => Err(format!("no answer: {names:?} {:?}", run.error())),
        },
        Expect::Error {
            code,
            retry_after_s,
            text_first,
        } => {
            let e = run
                .error()
                .ok_or_else(|| format!("no error event: {names:?}"))?;
            if (e.code.as_str(), e.retry_after_s) != (code, retry_after_s) || !e.retryable {
                return Err(format!(
                    "{:?} (retry after {:?}, retryable {}), expected {code} (retry after {retry_after_s:?})",
                    e.code, e.retry_after_s, e.retryable
                ));
            }
            let text = run.text();
            if text_first && (text.trim().is_empty() || names.last() != Some(&"error")) {
                return Err(format!("the text before the fault was not kept: {names:?}"));
            }
            if !text_first && names.contains(&"delta") {
                return Err(format!("text came from a failed request: {names:?}"));
            }
            Ok(if text_first {
                format!("{code}, text kept")
            } else {
                code.to_string()
            })
        }
    }
}

pub fn every_fault_on_both_protocols_with_and_without_retrieval(stack: &Stack, _: &Client) {
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, fault) in MATRIX_FAULTS.iter().enumerate() {
        let mut row = vec![fault.to_string()];
        for (j, (provider, retrieval)) in CELLS.into_iter().enumerate() {
            let id = matrix_id(fault, provider, retrieval);
            // Each cell its own reader (the rate limit stays out of it), and a second pane asked at
            // the same moment, as the widget asks both.
            let reader = Client::new(&stack.url, &format!("198.51.{}.{}", 120 + i, 10 + j));
            let (run, other) = std::thread::scope(|s| {
                let other = s.spawn(|| reader.ask("echo-gpu", "Tea or coffee?"));
                let run = reader.ask(&id, QUESTION);
                (run, other.join())
            });
            let verdict = cell(&run, fault, provider, retrieval).and_then(|v| match &other {
                Ok(o) if o.done().is_some() && o.text().contains("Tea or coffee?") => Ok(v),
                Ok(o) => Err(format!("the other pane failed: {:?}", o.names())),
                Err(_) => Err("the other pane's request panicked".into()),
            });
            // The next request on the faulty backend's protocol is served normally.
            let next = reader.ask(
                if provider == Provider::Anthropic {
                    "echo"
                } else {
                    "echo-gpu"
                },
                "still there?",
            );
            let verdict = verdict.and_then(|v| {
                if next.done().is_some() {
                    Ok(v)
                } else {
                    Err(format!("the next request failed: {:?}", next.names()))
                }
            });
            match verdict {
                Ok(v) => row.push(v),
                Err(e) => {
                    failures.push(format!("{id}: {e}"));
                    row.push(format!("FAILED: {e}"));
                }
            }
        }
        rows.push(row);
    }
    // Then the upstream recovers: every faulty backend itself answers again, nothing in the worker
    // stays broken (a cold start given up on, a 429 remembered).
    let healed = HealedUntilDropped::heal(&stack.stand_in);
    for (i, fault) in MATRIX_FAULTS.iter().enumerate() {
        for (j, (provider, retrieval)) in CELLS.into_iter().enumerate() {
            let id = matrix_id(fault, provider, retrieval);
            let reader = Client::new(&stack.url, &format!("198.51.{}.{}", 120 + i, 30 + j));
            let run = reader.ask(&id, QUESTION);
            if run.done().is_none() || run.text().trim().is_empty() {
                failures.push(format!(
                    "{id}: not served once its upstream healed: {:?} {:?}",
                    run.names(),
                    run.error()
                ));
                rows[i][j + 1].push_str("; FAILED once healed");
            }
        }
    }
    drop(healed);
    println!(
        "\nfault matrix (cell: what the reader got; each also checked: sources first when retrieval is on, one end, the other pane answered, the next request served, and the same backend answered once its upstream healed)"
    );
    println!("| fault | anthropic | anthropic + retrieval | openai | openai + retrieval |");
    println!("|---|---|---|---|---|");
    for r in &rows {
        println!("| {} |", r.join(" | "));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
