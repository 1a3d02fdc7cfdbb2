//! LinkedIn `Shares.csv` (Settings → Data privacy → Get a copy of your data): checked and copied as is
//! to `<content>/social/Shares.csv`, which `twin index` reads.

use crate::error::ImportError;
use std::path::{Path, PathBuf};

/// What the copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialCopy {
    pub path: PathBuf,
    /// Rows with text.
    pub posts: usize,
    pub changed: bool,
}

/// Checks the export's columns and rows, then copies it into `content_dir/social/`.
pub fn import_shares(file: &Path, content_dir: &Path) -> Result<SocialCopy, ImportError> {
    let place = file.display().to_string();
    let bytes =
        std::fs::read(file).map_err(|e| ImportError::new(&place, format!("cannot read: {e}")))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| ImportError::at_line(&place, 1, format!("unreadable header: {e}")))?
        .clone();
    let text_col = headers.iter().position(|h| h.trim() == "ShareCommentary");
    for needed in ["Date", "ShareLink", "ShareCommentary"] {
        if !headers.iter().any(|h| h.trim() == needed) {
            return Err(ImportError::at_line(
                &place,
                1,
                format!("not a LinkedIn Shares.csv: no `{needed}` column"),
            ));
        }
    }
    let mut posts = 0;
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            ImportError::at_line(&place, line, format!("broken CSV: {e}"))
        })?;
        if text_col
            .and_then(|i| row.get(i))
            .is_some_and(|t| !t.trim().is_empty())
        {
            posts += 1;
        }
    }
    let dir = content_dir.join("social");
    let path = dir.join("Shares.csv");
    let target = path.display().to_string();
    std::fs::create_dir_all(&dir)
        .map_err(|e| ImportError::new(dir.display().to_string(), format!("cannot create: {e}")))?;
    let changed = std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice());
    if changed {
        // A newer export replaces the older one whole (it holds every post so far); written beside it
        // and renamed, so a failed write never leaves half a file.
        let tmp = dir.join("Shares.csv.tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|_| std::fs::rename(&tmp, &path))
            .map_err(|e| ImportError::new(&target, format!("cannot write: {e}")))?;
    }
    Ok(SocialCopy {
        path,
        posts,
        changed,
    })
}
