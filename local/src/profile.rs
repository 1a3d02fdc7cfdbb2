//! The small-model profiles: how a backend served by a tiny local model (SmolLM2-135M, Gemma 3 270M
//! with the committed LoRA) is configured so its pane reads as an answer, not as prompt markup or chat
//! template debris. Chosen with `twin eval` (README, "Voice vs knowledge, measured"); configuration, not
//! a fork of the prompt code. The demo and the end-to-end tests use the same profiles.

use twin_shared::prompt::PassageFormat;
use twin_upstream::Backend;

/// Stop sequences for the tiny fine-tuned model: a blank line (one paragraph is all it keeps on topic),
/// any `<` (the start of echoed markup or a template token) and a `model` turn marker whose tags were not
/// rendered, and `stepToken`, a tokenizer artefact it writes past its turn (seen in the probes' screenshots).
/// For local models only: Anthropic's API rejects a whitespace-only stop sequence (`"\n\n"`).
pub const SMALL_MODEL_STOPS: &[&str] = &["\n\n", "<", "model\n", "stepToken"];

/// Stop sequences for the tiny retrieval model: no blank-line stop, since SmolLM2 often opens with a
/// line such as "The answer is:" and a blank line (stopping there left nothing; measured in the README);
/// and the plain layout's own labels and passage numbers, which it echoes (`[3] Title: …`, at the start
/// too: an answer cut to nothing there is an `empty_answer` the reader can ask again).
pub const SMALL_RETRIEVAL_STOPS: &[&str] = &[
    "<",
    "model\n",
    "[",
    "Question:",
    "Coverage:",
    "Passages:",
    "Voice guide:",
    "Rules:",
];

/// History for a tiny model: about 300 tokens, so passages, question and answer still fit the 2,048
/// tokens each llama-server slot has (4,096 context over 2 parallel slots).
pub const SMALL_HISTORY_CHARS: usize = 1_200;

/// A retrieval backend answered by a tiny local model: three passages in the numbered layout (plain text,
/// no markup to echo), a low temperature, 120 tokens. Three, not two: two passages of one post can fill
/// two slots and push the post that answers (the knowledge probe's) out of the sources.
pub fn small_retrieval_profile(b: Backend) -> Backend {
    Backend {
        passages: 3,
        passage_format: PassageFormat::Numbered,
        temperature: Some(0.2),
        max_tokens: 120,
        stop: stops(SMALL_RETRIEVAL_STOPS),
        history_chars: SMALL_HISTORY_CHARS,
        ..b
    }
}

/// The fine-tuned pane answered by the tiny local Gemma with its LoRA: the stops end its turn where the
/// template would.
pub fn small_tuned_profile(b: Backend) -> Backend {
    Backend {
        max_tokens: 120,
        stop: stops(SMALL_MODEL_STOPS),
        history_chars: SMALL_HISTORY_CHARS,
        ..b
    }
}

fn stops(s: &[&str]) -> Vec<String> {
    s.iter().map(|s| s.to_string()).collect()
}
