//! The three suggested probes, from term statistics: a topic the blog covers across many posts, a name
//! mentioned exactly once, and a tiny voice question.

use super::stats::{Stats, Term, is_common, sentence_with};
use serde::Serialize;
use twin_index::Passage;

/// One suggested probe and why it was chosen (written as a comment above it).
#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    pub id: String,
    pub label: String,
    pub question: String,
    pub shows: String,
    pub expect: Expect,
    #[serde(skip)]
    pub why: String,
}

/// What the eval expects of the probe's answers.
#[derive(Debug, Clone, Serialize)]
pub struct Expect {
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub slugs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<String>,
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The topic the blog covers most widely: used by many documents (at most 40% of them, so not a
/// common word), weighted by how many titles and headings use it.
pub fn knowledge(stats: &Stats, passages: &[Passage]) -> Option<Suggested> {
    let (stem, term) = stats.topics().into_iter().next()?;
    let form = term.form();
    // Posts naming it in a title or heading, else any that use it (never none: it is in two or more).
    let named: Vec<String> = term
        .title_docs
        .union(&term.heading_docs)
        .filter(|s| term.docs.contains(*s))
        .take(5)
        .cloned()
        .collect();
    let slugs = if named.is_empty() {
        term.docs.iter().take(5).cloned().collect()
    } else {
        named
    };
    let fact = passages
        .iter()
        .filter(|p| slugs.contains(&p.slug))
        .find_map(|p| sentence_with(&p.text, &form, 12));
    Some(Suggested {
        id: "knowledge".into(),
        label: format!("{} in depth", capitalised(&form)),
        question: format!("What have you learned about {form}?"),
        shows: format!(
            "A topic the blog covers across {} posts: retrieval answers with the specifics and links; a fine-tune knows the voice but has to guess the details.",
            term.docs.len()
        ),
        expect: Expect {
            kind: "answerable".into(),
            slugs,
            facts: fact.into_iter().collect(),
        },
        why: format!(
            "`{form}` (stem `{stem}`) is in {} of {} documents ({} times) and in the titles or headings of {} posts; the fact is the first sentence that uses it: replace it with 1 to 3 facts a good answer states",
            term.docs.len(),
            stats.docs,
            term.count,
            term.title_docs.union(&term.heading_docs).count()
        ),
    })
}

/// A name mentioned exactly once in the whole corpus (capitalised mid-sentence, in no title), social
/// posts first: the thing a fine-tune confidently invents around.
pub fn thin(stats: &Stats) -> Option<Suggested> {
    let once = |t: &Term| t.count == 1 && t.title_docs.is_empty() && t.heading_docs.is_empty();
    let named = stats
        .terms
        .iter()
        .filter(|(_, t)| {
            once(t)
                && t.capitalised_mid_sentence == 1
                && t.form().chars().count() >= 5
                && !is_common(&t.form())
        })
        .min_by(|a, b| (a.1.in_social == 0, a.0).cmp(&(b.1.in_social == 0, b.0)));
    let (stem, term) = named.or_else(|| {
        stats
            .terms
            .iter()
            .filter(|(_, t)| once(t) && t.form().chars().count() >= 7 && !is_common(&t.form()))
            .min_by(|a, b| (a.1.in_social == 0, a.0).cmp(&(b.1.in_social == 0, b.0)))
    })?;
    let form = term.form();
    let slug = term.docs.iter().next().cloned().unwrap_or_default();
    Some(Suggested {
        id: "thin".into(),
        label: format!("{form}, mentioned once"),
        question: format!("What can you tell me about {form}?"),
        shows: format!(
            "{form} is mentioned exactly once. A grounded twin says that is all there is; a fine-tune tends to invent the rest."
        ),
        expect: Expect {
            kind: "thin".into(),
            slugs: vec![slug.clone()],
            facts: vec![],
        },
        why: format!("`{form}` (stem `{stem}`) occurs once in the whole content, in `{slug}`"),
    })
}

/// The tiny question where voice is everything.
pub fn voice() -> Suggested {
    Suggested {
        id: "voice".into(),
        label: "Tea or coffee?".into(),
        question: "Tea or coffee?".into(),
        shows: "A tiny question where voice is everything: the answer should sound like the author, not like a generic assistant.".into(),
        expect: Expect {
            kind: "voice".into(),
            slugs: vec![],
            facts: vec![],
        },
        why: "a question with no facts to get right: only the voice shows".into(),
    }
}

/// `probes.toml` text: each probe with a comment saying why it was suggested.
pub fn render(probes: &[Suggested]) -> String {
    #[derive(Serialize)]
    struct One<'a> {
        probe: [&'a Suggested; 1],
    }
    let mut out = String::from(
        "# STARTER PROBES written by `twin init` from term statistics: edit the labels, questions and facts.\n\
         # knowledge: a topic many posts cover; thin: a name mentioned exactly once; voice: a tiny question.\n",
    );
    for p in probes {
        out.push_str(&format!("\n# Why: {}.\n", p.why));
        out.push_str(&toml::to_string(&One { probe: [p] }).unwrap_or_default());
    }
    out
}
