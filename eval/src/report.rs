//! The run's report as Markdown (`report.md`): one table of every score per backend, the probes side by
//! side, knowledge by set and style, and failures by code; and the comparison of two runs.

use crate::stats::Estimate;
use crate::summary::{BackendSummary, Summary};
use std::fmt::Write;

fn est(e: &Option<Estimate>) -> String {
    match e {
        Some(e) => format!("{:.2} [{:.2}, {:.2}]", e.mean, e.lo, e.hi),
        None => "—".into(),
    }
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.digits$}"))
}

/// The score rows of the table: name, and how to print it for a backend.
pub(crate) type Row = (&'static str, fn(&BackendSummary) -> String);

pub(crate) const ROWS: &[Row] = &[
    ("answers", |b| b.answers.to_string()),
    ("failed", |b| {
        if b.errors.is_empty() {
            "0".into()
        } else {
            b.errors
                .iter()
                .map(|(c, n)| format!("{n} {c}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }),
    (
        "knowledge: facts stated (answerable)",
        |b| est(&b.knowledge),
    ),
    ("knowledge: right post in sources", |b| est(&b.source_hit)),
    (
        "hallucination: declined, nothing invented (unanswerable + thin)",
        |b| est(&b.declined),
    ),
    (
        "hallucination: asserted unsupported specifics (unanswerable + thin)",
        |b| est(&b.asserted),
    ),
    ("unsupported specifics per answer (all)", |b| {
        est(&b.unsupported_per_answer)
    }),
    ("unsupported share of specifics (all)", |b| {
        num(b.unsupported_rate, 2)
    }),
    ("voice (voice prompts + probe)", |b| est(&b.voice)),
    ("voice (every answer)", |b| est(&b.voice_all)),
    ("answers leaking prompt markup", |b| b.leaks.to_string()),
    ("answers repeating a sentence 3+ times", |b| {
        b.loops.to_string()
    }),
    ("time to first token p50 / p90 (ms)", |b| {
        format!("{} / {}", num(b.ttft_p50_ms, 0), num(b.ttft_p90_ms, 0))
    }),
    ("total time p50 / p90 (ms)", |b| {
        format!("{} / {}", num(b.total_p50_ms, 0), num(b.total_p90_ms, 0))
    }),
    ("tokens in / out (mean)", |b| {
        format!(
            "{} / {}",
            num(b.input_tokens_mean, 0),
            num(b.output_tokens_mean, 0)
        )
    }),
    ("cost per 1,000 questions (USD)", |b| {
        match (&b.model, b.cost_per_1000) {
            (_, Some(c)) => format!("{c:.2}"),
            (Some(m), None) => format!("unknown (no price for `{m}`)"),
            (None, None) => "unknown (no --model given)".into(),
        }
    }),
];

fn table(s: &Summary) -> String {
    let mut out = String::from("| score |");
    for b in &s.backends {
        let _ = write!(out, " {} (`{}`) |", b.label, b.backend);
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(s.backends.len()));
    out.push('\n');
    for (name, cell) in ROWS {
        let _ = write!(out, "| {name} |");
        for b in &s.backends {
            let _ = write!(out, " {} |", cell(b));
        }
        out.push('\n');
    }
    out
}

/// The score table alone, for the terminal.
pub fn terminal_table(s: &Summary) -> String {
    table(s)
}

/// Every probe any backend answered, in first-seen order.
pub(crate) fn probe_ids(s: &Summary) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for b in &s.backends {
        for p in &b.probes {
            if !ids.contains(&p.probe.as_str()) {
                ids.push(&p.probe);
            }
        }
    }
    ids
}

/// `report.md`.
pub fn markdown(s: &Summary) -> String {
    let mut out = String::from("# twin eval\n\n");
    let _ = writeln!(
        out,
        "Endpoint `{}`. Means with bootstrap 95% intervals in brackets; scores are model-free (see the README, \
         \"Voice vs knowledge, measured\").\n",
        s.endpoint
    );
    out.push_str(&table(s));
    out.push_str("\n## Probes\n\n| probe | backend | runs | fact + link | declined | voice |\n|---|---|---|---|---|---|\n");
    for b in &s.backends {
        for p in &b.probes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.2} |",
                p.probe,
                b.backend,
                p.runs,
                num(p.fact_and_link, 2),
                num(p.declined, 2),
                p.voice
            );
        }
    }
    out.push_str("\n### Side by side (first run)\n");
    for id in probe_ids(s) {
        let _ = writeln!(out, "\n#### {id}\n");
        for b in &s.backends {
            if let Some(p) = b.probes.iter().find(|p| p.probe == id) {
                let quoted: String = p.example.lines().map(|l| format!("> {l}\n")).collect();
                let _ = writeln!(
                    out,
                    "**{}**\n\n{}",
                    b.label,
                    if quoted.is_empty() {
                        "> (no answer)\n".into()
                    } else {
                        quoted
                    }
                );
            }
        }
    }
    out.push_str("\n## Knowledge by set and style\n\n| group |");
    for b in &s.backends {
        let _ = write!(out, " {} |", b.backend);
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(s.backends.len()));
    out.push('\n');
    let mut groups: Vec<&String> = s
        .backends
        .iter()
        .flat_map(|b| b.knowledge_by_group.keys())
        .collect();
    groups.sort();
    groups.dedup();
    for g in groups {
        let _ = write!(out, "| {g} |");
        for b in &s.backends {
            let _ = write!(out, " {} |", est(&b.knowledge_by_group.get(g).copied()));
        }
        out.push('\n');
    }
    out
}

/// What changed from run `a` to run `b`, per backend and score, with both intervals.
pub fn compare(a: &Summary, b: &Summary) -> String {
    let mut out =
        String::from("| backend | score | before | after | change |\n|---|---|---|---|---|\n");
    type Get = fn(&BackendSummary) -> Option<Estimate>;
    let scores: [(&str, Get); 6] = [
        ("knowledge", |s| s.knowledge),
        ("right post in sources", |s| s.source_hit),
        ("declined", |s| s.declined),
        ("asserted", |s| s.asserted),
        ("unsupported per answer", |s| s.unsupported_per_answer),
        ("voice", |s| s.voice),
    ];
    for before in &a.backends {
        let Some(after) = b.backends.iter().find(|x| x.backend == before.backend) else {
            let _ = writeln!(
                out,
                "| {} | (not in the second run) | | | |",
                before.backend
            );
            continue;
        };
        for (name, get) in scores {
            let (x, y) = (get(before), get(after));
            let change = match (x, y) {
                (Some(x), Some(y)) => {
                    let overlap = x.lo <= y.hi && y.lo <= x.hi;
                    format!(
                        "{:+.2}{}",
                        y.mean - x.mean,
                        if overlap { " (intervals overlap)" } else { "" }
                    )
                }
                _ => "—".into(),
            };
            let _ = writeln!(
                out,
                "| {} | {name} | {} | {} | {change} |",
                before.backend,
                est(&x),
                est(&y)
            );
        }
        let p50 = |s: &BackendSummary| num(s.ttft_p50_ms, 0);
        let _ = writeln!(
            out,
            "| {} | ttft p50 (ms) | {} | {} | |",
            before.backend,
            p50(before),
            p50(after)
        );
    }
    for after in &b.backends {
        if !a.backends.iter().any(|x| x.backend == after.backend) {
            let _ = writeln!(
                out,
                "| {} | (only in the second run) | | | |",
                after.backend
            );
        }
    }
    out
}
