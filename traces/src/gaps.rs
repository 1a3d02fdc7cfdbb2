//! Coverage gaps: questions readers asked that the blog does not answer yet (retrieval judged them
//! uncovered or thin, their top score was under the author's floor, or the answer declined), grouped
//! into topics without a model. Each question is reduced to its analysed terms (the index's own
//! analyser: stop and question words out, stemmed), and topics are formed greedily: the term shared by
//! the most gap questions, weighted by how rare it is among every question asked, takes all the
//! questions that hold it; then the next, until no term is shared. A term in more than
//! [`COMMON_SHARE`] of the answered questions (once there are [`COMMON_MIN`] of them) never starts a
//! topic: "think" or "blog" say nothing about what is missing. The questions left over are topics of
//! one. A reader asking the same question again counts once, so one reader (or a script) cannot push a
//! topic to the top.

use crate::rows::TraceRow;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use twin_index::question_words;

/// Why a question counts as a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapReason {
    /// Retrieval found nothing that covers it.
    Uncovered,
    /// Retrieval found passages that only touch on it.
    Thin,
    /// The top retrieval score was under the floor asked for (`--low-score`).
    LowScore,
    /// The answer declined ("I haven't written about that").
    Declined,
}

impl GapReason {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Uncovered => "uncovered",
            GapReason::Thin => "thin",
            GapReason::LowScore => "low_score",
            GapReason::Declined => "declined",
        }
    }
}

/// Why `row` is a coverage gap, if it is one. Probe questions (the author's own) and answers without
/// question text are never gaps; a failed answer is judged only by retrieval.
pub fn gap_reason(row: &TraceRow, low_score: Option<f64>) -> Option<GapReason> {
    if row.probe.is_some() || row.question.as_deref().is_none_or(|q| q.trim().is_empty()) {
        return None;
    }
    match row.coverage.as_deref() {
        Some("none") => return Some(GapReason::Uncovered),
        Some("thin") => return Some(GapReason::Thin),
        _ => {}
    }
    if let (Some(floor), Some(top)) = (low_score, row.top_score)
        && top < floor
    {
        return Some(GapReason::LowScore);
    }
    if row
        .answer
        .as_deref()
        .is_some_and(twin_eval::score::hallucination::declines)
    {
        return Some(GapReason::Declined);
    }
    None
}

/// Questions on one subject the blog does not cover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    /// The shared word (as readers wrote it), or the question's rarest word for a topic of one.
    pub label: String,
    /// Other words most of its questions share.
    pub related: Vec<String>,
    /// Times a question on it was asked (the same reader asking the same question again counts once).
    pub count: usize,
    /// Distinct readers who asked (by the daily client hash).
    pub readers: usize,
    /// The question that shares the most words with the others.
    pub example: String,
    /// Its distinct questions, most asked first (at most [`MAX_LISTED`]).
    pub questions: Vec<String>,
}

/// Most distinct questions listed under a topic.
pub const MAX_LISTED: usize = 10;
/// Share of the answered questions above which a term is too common to name a topic.
pub const COMMON_SHARE: f64 = 0.3;
/// Answered questions needed before [`COMMON_SHARE`] applies.
pub const COMMON_MIN: usize = 5;

/// One gap question as asked: its text and who asked (the traces' daily client hash).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap<'a> {
    pub question: &'a str,
    pub client: &'a str,
}

/// One analysed question.
struct Asked<'a> {
    text: &'a str,
    client: &'a str,
    terms: BTreeSet<String>,
}

fn terms(q: &str) -> BTreeSet<String> {
    question_words(q).into_iter().map(|(_, t)| t).collect()
}

