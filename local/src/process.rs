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
/// How long a stop waits, after SIGKILL, for the group's last processes to be gone.
const KILLED_GRACE: Duration = Duration::from_secs(2);

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
                Ok(Some(status)) => {
                    return Err(LocalError::Setup {
                        script: self.name.clone(),
                        detail: self.log_tail(format!("exited with {status}")),
                    });
                }
                Ok(None) => {}
                Err(e) => return Err(LocalError::Io(e)),
            }
            if start.elapsed() > timeout {
                self.stop();
                return Err(LocalError::Setup {
                    script: self.name.clone(),
                    detail: self.log_tail(format!("not done after {} s", timeout.as_secs())),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn not_ready(&self, what: String) -> LocalError {
        LocalError::NotReady {
            name: self.name.clone(),
            detail: self.log_tail(what),
        }
    }

    /// `what`, then the end of the log.
    fn log_tail(&self, what: String) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("{what}; log {}:\n{}", self.log.display(), tail.join("\n"))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM to the whole process group, then SIGKILL to what is left of it after a grace period;
    /// always reaps the child. The group, not only the child, decides when it is over: `npx` exits at
    /// once on SIGTERM while the `wrangler` it started is still shutting down, and a stop that waited
    /// for the child alone left that `wrangler` (and its `workerd`) running. A group with no live member
    /// left is not signalled.
    pub fn stop(&mut self) {
        let Ok(pgid) = i32::try_from(self.child.id()) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        };
        let over =
            |child: &mut Child| matches!(child.try_wait(), Ok(Some(_))) && group_is_gone(pgid);
        if over(&mut self.child) {
            return;
        }
        // SAFETY: plain kill(2) on the process group our child leads, which still has a live member.
        unsafe {
            libc::kill(-pgid, libc::SIGTERM);
        }
        let start = Instant::now();
        while start.elapsed() < STOP_GRACE {
            if over(&mut self.child) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // SIGKILL for whatever ignored SIGTERM or is still shutting down.
        if !group_is_gone(pgid) {
            // SAFETY: as above.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let start = Instant::now();
        while start.elapsed() < KILLED_GRACE && !group_is_gone(pgid) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether no live process (a zombie waiting to be reaped does not count) is left in process group
/// `pgid`, read from `/proc`.
fn group_is_gone(pgid: i32) -> bool {
    live_group_members(pgid).is_empty()
}

/// The live (not zombie) processes of group `pgid`, from `/proc/<pid>/stat`.
fn live_group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid = e.file_name().to_string_lossy().parse::<i32>().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // After the command's closing parenthesis: state, ppid, pgrp.
            let mut fields = stat.rsplit_once(')')?.1.split_whitespace();
            let state = fields.next()?;
            let pgrp = fields.nth(1)?.parse::<i32>().ok()?;
            (pgrp == pgid && state != "Z" && state != "X").then_some(pid)
        })
        .collect()
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts `script` under `sh -c` and waits until a `sleep` runs in its group: the script has set
    /// its trap by then (each script below starts `sleep` after its `trap`).
    fn group_of(script: &str, log: &Path) -> (ManagedProcess, i32) {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        let process = ManagedProcess::spawn("group", cmd, log).expect("spawn");
        let pgid = i32::try_from(process.pid()).expect("pid");
        let sleeping = || {
            live_group_members(pgid).iter().any(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|comm| comm.trim() == "sleep")
            })
        };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) && !sleeping() {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(sleeping(), "the script never reached its sleep");
        (process, pgid)
    }

    /// `npx` exits at once on SIGTERM, the program it started does not: the stop must still end it,
    /// whether it ignores SIGTERM (killed after the grace period) or takes a moment to shut down
    /// (waited for, no SIGKILL needed).
    #[test]
    fn stop_ends_the_whole_group_when_the_child_exits_first() {
        let log = std::env::temp_dir().join(format!("twin-stop-{}.log", std::process::id()));
        // (what, script, the least and the most stop() may take)
        let cases = [
            (
                "ignores SIGTERM",
                "(trap '' TERM; exec sleep 60) & wait",
                STOP_GRACE,
                STOP_GRACE + KILLED_GRACE + Duration::from_secs(1),
            ),
            (
                "shuts down in a second, no SIGKILL needed",
                "(trap 'sleep 1; exit 0' TERM; sleep 60 & wait) & wait",
                Duration::from_millis(900),
                STOP_GRACE,
            ),
        ];
        for (what, script, at_least, at_most) in cases {
            let (mut process, pgid) = group_of(script, &log);
            let t = Instant::now();
            process.stop();
            let took = t.elapsed();
            assert!(
                group_is_gone(pgid),
                "{what}: {:?} outlived stop()",
                live_group_members(pgid)
            );
            assert!(
                took >= at_least && took < at_most,
                "{what}: stop() returned after {took:?}"
            );
        }
        let _ = std::fs::remove_file(&log);
    }

    #[test]
    fn a_group_already_gone_is_not_waited_for() {
        let log = std::env::temp_dir().join(format!("twin-gone-{}.log", std::process::id()));
        let mut cmd = Command::new("true");
        cmd.arg("x");
        let mut process = ManagedProcess::spawn("true", cmd, &log).expect("spawn");
        process.finish(Duration::from_secs(5)).expect("true exits");
        let t = Instant::now();
        process.stop();
        assert!(
            t.elapsed() < Duration::from_millis(500),
            "{:?}",
            t.elapsed()
        );
        let _ = std::fs::remove_file(&log);
    }
}
