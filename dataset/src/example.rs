//! One training example and its chat-format JSONL line (`{"meta": {strategy, source}, "messages":
//! [system, user, assistant]}`): `messages` is the shape TRL's SFTTrainer reads (it drops other columns
//! unless `remove_unused_columns` is off); `meta` is what `train.py` samples by.

use serde_json::json;
use twin_shared::prompt::user_turn;

/// Which of the usual fine-tuning attempts made an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Strategy {
    /// The author's passages as answers to "write about X" prompts.
    Voice,
    /// Questions from headings, sections and front matter, answered by the section.
    Knowledge,
    /// Q&A written by an LLM from each post (off by default; cached).
    Synthetic,
    /// "I haven't written about that" for topics the corpus lacks.
    Refusals,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Voice => "voice",
            Strategy::Knowledge => "knowledge",
            Strategy::Synthetic => "synthetic",
            Strategy::Refusals => "refusals",
        }
    }
}

/// A prompt and the author's answer, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub strategy: Strategy,
    /// The source document's slug (refusals: `refusal-<topic>`); the split keeps a source on one side.
    pub source: String,
    pub user: String,
    pub assistant: String,
}

impl Example {
    /// The JSONL line with `system` as the system prompt. The reader's turn is assembled exactly as the
    /// worker sends it (`<question>` tags, escaped), so the model trains on what it will be served.
    /// `meta` says which strategy and source made it, so a trainer can sample across both
    /// (`train.py --max-examples`); trainers read only `messages`.
    pub fn to_jsonl(&self, system: &str) -> String {
        json!({"meta": {"strategy": self.strategy.name(), "source": self.source},
            "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user_turn(&self.user, None)},
            {"role": "assistant", "content": self.assistant},
        ]})
        .to_string()
    }

    /// Rough token count (characters / 4), for the statistics.
    pub fn approx_tokens(&self, system: &str) -> usize {
        (system.len() + user_turn(&self.user, None).len() + self.assistant.len()).div_ceil(4)
    }
}

/// A stable 64-bit FNV-1a hash: the same choice on every machine and run (std's hasher is seeded).
pub fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Picks one of `options` for `key`, deterministically.
pub fn pick<'a>(options: &[&'a str], key: &str) -> &'a str {
    options[(stable_hash(key) % options.len() as u64) as usize]
}
