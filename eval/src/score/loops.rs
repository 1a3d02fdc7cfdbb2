//! An answer that says the same sentence over and over: what a tiny model does when it cannot answer
//! ("It's a pressure sensor, but it's a pressure sensor, …"). A reader sees a broken pane, so the eval
//! counts it.

use crate::normalize::words;
use std::collections::HashMap;

/// A sentence (or clause) of at least this many words, said this many times, is a loop.
const MIN_WORDS: usize = 3;
const TIMES: usize = 3;

/// The most repeated sentence or clause (split at `.`, `!`, `?`, `,`, `;` and line ends; case and
/// punctuation folded) when it is at least three words long and occurs three times or more.
pub fn loops(answer: &str) -> Option<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for piece in answer.split(['.', '!', '?', ',', ';', '\n']) {
        let w = words(piece);
        if w.len() >= MIN_WORDS {
            *seen.entry(w.join(" ")).or_default() += 1;
        }
    }
    seen.into_iter()
        .filter(|(_, n)| *n >= TIMES)
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(s, _)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_said_three_times_is_a_loop() {
        let a = "The sensor is a pressure sensor, but it's a pressure sensor, but it's a pressure sensor, but it's a pressure sensor";
        assert_eq!(loops(a).as_deref(), Some("but its a pressure sensor"));
        let b = "I'm so sorry for the misunderstanding. I'm so sorry for the misunderstanding.I'm so sorry for the MISUNDERSTANDING!";
        assert_eq!(
            loops(b).as_deref(),
            Some("im so sorry for the misunderstanding")
        );
    }

    #[test]
    fn an_answer_that_repeats_a_word_or_says_it_twice_is_not() {
        assert_eq!(loops("Tea. Tea. Tea."), None, "one word is not a sentence");
        assert_eq!(
            loops("Kettle's on. I coated the board. Kettle's on. Then I added a vent."),
            None,
            "twice is emphasis"
        );
        let author = "Grey morning, kettle on. I coated the board in acrylic, used A4 screws and added a Gore vent. Six weeks later it was dry inside.";
        assert_eq!(loops(author), None);
        assert_eq!(loops(""), None);
    }
}
