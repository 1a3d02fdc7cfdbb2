//! `twin init`: scaffolds a new twin from imported content: `site.toml` (when missing), a `persona.md`
//! template measured on the writing, `probes.toml` with three probes chosen from term statistics, and
//! starter eval sets. Existing files are kept unless `force`; what is written is checked the way
//! `twin index --check` checks it.

pub mod eval_sets;
pub mod persona;
pub mod probes;
pub mod stats;

use crate::error::ImportError;
use crate::post::SiteInfo;
use crate::site_toml;
use std::path::{Path, PathBuf};

/// What to scaffold.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub content_dir: PathBuf,
    /// For a new `site.toml`: the author's name (else `the author`, with a warning).
    pub author: Option<String>,
    pub title: Option<String>,
    /// For a new `site.toml`: the blog's address (else the origin most post URLs share).
    pub base_url: Option<String>,
    /// Overwrite persona, probes and eval files that exist (never `site.toml` or posts).
    pub force: bool,
}

/// What `init` did.
#[derive(Debug, Clone, Default)]
pub struct InitReport {
    pub written: Vec<PathBuf>,
    /// Files that existed and were left as they are.
    pub kept: Vec<PathBuf>,
    /// The suggested probes: (id, question, why).
    pub probes: Vec<(String, String, String)>,
    pub warnings: Vec<String>,
}

/// Scaffolds `opts.content_dir`. On an error nothing is left behind: a `site.toml` this run wrote is
/// removed again, and so is the scratch folder.
pub fn init(opts: &InitOptions) -> Result<InitReport, ImportError> {
    let site = opts.content_dir.join("site.toml");
    let had_site = site.exists();
    let result = scaffold(opts);
    if result.is_err() && !had_site {
        let _ = std::fs::remove_file(&site);
    }
    result
}

fn scaffold(opts: &InitOptions) -> Result<InitReport, ImportError> {
    let dir = &opts.content_dir;
    let posts_dir = dir.join("posts");
    let place = posts_dir.display().to_string();
    let has_posts = std::fs::read_dir(&posts_dir)
        .map(|it| {
            it.flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "md") || e.path().is_dir())
        })
        .unwrap_or(false);
    if !has_posts {
        return Err(ImportError::new(
            place,
            "no posts to start from: run `twin import SOURCE` first (or add Markdown posts)",
        ));
    }
    let mut report = InitReport::default();
    let site_path = dir.join("site.toml");
    if site_path.exists() {
        report.kept.push(site_path.clone());
    } else {
        // Post URLs as written (imported posts carry absolute ones).
        let first = twin_index::ingest::read_content(dir);
        let urls: Vec<&str> = first
            .passages
            .iter()
            .map(|p| p.url.as_str())
            .filter(|u| !u.starts_with("http://localhost"))
            .collect();
        let home = opts
            .base_url
            .as_deref()
            .map(|b| crate::checked_base(b, "--base-url"))
            .transpose()?;
        let info = SiteInfo {
            title: opts.title.clone(),
            home,
            author: opts.author.clone(),
        };
        match site_toml::write_if_absent(dir, &info, &urls)? {
            Some(p) => report.written.push(p),
            None => {
                return Err(ImportError::new(
                    site_path.display().to_string(),
                    "no site.toml and no post URL to take the blog's address from: pass --base-url https://your.blog",
                ));
            }
        }
    }
    let content = twin_index::ingest::read_content(dir);
    if let Some(first) = content.diagnostics.first() {
        return Err(ImportError::new(
            first.to_string(),
            format!(
                "the content has {} problem(s); fix them first (`twin index --check`)",
                content.diagnostics.len()
            ),
        ));
    }
    if content.site.author == site_toml::UNKNOWN_AUTHOR {
        report.warnings.push(format!(
            "{}: author is `{}`: set it to your name (the twin speaks as it)",
            site_path.display(),
            site_toml::UNKNOWN_AUTHOR
        ));
    }
    let stats = stats::count(&content.passages);
    let mut suggested = Vec::new();
    match probes::knowledge(&stats, &content.passages) {
        Some(p) => suggested.push(p),
        None => report
            .warnings
            .push("no topic is shared by two or more posts: no knowledge probe suggested".into()),
    }
    match probes::thin(&stats) {
        Some(p) => suggested.push(p),
        None => report
            .warnings
            .push("no word occurs exactly once: no thin probe suggested".into()),
    }
    suggested.push(probes::voice());
    report.probes = suggested
        .iter()
        .map(|p| (p.id.clone(), p.question.clone(), p.why.clone()))
        .collect();
    let files = [
        (
            "persona.md",
            persona::render(&content.site.author, &stats, &content.passages),
        ),
        ("probes.toml", probes::render(&suggested)),
        (
            "eval/answerable.toml",
            eval_sets::answerable(&content.passages, &stats),
        ),
        ("eval/unanswerable.toml", eval_sets::unanswerable(&stats)),
        ("eval/voice.toml", eval_sets::voice()),
    ];
    // Checked before anything is written: the new files in a scratch folder, read as `twin index
    // --check` reads them.
    let scratch = Scratch::new(dir)?;
    for (rel, text) in &files {
        write(&scratch.0.join(rel), text)?;
    }
    let problems = twin_index::ingest::check_probes_and_eval(&scratch.0, &content.passages);
    // Name the file it would have been, not the scratch copy.
    let problems: Vec<String> = problems
        .iter()
        .map(|d| {
            d.to_string()
                .replace(&scratch.0.display().to_string(), &dir.display().to_string())
        })
        .collect();
    drop(scratch);
    if let Some(first) = problems.first() {
        return Err(ImportError::new(
            first.to_string(),
            "the scaffolded files would not pass `twin index --check`: nothing written",
        ));
    }
    for (rel, text) in files {
        let path = dir.join(rel);
        if path.exists() && !opts.force {
            report.kept.push(path);
            continue;
        }
        write(&path, &text)?;
        report.written.push(path);
    }
    Ok(report)
}

/// A scratch folder beside the content (same file system), removed when dropped, whatever happened.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: &Path) -> Result<Scratch, ImportError> {
        let scratch = dir.join(format!(".twin-init-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(scratch.join("eval")).map_err(|e| {
            ImportError::new(scratch.display().to_string(), format!("cannot create: {e}"))
        })?;
        Ok(Scratch(scratch))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, text: &str) -> Result<(), ImportError> {
    let place = path.display().to_string();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ImportError::new(&place, format!("cannot create its folder: {e}")))?;
    }
    std::fs::write(path, text).map_err(|e| ImportError::new(&place, format!("cannot write: {e}")))
}
