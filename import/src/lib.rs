//! Any blog in: `twin import SOURCE` reads a feed, a sitemap (each page fetched politely) or a platform
//! export, and writes the Markdown-with-front-matter `twin index` reads, keeping each post's public URL
//! and date. Reruns are idempotent (see `write`).

pub mod detect;
pub mod error;
pub mod feed;
pub mod fetch;
pub mod ghost;
pub mod html;
pub mod linkedin;
pub mod medium;
pub mod page;
pub mod post;
pub mod progress;
pub mod scaffold;
pub mod site_toml;
pub mod sitemap;
pub mod source;
pub mod substack;
pub mod wordpress;
pub mod write;

pub use detect::Format;
pub use error::ImportError;
pub use fetch::Politeness;
pub use progress::{Progress, Quiet};
pub use sitemap::Filter;

use detect::DocKind;
use fetch::Fetcher;
use linkedin::SocialCopy;
use post::Item;
use source::{Doc, Source};
use std::path::PathBuf;
use write::Written;

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// The content folder: posts go to `posts/`, a LinkedIn export to `social/`.
    pub content_dir: PathBuf,
    /// The format, when detection should be overridden.
    pub format: Option<Format>,
    /// The blog's address, for exports that do not hold it (Ghost, Substack); else `site.toml`'s.
    pub base_url: Option<String>,
    pub politeness: Politeness,
    pub filter: Filter,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Report {
    pub format: Format,
    /// How the source led to what was read (a discovered feed or sitemap), if not directly.
    pub via: Option<String>,
    /// The base URL post links were built from, and where it came from.
    pub base_url: Option<(String, String)>,
    pub written: Written,
    /// (what, why) for everything not imported.
    pub skipped: Vec<(String, String)>,
    /// (post URL, note) for posts imported with a remark.
    pub notes: Vec<(String, String)>,
    /// Images and embeds left out, over all posts.
    pub dropped_media: usize,
    /// A LinkedIn export copied into `social/`.
    pub social: Option<SocialCopy>,
    /// A first `site.toml` written because there was none.
    pub site_toml: Option<PathBuf>,
}

/// Imports `source` (a path or an http(s) URL).
pub fn import(
    source: &str,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    let fetcher = Fetcher::new(opts.politeness.clone());
    let source = Source::parse(source);
    if let Source::Url(url) = &source {
        // A blog given by its address is read from that host only (its sitemap and feed links too).
        fetcher.limit_to_host_of(url);
    }
    let mut via = None;
    let mut base = None;
    let mut site = post::SiteInfo::default();
    let (format, items) = match &source {
        Source::Path(dir) if dir.is_dir() => {
            let format = match opts.format {
                Some(f) if f.is_folder() => f,
                Some(f) => {
                    return Err(ImportError::new(
                        source.place(),
                        format!("a folder, but {} reads a file or URL", f.name()),
                    ));
                }
                None => detect::folder_format(dir)?,
            };
            let items = match format {
                Format::Substack => {
                    let b = base_url(opts, "Substack")?;
                    let items = substack::read_substack(dir, &b.0)?;
                    base = Some(b);
                    items
                }
                _ => medium::read_medium(dir)?,
            };
            (format, items)
        }
        _ => {
            let mut doc = source::read(&source, &fetcher)?;
            let mut format = match opts.format {
                Some(f) if f.is_folder() => {
                    return Err(ImportError::new(
                        source.place(),
                        format!("{} reads an export folder", f.name()),
                    ));
                }
                Some(f) => f,
                None => match detect::doc_kind(&doc)? {
                    DocKind::Format(f) => f,
                    DocKind::Html => {
                        let (next, f) = follow_page(&doc, &fetcher)?;
                        via = Some(format!("{} found on {}", next.place, doc.place));
                        doc = next;
                        f
                    }
                },
            };
            if format == Format::Linkedin {
                let Source::Path(file) = &source else {
                    return Err(ImportError::new(
                        source.place(),
                        "a LinkedIn Shares.csv is imported from a file",
                    ));
                };
                let social = linkedin::import_shares(file, &opts.content_dir)?;
                return Ok(Report {
                    format,
                    via,
                    base_url: None,
                    written: Written::default(),
                    skipped: vec![],
                    notes: vec![],
                    dropped_media: 0,
                    social: Some(social),
                    site_toml: None,
                });
            }
            let items = match format {
                Format::Wordpress => {
                    let (items, info) = wordpress::read_wxr(&doc)?;
                    site = info;
                    items
                }
                Format::Ghost => {
                    let b = base_url(opts, "Ghost")?;
                    let (items, info) = ghost::read_ghost(&doc, &b.0)?;
                    base = Some(b);
                    site = info;
                    items
                }
                Format::Sitemap => {
                    let (pages, failed) = sitemap::list_pages(&doc, &fetcher)?;
                    let mut items: Vec<Item> = failed
                        .into_iter()
                        .map(|(what, why)| {
                            Item::skipped(what, format!("a sitemap that could not be read: {why}"))
                        })
                        .collect();
                    items.extend(sitemap::crawl(pages, &opts.filter, &fetcher, progress));
                    items
                }
                _ => {
                    format = Format::Feed;
                    let (items, info) = feed::read_feed(doc, &fetcher, progress)?;
                    site = info;
                    items
                }
            };
            (format, items)
        }
    };
    let mut posts = Vec::new();
    let mut skipped = Vec::new();
    let mut notes = Vec::new();
    let mut dropped_media = 0;
    for item in items {
        match item {
            Item::Post(p) => {
                dropped_media += p.dropped_media;
                notes.extend(p.notes.iter().map(|n| (p.url.clone(), n.clone())));
                posts.push(p);
            }
            Item::Skipped { what, why } => skipped.push((what, why)),
        }
    }
    if site.home.is_none() {
        site.home = base.as_ref().map(|(b, _)| b.clone());
    }
    let urls: Vec<String> = posts.iter().map(|p| p.url.clone()).collect();
    let written = write::write_posts(&opts.content_dir.join("posts"), posts)?;
    let url_refs: Vec<&str> = urls.iter().map(String::as_str).collect();
    let site_toml = if urls.is_empty() {
        None
    } else {
        site_toml::write_if_absent(&opts.content_dir, &site, &url_refs)?
    };
    skipped.extend(
        written
            .duplicates
            .iter()
            .map(|u| (u.clone(), "the same URL twice in the source".to_string())),
    );
    skipped.extend(written.edited.iter().map(|p| {
        (
            p.display().to_string(),
            "edited by hand since the last import: kept as it is (delete it to import it again)"
                .to_string(),
        )
    }));
    Ok(Report {
        format,
        via,
        base_url: base,
        written,
        skipped,
        notes,
        dropped_media,
        social: None,
        site_toml,
    })
}

