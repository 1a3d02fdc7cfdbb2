//! Writes imported posts into `<content>/posts/` so reruns are idempotent: a post is known by its URL,
//! the same input gives the same bytes, a changed post updates its file in place, an imported file
//! edited by hand since is kept, and a file `twin import` did not write is never overwritten (new
//! files are created only where nothing exists, and slugs any post already uses, in any case, are
//! avoided).

use crate::error::ImportError;
use crate::post::ImportedPost;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

/// What happened to each post.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub created: Vec<PathBuf>,
    pub updated: Vec<PathBuf>,
    pub unchanged: Vec<PathBuf>,
    /// Posts left out because an earlier one in the same import had the same URL.
    pub duplicates: Vec<String>,
    /// Imported files edited by hand since: kept as they are, the source's version not written.
    pub edited: Vec<PathBuf>,
}

/// Writes `posts` under `posts_dir` (created if missing).
pub fn write_posts(posts_dir: &Path, mut posts: Vec<ImportedPost>) -> Result<Written, ImportError> {
    let place = posts_dir.display().to_string();
    fs::create_dir_all(posts_dir)
        .map_err(|e| ImportError::new(&place, format!("cannot create it: {e}")))?;
    let existing = scan(posts_dir)?;
    // Every slug a post already has (file names, folder names, front-matter slugs, drafts too, and the
    // about page's), compared without case.
    let mut taken: HashSet<String> = existing.stems.clone();
    taken.insert("about".into());
    let mut seen_urls = HashSet::new();
    let mut out = Written::default();
    // Oldest first, then by URL: slug clashes resolve the same way on every run.
    posts.sort_by(|a, b| (&a.date, &a.url).cmp(&(&b.date, &b.url)));
    for mut post in posts {
        if !seen_urls.insert(post.url.clone()) {
            out.duplicates.push(post.url.clone());
            continue;
        }
        let path = match existing.by_url.get(&post.url) {
            Some((path, slug)) => {
                post.slug = slug.clone();
                path.clone()
            }
            None => {
                let slug = free_slug(&post, &taken).ok_or_else(|| {
                    ImportError::new(
                        &place,
                        format!("no free file name for {} (slug `{}`)", post.url, post.slug),
                    )
                })?;
                post.slug = slug;
                posts_dir.join(format!("{}.md", post.slug))
            }
        };
        taken.insert(post.slug.to_lowercase());
        let text = post.render();
        let name = path.display().to_string();
        let cannot = |e: std::io::Error| ImportError::new(&name, format!("cannot write: {e}"));
        if existing.by_url.contains_key(&post.url) {
            let old = fs::read_to_string(&path)
                .map(|t| crate::post::normalised(&t))
                .unwrap_or_default();
            if old == text {
                out.unchanged.push(path);
            } else if !crate::post::untouched(&old) {
                out.edited.push(path);
            } else {
                write_atomically(&path, &text).map_err(cannot)?;
                out.updated.push(path);
            }
        } else {
            // Only where nothing exists: never over a file twin import did not write. A file the scan
            // did not see (another letter case on a case-insensitive disk) gets the hashed name.
            let created = match create_new(&path, &text) {
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    post.slug =
                        format!("{}-{:08x}", post.slug, crc32fast::hash(post.url.as_bytes()));
                    let other = posts_dir.join(format!("{}.md", post.slug));
                    let text = post.render();
                    create_new(&other, &text).map(|_| other)
                }
                done => done.map(|_| path.clone()),
            };
            out.created.push(created.map_err(cannot)?);
        }
    }
    Ok(out)
}

/// The post's slug, or the slug with a short hash of its URL when another post has it.
fn free_slug(post: &ImportedPost, taken: &HashSet<String>) -> Option<String> {
    if !taken.contains(&post.slug.to_lowercase()) {
        return Some(post.slug.clone());
    }
    let hashed = format!("{}-{:08x}", post.slug, crc32fast::hash(post.url.as_bytes()));
    (!taken.contains(&hashed.to_lowercase())).then_some(hashed)
}

struct Existing {
    /// Every file stem (slug) in the folder, written by twin or not.
    stems: HashSet<String>,
    /// Files an earlier import wrote: URL → (path, slug).
    by_url: HashMap<String, (PathBuf, String)>,
}

/// Every post file under `dir`, in any folder: their stems and front-matter slugs (drafts and posts
/// `twin index` would reject included), and the files an earlier import wrote, by URL.
fn scan(dir: &Path) -> Result<Existing, ImportError> {
    let place = dir.display().to_string();
    let mut stems = HashSet::new();
    let mut by_url = HashMap::new();
    let mut folders = vec![dir.to_path_buf()];
    let mut seen = 0usize;
    while let Some(folder) = folders.pop() {
        let entries = fs::read_dir(&folder)
            .map_err(|e| ImportError::new(&place, format!("cannot read it: {e}")))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                // A Hugo page bundle `slug/index.md` holds the slug `slug`.
                if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                    stems.insert(name.to_lowercase());
                }
                folders.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("md" | "markdown")
            ) {
                continue;
            }
            seen += 1;
            if seen > 200_000 {
                return Err(ImportError::new(
                    &place,
                    "more than 200,000 post files: not scanned",
                ));
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                stems.insert(stem.to_lowercase());
            }
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            if let Ok(parsed) = twin_index::ingest::parse_front_matter(&text)
                && let Some(slug) = parsed.front.slug
            {
                stems.insert(slug.to_lowercase());
            }
            if let Some((url, slug)) = imported_front(&text) {
                by_url.insert(url, (path.clone(), slug));
            }
        }
    }
    Ok(Existing { stems, by_url })
}

