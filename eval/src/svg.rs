//! Small SVG charts for `report.html`, written directly: a scatter with interval bars and labelled points,
//! strips of per-answer values, and grouped horizontal bars. The browser lays out the text, so no font
//! files or plotting runtime are needed, and the report stays one self-contained file.

use std::fmt::Write;

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    twin_shared::prompt::escape(s).replace('"', "&quot;")
}

/// Colours per series, in order (distinguishable in colour and in greyscale).
const COLOURS: &[&str] = &[
    "#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#57606a",
];

/// A series' colour.
pub fn colour(i: usize) -> &'static str {
    COLOURS[i % COLOURS.len()]
}

/// A value on [0, 1] for a plot; a non-finite one sits at 0 rather than writing `NaN` into the SVG.
fn unit(v: f64) -> f64 {
    if v.is_finite() {
        v.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

const W: f64 = 520.0;
const H: f64 = 340.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;

fn open(out: &mut String, title: &str, w: f64, h: f64) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{}"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
}

/// A point with an interval on each axis.
pub struct Point {
    pub label: String,
    pub x: (f64, f64, f64),
    pub y: (f64, f64, f64),
}

/// A scatter of points on [0, 1] × [0, 1] with their 95% intervals as bars.
pub fn scatter(title: &str, x_label: &str, y_label: &str, points: &[Point]) -> String {
    let mut out = String::new();
    open(&mut out, title, W, H);
    let (pw, ph) = (W - LEFT - RIGHT, H - TOP - BOTTOM);
    let sx = |v: f64| LEFT + unit(v) * pw;
    let sy = |v: f64| TOP + (1.0 - unit(v)) * ph;
    axes(&mut out, x_label, y_label, &sx, &sy);
    for (i, p) in points.iter().enumerate() {
        let c = colour(i);
        let (x, y) = (sx(p.x.0), sy(p.y.0));
        // A label in the right half reads leftwards from its point, so it stays inside the plot.
        let (lx, anchor) = if x > LEFT + pw / 2.0 {
            (x - 7.0, "end")
        } else {
            (x + 7.0, "start")
        };
        let _ = write!(
            out,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{c}"/><line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{c}"/><circle class="mark" cx="{x:.1}" cy="{y:.1}" r="5" fill="{c}"/><text x="{lx:.1}" y="{:.1}" font-size="12" fill="{c}" text-anchor="{anchor}">{}</text>"#,
            sx(p.x.1),
            sx(p.x.2),
            sy(p.y.1),
            sy(p.y.2),
            y - 7.0,
            escape(&p.label)
        );
    }
    out.push_str("</svg>");
    out
}

fn axes(
    out: &mut String,
    x_label: &str,
    y_label: &str,
    sx: &dyn Fn(f64) -> f64,
    sy: &dyn Fn(f64) -> f64,
) {
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#d0d7de"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{t}</text><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#d0d7de"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{t}</text>"##,
            sx(t),
            sy(0.0),
            sx(t),
            sy(1.0),
            sx(t),
            sy(0.0) + 16.0,
            sx(0.0),
            sy(t),
            sx(1.0),
            sy(t),
            sx(0.0) - 6.0,
            sy(t) + 4.0
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text><text x="14" y="{:.1}" font-size="12" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text>"#,
        (sx(0.0) + sx(1.0)) / 2.0,
        H - 10.0,
        escape(x_label),
        (sy(0.0) + sy(1.0)) / 2.0,
        (sy(0.0) + sy(1.0)) / 2.0,
        escape(y_label)
    );
}

