//! RSS 2.0, Atom and JSON Feed, parsed by `feed-rs`, following the feed's pagination (an Atom/RSS
//! `rel="next"` link, JSON Feed's `next_url`). Full content where the feed carries it; otherwise the
//! post's page is fetched (robots.txt permitting) and its article read.

use crate::error::{ImportError, line_of};
use crate::fetch::Fetcher;
use crate::html::to_markdown;
use crate::page::article;
use crate::post::{
    ImportedPost, Item, SiteInfo, clean_title, html_text, normalise_date, shorten, slug_for,
};
use crate::progress::Progress;
use crate::source::Doc;
use feed_rs::model::{Entry, Feed, Text};
use std::collections::HashSet;

/// The most pages followed, whatever the feed says.
const MAX_PAGES: usize = 500;

/// Every entry of the feed in `first` and the pages after it.
pub fn read_feed(
    first: Doc,
    fetcher: &Fetcher,
    progress: &dyn Progress,
) -> Result<(Vec<Item>, SiteInfo), ImportError> {
    let mut items = Vec::new();
    let mut seen: HashSet<String> = [
        first.url.clone().unwrap_or_else(|| first.place.clone()),
        first.place.clone(),
    ]
    .into();
    let mut doc = first;
    let mut site = SiteInfo::default();
    for page in 1.. {
        let (feed, next) = parse_page(&doc)?;
        if page == 1 && feed.entries.is_empty() {
            return Err(ImportError::new(&doc.place, "the feed has no items"));
        }
        if page == 1 {
            site = SiteInfo {
                title: feed.title.as_ref().map(text_of).filter(|t| !t.is_empty()),
                home: feed
                    .links
                    .iter()
                    .find(|l| {
                        matches!(l.rel.as_deref(), None | Some("alternate"))
                            && l.href.starts_with("http")
                    })
                    .map(|l| l.href.clone()),
                author: feed
                    .authors
                    .first()
                    .map(|a| clean_title(&a.name))
                    .filter(|a| !a.is_empty()),
            };
        }
        progress.start(feed.entries.len(), "feed entries");
        for entry in &feed.entries {
            let item = entry_item(entry, fetcher);
            progress.step(match &item {
                Item::Post(p) => &p.title,
                Item::Skipped { what, .. } => what,
            });
            items.push(item);
        }
        let Some(next) = next.filter(|n| seen.insert(n.clone())) else {
            break;
        };
        if page >= MAX_PAGES {
            items.push(Item::skipped(
                next,
                format!("pagination stopped after {MAX_PAGES} pages"),
            ));
            break;
        }
        if let Err(why) = fetcher.permission(&next) {
            items.push(Item::skipped(
                next,
                format!("the next feed page is not fetched: {why}"),
            ));
            break;
        }
        let fetched = match fetcher.get(&next) {
            Ok(f) => f,
            Err(e) => {
                items.push(Item::skipped(
                    next,
                    format!("the next feed page could not be read: {}", e.message),
                ));
                break;
            }
        };
        doc = Doc {
            place: next,
            url: Some(fetched.url),
            text: fetched.body,
        };
    }
    Ok((items, site))
}

/// One page of a feed and the absolute URL of the next, if it names one.
fn parse_page(doc: &Doc) -> Result<(Feed, Option<String>), ImportError> {
    let trimmed = doc.text.trim_start_matches('\u{feff}').trim_start();
    let is_json = trimmed.starts_with('{');
    if is_json && let Err(e) = serde_json::from_str::<serde_json::Value>(trimmed) {
        return Err(ImportError::at_line(
            &doc.place,
            e.line(),
            format!("broken JSON: {e}"),
        ));
    }
    // feed-rs first: it reads what real feeds carry (a DOCTYPE, HTML entities); the XML parser only
    // finds the line of an error.
    let feed = feed_rs::parser::Builder::new()
        .base_uri(doc.url.as_deref())
        .build()
        .parse(trimmed.as_bytes())
        .map_err(|e| {
            let options = roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            };
            match (
                is_json,
                roxmltree::Document::parse_with_options(trimmed, options),
            ) {
                (false, Err(x)) => {
                    let offset = doc.text.len() - trimmed.len();
                    let line = x.pos().row as usize + line_of(&doc.text, offset) - 1;
                    ImportError::at_line(&doc.place, line, format!("broken XML: {x}"))
                }
                _ => ImportError::new(&doc.place, format!("not an RSS, Atom or JSON feed: {e}")),
            }
        })?;
    let next = if is_json {
        serde_json::from_str::<serde_json::Value>(trimmed)
            .ok()
            .and_then(|v| v.get("next_url")?.as_str().map(str::to_string))
    } else {
        feed.links
            .iter()
            .find(|l| l.rel.as_deref() == Some("next"))
            .map(|l| l.href.clone())
    };
    let next = next.and_then(|n| absolute(doc.url.as_deref(), &n));
    Ok((feed, next))
}

