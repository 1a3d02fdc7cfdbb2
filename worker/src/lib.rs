//! The twin edge worker: the only thing the widget talks to. It holds the secrets, retrieves passages
//! from the embedded index, calls the configured model backend and streams one uniform event stream.
//!
//! Routes: `GET /api/health`, `GET /api/config`, `GET /api/search?q=`, `POST /api/chat`, `POST /api/warm`.

mod anthropic;
mod chat;
mod clock;
mod config;
mod http;
mod openai;
mod rate_limit;
mod retrieval;
mod routes;
mod sink;
mod upstream;

use config::Config;
use worker::{Context, Env, Method, Request, Response, Result, event};

/// The voice guide the system prompt is built from, embedded at build time.
pub(crate) static PERSONA: &str = include_str!("../../content/persona.md");
/// The probe buttons, embedded at build time.
pub(crate) static PROBES: &str = include_str!("../../content/probes.toml");

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let config = match Config::from_env(&env) {
        Ok(c) => c,
        Err(m) => return http::error(500, "not_configured", m),
    };
    let origin_header = req.headers().get("origin")?;
    let origin = http::allowed_origin(origin_header.as_deref(), &config.allowed_origins);
    if origin_header.is_some() && origin.is_none() {
        return http::error(
            403,
            "origin_not_allowed",
            "this origin may not call the twin API (ALLOWED_ORIGINS)",
        );
    }
    if req.method() == Method::Options {
        return match origin {
            Some(o) => http::preflight(&o),
            None => http::error(
                400,
                "not_a_preflight",
                "OPTIONS is for CORS preflight requests with an Origin",
            ),
        };
    }
    let resp = route(req, &env, &config).await?;
    http::with_cors(resp, origin.as_deref())
}

async fn route(req: Request, env: &Env, config: &Config) -> Result<Response> {
    let path = req.path();
    let method = req.method();
    let allowed = match path.as_str() {
        "/api/health" | "/api/config" | "/api/search" => Method::Get,
        "/api/chat" | "/api/warm" => Method::Post,
        _ => {
            return http::error(
                404,
                "not_found",
                format!("no route {path}; see /api/config"),
            );
        }
    };
    if method != allowed {
        let mut resp = http::error(405, "method_not_allowed", format!("{path} takes {allowed}"))?;
        resp.headers_mut().set("allow", allowed.as_ref())?;
        return Ok(resp);
    }
    let limited = matches!(path.as_str(), "/api/chat" | "/api/warm" | "/api/search");
    if limited && !rate_limit::allow(env, &req).await {
        let mut resp = http::error(
            429,
            "rate_limited",
            "too many requests from this address; wait a minute",
        )?;
        resp.headers_mut()
            .set("retry-after", &rate_limit::RETRY_AFTER_S.to_string())?;
        return Ok(resp);
    }
    match path.as_str() {
        "/api/health" => routes::health(),
        "/api/config" => routes::config(config),
        "/api/search" => routes::search(&req, config),
        "/api/warm" => routes::warm(req, config).await,
        _ => chat::handle(req, env, config).await,
    }
}
