//! The run's report as one self-contained HTML page (`report.html`, no scripts, no CDN): the score table,
//! and plots of knowledge against hallucination, voice per answer, latency and cost, then the probes'
//! answers side by side.

use crate::report::{ROWS, probe_ids};
use crate::summary::{QuestionScore, Summary};
use crate::svg::{Point, bars, escape, scatter, strips};
use std::fmt::Write;

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1f2328}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}\
.plots{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0}figcaption{font-size:.9em;color:#57606a;max-width:520px}\
.probe{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1rem}.answer{white-space:pre-wrap;border:1px solid #d0d7de;border-radius:6px;padding:.6rem}";

/// `report.html` for a run's summary and its per-answer scores.
pub fn html(s: &Summary, scores: &[QuestionScore]) -> String {
    let mut out = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>twin eval</title><style>{STYLE}</style></head><body><h1>twin eval</h1><p>Endpoint <code>{}</code>. Means with bootstrap 95% intervals in brackets; every score is model-free (README, \"Voice vs knowledge, measured\").</p>",
        escape(&s.endpoint)
    );
    out.push_str("<table><thead><tr><th>score</th>");
    for b in &s.backends {
        let _ = write!(
            out,
            "<th>{} (<code>{}</code>)</th>",
            escape(&b.label),
            escape(&b.backend)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for (name, cell) in ROWS {
        let _ = write!(out, "<tr><td>{}</td>", escape(name));
        for b in &s.backends {
            let _ = write!(out, "<td>{}</td>", escape(&cell(b)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table><h2>Plots</h2><div class=\"plots\">");
    let points: Vec<Point> = s
        .backends
        .iter()
        .filter_map(|b| {
            let (k, a) = (b.knowledge?, b.asserted?);
            Some(Point {
                label: b.backend.clone(),
                x: (k.mean, k.lo, k.hi),
                y: (a.mean, a.lo, a.hi),
            })
        })
        .collect();
    figure(
        &mut out,
        &scatter(
            "Knowledge against hallucination",
            "knowledge: share of expected facts stated",
            "asserted unsupported specifics",
            &points,
        ),
        "Knowledge against hallucination per backend, with 95% intervals: right is more accurate, lower \
         invents less on questions the blog does not answer.",
    );
    let voice: Vec<(String, Vec<f64>)> = s
        .backends
        .iter()
        .map(|b| {
            let v = scores
                .iter()
                .filter(|q| q.backend == b.backend && q.error.is_none())
                .map(|q| q.voice.score)
                .collect();
            (b.backend.clone(), v)
        })
        .collect();
    figure(
        &mut out,
        &strips(
            "Voice per answer",
            "voice score (0.5 = as near the author as the neutral text)",
            &voice,
        ),
        "Voice score of every answer that did not fail (ticks) and their mean (dot): above 0.5 an answer \
         is closer to the author's writing than to the neutral reference.",
    );
    let latency: Vec<(String, Vec<Option<f64>>)> = s
        .backends
        .iter()
        .map(|b| {
            (
                b.backend.clone(),
                vec![b.ttft_p50_ms, b.ttft_p90_ms, b.total_p50_ms],
            )
        })
        .collect();
    figure(
        &mut out,
        &bars(
            "Latency",
            "ms",
            &["first token p50", "first token p90", "total p50"],
            &latency,
        ),
        "Time to first token (median, 90th percentile) and total time (median), measured by the eval \
         through the worker.",
    );
    let cost: Vec<(String, Vec<Option<f64>>)> = s
        .backends
        .iter()
        .map(|b| (b.backend.clone(), vec![b.cost_per_1000]))
        .collect();
    figure(
        &mut out,
        &bars("Cost", "USD", &["per 1,000 questions"], &cost),
        "Cost per 1,000 questions at the run's mean token counts and eval/prices.toml: local models cost \
         0, and \"—\" means the model has no price (or no --model was given).",
    );
    out.push_str("</div><h2>The probes, side by side (first run)</h2>");
    for id in probe_ids(s) {
        let _ = write!(out, "<h3>{}</h3><div class=\"probe\">", escape(id));
        for b in &s.backends {
            if let Some(p) = b.probes.iter().find(|p| p.probe == id) {
                let answer = if p.example.trim().is_empty() {
                    "(no answer)".to_string()
                } else {
                    p.example.clone()
                };
                let _ = write!(
                    out,
                    "<div><strong>{}</strong><div class=\"answer\">{}</div></div>",
                    escape(&b.label),
                    escape(&answer)
                );
            }
        }
        out.push_str("</div>");
    }
    out.push_str("</body></html>\n");
    out
}

fn figure(out: &mut String, svg: &str, caption: &str) {
    let _ = write!(
        out,
        "<figure>{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_run_renders_escaped_and_whole() {
        let s = Summary {
            version: crate::trace::FORMAT_VERSION,
            endpoint: "http://x/<script>alert(1)</script>".into(),
            backends: Vec::new(),
        };
        let page = html(&s, &[]);
        assert!(!page.contains("<script"), "escaped");
        assert!(page.contains("&lt;script&gt;"));
        assert_eq!(page.matches("<svg").count(), 4, "every plot, even empty");
        assert!(page.ends_with("</html>\n"));
    }
}