/// One row of values on [0, 1] per series (every answer a tick), with the series mean marked.
pub fn strips(title: &str, x_label: &str, series: &[(String, Vec<f64>)]) -> String {
    let row = 34.0;
    let h = TOP + BOTTOM + row * series.len().max(1) as f64;
    let left = 150.0;
    let mut out = String::new();
    open(&mut out, title, W, h);
    let pw = W - left - RIGHT;
    let sx = |v: f64| left + unit(v) * pw;
    let bottom = h - BOTTOM;
    for t in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{bottom:.1}" stroke="#d0d7de"/><text x="{x:.1}" y="{:.1}" font-size="11" text-anchor="middle">{t}</text>"##,
            bottom + 16.0,
            x = sx(t)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{}</text>"#,
        (sx(0.0) + sx(1.0)) / 2.0,
        h - 10.0,
        escape(x_label)
    );
    for (i, (name, values)) in series.iter().enumerate() {
        let c = colour(i);
        let y = TOP + row * i as f64 + row / 2.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + 4.0,
            escape(name)
        );
        for v in values {
            let _ = write!(
                out,
                r#"<line class="mark" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="{c}" stroke-opacity="0.5"/>"#,
                y - 8.0,
                y + 8.0,
                x = sx(*v)
            );
        }
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if !finite.is_empty() {
            let mean = finite.iter().sum::<f64>() / finite.len() as f64;
            let _ = write!(
                out,
                r##"<circle cx="{:.1}" cy="{y:.1}" r="5" fill="{c}" stroke="#fff"/>"##,
                sx(mean)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars: for each series (a backend), one bar per measure, on a shared linear scale from 0;
/// a missing value is written as "—".
pub fn bars(
    title: &str,
    unit: &str,
    measures: &[&str],
    series: &[(String, Vec<Option<f64>>)],
) -> String {
    let bar = 14.0;
    let group = bar * measures.len().max(1) as f64 + 12.0;
    let left = 150.0;
    let h = TOP + BOTTOM + group * series.len().max(1) as f64;
    // Negative and non-finite values are not drawable lengths: they show as missing.
    let series: Vec<(String, Vec<Option<f64>>)> = series
        .iter()
        .map(|(n, v)| {
            let v = v
                .iter()
                .map(|x| x.filter(|x| x.is_finite() && *x >= 0.0))
                .collect();
            (n.clone(), v)
        })
        .collect();
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .copied()
        .fold(0.0f64, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    let pw = W - left - RIGHT - 60.0;
    let mut out = String::new();
    open(&mut out, title, W, h);
    for (i, (name, values)) in series.iter().enumerate() {
        let y0 = TOP + group * i as f64;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            y0 + group / 2.0,
            escape(name)
        );
        for (j, m) in measures.iter().enumerate() {
            let y = y0 + bar * j as f64;
            let c = colour(j);
            match values.get(j).copied().flatten() {
                Some(v) => {
                    let w = (v / max * pw).max(1.0);
                    let _ = write!(
                        out,
                        r#"<rect class="mark" x="{left}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{c}"><title>{} {}: {v:.2} {}</title></rect><text x="{:.1}" y="{:.1}" font-size="11">{v:.2}</text>"#,
                        bar - 2.0,
                        escape(name),
                        escape(m),
                        escape(unit),
                        left + w + 4.0,
                        y + bar - 4.0
                    );
                }
                None => {
                    let _ = write!(
                        out,
                        r#"<text x="{left}" y="{:.1}" font-size="11">— ({})</text>"#,
                        y + bar - 4.0,
                        escape(m)
                    );
                }
            }
        }
    }
    for (j, m) in measures.iter().enumerate() {
        let x = 10.0 + 170.0 * j as f64;
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="11">{} ({})</text>"#,
            h - 24.0,
            colour(j),
            x + 14.0,
            h - 15.0,
            escape(m),
            escape(unit)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_labels_and_place_points() {
        let s = scatter(
            "t",
            "x",
            "y",
            &[Point {
                label: "<b>&".into(),
                x: (0.5, 0.4, 0.6),
                y: (0.0, 0.0, 0.1),
            }],
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("&lt;b&gt;&amp;") && !s.contains("<b>"));
        assert!(
            s.contains(r#"cx="280.0""#),
            "x = 0.5 is the middle of the plot: {s}"
        );
        let b = bars(
            "t",
            "ms",
            &["p50", "p90"],
            &[("a".into(), vec![Some(10.0), None])],
        );
        assert!(b.contains("<rect") && b.contains("— (p90)"));
        assert_eq!(
            b.matches("class=\"mark\"").count(),
            1,
            "one bar, one missing"
        );
        let st = strips("t", "voice", &[("a".into(), vec![0.2, 0.8])]);
        assert_eq!(st.matches("stroke-opacity").count(), 2);
        assert!(st.contains("<circle"), "the mean is marked");
    }
}
