//! HTML to Markdown with `htmd` (a maintained turndown port on html5ever): code blocks fenced, headings
//! keep their `id` as `{#id}` so passages link to the exact place, images and embeds dropped and counted.

use htmd::element_handler::{HandlerResult, Handlers};
use htmd::{Element, HtmlToMarkdown};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Tags that are not text and are left out without a note.
const NOT_TEXT: &[&str] = &[
    "script", "style", "noscript", "template", "form", "button", "input", "select", "textarea",
    "head",
];

/// Images and embeds: left out, and counted so the summary can say so.
const MEDIA: &[&str] = &[
    "img", "picture", "video", "audio", "iframe", "embed", "object", "svg", "canvas",
];

/// A converted body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    pub markdown: String,
    /// Images and embeds left out.
    pub dropped_media: usize,
}

/// Deeper HTML is refused: the converter (and Readability) recurse once per level, and a hostile page
/// of 100,000 nested `<div>`s would overflow the stack. Real posts nest a few dozen levels.
pub const MAX_DEPTH: usize = 256;

/// Converts an HTML fragment or page to Markdown; `Err` (the reason) for HTML nested over [`MAX_DEPTH`].
pub fn to_markdown(html: &str) -> Result<Converted, String> {
    check_depth(html)?;
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&dropped);
    let converter = HtmlToMarkdown::builder()
        .skip_tags(NOT_TEXT.to_vec())
        .add_handler(MEDIA.to_vec(), move |_: &dyn Handlers, _: Element| {
            counter.fetch_add(1, Ordering::Relaxed);
            None
        })
        .add_handler(vec!["h1", "h2", "h3", "h4", "h5", "h6"], heading)
        .build();
    // htmd reads from memory; html5ever accepts any input, so an error here is not expected. An
    // unreadable body becomes empty text, which the importers report as a post with no text.
    let markdown = converter.convert(html).unwrap_or_default();
    Ok(Converted {
        markdown: tidy(&markdown),
        dropped_media: dropped.load(Ordering::Relaxed),
    })
}

/// Elements that never hold others open (void) or that the HTML parser closes by itself when the next
/// one starts: they do not add to the nesting the converter recurses through.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "rb", "rt", "rp",
];

/// `Err` when the tags of `html` open more than [`MAX_DEPTH`] levels at once (counted from the tags as
/// written: unclosed elements count as still open, so this errs towards refusing).
pub fn check_depth(html: &str) -> Result<(), String> {
    let mut depth: usize = 0;
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with("!--") {
            rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
            continue;
        }
        let closing = rest.starts_with('/');
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || NOT_NESTING.contains(&name.as_str()) {
            continue;
        }
        let self_closing = rest.find('>').is_some_and(|end| rest[..end].ends_with('/'));
        if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(format!(
                    "HTML nested deeper than {MAX_DEPTH} levels: not converted"
                ));
            }
        }
    }
    Ok(())
}

/// `## Text {#id}` when the heading has an id, so its anchor survives into the passage link.
fn heading(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    let level = element
        .tag
        .strip_prefix('h')
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(2)
        .clamp(1, 6);
    let text = handlers.walk_children(element.node).content;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() {
        return Some(String::new().into());
    }
    let id = element
        .attrs
        .iter()
        .find(|a| &*a.name.local == "id")
        .map(|a| a.value.to_string())
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    let hashes = "#".repeat(level);
    Some(match id {
        Some(id) => format!("\n\n{hashes} {text} {{#{id}}}\n\n").into(),
        None => format!("\n\n{hashes} {text}\n\n").into(),
    })
}

/// At most one blank line in a row, no trailing spaces, no blank lines at either end.
fn tidy(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut blank = 0;
    for line in markdown.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_headings_and_links_survive_media_does_not() {
        let html = r#"<h2 id="the-mix">The <em>mix</em></h2><p>Two parts <a href="https://x.example/">brown</a>.</p>
<figure><img src="a.jpg" alt="heap"><figcaption>The heap in July</figcaption></figure>
<iframe src="https://www.youtube.com/embed/x"></iframe>
<pre><code class="language-rust">fn main() {
    println!("hot");
}</code></pre><script>alert(1)</script>"#;
        let c = to_markdown(html).expect("converts");
        assert!(
            c.markdown.starts_with("## The *mix* {#the-mix}"),
            "{}",
            c.markdown
        );
        assert!(
            c.markdown.contains("[brown](https://x.example/)"),
            "{}",
            c.markdown
        );
        assert!(
            c.markdown
                .contains("```rust\nfn main() {\n    println!(\"hot\");\n}\n```"),
            "{}",
            c.markdown
        );
        assert!(c.markdown.contains("The heap in July"));
        assert!(
            !c.markdown.contains("a.jpg")
                && !c.markdown.contains("youtube")
                && !c.markdown.contains("alert")
        );
        assert_eq!(c.dropped_media, 2);
    }

    #[test]
    fn a_heading_id_that_could_break_the_attribute_is_left_out() {
        let c = to_markdown(r#"<h3 id="a} b">Tides</h3>"#).expect("converts");
        assert_eq!(c.markdown, "### Tides");
    }

    #[test]
    fn hostile_nesting_is_refused_before_it_can_overflow_the_stack() {
        let deep = format!(
            "{}text{}",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        assert_eq!(
            to_markdown(&deep).expect_err("refused"),
            format!("HTML nested deeper than {MAX_DEPTH} levels: not converted")
        );
        // Deep but within the limit converts; so do thousands of unclosed paragraphs and list items.
        let ok = format!("{}text{}", "<div>".repeat(200), "</div>".repeat(200));
        assert_eq!(to_markdown(&ok).expect("converts").markdown, "text");
        let paragraphs = "<p>a<li>b".repeat(5_000);
        assert!(to_markdown(&paragraphs).is_ok());
        // Siblings do not add up: a long post of many sections is not deep.
        assert!(check_depth(&"<section><div>x</div></section>".repeat(10_000)).is_ok());
    }
}
