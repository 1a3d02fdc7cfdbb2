//! The whole demo stack: local model servers (or the real services when their keys are set), the worker
//! under `wrangler dev`, and the demo blog page with the widget, all on loopback; stopped on drop.

use crate::profile::{small_retrieval_profile, small_tuned_profile};
use crate::stand_in::StandIn;
use crate::static_site::StaticSite;
use crate::worker_stack::WorkerStack;
use crate::wrangler::WranglerDev;
use crate::{Assets, LlamaServer, LocalError, Model, Service};
use std::path::{Path, PathBuf};
use twin_upstream::{Backend, Provider};

/// The panes' names, as readers see them.
const RAG_LABEL: &str = "Retrieval + Haiku";
const TUNED_LABEL: &str = "Fine-tuned Gemma";

/// What answers in the demo.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Use the real Anthropic API with this key (the `rag` pane).
    pub anthropic_key: Option<String>,
    /// The Anthropic model id.
    pub anthropic_model: String,
    /// Use this OpenAI-compatible GPU service (the `tuned` pane), with an optional bearer token.
    pub gpu_url: Option<String>,
    pub gpu_token: Option<String>,
    /// The GPU pane's local model when no GPU service is set (with its LoRA, when there is one).
    pub gpu_model: Option<Model>,
    pub gpu_lora: Option<PathBuf>,
    /// Extra backends appended after `rag` and `tuned` (tests add fault backends); `{stand_in}` in a
    /// base URL becomes the stand-in's address.
    pub extra_backends: Vec<Backend>,
    /// Replace the `tuned` backend entirely (tests point it at a slow-starting stand-in; `{stand_in}` in
    /// its base URL is replaced too).
    pub tuned_override: Option<Backend>,
    /// Serve the page from here instead of `dist/widget` (tests add pages beside the built widget).
    pub site_root: Option<PathBuf>,
    /// Switch the worker's per-client rate limit off (`RATE_LIMIT = "off"`): a browser suite asks far
    /// more than 30 questions a minute from one address, and how soon it hits the limit would depend on
    /// the machine's speed. The limit itself is tested in the worker suite.
    pub rate_limit_off: bool,
}

/// The running demo.
pub struct Demo {
    /// The demo blog post with the widget.
    pub page_url: String,
    pub worker_url: String,
    /// One line per pane saying which model answers it.
    pub answering: Vec<String>,
    pub stand_in: StandIn,
    pub worker: WranglerDev,
    _site: StaticSite,
    _servers: Vec<LlamaServer>,
}

