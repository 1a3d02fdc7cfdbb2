//! Blog posts (`posts/**/*.md`, including Hugo page bundles `slug/index.md`) and the about page.

use super::chunk::Document;
use super::{Diagnostic, Site, front_matter, markdown};
use crate::Kind;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Reads every post under `dir`; duplicates, missing fields and unreadable files become diagnostics.
pub(super) fn read_posts(dir: &Path, site: &Site, diags: &mut Vec<Diagnostic>) -> Vec<Document> {
    let mut files = Vec::new();
    if let Err(e) = collect_markdown(dir, &mut files) {
        diags.push(Diagnostic::new(dir, 0, format!("cannot list posts: {e}")));
    }
    files.sort();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut docs = Vec::new();
    for path in files {
        let Some(doc) = read_post(&path, site, diags) else {
            continue;
        };
        if let Some(first) = seen.get(&doc.slug) {
            diags.push(Diagnostic::new(
                &path,
                1,
                format!("slug `{}` is already used by {}", doc.slug, first.display()),
            ));
            continue;
        }
        seen.insert(doc.slug.clone(), path);
        docs.push(doc);
    }
    docs
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_markdown(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "md" || e == "markdown")
            && path.file_name().is_some_and(|n| n != "_index.md")
        {
            out.push(path);
        }
    }
    Ok(())
}

fn read_text(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<String> {
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => Some(t),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let line =
                    twin_shared::line_of(&String::from_utf8_lossy(&e.into_bytes()[..at]), at);
                diags.push(Diagnostic::new(path, line, "not UTF-8 text"));
                None
            }
        },
        Err(e) => {
            diags.push(Diagnostic::new(path, 0, format!("cannot read: {e}")));
            None
        }
    }
}

/// A file's text split into front matter and body; an unreadable file or broken front matter is a
/// diagnostic.
fn read_parsed(path: &Path, diags: &mut Vec<Diagnostic>) -> Option<front_matter::Parsed> {
    let text = read_text(path, diags)?;
    match front_matter::parse_front_matter(&text) {
        Ok(p) => Some(p),
        Err((line, msg)) => {
            diags.push(Diagnostic::new(path, line, msg));
            None
        }
    }
}

/// The sections of `body` (starting at line `body_line`) under `title`; none is the diagnostic `empty`
/// at the body's first line.
fn sections_of(
    path: &Path,
    (body, body_line): (&str, usize),
    title: &str,
    empty: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<markdown::Section>> {
    let sections = markdown::sections(body, title);
    if sections.is_empty() {
        diags.push(Diagnostic::new(path, body_line, empty));
        return None;
    }
    Some(sections)
}

fn read_post(path: &Path, site: &Site, diags: &mut Vec<Diagnostic>) -> Option<Document> {
    let parsed = read_parsed(path, diags)?;
    if !parsed.has_front_matter {
        diags.push(Diagnostic::new(
            path,
            1,
            "no front matter (`---` YAML or `+++` TOML) with title and date",
        ));
        return None;
    }
    let fm = parsed.front;
    if fm.draft {
        return None;
    }
    let mut missing = Vec::new();
    if fm.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        missing.push("title");
    }
    if fm.date.is_none() {
        missing.push("date");
    }
    if !missing.is_empty() {
        diags.push(Diagnostic::new(
            path,
            1,
            format!("front matter is missing {}", missing.join(" and ")),
        ));
        return None;
    }
    let date = fm.date.unwrap_or_default();
    if !looks_like_date(&date) {
        diags.push(Diagnostic::new(
            path,
            1,
            format!("date `{date}` is not YYYY-MM-DD"),
        ));
        return None;
    }
    let title = fm.title.unwrap_or_default();
    let sections = sections_of(
        path,
        (&parsed.body, parsed.body_line),
        &title,
        "post has no text after its front matter",
        diags,
    )?;
    let slug = fm.slug.unwrap_or_else(|| slug_from_path(path));
    let url = match &fm.url {
        Some(u) => site.absolute(u),
        None => site.post_url(&slug),
    };
    Some(Document {
        title,
        slug,
        url,
        date: date[..10].to_string(),
        kind: Kind::Post,
        tags: fm.tags,
        sections,
    })
}

/// `about.md`: front matter optional, title defaults to "About".
pub(super) fn read_about(
    path: &Path,
    site: &Site,
    diags: &mut Vec<Diagnostic>,
) -> Option<Document> {
    let parsed = read_parsed(path, diags)?;
    let title = parsed.front.title.unwrap_or_else(|| "About".into());
    let sections = sections_of(
        path,
        (&parsed.body, parsed.body_line),
        &title,
        "about page has no text",
        diags,
    )?;
    Some(Document {
        title,
        slug: "about".into(),
        url: site.absolute(parsed.front.url.as_deref().unwrap_or("/about/")),
        date: parsed
            .front
            .date
            .unwrap_or_default()
            .chars()
            .take(10)
            .collect(),
        kind: Kind::About,
        tags: parsed.front.tags,
        sections,
    })
}

/// `posts/my-post.md` → `my-post`; `posts/my-post/index.md` → `my-post`.
fn slug_from_path(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("post");
    if stem == "index"
        && let Some(dir) = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
    {
        return dir.to_string();
    }
    stem.to_string()
}

fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}
