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
pub const MAX_DEPTH: usize = 128;

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

/// A first, linear look at the tags as written: more than this many open at once is refused before
/// the HTML parser sees it (its scope checks walk the open elements, so a hostile page thousands of
/// levels deep would take quadratic time to parse).
const MAX_TAG_DEPTH: usize = 512;

/// Elements with no content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "param",
];

/// Elements whose opening closes an open `<p>` (a subset of the parser's list: closing fewer only
/// over-counts).
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "figure",
    "footer",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
    "dd",
    "dt",
    "form",
];

/// Elements a new one of the same kind closes (`<li>` after `<li>`, `<td>` after `<td>`, ...).
const SELF_CLOSING_SIBLINGS: &[&str] = &["li", "dd", "dt", "option", "tr", "td", "th", "p"];

/// `Err` when the HTML nests elements more than [`MAX_DEPTH`] deep: first an upper bound from the tags
/// as written (linear: tags open until closed, only the parser's certain implied closes applied, so
/// tricks like `<div/>` count as open), then the tree the HTML parser builds (dom_query: an arena,
/// walked without recursion), which is what the converter recurses through.
pub fn check_depth(html: &str) -> Result<(), String> {
    let refused = || format!("HTML nested deeper than {MAX_DEPTH} levels: not converted");
    if tag_depth_over(html, MAX_TAG_DEPTH) {
        return Err(refused());
    }
    let doc = dom_query::Document::from(html);
    let mut stack = vec![(doc.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(refused());
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            if c.is_element() {
                stack.push((c, depth + 1));
            }
        }
    }
    Ok(())
}

/// Whether more than `limit` elements are open at once, counting tags as written.
fn tag_depth_over(html: &str, limit: usize) -> bool {
    let bytes = html.as_bytes();
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    let mut raw_text_until: Option<&str> = None;
    while let Some(lt) = bytes[i..].iter().position(|b| *b == b'<') {
        i += lt + 1;
        let rest = &html[i..];
        if let Some(end_tag) = raw_text_until {
            // Inside <script> or <style>: only its closing tag counts.
            if rest
                .as_bytes()
                .get(..end_tag.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(end_tag.as_bytes()))
            {
                raw_text_until = None;
                open.pop();
            }
            continue;
        }
        if rest.starts_with("!--") {
            match rest.find("-->") {
                Some(end) => i += end + 3,
                None => break,
            }
            continue;
        }
        let closing = rest.starts_with('/');
        let name: String = rest[usize::from(closing)..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            if let Some(at) = open.iter().rposition(|n| *n == name) {
                open.truncate(at);
            }
            continue;
        }
        if CLOSES_P.contains(&name.as_str()) && open.last().is_some_and(|n| n == "p") {
            open.pop();
        }
        if SELF_CLOSING_SIBLINGS.contains(&name.as_str()) && open.last().is_some_and(|n| *n == name)
        {
            open.pop();
        }
        if name == "script" {
            raw_text_until = Some("/script");
        } else if name == "style" {
            raw_text_until = Some("/style");
        }
        open.push(name);
        if open.len() > limit {
            return true;
        }
    }
    false
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
        let refused = format!("HTML nested deeper than {MAX_DEPTH} levels: not converted");
        let tricks = [
            format!(
                "{}text{}",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            ),
            "<div/>".repeat(100_000),
            "<rt>".repeat(100_000),
            "<optgroup>".repeat(100_000),
            "<dd><li>".repeat(50_000),
            "<div title=\"/>\">".repeat(100_000),
            "<table><tr><td>".repeat(20_000),
        ];
        for html in &tricks {
            assert_eq!(
                to_markdown(html).expect_err("refused"),
                refused,
                "{}",
                &html[..20]
            );
        }
        // Scripts full of `<` and thousands of unclosed paragraphs and list items are not deep.
        let script = format!(
            "<script>{}é</script><p>text</p>",
            "for(r=0;r<e.length;r++){}<sé".repeat(5_000)
        );
        assert_eq!(to_markdown(&script).expect("converts").markdown, "text");
        assert!(to_markdown(&"<p>a<li>b".repeat(5_000)).is_ok());
        assert!(check_depth(&"<section><div>x</div></section>".repeat(10_000)).is_ok());
    }

    #[test]
    fn the_deepest_allowed_html_converts_on_a_small_stack() {
        // Test threads have 2 MiB of stack, as the crawl's threads do: the limit must fit in it for the
        // elements whose handlers recurse most.
        let levels = MAX_DEPTH - 4;
        for (open, close) in [
            ("<blockquote>", "</blockquote>"),
            ("<ul><li>", "</li></ul>"),
            ("<table><tr><td>", "</td></tr></table>"),
            ("<div>", "</div>"),
        ] {
            let per = open.matches('<').count() + if open.contains("<table>") { 1 } else { 0 };
            let n = levels / per;
            let html = format!("{}deep{}", open.repeat(n), close.repeat(n));
            let c = to_markdown(&html).unwrap_or_else(|e| panic!("{open}: {e}"));
            assert!(c.markdown.contains("deep"), "{open}");
        }
    }
}
