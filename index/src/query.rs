//! Free text to a BM25 query, built from analysed tokens rather than tantivy's query syntax, so that
//! nothing a reader types (quotes, `AND`, `*`, `~`, colons, emoji, a pasted essay) is ever parsed as
//! syntax, errors, or makes unbounded work.

use crate::schema::{Fields, analyzer};
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

/// The distinct analysed terms of a question (lowercased, stop and question words dropped, stemmed), in
/// order of first appearance, capped at [`MAX_QUERY_TERMS`] after reading at most [`MAX_QUERY_CHARS`]
/// characters. A question made only of question words keeps them rather than matching nothing.
pub fn question_terms(question: &str) -> Vec<String> {
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

fn analysed(text: &str, drop_question_words: bool) -> Vec<String> {
    let mut words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .build();
    let mut full = analyzer();
    let mut terms: Vec<String> = Vec::new();
    let mut stream = words.token_stream(text);
    while terms.len() < MAX_QUERY_TERMS && stream.advance() {
        let word = stream.token().text.as_str();
        if drop_question_words && QUESTION_WORDS.contains(&word) {
            continue;
        }
        let mut stemmed = full.token_stream(word);
        while stemmed.advance() {
            let t = &stemmed.token().text;
            if terms.len() < MAX_QUERY_TERMS && !terms.iter().any(|x| x == t) {
                terms.push(t.clone());
            }
        }
    }
    terms
}

/// How much the other fields add to a term's best field: a word in the title *and* the body counts a bit
/// more than in the title alone, but not twice.
const FIELD_TIE_BREAKER: f32 = 0.3;

/// One `SHOULD` clause per term: the best of its boosted field matches (plus a little of the rest). `None` when the question has no
/// searchable term (empty, only stop words, only punctuation or emoji).
pub(crate) fn build(fields: &Fields, question: &str) -> Option<Box<dyn Query>> {
    let terms = question_terms(question);
    if terms.is_empty() {
        return None;
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .iter()
        .map(|term| {
            let per_field: Vec<Box<dyn Query>> = fields
                .boosted()
                .into_iter()
                .map(|(field, boost)| {
                    let q = TermQuery::new(
                        Term::from_field_text(field, term),
                        IndexRecordOption::WithFreqs,
                    );
                    Box::new(BoostQuery::new(Box::new(q), boost)) as Box<dyn Query>
                })
                .collect();
            let best = DisjunctionMaxQuery::with_tie_breaker(per_field, FIELD_TIE_BREAKER);
            (Occur::Should, Box::new(best) as Box<dyn Query>)
        })
        .collect();
    Some(Box::new(BooleanQuery::new(clauses)))
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
