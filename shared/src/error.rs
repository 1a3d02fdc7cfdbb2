//! Errors reading content files that the shared types describe (probes, eval sets).

/// A content file that does not parse, located by file and line for the author to fix.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ContentError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl ContentError {
    #[cfg(feature = "files")]
    /// Wraps a TOML error with the file name and the 1-based line it points at.
    pub fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> ContentError {
        let line = e.span().map_or(0, |s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        });
        ContentError {
            file: file.to_string(),
            line,
            message: e.message().to_string(),
        }
    }

    /// A problem with a whole file or a value in it.
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> ContentError {
        ContentError {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}
