//! Medium export (Settings → Download your information): `posts/*.html`, one page per story with its
//! title (`h1.p-name`), canonical link, published time and body. Drafts (`draft_*.html`) skipped.

use crate::error::ImportError;
use crate::html::to_markdown;
use crate::post::{ImportedPost, Item, clean_title, normalise_date, shorten, slug_for};
use dom_query::Document;
use std::path::{Path, PathBuf};

/// Every story in the export folder (the folder holding `posts/`, or `posts/` itself).
pub fn read_medium(dir: &Path) -> Result<Vec<Item>, ImportError> {
    let files = story_files(dir)?;
    if files.is_empty() {
        return Err(ImportError::new(
            dir.display().to_string(),
            "no posts/*.html stories",
        ));
    }
    Ok(files.iter().map(|f| story(f)).collect())
}

/// The story pages, sorted by name.
pub fn story_files(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let posts = if dir.join("posts").is_dir() {
        dir.join("posts")
    } else {
        dir.to_path_buf()
    };
    let entries = std::fs::read_dir(&posts)
        .map_err(|e| ImportError::new(posts.display().to_string(), format!("cannot read: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("html"))
        .collect();
    files.sort();
    Ok(files)
}

fn story(path: &Path) -> Item {
    let place = path.display().to_string();
    if path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("draft_"))
    {
        return Item::skipped(place, "a draft");
    }
    let Ok(html) = std::fs::read_to_string(path) else {
        return Item::skipped(place, "unreadable (not UTF-8 text)");
    };
    let doc = Document::from(html.as_str());
    let title = clean_title(&doc.select("h1.p-name").first().text());
    let title = if title.is_empty() {
        clean_title(&doc.select("title").first().text())
    } else {
        title
    };
    let Some(url) = doc
        .select("a.p-canonical")
        .first()
        .attr("href")
        .map(|h| h.trim().to_string())
    else {
        return Item::skipped(place, "no canonical link (a.p-canonical)");
    };
    let Some(date) = doc
        .select("time.dt-published")
        .first()
        .attr("datetime")
        .as_deref()
        .and_then(normalise_date)
    else {
        return Item::skipped(url, "no published time (time.dt-published)");
    };
    let body = doc.select("section[data-field=\"body\"]");
    if !body.exists() {
        return Item::skipped(url, "no story body (section[data-field=body])");
    }
    // Medium repeats the title and subtitle at the top of the body.
    body.select(".graf--title").remove();
    let subtitle = clean_title(&doc.select("section[data-field=\"subtitle\"]").text());
    body.select(".graf--subtitle").remove();
    let converted = match to_markdown(&body.inner_html()) {
        Ok(c) => c,
        Err(why) => return Item::skipped(url, why),
    };
    if converted.markdown.trim().is_empty() || title.is_empty() {
        return Item::skipped(url, "no text or no title");
    }
    Item::Post(ImportedPost {
        slug: slug_for(&url, &title),
        title,
        date,
        url,
        tags: vec![],
        summary: (!subtitle.is_empty()).then(|| shorten(&subtitle, 300)),
        markdown: converted.markdown,
        dropped_media: converted.dropped_media,
        notes: vec![],
    })
}