/// Groups the `gaps` questions into topics, most asked first; `answered` (the other reader questions)
/// says how common each term is.
pub fn topics(gaps: &[Gap], answered: &[&str]) -> Vec<Topic> {
    // One ask per reader and question (case and spacing aside).
    let mut seen = BTreeSet::new();
    let gaps: Vec<&Gap> = gaps
        .iter()
        .filter(|g| {
            let key = g
                .question
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            seen.insert((g.client.to_string(), key))
        })
        .collect();
    let mut df: BTreeMap<String, usize> = BTreeMap::new();
    let mut df_answered: BTreeMap<String, usize> = BTreeMap::new();
    for q in answered {
        for term in terms(q) {
            *df.entry(term.clone()).or_default() += 1;
            *df_answered.entry(term).or_default() += 1;
        }
    }
    for g in &gaps {
        for term in terms(g.question) {
            *df.entry(term).or_default() += 1;
        }
    }
    let n = (answered.len() + gaps.len()) as f64;
    let idf = |t: &str| (1.0 + n / df.get(t).copied().unwrap_or(1) as f64).ln();
    let common = |t: &str| {
        answered.len() >= COMMON_MIN
            && df_answered.get(t).copied().unwrap_or(0) as f64
                > COMMON_SHARE * answered.len() as f64
    };
    let mut word_of: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let asked: Vec<Asked> = gaps
        .iter()
        .map(|g| {
            let words = question_words(g.question);
            for (w, t) in &words {
                *word_of
                    .entry(t.clone())
                    .or_default()
                    .entry(w.clone())
                    .or_default() += 1;
            }
            Asked {
                text: g.question,
                client: g.client,
                terms: words.into_iter().map(|(_, t)| t).collect(),
            }
        })
        .collect();
    let word = |t: &str| {
        word_of
            .get(t)
            .and_then(|ws| {
                ws.iter()
                    .max_by_key(|(w, c)| (**c, std::cmp::Reverse((*w).clone())))
            })
            .map_or_else(|| t.to_string(), |(w, _)| w.clone())
    };
    let mut left: Vec<usize> = (0..asked.len()).collect();
    let mut out = Vec::new();
    loop {
        let mut shared: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in &left {
            for t in &asked[i].terms {
                *shared.entry(t).or_default() += 1;
            }
        }
        let best = shared
            .iter()
            .filter(|(t, c)| **c >= 2 && !common(t))
            .map(|(t, c)| (*t, *c as f64 * idf(t)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)));
        let Some((term, _)) = best else { break };
        let term = term.to_string();
        let (members, rest): (Vec<usize>, Vec<usize>) =
            left.iter().partition(|&&i| asked[i].terms.contains(&term));
        left = rest;
        out.push(topic(&asked, &members, &term, &word));
    }
    for i in left {
        let rarest = asked[i]
            .terms
            .iter()
            .max_by(|a, b| idf(a).total_cmp(&idf(b)).then_with(|| b.cmp(a)))
            .cloned()
            .unwrap_or_default();
        out.push(topic(&asked, &[i], &rarest, &word));
    }
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| b.readers.cmp(&a.readers))
            .then_with(|| a.label.cmp(&b.label))
    });
    out
}

