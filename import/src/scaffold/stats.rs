//! Term statistics over the content's passages, with the index's own analyzer (lowercase, English stop
//! words out, Snowball stems): which documents use a term, how often, whether titles and headings do,
//! and how it is written. `twin init` picks its probe and eval suggestions from these.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use twin_index::{Kind, Passage};

/// One stemmed term across the corpus.
#[derive(Debug, Default, Clone)]
pub struct Term {
    /// Documents (slugs) whose text uses it.
    pub docs: BTreeSet<String>,
    /// Posts whose title uses it.
    pub title_docs: BTreeSet<String>,
    /// Posts whose section headings use it.
    pub heading_docs: BTreeSet<String>,
    /// Times it occurs in all text.
    pub count: usize,
    /// Its spellings as written, with counts.
    pub forms: BTreeMap<String, usize>,
    /// Occurrences written with a capital letter in the middle of a sentence (a name).
    pub capitalised_mid_sentence: usize,
    /// Occurrences in social posts.
    pub in_social: usize,
}

impl Term {
    /// The spelling used most (ties: the first in order).
    pub fn form(&self) -> String {
        let mut best: Option<(&String, usize)> = None;
        for (f, n) in &self.forms {
            if best.is_none_or(|(_, m)| *n > m) {
                best = Some((f, *n));
            }
        }
        best.map(|(f, _)| f.clone()).unwrap_or_default()
    }
}

/// The corpus, counted.
#[derive(Debug, Default)]
pub struct Stats {
    pub terms: BTreeMap<String, Term>,
    /// Documents (posts, social posts, about).
    pub docs: usize,
}

/// The analysed terms of `text` (the index's analyzer: lowercased, stop words out, stemmed), each with
/// the word as written and its byte offset.
pub fn stems<'t>(analyzer: &mut TextAnalyzer, text: &'t str) -> Vec<(String, &'t str, usize)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let token = stream.token();
        let surface = text.get(token.offset_from..token.offset_to).unwrap_or("");
        out.push((token.text.clone(), surface, token.offset_from));
    }
    out
}

/// Counts every term of every passage.
pub fn count(passages: &[Passage]) -> Stats {
    let mut analyzer = twin_index::schema::analyzer();
    let mut terms: BTreeMap<String, Term> = BTreeMap::new();
    let mut docs = BTreeSet::new();
    for p in passages {
        docs.insert(p.slug.clone());
        for (stem, surface, offset) in stems(&mut analyzer, &p.text) {
            if surface.chars().count() < 3 || !surface.chars().all(char::is_alphabetic) {
                continue;
            }
            let term = terms.entry(stem).or_default();
            term.docs.insert(p.slug.clone());
            term.count += 1;
            *term.forms.entry(surface.to_string()).or_default() += 1;
            if p.kind == Kind::Social {
                term.in_social += 1;
            }
            if surface.chars().next().is_some_and(char::is_uppercase)
                && mid_sentence(&p.text, offset)
            {
                term.capitalised_mid_sentence += 1;
            }
        }
        if p.kind != Kind::Post {
            // Social posts and the about page have labels, not titles.
            continue;
        }
        for (text, in_title) in [(p.title.clone(), true), (p.headings.join(" "), false)] {
            for (stem, _, _) in stems(&mut analyzer, &text) {
                let term = terms.entry(stem).or_default();
                if in_title {
                    term.title_docs.insert(p.slug.clone());
                } else {
                    term.heading_docs.insert(p.slug.clone());
                }
            }
        }
    }
    // Terms only seen in titles are not in the text.
    terms.retain(|_, t| t.count > 0);
    Stats {
        terms,
        docs: docs.len(),
    }
}

static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| stop_words::get("en").iter().copied().collect());

/// Whether a word is common English (the ISO stop-word list), so it names no topic.
pub fn is_common(word: &str) -> bool {
    COMMON.contains(word.to_lowercase().as_str())
}

impl Stats {
    /// Topics, best first: terms in the titles or headings of posts, used by 2 to 40% of the documents,
    /// not common English, ranked by the posts whose titles (three times) and headings use them, times
    /// the documents that use them, times two for a name (mostly written capitalised).
    pub fn topics(&self) -> Vec<(&String, &Term)> {
        let max_docs = (self.docs * 2 / 5).max(2);
        let mut ranked: Vec<(usize, &String, &Term)> = self
            .terms
            .iter()
            .filter(|(_, t)| {
                let form = t.form();
                t.docs.len() >= 2
                    && t.docs.len() <= max_docs
                    && !(t.title_docs.is_empty() && t.heading_docs.is_empty())
                    && form.chars().count() >= 4
                    && !is_common(&form)
            })
            .map(|(stem, t)| {
                // A name (a project, a tool, a place) is the most concrete topic: counted double.
                let name = if t.form().starts_with(char::is_uppercase) {
                    2
                } else {
                    1
                };
                (
                    (3 * t.title_docs.len() + t.heading_docs.len()) * t.docs.len() * name,
                    stem,
                    t,
                )
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        ranked.into_iter().map(|(_, s, t)| (s, t)).collect()
    }
}

/// Whether the word at `offset` follows other words of its sentence (so a capital marks a name).
fn mid_sentence(text: &str, offset: usize) -> bool {
    let before = text.get(..offset).unwrap_or("").trim_end();
    match before.chars().last() {
        None => false,
        Some(c) => !matches!(
            c,
            '.' | '!' | '?' | ':' | '"' | '“' | '\n' | '(' | '-' | '—' | '#' | '*'
        ),
    }
}

/// The first sentence of `text` that contains `word` (any case), cut to at most `max_words` words.
pub fn sentence_with(text: &str, word: &str, max_words: usize) -> Option<String> {
    let lower = word.to_lowercase();
    text.split_inclusive(['.', '!', '?'])
        .map(str::trim)
        .find(|s| {
            s.to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == lower)
        })
        .map(|s| {
            s.trim_end_matches(['.', '!', '?'])
                .split_whitespace()
                .take(max_words)
                .collect::<Vec<_>>()
                .join(" ")
        })
}
