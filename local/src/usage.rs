//! CPU time and memory of a started program and everything it started, read from Linux's `/proc`: which
//! process did the work (the scale bench's first request), and how much memory the worker holds (the
//! load run). A `ManagedProcess` leads its own process group, so the group is the program's whole tree.

use std::time::Duration;

/// One program's share of a process group, summed over its processes of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramUsage {
    /// The program's name (`/proc/<pid>/comm`: `node`, `workerd`, ...).
    pub name: String,
    /// User plus system CPU time so far.
    pub cpu: Duration,
    /// Resident memory now.
    pub rss_bytes: u64,
    /// Open file descriptors now (sockets among them): a leak shows here first.
    pub open_fds: u64,
}

/// Every program in process group `pgid`, by name; empty where `/proc` cannot be read.
pub fn group_usage(pgid: u32) -> Vec<ProgramUsage> {
    // SAFETY: sysconf only reads a system constant.
    let (ticks, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    let (Ok(ticks), Ok(page)) = (u64::try_from(ticks), u64::try_from(page)) else {
        return Vec::new();
    };
    let mut out: Vec<ProgramUsage> = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some(s) = parse_stat(&stat) else {
            continue;
        };
        if s.pgrp != pgid || ticks == 0 {
            continue;
        }
        let cpu = Duration::from_millis((s.utime + s.stime) * 1000 / ticks);
        let rss = s.rss_pages * page;
        let fds = std::fs::read_dir(entry.path().join("fd")).map_or(0, |d| d.count() as u64);
        match out.iter_mut().find(|p| p.name == s.name) {
            Some(p) => {
                p.cpu += cpu;
                p.rss_bytes += rss;
                p.open_fds += fds;
            }
            None => out.push(ProgramUsage {
                name: s.name,
                cpu,
                rss_bytes: rss,
                open_fds: fds,
            }),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Raises this process's open-file limit (soft, and hard where permitted) to at least `want`, for the
/// programs it starts next, which inherit it; returns the soft limit now in force. The load bench needs
/// this: under `wrangler dev`, every chunk of every upstream stream becomes a request from wrangler's
/// inspector proxy to its node process, and under a burst their sockets pile up in workerd faster than
/// they close (README, "Load and soak").
pub fn raise_open_files(want: u64) -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the one struct passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur >= want {
        return Ok(lim.rlim_cur);
    }
    let raised = libc::rlimit {
        rlim_cur: want,
        rlim_max: lim.rlim_max.max(want),
    };
    // SAFETY: as above.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
        return Ok(want);
    }
    // Not allowed past the hard limit: go as far as it lets.
    let within = libc::rlimit {
        rlim_cur: lim.rlim_max,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: as above.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &within) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(lim.rlim_max)
}

/// The fields of `/proc/<pid>/stat` used here.
#[derive(Debug, PartialEq, Eq)]
struct Stat {
    name: String,
    pgrp: u32,
    utime: u64,
    stime: u64,
    rss_pages: u64,
}

/// Reads `pid (comm) state ppid pgrp ... utime stime ... rss ...`; the name may hold spaces and
/// parentheses, so the fields are counted from its last `)`.
fn parse_stat(stat: &str) -> Option<Stat> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // fields[0] is the state (field 3 of the man page), so field n is fields[n - 3].
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        name,
        pgrp: u32::try_from(field(5)?).ok()?,
        utime: field(14)?,
        stime: field(15)?,
        rss_pages: field(24)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_stat_line_whose_name_has_spaces_and_parentheses() {
        let line = "4242 (my (odd) name) S 1 4200 4200 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 \
                    100 123456789 3000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                name: "my (odd) name".into(),
                pgrp: 4200,
                utime: 250,
                stime: 50,
                rss_pages: 3000,
            })
        );
        assert_eq!(parse_stat("4242 (cut"), None);
    }

    #[test]
    fn this_process_is_found_in_its_own_group() {
        // SAFETY: getpgrp has no preconditions.
        let pgid = u32::try_from(unsafe { libc::getpgrp() }).expect("pgid");
        let usage = group_usage(pgid);
        assert!(
            usage.iter().any(|p| p.rss_bytes > 0 && p.open_fds >= 3),
            "no process of group {pgid} found with memory and its standard streams: {usage:?}"
        );
    }
}
