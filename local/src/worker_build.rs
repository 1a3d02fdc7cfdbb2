//! The worker a `wrangler dev` runs, built once and staged in a directory of its own.
//!
//! `scripts/build-worker.sh` runs under a lock (one build at a time in `worker/build/`), and its output is
//! copied beside a `wrangler.toml` without the `[build]` step. Two reasons:
//! - wrangler 4 runs a `[build]` command twice: once to start, and once more when its file watcher is
//!   ready. It then restarts the worker, and a POST in flight at that moment gets a plain-text 503 from
//!   wrangler's proxy ("Your worker restarted mid-request").
//! - A worker run straight from `worker/build/` would be rewritten under the running process by the next
//!   test's build (another index, another mode).
//!
//! A staged worker is built once and never changes under the process running it.

use crate::LocalError;
use crate::process::ManagedProcess;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// How long one build of the worker may take (a cold build compiles the whole worker crate).
const BUILD: Duration = Duration::from_secs(900);

/// Builds the worker in `worker_dir` (with `build_env` in the build's environment, e.g.
/// `TWIN_INDEX_MODE=asset`), copies what wrangler runs into `into` (emptied first) and returns the
/// `wrangler.toml` written there. The build's output goes to `log`.
pub fn stage(
    worker_dir: &Path,
    into: &Path,
    build_env: &[(&str, &str)],
    log: &Path,
) -> Result<PathBuf, LocalError> {
    let root = worker_dir.parent().unwrap_or(worker_dir);
    let _lock = BuildLock::acquire(&root.join("build").join("worker-build.lock"))?;
    let mut cmd = Command::new("bash");
    cmd.arg("../scripts/build-worker.sh")
        .current_dir(worker_dir)
        .envs(build_env.iter().copied());
    ManagedProcess::spawn("the worker's build (scripts/build-worker.sh)", cmd, log)?
        .finish(BUILD)?;
    match fs::remove_dir_all(into) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    copy_dir(&worker_dir.join("build"), &into.join("build"))?;
    copy_dir(&worker_dir.join("index-assets"), &into.join("index-assets"))?;
    let source = worker_dir.join("wrangler.toml");
    let text = fs::read_to_string(&source)?;
    let config = into.join("wrangler.toml");
    fs::write(&config, staged_config(&text, &source, worker_dir)?)?;
    Ok(config)
}

/// `wrangler.toml` for a staged worker: the same configuration without `[build]` (the worker is already
/// built), and with paths that point outside the staged directory made absolute.
fn staged_config(text: &str, source: &Path, worker_dir: &Path) -> Result<String, LocalError> {
    let bad = |detail: String| LocalError::Config {
        file: source.display().to_string(),
        detail,
    };
    let mut config: toml::Table = text.parse().map_err(|e| bad(format!("{e}")))?;
    if config.remove("build").is_none() {
        return Err(bad(
            "no [build] step: the staged worker expects one to remove".into(),
        ));
    }
    if let Some(toml::Value::Array(databases)) = config.get_mut("d1_databases") {
        for db in databases.iter_mut() {
            if let Some(toml::Value::String(dir)) = db.get_mut("migrations_dir") {
                *dir = worker_dir.join(&*dir).display().to_string();
            }
        }
    }
    toml::to_string(&config).map_err(|e| bad(format!("{e}")))
}

/// Copies the files under `from` into `to`, keeping the tree; a missing `from` copies nothing.
fn copy_dir(from: &Path, to: &Path) -> Result<(), LocalError> {
    let entries = match fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    fs::create_dir_all(to)?;
    for entry in entries {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// An exclusive `flock(2)` on a file, held until dropped (closing the file releases it): builds from
/// several processes (tests run in parallel) take turns.
struct BuildLock(#[allow(dead_code)] File);

impl BuildLock {
    fn acquire(path: &Path) -> Result<BuildLock, LocalError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        loop {
            // SAFETY: flock(2) on a descriptor this function owns for the lock's whole life.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(BuildLock(file));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staged_config_has_no_build_step_and_keeps_everything_else() {
        let text = "name = \"twin\"\nmain = \"build/index.js\"\n[build]\ncommand = \"make\"\n\
                    [vars]\nAUTHOR = \"A\"\n[[d1_databases]]\nbinding = \"DB\"\nmigrations_dir = \"migrations\"\n";
        let out = staged_config(text, Path::new("wrangler.toml"), Path::new("/w")).expect("config");
        let table: toml::Table = out.parse().expect("toml");
        assert!(table.get("build").is_none(), "{out}");
        assert_eq!(table["main"].as_str(), Some("build/index.js"));
        assert_eq!(table["vars"]["AUTHOR"].as_str(), Some("A"));
        assert_eq!(
            table["d1_databases"][0]["migrations_dir"].as_str(),
            Some("/w/migrations")
        );
    }

    #[test]
    fn a_config_without_a_build_step_or_broken_is_refused_by_file() {
        let e = staged_config(
            "name = \"twin\"\n",
            Path::new("w/wrangler.toml"),
            Path::new("/w"),
        )
        .expect_err("no build");
        assert!(e.to_string().contains("w/wrangler.toml"), "{e}");
        assert!(e.to_string().contains("[build]"), "{e}");
        let e = staged_config("name = ", Path::new("w/wrangler.toml"), Path::new("/w"))
            .expect_err("broken");
        assert!(e.to_string().contains("w/wrangler.toml"), "{e}");
    }

    #[test]
    fn the_real_worker_config_stages() {
        let worker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../worker");
        let source = worker.join("wrangler.toml");
        let text = fs::read_to_string(&source).expect("worker/wrangler.toml");
        let out = staged_config(&text, &source, &worker).expect("config");
        let table: toml::Table = out.parse().expect("toml");
        assert!(table.get("build").is_none());
        assert!(
            table["vars"]["BACKENDS"]
                .as_str()
                .is_some_and(|b| b.contains("\"rag\""))
        );
        assert_eq!(table["assets"]["directory"].as_str(), Some("index-assets"));
    }
}
