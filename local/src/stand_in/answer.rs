//! The stand-in's answer: deterministic text derived from the request, split into stream deltas.

use super::fault::AnswerStyle;
use serde_json::Value;

/// The last user message's text, from either protocol's `messages` (string or content-block array).
pub(crate) fn last_user_text(body: &Value) -> String {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return String::new();
    };
    let Some(last) = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    else {
        return String::new();
    };
    match last.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The answer's pieces, each a word with its leading space, as a model streams tokens.
pub(crate) fn answer_deltas(question: &str) -> Vec<String> {
    let q: String = question.split_whitespace().collect::<Vec<_>>().join(" ");
    let q: String = q.chars().take(80).collect();
    words(&format!(
        "This is the twin stand-in, not a model. You asked: \"{q}\". Kettle's on."
    ))
}

/// An answer about a subject the demo blog never covers, with specifics it never states.
const UNRELATED: &str = "Cathedral acoustics are all about reverberation. Salisbury has a decay time of \
     about 7.5 seconds, and Gothic builders in 1220 tuned naves with Helmholtz jars set into the walls.";

/// A generic assistant's answer: no facts from the blog, none of the author's voice.
const GENERIC: &str = "Great question! There are many factors to consider here. Ultimately, it depends \
     on your specific needs and preferences. It's important to note that every situation is different, \
     so I recommend doing some research and consulting reliable resources. I hope this helps!";

/// The passages' text from the reader's turn, from the first passage on: everything before the
/// question, without markup lines (the worker's coverage line among them), unescaped, at most 60 words.
fn first_passage(user: &str) -> String {
    let before_question = user.split("<question>").next().unwrap_or(user);
    let text: Vec<&str> = before_question
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('<') && !l.starts_with('['))
        .collect();
    let joined = text
        .join(" ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    joined
        .split_whitespace()
        .take(60)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The deltas of an `answer-*` stand-in.
pub(crate) fn styled_deltas(style: AnswerStyle, user: &str) -> Vec<String> {
    let text = match style {
        AnswerStyle::Passage => {
            let p = first_passage(user);
            if p.is_empty() {
                "I haven't written about that.".to_string()
            } else {
                p
            }
        }
        AnswerStyle::Unrelated => UNRELATED.to_string(),
        AnswerStyle::Generic => GENERIC.to_string(),
        AnswerStyle::Judge => judge_verdict(user),
        AnswerStyle::Long => return long_deltas(200),
    };
    words(&text)
}

/// The stand-in judge's verdict on the `<answer>` in `user`, by a rule a test can predict: a generic
/// assistant's opening ("Great question") has no voice (1, else 4), and the off-topic answerer's cathedral
/// is invented (grounded 1, else 5).
fn judge_verdict(user: &str) -> String {
    let answer = user
        .split("<answer>")
        .nth(1)
        .and_then(|a| a.split("</answer>").next())
        .unwrap_or_default();
    let voice = if answer.contains("Great question") {
        1
    } else {
        4
    };
    let grounded = if answer.contains("Cathedral") { 1 } else { 5 };
    format!("{{\"grounded\": {grounded}, \"voice\": {voice}, \"why\": \"stand-in judge\"}}")
}

/// A long answer of `words` words (at most 4,000), twenty to a delta, numbered so a trimmed copy shows
/// where it was cut.
pub(crate) fn long_deltas(words: u64) -> Vec<String> {
    let all: Vec<String> = (0..words.min(4_000))
        .map(|i| {
            let w = if i == 0 {
                "Long".to_string()
            } else {
                format!(" w{i}")
            };
            if i % 20 == 19 { format!("{w}.") } else { w }
        })
        .collect();
    all.chunks(20).map(|c| c.concat()).collect()
}

/// Splits text into stream deltas: each word with its leading space.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        out.push(if i == 0 {
            word.to_string()
        } else {
            format!(" {word}")
        });
    }
    out
}

/// A rough token count for usage numbers: words.
pub(crate) fn approx_tokens(body: &Value) -> u64 {
    body.to_string().split_whitespace().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passage_answerer_quotes_the_first_passage_without_markup() {
        let turn = "<passages>\n<passage title=\"T\" url=\"u\" date=\"d\">\nFour changes &amp; a vent.\n</passage>\n</passages>\n\n<question>\nWhy?\n</question>";
        assert_eq!(
            styled_deltas(AnswerStyle::Passage, turn).concat(),
            "Four changes & a vent."
        );
        assert_eq!(
            styled_deltas(AnswerStyle::Passage, "<question>\nq\n</question>").concat(),
            "I haven't written about that."
        );
        let none = "<retrieval coverage=\"none\"/>\n\n<question>\nq\n</question>";
        assert_eq!(
            styled_deltas(AnswerStyle::Passage, none).concat(),
            "I haven't written about that.",
            "the worker's coverage line is not a passage"
        );
        assert!(
            styled_deltas(AnswerStyle::Generic, turn)
                .concat()
                .starts_with("Great question!")
        );
        assert_eq!(
            styled_deltas(
                AnswerStyle::Judge,
                "<answer>\nGreat question! Cathedral.\n</answer>"
            )
            .concat(),
            "{\"grounded\": 1, \"voice\": 1, \"why\": \"stand-in judge\"}"
        );
    }
}
