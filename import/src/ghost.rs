//! Ghost export (Settings → Advanced → Export, a JSON file): published public posts with their tags;
//! pages, drafts and members-only posts skipped. The export has no site address, so post URLs are
//! `base_url/slug/` (Ghost's default permalink).

use crate::error::ImportError;
use crate::html::to_markdown;
use crate::post::{ImportedPost, Item, SiteInfo, clean_title, normalise_date, shorten};
use crate::source::Doc;
use serde_json::Value;
use std::collections::HashMap;

/// Every post of a Ghost JSON export.
pub fn read_ghost(doc: &Doc, base_url: &str) -> Result<(Vec<Item>, SiteInfo), ImportError> {
    let root: Value = serde_json::from_str(doc.text.trim_start_matches('\u{feff}'))
        .map_err(|e| ImportError::at_line(&doc.place, e.line(), format!("broken JSON: {e}")))?;
    let data = root
        .pointer("/db/0/data")
        .or_else(|| root.get("data"))
        .ok_or_else(|| ImportError::new(&doc.place, "not a Ghost export: no `db[0].data`"))?;
    let posts = data
        .get("posts")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::new(&doc.place, "not a Ghost export: no `posts` list"))?;
    if posts.is_empty() {
        return Err(ImportError::new(&doc.place, "the export has no posts"));
    }
    let tag_names: HashMap<&str, &str> = list(data, "tags")
        .filter_map(|t| Some((t.get("id")?.as_str()?, t.get("name")?.as_str()?)))
        .collect();
    let mut tags_of: HashMap<&str, Vec<String>> = HashMap::new();
    for link in list(data, "posts_tags") {
        if let (Some(post), Some(name)) = (
            link.get("post_id").and_then(Value::as_str),
            link.get("tag_id")
                .and_then(Value::as_str)
                .and_then(|t| tag_names.get(t)),
        ) && !name.starts_with('#')
        {
            tags_of.entry(post).or_default().push(clean_title(name));
        }
    }
    let base = base_url.trim_end_matches('/');
    let site = SiteInfo {
        title: list(data, "settings")
            .find(|s| str_of(s, "key") == Some("title"))
            .and_then(|s| str_of(s, "value"))
            .map(clean_title)
            .filter(|t| !t.is_empty()),
        home: Some(base.to_string()),
        author: list(data, "users")
            .find_map(|u| str_of(u, "name"))
            .map(clean_title),
    };
    Ok((
        posts.iter().map(|p| post(p, base, &tags_of)).collect(),
        site,
    ))
}

fn list<'a>(data: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    data.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn post(p: &Value, base: &str, tags_of: &HashMap<&str, Vec<String>>) -> Item {
    let title = str_of(p, "title").map(clean_title).unwrap_or_default();
    let slug = str_of(p, "slug").map(slug::slugify).unwrap_or_default();
    let label = if slug.is_empty() {
        title.clone()
    } else {
        format!("{base}/{slug}/")
    };
    let is_page =
        str_of(p, "type") == Some("page") || p.get("page").and_then(Value::as_bool) == Some(true);
    if is_page {
        return Item::skipped(label, "a Ghost page, not a post");
    }
    let status = str_of(p, "status").unwrap_or("");
    if status != "published" {
        return Item::skipped(label, format!("not published (status `{status}`)"));
    }
    if let Some(vis) = str_of(p, "visibility").filter(|v| *v != "public") {
        return Item::skipped(label, format!("for {vis} only, not public"));
    }
    if slug.is_empty() || title.is_empty() {
        return Item::skipped(label, "no slug or title");
    }
    let url = format!("{base}/{slug}/");
    let date = match p.get("published_at") {
        Some(Value::String(s)) => normalise_date(s),
        // Ghost 0.x exports store milliseconds since 1970.
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|d| d.format("%Y-%m-%d").to_string()),
        _ => None,
    };
    let Some(date) = date else {
        return Item::skipped(url, "no published_at date");
    };
    let Some(html) = str_of(p, "html").filter(|h| !h.trim().is_empty()) else {
        return Item::skipped(
            url,
            "no HTML in the export (re-export from Ghost 5 or later)",
        );
    };
    let converted = match to_markdown(html) {
        Ok(c) => c,
        Err(why) => return Item::skipped(url, why),
    };
    if converted.markdown.trim().is_empty() {
        return Item::skipped(url, "no text");
    }
    let id = str_of(p, "id").unwrap_or("");
    Item::Post(ImportedPost {
        title,
        date,
        url,
        slug,
        tags: tags_of.get(id).cloned().unwrap_or_default(),
        summary: str_of(p, "custom_excerpt")
            .map(|s| shorten(&clean_title(s), 300))
            .filter(|s| !s.is_empty()),
        markdown: converted.markdown,
        dropped_media: converted.dropped_media,
        notes: vec![],
    })
}
