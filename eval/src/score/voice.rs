//! Voice: does an answer sound like the author? A model-free stylometric score from well-known measures:
//! function-word profiles (Burrows), character 3-gram profiles, sentence length, the author's spelling
//! (British or American) and the persona's signature phrases. Each measure compares the answer with the
//! author's corpus *and* with a neutral reference text (generic assistant prose on the same topics), so
//! topic words cannot carry the score: style does. The result is in [0, 1]; above 0.5 the answer is
//! closer to the author than to the neutral reference.

use crate::normalize::{is_american, is_british, words};
use std::collections::HashMap;

/// Function words: frequent, topic-free, and the classic signal of authorship.
pub const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "a", "to", "in", "is", "it", "that", "i", "was", "for", "on", "with", "as",
    "but", "be", "at", "by", "this", "have", "from", "or", "an", "my", "not", "so", "which", "you",
    "are", "all", "one", "there", "what", "if", "about", "up", "out", "no", "just", "can", "more",
    "when", "then", "than", "like", "do", "get", "got", "would", "will", "your", "their", "they",
    "we", "our", "me", "its", "had", "has", "been", "were", "into", "over", "after", "before",
    "because", "though", "still", "even", "also", "only", "very", "really", "here", "now", "some",
    "any", "every", "each", "much", "many", "most", "other", "such", "well", "too", "off", "down",
    "again", "never", "always", "these", "those", "how", "why", "where", "who", "should", "could",
    "may", "might", "must", "whether", "while", "until", "both", "either", "since", "whatever",
    "im", "ive", "id", "dont", "didnt", "thats", "theres", "youre", "youll", "isnt",
];

/// Weights of the measures in the raw score (each measure lies in about [-1, 1]).
const W_FUNCTION: f64 = 4.0;
const W_GRAMS: f64 = 4.0;
const W_SPELLING: f64 = 0.5;
const W_SENTENCE: f64 = 0.5;
const W_SIGNATURE: f64 = 0.5;
/// Words at which the distribution measures (function words, character 3-grams) count half. They are
/// frequencies: a four-word answer gives a cosine of chance, not of style ("I like the coffee." scored
/// 0.99 without this), so they are weighted by `words / (words + EVIDENCE_WORDS)`. Set a priori (two
/// short sentences), not fitted. Spelling, sentence length and signature phrases are single marks and
/// count in full at any length.
const EVIDENCE_WORDS: f64 = 25.0;
/// Slope of the logistic that maps the raw score to [0, 1].
const SLOPE: f64 = 3.0;
/// Character n-grams kept per profile.
const MAX_GRAMS: usize = 4_000;

/// A style profile of a body of text.
#[derive(Debug, Clone)]
pub struct Profile {
    function: Vec<f64>,
    grams: HashMap<String, f64>,
    sentence_mean: f64,
    sentence_sd: f64,
}

fn function_vector(text: &str) -> Vec<f64> {
    let w = words(text);
    let total = w.len().max(1) as f64;
    FUNCTION_WORDS
        .iter()
        .map(|f| w.iter().filter(|x| x.as_str() == *f).count() as f64 / total)
        .collect()
}

fn grams(text: &str) -> HashMap<String, f64> {
    let flat: Vec<char> = text
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    let mut counts: HashMap<String, f64> = HashMap::new();
    for w in flat.windows(3) {
        *counts.entry(w.iter().collect()).or_default() += 1.0;
    }
    counts
}

