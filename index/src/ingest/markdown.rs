//! Markdown to plain-text sections, one per heading, using `pulldown-cmark`: markup is stripped (link
//! text kept, raw HTML dropped), code is kept as text (readers search for it), and each section keeps its
//! heading path and anchor so a passage can link to the exact place.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// A run of text under one heading.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    /// Heading path, outermost first (`["Power", "Solar"]`); empty for text before the first heading.
    pub headings: Vec<String>,
    /// The anchor of the innermost heading (`{#id}` if given, else its slug), unique within the document.
    pub anchor: Option<String>,
    /// Block-level pieces of text (paragraphs, list items, code blocks), in order.
    pub blocks: Vec<String>,
}

/// Splits markdown into sections. A leading `# heading` equal to `title` is skipped (many blogs repeat it).
pub fn sections(markdown: &str, title: &str) -> Vec<Section> {
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let mut out = vec![Section::default()];
    let mut stack: Vec<(HeadingLevel, String)> = Vec::new();
    let mut anchors: Vec<String> = Vec::new();
    let mut block = String::new();
    let mut heading: Option<(HeadingLevel, Option<String>, String)> = None;

    for event in Parser::new_ext(markdown, opts) {
        if let Some((_, _, text)) = heading.as_mut() {
            match event {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((level, id, text)) = heading.take() {
                        let text = text.trim().to_string();
                        let is_title = level == HeadingLevel::H1
                            && stack.is_empty()
                            && text.eq_ignore_ascii_case(title.trim());
                        if !is_title {
                            stack.retain(|(l, _)| *l < level);
                            stack.push((level, text.clone()));
                            let base = id.unwrap_or_else(|| slug::slugify(&text));
                            let anchor = unique(&base, &mut anchors);
                            out.push(Section {
                                headings: stack.iter().map(|(_, t)| t.clone()).collect(),
                                anchor: Some(anchor),
                                blocks: Vec::new(),
                            });
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::Heading { level, id, .. }) => {
                flush(&mut block, &mut out);
                heading = Some((level, id.map(|s| s.to_string()), String::new()));
            }
            Event::Start(Tag::Item) => {
                flush(&mut block, &mut out);
                block.push_str("- ");
            }
            Event::Start(Tag::List(_)) | Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut block, &mut out)
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::BlockQuote(_)
                | TagEnd::FootnoteDefinition,
            ) => flush(&mut block, &mut out),
            Event::End(TagEnd::TableCell) => block.push_str(" | "),
            // Raw HTML never reaches an index or a prompt.
            Event::Html(_) | Event::InlineHtml(_) => {}
            Event::Text(t) | Event::Code(t) => block.push_str(&t),
            Event::SoftBreak => block.push(' '),
            Event::HardBreak => block.push('\n'),
            _ => {}
        }
    }
    flush(&mut block, &mut out);
    out.retain(|s| !s.blocks.is_empty());
    out
}

/// Ends the current block: trimmed, and kept only if it says something.
fn flush(block: &mut String, out: &mut [Section]) {
    let text = block.trim();
    if !text.is_empty()
        && text != "-"
        && let Some(last) = out.last_mut()
    {
        last.blocks.push(text.to_string());
    }
    block.clear();
}

/// `base`, or `base-1`, `base-2`... if taken (the Hugo and Zola rule for repeated headings).
fn unique(base: &str, taken: &mut Vec<String>) -> String {
    let base = if base.is_empty() { "section" } else { base };
    let mut candidate = base.to_string();
    let mut n = 1;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# My Post\n\nIntro with a [link](http://x) and `code`.\n\n## Power {#power-supply}\n\n\
        Solar panel.\n\n### The battery\n\n- one\n- two\n\n```rust\nfn main() {}\n```\n\n## Power\n\n<div>raw</div>\n\nAgain.\n";

    #[test]
    fn splits_by_heading_with_paths_and_anchors() {
        let s = sections(DOC, "My Post");
        assert_eq!(s.len(), 4, "{s:#?}");
        assert!(s[0].headings.is_empty());
        assert_eq!(s[0].blocks, ["Intro with a link and code."]);
        assert_eq!(s[1].anchor.as_deref(), Some("power-supply"));
        assert_eq!(s[2].headings, ["Power", "The battery"]);
        assert_eq!(s[2].anchor.as_deref(), Some("the-battery"));
        assert_eq!(s[2].blocks, ["- one", "- two", "fn main() {}"]);
        assert_eq!(s[3].anchor.as_deref(), Some("power"));
        assert_eq!(s[3].blocks, ["Again."], "raw HTML is dropped");
    }

    #[test]
    fn repeated_headings_get_numbered_anchors() {
        let s = sections("## A\n\nx\n\n## A\n\ny\n", "t");
        assert_eq!(s[0].anchor.as_deref(), Some("a"));
        assert_eq!(s[1].anchor.as_deref(), Some("a-1"));
    }
}
