//! Starting and stopping the stack.

use std::path::{Path, PathBuf};
use std::time::Duration;
use twin_local::profile::small_retrieval_profile;
use twin_local::worker_stack::{STAND_IN, WorkerStack};
use twin_local::wrangler::WranglerDev;
use twin_local::{Assets, LlamaServer, LocalError, Model, Service, StandIn, free_port};
use twin_upstream::{Backend, Provider};

/// The Anthropic key the worker is given in tests: it must never come back in a response.
pub const API_KEY: &str = "sk-test-never-shown-7f3a9c";

/// The running stack.
pub struct Stack {
    /// The worker's base URL.
    pub url: String,
    pub llama: LlamaServer,
    pub stand_in: StandIn,
    /// How long `wrangler dev` took from the worker's build (its lock wait included) to a healthy
    /// `/api/health`.
    pub startup: Duration,
    _wrangler: WranglerDev,
}

/// A test backend: named by its id, 48 tokens, `tweak`ed.
fn backend(
    id: &str,
    provider: Provider,
    base: &str,
    tweak: impl FnOnce(Backend) -> Backend,
) -> Backend {
    tweak(Backend {
        subtitle: format!("test backend {id}"),
        max_tokens: 48,
        ..Backend::new(id, id, provider, base, "local")
    })
}

/// Sends the Anthropic key the worker holds.
fn keyed(b: Backend) -> Backend {
    Backend {
        secret: Some("ANTHROPIC_API_KEY".into()),
        ..b
    }
}

/// Keyed, with retrieval.
fn keyed_rag(b: Backend) -> Backend {
    Backend {
        retrieval: true,
        ..keyed(b)
    }
}

/// Keyed, giving up fast (2 s to the first byte, 3 s of silence).
fn quick(b: Backend) -> Backend {
    Backend {
        first_byte_timeout_s: 2,
        idle_timeout_s: 3,
        ..keyed(b)
    }
}

/// A cold-start backend that stops trying after `secs`.
fn cold(secs: u64) -> impl FnOnce(Backend) -> Backend {
    move |b| Backend {
        cold_start: true,
        wake_deadline_s: secs,
        ..b
    }
}

/// The fault matrix's faults (stand-in names): each is configured for both protocols, with retrieval
/// off and on, as the backend [`matrix_id`] names (`worker_checks/fault_matrix.rs` plays them).
pub const MATRIX_FAULTS: &[&str] = &[
    "429",
    "429-bare",
    "500",
    "529",
    "overloaded-mid-stream",
    "drop-mid-stream",
    "no-first-byte",
    "malformed",
    "cold-60",
    "slow-1",
    "unknown-events",
    "redirect-303",
];

/// The backend id of one cell of the fault matrix.
pub fn matrix_id(fault: &str, provider: Provider, retrieval: bool) -> String {
    let p = match provider {
        Provider::Anthropic => "a",
        Provider::Openai => "o",
    };
    format!("m-{fault}-{p}-{}", if retrieval { "rag" } else { "plain" })
}

/// Every cell of the fault matrix as a backend: quick to give up (4 s to the first byte, so `slow-1`
/// has room on a busy machine; 3 s of silence), keyed where Anthropic needs a key; the cold start gives
/// up after 3 s.
fn matrix_backends() -> Vec<Backend> {
    let mut out = Vec::new();
    for fault in MATRIX_FAULTS {
        for provider in [Provider::Anthropic, Provider::Openai] {
            for retrieval in [false, true] {
                let base = format!("{STAND_IN}/fault/{fault}");
                out.push(backend(
                    &matrix_id(fault, provider, retrieval),
                    provider,
                    &base,
                    |b| {
                        let b = Backend {
                            retrieval,
                            first_byte_timeout_s: 4,
                            idle_timeout_s: 3,
                            cold_start: fault.starts_with("cold-"),
                            wake_deadline_s: 3,
                            ..b
                        };
                        if provider == Provider::Anthropic {
                            keyed(b)
                        } else {
                            b
                        }
                    },
                ));
            }
        }
    }
    out
}

impl Stack {
    /// The repository root.
    pub fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// The staged worker the shared `wrangler dev` runs (`local::worker_build`): its build's
    /// `index.asset`, `build/`, `index-assets/`.
    pub fn staged_worker(&self) -> &Path {
        &self._wrangler.staged
    }

    /// Starts everything; logs go to `build/logs/e2e`.
    pub fn start() -> Result<Stack, LocalError> {
        Self::start_with(true)
    }

    /// [`Stack::start`] with the worker started without the DevTools inspector `wrangler dev`
    /// attaches (`WranglerDev::start_without_inspector`): for the benches, to measure what it costs.
    pub fn start_without_inspector() -> Result<Stack, LocalError> {
        Self::start_with(false)
    }

