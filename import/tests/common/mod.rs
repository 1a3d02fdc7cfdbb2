//! Shared by the import tests: a content folder, an import into it, and `twin index` reading it back.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use twin_import::{Filter, ImportError, Options, Politeness, Quiet, Report};

pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
        .display()
        .to_string()
}

/// A temporary content folder with a `site.toml`.
pub fn content_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("site.toml"),
        "author = \"Test Author\"\ntitle = \"Test\"\nbase_url = \"https://site-toml.example\"\nposts_path = \"/posts/\"\n",
    )
    .expect("site.toml");
    dir
}

pub fn options(dir: &Path) -> Options {
    Options {
        content_dir: dir.to_path_buf(),
        format: None,
        base_url: None,
        politeness: Politeness {
            delay: std::time::Duration::ZERO,
            concurrency: 2,
            timeout: std::time::Duration::from_secs(10),
        },
        filter: Filter::default(),
    }
}

pub fn run(source: &str, opts: &Options) -> Result<Report, ImportError> {
    twin_import::import(source, opts, &Quiet)
}

/// What `twin index` reads from the folder; fails the test on any diagnostic.
pub fn read_back(dir: &Path) -> twin_index::ingest::Content {
    let content = twin_index::ingest::read_content(dir);
    assert!(
        content.diagnostics.is_empty(),
        "twin index reports: {:?}",
        content.diagnostics
    );
    content
}

pub fn post_file(dir: &Path, slug: &str) -> String {
    let path: PathBuf = dir.join("posts").join(format!("{slug}.md"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} was not written: {e}", path.display()))
}

pub fn skip_reason<'a>(report: &'a Report, what_contains: &str) -> &'a str {
    report
        .skipped
        .iter()
        .find(|(what, _)| what.contains(what_contains))
        .map(|(_, why)| why.as_str())
        .unwrap_or_else(|| {
            panic!(
                "nothing skipped matching {what_contains}: {:?}",
                report.skipped
            )
        })
}
