//! A child process that logs to a file, dies with its parent, and is stopped (with every process it
//! started: it leads its own process group) when its handle drops.

use crate::LocalError;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a stopped process gets to exit after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// A running child process.
#[derive(Debug)]
pub struct ManagedProcess {
    name: String,
    child: Child,
    log: PathBuf,
}

impl ManagedProcess {
    /// Spawns `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Result<ManagedProcess, LocalError> {
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = File::create(log)?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it asks the kernel to SIGTERM the child when this process
        // dies, so a crashed or killed test leaves no model server behind.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|source| LocalError::Spawn {
            name: name.to_string(),
            source,
        })?;
        Ok(ManagedProcess {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Polls `ready` until it says yes, the process exits, or `timeout` passes.
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), LocalError> {
        let start = Instant::now();
        loop {
            if ready() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.not_ready(format!("exited with {status}")));
            }
            if start.elapsed() > timeout {
                return Err(self.not_ready(format!("no answer after {} s", timeout.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a process that should finish (a build) to exit successfully within `timeout`; a failure
    /// or a timeout (the process is then stopped) quotes the end of its log.
    pub fn finish(&mut self, timeout: Duration) -> Result<(), LocalError> {
        let start = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(self.not_ready(format!("exited with {status}"))),
                Ok(None) => {}
                Err(e) => return Err(LocalError::Io(e)),
            }
            if start.elapsed() > timeout {
                self.stop();
                return Err(self.not_ready(format!("not done after {} s", timeout.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn not_ready(&self, what: String) -> LocalError {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        LocalError::NotReady {
            name: self.name.clone(),
            detail: format!("{what}; log {}:\n{}", self.log.display(), tail.join("\n")),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then SIGKILL after a grace period; always reaps the child.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let group = i32::try_from(self.child.id()).ok();
        if let Some(pgid) = group {
            // SAFETY: plain kill(2) on the process group our child leads.
            unsafe {
                libc::kill(-pgid, libc::SIGTERM);
            }
        }
        let start = Instant::now();
        while start.elapsed() < STOP_GRACE {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Some(pgid) = group {
            // SAFETY: as above; SIGKILL for whatever ignored SIGTERM.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