fn topic(asked: &[Asked], members: &[usize], term: &str, word: &dyn Fn(&str) -> String) -> Topic {
    let mut co: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in members {
        for t in asked[i].terms.iter().filter(|t| *t != term) {
            *co.entry(t).or_default() += 1;
        }
    }
    let mut related: Vec<(&str, usize)> = co
        .into_iter()
        .filter(|(_, c)| *c >= 2 && *c * 2 > members.len())
        .collect();
    related.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let overlap = |i: usize| {
        members
            .iter()
            .filter(|&&j| j != i)
            .map(|&j| asked[i].terms.intersection(&asked[j].terms).count())
            .sum::<usize>()
    };
    let example = members
        .iter()
        .copied()
        .max_by(|&a, &b| overlap(a).cmp(&overlap(b)).then_with(|| b.cmp(&a)))
        .map_or("", |i| asked[i].text);
    let mut distinct: BTreeMap<&str, usize> = BTreeMap::new();
    for &i in members {
        *distinct.entry(asked[i].text.trim()).or_default() += 1;
    }
    let mut questions: Vec<(&str, usize)> = distinct.into_iter().collect();
    questions.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    Topic {
        label: if term.is_empty() {
            "(no topic words)".into()
        } else {
            word(term)
        },
        related: related.iter().take(3).map(|(t, _)| word(t)).collect(),
        count: members.len(),
        readers: members
            .iter()
            .map(|&i| asked[i].client)
            .collect::<BTreeSet<_>>()
            .len(),
        example: example.trim().to_string(),
        questions: questions
            .into_iter()
            .take(MAX_LISTED)
            .map(|(q, _)| q.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each question from its own reader.
    fn asked<'a>(questions: &[&'a str]) -> Vec<Gap<'a>> {
        const CLIENTS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
        questions
            .iter()
            .zip(CLIENTS.iter().cycle())
            .map(|(q, c)| Gap {
                question: q,
                client: c,
            })
            .collect()
    }

    #[test]
    fn questions_on_one_subject_group_together_and_rank_first() {
        let gaps = [
            "Have you ever used Kubernetes?",
            "What do you think of kubernetes operators?",
            "Would you run Kubernetes at home?",
            "Which jazz records do you love?",
            "Do you listen to jazz while soldering?",
            "What is your favourite pasta?",
        ];
        let answered = [
            "What do you think of the BME280?",
            "What do you think of LoRa range?",
            "How did you waterproof the box?",
        ];
        let t = topics(&asked(&gaps), &answered);
        assert_eq!(t[0].label, "kubernetes", "{t:#?}");
        assert_eq!(t[0].readers, 3);
        assert_eq!(t[0].count, 3);
        assert_eq!(t[1].label, "jazz", "{t:#?}");
        assert_eq!(t[1].count, 2);
        assert_eq!(t.len(), 3, "pasta stands alone: {t:#?}");
        assert_eq!(t[2].count, 1);
        assert!(t[2].example.contains("pasta"));
        // Every gap question is in exactly one topic.
        assert_eq!(t.iter().map(|t| t.count).sum::<usize>(), gaps.len());
    }

    #[test]
    fn a_common_word_does_not_make_a_topic() {
        // "think" is in every answered question; "rust" is rare: the two Rust questions group even
        // though three gap questions share "think".
        let gaps = [
            "What do you think about Rust?",
            "Do you think rust is overhyped?",
            "What do you think about gardening?",
        ];
        let answered = [
            "What do you think of the sensor?",
            "What do you think of the solar panel?",
            "What do you think about batteries?",
            "What do you think of the enclosure?",
        ];
        let t = topics(&asked(&gaps), &answered);
        assert_eq!(t[0].label, "rust", "{t:#?}");
        assert_eq!(t[0].count, 2);
        assert_eq!(t.len(), 2, "{t:#?}");
        // Sharing only a word that most answered questions hold is no topic.
        let answered = [
            "What do you think of the sensor?",
            "What do you think of the solar panel?",
            "What do you think about batteries?",
            "What do you think of the enclosure?",
            "How did you mount the mast?",
        ];
        let t = topics(
            &asked(&["Do you think about opera?", "What do you think of chess?"]),
            &answered,
        );
        assert_eq!(t.len(), 2, "two topics of one: {t:#?}");
        assert!(
            t.iter().all(|t| t.count == 1 && t.label != "think"),
            "{t:#?}"
        );
    }

    #[test]
    fn one_reader_repeating_a_question_counts_once() {
        let spam: Vec<Gap> = (0..20)
            .map(|_| Gap {
                question: "Do you like  Opera?",
                client: "spammer",
            })
            .chain([Gap {
                question: "do you like opera?",
                client: "spammer",
            }])
            .collect();
        let mut all = spam.clone();
        all.extend(asked(&["Kubernetes at home?", "Would you use kubernetes?"]));
        let t = topics(&all, &[]);
        assert_eq!(t[0].label, "kubernetes", "{t:#?}");
        assert_eq!((t[0].count, t[0].readers), (2, 2));
        assert_eq!(t[1].count, 1, "twenty-one asks by one reader: {t:#?}");
    }

    fn row(question: &str, coverage: Option<&str>, answer: &str) -> TraceRow {
        TraceRow {
            trace_id: "0".repeat(32),
            at_ms: 0.0,
            backend: "rag".into(),
            probe: None,
            question: Some(question.into()),
            top_score: Some(3.0),
            coverage: coverage.map(str::to_string),
            answer: Some(answer.into()),
            outcome: "end_turn".into(),
            ttft_ms: None,
            total_ms: 1.0,
            tokens_in: None,
            tokens_out: None,
            client: "x".into(),
            cached: None,
        }
    }

    #[test]
    fn gaps_are_uncovered_thin_low_or_declined_questions_from_readers() {
        assert_eq!(
            gap_reason(&row("q", Some("none"), "a"), None),
            Some(GapReason::Uncovered)
        );
        assert_eq!(
            gap_reason(&row("q", Some("thin"), "a"), None),
            Some(GapReason::Thin)
        );
        assert_eq!(
            gap_reason(&row("q", Some("covered"), "Here it is."), None),
            None
        );
        assert_eq!(
            gap_reason(&row("q", Some("covered"), "Here."), Some(5.0)),
            Some(GapReason::LowScore)
        );
        assert_eq!(
            gap_reason(&row("q", None, "I haven't written about that."), None),
            Some(GapReason::Declined)
        );
        let mut probe = row("q", Some("none"), "a");
        probe.probe = Some("once".into());
        assert_eq!(gap_reason(&probe, None), None, "the author's own probe");
        let mut metadata = row("q", Some("none"), "a");
        metadata.question = None;
        assert_eq!(gap_reason(&metadata, None), None, "no text kept");
    }
}
