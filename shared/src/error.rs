//! A problem in the author's content, located by file and line: the one diagnostic type for every
//! content file (posts, site, social export, probes, eval sets), printed the way compilers do so editors
//! can jump to it.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in the content: `path:line: message` (line 0 means the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, or 0 for the file as a whole.
    pub line: usize,
    /// What is wrong, for the author.
    pub message: String,
}

impl std::error::Error for Diagnostic {}

impl Diagnostic {
    /// A problem at `line` of `path` (1-based; 0 for the file as a whole).
    pub fn new(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            path: path.as_ref().to_path_buf(),
            line,
            message: message.into(),
        }
    }

    #[cfg(feature = "files")]
    /// Wraps a TOML error with the file and the line it points at.
    pub fn from_toml(path: impl AsRef<Path>, text: &str, e: &toml::de::Error) -> Diagnostic {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        Diagnostic::new(path, line, e.message())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

/// The 1-based line of byte offset `at` in `text` (the last line for an offset past the end).
pub fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_from_one_and_a_whole_file_has_none() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
        assert_eq!(
            Diagnostic::new("x.toml", 2, "bad").to_string(),
            "x.toml:2: bad"
        );
        assert_eq!(
            Diagnostic::new("x.toml", 0, "missing").to_string(),
            "x.toml: missing"
        );
    }
}