/// The URL and slug of a file `twin import` wrote (`imported = true` in its TOML front matter).
fn imported_front(text: &str) -> Option<(String, String)> {
    let text = crate::post::normalised(text);
    let rest = text.strip_prefix("+++\n")?;
    let end = rest.find("\n+++\n")?;
    let front: toml::Table = toml::from_str(&rest[..end + 1]).ok()?;
    if front.get("imported")?.as_bool()? {
        Some((
            front.get("url")?.as_str()?.to_string(),
            front.get("slug")?.as_str()?.to_string(),
        ))
    } else {
        None
    }
}

fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    std::io::Write::write_all(&mut file, text.as_bytes())
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("md.tmp");
    fs::write(&tmp, text)?;
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, slug: &str, body: &str) -> ImportedPost {
        ImportedPost {
            title: "T".into(),
            date: "2024-01-02".into(),
            url: url.into(),
            slug: slug.into(),
            tags: vec![],
            summary: None,
            markdown: body.into(),
            dropped_media: 0,
            notes: vec![],
        }
    }

    #[test]
    fn reruns_are_idempotent_and_changes_update_in_place() {
        let dir = tempfile::tempdir().expect("tempdir");
        let posts = dir.path().join("posts");
        let first =
            write_posts(&posts, vec![post("https://a.example/x/", "x", "one")]).expect("write");
        assert_eq!(first.created.len(), 1);
        let again =
            write_posts(&posts, vec![post("https://a.example/x/", "x", "one")]).expect("write");
        assert_eq!((again.created.len(), again.unchanged.len()), (0, 1));
        // The source renamed the slug: the same URL keeps its file.
        let changed = write_posts(&posts, vec![post("https://a.example/x/", "renamed", "two")])
            .expect("write");
        assert_eq!(changed.updated, vec![posts.join("x.md")]);
        assert!(
            fs::read_to_string(posts.join("x.md"))
                .expect("read")
                .contains("two")
        );
        assert_eq!(fs::read_dir(&posts).expect("dir").count(), 1);
    }

    #[test]
    fn a_hand_written_file_is_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let posts = dir.path().join("posts");
        fs::create_dir_all(&posts).expect("mkdir");
        fs::write(posts.join("x.md"), "---\ntitle: mine\n---\nmine").expect("write");
        let w =
            write_posts(&posts, vec![post("https://a.example/x/", "x", "theirs")]).expect("write");
        let made = &w.created[0];
        assert_ne!(made, &posts.join("x.md"));
        assert_eq!(
            fs::read_to_string(posts.join("x.md")).expect("read"),
            "---\ntitle: mine\n---\nmine"
        );
        // The same slug twice in one import: two files, and a duplicate URL is reported, not written.
        let w = write_posts(
            &posts,
            vec![
                post("https://b.example/y/", "y", "1"),
                post("https://c.example/y/", "y", "2"),
                post("https://b.example/y/", "y", "3"),
            ],
        )
        .expect("write");
        assert_eq!(w.created.len(), 2);
        assert_eq!(w.duplicates, vec!["https://b.example/y/".to_string()]);
    }

    #[test]
    fn an_imported_file_edited_by_hand_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let posts = dir.path().join("posts");
        write_posts(&posts, vec![post("https://a.example/x/", "x", "one")]).expect("write");
        let file = posts.join("x.md");
        let edited = fs::read_to_string(&file)
            .expect("read")
            .replace("one", "one, corrected by hand");
        fs::write(&file, &edited).expect("edit");
        let w = write_posts(&posts, vec![post("https://a.example/x/", "x", "two")]).expect("write");
        assert_eq!(
            (w.edited.clone(), w.updated.len(), w.created.len()),
            (vec![file.clone()], 0, 0)
        );
        assert_eq!(fs::read_to_string(&file).expect("read"), edited);
        // A Windows checkout (CRLF, BOM) of an untouched file is still known and updated in place.
        let other = posts.join("y.md");
        write_posts(&posts, vec![post("https://a.example/y/", "y", "one")]).expect("write");
        let crlf = format!(
            "\u{feff}{}",
            fs::read_to_string(&other)
                .expect("read")
                .replace('\n', "\r\n")
        );
        fs::write(&other, crlf).expect("crlf");
        let w = write_posts(&posts, vec![post("https://a.example/y/", "y", "two")]).expect("write");
        assert_eq!((w.updated.clone(), w.created.len()), (vec![other], 0));
    }

    #[test]
    fn slugs_other_posts_use_are_avoided_in_any_case_and_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let posts = dir.path().join("posts");
        fs::create_dir_all(posts.join("2023")).expect("mkdir");
        fs::write(
            posts.join("2023/tides.md"),
            "---\ntitle: Mine\ndate: 2023-01-01\n---\nMine.\n",
        )
        .expect("write");
        fs::write(
            posts.join("Swifts.md"),
            "---\ntitle: Mine\ndate: 2023-01-01\n---\nMine.\n",
        )
        .expect("write");
        let w = write_posts(
            &posts,
            vec![
                post("https://a.example/tides/", "tides", "1"),
                post("https://a.example/swifts/", "swifts", "2"),
                post("https://a.example/about/", "about", "3"),
            ],
        )
        .expect("write");
        let names: Vec<String> = w
            .created
            .iter()
            .map(|p| {
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names.len(), 3);
        assert!(
            names.iter().all(|n| n.contains('-') && n.ends_with(".md")),
            "{names:?}"
        );
        assert_eq!(
            fs::read_to_string(posts.join("Swifts.md")).expect("read"),
            "---\ntitle: Mine\ndate: 2023-01-01\n---\nMine.\n"
        );
    }
}
