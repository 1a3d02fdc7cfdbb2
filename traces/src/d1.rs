//! The worker's D1 database, queried with `npx wrangler d1 execute --json`: the local SQLite that
//! `wrangler dev` keeps (in its `--persist-to` folder), or the deployed one with the author's Cloudflare
//! credentials (`CLOUDFLARE_API_TOKEN`, or `wrangler login`). Wrangler is the one client that knows
//! both, so twin needs no Cloudflare API code of its own.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The database's name in `worker/wrangler.toml`.
pub const DATABASE: &str = "twin-traces";

/// Which copy of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `wrangler dev`'s local SQLite; `None` is wrangler's own default folder (`worker/.wrangler/state`).
    Local { persist_to: Option<PathBuf> },
    /// The deployed database.
    Remote,
}

/// Why a query failed.
#[derive(Debug, thiserror::Error)]
pub enum D1Error {
    #[error(
        "could not run `npx wrangler` in {dir}: {source} (is Node.js installed, and `npm ci` run in worker/?)"
    )]
    Spawn { dir: String, source: std::io::Error },
    #[error("a twin table does not exist yet in {0} (no answer has been traced there)")]
    NoTable(String),
    #[error("`wrangler d1 execute` failed on {place}: {output}")]
    Failed { place: String, output: String },
    #[error("`wrangler d1 execute` printed something that is not its JSON result: {0}")]
    NotJson(String),
}

/// One D1 database, reached through wrangler from the worker's folder.
#[derive(Debug, Clone)]
pub struct D1 {
    pub worker_dir: PathBuf,
    pub location: Location,
}

impl D1 {
    /// The database `worker_dir/wrangler.toml` names, at `location`.
    pub fn new(worker_dir: &Path, location: Location) -> D1 {
        D1 {
            worker_dir: worker_dir.to_path_buf(),
            location,
        }
    }

    /// Where the rows come from, for messages.
    pub fn place(&self) -> String {
        match &self.location {
            Location::Local {
                persist_to: Some(p),
            } => format!("local D1 in {}", p.display()),
            Location::Local { persist_to: None } => "local D1 (wrangler's default state)".into(),
            Location::Remote => format!("the deployed D1 database {DATABASE}"),
        }
    }

    /// The rows `sql` returns (its first statement's).
    pub fn query(&self, sql: &str) -> Result<Vec<Value>, D1Error> {
        let mut cmd = Command::new("npx");
        cmd.current_dir(&self.worker_dir)
            .args(["wrangler", "d1", "execute", DATABASE, "--json"])
            .env("WRANGLER_SEND_METRICS", "false");
        match &self.location {
            Location::Local { persist_to } => {
                cmd.arg("--local");
                if let Some(p) = persist_to {
                    cmd.arg("--persist-to").arg(p);
                }
                // Local runs never prompt.
                cmd.env("CI", "true");
            }
            Location::Remote => {
                cmd.arg("--remote");
            }
        }
        cmd.args(["--command", sql])
            // A prompt (a login, a confirmation) must fail, not wait unseen for input.
            .stdin(std::process::Stdio::null());
        let out = cmd.output().map_err(|source| D1Error::Spawn {
            dir: self.worker_dir.display().to_string(),
            source,
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let output = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
            if output.contains("no such table") {
                return Err(D1Error::NoTable(self.place()));
            }
            return Err(D1Error::Failed {
                place: self.place(),
                output: output.trim().chars().take(2_000).collect(),
            });
        }
        results(&stdout)
    }
}

/// The rows of the first statement in wrangler's `--json` output (`[{"results": [...], ...}]`).
pub fn results(stdout: &str) -> Result<Vec<Value>, D1Error> {
    let not_json = || D1Error::NotJson(stdout.trim().chars().take(500).collect());
    let v: Value = serde_json::from_str(stdout).map_err(|_| not_json())?;
    v.get(0)
        .and_then(|r| r.get("results"))
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(not_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrangler_json_gives_its_rows_and_anything_else_is_an_error() {
        let rows =
            results(r#"[{"results":[{"n":1},{"n":2}],"success":true,"meta":{}}]"#).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["n"], 2);
        for bad in ["", "✘ [ERROR] no", r#"{"results":[]}"#, r#"[{"meta":{}}]"#] {
            assert!(matches!(results(bad), Err(D1Error::NotJson(_))), "{bad}");
        }
    }
}
