//! The author's summary of what readers asked: built from trace and feedback rows, printed by
//! `text.rs`, `html.rs` or as JSON (`--json`, this struct as is).

use crate::gaps::{self, Topic};
use crate::rows::Reported;
use crate::rows::{FeedbackRow, TraceRow};
use serde::Serialize;
use std::collections::BTreeMap;
use twin_shared::ErrorCode;

/// What the report includes.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this backend's answers.
    pub backend: Option<String>,
    /// A top retrieval score under this also makes a coverage gap.
    pub low_score: Option<f64>,
}

/// Answers on one day from one backend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayCount {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub backend: String,
    pub answers: usize,
}

/// One backend's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackendSummary {
    pub backend: String,
    pub answers: usize,
    /// Answers that ended in an error event.
    pub errors: usize,
    pub error_rate: f64,
    /// Readers who left before the end.
    pub reader_left: usize,
    /// Answers replayed from the probe cache.
    pub cached: usize,
    /// Median time to first token of the answers the model made (replays left out).
    pub median_ttft_ms: Option<f64>,
    pub tokens_in: u64,
    pub tokens_out: u64,
}

/// How often one error code ended an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorCount {
    pub code: String,
    pub backend: String,
    pub count: usize,
    /// Share of that backend's answers.
    pub rate: f64,
}

/// An answer a reader flagged, with what they said.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flagged {
    pub trace_id: String,
    pub day: String,
    pub backend: String,
    /// `None` when the worker kept metadata only.
    pub question: Option<String>,
    pub answer: Option<String>,
    pub comment: Option<String>,
    /// A jailbreak report's conversation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conversation: Vec<Reported>,
}

/// Feedback totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeedbackCounts {
    pub up: usize,
    pub down: usize,
    pub jailbreak: usize,
}

/// The whole summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Where the rows came from.
    pub source: String,
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub answers: usize,
    /// Answers whose question text was kept (`TRACES = "full"`); gaps need it.
    pub with_text: usize,
    pub per_day: Vec<DayCount>,
    /// Every day from the first answer's to the last's (quiet days included, so the chart shows them).
    pub days: Vec<String>,
    pub backends: Vec<BackendSummary>,
    /// Most frequent first.
    pub errors: Vec<ErrorCount>,
    pub feedback: FeedbackCounts,
    pub thumbs_down: Vec<Flagged>,
    pub jailbreaks: Vec<Flagged>,
    /// Questions the blog does not answer yet, grouped, most asked first.
    pub gaps: Vec<Topic>,
    /// Gap questions by reason.
    pub gap_reasons: BTreeMap<String, usize>,
}

/// The UTC day of a Unix time in milliseconds.
pub fn day(at_ms: f64) -> String {
    let secs = (at_ms / 1000.0).floor() as i64;
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map_or_else(|_| "invalid-date".into(), |t| t.date().to_string())
}

/// The UTC days from the earliest of `traces` to the latest (at most ten years of them).
fn every_day(traces: &[&TraceRow]) -> Vec<String> {
    let index = |t: &&TraceRow| (t.at_ms / 86_400_000.0).floor() as i64;
    match (
        traces.iter().map(index).min(),
        traces.iter().map(index).max(),
    ) {
        (Some(first), Some(last)) => (first..=last.min(first + 3_660))
            .map(|d| day(d as f64 * 86_400_000.0))
            .collect(),
        _ => Vec::new(),
    }
}

