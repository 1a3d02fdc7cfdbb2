//! Which format a source is, from what it holds (a folder's files, a document's first bytes), so
//! `twin import SOURCE` needs no flag; `--format` overrides.

use crate::error::ImportError;
use crate::source::Doc;
use std::path::Path;

/// The formats `twin import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RSS 2.0, Atom or JSON Feed.
    Feed,
    /// `sitemap.xml` or a sitemap index: each page fetched.
    Sitemap,
    /// WordPress WXR export.
    Wordpress,
    /// Ghost JSON export.
    Ghost,
    /// Substack export folder (`posts.csv` + `posts/*.html`).
    Substack,
    /// Medium export folder (`posts/*.html`).
    Medium,
    /// LinkedIn `Shares.csv`.
    Linkedin,
}

impl Format {
    /// Every format with its name on the command line.
    pub const ALL: [(Format, &'static str); 7] = [
        (Format::Feed, "feed"),
        (Format::Sitemap, "sitemap"),
        (Format::Wordpress, "wordpress"),
        (Format::Ghost, "ghost"),
        (Format::Substack, "substack"),
        (Format::Medium, "medium"),
        (Format::Linkedin, "linkedin"),
    ];

    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }

    /// Folder formats are read from a directory, the rest from one document.
    pub fn is_folder(self) -> bool {
        matches!(self, Format::Substack | Format::Medium)
    }
}

/// The format of a local folder.
pub fn folder_format(dir: &Path) -> Result<Format, ImportError> {
    if dir.join("posts.csv").is_file() {
        return Ok(Format::Substack);
    }
    let posts = if dir.join("posts").is_dir() {
        dir.join("posts")
    } else {
        dir.to_path_buf()
    };
    let has_html = std::fs::read_dir(&posts)
        .map(|it| {
            it.flatten()
                .any(|e| e.path().extension().and_then(|x| x.to_str()) == Some("html"))
        })
        .unwrap_or(false);
    if has_html {
        return Ok(Format::Medium);
    }
    Err(ImportError::new(
        dir.display().to_string(),
        "a folder twin cannot import: expected a Substack export (posts.csv and posts/) or a Medium export (posts/*.html)",
    ))
}

/// What a document is, from its first bytes.
pub enum DocKind {
    Format(Format),
    /// An HTML page: look for its feed (`<link rel="alternate">`) or the site's sitemap.
    Html,
}

/// The format of one document (a file or a fetched URL).
pub fn doc_kind(doc: &Doc) -> Result<DocKind, ImportError> {
    let text = doc.text.trim_start_matches('\u{feff}').trim_start();
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    if text.starts_with('{') {
        if head.contains("jsonfeed.org/version") {
            return Ok(DocKind::Format(Format::Feed));
        }
        if head.contains("\"db\"") || head.contains("\"data\"") {
            return Ok(DocKind::Format(Format::Ghost));
        }
        return Err(ImportError::new(
            &doc.place,
            "JSON that is neither a JSON Feed nor a Ghost export",
        ));
    }
    let first_line = text.lines().next().unwrap_or("");
    if first_line.contains("ShareCommentary") {
        return Ok(DocKind::Format(Format::Linkedin));
    }
    if first_line.contains("post_id") && first_line.contains("is_published") {
        return Err(ImportError::at_line(
            &doc.place,
            1,
            "a Substack posts.csv: import the export folder that holds it and posts/",
        ));
    }
    if head.contains("wordpress.org/export/") {
        return Ok(DocKind::Format(Format::Wordpress));
    }
    if head.contains("<urlset") || head.contains("<sitemapindex") {
        return Ok(DocKind::Format(Format::Sitemap));
    }
    if head.contains("<rss") || head.contains("<feed") || head.contains("<rdf:rdf") {
        return Ok(DocKind::Format(Format::Feed));
    }
    if head.contains("<html") || head.contains("<!doctype html") {
        return Ok(DocKind::Html);
    }
    Err(ImportError::new(
        &doc.place,
        "not a format twin imports (a feed, a sitemap, a WordPress or Ghost export, a LinkedIn Shares.csv, or a blog's page)",
    ))
}

/// The feed a page advertises (`<link rel="alternate" type="application/rss+xml|atom+xml|feed+json">`).
pub fn discover_feed(html: &str, page_url: &str) -> Option<String> {
    let doc = dom_query::Document::from(html);
    let link = doc
        .select("link[rel~=\"alternate\"]")
        .iter()
        .find(|l| {
            l.attr("type").is_some_and(|t| {
                matches!(
                    &*t,
                    "application/rss+xml"
                        | "application/atom+xml"
                        | "application/feed+json"
                        | "application/json"
                )
            })
        })?
        .attr("href")?;
    url::Url::parse(page_url)
        .ok()?
        .join(link.trim())
        .ok()
        .map(|u| u.to_string())
}
