//! Strategy 4, refusals: topics the corpus lacks, answered the way the persona says to ("I haven't written
//! about that"), so a tuned model learns to decline rather than invent.

use super::example::{Example, Strategy, pick};

/// Topics the demo author never writes about. Kept clear of `content/eval/unanswerable.toml`, which must
/// stay unseen; the leak check enforces that for every example anyway.
pub const TOPICS: &[&str] = &[
    "knitting",
    "tax returns",
    "football transfers",
    "opera",
    "skiing holidays",
    "cryptocurrency trading",
    "houseplants",
    "chess openings",
    "learning the guitar",
    "wine tasting",
    "Formula 1",
    "interior design",
    "stock picking",
    "video game speedruns",
    "astrology",
    "vintage watches",
    "horse riding",
    "ballet",
    "mortgage advice",
    "fashion trends",
    "golf swings",
    "podcast microphones",
    "tattoos",
    "birdwatching apps",
];

const QUESTIONS: &[&str] = &[
    "What do you think about {topic}?",
    "Have you ever written about {topic}?",
    "Can you give me your advice on {topic}?",
    "Tell me about your experience with {topic}.",
];

const ANSWERS: &[&str] = &[
    "I haven't written about {topic}, and I'd rather not guess. What I do write about is {covered}.",
    "{topic} isn't something I've written about, so I'd only be making it up. Ask me about {covered} instead.",
    "That's one I haven't written about. I'd rather say so than invent an opinion on {topic}.",
];

/// `covered` names what the author does write about (from the corpus's most common tags).
pub fn examples(covered: &str) -> Vec<Example> {
    TOPICS
        .iter()
        .map(|topic| {
            let q = pick(QUESTIONS, topic).replace("{topic}", topic);
            let a = pick(ANSWERS, &format!("a-{topic}"))
                .replace("{topic}", topic)
                .replace("{covered}", covered);
            let a = capitalise(&a);
            Example {
                strategy: Strategy::Refusals,
                source: format!("refusal-{topic}"),
                user: q,
                assistant: a,
            }
        })
        .collect()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
