//! Reading the author's `content/` folder into passages, with every problem reported as `file:line:
//! message` instead of stopping at the first.
//!
//! Layout read: `site.toml` (author, base URL), `posts/**/*.md` (front matter + markdown), `about.md`,
//! `social/Shares.csv` (a LinkedIn data export); [`check_probes_and_eval`] checks `probes.toml` and
//! `eval/` (their types are the wire contract's, in `twin-shared`). Every problem is one
//! [`Diagnostic`].

mod checks;
mod chunk;
mod front_matter;
mod markdown;
mod posts;
mod site;
mod social;

pub use checks::check_probes_and_eval;
pub use chunk::{Document, MAX_PASSAGE_CHARS, chunk_document};
pub use front_matter::{FrontMatter, parse_front_matter};
pub use markdown::{Section, sections};
pub use site::Site;
pub use twin_shared::Diagnostic;

use crate::Passage;
use std::path::Path;

/// Everything read from a content folder: passages to index, counts, and problems found.
#[derive(Debug, Default)]
pub struct Content {
    pub site: Site,
    pub passages: Vec<Passage>,
    /// Number of blog posts read.
    pub posts: usize,
    /// Number of social posts read.
    pub social: usize,
    /// Problems, each naming a file and line; a non-empty list means the content should not be indexed.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `dir` (a `content/` folder). Never fails as a whole: what can't be read becomes a diagnostic.
pub fn read_content(dir: &Path) -> Content {
    let mut c = Content::default();
    if !dir.is_dir() {
        c.diagnostics
            .push(Diagnostic::new(dir, 0, "content folder not found"));
        return c;
    }
    c.site = site::read(&dir.join("site.toml"), &mut c.diagnostics);
    let posts = posts::read_posts(&dir.join("posts"), &c.site, &mut c.diagnostics);
    c.posts = posts.len();
    for doc in &posts {
        c.passages.extend(chunk_document(doc));
    }
    let about = dir.join("about.md");
    if about.exists()
        && let Some(doc) = posts::read_about(&about, &c.site, &mut c.diagnostics)
    {
        c.passages.extend(chunk_document(&doc));
    }
    let shares = dir.join("social").join("Shares.csv");
    if shares.exists() {
        let social = social::read_shares(&shares, &mut c.diagnostics);
        c.social = social.len();
        c.passages.extend(social);
    }
    c
}
