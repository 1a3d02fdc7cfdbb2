//! The one stack builder the demo and the end-to-end tests share: the fault stand-in and the worker under
//! `wrangler dev`, given typed backends (written into its `BACKENDS` var) and any other vars.

use crate::LocalError;
use crate::stand_in::StandIn;
use crate::wrangler::WranglerDev;
use std::path::Path;
use twin_upstream::Backend;

/// In a backend's base URL, stands for the stand-in's address (known only once it has started).
pub const STAND_IN: &str = "{stand_in}";

/// The secret the worker signs its answers with.
pub const HISTORY_KEY: &str = "HISTORY_KEY";

/// 32 random bytes as hex.
fn random_key() -> Result<String, LocalError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| LocalError::Io(std::io::Error::other(format!("no randomness: {e}"))))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The worker's `BACKENDS` var: the typed backends as JSON.
fn backends_var(backends: &[Backend]) -> String {
    // Strings, numbers and bools only: serialising cannot fail.
    serde_json::to_string(backends).expect("backends serialise")
}

/// The stand-in and the worker, stopped on drop.
pub struct WorkerStack {
    /// The fault stand-in the backends may point at.
    pub stand_in: StandIn,
    /// `wrangler dev` running the worker.
    pub worker: WranglerDev,
}

impl WorkerStack {
    /// Starts the worker of the repository at `root` with `backends` (each [`STAND_IN`] in a base URL
    /// replaced by `stand_in`'s address), `vars` and `secrets` (API keys; never on a command line),
    /// logging to `log`. Unless `secrets` names one, the worker gets a fresh random `HISTORY_KEY` to
    /// sign its answers with. The caller starts the stand-in first, so ports it picks afterwards (a dead
    /// one, the page's) cannot be the stand-in's.
    pub fn start(
        root: &Path,
        stand_in: StandIn,
        backends: &[Backend],
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
    ) -> Result<WorkerStack, LocalError> {
        Self::start_until(root, stand_in, backends, vars, secrets, log, 200)
    }

    /// [`WorkerStack::start`], ready when `/api/health` answers `ready_status` (a test of a broken
    /// configuration waits for its 503).
    pub fn start_until(
        root: &Path,
        stand_in: StandIn,
        backends: &[Backend],
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
        ready_status: u16,
    ) -> Result<WorkerStack, LocalError> {
        Self::start_as(
            root,
            stand_in,
            backends,
            vars,
            secrets,
            log,
            Some(ready_status),
        )
    }

    /// [`WorkerStack::start`] without the DevTools inspector `wrangler dev` attaches
    /// ([`WranglerDev::start_without_inspector`]): for measuring what it costs.
    pub fn start_without_inspector(
        root: &Path,
        stand_in: StandIn,
        backends: &[Backend],
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
    ) -> Result<WorkerStack, LocalError> {
        Self::start_as(root, stand_in, backends, vars, secrets, log, None)
    }

    /// Starts the worker under `wrangler dev`, ready at `ready_status`, or (`None`) without the inspector.
    fn start_as(
        root: &Path,
        stand_in: StandIn,
        backends: &[Backend],
        vars: &[(&str, String)],
        secrets: &[(&str, String)],
        log: &Path,
        ready_status: Option<u16>,
    ) -> Result<WorkerStack, LocalError> {
        let backends: Vec<Backend> = backends
            .iter()
            .map(|b| Backend {
                base_url: b.base_url.replace(STAND_IN, &stand_in.base_url()),
                ..b.clone()
            })
            .collect();
        let mut all = vec![("BACKENDS", backends_var(&backends))];
        all.extend(vars.iter().cloned());
        let mut secrets = secrets.to_vec();
        if !secrets.iter().any(|(name, _)| *name == HISTORY_KEY) {
            secrets.push((HISTORY_KEY, random_key()?));
        }
        let dir = root.join("worker");
        let worker = match ready_status {
            Some(status) => WranglerDev::start_until(&dir, &all, &secrets, log, status)?,
            None => WranglerDev::start_without_inspector(&dir, &all, &secrets, log, &[])?,
        };
        Ok(WorkerStack { stand_in, worker })
    }
}
