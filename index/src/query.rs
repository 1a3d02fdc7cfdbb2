//! Free text to a BM25 query, built from analysed tokens rather than tantivy's query syntax, so that
//! nothing a reader types (quotes, `AND`, `*`, `~`, colons, emoji, a pasted essay) is ever parsed as
//! syntax, errors, or makes unbounded work.

use crate::schema::{Fields, analyzer};
use crate::spelling;
use std::collections::HashSet;
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
    /// Synonym expansion: words a thesaurus gives for a reader's word that the index holds are added as
    /// its alternatives, weighted down. Measured, not shipped (the README's table).
    pub synonyms: Option<Synonyms>,
}

/// A synonym source for query expansion and how much its words weigh against the reader's own.
#[derive(Clone, Copy)]
pub struct Synonyms {
    /// Names the source in reports and comparisons.
    pub name: &'static str,
    /// The synonyms of a lowercase word, in the source's order; multi-word entries are skipped.
    pub lookup: fn(&str) -> Vec<String>,
    /// What a synonym weighs against the reader's word.
    pub weight: f32,
    /// At most this many synonyms (those the index holds) per word.
    pub per_word: usize,
}

impl PartialEq for Synonyms {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.weight == other.weight && self.per_word == other.per_word
    }
}

impl std::fmt::Debug for Synonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synonyms")
            .field("name", &self.name)
            .field("weight", &self.weight)
            .field("per_word", &self.per_word)
            .finish()
    }
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
        synonyms: None,
    };
    /// What the worker ships: other spellings and typo correction. RM3 feedback is measured and not
    /// shipped: it doubles the query time and lost recall on long chatty questions (the README's table).
    pub const SHIPPED: QueryOptions = QueryOptions {
        spelling: true,
        typos: true,
        feedback: None,
        synonyms: None,
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
pub fn question_words(question: &str) -> Vec<(String, String)> {
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
            if let Some(syn) = options.synonyms {
                add_synonyms(&mut full, &syn, &word, &term, df, &mut alternatives);
            }
            Clause { term, alternatives }
        })
        .collect()
}

