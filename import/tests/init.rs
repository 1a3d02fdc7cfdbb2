//! `twin init` on the demo blog's posts (its own probes, persona and eval sets left behind) and on an
//! imported export: the files it writes pass `twin index --check`, and what it suggests is true of the
//! content (the knowledge topic is in several posts, the thin name occurs exactly once, the unanswerable
//! questions name nothing the blog mentions, each answerable fact is in its post).

mod common;

use common::*;
use std::path::Path;
use twin_import::scaffold::{InitOptions, init};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The demo's posts, social posts and site.toml, nothing else.
fn demo_posts() -> tempfile::TempDir {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content");
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&demo.join("posts"), &dir.path().join("posts"));
    copy_dir(&demo.join("social"), &dir.path().join("social"));
    std::fs::copy(demo.join("site.toml"), dir.path().join("site.toml")).expect("site.toml");
    dir
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn opts(dir: &Path) -> InitOptions {
    InitOptions {
        content_dir: dir.to_path_buf(),
        ..InitOptions::default()
    }
}

#[test]
fn init_suggests_what_the_content_bears_out() {
    let dir = demo_posts();
    let report = init(&opts(dir.path())).expect("init");
    assert_eq!(report.written.len(), 5, "{report:?}");
    let content = read_back(dir.path());
    assert!(twin_index::ingest::check_probes_and_eval(dir.path(), &content.passages).is_empty());
    let text = std::fs::read_to_string(dir.path().join("probes.toml")).expect("probes.toml");
    let probes = twin_shared::Probes::from_toml("probes.toml", &text)
        .expect("valid probes")
        .probe;
    let ids: Vec<&str> = probes.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["knowledge", "thin", "voice"]);

    // knowledge: the topic word is in several posts' text, and the expected slugs use it.
    let topic = probes[0]
        .question
        .trim_start_matches("What have you learned about ")
        .trim_end_matches('?')
        .to_lowercase();
    let docs_with = |word: &str| {
        let mut slugs: Vec<&str> = content
            .passages
            .iter()
            .filter(|p| words(&p.text).any(|w| w == word))
            .map(|p| p.slug.as_str())
            .collect();
        slugs.sort();
        slugs.dedup();
        slugs
    };
    let using = docs_with(&topic);
    assert!(using.len() >= 3, "`{topic}` is in {using:?}");
    let expect = probes[0].expect.as_ref().expect("knowledge expect");
    assert!(
        !expect.slugs.is_empty() && expect.slugs.iter().all(|s| using.contains(&s.as_str())),
        "{expect:?}"
    );
    assert_eq!(expect.facts.len(), 1);
    assert!(
        content
            .passages
            .iter()
            .any(|p| p.text.contains(&expect.facts[0])),
        "{:?}",
        expect.facts
    );

    // thin: the name occurs exactly once in everything, in the slug it names.
    let name = probes[1]
        .question
        .trim_start_matches("What can you tell me about ")
        .trim_end_matches('?')
        .to_lowercase();
    let occurrences: usize = content
        .passages
        .iter()
        .map(|p| words(&p.text).filter(|w| *w == name).count())
        .sum();
    assert_eq!(occurrences, 1, "`{name}`");
    assert_eq!(
        probes[1].expect.as_ref().expect("thin expect").slugs,
        docs_with(&name)
    );

    // eval sets: every answerable fact is in the post it names; no unanswerable key word is anywhere.
    let set = twin_shared::EvalSet::read(&dir.path().join("eval")).expect("eval sets");
    assert!(
        set.answerable.len() >= 10,
        "{} answerable",
        set.answerable.len()
    );
    for q in &set.answerable {
        let fact = &q.facts[0];
        assert!(
            content
                .passages
                .iter()
                .any(|p| p.slug == q.slugs[0] && p.text.contains(fact.as_str())),
            "{q:?}"
        );
    }
    assert!(set.unanswerable.len() >= 5);
    for q in &set.unanswerable {
        let keys: Vec<&str> = q.why.split('`').skip(1).step_by(2).collect();
        assert!(!keys.is_empty(), "{q:?}");
        for key in keys {
            assert!(
                docs_with(key).is_empty(),
                "`{key}` is in the content: {q:?}"
            );
        }
    }
    assert!(!set.voice.is_empty());
    let persona = std::fs::read_to_string(dir.path().join("persona.md")).expect("persona");
    for section in [
        "# Persona: Ilse Marwick",
        "## Who they are",
        "## Tone",
        "## Do",
        "## Don't",
        "## When they haven't written about it",
    ] {
        assert!(persona.contains(section), "{section}");
    }
    // The range is the posts' own dates (not the social posts' or the about page's).
    let mut post_dates: Vec<&str> = content
        .passages
        .iter()
        .filter(|p| p.kind == twin_index::Kind::Post)
        .map(|p| p.date.as_str())
        .collect();
    post_dates.sort();
    let (first, last) = (
        post_dates.first().expect("posts"),
        post_dates.last().expect("posts"),
    );
    assert!(
        persona.contains(&format!("{} posts from {first} to {last}", content.posts)),
        "{persona}"
    );
}

#[test]
fn init_keeps_what_exists_and_is_deterministic() {
    let dir = demo_posts();
    init(&opts(dir.path())).expect("init");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).expect("read");
    let names = [
        "probes.toml",
        "persona.md",
        "eval/answerable.toml",
        "eval/unanswerable.toml",
        "eval/voice.toml",
    ];
    let first: Vec<String> = names.iter().map(|n| read(n)).collect();
    std::fs::write(dir.path().join("persona.md"), "# Mine\n").expect("write");
    let again = init(&opts(dir.path())).expect("init");
    assert!(
        again.written.is_empty() && again.kept.len() == 6,
        "{again:?}"
    );
    assert_eq!(read("persona.md"), "# Mine\n");
    let forced = init(&InitOptions {
        force: true,
        ..opts(dir.path())
    })
    .expect("init --force");
    assert_eq!(forced.written.len(), 5);
    let again: Vec<String> = names.iter().map(|n| read(n)).collect();
    assert_eq!(again, first, "the same content gives the same files");
    assert!(
        !dir.path()
            .read_dir()
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".twin-init")),
        "no scratch folder left"
    );
    assert!(
        read("site.toml").contains("Ilse Marwick"),
        "site.toml is never rewritten"
    );
}

#[test]
fn init_after_an_import_and_without_posts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = init(&opts(dir.path())).expect_err("no posts");
    assert!(
        err.to_string().contains("run `twin import SOURCE` first"),
        "{err}"
    );
    run(&fixture("wordpress/export.xml"), &options(dir.path())).expect("import");
    let report = init(&opts(dir.path())).expect("init");
    assert!(report.kept.iter().any(|p| p.ends_with("site.toml")));
    assert!(
        std::fs::read_to_string(dir.path().join("persona.md"))
            .expect("persona")
            .starts_with("# Persona: Maren Holt")
    );
    read_back(dir.path());

    // A feed that names no author: init says to set it.
    let rss = tempfile::tempdir().expect("tempdir");
    run(&fixture("feeds/rss.xml"), &options(rss.path())).expect("import");
    let report = init(&opts(rss.path())).expect("init");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("set it to your name")),
        "{:?}",
        report.warnings
    );
}
