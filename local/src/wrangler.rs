//! `wrangler dev` (workerd) running the twin worker on a loopback port: the local stand-in for
//! Cloudflare. Each start builds the worker once (`scripts/build-worker.sh`, the `[build]` command in
//! `worker/wrangler.toml`) and runs a staged copy of it ([`crate::worker_build`]: wrangler's own
//! `[build]` step would build twice and restart the worker under the first requests).

use crate::health::get_json_status;
use crate::process::ManagedProcess;
use crate::{LocalError, free_port};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long wrangler dev may take to start the worker once it is built.
const READY: Duration = Duration::from_secs(600);

/// How the staged worker is run.
enum Launch<'a> {
    /// `wrangler dev`, with these secrets in an env file.
    WranglerDev { secrets: &'a [(&'a str, String)] },
    /// wrangler's dev API without the DevTools inspector (`local/wrangler-no-inspector.cjs`), with
    /// these secrets in an env file.
    NoInspector { secrets: &'a [(&'a str, String)] },
}

/// A running `wrangler dev`; stopped (with workerd) on drop.
pub struct WranglerDev {
    pub url: String,
    /// From the start (the build, under its lock, included) to a healthy `/api/health`.
    pub startup: Duration,
    /// The staged worker it runs ([`crate::worker_build`]): `build/index.js`, `build/index_bg.wasm`,
    /// `index-assets/`, `index.asset`, `wrangler.toml`; removed on drop.
    pub staged: PathBuf,
    /// The secrets file, removed on drop.
    env_file: PathBuf,
    _process: ManagedProcess,
}

impl Drop for WranglerDev {
    fn drop(&mut self) {
        self._process.stop();
        let _ = std::fs::remove_file(&self.env_file);
        let _ = std::fs::remove_dir_all(&self.staged);
    }
}

impl WranglerDev {
    /// CPU time and memory of everything this `wrangler dev` runs (wrangler's `node`, `workerd`), by
    /// program: where a request's time went, and what the worker holds.
    pub fn usage(&self) -> Vec<crate::usage::ProgramUsage> {
        crate::usage::group_usage(self._process.pid())
    }

    /// Starts `wrangler dev --local` in `worker_dir` with `vars` (`--var NAME:VALUE`) and `secrets`,
    /// logging to `log`. Secrets never go on the command line (any local user can read it in `/proc`):
    /// they are written to an env file beside the log, readable by its owner only, passed with
    /// `--env-file` and removed when this is dropped.
    pub fn start(
        worker_dir: &Path,
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
    ) -> Result<WranglerDev, LocalError> {
        Self::start_until(worker_dir, vars, secrets, log, 200)
    }

    /// [`WranglerDev::start`], ready when the worker's own `/api/health` (JSON, not the proxy's plain
    /// text) answers `ready_status` (a test of a broken configuration waits for its 503).
    pub fn start_until(
        worker_dir: &Path,
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
        ready_status: u16,
    ) -> Result<WranglerDev, LocalError> {
        Self::spawn(
            worker_dir,
            vars,
            log,
            ready_status,
            &[],
            Launch::WranglerDev { secrets },
        )
    }

    /// [`WranglerDev::start`] with `build_env` in the environment of the worker's build (and of
    /// wrangler): `TWIN_INDEX_MODE=asset` builds a worker that loads its index from static assets.
    pub fn start_with_build_env(
        worker_dir: &Path,
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
        build_env: &[(&str, &str)],
    ) -> Result<WranglerDev, LocalError> {
        Self::spawn(
            worker_dir,
            vars,
            log,
            200,
            build_env,
            Launch::WranglerDev { secrets },
        )
    }

