//! The report as one self-contained HTML page (no scripts, no CDN): a chart of answers per day and
//! backend, the tables, the flagged answers and the coverage gaps. All reader text is escaped.

use crate::report::{Flagged, Report};
use std::fmt::Write;
use twin_eval::svg::{bars, escape};

/// The page.
pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>twin traces</title>\
         <style>body{{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}}\
         table{{border-collapse:collapse;margin:.5em 0}}td,th{{padding:.2em .7em;border-bottom:1px solid #ddd;text-align:left}}\
         td.n{{text-align:right}}.q{{color:#555}}blockquote{{margin:.3em 0 .3em 1em;color:#333}}</style></head><body>\
         <h1>What readers asked</h1><p>{} answers, {} to {} ({})</p>",
        r.answers,
        escape(r.first_day.as_deref().unwrap_or("-")),
        escape(r.last_day.as_deref().unwrap_or("-")),
        escape(&r.source)
    );
    let backends: Vec<&str> = r.backends.iter().map(|b| b.backend.as_str()).collect();
    let series: Vec<(String, Vec<Option<f64>>)> = r
        .days
        .iter()
        .map(|d| {
            let counts = backends
                .iter()
                .map(|b| Some(r.count(d, b) as f64))
                .collect();
            (d.clone(), counts)
        })
        .collect();
    o.push_str("<h2>Answers per day</h2>");
    o.push_str(&bars(
        "Answers per day and backend",
        "answers",
        &backends,
        &series,
    ));
    o.push_str("<h2>By backend</h2><table><tr><th>backend</th><th>answers</th><th>errors</th><th>error rate</th><th>reader left</th><th>cached</th><th>median TTFT</th><th>tokens in / out</th></tr>");
    for b in &r.backends {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{:.1}%</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{} / {}</td></tr>",
            escape(&b.backend),
            b.answers,
            b.errors,
            b.error_rate * 100.0,
            b.reader_left,
            b.cached,
            b.median_ttft_ms
                .map_or_else(|| "-".into(), |t| format!("{t:.0} ms")),
            b.tokens_in,
            b.tokens_out
        );
    }
    o.push_str("</table>");
    if !r.errors.is_empty() {
        o.push_str("<h2>Errors by code</h2><table><tr><th>code</th><th>backend</th><th>count</th><th>share</th></tr>");
        for e in &r.errors {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{:.1}%</td></tr>",
                escape(&e.code),
                escape(&e.backend),
                e.count,
                e.rate * 100.0
            );
        }
        o.push_str("</table>");
    }
    let f = &r.feedback;
    let _ = write!(
        o,
        "<h2>Feedback</h2><p>{} up, {} down, {} jailbreak reports</p>",
        f.up, f.down, f.jailbreak
    );
    flagged(&mut o, "Thumbs down", &r.thumbs_down);
    flagged(&mut o, "Jailbreak reports", &r.jailbreaks);
    o.push_str("<h2>Coverage gaps</h2><p>What readers ask that the blog does not answer yet, most asked first.</p>");
    if r.with_text == 0 {
        o.push_str(
            "<p>Unknown: no question text is kept (<code>TRACES = \"metadata\"</code>).</p>",
        );
    } else if r.gaps.is_empty() {
        o.push_str("<p>None: every reader question found posts that cover it.</p>");
    } else {
        o.push_str("<table><tr><th>topic</th><th>asked</th><th>readers</th><th>example</th></tr>");
        for t in &r.gaps {
            let related = if t.related.is_empty() {
                String::new()
            } else {
                format!(
                    " <span class=q>(with {})</span>",
                    escape(&t.related.join(", "))
                )
            };
            let _ = write!(
                o,
                "<tr><td>{}{related}</td><td class=n>{}</td><td class=n>{}</td><td dir=auto>{}</td></tr>",
                escape(&t.label),
                t.count,
                t.readers,
                escape(&t.example)
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</body></html>\n");
    o
}

fn flagged(o: &mut String, title: &str, items: &[Flagged]) {
    if items.is_empty() {
        return;
    }
    let _ = write!(o, "<h3>{}</h3>", escape(title));
    for f in items {
        let _ = write!(
            o,
            "<p dir=auto><b>{}</b> [{}] {}</p>",
            escape(&f.day),
            escape(&f.backend),
            escape(f.question.as_deref().unwrap_or("(text not kept)"))
        );
        if let Some(a) = &f.answer {
            let _ = write!(o, "<blockquote dir=auto>{}</blockquote>", escape(a));
        }
        if let Some(c) = &f.comment {
            let _ = write!(o, "<p class=q dir=auto>Reader: {}</p>", escape(c));
        }
        if !f.conversation.is_empty() {
            o.push_str("<p class=q>The conversation as the reader sent it (the answer above is the one the twin's trace holds):</p>");
        }
        for m in &f.conversation {
            let _ = write!(
                o,
                "<p class=q dir=auto>{}: {}</p>",
                m.speaker(),
                escape(&m.content)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Options;
    use crate::rows::TraceRow;

    #[test]
    fn reader_text_is_escaped_and_the_chart_is_inline() {
        let row = TraceRow {
            trace_id: "a".repeat(32),
            at_ms: 1.7e12,
            backend: "rag".into(),
            probe: None,
            question: Some("<script>alert(1)</script> kubernetes?".into()),
            top_score: None,
            coverage: Some("none".into()),
            answer: Some("<img src=x onerror=alert(1)>".into()),
            outcome: "end_turn".into(),
            ttft_ms: Some(5.0),
            total_ms: 9.0,
            tokens_in: None,
            tokens_out: None,
            client: "x".into(),
            cached: None,
        };
        let feedback = ["down", "jailbreak"].map(|kind| crate::rows::FeedbackRow {
            at_ms: 1.7e12,
            trace_id: "a".repeat(32),
            kind: kind.into(),
            comment: Some("<b onclick=x>bold</b>".into()),
            conversation: Some(
                r#"[{"role":"user","content":"<svg onload=alert(2)>"},{"role":"assistant","content":"<a href=javascript:x>y</a>"}]"#
                    .into(),
            ),
        });
        let page = html(&Report::build(
            "<src>",
            &[row],
            &feedback,
            &Options::default(),
        ));
        for raw in [
            "<script>",
            "<img",
            "<b onclick",
            "<svg onload",
            "<a href=javascript",
        ] {
            assert!(!page.contains(raw), "{raw} unescaped: {page}");
        }
        for shown in [
            "&lt;script&gt;",
            "&lt;img src=x",
            "&lt;b onclick=x&gt;",
            "&lt;svg onload",
            "&lt;a href=javascript",
        ] {
            assert!(page.contains(shown), "{shown} missing: {page}");
        }
        assert!(
            page.contains("<svg") && page.contains("Content-Security-Policy"),
            "{page}"
        );
    }
}
