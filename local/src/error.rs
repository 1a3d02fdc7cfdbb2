//! What can go wrong starting local services, said so the person at the terminal can act on it.

/// Starting or talking to a local service failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// An install script (building llama-server, fetching weights) failed; the message includes its output.
    #[error("{script} failed: {detail}")]
    Setup { script: String, detail: String },
    /// The process could not be spawned.
    #[error("starting {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    /// The service did not become healthy in time, or exited; the message quotes the end of its log.
    #[error("{name} is not ready: {detail}")]
    NotReady { name: String, detail: String },
    /// A configuration file the local stack reads (`worker/wrangler.toml`) cannot be used as it is.
    #[error("{file}: {detail}")]
    Config { file: String, detail: String },
    /// Any other I/O failure (ports, log files).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}
