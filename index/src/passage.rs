//! A passage: the unit that retrieval returns and the prompt quotes, with enough to link back to it.

use serde::{Deserialize, Serialize};

/// Where a passage came from; readers see posts, social posts and the about page differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A blog post under `content/posts/`.
    Post,
    /// A short social post from the `Shares.csv` export.
    Social,
    /// `content/about.md`.
    About,
}

impl Kind {
    /// The lowercase name stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Post => "post",
            Kind::Social => "social",
            Kind::About => "about",
        }
    }

    /// Parses the stored name back; unknown names are `None`.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "post" => Some(Kind::Post),
            "social" => Some(Kind::Social),
            "about" => Some(Kind::About),
            _ => None,
        }
    }
}

/// One retrievable piece of the author's writing: a heading section of a post (or part of one), a social
/// post, or a section of the about page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// The post's title (for social posts, a short label with the date).
    pub title: String,
    /// Identifies the source document; eval sets name the slugs that answer a question.
    pub slug: String,
    /// Link to the passage: the post URL plus `#anchor` of its section where it has one.
    pub url: String,
    /// Publication date as written in the source (`YYYY-MM-DD` for the demo content).
    pub date: String,
    /// Post, social or about.
    pub kind: Kind,
    /// The section heading(s) this passage sits under, outermost first; empty for an intro.
    pub headings: Vec<String>,
    /// Tags from front matter.
    pub tags: Vec<String>,
    /// Plain text of the passage, markup stripped.
    pub text: String,
}
