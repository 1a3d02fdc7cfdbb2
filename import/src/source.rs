//! Where an import reads from: a local file or folder, or a URL fetched politely.

use crate::error::ImportError;
use crate::fetch::Fetcher;
use std::path::PathBuf;

/// A source as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Path(PathBuf),
    Url(String),
}

impl Source {
    /// `http(s)://…` is a URL; anything else a path.
    pub fn parse(raw: &str) -> Source {
        if raw.starts_with("http://") || raw.starts_with("https://") {
            Source::Url(raw.to_string())
        } else {
            Source::Path(PathBuf::from(raw))
        }
    }

    /// How errors name it.
    pub fn place(&self) -> String {
        match self {
            Source::Path(p) => p.display().to_string(),
            Source::Url(u) => u.clone(),
        }
    }
}

/// A document read from a source: its text and where it came from (the URL after redirects).
#[derive(Debug, Clone)]
pub struct Doc {
    pub place: String,
    /// The URL relative links resolve against, when the document came from the web.
    pub url: Option<String>,
    pub text: String,
}

/// Reads a file or fetches a URL.
pub fn read(source: &Source, fetcher: &Fetcher) -> Result<Doc, ImportError> {
    match source {
        Source::Path(path) => {
            let place = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|e| ImportError::new(&place, format!("cannot read: {e}")))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let line = crate::error::line_of(
                    &String::from_utf8_lossy(e.as_bytes()),
                    e.utf8_error().valid_up_to(),
                );
                ImportError::at_line(&place, line, "not UTF-8 text")
            })?;
            Ok(Doc {
                place,
                url: None,
                text,
            })
        }
        Source::Url(url) => {
            let fetched = fetcher.get(url)?;
            Ok(Doc {
                place: url.clone(),
                url: Some(fetched.url),
                text: fetched.body,
            })
        }
    }
}