    /// [`WranglerDev::start_with_build_env`] without the DevTools inspector `wrangler dev` always
    /// attaches (it cannot be turned off on the command line): the worker built and staged the same
    /// way, started by wrangler's own dev API (`unstable_startWorker`, the engine of `wrangler dev`)
    /// with `dev.inspector = false`, by `local/wrangler-no-inspector.cjs`. For measuring what the
    /// inspector costs (the scale and worker benches).
    pub fn start_without_inspector(
        worker_dir: &Path,
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
        build_env: &[(&str, &str)],
    ) -> Result<WranglerDev, LocalError> {
        Self::spawn(
            worker_dir,
            vars,
            log,
            200,
            build_env,
            Launch::NoInspector { secrets },
        )
    }

    fn spawn(
        worker_dir: &Path,
        vars: &[(&str, String)],
        log: &Path,
        ready_status: u16,
        build_env: &[(&str, &str)],
        launch: Launch,
    ) -> Result<WranglerDev, LocalError> {
        let started = Instant::now();
        let build_log = log.with_extension("build.log");
        eprintln!(
            "building the worker (minutes when cold; log {})",
            build_log.display()
        );
        let staged = log.with_extension("worker");
        let config = crate::worker_build::stage(worker_dir, &staged, build_env, &build_log)?;
        let port = free_port()?;
        // Fresh local state (Durable Objects, rate limits) for every start: counts from an earlier run
        // must not carry over.
        let state = log.with_extension("state");
        let _ = std::fs::remove_dir_all(&state);
        let env_file = log.with_extension("secrets.env");
        let secrets = match launch {
            Launch::WranglerDev { secrets } | Launch::NoInspector { secrets } => secrets,
        };
        write_secrets(&env_file, secrets)?;
        let mut cmd = if let Launch::WranglerDev { .. } = launch {
            let mut cmd = Command::new("npx");
            cmd.args(["wrangler", "dev", "--config"])
                .arg(&config)
                .args([
                    "--local",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    // `/__scheduled` runs the cron handler on demand (local only).
                    "--test-scheduled",
                ]);
            for (name, value) in vars {
                cmd.arg("--var").arg(format!("{name}:{value}"));
            }
            cmd.arg("--persist-to").arg(&state);
            cmd.arg("--env-file").arg(&env_file);
            cmd
        } else {
            let vars: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect();
            let mut cmd = Command::new("node");
            cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("wrangler-no-inspector.cjs"))
                .arg(&config)
                .arg(port.to_string())
                .arg(&state)
                .arg(serde_json::Value::Object(vars).to_string())
                .arg(&env_file);
            cmd
        };
        cmd.envs(build_env.iter().copied())
            .current_dir(worker_dir)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true");
        let mut process = match ManagedProcess::spawn("wrangler dev", cmd, log) {
            Ok(p) => p,
            Err(e) => {
                let _ = std::fs::remove_file(&env_file);
                return Err(e);
            }
        };
        eprintln!(
            "waiting for wrangler dev on port {port} (log {})",
            log.display()
        );
        // The worker's own JSON answer, not the plain-text 503 wrangler's proxy gives meanwhile.
        let ready = process.wait_until(READY, || {
            get_json_status(port, "/api/health") == Some(ready_status)
        });
        if let Err(e) = ready {
            let _ = std::fs::remove_file(&env_file);
            return Err(e);
        }
        Ok(WranglerDev {
            url: format!("http://127.0.0.1:{port}"),
            startup: started.elapsed(),
            staged,
            env_file,
            _process: process,
        })
    }
}

/// Writes `secrets` as a dotenv file only its owner can read (0600, set before any secret is written).
fn write_secrets(path: &Path, secrets: &[(&str, String)]) -> Result<(), LocalError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut text = String::new();
    for (name, value) in secrets {
        // Single quotes make the value literal; a quote or a line break in it could not be kept.
        if value.contains(['\'', '\n', '\r']) {
            return Err(LocalError::Io(std::io::Error::other(format!(
                "the secret {name} contains a quote or a line break, which an env file cannot hold"
            ))));
        }
        text.push_str(&format!("{name}='{value}'\n"));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    if let Err(e) = file.write_all(text.as_bytes()) {
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    Ok(())
}
