//! The report as plain text for a terminal: tables first, then what to read and what to write next.

use crate::report::{Flagged, Report};
use std::fmt::Write;

/// Longest quoted question or answer, in characters.
const QUOTE_CHARS: usize = 160;

/// `s` on one line, cut at [`QUOTE_CHARS`], with control and invisible format characters shown as `�`:
/// reader text never reaches the author's terminal as escape sequences or direction overrides.
pub fn quote(s: &str) -> String {
    let one_line = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| {
            if twin_shared::chat::is_invisible(c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect::<String>();
    if one_line.chars().count() > QUOTE_CHARS {
        let cut: String = one_line.chars().take(QUOTE_CHARS).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The report as text.
pub fn text(r: &Report) -> String {
    let mut o = String::new();
    let span = match (&r.first_day, &r.last_day) {
        (Some(a), Some(b)) if a == b => a.clone(),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no answers yet".into(),
    };
    let _ = writeln!(
        o,
        "twin traces: {} answers, {span} ({})",
        r.answers, r.source
    );
    if r.answers == 0 {
        return o;
    }
    let backends: Vec<&str> = r.backends.iter().map(|b| b.backend.as_str()).collect();
    let _ = writeln!(o, "\nAnswers per day");
    let _ = write!(o, "  {:<10}", "day");
    for b in &backends {
        let _ = write!(o, " {b:>10}");
    }
    let _ = writeln!(o, " {:>8}", "total");
    for day in &r.days {
        let _ = write!(o, "  {day:<10}");
        let mut total = 0;
        for b in &backends {
            let n = r.count(day, b);
            total += n;
            let _ = write!(o, " {n:>10}");
        }
        let _ = writeln!(o, " {total:>8}");
    }
    let _ = writeln!(o, "\nBy backend");
    let _ = writeln!(
        o,
        "  {:<10} {:>8} {:>8} {:>7} {:>10} {:>8} {:>14} {:>12}",
        "backend", "answers", "errors", "rate", "left", "cached", "median TTFT", "tokens in/out"
    );
    for b in &r.backends {
        let ttft = b
            .median_ttft_ms
            .map_or_else(|| "-".into(), |t| format!("{t:.0} ms"));
        let _ = writeln!(
            o,
            "  {:<10} {:>8} {:>8} {:>6.1}% {:>10} {:>8} {:>14} {:>12}",
            b.backend,
            b.answers,
            b.errors,
            b.error_rate * 100.0,
            b.reader_left,
            b.cached,
            ttft,
            format!("{}/{}", b.tokens_in, b.tokens_out)
        );
    }
    if !r.errors.is_empty() {
        let _ = writeln!(o, "\nErrors by code");
        for e in &r.errors {
            let _ = writeln!(
                o,
                "  {:<22} {:<10} {:>5} ({:.1}% of its answers)",
                e.code,
                e.backend,
                e.count,
                e.rate * 100.0
            );
        }
    }
    let f = &r.feedback;
    let _ = writeln!(
        o,
        "\nFeedback: {} up, {} down, {} jailbreak reports",
        f.up, f.down, f.jailbreak
    );
    flagged(&mut o, "Thumbs down (newest first)", &r.thumbs_down);
    flagged(&mut o, "Jailbreak reports (newest first)", &r.jailbreaks);
    let _ = writeln!(
        o,
        "\nCoverage gaps: what readers ask that the blog does not answer yet"
    );
    if r.with_text == 0 {
        let _ = writeln!(o, "  (no question text kept: TRACES is \"metadata\")");
    } else if r.gaps.is_empty() {
        let _ = writeln!(o, "  none: every reader question found posts that cover it");
    } else {
        let reasons: Vec<String> = r
            .gap_reasons
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        let _ = writeln!(o, "  ({})", reasons.join(", "));
        for (i, t) in r.gaps.iter().enumerate() {
            let related = if t.related.is_empty() {
                String::new()
            } else {
                format!(" (with {})", t.related.join(", "))
            };
            let _ = writeln!(
                o,
                "  {:>2}. {}{related}: asked {} time{}, e.g. \"{}\"",
                i + 1,
                t.label,
                t.count,
                if t.count == 1 { "" } else { "s" },
                quote(&t.example)
            );
        }
    }
    o
}

fn flagged(o: &mut String, title: &str, items: &[Flagged]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n{title}");
    for f in items {
        let q = f
            .question
            .as_deref()
            .map_or_else(|| "(text not kept)".into(), quote);
        let _ = writeln!(o, "  {} [{}] {}  trace {}", f.day, f.backend, q, f.trace_id);
        if let Some(a) = &f.answer {
            let _ = writeln!(o, "      answer: {}", quote(a));
        }
        if let Some(c) = &f.comment {
            let _ = writeln!(o, "      reader: {}", quote(c));
        }
        if !f.conversation.is_empty() {
            let _ = writeln!(
                o,
                "      conversation, as the reader sent it ({} messages; the traced answer above is what the twin said):",
                f.conversation.len()
            );
            for m in &f.conversation {
                let _ = writeln!(o, "        {}: {}", m.speaker(), quote(&m.content));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_line_short_and_free_of_escape_sequences() {
        assert_eq!(quote("a\n  b\tc"), "a b c");
        assert_eq!(
            quote("red \u{1b}[31mtext\u{7}"),
            "red \u{FFFD}[31mtext\u{FFFD}"
        );
        let long = quote(&"word ".repeat(100));
        assert_eq!(long.chars().count(), QUOTE_CHARS + 1);
        assert!(long.ends_with('…'));
    }
}