/// A blog page given as the source: the feed it advertises, else the site's `/sitemap.xml`.
fn follow_page(page: &Doc, fetcher: &Fetcher) -> Result<(Doc, Format), ImportError> {
    let page_url = page.url.clone().unwrap_or_else(|| page.place.clone());
    let mut candidates = Vec::new();
    if let Some(feed) = detect::discover_feed(&page.text, &page_url) {
        candidates.push((feed, Format::Feed));
    }
    if let Some(sitemap) = url::Url::parse(&page_url)
        .ok()
        .and_then(|u| u.join("/sitemap.xml").ok())
    {
        candidates.push((sitemap.to_string(), Format::Sitemap));
    }
    let mut tried = Vec::new();
    for (url, format) in candidates {
        match fetcher.get(&url) {
            Ok(fetched) => {
                return Ok((
                    Doc {
                        place: url,
                        url: Some(fetched.url),
                        text: fetched.body,
                    },
                    format,
                ));
            }
            Err(e) => tried.push(e.to_string()),
        }
    }
    let found = if tried.len() == 1 {
        "no feed link (<link rel=\"alternate\">); "
    } else {
        ""
    };
    Err(ImportError::new(
        &page.place,
        format!(
            "an HTML page whose feed or sitemap could not be read: {found}{}",
            tried.join("; ")
        ),
    ))
}

/// The base URL for exports without one: `--base-url`, else `base_url` in `content/site.toml`.
fn base_url(opts: &Options, platform: &str) -> Result<(String, String), ImportError> {
    if let Some(b) = &opts.base_url {
        return checked_base(b, "--base-url").map(|b| (b, "--base-url".into()));
    }
    let site = opts.content_dir.join("site.toml");
    let from_site = std::fs::read_to_string(&site)
        .ok()
        .and_then(|t| toml::from_str::<toml::Table>(&t).ok())
        .and_then(|t| t.get("base_url")?.as_str().map(str::to_string));
    match from_site {
        Some(b) => {
            let place = site.display().to_string();
            checked_base(&b, &place).map(|b| (b, place))
        }
        None => Err(ImportError::new(
            site.display().to_string(),
            format!(
                "a {platform} export holds no site address: pass --base-url https://your.blog (or set base_url here)"
            ),
        )),
    }
}

/// `raw` as a base URL (http or https with a host), without a trailing slash; `place` names the option.
pub fn checked_base(raw: &str, place: &str) -> Result<String, ImportError> {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {
            Ok(raw.trim_end_matches('/').to_string())
        }
        _ => Err(ImportError::new(
            place,
            format!("`{raw}` is not an http(s) base URL"),
        )),
    }
}