    fn start_with(inspector: bool) -> Result<Stack, LocalError> {
        let logs = Self::root().join("build/logs/e2e");
        let assets = Assets::ensure()?;
        let llama = LlamaServer::start(&assets, Service::Haiku, Model::SmolLm2, None, &logs)?;
        // The stand-in first: the dead port is picked while it holds its own.
        let stand_in = StandIn::start()?;
        let dead = format!("http://127.0.0.1:{}", free_port()?);
        let l = llama.base_url();
        let fault = |name: &str| format!("{STAND_IN}/fault/{name}");
        let (a, o) = (Provider::Anthropic, Provider::Openai);
        let same = |b: Backend| b;
        let echo = STAND_IN.to_string();
        let backends = [
            backend("rag", a, &l, |b| {
                small_retrieval_profile(Backend {
                    label: "Retrieval + Haiku".into(),
                    subtitle: "anthropic api · prompted, with retrieval".into(),
                    ..keyed_rag(b)
                })
            }),
            backend("tuned", o, &l, |b| Backend {
                cold_start: true,
                label: "Fine-tuned Gemma".into(),
                subtitle: "GPU · cold start ~60s".into(),
                ..b
            }),
            backend("tuned-rag", o, &l, |b| Backend {
                retrieval: true,
                ..b
            }),
            backend("echo", a, &echo, keyed),
            backend("echo-rag", a, &echo, keyed_rag),
            backend("echo-gpu", o, &echo, same),
            backend("f-429", a, &fault("429"), keyed),
            backend("f-500", a, &fault("500"), keyed),
            backend("f-529", a, &fault("529"), keyed),
            backend("f-overloaded", a, &fault("overloaded-mid-stream"), keyed),
            backend("f-drop", a, &fault("drop-mid-stream"), quick),
            backend("f-malformed", a, &fault("malformed"), keyed),
            backend("f-empty", o, &fault("empty-answer"), same),
            backend("f-empty-a", a, &fault("empty-answer"), keyed),
            backend("f-unknown", a, &fault("unknown-events"), keyed),
            backend("f-cut", a, &fault("cut-off"), keyed),
            backend("f-cut-gpu", o, &fault("cut-off"), same),
            backend("f-no-first-byte", a, &fault("no-first-byte"), quick),
            backend("f-dead", a, &dead, quick),
            backend("gpu-cold", o, &fault("cold-3"), cold(20)),
            // Woken by the probe cache check alone (the stand-in wakes each path once).
            backend("gpu-cold-probe", o, &fault("cold-4"), cold(20)),
            backend("gpu-never", o, &fault("no-first-byte"), cold(4)),
            backend("gpu-dead", o, &dead, cold(4)),
            backend("gpu-303", o, &fault("redirect-303"), same),
            backend("gpu-429", o, &fault("429"), |b| Backend {
                cold_start: true,
                ..b
            }),
            // The eval's known answerers: grounded, off-topic and generic.
            backend("eval-passage", a, &fault("answer-passage"), keyed_rag),
            backend("eval-unrelated", a, &fault("answer-unrelated"), keyed_rag),
            backend("eval-generic", o, &fault("answer-generic"), same),
            // A word every half second for two minutes, stopped by a 3 s answer deadline.
            backend("f-trickle", a, &fault("trickle"), |b| Backend {
                answer_deadline_s: 3,
                max_tokens: 600,
                ..keyed(b)
            }),
            // A GPU host that does not resolve (.invalid never does).
            backend("gpu-nxdomain", o, "http://twin-gpu.invalid", cold(60)),
            // A daily budget of 100 tokens: one answer spends it.
            backend("capped", a, &echo, |b| Backend {
                daily_token_cap: Some(100),
                ..keyed(b)
            }),
            // The same budget, with an answer slow enough to leave in the middle of.
            backend("capped-slow", a, &fault("trickle"), |b| Backend {
                daily_token_cap: Some(100),
                max_tokens: 600,
                ..keyed(b)
            }),
            // Answers of 600 words, for long conversations.
            backend("long", a, &fault("answer-long"), |b| Backend {
                max_tokens: 600,
                ..keyed(b)
            }),
            backend("no-key", a, &echo, |b| Backend {
                secret: Some("MISSING_SECRET".into()),
                ..b
            }),
        ];
        let backends: Vec<Backend> = backends.into_iter().chain(matrix_backends()).collect();
        let secrets = [("ANTHROPIC_API_KEY", API_KEY.to_string())];
        let log = logs.join("wrangler.log");
        let WorkerStack { stand_in, worker } = if inspector {
            WorkerStack::start(&Self::root(), stand_in, &backends, &[], &secrets, &log)?
        } else {
            let log = logs.join("no-inspector.log");
            WorkerStack::start_without_inspector(
                &Self::root(),
                stand_in,
                &backends,
                &[],
                &secrets,
                &log,
            )?
        };
        Ok(Stack {
            url: worker.url.clone(),
            llama,
            stand_in,
            startup: worker.startup,
            _wrangler: worker,
        })
    }
}
