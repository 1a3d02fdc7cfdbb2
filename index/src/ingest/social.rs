//! Social posts from a LinkedIn data export's `Shares.csv` (columns `Date`, `ShareLink`,
//! `ShareCommentary`, ...), read with the `csv` crate so quoted multi-line text survives.

use super::Diagnostic;
use crate::{Kind, Passage};
use std::path::Path;

/// Reads every share with text as one passage; rows without text (plain reshares) are skipped.
pub(super) fn read_shares(path: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Passage> {
    let mut rdr = match csv::ReaderBuilder::new().flexible(true).from_path(path) {
        Ok(r) => r,
        Err(e) => {
            diags.push(Diagnostic::new(path, 0, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            diags.push(Diagnostic::new(
                path,
                1,
                format!("cannot read the header row: {e}"),
            ));
            return Vec::new();
        }
    };
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(date_col), Some(text_col)) = (col("Date"), col("ShareCommentary")) else {
        diags.push(Diagnostic::new(
            path,
            1,
            "header must name the columns `Date` and `ShareCommentary`",
        ));
        return Vec::new();
    };
    let link_col = col("ShareLink");
    let mut out: Vec<Passage> = Vec::new();
    for record in rdr.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                diags.push(Diagnostic::new(path, line, format!("bad row: {e}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        let text = record.get(text_col).unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let date: String = record
            .get(date_col)
            .unwrap_or("")
            .trim()
            .chars()
            .take(10)
            .collect();
        if date.len() != 10 {
            diags.push(Diagnostic::new(path, line, "row has no Date"));
            continue;
        }
        let base = format!("social-{date}");
        let n = out
            .iter()
            .filter(|p| p.slug == base || p.slug.starts_with(&format!("{base}-")))
            .count();
        let slug = if n == 0 {
            base
        } else {
            format!("{base}-{}", n + 1)
        };
        out.push(Passage {
            title: format!("LinkedIn post, {date}"),
            slug,
            url: link_col
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .trim()
                .to_string(),
            date,
            kind: Kind::Social,
            headings: Vec::new(),
            tags: Vec::new(),
            text: text.to_string(),
        });
    }
    out
}