impl Demo {
    /// Starts everything. `root` is the repository; the widget must be built into `dist/widget`.
    pub fn start(root: &Path, opts: &DemoOptions) -> Result<Demo, LocalError> {
        let logs = root.join("build/logs/demo");
        let mut servers = Vec::new();
        let mut answering = Vec::new();
        let needs_local = opts.anthropic_key.is_none()
            || (opts.gpu_url.is_none() && opts.tuned_override.is_none());
        let assets = if needs_local {
            Some(Assets::ensure()?)
        } else {
            None
        };
        let local = || {
            assets.as_ref().ok_or_else(|| LocalError::Setup {
                script: "demo".into(),
                detail: "local model assets were not prepared".into(),
            })
        };
        let rag = match &opts.anthropic_key {
            Some(_) => {
                answering.push(format!(
                    "Retrieval + Haiku: Anthropic API, {}",
                    opts.anthropic_model
                ));
                Backend {
                    subtitle: format!("anthropic api · {} · with retrieval", opts.anthropic_model),
                    secret: Some("ANTHROPIC_API_KEY".into()),
                    retrieval: true,
                    max_tokens: 600,
                    ..Backend::new(
                        "rag",
                        RAG_LABEL,
                        Provider::Anthropic,
                        "https://api.anthropic.com",
                        &opts.anthropic_model,
                    )
                }
            }
            None => {
                let s = LlamaServer::start(local()?, Service::Haiku, Model::SmolLm2, None, &logs)?;
                answering.push(format!(
                    "Retrieval + Haiku: local {} under llama.cpp, standing in for Haiku",
                    Model::SmolLm2.alias()
                ));
                let v = small_retrieval_profile(Backend {
                    subtitle: "local SmolLM2-135M standing in for Haiku · with retrieval".into(),
                    retrieval: true,
                    ..Backend::new(
                        "rag",
                        RAG_LABEL,
                        Provider::Anthropic,
                        &s.base_url(),
                        "local",
                    )
                });
                servers.push(s);
                v
            }
        };
        let tuned = match (&opts.tuned_override, &opts.gpu_url) {
            (Some(v), _) => {
                answering.push("Fine-tuned Gemma: test override".into());
                v.clone()
            }
            (None, Some(url)) => {
                answering.push(format!("Fine-tuned Gemma: GPU service at {url}"));
                Backend {
                    subtitle: "GPU · cold start ~60s".into(),
                    cold_start: true,
                    max_tokens: 400,
                    secret: opts.gpu_token.as_ref().map(|_| "GPU_TOKEN".into()),
                    ..Backend::new("tuned", TUNED_LABEL, Provider::Openai, url, "twin-gemma")
                }
            }
            (None, None) => {
                let model = opts.gpu_model.unwrap_or(Model::SmolLm2);
                let s = LlamaServer::start(
                    local()?,
                    Service::Gpu,
                    model,
                    opts.gpu_lora.as_deref(),
                    &logs,
                )?;
                let what = match &opts.gpu_lora {
                    Some(l) => format!(
                        "{} + LoRA {}",
                        model.alias(),
                        l.file_name().and_then(|n| n.to_str()).unwrap_or("adapter")
                    ),
                    None => model.alias().to_string(),
                };
                answering.push(format!(
                    "Fine-tuned Gemma: local {what} under llama.cpp, standing in for the GPU"
                ));
                // The tiny adapter is trained with the one-line system prompt; send it what it knows.
                let v = small_tuned_profile(Backend {
                    subtitle: format!("local {what} standing in for the GPU"),
                    cold_start: true,
                    brief_system: opts.gpu_lora.is_some(),
                    ..Backend::new(
                        "tuned",
                        TUNED_LABEL,
                        Provider::Openai,
                        &s.base_url(),
                        "local",
                    )
                });
                servers.push(s);
                v
            }
        };
        let backends: Vec<Backend> = [rag, tuned]
            .into_iter()
            .chain(opts.extra_backends.iter().cloned())
            .collect();
        // The worker must allow the page's origin, and the page must know the worker's URL: pick the
        // page's port first, start the worker allowing it, then serve the page on it.
        let site_root = opts
            .site_root
            .clone()
            .unwrap_or_else(|| root.join("dist/widget"));
        // The stand-in first: the page's port is picked while it holds its own.
        let stand_in = StandIn::start()?;
        let site_port = crate::free_port()?;
        let page_origin = format!("http://127.0.0.1:{site_port}");
        let mut vars = vec![("ALLOWED_ORIGINS", page_origin.clone())];
        if opts.rate_limit_off {
            vars.push(("RATE_LIMIT", "off".to_string()));
        }
        let mut secrets = Vec::new();
        if let Some(k) = &opts.anthropic_key {
            secrets.push(("ANTHROPIC_API_KEY", k.clone()));
        }
        if let Some(t) = &opts.gpu_token {
            secrets.push(("GPU_TOKEN", t.clone()));
        }
        let log = logs.join("wrangler.log");
        let WorkerStack { stand_in, worker } =
            WorkerStack::start(root, stand_in, &backends, &vars, &secrets, &log)?;
        let site = StaticSite::start(&site_root, &worker.url, site_port)?;
        Ok(Demo {
            page_url: format!("{}/post.html", site.url),
            worker_url: worker.url.clone(),
            answering,
            stand_in,
            worker,
            _site: site,
            _servers: servers,
        })
    }
}
