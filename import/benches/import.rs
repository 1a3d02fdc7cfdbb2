//! Times `twin import` on a generated 500-post WordPress export (`cargo bench -p twin-import --bench
//! import`): a first import into an empty folder and an idempotent rerun, median of 5 runs each.
//! `TWIN_IMPORT_POSTS` changes the post count.

use std::fmt::Write as _;
use std::time::{Duration, Instant};
use twin_import::{Filter, Options, Politeness, Quiet};

const WORDS: &[&str] = &[
    "tide",
    "harbour",
    "sourdough",
    "oakum",
    "dinghy",
    "weather",
    "station",
    "salt",
    "compost",
    "kiln",
    "glaze",
    "swift",
    "reef",
    "mackerel",
    "smoke",
    "wall",
    "hedge",
    "garden",
    "battery",
    "sensor",
];

fn paragraph(seed: usize, words: usize) -> String {
    (0..words)
        .map(|i| WORDS[(seed * 31 + i * 7 + i * i) % WORDS.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A WXR export of `n` published posts (about 600 words each, headings, a code block, an image) plus
/// one page and one attachment per ten posts.
fn export(n: usize) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Generated</title><link>https://gen.example</link><wp:wxr_version>1.2</wp:wxr_version>
"#,
    );
    for i in 0..n {
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 2010 + i / 336;
        let body: String = (0..6)
            .map(|s| {
                format!(
                    "<h2 id=\"part-{s}\">Part {s}</h2>\n<p>{}</p>\n<p>{}</p>\n",
                    paragraph(i + s, 50),
                    paragraph(i * 3 + s, 50)
                )
            })
            .collect();
        let _ = write!(
            xml,
            r#"<item><title>Post {i}: {}</title><link>https://gen.example/{year}/{month:02}/post-{i}/</link>
<content:encoded><![CDATA[{body}<pre><code>let x = {i};</code></pre><figure><img src="a.jpg"></figure>]]></content:encoded>
<excerpt:encoded><![CDATA[{}]]></excerpt:encoded>
<wp:post_date_gmt>{year}-{month:02}-{day:02} 10:00:00</wp:post_date_gmt><wp:post_name>post-{i}</wp:post_name>
<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="post_tag" nicename="t{}"><![CDATA[{}]]></category></item>
"#,
            paragraph(i, 4),
            paragraph(i, 12),
            i % 7,
            WORDS[i % WORDS.len()],
        );
        if i % 10 == 0 {
            let _ = write!(
                xml,
                "<item><title>Page {i}</title><link>https://gen.example/page-{i}/</link><wp:status>publish</wp:status><wp:post_type>page</wp:post_type></item>\n<item><title>img {i}</title><link>https://gen.example/img-{i}/</link><wp:status>inherit</wp:status><wp:post_type>attachment</wp:post_type></item>\n"
            );
        }
    }
    xml.push_str("</channel></rss>\n");
    xml
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::var("TWIN_IMPORT_POSTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let work = tempfile::tempdir().expect("a temp dir");
    let file = work.path().join("export.xml");
    std::fs::write(&file, export(n)).expect("write the export");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let source = file.display().to_string();
    let (mut first, mut rerun) = (Vec::new(), Vec::new());
    let mut posts = 0;
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("a temp dir");
        let opts = Options {
            content_dir: dir.path().to_path_buf(),
            format: None,
            base_url: None,
            politeness: Politeness::default(),
            filter: Filter::default(),
        };
        let t = Instant::now();
        let report = twin_import::import(&source, &opts, &Quiet).expect("the import");
        first.push(t.elapsed());
        posts = report.written.created.len();
        let t = Instant::now();
        let again = twin_import::import(&source, &opts, &Quiet).expect("the rerun");
        rerun.push(t.elapsed());
        assert_eq!(
            again.written.unchanged.len(),
            posts,
            "a rerun changed files"
        );
    }
    assert_eq!(posts, n, "every generated post imported");
    let (f, r) = (median(first), median(rerun));
    println!(
        "twin import, generated WordPress export: {n} posts, {:.1} MB",
        size as f64 / 1e6
    );
    println!(
        "  first import (median of 5): {:.0} ms ({:.2} ms a post)",
        f.as_secs_f64() * 1e3,
        f.as_secs_f64() * 1e3 / n as f64
    );
    println!(
        "  rerun, nothing changed (median of 5): {:.0} ms",
        r.as_secs_f64() * 1e3
    );
}
