//! `content/site.toml`: who the author is and where the blog lives, so passages link to real URLs.

use super::Diagnostic;
use serde::Deserialize;
use std::path::Path;
use twin_shared::line_of;

/// The blog's identity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The author's name, as the twin speaks as them.
    pub author: String,
    /// The blog's name.
    #[serde(default)]
    pub title: String,
    /// Absolute base URL, no trailing slash needed: `https://example.com`.
    pub base_url: String,
    /// Path under which posts live; `/posts/` gives `https://example.com/posts/<slug>/`.
    #[serde(default = "default_posts_path")]
    pub posts_path: String,
}

fn default_posts_path() -> String {
    "/posts/".to_string()
}

impl Default for Site {
    fn default() -> Site {
        Site {
            author: "the author".into(),
            title: String::new(),
            base_url: "http://localhost".into(),
            posts_path: default_posts_path(),
        }
    }
}

impl Site {
    /// Absolute URL for a path or URL from front matter.
    pub fn absolute(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            return path_or_url.to_string();
        }
        let base = self.base_url.trim_end_matches('/');
        format!("{base}/{}", path_or_url.trim_start_matches('/'))
    }

    /// The URL of the post with `slug`.
    pub fn post_url(&self, slug: &str) -> String {
        let path = format!("{}/{slug}/", self.posts_path.trim_end_matches('/'));
        self.absolute(&path)
    }
}

/// Reads `site.toml`; problems become diagnostics and defaults stand in.
pub(super) fn read(path: &Path, diags: &mut Vec<Diagnostic>) -> Site {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::new(path, 0, format!("cannot read: {e}")));
            return Site::default();
        }
    };
    match toml::from_str::<Site>(&text) {
        Ok(site) => site,
        Err(e) => {
            let line = e.span().map_or(0, |s| line_of(&text, s.start));
            diags.push(Diagnostic::new(path, line, e.message().to_string()));
            Site::default()
        }
    }
}