impl Report {
    /// The summary of `traces` and their `feedback`, read from `source`.
    pub fn build(
        source: &str,
        traces: &[TraceRow],
        feedback: &[FeedbackRow],
        options: &Options,
    ) -> Report {
        let traces: Vec<&TraceRow> = traces
            .iter()
            .filter(|t| options.backend.as_ref().is_none_or(|b| *b == t.backend))
            .collect();
        let by_id: BTreeMap<&str, &TraceRow> =
            traces.iter().map(|t| (t.trace_id.as_str(), *t)).collect();
        let mut per_day: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut per_backend: BTreeMap<&str, Vec<&TraceRow>> = BTreeMap::new();
        for t in &traces {
            *per_day
                .entry((day(t.at_ms), t.backend.clone()))
                .or_default() += 1;
            per_backend.entry(&t.backend).or_default().push(t);
        }
        let is_error = |t: &TraceRow| ErrorCode::parse(&t.outcome).is_some();
        let mut errors = Vec::new();
        let backends = per_backend
            .iter()
            .map(|(backend, rows)| {
                let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
                for t in rows.iter().filter(|t| is_error(t)) {
                    *codes.entry(&t.outcome).or_default() += 1;
                }
                for (code, count) in &codes {
                    errors.push(ErrorCount {
                        code: code.to_string(),
                        backend: backend.to_string(),
                        count: *count,
                        rate: *count as f64 / rows.len() as f64,
                    });
                }
                let ttfts: Vec<f64> = rows
                    .iter()
                    .filter(|t| !is_error(t) && !t.is_cached())
                    .filter_map(|t| t.ttft_ms)
                    .collect();
                let n_errors: usize = codes.values().sum();
                let sum = |f: fn(&TraceRow) -> Option<f64>| {
                    rows.iter().filter_map(|t| f(t)).sum::<f64>() as u64
                };
                BackendSummary {
                    backend: backend.to_string(),
                    answers: rows.len(),
                    errors: n_errors,
                    error_rate: n_errors as f64 / rows.len() as f64,
                    reader_left: rows.iter().filter(|t| t.outcome == "reader_left").count(),
                    cached: rows.iter().filter(|t| t.is_cached()).count(),
                    median_ttft_ms: twin_eval::stats::quantile(&ttfts, 0.5),
                    tokens_in: sum(|t| t.tokens_in),
                    tokens_out: sum(|t| t.tokens_out),
                }
            })
            .collect();
        errors.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
        let mut counts = FeedbackCounts::default();
        let (mut thumbs_down, mut jailbreaks) = (Vec::new(), Vec::new());
        for f in feedback {
            let Some(t) = by_id.get(f.trace_id.as_str()) else {
                continue;
            };
            let flagged = || Flagged {
                trace_id: t.trace_id.clone(),
                day: day(f.at_ms),
                backend: t.backend.clone(),
                question: t.question.clone(),
                answer: t.answer.clone(),
                comment: f.comment.clone(),
                conversation: f.messages(),
            };
            match f.kind.as_str() {
                "up" => counts.up += 1,
                "down" => {
                    counts.down += 1;
                    thumbs_down.push(flagged());
                }
                "jailbreak" => {
                    counts.jailbreak += 1;
                    jailbreaks.push(flagged());
                }
                _ => {}
            }
        }
        // Newest first: what the author should read next.
        thumbs_down.reverse();
        jailbreaks.reverse();
        let mut gap_reasons: BTreeMap<String, usize> = BTreeMap::new();
        let mut gap_questions = Vec::new();
        let mut answered = Vec::new();
        // Reader questions only: the author's probes say nothing about what readers miss.
        for t in traces.iter().filter(|t| t.probe.is_none()) {
            let Some(q) = t.question.as_deref() else {
                continue;
            };
            match gaps::gap_reason(t, options.low_score) {
                Some(reason) => {
                    *gap_reasons.entry(reason.as_str().into()).or_default() += 1;
                    gap_questions.push(gaps::Gap {
                        question: q,
                        client: &t.client,
                    });
                }
                None => answered.push(q),
            }
        }
        Report {
            source: source.to_string(),
            first_day: traces.first().map(|t| day(t.at_ms)),
            last_day: traces.last().map(|t| day(t.at_ms)),
            answers: traces.len(),
            with_text: traces.iter().filter(|t| t.question.is_some()).count(),
            days: every_day(&traces),
            per_day: per_day
                .into_iter()
                .map(|((day, backend), answers)| DayCount {
                    day,
                    backend,
                    answers,
                })
                .collect(),
            backends,
            errors,
            feedback: counts,
            thumbs_down,
            jailbreaks,
            gaps: gaps::topics(&gap_questions, &answered),
            gap_reasons,
        }
    }

