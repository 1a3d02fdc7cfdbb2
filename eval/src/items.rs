//! The questions an eval run asks: the eval sets and probes of `content/`, each with a stable id and what
//! a good answer holds, chosen by set, and optionally cut to a few per set (at random, with a seed).

use serde::{Deserialize, Serialize};
use twin_shared::{EvalSet, Probe};

/// The sets `--sets` accepts.
pub const SETS: &[&str] = &["answerable", "unanswerable", "voice", "probes", "heldout"];
/// The sets run when `--sets` is not given (the held-out half reports retrieval; ask for it by name).
pub const DEFAULT_SETS: &[&str] = &["answerable", "unanswerable", "voice", "probes"];

/// What a good answer to an item holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Expect {
    /// The corpus answers it: these facts, from one of these posts.
    Answerable {
        slugs: Vec<String>,
        facts: Vec<String>,
    },
    /// The corpus does not answer it: a grounded answer declines.
    Unanswerable,
    /// The corpus mentions it once: a grounded answer says that is all there is.
    Thin { slugs: Vec<String> },
    /// Voice is everything.
    Voice,
}

/// One question of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub set: String,
    /// Stable across runs and edits elsewhere in the file: a hash of the set and the question.
    pub id: String,
    pub question: String,
    /// The probe id, for probe questions (sent as the chat request's `probe`).
    pub probe: Option<String>,
    /// The question's style (held-out set).
    pub style: Option<String>,
    pub expect: Expect,
}

/// A short stable id: FNV-1a of the set and question, in hex.
fn id(set: &str, question: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in set.bytes().chain([0]).chain(question.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{set}-{:012x}", h & 0xffff_ffff_ffff)
}

fn item(set: &str, question: &str, expect: Expect) -> Item {
    Item {
        set: set.into(),
        id: id(set, question),
        question: question.into(),
        probe: None,
        style: None,
        expect,
    }
}

/// The items of `sets` (names from [`SETS`]); an unknown name is an error naming the known ones.
pub fn items(eval: &EvalSet, probes: &[Probe], sets: &[String]) -> Result<Vec<Item>, String> {
    let mut out = Vec::new();
    for set in sets {
        match set.as_str() {
            "answerable" => out.extend(eval.answerable.iter().map(|q| {
                item(
                    set,
                    &q.question,
                    Expect::Answerable {
                        slugs: q.slugs.clone(),
                        facts: q.facts.clone(),
                    },
                )
            })),
            "unanswerable" => out.extend(
                eval.unanswerable
                    .iter()
                    .map(|q| item(set, &q.question, Expect::Unanswerable)),
            ),
            "voice" => out.extend(
                eval.voice
                    .iter()
                    .map(|p| item(set, &p.prompt, Expect::Voice)),
            ),
            "heldout" => {
                out.extend(eval.heldout_answerable.iter().map(|q| Item {
                    style: Some(q.style().to_string()),
                    ..item(
                        set,
                        &q.question,
                        Expect::Answerable {
                            slugs: q.slugs.clone(),
                            facts: q.facts.clone(),
                        },
                    )
                }));
                out.extend(
                    eval.heldout_unanswerable
                        .iter()
                        .map(|q| item(set, &q.question, Expect::Unanswerable)),
                );
            }
            "probes" => {
                for p in probes {
                    let expect = match p.expect.as_ref().map(|e| (e.kind.as_str(), e)) {
                        Some(("answerable", e)) => Expect::Answerable {
                            slugs: e.slugs.clone(),
                            facts: e.facts.clone(),
                        },
                        Some(("thin", e)) => Expect::Thin {
                            slugs: e.slugs.clone(),
                        },
                        Some(("unanswerable", _)) => Expect::Unanswerable,
                        Some(("voice", _)) | None => Expect::Voice,
                        Some((other, _)) => {
                            return Err(format!(
                                "probe `{}` expects kind `{other}`; use answerable, thin, unanswerable or voice",
                                p.id
                            ));
                        }
                    };
                    out.push(Item {
                        probe: Some(p.id.clone()),
                        ..item(set, &p.question, expect)
                    });
                }
            }
            other => {
                return Err(format!(
                    "unknown set `{other}`; the sets are {}",
                    SETS.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// At most `limit` items of each set: the first ones, or with `sample` a random choice with that seed.
pub fn select(items: Vec<Item>, limit: Option<usize>, sample: Option<u64>) -> Vec<Item> {
    let mut sets: Vec<String> = Vec::new();
    for i in &items {
        if !sets.contains(&i.set) {
            sets.push(i.set.clone());
        }
    }
    let mut out = Vec::new();
    for set in sets {
        let mut of_set: Vec<Item> = items.iter().filter(|i| i.set == set).cloned().collect();
        if let Some(seed) = sample {
            fastrand::Rng::with_seed(seed).shuffle(&mut of_set);
        }
        if let Some(n) = limit {
            of_set.truncate(n);
        }
        out.extend(of_set);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use twin_shared::{AnswerableQuestion, UnanswerableQuestion, VoicePrompt};

    fn eval() -> EvalSet {
        EvalSet {
            answerable: (0..5)
                .map(|i| AnswerableQuestion {
                    question: format!("q{i}"),
                    slugs: vec!["s".into()],
                    facts: vec!["f".into()],
                    style: None,
                })
                .collect(),
            unanswerable: vec![UnanswerableQuestion {
                question: "u".into(),
                why: "w".into(),
            }],
            voice: vec![VoicePrompt {
                prompt: "v".into(),
                notes: "n".into(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn sets_ids_limits_and_samples() {
        let sets: Vec<String> = DEFAULT_SETS.iter().map(|s| s.to_string()).collect();
        let all = items(&eval(), &[], &sets).expect("known sets");
        assert_eq!(all.len(), 7);
        assert_eq!(
            all[0].id,
            items(&eval(), &[], &sets).expect("again")[0].id,
            "stable ids"
        );
        assert_ne!(all[0].id, all[1].id);
        let few = select(all.clone(), Some(2), None);
        assert_eq!(few.iter().filter(|i| i.set == "answerable").count(), 2);
        assert_eq!(few.len(), 4);
        let a = select(all.clone(), Some(2), Some(9));
        assert_eq!(
            a,
            select(all, Some(2), Some(9)),
            "a seed picks the same items"
        );
        let err = items(&eval(), &[], &["nope".into()]).expect_err("unknown set");
        assert!(err.contains("nope") && err.contains("answerable"));
    }
}
