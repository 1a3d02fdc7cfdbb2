//! The one error an import returns: where (a file, with a line when one is known, or a URL) and what.

use std::fmt;

/// An import that could not go on, naming the file or URL (and line) it stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// A file path or a URL.
    pub place: String,
    /// 1-based line in `place`, when the parser knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl ImportError {
    pub fn new(place: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError {
            place: place.into(),
            line: None,
            message: message.into(),
        }
    }

    pub fn at_line(place: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        ImportError {
            line: Some(line),
            ..ImportError::new(place, message)
        }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.place, line, self.message),
            None => write!(f, "{}: {}", self.place, self.message),
        }
    }
}

impl std::error::Error for ImportError {}

/// The 1-based line of a byte offset in a text.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}