fn sentence_lengths(text: &str) -> Vec<f64> {
    text.split(['.', '!', '?', '\n'])
        .map(|s| words(s).len() as f64)
        .filter(|n| *n > 0.0)
        .collect()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

fn cosine_map(a: &HashMap<String, f64>, b: &HashMap<String, f64>) -> f64 {
    let dot: f64 = a.iter().filter_map(|(k, x)| b.get(k).map(|y| x * y)).sum();
    let na: f64 = a.values().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.values().map(|x| x * x).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

impl Profile {
    /// The profile of a body of texts, pooled.
    pub fn new<'a>(texts: impl IntoIterator<Item = &'a str>) -> Profile {
        let texts: Vec<&str> = texts.into_iter().collect();
        let pooled = texts.join("\n");
        let mut g: Vec<(String, f64)> = grams(&pooled).into_iter().collect();
        g.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        g.truncate(MAX_GRAMS);
        let lengths: Vec<f64> = texts.iter().flat_map(|t| sentence_lengths(t)).collect();
        let n = lengths.len().max(1) as f64;
        let mean = lengths.iter().sum::<f64>() / n;
        let var = lengths.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n;
        Profile {
            function: function_vector(&pooled),
            grams: g.into_iter().collect(),
            sentence_mean: mean,
            sentence_sd: var.sqrt().max(1.0),
        }
    }
}

/// One answer's voice score and the measures behind it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Voice {
    /// In [0, 1]: above 0.5, closer to the author than to the neutral reference.
    pub score: f64,
    /// Function-word cosine to the author minus to the neutral reference (before the discount for a short
    /// text).
    pub function_words: f64,
    /// Character 3-gram cosine to the author minus to the neutral reference (before the discount for a
    /// short text).
    pub char_grams: f64,
    /// +1 all in the author's spelling, -1 all in the other, 0 none or mixed evenly.
    pub spelling: f64,
    /// +1 sentence lengths like the author's, -1 like the reference's.
    pub sentence_length: f64,
    /// Holds one of the persona's signature phrases.
    pub signature: bool,
}

/// The author's and the neutral profile, the author's spelling and signature phrases.
#[derive(Debug, Clone)]
pub struct VoiceModel {
    author: Profile,
    neutral: Profile,
    /// +1 when the author writes British spellings, -1 when American.
    spelling_sign: f64,
    signatures: Vec<String>,
}

impl VoiceModel {
    /// Builds the model from the author's texts, the neutral reference's texts and signature phrases.
    pub fn new<'a>(
        author: impl IntoIterator<Item = &'a str> + Clone,
        neutral: impl IntoIterator<Item = &'a str>,
        signatures: &[String],
    ) -> VoiceModel {
        let (mut british, mut american) = (0usize, 0usize);
        for t in author.clone() {
            for w in words(t) {
                british += usize::from(is_british(&w));
                american += usize::from(is_american(&w));
            }
        }
        VoiceModel {
            author: Profile::new(author),
            neutral: Profile::new(neutral),
            spelling_sign: if british >= american { 1.0 } else { -1.0 },
            signatures: signatures
                .iter()
                .map(|s| words(s).join(" "))
                .filter(|s| s.split(' ').count() >= 2)
                .collect(),
        }
    }

    /// Scores one text.
    pub fn score(&self, text: &str) -> Voice {
        let fv = function_vector(text);
        let function_words =
            cosine(&fv, &self.author.function) - cosine(&fv, &self.neutral.function);
        let g = grams(text);
        let char_grams = cosine_map(&g, &self.author.grams) - cosine_map(&g, &self.neutral.grams);
        let (mut b, mut a) = (0.0f64, 0.0f64);
        let w = words(text);
        for x in &w {
            b += f64::from(u8::from(is_british(x)));
            a += f64::from(u8::from(is_american(x)));
        }
        let spelling = if a + b > 0.0 {
            self.spelling_sign * (b - a) / (a + b)
        } else {
            0.0
        };
        let lengths = sentence_lengths(text);
        let sentence_length = if lengths.is_empty() {
            0.0
        } else {
            let l = lengths.iter().sum::<f64>() / lengths.len() as f64;
            let za = (l - self.author.sentence_mean).abs() / self.author.sentence_sd;
            let zn = (l - self.neutral.sentence_mean).abs() / self.neutral.sentence_sd;
            ((zn - za) / 2.0).clamp(-1.0, 1.0)
        };
        let flat = w.join(" ");
        let signature = self.signatures.iter().any(|s| flat.contains(s.as_str()));
        let evidence = w.len() as f64 / (w.len() as f64 + EVIDENCE_WORDS);
        let raw = evidence * (W_FUNCTION * function_words + W_GRAMS * char_grams)
            + W_SPELLING * spelling
            + W_SENTENCE * sentence_length
            + W_SIGNATURE * f64::from(u8::from(signature));
        Voice {
            score: 1.0 / (1.0 + (-SLOPE * raw).exp()),
            function_words,
            char_grams,
            spelling,
            sentence_length,
            signature,
        }
    }
}

