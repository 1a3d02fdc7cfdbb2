//! `wrangler dev` (workerd) running the twin worker on a loopback port: the local stand-in for
//! Cloudflare. It builds the worker when needed (the `[build]` command in `worker/wrangler.toml`).

use crate::health::get_status;
use crate::process::ManagedProcess;
use crate::{LocalError, free_port};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long wrangler dev may take to build and start the worker (a cold build takes minutes).
const READY: Duration = Duration::from_secs(600);

/// A running `wrangler dev`; stopped (with workerd) on drop.
pub struct WranglerDev {
    pub url: String,
    /// From spawn to a healthy `/api/health`.
    pub startup: Duration,
    _process: ManagedProcess,
}

impl WranglerDev {
    /// Starts `wrangler dev --local` in `worker_dir` with `vars` (`--var NAME:VALUE`), logging to `log`.
    pub fn start(
        worker_dir: &Path,
        vars: &[(&str, String)],
        log: &Path,
    ) -> Result<WranglerDev, LocalError> {
        let port = free_port()?;
        let mut cmd = Command::new("npx");
        cmd.current_dir(worker_dir)
            .args([
                "wrangler",
                "dev",
                "--local",
                "--ip",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true");
        for (name, value) in vars {
            cmd.arg("--var").arg(format!("{name}:{value}"));
        }
        let started = Instant::now();
        let mut process = ManagedProcess::spawn("wrangler dev", cmd, log)?;
        eprintln!(
            "waiting for wrangler dev on port {port} (builds the worker when needed; log {})",
            log.display()
        );
        process.wait_until(READY, || get_status(port, "/api/health") == Some(200))?;
        Ok(WranglerDev {
            url: format!("http://127.0.0.1:{port}"),
            startup: started.elapsed(),
            _process: process,
        })
    }
}
