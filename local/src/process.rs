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

    /// SIGTERM to the whole process group, then SIGKILL to what is left of it after a grace period;
    /// always reaps the child. The group, not only the child, decides when it is over: `npx` exits at
    /// once on SIGTERM while the `wrangler` it started is still shutting down, and a stop that waited
    /// for the child alone left that `wrangler` (and its `workerd`) running.
    pub fn stop(&mut self) {
        let group = i32::try_from(self.child.id()).ok();
        let signal_group = |signal| {
            if let Some(pgid) = group {
                // SAFETY: plain kill(2) on the process group our child leads.
                unsafe {
                    libc::kill(-pgid, signal);
                }
            }
        };
        signal_group(libc::SIGTERM);
        let start = Instant::now();
        while start.elapsed() < STOP_GRACE {
            let child_done = matches!(self.child.try_wait(), Ok(Some(_)));
            if child_done && group.is_none_or(group_is_gone) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SIGKILL for whatever ignored SIGTERM or is still shutting down.
        signal_group(libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether no process is left in the process group `pgid` (the reaped child's group: its members were
/// in it when it was started, and a new process cannot join it).
fn group_is_gone(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists and may be signalled.
    let alive = unsafe { libc::kill(-pgid, 0) } == 0;
    !alive && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `npx` exits at once on SIGTERM, the program it started does not: the stop must still end it.
    #[test]
    fn stop_ends_the_whole_group_when_the_child_exits_first() {
        let log = std::env::temp_dir().join(format!("twin-stop-{}.log", std::process::id()));
        let mut cmd = Command::new("sh");
        // The child (sh) dies of SIGTERM; its own child ignores SIGTERM, as a program shutting down
        // slowly would.
        cmd.args(["-c", "(trap '' TERM; exec sleep 60) & wait"]);
        let mut process = ManagedProcess::spawn("group", cmd, &log).expect("spawn");
        let pgid = i32::try_from(process.pid()).expect("pid");
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) && !group_has_more_than_the_child(pgid) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            group_has_more_than_the_child(pgid),
            "the grandchild never started"
        );
        process.stop();
        let stopped = Instant::now();
        while stopped.elapsed() < Duration::from_secs(5) && !group_is_gone(pgid) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(&log);
        assert!(
            group_is_gone(pgid),
            "a process of the group outlived stop()"
        );
    }

    /// Whether a process other than the group's leader is in group `pgid` (read from /proc).
    fn group_has_more_than_the_child(pgid: i32) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        entries.flatten().any(|e| {
            let pid = e.file_name().to_string_lossy().parse::<i32>().ok();
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            // Fields after the command's closing parenthesis: state, ppid, pgrp.
            let pgrp = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(2))
                .and_then(|g| g.parse::<i32>().ok());
            pid.is_some_and(|p| p != pgid) && pgrp == Some(pgid)
        })
    }
}
