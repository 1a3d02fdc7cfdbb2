//! The `twin` binary end to end: index, check, search, and the errors a user sees.

use std::path::{Path, PathBuf};
use std::process::Command;

fn twin(args: &[&str], cwd: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_twin"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run twin");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn demo_content() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content")
}

#[test]
fn index_then_search_the_demo_content() {
    let t = tempfile::tempdir().expect("tempdir");
    let content = demo_content();
    let blob = t.path().join("out/index.blob");
    let (ok, out, err) = twin(
        &[
            "index",
            "--content",
            content.to_str().expect("utf8"),
            "--out",
            blob.to_str().expect("utf8"),
        ],
        t.path(),
    );
    assert!(ok, "{err}");
    assert!(err.contains("read 40 posts, 20 social posts"), "{err}");
    assert!(out.contains("wrote") && blob.exists(), "{out}");
    let (ok, out, err) = twin(
        &[
            "search",
            "--index",
            blob.to_str().expect("utf8"),
            "-k",
            "3",
            "which LoRa radio modules?",
        ],
        t.path(),
    );
    assert!(ok, "{err}");
    assert!(out.starts_with("1. ["), "{out}");
    assert!(out.contains("driftwood-lora-link"), "{out}");
    assert_eq!(out.matches("notesfromtheshed.example").count(), 3, "{out}");
}

#[test]
fn check_fails_with_file_and_line_and_writes_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    let c = t.path().join("content");
    std::fs::create_dir_all(c.join("posts")).expect("mkdir");
    std::fs::create_dir_all(c.join("eval")).expect("mkdir");
    std::fs::write(
        c.join("site.toml"),
        "author = \"A\"\nbase_url = \"https://b.example\"\n",
    )
    .expect("w");
    std::fs::write(c.join("posts/a.md"), "---\ntitle: A\n---\ntext\n").expect("w");
    std::fs::write(c.join("probes.toml"), "[[probe]]\nid = 1\n").expect("w");
    std::fs::write(
        c.join("eval/answerable.toml"),
        "[[question]]\nquestion = \"q\"\nslugs = [\"gone\"]\nfacts = [\"f\"]\n",
    )
    .expect("w");
    std::fs::write(c.join("eval/unanswerable.toml"), "question = []\n").expect("w");
    std::fs::write(c.join("eval/voice.toml"), "prompt = []\n").expect("w");
    let (ok, _, err) = twin(&["index", "--check", "--content", "content"], t.path());
    assert!(!ok);
    assert!(
        err.contains("content/posts/a.md:1: front matter is missing date"),
        "{err}"
    );
    assert!(err.contains("content/probes.toml:2:"), "{err}");
    assert!(!t.path().join("build").exists(), "--check writes nothing");
    std::fs::write(
        c.join("posts/a.md"),
        "---\ntitle: A\ndate: 2024-01-01\n---\ntext\n",
    )
    .expect("w");
    std::fs::remove_file(c.join("probes.toml")).expect("rm");
    let (ok, _, err) = twin(&["index", "--check", "--content", "content"], t.path());
    assert!(!ok);
    assert!(
        err.contains("names slug `gone`, which no post has"),
        "{err}"
    );
}

#[test]
fn search_without_an_index_builds_one_in_memory_and_bad_blobs_are_named() {
    let t = tempfile::tempdir().expect("tempdir");
    let content = demo_content();
    let (ok, out, err) = twin(
        &[
            "search",
            "--content",
            content.to_str().expect("utf8"),
            "--index",
            "none.blob",
            "sourdough starter",
        ],
        t.path(),
    );
    assert!(ok, "{err}");
    assert!(err.contains("indexing"), "{err}");
    assert!(out.contains("sourdough"), "{out}");
    std::fs::write(t.path().join("bad.blob"), b"garbage").expect("w");
    let (ok, _, err) = twin(&["search", "--index", "bad.blob", "x"], t.path());
    assert!(!ok);
    assert!(
        err.contains("opening bad.blob") && err.contains("bad magic"),
        "{err}"
    );
}