    /// Answers on `day` from `backend`.
    pub fn count(&self, day: &str, backend: &str) -> usize {
        self.per_day
            .iter()
            .find(|d| d.day == day && d.backend == backend)
            .map_or(0, |d| d.answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(
        id: u8,
        at_ms: f64,
        backend: &str,
        q: &str,
        outcome: &str,
        coverage: &str,
    ) -> TraceRow {
        TraceRow {
            trace_id: format!("{id:032x}"),
            at_ms,
            backend: backend.into(),
            probe: None,
            question: Some(q.into()),
            top_score: Some(4.0),
            coverage: Some(coverage.into()),
            answer: Some("An answer.".into()),
            outcome: outcome.into(),
            client: format!("client-{id}"),
            cached: None,
            ttft_ms: Some(100.0 * f64::from(id)),
            total_ms: 900.0,
            tokens_in: Some(10.0),
            tokens_out: Some(20.0),
        }
    }

    const DAY: f64 = 86_400_000.0;

    #[test]
    fn replays_from_the_probe_cache_are_counted_but_not_timed() {
        let day0 = 20_000.0 * DAY;
        let mut traces: Vec<TraceRow> = (1..=3)
            .map(|i| trace(i, day0, "rag", "Tea?", "end_turn", "covered"))
            .collect();
        for i in 4..=7 {
            let mut t = trace(i, day0, "rag", "Tea?", "end_turn", "covered");
            t.ttft_ms = Some(1.0);
            t.cached = Some(1.0);
            traces.push(t);
        }
        let r = Report::build("test", &traces, &[], &Options::default());
        let rag = &r.backends[0];
        assert_eq!((rag.answers, rag.cached), (7, 4));
        assert_eq!(
            rag.median_ttft_ms,
            Some(200.0),
            "100, 200, 300; replays left out"
        );
    }

    #[test]
    fn volume_errors_ttft_and_feedback_are_counted() {
        let day0 = 20_000.0 * DAY;
        let traces = vec![
            trace(
                1,
                day0,
                "rag",
                "How did you seal the box?",
                "end_turn",
                "covered",
            ),
            trace(
                2,
                day0 + 1.0,
                "rag",
                "What is your cat called?",
                "end_turn",
                "none",
            ),
            trace(
                3,
                day0 + DAY,
                "rag",
                "Battery life?",
                "upstream_timeout",
                "covered",
            ),
            trace(4, day0 + DAY, "tuned", "Battery life?", "stop", "covered"),
            trace(
                5,
                day0 + 2.0 * DAY,
                "rag",
                "Solar?",
                "reader_left",
                "covered",
            ),
        ];
        let feedback = vec![
            FeedbackRow {
                at_ms: day0 + 5.0,
                trace_id: format!("{:032x}", 2),
                kind: "down".into(),
                comment: Some("made up a name".into()),
                conversation: None,
            },
            FeedbackRow {
                at_ms: day0 + 6.0,
                trace_id: format!("{:032x}", 1),
                kind: "up".into(),
                comment: None,
                conversation: None,
            },
            FeedbackRow {
                at_ms: day0 + 7.0,
                trace_id: format!("{:032x}", 4),
                kind: "jailbreak".into(),
                comment: None,
                conversation: Some(r#"[{"role":"user","content":"ignore it"}]"#.into()),
            },
        ];
        let r = Report::build("test", &traces, &feedback, &Options::default());
        assert_eq!(r.answers, 5);
        assert_eq!(r.days, vec!["2024-10-04", "2024-10-05", "2024-10-06"]);
        assert_eq!(r.count("2024-10-04", "rag"), 2);
        assert_eq!(r.count("2024-10-05", "rag"), 1);
        assert_eq!(r.count("2024-10-06", "rag"), 1);
        assert_eq!(r.count("2024-10-05", "tuned"), 1);
        let rag = &r.backends[0];
        assert_eq!(
            (
                rag.backend.as_str(),
                rag.answers,
                rag.errors,
                rag.reader_left
            ),
            ("rag", 4, 1, 1)
        );
        assert_eq!(
            rag.median_ttft_ms,
            Some(200.0),
            "100, 200, 500 without the error"
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(
            (r.errors[0].code.as_str(), r.errors[0].rate),
            ("upstream_timeout", 0.25)
        );
        assert_eq!(
            r.feedback,
            FeedbackCounts {
                up: 1,
                down: 1,
                jailbreak: 1
            }
        );
        assert_eq!(r.thumbs_down[0].comment.as_deref(), Some("made up a name"));
        assert_eq!(
            r.thumbs_down[0].question.as_deref(),
            Some("What is your cat called?")
        );
        assert_eq!(r.jailbreaks[0].conversation.len(), 1);
        assert_eq!(r.gaps.len(), 1);
        assert_eq!(r.gaps[0].example, "What is your cat called?");
        let only_tuned = Report::build(
            "test",
            &traces,
            &feedback,
            &Options {
                backend: Some("tuned".into()),
                ..Options::default()
            },
        );
        assert_eq!((only_tuned.answers, only_tuned.feedback.down), (1, 0));
    }
}
