//! Strategy 1, voice: each passage of the author's writing becomes the answer to a "write about X" prompt,
//! so a model learns how the author writes (not, reliably, what).

use super::example::{Example, Strategy, pick};
use twin_index::{Kind, Passage};

const TEMPLATES: &[&str] = &[
    "Write a few paragraphs about {topic}.",
    "Tell me about {topic}, in your own words.",
    "Write about {topic}.",
    "What's your take on {topic}?",
];

/// Passages shorter than this teach little voice.
const MIN_CHARS: usize = 200;

pub fn examples(passages: &[Passage]) -> Vec<Example> {
    passages
        .iter()
        .filter(|p| p.text.chars().count() >= MIN_CHARS)
        .map(|p| {
            let topic = match (p.kind, p.headings.last()) {
                (Kind::Social, _) => first_words(&p.text, 8),
                (_, Some(h)) => format!("\"{h}\" (from your post \"{}\")", p.title),
                (_, None) => format!("your post \"{}\"", p.title),
            };
            let user = pick(TEMPLATES, &p.url).replace("{topic}", &topic);
            Example {
                strategy: Strategy::Voice,
                source: p.slug.clone(),
                user,
                assistant: p.text.clone(),
            }
        })
        .collect()
}

fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().take(n).collect();
    format!("the thought that starts \"{}…\"", words.join(" "))
}
