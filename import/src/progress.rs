//! How an import reports progress: the CLI draws a bar, tests pass `Quiet`.

/// Told how much work there is and when each piece is done (called from several threads).
pub trait Progress: Sync {
    /// There are `total` pieces of work (pages to fetch, posts to convert).
    fn start(&self, total: usize, what: &str);
    /// One piece is done; `label` names it (a URL or a title).
    fn step(&self, label: &str);
}

/// No progress output.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _total: usize, _what: &str) {}
    fn step(&self, _label: &str) {}
}