/// `href` made absolute against `base`; `None` when it cannot be (a relative link in a local file).
fn absolute(base: Option<&str>, href: &str) -> Option<String> {
    if let Ok(u) = url::Url::parse(href) {
        return Some(u.to_string());
    }
    url::Url::parse(base?)
        .ok()?
        .join(href)
        .ok()
        .map(|u| u.to_string())
}

fn text_of(t: &Text) -> String {
    if t.content_type.subty() == "html" || t.content.contains('<') {
        html_text(&t.content)
    } else {
        clean_title(&t.content)
    }
}

fn entry_item(entry: &Entry, fetcher: &Fetcher) -> Item {
    let title = entry.title.as_ref().map(text_of).unwrap_or_default();
    let label = if title.is_empty() {
        entry.id.clone()
    } else {
        title.clone()
    };
    let url = entry
        .links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or(entry.links.first())
        .map(|l| l.href.clone())
        .or_else(|| entry.id.starts_with("http").then(|| entry.id.clone()));
    let Some(url) = url else {
        return Item::skipped(label, "no link to the post");
    };
    let Some(date) = entry
        .published
        .or(entry.updated)
        .map(|d| d.format("%Y-%m-%d").to_string())
    else {
        return Item::skipped(url, "no date");
    };
    let summary = entry
        .summary
        .as_ref()
        .map(text_of)
        .filter(|s| !s.is_empty());
    let mut notes = Vec::new();
    let content = entry
        .content
        .as_ref()
        .and_then(|c| {
            let body = c.body.clone()?;
            Some(
                if c.content_type.ty() == "text" && c.content_type.subty() == "plain" {
                    plain_to_html(&body)
                } else {
                    body
                },
            )
        })
        .filter(|b| !b.trim().is_empty());
    let (body, page_title) = match content {
        Some(body) => (body, None),
        None => match fetch_article(&url, fetcher) {
            Ok((html, page_title, _)) => {
                notes.push("the feed had no full text: read from the page".to_string());
                (html, Some(page_title))
            }
            Err(why) => match entry.summary.as_ref() {
                Some(s) if !s.content.trim().is_empty() => {
                    notes.push(format!("summary only: the page could not be read ({why})"));
                    (s.content.clone(), None)
                }
                _ => {
                    return Item::skipped(
                        url,
                        format!("no text in the feed and the page could not be read ({why})"),
                    );
                }
            },
        },
    };
    let converted = match to_markdown(&body) {
        Ok(c) => c,
        Err(why) => return Item::skipped(url, why),
    };
    if converted.markdown.trim().is_empty() {
        return Item::skipped(url, "no text");
    }
    let title = if title.is_empty() {
        page_title.unwrap_or_default()
    } else {
        title
    };
    if title.is_empty() {
        return Item::skipped(url, "no title");
    }
    let tags = entry
        .categories
        .iter()
        .map(|c| clean_title(c.label.as_deref().unwrap_or(&c.term)))
        .filter(|t| !t.is_empty())
        .collect();
    Item::Post(ImportedPost {
        slug: slug_for(&url, &title),
        title,
        date,
        url,
        tags,
        summary: summary.map(|s| shorten(&s, 300)),
        markdown: converted.markdown,
        dropped_media: converted.dropped_media,
        notes,
    })
}

/// The article on a post's page: (body HTML, title, published date as stated).
pub fn fetch_article(
    url: &str,
    fetcher: &Fetcher,
) -> Result<(String, String, Option<String>), String> {
    // `get` asks robots.txt (and the host limit) for the URL and every redirect hop.
    let page = fetcher.get(url).map_err(|e| e.message)?;
    let found = article(&page.body, &page.url)?;
    let published = found.published.as_deref().and_then(normalise_date);
    Ok((found.html, clean_title(&found.title), published))
}

/// Plain text (JSON Feed `content_text`, Atom `type="text"`) as HTML paragraphs, with `<` and `&`
/// escaped so they stay text.
fn plain_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            format!(
                "<p>{}</p>",
                p.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
            )
        })
        .collect()
}