/// Signature phrases from a persona file: the quoted phrases of two or more words, except under a
/// heading that says what not to do.
pub fn signature_phrases(persona: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in persona.lines() {
        if line.starts_with('#') {
            let h = line.to_lowercase();
            skipping = h.contains("don't") || h.contains("dont") || h.contains("avoid");
            continue;
        }
        if skipping {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find(['"', '“']) {
            let after = &rest[start + rest[start..].chars().next().map_or(1, char::len_utf8)..];
            let Some(end) = after.find(['"', '”']) else {
                break;
            };
            let phrase = after[..end].trim().trim_end_matches("...").trim();
            if phrase.split_whitespace().count() >= 2 {
                out.push(phrase.to_string());
            }
            let close = after[end..].chars().next().map_or(1, char::len_utf8);
            rest = &after[end + close..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_phrases_come_from_quotes_outside_the_donts() {
        let p = "## Tone\n- Recurring: \"Here's the thing:\", \"which is to say\", \"the shed\".\n\
                 ## Don't\n- No \"corporate phrases\" like \"leverage this\".\n## Later\n“Kettle's on. — Ilse”";
        assert_eq!(
            signature_phrases(p),
            [
                "Here's the thing:",
                "which is to say",
                "the shed",
                "Kettle's on. — Ilse"
            ]
        );
    }

    #[test]
    fn closer_to_the_author_scores_higher() {
        let author = [
            "Grey morning, kettle on. Reader, it did not work. I rebuilt it in the shed, which is to say twice.",
            "Here's the thing: the colour of the box matters. I know, I know.",
        ];
        let neutral = [
            "Great question! Here are a few tips to optimize your setup. It's important to note that color matters.",
            "In summary, there are many factors to consider. I hope this helps!",
        ];
        let m = VoiceModel::new(author, neutral, &["which is to say".to_string()]);
        let like_author = m.score("Wet morning, kettle on. I tried it in the shed and, reader, it did not, which is to say I tried again.");
        let like_neutral =
            m.score("Great question! Here are some tips to optimize the color. I hope this helps!");
        assert!(like_author.score > 0.5, "{like_author:?}");
        assert!(like_neutral.score < 0.5, "{like_neutral:?}");
        assert!(like_author.signature && !like_neutral.signature);
        assert!(like_neutral.spelling < 0.0 && like_author.spelling >= 0.0);
        assert!((0.0..=1.0).contains(&m.score("").score));
    }

    #[test]
    fn a_few_words_are_no_evidence_of_style_but_the_authors_marks_are() {
        let author = [
            "Grey morning, kettle on. Reader, it did not work. I rebuilt it in the shed, which is to say twice.",
            "I like the colour. I tried it and it did not work, so I tried it again in the shed.",
        ];
        let neutral = [
            "Great question! Here are a few tips to optimize your setup. It's important to note that color matters.",
            "In summary, there are many factors to consider. I hope this helps!",
        ];
        let m = VoiceModel::new(author, neutral, &["kettle on".to_string()]);
        // Four author-like function words: a strong cosine, but four words.
        let short = m.score("I like the shed.");
        assert!(short.function_words > 0.1, "{short:?}");
        // The same measures undiscounted would say "surely the author".
        let undiscounted = 1.0
            / (1.0
                + (-SLOPE
                    * (W_FUNCTION * short.function_words
                        + W_GRAMS * short.char_grams
                        + W_SENTENCE * short.sentence_length))
                    .exp());
        assert!(undiscounted > 0.95, "{undiscounted}");
        assert!(short.score < 0.8, "{short:?}");
        // The same words at length carry more weight.
        let long = m.score(&"I like the shed. I tried it and it did not work. ".repeat(6));
        assert!(long.score > short.score + 0.1, "{long:?} vs {short:?}");
        // A signature phrase and the author's spelling count at any length.
        let marked = m.score("Kettle on. Grey colour.");
        assert!(marked.score > 0.8, "{marked:?}");
    }
}
