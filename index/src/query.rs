//! Free text to a BM25 query, built from analysed tokens rather than tantivy's query syntax, so that
//! nothing a reader types (quotes, `AND`, `*`, `~`, colons, emoji, a pasted essay) is ever parsed as
//! syntax, errors, or makes unbounded work.

use crate::schema::{Fields, analyzer};
use crate::spelling;
use std::collections::BTreeSet;
use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

/// Characters of a question that are analysed; the rest is ignored (a question is not an essay).
pub const MAX_QUERY_CHARS: usize = 2_000;
/// Distinct terms a query may hold; bounds the posting lists one question can touch.
pub const MAX_QUERY_TERMS: usize = 32;

/// Words that shape a reader's question but say nothing about its topic: interrogatives, auxiliaries and
/// the pronouns a reader uses to address the author ("how do *you*..."). Left in, they match every
/// heading that starts "What I..." and drown the one rare word that matters. Dropped from queries only;
/// the index keeps them.
const QUESTION_WORDS: &[&str] = &[
    "what", "whats", "how", "why", "when", "where", "which", "who", "whom", "whose", "do", "does",
    "did", "you", "your", "yours", "yourself", "i", "me", "my", "we", "us", "our", "can", "could",
    "would", "should", "s", "t", "ve", "ll", "d", "re", "m", "ever", "tell", "about", "any",
    "some", "much", "many", "has", "have", "had", "get", "got", "use", "used", "using", "there",
    "here", "still", "now",
];

/// Query-side improvements, each measured by `twin eval retrieval` (its "Retrievers compared" table, in
/// the README) and shipped only where the numbers support it ([`QueryOptions::SHIPPED`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryOptions {
    /// Also match the other spelling of a reader's word ("color" finds "colour", and back).
    pub spelling: bool,
    /// A word the index has never seen is also matched as its most common one-edit neighbour that it
    /// has ("sourdoguh" → "sourdough"), weighted down (`TYPO_WEIGHT`).
    pub typos: bool,
    /// Pseudo-relevance feedback (RM3-style): terms weighted by their share of the first search's top
    /// passages are added to the question, weighted down.
    pub feedback: Option<Feedback>,
}

/// RM3-style feedback: how many top passages to read, how many terms to add, and their total weight
/// against the question's (each question term weighs 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    pub passages: usize,
    pub terms: usize,
    pub weight: f32,
}

impl QueryOptions {
    /// BM25 over the analysed question, nothing added.
    pub const PLAIN: QueryOptions = QueryOptions {
        spelling: false,
        typos: false,
        feedback: None,
    };
    /// What the worker ships: other spellings and typo correction. RM3 feedback is measured and not
    /// shipped: it doubles the query time and lost recall on long chatty questions (the README's table).
    pub const SHIPPED: QueryOptions = QueryOptions {
        spelling: true,
        typos: true,
        feedback: None,
    };
}

/// What a corrected typo weighs against a word as written: a guess, so less than the reader's own word.
pub const TYPO_WEIGHT: f32 = 0.7;

/// One of a question's terms and the alternatives that may stand for it, each with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub term: String,
    pub alternatives: Vec<(String, f32)>,
}

/// The distinct analysed terms of a question (lowercased, stop and question words dropped, stemmed), in
/// order of first appearance, capped at [`MAX_QUERY_TERMS`] after reading at most [`MAX_QUERY_CHARS`]
/// characters. A question made only of question words keeps them rather than matching nothing.
pub fn question_terms(question: &str) -> Vec<String> {
    question_words(question)
        .into_iter()
        .map(|(_, term)| term)
        .collect()
}

/// [`question_terms`] with the lowercase word each term came from.
fn question_words(question: &str) -> Vec<(String, String)> {
    let end = question
        .char_indices()
        .nth(MAX_QUERY_CHARS)
        .map_or(question.len(), |(i, _)| i);
    let question = &question[..end];
    let topical = analysed(question, true);
    if topical.is_empty() {
        analysed(question, false)
    } else {
        topical
    }
}

fn analysed(text: &str, drop_question_words: bool) -> Vec<(String, String)> {
    let mut words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .build();
    let mut full = analyzer();
    let mut terms: Vec<(String, String)> = Vec::new();
    let mut stream = words.token_stream(text);
    while terms.len() < MAX_QUERY_TERMS && stream.advance() {
        let word = stream.token().text.as_str();
        if drop_question_words && QUESTION_WORDS.contains(&word) {
            continue;
        }
        for t in stems(&mut full, word) {
            if terms.len() < MAX_QUERY_TERMS && !terms.iter().any(|(_, x)| *x == t) {
                terms.push((word.to_string(), t));
            }
        }
    }
    terms
}

/// A word as the index analyses it (nothing for a stop word or an overlong token).
fn stems(analyzer: &mut TextAnalyzer, word: &str) -> Vec<String> {
    let mut stemmed = analyzer.token_stream(word);
    let mut out = Vec::new();
    while stemmed.advance() {
        out.push(stemmed.token().text.clone());
    }
    out
}

