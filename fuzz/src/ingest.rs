//! Content ingestion: a blogger's files as they come (front matter of both kinds, broken or not; a
//! LinkedIn `Shares.csv` of any shape), read as `twin index` reads them.

use crate::{Budget, Outcome, Target, run_for};
use proptest::prelude::*;
use twin_index::ingest::{parse_front_matter, read_content};

pub const FRONT_MATTER: Target = Target {
    name: "front-matter",
    what: "front matter: any text, YAML- or TOML-fenced or not (unclosed, nested, wrong types): parsed, or an error naming a line of the file",
    ci_cases: 3_000,
    run: front_matter,
};

pub const CONTENT: Target = Target {
    name: "content",
    what: "a content folder: any post, about page and Shares.csv (quotes, ragged rows, bad UTF-8): passages or file:line diagnostics, each line inside its file",
    ci_cases: 300,
    run: content,
};

/// Lines a post's head is made of.
fn front_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("---".to_string()),
        Just("+++".to_string()),
        Just("title: A post".to_string()),
        Just("title = \"A post\"".to_string()),
        Just("date: 2024-02-30".to_string()),
        Just("date = 2024-01-01".to_string()),
        Just("tags: [a, [b, {c: d}]]".to_string()),
        Just("tags = 7".to_string()),
        Just("slug: ../../etc/passwd".to_string()),
        Just("draft: yes".to_string()),
        Just("title: &a [*a, *a]".to_string()),
        Just("title: \"unclosed".to_string()),
        Just("# Heading {#id}".to_string()),
        Just("```".to_string()),
        Just(String::new()),
        (1usize..64).prop_map(|n| format!("title: {}{}", "[".repeat(n), "]".repeat(n))),
        any::<String>(),
    ]
}

fn post_text() -> impl Strategy<Value = String> {
    prop::collection::vec(front_line(), 0..16).prop_map(|l| l.join("\n"))
}

fn front_matter(budget: Budget) -> Outcome {
    run_for(budget, post_text(), |text| {
        let lines = text.lines().count().max(1);
        match parse_front_matter(&text) {
            Ok(p) => prop_assert!(
                p.body_line >= 1 && p.body_line <= lines,
                "{} of {lines}",
                p.body_line
            ),
            Err((line, message)) => {
                prop_assert!(line >= 1 && line <= lines, "line {line} of {lines}");
                prop_assert!(!message.is_empty());
            }
        }
        Ok(())
    })
}

fn csv_field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Date".to_string()),
        Just("ShareLink".to_string()),
        Just("ShareCommentary".to_string()),
        Just("2024-03-01 10:00:00".to_string()),
        Just("\"quoted, with \"\"quotes\"\"\nand a line break\"".to_string()),
        Just("\"unclosed".to_string()),
        Just("https://www.linkedin.com/feed/update/1".to_string()),
        any::<String>(),
    ]
}

fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(prop::collection::vec(csv_field(), 0..5), 0..6).prop_map(|rows| {
            rows.into_iter()
                .map(|r| r.join(","))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..128),
    ]
}

fn content(budget: Budget) -> Outcome {
    let input = (post_text(), post_text(), csv_text());
    run_for(budget, input, |(post, about, shares)| {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let write = |rel: &str, bytes: &[u8]| -> Result<(), TestCaseError> {
            let path = dir.path().join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            std::fs::write(path, bytes).map_err(|e| TestCaseError::fail(e.to_string()))
        };
        write(
            "site.toml",
            b"title = \"Fuzz\"\nauthor = \"A\"\nbase_url = \"https://blog.example\"\n",
        )?;
        write("posts/a-post.md", post.as_bytes())?;
        write("about.md", about.as_bytes())?;
        write("social/Shares.csv", &shares)?;
        let content = read_content(dir.path());
        for d in &content.diagnostics {
            let lines = std::fs::read(&d.path)
                .map(|b| String::from_utf8_lossy(&b).lines().count())
                .unwrap_or(0);
            prop_assert!(
                d.line <= lines.max(1),
                "{}:{} but the file has {lines} lines: {}",
                d.path.display(),
                d.line,
                d.message
            );
            prop_assert!(!d.message.is_empty());
        }
        for p in &content.passages {
            prop_assert!(
                !p.text.trim().is_empty(),
                "an empty passage from {}",
                p.slug
            );
        }
        Ok(())
    })
}
