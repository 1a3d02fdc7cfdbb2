//! Every export and feed format from a hand-written fixture in the format's documented shape: what is
//! imported, what is skipped and why, and that `twin index` reads the result without a complaint.

mod common;

use common::*;
use twin_import::Format;

#[test]
fn a_wordpress_export_imports_published_posts_only() {
    let dir = content_dir();
    let report = run(&fixture("wordpress/export.xml"), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Wordpress);
    assert_eq!(report.written.created.len(), 2, "{report:?}");
    let dinghy = post_file(dir.path(), "recaulking-the-dinghy");
    assert!(
        dinghy.contains("title = \"Re-caulking the dinghy & other winter jobs\""),
        "{dinghy}"
    );
    assert!(
        dinghy.contains("url = \"https://harbourlight.example/2024/01/recaulking-the-dinghy/\"")
    );
    assert!(dinghy.contains("date = \"2024-01-13\""));
    assert!(
        dinghy.contains("tags = [\"Boats\", \"caulking\"]"),
        "{dinghy}"
    );
    // Classic paragraphs became paragraphs; the caption's text stayed, the image and the embed did not.
    assert!(
        dinghy.contains("see daylight through.\n\nDaylight through the garboard seam"),
        "{dinghy}"
    );
    assert!(
        !dinghy.contains("seams.jpg")
            && !dinghy.contains("youtube")
            && !dinghy.contains("[caption")
    );
    let starter = post_file(dir.path(), "sourdough-starter");
    assert!(
        starter.contains("### Feeding schedule {#feeding-schedule}"),
        "{starter}"
    );
    assert!(starter.contains("```\nday 1: 50 g starter"), "{starter}");
    assert!(!starter.contains("Uncategorized"));
    assert_eq!(report.dropped_media, 3);
    assert_eq!(
        skip_reason(&report, "?p=60"),
        "not published (status `draft`)"
    );
    assert_eq!(
        skip_reason(&report, "/about/"),
        "a WordPress page, not a post"
    );
    assert_eq!(
        skip_reason(&report, "/seams/"),
        "a WordPress attachment, not a post"
    );
    assert_eq!(skip_reason(&report, "crew-only"), "password protected");
    let content = read_back(dir.path());
    assert_eq!(content.posts, 2);
    let anchored = content
        .passages
        .iter()
        .find(|p| p.url.ends_with("#feeding-schedule"))
        .expect("an anchored passage");
    assert_eq!(
        anchored.url,
        "https://harbourlight.example/2024/02/sourdough-starter/#feeding-schedule"
    );
}

#[test]
fn reruns_change_nothing_and_keep_hand_written_posts() {
    let dir = content_dir();
    std::fs::create_dir_all(dir.path().join("posts")).expect("mkdir");
    std::fs::write(
        dir.path().join("posts/sourdough-starter.md"),
        "---\ntitle: Mine\ndate: 2020-01-01\n---\nMy own.\n",
    )
    .expect("write");
    let opts = options(dir.path());
    let first = run(&fixture("wordpress/export.xml"), &opts).expect("import");
    assert_eq!(first.written.created.len(), 2);
    let before: Vec<(String, String)> = files(dir.path());
    let again = run(&fixture("wordpress/export.xml"), &opts).expect("import");
    assert_eq!(
        (
            again.written.created.len(),
            again.written.updated.len(),
            again.written.unchanged.len()
        ),
        (0, 0, 2)
    );
    assert_eq!(files(dir.path()), before, "a rerun changed the folder");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("posts/sourdough-starter.md")).expect("read"),
        "---\ntitle: Mine\ndate: 2020-01-01\n---\nMy own.\n"
    );
    // The imported starter post went beside it under another name, and twin index reads both.
    assert_eq!(read_back(dir.path()).posts, 3);
}