/// How often the index holds a term: in any field (is the word known at all?), and in the body (the
/// one lookup per typo candidate).
pub(crate) struct DocFreq<'a> {
    pub any_field: &'a dyn Fn(&str) -> u64,
    pub body: &'a dyn Fn(&str) -> u64,
}

/// The question's clauses under `options`: each term with its alternatives (another spelling, a typo's
/// correction).
pub(crate) fn clauses(question: &str, options: &QueryOptions, df: &DocFreq) -> Vec<Clause> {
    let mut full = analyzer();
    let mut typo_attempts = 0;
    question_words(question)
        .into_iter()
        .map(|(word, term)| {
            let mut alternatives = Vec::new();
            if options.spelling
                && let Some(other) = spelling::other_spelling(&word)
            {
                for t in stems(&mut full, &other) {
                    if t != term {
                        alternatives.push((t, 1.0));
                    }
                }
            }
            if options.typos
                && alternatives.is_empty()
                && typo_attempts < MAX_TYPO_ATTEMPTS
                && (MIN_TYPO_CHARS..=MAX_TYPO_CHARS).contains(&word.chars().count())
                && (df.any_field)(&term) == 0
            {
                typo_attempts += 1;
                if let Some(fix) = typo_fix(&mut full, &word, df.body) {
                    alternatives.push((fix, TYPO_WEIGHT));
                }
            }
            Clause { term, alternatives }
        })
        .collect()
}

/// Unknown words per question looked up as typos: each costs at most 54 × [`MAX_TYPO_CHARS`] + 25
/// candidates, one stemming and one dictionary lookup each (about 700), so a question costs at most
/// about 2,000 lookups however it is written.
pub const MAX_TYPO_ATTEMPTS: usize = 3;
/// Words shorter than this are never corrected: too many real words lie one edit apart ("bees" and
/// "beds").
pub const MIN_TYPO_CHARS: usize = 5;
/// Words longer than this are never corrected (bounds the candidates; long typos are rare).
pub const MAX_TYPO_CHARS: usize = 12;

/// The analysed term, among every one-edit variant of `word` (deletion, transposition, substitution,
/// insertion of a-z), that the most passages hold in their body; `None` when no variant is in the index.
/// Only lowercase ASCII words are corrected.
fn typo_fix(
    analyzer: &mut TextAnalyzer,
    word: &str,
    doc_freq: &dyn Fn(&str) -> u64,
) -> Option<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < MIN_TYPO_CHARS
        || chars.len() > MAX_TYPO_CHARS
        || !chars.iter().all(char::is_ascii_lowercase)
    {
        return None;
    }
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    let n = chars.len();
    let s = |v: &[char]| v.iter().collect::<String>();
    for i in 0..n {
        let mut v = chars.clone();
        v.remove(i);
        candidates.insert(s(&v));
        if i + 1 < n {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            candidates.insert(s(&v));
        }
    }
    for i in 0..=n {
        for c in 'a'..='z' {
            if i < n {
                let mut v = chars.clone();
                v[i] = c;
                candidates.insert(s(&v));
            }
            let mut v = chars.clone();
            v.insert(i, c);
            candidates.insert(s(&v));
        }
    }
    candidates.remove(word);
    let mut best: Option<(u64, String)> = None;
    let mut looked_up: BTreeSet<String> = BTreeSet::new();
    for c in candidates {
        for t in stems(analyzer, &c) {
            if !looked_up.insert(t.clone()) {
                continue;
            }
            let df = doc_freq(&t);
            if df > 0 && best.as_ref().is_none_or(|(b, _)| df > *b) {
                best = Some((df, t));
            }
        }
    }
    best.map(|(_, t)| t)
}

/// How much the other fields add to a term's best field: a word in the title *and* the body counts a bit
/// more than in the title alone, but not twice.
const FIELD_TIE_BREAKER: f32 = 0.3;

/// One clause's query: the best of its term's and its alternatives' boosted field matches (plus a little
/// of the rest), scaled by `weight`.
fn clause_query(fields: &Fields, c: &Clause, weight: f32) -> Box<dyn Query> {
    let terms = std::iter::once((c.term.as_str(), 1.0f32))
        .chain(c.alternatives.iter().map(|(t, w)| (t.as_str(), *w)));
    let per_field: Vec<Box<dyn Query>> = terms
        .flat_map(|(term, w)| {
            fields.boosted().into_iter().map(move |(field, boost)| {
                let q = TermQuery::new(
                    Term::from_field_text(field, term),
                    IndexRecordOption::WithFreqs,
                );
                Box::new(BoostQuery::new(Box::new(q), boost * w * weight)) as Box<dyn Query>
            })
        })
        .collect();
    Box::new(DisjunctionMaxQuery::with_tie_breaker(
        per_field,
        FIELD_TIE_BREAKER,
    ))
}

