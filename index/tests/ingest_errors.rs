//! Malformed content gets a `file:line: message` diagnostic, never a panic, and good content reads.
#![cfg(all(feature = "ingest", not(target_arch = "wasm32")))]

use std::fs;
use std::path::Path;
use twin_index::Kind;
use twin_index::ingest::read_content;

const SITE: &str = "author = \"A\"\nbase_url = \"https://b.example\"\n";

fn write(dir: &Path, rel: &str, body: &[u8]) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    fs::write(p, body).expect("write");
}

fn messages(dir: &Path) -> Vec<String> {
    read_content(dir)
        .diagnostics
        .iter()
        .map(|d| d.to_string().replace(&dir.display().to_string(), ""))
        .collect()
}

#[test]
fn each_problem_is_named_with_file_and_line() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(d, "site.toml", SITE.as_bytes());
    write(
        d,
        "posts/ok.md",
        b"---\ntitle: Ok\ndate: 2024-01-01\n---\nSome words.\n",
    );
    write(
        d,
        "posts/no-title.md",
        b"---\ndate: 2024-01-01\n---\ntext\n",
    );
    write(
        d,
        "posts/bad-yaml.md",
        b"---\ntitle: [unclosed\ndate: 2024-01-01\n---\ntext\n",
    );
    write(d, "posts/unclosed.md", b"---\ntitle: x\n");
    write(
        d,
        "posts/empty.md",
        b"---\ntitle: Empty\ndate: 2024-01-02\n---\n\n",
    );
    write(
        d,
        "posts/dup.md",
        b"+++\ntitle = \"Dup\"\ndate = 2024-01-03\nslug = \"ok\"\n+++\nbody\n",
    );
    write(d, "posts/binary.md", b"---\ntitle: B\n---\n\xff\xfe\x00bad");
    write(
        d,
        "posts/bad-date.md",
        b"---\ntitle: D\ndate: last tuesday\n---\ntext\n",
    );
    write(d, "posts/plain.md", b"# no front matter\n");
    let m = messages(d);
    let has = |needle: &str| m.iter().any(|x| x.contains(needle));
    assert!(
        has("/posts/no-title.md:1: front matter is missing title"),
        "{m:#?}"
    );
    assert!(
        has("/posts/bad-yaml.md:2: front matter does not parse"),
        "{m:#?}"
    );
    assert!(
        has("/posts/unclosed.md:1: front matter opened with `---` is never closed"),
        "{m:#?}"
    );
    assert!(has("/posts/empty.md:5: post has no text"), "{m:#?}");
    assert!(
        has("/posts/ok.md") && has("slug `ok` is already used by"),
        "{m:#?}"
    );
    assert!(has("/posts/binary.md:4: not UTF-8 text"), "{m:#?}");
    assert!(
        has("/posts/bad-date.md:1: date `last tuesday` is not YYYY-MM-DD"),
        "{m:#?}"
    );
    assert!(has("/posts/plain.md:1: no front matter"), "{m:#?}");
    assert_eq!(m.len(), 8, "{m:#?}");
}

#[test]
fn a_broken_site_file_and_social_export_are_reported() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(d, "site.toml", b"author = \"A\"\nbase_url = 3\n");
    write(d, "social/Shares.csv", b"When,What\n2024-01-01,hi\n");
    let m = messages(d);
    assert!(m.iter().any(|x| x.contains("/site.toml:2:")), "{m:#?}");
    assert!(
        m.iter()
            .any(|x| x.contains("/social/Shares.csv:1: header must name")),
        "{m:#?}"
    );
    assert!(
        messages(&d.join("missing"))
            .iter()
            .any(|x| x.contains("content folder not found"))
    );
}

#[test]
fn reads_posts_bundles_about_and_a_linkedin_export() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path();
    write(d, "site.toml", SITE.as_bytes());
    write(
        d,
        "posts/bundle/index.md",
        b"---\ntitle: Bundle\ndate: 2024-02-01T10:00:00Z\ntags: [a]\n---\n## Part one\n\nAlpha.\n",
    );
    write(d, "posts/_index.md", b"section page, not a post");
    write(d, "about.md", b"I am the author.\n");
    write(
        d,
        "social/Shares.csv",
        b"\"Date\",\"ShareLink\",\"ShareCommentary\"\r\n\"2024-03-01 09:00:00\",\"https://l.example/1\",\"Line one,\r\nline \"\"two\"\"\"\r\n\"2024-03-01 10:00:00\",\"https://l.example/2\",\"\"\r\n\"2024-03-01 11:00:00\",\"https://l.example/3\",\"Second that day\"\r\n",
    );
    let c = read_content(d);
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert_eq!((c.posts, c.social), (1, 2));
    let post = c
        .passages
        .iter()
        .find(|p| p.kind == Kind::Post)
        .expect("post");
    assert_eq!(post.slug, "bundle");
    assert_eq!(post.url, "https://b.example/posts/bundle/#part-one");
    assert_eq!(post.date, "2024-02-01");
    let social: Vec<_> = c
        .passages
        .iter()
        .filter(|p| p.kind == Kind::Social)
        .collect();
    assert_eq!(social[0].text, "Line one,\r\nline \"two\"");
    assert_eq!(social[0].slug, "social-2024-03-01");
    assert_eq!(social[1].slug, "social-2024-03-01-2");
    let about = c
        .passages
        .iter()
        .find(|p| p.kind == Kind::About)
        .expect("about");
    assert_eq!(about.url, "https://b.example/about/");
}
