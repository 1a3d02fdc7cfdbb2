//! Substack export (Settings → Exports): `posts.csv` and `posts/<post_id>.html`. Published posts only;
//! drafts, threads and paid-only posts skipped. The export has no site address, so post URLs are
//! `base_url/p/<slug>` (Substack's permalink).

use crate::error::ImportError;
use crate::html::to_markdown;
use crate::post::{ImportedPost, Item, clean_title, normalise_date, shorten};
use std::collections::HashMap;
use std::path::Path;

/// Every row of `dir/posts.csv`.
pub fn read_substack(dir: &Path, base_url: &str) -> Result<Vec<Item>, ImportError> {
    let csv_path = dir.join("posts.csv");
    let place = csv_path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(&csv_path)
        .map_err(|e| ImportError::new(&place, format!("cannot read: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| ImportError::at_line(&place, 1, format!("unreadable header: {e}")))?
        .clone();
    let col: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    for needed in ["post_id", "post_date", "is_published", "title"] {
        if !col.contains_key(needed) {
            return Err(ImportError::at_line(
                &place,
                1,
                format!("not a Substack posts.csv: no `{needed}` column"),
            ));
        }
    }
    let base = base_url.trim_end_matches('/');
    let mut items = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ImportError::at_line(&place, line, format!("broken CSV: {e}"))
        })?;
        let get = |name: &str| col.get(name).and_then(|i| row.get(*i)).unwrap_or("").trim();
        let id = get("post_id");
        // `<digits>.<slug>`: anything else (a path like `../x`) would read a file outside the export.
        let safe = id
            .split_once('.')
            .map_or(id, |(n, _)| n)
            .chars()
            .all(|c| c.is_ascii_digit())
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
            && !id.contains("..");
        if !safe {
            let line = row.position().map_or(0, |p| p.line());
            items.push(Item::skipped(
                format!("{place}:{line}"),
                format!("post_id `{id}` is not a Substack id"),
            ));
            continue;
        }
        let slug = id.split_once('.').map_or(id, |(_, s)| s);
        let slug = slug::slugify(slug);
        let url = format!("{base}/p/{slug}");
        if id.is_empty() || slug.is_empty() {
            let line = row.position().map_or(0, |p| p.line());
            items.push(Item::skipped(format!("{place}:{line}"), "no post_id"));
            continue;
        }
        if get("is_published") != "true" {
            items.push(Item::skipped(url, "not published (a draft)"));
            continue;
        }
        if get("type") == "thread" {
            items.push(Item::skipped(url, "a thread, not a post"));
            continue;
        }
        if matches!(get("audience"), "only_paid" | "founding") {
            items.push(Item::skipped(url, "for paid subscribers only, not public"));
            continue;
        }
        let Some(date) = normalise_date(get("post_date")) else {
            items.push(Item::skipped(url, "no post_date"));
            continue;
        };
        let title = clean_title(get("title"));
        let html_path = dir.join("posts").join(format!("{id}.html"));
        let Ok(html) = std::fs::read_to_string(&html_path) else {
            items.push(Item::skipped(url, format!("no {}", html_path.display())));
            continue;
        };
        let converted = match to_markdown(&html) {
            Ok(c) => c,
            Err(why) => {
                items.push(Item::skipped(url, why));
                continue;
            }
        };
        if converted.markdown.trim().is_empty() || title.is_empty() {
            items.push(Item::skipped(url, "no text or no title"));
            continue;
        }
        let subtitle = clean_title(get("subtitle"));
        items.push(Item::Post(ImportedPost {
            title,
            date,
            url,
            slug,
            tags: vec![],
            summary: (!subtitle.is_empty()).then(|| shorten(&subtitle, 300)),
            markdown: converted.markdown,
            dropped_media: converted.dropped_media,
            notes: vec![],
        }));
    }
    if items.is_empty() {
        return Err(ImportError::new(&place, "the export has no posts"));
    }
    Ok(items)
}