/// One `SHOULD` clause per term, plus weighted feedback terms. `None` when there is no clause (a question
/// with no searchable term: empty, only stop words, only punctuation or emoji).
pub(crate) fn build(
    fields: &Fields,
    clauses: &[Clause],
    feedback: &[(String, f32)],
) -> Option<Box<dyn Query>> {
    if clauses.is_empty() {
        return None;
    }
    let mut all: Vec<(Occur, Box<dyn Query>)> = clauses
        .iter()
        .map(|c| (Occur::Should, clause_query(fields, c, 1.0)))
        .collect();
    for (term, weight) in feedback {
        let c = Clause {
            term: term.clone(),
            alternatives: Vec::new(),
        };
        all.push((Occur::Should, clause_query(fields, &c, *weight)));
    }
    Some(Box::new(BooleanQuery::new(all)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_lowercases_and_drops_stop_words() {
        assert_eq!(
            question_terms("How do the Sensors survive?"),
            ["sensor", "surviv"]
        );
        assert_eq!(question_terms("What is afterdrop?"), ["afterdrop"]);
        assert_eq!(
            question_terms("Who are you?"),
            ["who", "you"],
            "all question words: keep them"
        );
    }

    #[test]
    fn syntax_characters_are_just_separators() {
        let t = question_terms("title:\"driftwood\" AND (salt*) ~2 -battery +wind^3 🌊🌊");
        assert_eq!(
            t,
            ["titl", "driftwood", "salt", "2", "batteri", "wind", "3"]
        );
    }

    #[test]
    fn empty_and_symbol_only_questions_have_no_terms() {
        assert!(question_terms("").is_empty());
        assert!(question_terms("   ?!?! 🌊 ::: ()").is_empty());
        assert!(question_terms("the and of a").is_empty());
    }

    /// A document-frequency table: `terms` are in the index (body and any field), with a lookup count.
    fn table(
        terms: &'static [&'static str],
        lookups: &std::cell::Cell<usize>,
    ) -> impl Fn(&str) -> u64 {
        move |t: &str| {
            lookups.set(lookups.get() + 1);
            u64::from(terms.contains(&t))
        }
    }

    #[test]
    fn typos_and_spellings_become_alternatives() {
        let lookups = std::cell::Cell::new(0);
        let known = table(&["sourdough", "starter", "colour"], &lookups);
        let df = DocFreq {
            any_field: &known,
            body: &known,
        };
        let options = QueryOptions {
            spelling: true,
            typos: true,
            feedback: None,
        };
        let c = clauses("my sourdoguh startr color", &options, &df);
        let alt = |i: usize| {
            c[i].alternatives
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(c[0].term, "sourdoguh");
        assert_eq!(alt(0), ["sourdough"]);
        assert_eq!(c[0].alternatives[0].1, TYPO_WEIGHT);
        assert_eq!(alt(1), ["starter"]);
        assert_eq!(alt(2), ["colour"], "the other spelling, at full weight");
        assert_eq!(c[2].alternatives[0].1, 1.0);
        let plain = clauses("my sourdoguh startr color", &QueryOptions::PLAIN, &df);
        assert!(plain.iter().all(|c| c.alternatives.is_empty()));
        // Short words, known words and non-ASCII words are never corrected.
        let c = clauses("bees sourdough naïveté", &options, &df);
        assert!(c.iter().all(|c| c.alternatives.is_empty()), "{c:?}");
    }

    #[test]
    fn typo_correction_costs_a_bounded_number_of_lookups() {
        let lookups = std::cell::Cell::new(0);
        let nothing = table(&[], &lookups);
        let df = DocFreq {
            any_field: &nothing,
            body: &nothing,
        };
        let options = QueryOptions {
            spelling: true,
            typos: true,
            feedback: None,
        };
        let hostile: String = (0..40)
            .map(|i| format!("qwertyuiop{} ", (b'a' + (i % 26) as u8) as char))
            .collect::<String>()
            + &"zxcvbnmasdfghjklqwertyuiopzxcvbnmasdfg ".repeat(40);
        let c = clauses(&hostile, &options, &df);
        assert!(c.len() <= MAX_QUERY_TERMS);
        let bound = MAX_QUERY_TERMS + MAX_TYPO_ATTEMPTS * (54 * MAX_TYPO_CHARS + 25);
        assert!(
            lookups.get() <= bound,
            "{} lookups, bound {bound}",
            lookups.get()
        );
        assert!(lookups.get() > MAX_QUERY_TERMS, "typo correction was tried");
    }

    #[test]
    fn long_questions_are_capped() {
        let words: String = (0..5000).map(|i| format!("word{i} ")).collect();
        let t = question_terms(&words);
        assert_eq!(t.len(), MAX_QUERY_TERMS);
        let one_char = "x".repeat(10_000);
        assert_eq!(
            question_terms(&one_char).len(),
            0,
            "a 10,000-char token is dropped as too long"
        );
    }
}
