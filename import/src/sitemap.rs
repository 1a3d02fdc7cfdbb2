//! `sitemap.xml` and sitemap indexes: the page URLs (and `lastmod` dates) a site lists, then each page
//! fetched politely (robots.txt, a delay per host, a concurrency cap) and its article read.

use crate::error::ImportError;
use crate::feed::fetch_article;
use crate::fetch::Fetcher;
use crate::html::to_markdown;
use crate::post::{ImportedPost, Item, normalise_date, slug_for};
use crate::progress::Progress;
use crate::source::Doc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sitemap indexes nest at most this deep.
const MAX_DEPTH: usize = 3;
/// The most page URLs read from sitemaps.
const MAX_URLS: usize = 50_000;

/// A page the sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub url: String,
    pub lastmod: Option<String>,
}

/// Which listed pages to import.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only URLs whose path starts with this (e.g. `/posts/`).
    pub include: Option<String>,
    /// At most this many pages.
    pub limit: Option<usize>,
}

/// The most sitemaps read (an index and its children).
const MAX_SITEMAPS: usize = 1_000;

/// The pages listed by the sitemap in `doc` (following sitemap indexes, each sitemap read once), and
/// (child sitemap, why) for the ones that could not be read.
pub fn list_pages(doc: &Doc, fetcher: &Fetcher) -> Result<(Vec<Listed>, Vec<Failed>), ImportError> {
    let mut walk = Walk::default();
    walk.seen
        .insert(doc.url.clone().unwrap_or_else(|| doc.place.clone()));
    walk.collect(doc, fetcher, 0)?;
    if walk.pages.is_empty() {
        return Err(ImportError::new(&doc.place, "the sitemap lists no pages"));
    }
    Ok((walk.pages, walk.failed))
}

/// A child sitemap that could not be read, and why.
pub type Failed = (String, String);

#[derive(Default)]
struct Walk {
    pages: Vec<Listed>,
    failed: Vec<Failed>,
    seen: std::collections::HashSet<String>,
}

impl Walk {
    fn collect(&mut self, doc: &Doc, fetcher: &Fetcher, depth: usize) -> Result<(), ImportError> {
        let text = doc.text.trim_start_matches('\u{feff}');
        let trimmed = text.trim_start();
        let xml = roxmltree::Document::parse(trimmed).map_err(|e| {
            let line =
                e.pos().row as usize + crate::error::line_of(text, text.len() - trimmed.len()) - 1;
            ImportError::at_line(&doc.place, line, format!("broken XML: {e}"))
        })?;
        let root = xml.root_element();
        let loc = |n: roxmltree::Node| {
            n.children()
                .find(|c| c.tag_name().name() == "loc")
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        match root.tag_name().name() {
            "urlset" => {
                for url in root.children().filter(|n| n.tag_name().name() == "url") {
                    if self.pages.len() >= MAX_URLS {
                        break;
                    }
                    if let Some(page) = loc(url) {
                        let lastmod = url
                            .children()
                            .find(|c| c.tag_name().name() == "lastmod")
                            .and_then(|c| c.text())
                            .and_then(normalise_date);
                        self.pages.push(Listed { url: page, lastmod });
                    }
                }
                Ok(())
            }
            "sitemapindex" if depth < MAX_DEPTH => {
                for child in root.children().filter(|n| n.tag_name().name() == "sitemap") {
                    if self.pages.len() >= MAX_URLS || self.seen.len() >= MAX_SITEMAPS {
                        break;
                    }
                    let Some(next) = loc(child) else { continue };
                    if !self.seen.insert(next.clone()) {
                        continue;
                    }
                    match fetcher.get(&next) {
                        Ok(fetched) => {
                            let sub = Doc {
                                place: next.clone(),
                                url: Some(fetched.url),
                                text: fetched.body,
                            };
                            if let Err(e) = self.collect(&sub, fetcher, depth + 1) {
                                self.failed.push((next, e.to_string()));
                            }
                        }
                        Err(e) => self.failed.push((next, e.message)),
                    }
                }
                Ok(())
            }
            "sitemapindex" => Err(ImportError::new(
                &doc.place,
                format!("sitemap indexes nested deeper than {MAX_DEPTH}"),
            )),
            other => Err(ImportError::new(
                &doc.place,
                format!("not a sitemap: the root is <{other}>, not <urlset> or <sitemapindex>"),
            )),
        }
    }
}

/// Fetches and reads every listed page that passes `filter`, `fetcher.concurrency()` at a time.
pub fn crawl(
    pages: Vec<Listed>,
    filter: &Filter,
    fetcher: &Fetcher,
    progress: &dyn Progress,
) -> Vec<Item> {
    let mut items = Vec::new();
    let mut chosen = Vec::new();
    for page in pages {
        let path = url::Url::parse(&page.url)
            .map(|u| u.path().to_string())
            .unwrap_or_default();
        match &filter.include {
            Some(prefix) if !path.starts_with(prefix.as_str()) => {
                items.push(Item::skipped(page.url, format!("outside {prefix}")));
            }
            _ if filter.limit.is_some_and(|l| chosen.len() >= l) => {
                items.push(Item::skipped(page.url, "over --limit"));
            }
            _ => chosen.push(page),
        }
    }
    progress.start(chosen.len(), "pages");
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Item)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..fetcher.concurrency().min(chosen.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(page) = chosen.get(i) else { break };
                    let item = page_item(page, fetcher);
                    progress.step(&page.url);
                    if let Ok(mut r) = results.lock() {
                        r.push((i, item));
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _)| *i);
    items.extend(results.into_iter().map(|(_, item)| item));
    items
}

fn page_item(page: &Listed, fetcher: &Fetcher) -> Item {
    let (html, title, published) = match fetch_article(&page.url, fetcher) {
        Ok(found) => found,
        Err(why) => return Item::skipped(page.url.clone(), why),
    };
    let mut notes = Vec::new();
    if published.is_none() && page.lastmod.is_some() {
        notes.push(
            "dated by the sitemap's lastmod (when the page last changed; the page states no date)"
                .to_string(),
        );
    }
    let Some(date) = published.or_else(|| page.lastmod.clone()) else {
        return Item::skipped(
            page.url.clone(),
            "no date (no published time on the page, no lastmod in the sitemap)",
        );
    };
    let converted = match to_markdown(&html) {
        Ok(c) => c,
        Err(why) => return Item::skipped(page.url.clone(), why),
    };
    if converted.markdown.trim().is_empty() || title.is_empty() {
        return Item::skipped(page.url.clone(), "no text or no title");
    }
    Item::Post(ImportedPost {
        slug: slug_for(&page.url, &title),
        title,
        date,
        url: page.url.clone(),
        tags: vec![],
        summary: None,
        markdown: converted.markdown,
        dropped_media: converted.dropped_media,
        notes,
    })
}
