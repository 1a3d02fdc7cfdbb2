//! A sitemap crawl and a paginated feed against a local static site (the demo's static server): pages
//! fetched politely, robots.txt obeyed, articles read out of navigation and footers.

mod common;

use common::*;
use twin_import::Format;
use twin_local::static_site::StaticSite;

fn site() -> StaticSite {
    StaticSite::start(
        std::path::Path::new(&fixture("site")),
        "http://127.0.0.1:8787",
        0,
    )
    .expect("the static site")
}

#[test]
fn a_sitemap_index_is_crawled_politely() {
    let site = site();
    let dir = content_dir();
    let report = run(&format!("{}/sitemap.xml", site.url), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Sitemap);
    let created: Vec<String> = report
        .written
        .created
        .iter()
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(created.len(), 3, "{report:?}");
    // `about` is the about page's slug in twin index: the crawled /about.html gets another.
    assert!(
        created[0].starts_with("about-") && created[0].ends_with(".md"),
        "{created:?}"
    );
    assert_eq!(
        created[1..],
        ["smoking-fish.md", "tide-tables.md"],
        "{report:?}"
    );
    let tides = post_file(dir.path(), "tide-tables");
    assert!(
        tides.contains(&format!("url = \"{}/posts/tide-tables.html\"", site.url)),
        "{tides}"
    );
    // The page's own published time wins over the sitemap's lastmod.
    assert!(tides.contains("date = \"2024-04-09\""), "{tides}");
    assert!(
        tides.contains("## The rule of twelfths {#rule-of-twelfths}"),
        "{tides}"
    );
    assert!(
        !tides.contains("Archive") && !tides.contains("Built with a text editor"),
        "navigation or footer leaked: {tides}"
    );
    let fish = post_file(dir.path(), "smoking-fish");
    assert!(
        fish.contains("date = \"2024-03-02\"") && fish.contains("```\nbrine: 100 g salt"),
        "{fish}"
    );
    assert_eq!(
        skip_reason(&report, "/private/secret.html"),
        "robots.txt disallows it"
    );
    let nav = skip_reason(&report, "/posts/nav-only.html");
    assert!(nav.starts_with("no article found"), "{nav}");
    assert!(skip_reason(&report, "/posts/gone.html").contains("HTTP 404"));
    let all = std::fs::read_dir(dir.path().join("posts"))
        .expect("posts")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .collect::<String>();
    assert!(!all.contains("PRIVATE-MARKER"));
    let content = read_back(dir.path());
    assert!(
        content
            .passages
            .iter()
            .any(|p| p.url == format!("{}/posts/tide-tables.html#springs-and-neaps", site.url))
    );
}

#[test]
fn include_and_limit_choose_the_pages() {
    let site = site();
    let dir = content_dir();
    let mut opts = options(dir.path());
    opts.filter.include = Some("/posts/".into());
    opts.filter.limit = Some(1);
    let report = run(&format!("{}/sitemap.xml", site.url), &opts).expect("import");
    assert_eq!(report.written.created.len(), 1, "{report:?}");
    assert_eq!(skip_reason(&report, "/about.html"), "outside /posts/");
    assert_eq!(skip_reason(&report, "smoking-fish"), "over --limit");
}

#[test]
fn a_paginated_feed_is_followed_and_summaries_are_filled_from_the_page() {
    let site = site();
    let dir = content_dir();
    let report = run(
        &format!("{}/feed/page1.xml", site.url),
        &options(dir.path()),
    )
    .expect("import");
    assert_eq!(report.format, Format::Feed);
    // Page 2 links back to page 1: followed once, not forever.
    assert_eq!(report.written.created.len(), 2, "{report:?}");
    assert!(
        report.skipped.is_empty(),
        "each page read once: {:?}",
        report.skipped
    );
    let tides = post_file(dir.path(), "tide-tables");
    assert!(
        tides.contains("The rule of twelfths"),
        "the feed had a summary only, the page the text: {tides}"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|(u, n)| u.ends_with("tide-tables.html") && n.contains("read from the page"))
    );
    read_back(dir.path());
}

