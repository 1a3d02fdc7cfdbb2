//! Strategy 2, knowledge Q&A: questions built from headings, sections and front matter, answered with the
//! author's own section text (cut at a paragraph near 700 characters), plus the post's date and topic.

use super::example::{Example, Strategy, pick};
use std::collections::BTreeMap;
use twin_index::{Kind, Passage};

const SECTION_TEMPLATES: &[&str] = &[
    "In \"{title}\", what did you say about {heading}?",
    "Can you explain {heading}, from your post \"{title}\"?",
    "What's the story with {heading} in \"{title}\"?",
];

/// Longest answer taken from a section.
const MAX_ANSWER_CHARS: usize = 700;

pub fn examples(passages: &[Passage]) -> Vec<Example> {
    let mut out = Vec::new();
    let mut posts: BTreeMap<&str, Vec<&Passage>> = BTreeMap::new();
    for p in passages.iter().filter(|p| p.kind == Kind::Post) {
        posts.entry(p.slug.as_str()).or_default().push(p);
    }
    for (slug, parts) in posts {
        let first = parts[0];
        out.push(Example {
            strategy: Strategy::Knowledge,
            source: slug.to_string(),
            user: format!("When did you publish \"{}\"?", first.title),
            assistant: format!("I published \"{}\" on {}.", first.title, first.date),
        });
        out.push(Example {
            strategy: Strategy::Knowledge,
            source: slug.to_string(),
            user: format!("What is your post \"{}\" about?", first.title),
            assistant: cut(&first.text),
        });
        for p in parts.iter().filter(|p| !p.headings.is_empty()) {
            let heading = p.headings.last().map(String::as_str).unwrap_or_default();
            let user = pick(SECTION_TEMPLATES, &p.url)
                .replace("{title}", &p.title)
                .replace("{heading}", &heading.to_lowercase());
            out.push(Example {
                strategy: Strategy::Knowledge,
                source: slug.to_string(),
                user,
                assistant: cut(&p.text),
            });
        }
    }
    out
}

/// The text up to the paragraph boundary nearest [`MAX_ANSWER_CHARS`] (never mid-word).
fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_ANSWER_CHARS {
        return text.to_string();
    }
    let mut out = String::new();
    for para in text.split("\n\n") {
        if !out.is_empty() && out.chars().count() + para.chars().count() > MAX_ANSWER_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(para);
    }
    if out.chars().count() > MAX_ANSWER_CHARS {
        let words: Vec<&str> = out.split_whitespace().collect();
        let mut short = String::new();
        for w in words {
            if short.chars().count() + w.len() + 1 > MAX_ANSWER_CHARS {
                break;
            }
            if !short.is_empty() {
                short.push(' ');
            }
            short.push_str(w);
        }
        out = format!("{short}…");
    }
    out
}