#[test]
fn dataset_refuses_malformed_content_and_writes_jsonl_for_good_content() {
    let t = tempfile::tempdir().expect("tempdir");
    let c = t.path().join("content");
    std::fs::create_dir_all(c.join("posts")).expect("mkdir");
    std::fs::write(
        c.join("site.toml"),
        "author = \"A\"\nbase_url = \"https://b.example\"\n",
    )
    .expect("w");
    std::fs::write(c.join("persona.md"), "Dry.\n").expect("w");
    std::fs::write(c.join("posts/bad.md"), "---\ntitle: [oops\n---\ntext\n").expect("w");
    let (ok, _, err) = twin(
        &["dataset", "--content", "content", "--out", "ds"],
        t.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("content/posts/bad.md:2: front matter does not parse"),
        "{err}"
    );
    assert!(!t.path().join("ds").exists());
    let body =
        "A paragraph about sourdough that is long enough to teach a model something of the voice. "
            .repeat(4);
    std::fs::write(
        c.join("posts/bad.md"),
        format!("---\ntitle: Bread\ndate: 2024-01-01\ntags: [baking]\n---\n## Starter\n\n{body}\n"),
    )
    .expect("w");
    let (ok, out, err) = twin(
        &[
            "dataset",
            "--content",
            "content",
            "--out",
            "ds",
            "--valid-percent",
            "0",
        ],
        t.path(),
    );
    assert!(ok, "{err}");
    assert!(out.contains("voice") && out.contains("sha256"), "{out}");
    let train = std::fs::read_to_string(t.path().join("ds/train.jsonl")).expect("train");
    let first: serde_json::Value =
        serde_json::from_str(train.lines().next().expect("a line")).expect("json");
    assert_eq!(first["messages"][0]["role"], "system");
    assert!(train.contains("sourdough"));
    let (ok, _, err) = twin(
        &[
            "dataset",
            "--content",
            "content",
            "--strategies",
            "synthetic",
        ],
        t.path(),
    );
    assert!(!ok);
    assert!(err.contains("--llm-url"), "{err}");
}

/// The committed tiny adapter (`finetune/adapter/`) was trained on the dataset today's content and
/// prompts give: rebuilding it the way `scripts/finetune-tiny.sh` does must give the same file, byte for
/// byte. A change to the content, the persona or the prompt code that detaches the adapter fails here.
#[test]
fn the_committed_adapter_matches_the_dataset_built_today() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let t = tempfile::tempdir().expect("tempdir");
    let out = t.path().join("dataset-tiny");
    let (ok, _, err) = twin(
        &[
            "dataset",
            "--brief-system",
            "--strategies",
            "voice,refusals",
            "--out",
            out.to_str().expect("utf8"),
        ],
        &root,
    );
    assert!(ok, "{err}");
    let built = std::fs::read_to_string(out.join("train.sha256")).expect("train.sha256");
    let committed = std::fs::read_to_string(root.join("finetune/adapter/dataset.sha256"))
        .expect("finetune/adapter/dataset.sha256");
    let hash = |s: &str| s.split_whitespace().next().map(str::to_string);
    assert!(
        hash(&committed).is_some_and(|h| h.len() == 64),
        "{committed}"
    );
    assert_eq!(
        hash(&built),
        hash(&committed),
        "the dataset changed since the adapter was trained: run scripts/finetune-tiny.sh"
    );
}

#[test]
fn traces_names_a_missing_state_folder_and_a_missing_worker() {
    let t = tempfile::tempdir().expect("tempdir");
    let missing = t.path().join("no-such-state");
    let (ok, _, err) = twin(
        &["traces", "--persist-to", missing.to_str().expect("utf8")],
        t.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("no-such-state") && err.contains("--persist-to"),
        "{err}"
    );
    let (ok, _, err) = twin(
        &["traces", "--persist-to", t.path().to_str().expect("utf8")],
        t.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("has no wrangler.toml") && err.contains("--worker"),
        "{err}"
    );
    let (ok, _, err) = twin(&["traces", "--json", "--html", "x.html"], t.path());
    assert!(!ok && err.contains("cannot be used with"), "{err}");
}