fn files(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir.join("posts"))
        .expect("posts/")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).expect("read"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn an_rss_feed_with_full_content_and_with_summaries_only() {
    let dir = content_dir();
    let report = run(&fixture("feeds/rss.xml"), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Feed);
    assert_eq!(report.written.created.len(), 2, "{report:?}");
    let swifts = post_file(dir.path(), "counting-swifts");
    assert!(
        swifts.contains("## Method {#method}")
            && swifts.contains("tags = [\"birds\", \"citizen science\"]"),
        "{swifts}"
    );
    assert!(swifts.contains("date = \"2024-06-04\""));
    // Its page cannot be fetched (nothing listens on port 9): the summary is kept, and the summary says so.
    let gauge = post_file(dir.path(), "rain-gauge");
    assert!(gauge.contains("mark the side in millimetres"), "{gauge}");
    let note = report
        .notes
        .iter()
        .find(|(url, _)| url.contains("rain-gauge"))
        .map(|(_, n)| n.as_str());
    assert!(
        note.is_some_and(|n| n.starts_with("summary only: the page could not be read")),
        "{:?}",
        report.notes
    );
    assert_eq!(
        skip_reason(&report, "An item with no link"),
        "no link to the post"
    );
    assert_eq!(skip_reason(&report, "undated"), "no date");
    read_back(dir.path());
}

#[test]
fn an_atom_feed_and_a_json_feed() {
    let dir = content_dir();
    let report = run(&fixture("feeds/atom.xml"), &options(dir.path())).expect("import");
    assert_eq!(report.written.created.len(), 2);
    let unwrap = post_file(dir.path(), "why-i-stopped-using-unwrap");
    assert!(
        unwrap.contains("title = \"Why I stopped using unwrap\""),
        "{unwrap}"
    );
    assert!(
        unwrap.contains("```rust\nlet n: u32 = s.parse()?;\n```")
            && unwrap.contains("tags = [\"Rust\"]"),
        "{unwrap}"
    );
    assert!(
        unwrap.contains("date = \"2024-08-01\""),
        "published wins over updated: {unwrap}"
    );
    assert!(post_file(dir.path(), "property-tests").contains("date = \"2024-07-10\""));

    let report = run(&fixture("feeds/feed.json"), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Feed);
    assert_eq!(report.written.created.len(), 2);
    let glaze = post_file(dir.path(), "glaze-tests");
    assert!(
        glaze.contains("## Cone 6") && glaze.contains("tags = [\"glaze\", \"kiln\"]"),
        "{glaze}"
    );
    let wedging = post_file(dir.path(), "wedging");
    assert!(
        wedging.contains("Sixty times.\n\nClay \\<b> stays as typed & so does this."),
        "{wedging}"
    );
    assert_eq!(read_back(dir.path()).posts, 4);
}

#[test]
fn a_ghost_export_needs_a_base_url_and_imports_public_posts() {
    let dir = content_dir();
    let mut opts = options(dir.path());
    opts.base_url = Some("https://dales.example/".into());
    let report = run(&fixture("ghost/export.json"), &opts).expect("import");
    assert_eq!(report.format, Format::Ghost);
    assert_eq!(report.written.created.len(), 2, "{report:?}");
    let wall = post_file(dir.path(), "dry-stone-wall");
    assert!(
        wall.contains("url = \"https://dales.example/dry-stone-wall/\"")
            && wall.contains("tags = [\"Walls\"]"),
        "{wall}"
    );
    assert!(
        wall.contains("summary = \"Hearting, through stones and a batter frame.\"")
            && wall.contains("date = \"2024-04-02\"")
    );
    assert_eq!(report.dropped_media, 1);
    assert_eq!(
        skip_reason(&report, "lambing"),
        "not published (status `draft`)"
    );
    assert_eq!(skip_reason(&report, "contact"), "a Ghost page, not a post");
    assert_eq!(
        skip_reason(&report, "walling-course"),
        "for paid only, not public"
    );
    read_back(dir.path());

    // Without --base-url the site.toml address is used, and the report says where it came from.
    let other = content_dir();
    let report = run(&fixture("ghost/export.json"), &options(other.path())).expect("import");
    let (base, from) = report.base_url.expect("a base URL");
    assert_eq!(base, "https://site-toml.example");
    assert!(from.ends_with("site.toml"));
    // And with neither, the error says what to pass.
    let bare = tempfile::tempdir().expect("tempdir");
    let err = run(&fixture("ghost/export.json"), &options(bare.path())).expect_err("no base URL");
    assert!(err.to_string().contains("--base-url"), "{err}");
}

#[test]
fn a_substack_export_folder() {
    let dir = content_dir();
    let mut opts = options(dir.path());
    opts.base_url = Some("https://boringtech.substack.example".into());
    let report = run(&fixture("substack"), &opts).expect("import");
    assert_eq!(report.format, Format::Substack);
    assert_eq!(report.written.created.len(), 2, "{report:?}");
    let boring = post_file(dir.path(), "the-case-for-boring-tech");
    assert!(
        boring.contains("url = \"https://boringtech.substack.example/p/the-case-for-boring-tech\""),
        "{boring}"
    );
    assert!(
        boring.contains("summary = \"Postgres, cron, and a long weekend\"")
            && boring.contains("### What boring buys you")
    );
    assert!(
        !boring.contains("Subscribe") && !boring.contains("Type your email"),
        "{boring}"
    );
    assert!(post_file(dir.path(), "queues-are-databases").contains("```\nSELECT id FROM jobs"));
    assert_eq!(
        skip_reason(&report, "paid-deep-dive"),
        "for paid subscribers only, not public"
    );
    assert_eq!(skip_reason(&report, "next-week"), "not published (a draft)");
    assert_eq!(skip_reason(&report, "/p/chat"), "a thread, not a post");
    // A post_id that is a path (here, to a Medium fixture outside the export) is never read.
    let why = skip_reason(&report, "posts.csv:7");
    assert!(
        why.starts_with("post_id `../../medium/posts/") && why.ends_with("is not a Substack id"),
        "{why}"
    );
    read_back(dir.path());
}

#[test]
fn a_medium_export_folder() {
    let dir = content_dir();
    let report = run(&fixture("medium"), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Medium);
    assert_eq!(report.written.created.len(), 1, "{report:?}");
    let night = post_file(dir.path(), "notes-on-night-sailing-3f2a9c1b7d4e");
    assert!(
        night.contains(
            "url = \"https://medium.com/@saltwater/notes-on-night-sailing-3f2a9c1b7d4e\""
        ),
        "{night}"
    );
    assert!(
        night.contains("date = \"2023-11-05\"")
            && night.contains("#### The compass is right {#f1a2}"),
        "{night}"
    );
    // The title and subtitle Medium repeats at the top of the body are not in the text twice.
    assert_eq!(
        night.matches("Notes on night sailing").count(),
        1,
        "{night}"
    );
    assert!(
        night.contains(
            "summary = \"Red light, a thermos, and trusting the compass over your eyes.\""
        )
    );
    assert_eq!(report.dropped_media, 1);
    assert_eq!(skip_reason(&report, "draft_"), "a draft");
    assert_eq!(
        skip_reason(&report, "a-story-with-no-time"),
        "no published time (time.dt-published)"
    );
    read_back(dir.path());
}

#[test]
fn a_linkedin_export_is_checked_and_copied() {
    let dir = content_dir();
    let report = run(&fixture("linkedin/Shares.csv"), &options(dir.path())).expect("import");
    assert_eq!(report.format, Format::Linkedin);
    let social = report.social.expect("a social copy");
    assert_eq!((social.posts, social.changed), (1, true));
    let again = run(&fixture("linkedin/Shares.csv"), &options(dir.path())).expect("import");
    assert!(!again.social.expect("a social copy").changed);
    std::fs::create_dir_all(dir.path().join("posts")).expect("mkdir");
    assert_eq!(read_back(dir.path()).social, 1);
}

#[test]
fn malformed_inputs_name_the_file_and_line() {
    let dir = content_dir();
    let opts = options(dir.path());
    let broken = fixture("broken/wordpress-unclosed.xml");
    let err = run(&broken, &opts).expect_err("broken XML");
    assert_eq!(
        (err.place.as_str(), err.line),
        (broken.as_str(), Some(9)),
        "{err}"
    );
    assert!(err.message.starts_with("broken XML"), "{err}");

    let empty = fixture("broken/feed-no-items.xml");
    let err = run(&empty, &opts).expect_err("no items");
    assert_eq!(err.to_string(), format!("{empty}: the feed has no items"));

    let ghost = fixture("broken/ghost-truncated.json");
    let err = run(&ghost, &opts).expect_err("broken JSON");
    assert_eq!(err.place, ghost);
    assert!(
        err.line.is_some_and(|l| l >= 3) && err.message.starts_with("broken JSON"),
        "{err}"
    );

    let unknown = fixture("broken/unknown.csv");
    let err = run(&unknown, &opts).expect_err("unknown");
    assert!(
        err.to_string()
            .starts_with(&format!("{unknown}: not a format twin imports")),
        "{err}"
    );

    let missing = fixture("broken/does-not-exist.xml");
    let err = run(&missing, &opts).expect_err("missing");
    assert!(
        err.to_string()
            .starts_with(&format!("{missing}: cannot read")),
        "{err}"
    );
    // Nothing was written by any of them.
    assert!(!dir.path().join("posts").exists());
}

#[test]
fn a_first_import_writes_site_toml_from_the_source_and_keeps_an_existing_one() {
    let fresh = tempfile::tempdir().expect("tempdir");
    let report = run(&fixture("wordpress/export.xml"), &options(fresh.path())).expect("import");
    let written = report.site_toml.expect("site.toml written");
    let site: toml::Table =
        toml::from_str(&std::fs::read_to_string(&written).expect("read")).expect("TOML");
    assert_eq!(site["author"].as_str(), Some("Maren Holt"));
    assert_eq!(site["title"].as_str(), Some("Harbour Light"));
    assert_eq!(
        site["base_url"].as_str(),
        Some("https://harbourlight.example")
    );
    assert_eq!(read_back(fresh.path()).site.author, "Maren Holt");

    let atom = tempfile::tempdir().expect("tempdir");
    run(&fixture("feeds/atom.xml"), &options(atom.path())).expect("import");
    let site = read_back(atom.path()).site;
    assert_eq!(
        (
            site.author.as_str(),
            site.title.as_str(),
            site.base_url.as_str()
        ),
        ("Ade Okafor", "Slow Code", "https://slowcode.example")
    );

    // A source that names no author: the placeholder, and the file says to set it.
    let rss = tempfile::tempdir().expect("tempdir");
    run(&fixture("feeds/rss.xml"), &options(rss.path())).expect("import");
    let text = std::fs::read_to_string(rss.path().join("site.toml")).expect("read");
    assert!(
        text.contains("set `author` to your name") && text.contains("author = \"the author\""),
        "{text}"
    );

    let kept = content_dir();
    let before = std::fs::read_to_string(kept.path().join("site.toml")).expect("read");
    let report = run(&fixture("wordpress/export.xml"), &options(kept.path())).expect("import");
    assert!(report.site_toml.is_none());
    assert_eq!(
        std::fs::read_to_string(kept.path().join("site.toml")).expect("read"),
        before
    );
}

#[test]
fn an_rss_0_91_feed_with_a_doctype_is_read() {
    let dir = content_dir();
    // The item has a summary only and its page cannot be read (nothing listens on port 9): the summary.
    let report = run(&fixture("feeds/rss091.xml"), &options(dir.path())).expect("import");
    assert_eq!(report.written.created.len(), 1, "{report:?}");
    assert!(post_file(dir.path(), "wick").contains("take the corners off"));
}
