//! A first `content/site.toml` from what the imported source says about the blog (its title, home page
//! and author), written only when there is none: an existing one is the author's and is kept.

use crate::error::ImportError;
use crate::post::SiteInfo;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The author name written when the source names none; `twin init --author` or an edit replaces it.
pub const UNKNOWN_AUTHOR: &str = "the author";

#[derive(Serialize)]
struct SiteToml<'a> {
    author: &'a str,
    title: &'a str,
    base_url: &'a str,
    posts_path: &'a str,
}

/// The blog's address: the source's home page, else the origin most post URLs share.
pub fn base_url(info: &SiteInfo, post_urls: &[&str]) -> Option<String> {
    if let Some(home) = info.home.as_deref().and_then(|h| url::Url::parse(h).ok()) {
        return Some(home.as_str().trim_end_matches('/').to_string());
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for u in post_urls.iter().filter_map(|u| url::Url::parse(u).ok()) {
        *counts.entry(u.origin().ascii_serialization()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(o, _)| o)
}

/// Writes `content_dir/site.toml` unless it exists; returns its path when written.
pub fn write_if_absent(
    content_dir: &Path,
    info: &SiteInfo,
    post_urls: &[&str],
) -> Result<Option<PathBuf>, ImportError> {
    let path = content_dir.join("site.toml");
    if path.exists() {
        return Ok(None);
    }
    let Some(base) = base_url(info, post_urls) else {
        return Ok(None);
    };
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    // The source's words go into the system prompt (the author's name): one short line of text.
    let short = |s: &str| {
        crate::post::clean_title(s)
            .chars()
            .take(80)
            .collect::<String>()
    };
    let title = info
        .title
        .as_deref()
        .map(short)
        .filter(|t| !t.is_empty())
        .unwrap_or(host);
    let author = info.author.as_deref().map(short).filter(|a| !a.is_empty());
    let author = author.as_deref().unwrap_or(UNKNOWN_AUTHOR);
    let body = toml::to_string(&SiteToml {
        author,
        title: &title,
        base_url: &base,
        posts_path: "/posts/",
    })
    .unwrap_or_default();
    let note = if info.author.is_none() {
        "; the source names no author: set `author` to your name"
    } else {
        ""
    };
    let text = format!(
        "# Who the author is and where the blog lives. Written by `twin import` from the source{note}.\n# Imported posts carry their own `url`, so posts_path only matters for posts written by hand.\n{body}"
    );
    std::fs::create_dir_all(content_dir)
        .and_then(|_| std::fs::write(&path, text))
        .map_err(|e| ImportError::new(path.display().to_string(), format!("cannot write: {e}")))?;
    Ok(Some(path))
}