/// Adds to `alternatives` up to `syn.per_word` single-word synonyms of `word` whose analysed term the
/// index holds and the clause does not have yet.
fn add_synonyms(
    analyzer: &mut TextAnalyzer,
    syn: &Synonyms,
    word: &str,
    term: &str,
    df: &DocFreq,
    alternatives: &mut Vec<(String, f32)>,
) {
    let mut added = 0;
    for s in (syn.lookup)(word) {
        if added >= syn.per_word {
            break;
        }
        if s.contains(|c: char| !c.is_alphabetic()) {
            continue;
        }
        for t in stems(analyzer, &s.to_lowercase()) {
            if t != term && (df.any_field)(&t) > 0 && !alternatives.iter().any(|(a, _)| *a == t) {
                alternatives.push((t, syn.weight));
                added += 1;
            }
        }
    }
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
///
/// The same result as running each variant through the index's analyzer, for less (the README's
/// "Measured" has the search times before and after, from `cargo bench -p twin-index --bench index`):
/// variants are built as bytes and stemmed by the analyzer's own Snowball stemmer directly, and the full
/// analyzer (which also drops stop words) is run only on a variant about to become the best.
fn typo_fix(
    analyzer: &mut TextAnalyzer,
    word: &str,
    doc_freq: &dyn Fn(&str) -> u64,
) -> Option<String> {
    let w = word.as_bytes();
    if w.len() < MIN_TYPO_CHARS || w.len() > MAX_TYPO_CHARS || !w.iter().all(u8::is_ascii_lowercase)
    {
        return None;
    }
    let n = w.len();
    let mut candidates: Vec<Vec<u8>> = Vec::with_capacity(54 * n + 26);
    for i in 0..n {
        let mut v = w.to_vec();
        v.remove(i);
        candidates.push(v);
        if i + 1 < n {
            let mut v = w.to_vec();
            v.swap(i, i + 1);
            candidates.push(v);
        }
    }
    for i in 0..=n {
        for c in b'a'..=b'z' {
            if i < n {
                let mut v = w.to_vec();
                v[i] = c;
                candidates.push(v);
            }
            let mut v = w.to_vec();
            v.insert(i, c);
            candidates.push(v);
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
    let mut best: Option<(u64, String)> = None;
    let mut looked_up: HashSet<String> = HashSet::with_capacity(candidates.len());
    for c in &candidates {
        if c.as_slice() == w {
            continue;
        }
        // Built from ASCII letters only.
        let Ok(c) = std::str::from_utf8(c) else {
            continue;
        };
        let stem = stemmer.stem(c);
        if looked_up.contains(stem.as_ref()) {
            continue;
        }
        let stem = stem.into_owned();
        looked_up.insert(stem.clone());
        let df = doc_freq(&stem);
        if df > 0 && best.as_ref().is_none_or(|(b, _)| df > *b) {
            // The analyzer agrees with the bare stemmer except that it drops stop words; a stop word
            // leaves its stem open to another variant, as the analyzer alone would.
            if stems(analyzer, c) == [stem.as_str()] {
                best = Some((df, stem));
            } else {
                looked_up.remove(&stem);
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
    fn synonyms_the_index_holds_become_weighted_alternatives() {
        fn thesaurus(word: &str) -> Vec<String> {
            let words: &[&str] = if word == "culture" {
                &[
                    "civilisation",
                    "polish",
                    "starter",
                    "starters",
                    "bread starter",
                ]
            } else {
                &[]
            };
            words.iter().map(|s| s.to_string()).collect()
        }
        let lookups = std::cell::Cell::new(0);
        let known = table(&["cultur", "starter", "polish"], &lookups);
        let df = DocFreq {
            any_field: &known,
            body: &known,
        };
        let syn = |per_word| QueryOptions {
            synonyms: Some(Synonyms {
                name: "test",
                lookup: thesaurus,
                weight: 0.4,
                per_word,
            }),
            ..QueryOptions::PLAIN
        };
        let c = clauses("bread culture", &syn(5), &df);
        assert_eq!(c[0].alternatives, [], "no synonyms for bread");
        // "civilisation" is not in the index; "starters" stems to the "starter" already added; the
        // two-word entry is skipped.
        assert_eq!(
            c[1].alternatives,
            [("polish".to_string(), 0.4), ("starter".to_string(), 0.4)]
        );
        let c = clauses("bread culture", &syn(1), &df);
        assert_eq!(c[1].alternatives, [("polish".to_string(), 0.4)]);
        assert!(
            clauses("bread culture", &QueryOptions::PLAIN, &df)[1]
                .alternatives
                .is_empty()
        );
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
            synonyms: None,
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
            synonyms: None,
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

    /// The plain definition `typo_fix` must agree with: every one-edit variant through the analyzer.
    fn typo_fix_by_definition(word: &str, doc_freq: &dyn Fn(&str) -> u64) -> Option<String> {
        let chars: Vec<char> = word.chars().collect();
        if !(MIN_TYPO_CHARS..=MAX_TYPO_CHARS).contains(&chars.len())
            || !chars.iter().all(char::is_ascii_lowercase)
        {
            return None;
        }
        let mut variants = std::collections::BTreeSet::new();
        let s = |v: &[char]| v.iter().collect::<String>();
        for i in 0..=chars.len() {
            if i < chars.len() {
                let mut v = chars.clone();
                v.remove(i);
                variants.insert(s(&v));
            }
            if i + 1 < chars.len() {
                let mut v = chars.clone();
                v.swap(i, i + 1);
                variants.insert(s(&v));
            }
            for c in 'a'..='z' {
                if i < chars.len() {
                    let mut v = chars.clone();
                    v[i] = c;
                    variants.insert(s(&v));
                }
                let mut v = chars.clone();
                v.insert(i, c);
                variants.insert(s(&v));
            }
        }
        variants.remove(word);
        let mut a = analyzer();
        let mut best: Option<(u64, String)> = None;
        let mut seen = std::collections::BTreeSet::new();
        for v in variants {
            for t in stems(&mut a, &v) {
                if seen.insert(t.clone()) {
                    let df = doc_freq(&t);
                    if df > 0 && best.as_ref().is_none_or(|(b, _)| df > *b) {
                        best = Some((df, t));
                    }
                }
            }
        }
        best.map(|(_, t)| t)
    }

    #[test]
    fn typo_fix_agrees_with_its_definition() {
        let text = "Grey morning, kettle on. The weather station survived six weeks of salt air before \
            the board went green; acrylic conformal coating, marine grade stainless screws and a vent \
            stopped the condensation. Sourdough starters, hydration, allotment tomatoes, blight, \
            keyboards, switches, bicycle touring in the rain, sea swimming and tides, there were \
            others then these those having being doing, and two wills";
        let mut a = analyzer();
        let mut dictionary: std::collections::HashMap<String, u64> = Default::default();
        for (i, t) in stems(&mut a, text).into_iter().enumerate() {
            // Ties and different counts both occur.
            *dictionary.entry(t).or_default() += 1 + (i as u64 % 3);
        }
        let df = |t: &str| dictionary.get(t).copied().unwrap_or(0);
        let words: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        // "will" is a stop word (the analyzer drops it) whose stem the index holds through "wills": a
        // variant that is a stop word must not be taken for it.
        assert!(df("will") > 0);
        assert_eq!(
            typo_fix(&mut a, "wilxl", &df),
            typo_fix_by_definition("wilxl", &df)
        );
        assert_ne!(typo_fix(&mut a, "wilxl", &df).as_deref(), Some("will"));
        let mut checked = 0;
        for (k, w) in words.iter().enumerate() {
            let b = w.as_bytes();
            let i = k % b.len();
            let mut typos = vec![w.clone()];
            let mut swapped = b.to_vec();
            swapped.swap(i, (i + 1) % b.len());
            let mut dropped = b.to_vec();
            dropped.remove(i);
            let mut changed = b.to_vec();
            changed[i] = b'a' + (k % 26) as u8;
            for v in [swapped, dropped, changed] {
                typos.push(String::from_utf8(v).expect("ascii"));
            }
            for t in typos {
                assert_eq!(
                    typo_fix(&mut a, &t, &df),
                    typo_fix_by_definition(&t, &df),
                    "{t:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 200, "{checked}");
    }
}
