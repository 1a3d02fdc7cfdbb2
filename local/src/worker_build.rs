//! The worker a `wrangler dev` runs, built once and staged in a directory of its own.
//!
//! The `[build]` command of `worker/wrangler.toml` (`scripts/build-worker.sh`) runs under a lock (one
//! build and copy at a time among the processes staging a worker), and its output is copied beside a
//! `wrangler.toml` without the `[build]` step. Two reasons:
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

/// The file a staged worker's build describes its index with (`scripts/worker-index.sh`: empty when
/// embedded, `/<name> <bytes> <crc32 hex>` for a static asset), copied beside the staged worker.
pub const INDEX_ASSET: &str = "index.asset";

/// Builds the worker in `worker_dir` with its `[build]` command (with `build_env` in the build's
/// environment, e.g. `TWIN_INDEX_MODE=asset`), copies what wrangler runs into `into` (emptied first),
/// and returns the `wrangler.toml` written there. The build's output goes to `log`.
pub fn stage(
    worker_dir: &Path,
    into: &Path,
    build_env: &[(&str, &str)],
    log: &Path,
) -> Result<PathBuf, LocalError> {
    let worker_dir = &std::path::absolute(worker_dir)?;
    let root = worker_dir.parent().unwrap_or(worker_dir);
    let source = worker_dir.join("wrangler.toml");
    let text = fs::read_to_string(&source)?;
    let (staged, command) = staged_config(&text, &source, worker_dir)?;
    let _lock = BuildLock::acquire(&root.join("build").join("worker-build.lock"), BUILD)?;
    // The build writes it again: one left from an earlier build must not pass for this one's.
    match fs::remove_file(root.join("build").join(INDEX_ASSET)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&command)
        .current_dir(worker_dir)
        .envs(build_env.iter().copied());
    ManagedProcess::spawn(&format!("the worker's build ({command})"), cmd, log)?.finish(BUILD)?;
    let main = worker_dir.join("build/index.js");
    if !main.is_file() {
        return Err(LocalError::Setup {
            script: command,
            detail: format!("it left no {}", main.display()),
        });
    }
    match fs::remove_dir_all(into) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    copy_dir(&worker_dir.join("build"), &into.join("build"))?;
    copy_dir(&worker_dir.join("index-assets"), &into.join("index-assets"))?;
    fs::copy(root.join("build").join(INDEX_ASSET), into.join(INDEX_ASSET))?;
    let config = into.join("wrangler.toml");
    fs::write(&config, staged)?;
    Ok(config)
}

/// `wrangler.toml` for a staged worker, and the `[build]` command it leaves out: the same
/// configuration without `[build]` (the worker is already built), with paths that point outside the
/// staged directory made absolute. A configuration with keys whose paths staging does not carry over
/// (`[env.*]`, `rules`, `site`, ...) is refused rather than staged wrong.
fn staged_config(
    text: &str,
    source: &Path,
    worker_dir: &Path,
) -> Result<(String, String), LocalError> {
    let bad = |detail: String| LocalError::Config {
        file: source.display().to_string(),
        detail,
    };
    let mut config: toml::Table = text.parse().map_err(|e| bad(format!("{e}")))?;
    let command = match config.remove("build") {
        Some(toml::Value::Table(build)) if build.len() == 1 => build
            .get("command")
            .and_then(toml::Value::as_str)
            .map(str::to_string),
        _ => None,
    }
    .ok_or_else(|| bad("staging needs a [build] table with a `command` and nothing else".into()))?;
    for key in [
        "env",
        "rules",
        "site",
        "tsconfig",
        "wasm_modules",
        "text_blobs",
        "data_blobs",
        "alias",
    ] {
        if config.contains_key(key) {
            return Err(bad(format!(
                "`{key}` is set, and staging (local/src/worker_build.rs) does not carry its paths over"
            )));
        }
    }
    if config.get("main").and_then(toml::Value::as_str) != Some("build/index.js") {
        return Err(bad("staging expects `main = \"build/index.js\"`".into()));
    }
    if let Some(toml::Value::Array(databases)) = config.get_mut("d1_databases") {
        for db in databases.iter_mut() {
            if let Some(toml::Value::String(dir)) = db.get_mut("migrations_dir") {
                *dir = worker_dir.join(&*dir).display().to_string();
            }
        }
    }
    let staged = toml::to_string(&config).map_err(|e| bad(format!("{e}")))?;
    Ok((staged, command))
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
/// several processes (tests run in parallel) take turns, each waiting at most as long as a build may
/// take.
struct BuildLock {
    _file: File,
}

impl BuildLock {
    fn acquire(path: &Path, timeout: Duration) -> Result<BuildLock, LocalError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        let started = std::time::Instant::now();
        let mut said = false;
        loop {
            // SAFETY: flock(2) on a descriptor this function owns for the lock's whole life.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(BuildLock { _file: file });
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::WouldBlock && e.kind() != io::ErrorKind::Interrupted {
                return Err(e.into());
            }
            if started.elapsed() > timeout {
                return Err(LocalError::Setup {
                    script: "the worker's build".into(),
                    detail: format!(
                        "another build held {} for over {} s",
                        path.display(),
                        timeout.as_secs()
                    ),
                });
            }
            if !said {
                eprintln!("waiting for another build of the worker to finish");
                said = true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "name = \"twin\"\nmain = \"build/index.js\"\n[build]\ncommand = \"make\"\n\
                          [vars]\nAUTHOR = \"A\"\n[[d1_databases]]\nbinding = \"DB\"\nmigrations_dir = \"migrations\"\n";

    #[test]
    fn the_staged_config_is_the_original_without_build_and_with_absolute_migrations() {
        let (out, command) =
            staged_config(SAMPLE, Path::new("wrangler.toml"), Path::new("/w")).expect("config");
        assert_eq!(command, "make");
        let staged: toml::Table = out.parse().expect("toml");
        let mut expected: toml::Table = SAMPLE.parse().expect("toml");
        expected.remove("build");
        expected["d1_databases"][0]["migrations_dir"] = toml::Value::from("/w/migrations");
        assert_eq!(staged, expected, "{out}");
    }

    #[test]
    fn a_config_staging_cannot_carry_is_refused_by_file() {
        let refused = |text: &str, why: &str| {
            let e =
                staged_config(text, Path::new("w/wrangler.toml"), Path::new("/w")).expect_err(why);
            assert!(e.to_string().contains("w/wrangler.toml"), "{why}: {e}");
            e.to_string()
        };
        assert!(refused("main = \"build/index.js\"\n", "no build").contains("[build]"));
        refused("name = ", "broken TOML");
        let with_env = format!("{SAMPLE}[env.staging]\nname = \"x\"\n");
        assert!(refused(&with_env, "an env").contains("`env`"));
        let other_main = SAMPLE.replace("build/index.js", "src/index.js");
        assert!(refused(&other_main, "another main").contains("main"));
    }

    #[test]
    fn the_real_worker_config_stages() {
        let worker = Path::new(env!("CARGO_MANIFEST_DIR")).join("../worker");
        let source = worker.join("wrangler.toml");
        let text = fs::read_to_string(&source).expect("worker/wrangler.toml");
        let (out, command) = staged_config(&text, &source, &worker).expect("config");
        assert_eq!(command, "bash ../scripts/build-worker.sh");
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