#[test]
fn a_blog_home_page_leads_to_its_feed() {
    let site = site();
    let dir = content_dir();
    let report = run(&format!("{}/", site.url), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Feed);
    assert!(
        report
            .via
            .as_deref()
            .is_some_and(|v| v.contains("/feed/page1.xml")),
        "{:?}",
        report.via
    );
    assert_eq!(report.written.created.len(), 2);
}

#[test]
fn a_page_leads_to_the_sitemap_and_a_page_with_neither_is_a_clear_error() {
    let site = site();
    let dir = content_dir();
    // nav-only.html has no feed link, but the site has a sitemap: that is used.
    let report = run(
        &format!("{}/posts/nav-only.html", site.url),
        &options(dir.path()),
    )
    .expect("import");
    assert_eq!(report.format, Format::Sitemap);
    // A site with neither: served from the posts folder, so /sitemap.xml is a 404.
    let bare = StaticSite::start(
        std::path::Path::new(&fixture("site/posts")),
        "http://127.0.0.1:8787",
        0,
    )
    .expect("a site");
    let err =
        run(&format!("{}/nav-only.html", bare.url), &options(dir.path())).expect_err("neither");
    let text = err.to_string();
    assert!(
        text.contains("no feed link") && text.contains("/sitemap.xml: HTTP 404"),
        "{text}"
    );
    let err = run(&format!("{}/nowhere.xml", site.url), &options(dir.path())).expect_err("404");
    assert!(err.to_string().ends_with("HTTP 404"), "{err}");
}

#[test]
fn a_feed_page_robots_txt_disallows_is_not_fetched() {
    let site = site();
    let dir = content_dir();
    let report = run(
        &format!("{}/feed/blocked.xml", site.url),
        &options(dir.path()),
    )
    .expect("import");
    assert_eq!(report.written.created.len(), 1, "{report:?}");
    assert_eq!(
        skip_reason(&report, "/private/feed-page2.xml"),
        "the next feed page is not fetched: robots.txt disallows it"
    );
    let all: String = std::fs::read_dir(dir.path().join("posts"))
        .expect("posts")
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .collect();
    assert!(!all.contains("PRIVATE-MARKER"));
}

#[test]
fn a_site_without_robots_txt_may_be_fetched() {
    // The Medium fixture folder has no robots.txt: the server answers 404 for it.
    let bare = StaticSite::start(
        std::path::Path::new(&fixture("medium")),
        "http://127.0.0.1:8787",
        0,
    )
    .expect("a site");
    let fetcher = twin_import::fetch::Fetcher::new(options(std::path::Path::new(".")).politeness);
    assert!(fetcher.allowed(&format!("{}/posts/anything.html", bare.url)));
    // And one whose robots.txt disallows a path: refused there, allowed elsewhere.
    let site = site();
    assert!(!fetcher.allowed(&format!("{}/private/secret.html", site.url)));
    assert!(fetcher.allowed(&format!("{}/posts/tide-tables.html", site.url)));
}

#[test]
fn sitemaps_on_other_hosts_and_loops_are_not_followed() {
    // An index naming a child on another host, itself, and the same child twice.
    let site = site();
    let dir = content_dir();
    let report = run(
        &format!("{}/sitemap-elsewhere.xml", site.url),
        &options(dir.path()),
    )
    .expect("import");
    assert_eq!(
        report.written.created.len(),
        3,
        "each page once: {report:?}"
    );
    let why = skip_reason(&report, "elsewhere.invalid");
    assert!(why.contains("on another host than the blog"), "{why}");
    assert!(
        !report.skipped.iter().any(|(_, why)| why.contains("twice")),
        "{:?}",
        report.skipped
    );
}
