//! Probe buttons (`content/probes.toml`): the questions that show the difference between a twin's voice
//! and its knowledge. The worker serves them in `/api/config`; the widget shows them as buttons.

#[cfg(feature = "files")]
use crate::Diagnostic;
use serde::{Deserialize, Serialize};

/// One probe: a labelled question and what it is meant to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Stable identifier (`knowledge`, `thin`, `voice`).
    pub id: String,
    /// Button text.
    pub label: String,
    /// The question the button asks.
    pub question: String,
    /// What the answers are meant to reveal, shown as a hint.
    pub shows: String,
    /// What a good answer holds, for the eval (`twin eval`); never sent to readers.
    #[serde(default, skip_serializing)]
    pub expect: Option<ProbeExpect>,
}

/// What the eval expects of a probe's answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeExpect {
    /// `answerable` (scored on facts and sources), `thin` (should decline or say it is only an idea) or
    /// `voice` (scored on voice).
    pub kind: String,
    /// Slugs of the posts a grounded answer links (any one is a hit).
    #[serde(default)]
    pub slugs: Vec<String>,
    /// Facts a correct answer states.
    #[serde(default)]
    pub facts: Vec<String>,
}

/// The file's shape: `[[probe]]` tables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    #[serde(default)]
    pub probe: Vec<Probe>,
}

impl Probes {
    #[cfg(feature = "files")]
    /// Parses `probes.toml`; `file` names it in errors. Ids must be unique and fields non-empty.
    pub fn from_toml(file: &str, text: &str) -> Result<Probes, Diagnostic> {
        let probes: Probes =
            toml::from_str(text).map_err(|e| Diagnostic::from_toml(file, text, &e))?;
        for (i, p) in probes.probe.iter().enumerate() {
            let empty = [
                ("id", &p.id),
                ("label", &p.label),
                ("question", &p.question),
            ]
            .into_iter()
            .find(|(_, v)| v.trim().is_empty());
            if let Some((name, _)) = empty {
                return Err(Diagnostic::new(
                    file,
                    0,
                    format!("probe {} has an empty {name}", i + 1),
                ));
            }
            if probes.probe[..i].iter().any(|q| q.id == p.id) {
                return Err(Diagnostic::new(
                    file,
                    0,
                    format!("probe id `{}` is used twice", p.id),
                ));
            }
        }
        Ok(probes)
    }
}

#[cfg(all(test, feature = "files"))]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_with_file_and_line() {
        let ok = "[[probe]]\nid = \"a\"\nlabel = \"A\"\nquestion = \"q?\"\nshows = \"s\"\n";
        assert_eq!(
            Probes::from_toml("p.toml", ok).expect("valid").probe[0].id,
            "a"
        );
        let bad = "[[probe]]\nid = \"a\"\nlabel = 3\n";
        let e = Probes::from_toml("p.toml", bad).unwrap_err().to_string();
        assert!(e.starts_with("p.toml:3:"), "{e}");
        let dup = format!("{ok}{ok}");
        assert!(
            Probes::from_toml("p.toml", &dup)
                .unwrap_err()
                .to_string()
                .contains("used twice")
        );
    }
}
