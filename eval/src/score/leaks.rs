//! Prompt markup or chat-template tokens in an answer: what a reader must never see. A small model that
//! echoes its prompt, or a template that does not end the turn, shows up here.

/// Markers of the prompt's markup and of chat templates (Gemma, ChatML).
pub const MARKERS: &[&str] = &[
    "<passage",
    "</passage",
    "<question>",
    "</question>",
    "<voice_guide>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<|im_start|>",
    "<|im_end|>",
    "<|endoftext|>",
    // A Gemma tokenizer artefact the tiny fine-tune emits past its turn (compared lowercased).
    "steptoken",
    // The plain (numbered) layout escapes `<`, `>` and `&`; an entity in an answer is that escaping echoed.
    "&lt;",
    "&gt;",
];

/// Labels the plain (numbered) layout starts its lines with: an answer line that starts with one echoes it.
pub const PLAIN_LABELS: &[&str] = &[
    "Passages:",
    "Question:",
    "Coverage:",
    "Voice guide:",
    "Rules:",
];

/// The markers an answer contains; a line that is only `model` or `user` (a turn marker whose tags were
/// stripped) counts as one.
pub fn leaks(answer: &str) -> Vec<String> {
    let lower = answer.to_lowercase();
    let mut found: Vec<String> = MARKERS
        .iter()
        .filter(|m| lower.contains(*m))
        .map(|m| m.to_string())
        .collect();
    if answer
        .lines()
        .any(|l| matches!(l.trim(), "model" | "user" | "assistant"))
    {
        found.push("a bare turn-marker line".into());
    }
    for label in PLAIN_LABELS {
        if answer.lines().any(|l| l.trim_start().starts_with(label)) {
            found.push(format!("a line starting `{label}`"));
        }
    }
    // `[1] Title: ...`: a passage of the plain layout, quoted whole.
    if answer.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with('[')
            && l[1..]
                .find(']')
                .is_some_and(|end| end > 0 && l[1..1 + end].chars().all(|c| c.is_ascii_digit()))
    }) {
        found.push("a line starting with a passage number".into());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_template_tokens_are_found() {
        assert_eq!(leaks("Here you go <passage title=\"x\">"), ["<passage"]);
        assert_eq!(leaks("but it's better.stepToken stepToken"), ["steptoken"]);
        assert_eq!(
            leaks("tea.<end_of_turn>\n<start_of_turn>user"),
            ["<start_of_turn>", "<end_of_turn>"]
        );
        assert_eq!(leaks("Tea.\nmodel\nCoffee."), ["a bare turn-marker line"]);
        assert_eq!(leaks("</PASSAGES>"), ["</passage"]);
        assert_eq!(
            leaks("The answer:\n[3] The Limpet: a pressure sensor"),
            ["a line starting with a passage number"]
        );
        assert_eq!(
            leaks("Question: What sensor?\nA pressure sensor &lt;b&gt;"),
            ["&lt;", "&gt;", "a line starting `Question:`"]
        );
    }

    #[test]
    fn ordinary_answers_are_clean() {
        assert!(leaks("Tea. The model of a kettle matters; the user manual does not.").is_empty());
        assert!(leaks("I wrote about it in a passage of my post on salt air.").is_empty());
        assert!(
            leaks("The question: which coverage? See [my post] and [1 of 3] (a & b).").is_empty()
        );
    }
}
