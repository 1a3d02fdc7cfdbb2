//! Coverage gaps as the author reads them: the worker records how well the posts cover each question,
//! and `twin traces`' report, read from local D1 through wrangler, groups the questions the blog does
//! not answer into topics, most asked first.

use super::traces::{rows_where, state_of};
use twin_e2e::{Client, Stack};
use twin_traces::{D1, Location, Options, Report};

/// An SQL string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A question the posts do not cover is traced as `none`; on a seeded day of traces, the report puts
/// the unanswered questions on one subject together, first, and leaves covered questions and the
/// author's probes out.
pub fn coverage_gaps_group_and_rank_first(_: &Stack, c: &Client) {
    let state = state_of("wrangler");
    let mark = format!("GAPS{}", std::process::id());
    let run = c.ask(
        "echo-rag",
        &format!("What is your favourite opera singer? {mark}"),
    );
    assert!(run.done().is_some(), "{:?}", run.names());
    let rows = rows_where(&state, &format!("question LIKE '%{mark}%'"), 1);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["coverage"], "none", "{rows:?}");
    // (question, coverage, answer, probe)
    let seeded: [(&str, &str, &str, Option<&str>); 10] = [
        (
            "Have you tried Kubernetes for the sensors?",
            "none",
            "Not something I've written about.",
            None,
        ),
        (
            "Kubernetes or plain systemd on a Pi?",
            "none",
            "Hard to say.",
            None,
        ),
        ("Would you run kubernetes at home?", "thin", "Maybe.", None),
        (
            "What's your favourite jazz record?",
            "covered",
            "I haven't written about that.",
            None,
        ),
        (
            "Any jazz you listen to while soldering?",
            "none",
            "No idea.",
            None,
        ),
        (
            "How did you stop the salt air getting in?",
            "covered",
            "Conformal coating and a vent.",
            None,
        ),
        (
            "Which sensor measures humidity?",
            "covered",
            "The BME280.",
            None,
        ),
        (
            "How long does the battery last?",
            "covered",
            "About eight months.",
            None,
        ),
        (
            "What did you use for the enclosure?",
            "covered",
            "A polycarbonate box.",
            None,
        ),
        (
            "What about kubernetes?",
            "none",
            "I haven't written about it.",
            Some("once"),
        ),
    ];
    let backend = format!("seeded-{mark}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis();
    let inserts: Vec<String> = seeded
        .iter()
        .enumerate()
        .map(|(i, (q, coverage, answer, probe))| {
            format!(
                "INSERT INTO traces (trace_id, at_ms, backend, probe, question, top_score, coverage, \
                 answer, outcome, ttft_ms, total_ms, client) VALUES ({}, {}, {}, {}, {}, 5.0, {}, {}, \
                 'end_turn', 300, 900, {})",
                lit(&format!("{mark}-{i}")),
                now - i as u128,
                lit(&backend),
                probe.map_or("NULL".into(), lit),
                lit(q),
                lit(coverage),
                lit(answer),
                lit(&format!("reader-{i}"))
            )
        })
        .collect();
    let db = D1::new(
        &Stack::root().join("worker"),
        Location::Local {
            persist_to: Some(state.clone()),
        },
    );
    db.query(&inserts.join("; ")).expect("seed");
    let (traces, feedback) = twin_traces::rows::load(&db, 0.0).expect("load");
    let options = Options {
        backend: Some(backend.clone()),
        low_score: None,
    };
    let report = Report::build(&db.place(), &traces, &feedback, &options);
    assert_eq!(report.answers, seeded.len(), "{report:#?}");
    let first = &report.gaps[0];
    assert_eq!(first.label, "kubernetes", "{:#?}", report.gaps);
    assert_eq!(
        first.count, 3,
        "the probe is the author's, not a gap: {first:#?}"
    );
    assert!(
        first.example.to_lowercase().contains("kubernetes"),
        "{first:#?}"
    );
    assert_eq!(report.gaps[1].label, "jazz", "{:#?}", report.gaps);
    assert_eq!(report.gaps[1].count, 2, "{:#?}", report.gaps);
    assert_eq!(
        report.gaps.len(),
        2,
        "covered questions are no gap: {:#?}",
        report.gaps
    );
    assert_eq!(
        report.gap_reasons.get("declined"),
        Some(&1),
        "{:?}",
        report.gap_reasons
    );
    let text = twin_traces::text::text(&report);
    assert!(text.contains("1. kubernetes"), "{text}");
}
