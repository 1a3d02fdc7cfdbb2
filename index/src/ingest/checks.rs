//! Checks of the content files beyond posts: probes and eval sets parse, and every slug an eval question
//! names exists, so a renamed post cannot silently break the retrieval test.

use super::Diagnostic;
use crate::Passage;
use std::collections::HashSet;
use std::path::Path;
use twin_shared::{EvalSet, Probes};

/// Problems in `probes.toml` and `eval/` of the content folder `dir`. Missing files are not problems: a
/// user's content may have neither yet.
pub fn check_probes_and_eval(dir: &Path, passages: &[Passage]) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let probes = dir.join("probes.toml");
    if probes.exists() {
        match std::fs::read_to_string(&probes) {
            Ok(text) => {
                if let Err(e) = Probes::from_toml(&probes.display().to_string(), &text) {
                    problems.push(e);
                }
            }
            Err(e) => problems.push(Diagnostic::new(&probes, 0, format!("cannot read: {e}"))),
        }
    }
    let eval_dir = dir.join("eval");
    if eval_dir.is_dir() {
        match EvalSet::read(&eval_dir) {
            Ok(set) => {
                let slugs: HashSet<&str> = passages.iter().map(|p| p.slug.as_str()).collect();
                let files = [
                    ("answerable.toml", &set.answerable),
                    ("heldout/answerable.toml", &set.heldout_answerable),
                ];
                for (file, questions) in files {
                    for q in questions {
                        for s in q.slugs.iter().filter(|s| !slugs.contains(s.as_str())) {
                            problems.push(Diagnostic::new(
                                eval_dir.join(file),
                                0,
                                format!(
                                    "question {:?} names slug `{s}`, which no post has",
                                    q.question
                                ),
                            ));
                        }
                    }
                }
            }
            Err(e) => problems.push(e),
        }
    }
    problems
}
