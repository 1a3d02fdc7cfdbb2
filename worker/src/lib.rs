//! The twin edge worker: the only thing the widget talks to. It holds the secrets, retrieves passages
//! from the embedded index, calls the configured model backend and streams one uniform event stream.
//!
//! The routes are the table in `route_table.rs`; errors are [`twin_shared::ErrorCode`]s.

mod assets;
mod call;
mod chat;
mod clock;
mod config;
mod feedback;
mod fetch;
mod history;
mod http;
mod probe_cache;
mod rate_limit;
mod retrieval;
mod route_table;
mod routes;
mod signature;
mod sink;
mod spend;
mod traces;

use config::Config;
use route_table::{Handler, Lookup};
use twin_shared::ErrorCode;
use worker::{
    Context, Env, Method, Request, Response, Result, ScheduleContext, ScheduledEvent, event,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let config = match Config::cached(&env) {
        Ok(c) => c,
        // The reason (which may quote a URL or a model id) is in the worker's log, not the response.
        Err(_) => {
            return refuse_early(
                &req,
                ErrorCode::NotConfigured,
                "this twin's configuration is invalid; its owner can see why in the worker's log",
            );
        }
    };
    let origin_header = req.headers().get("origin")?;
    let origin = http::allowed_origin(origin_header.as_deref(), &config.allowed_origins);
    if origin_header.is_some() && origin.is_none() {
        return refuse_early(
            &req,
            ErrorCode::OriginNotAllowed,
            "this origin may not call the twin API (ALLOWED_ORIGINS)",
        );
    }
    if req.method() == Method::Options {
        return match origin {
            Some(o) => http::preflight(&o),
            None => http::refuse(
                ErrorCode::NotAPreflight,
                "OPTIONS is for CORS preflight requests with an Origin",
            ),
        };
    }
    let resp = route(req, &env, &config, &ctx).await?;
    http::with_cors(resp, origin.as_deref())
}

/// A refusal made before the origin is known to be allowed (a broken configuration, an origin not in
/// ALLOWED_ORIGINS): readable by any page for a simple request, so the widget on the blog says why
/// instead of "unreachable"; a preflight's stays without CORS headers, so the browser never sends the
/// request itself.
fn refuse_early(req: &Request, code: ErrorCode, message: &str) -> Result<Response> {
    let refusal = http::refuse(code, message);
    if req.method() == Method::Options {
        refusal
    } else {
        http::readable_anywhere(refusal)
    }
}

/// The daily cron trigger (`[triggers]` in wrangler.toml): deletes traces past their retention.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match Config::cached(&env) {
        Ok(config) => {
            traces::forget_older_than(&env, config.trace_retention_days, event.schedule()).await
        }
        Err(_) => worker::console_error!("scheduled run skipped: the configuration is invalid"),
    }
}

async fn route(req: Request, env: &Env, config: &Config, ctx: &Context) -> Result<Response> {
    let path = req.path();
    let route = match route_table::lookup(&path, &req.inner().method()) {
        Lookup::Found(r) => r,
        Lookup::NoPath => {
            return http::refuse(
                ErrorCode::NotFound,
                format!("no route {path}; see /api/config"),
            );
        }
        Lookup::WrongMethod(allowed) => {
            let mut resp = http::refuse(
                ErrorCode::MethodNotAllowed,
                format!("{path} takes {allowed}"),
            )?;
            resp.headers_mut().set("allow", allowed.as_ref())?;
            return Ok(resp);
        }
    };
    if route.rate_limited && config.rate_limit {
        let (code, message) = match rate_limit::check(env, &req, config.rate_limit_fail_open).await
        {
            rate_limit::Verdict::Allow => (None, ""),
            rate_limit::Verdict::Limited => (
                Some(ErrorCode::RateLimited),
                "too many requests from this address; wait a minute",
            ),
            rate_limit::Verdict::Unavailable => (
                Some(ErrorCode::RateLimited),
                "the twin cannot check its rate limit right now; try again in a minute",
            ),
        };
        if let Some(code) = code {
            let mut resp = http::refuse(code, message)?;
            resp.headers_mut()
                .set("retry-after", &rate_limit::RETRY_AFTER_S.to_string())?;
            return Ok(resp);
        }
    }
    // An index served as a static asset is loaded by the first request that needs it (the widget's
    // config request, usually); a failure shows where the index is used.
    // `/api/config` only starts the load (it serves without the content id until then); search and
    // chat wait for it.
    let needs_index = matches!(route.handler, Handler::Search | Handler::Chat);
    if (needs_index || matches!(route.handler, Handler::Config))
        && let Err(e) = retrieval::ready(env, ctx, needs_index).await
    {
        // Search answers this itself (503, retryable); config serves without the content id, and chat
        // says so in the stream.
        worker::console_warn!("index not ready: {e}");
    }
    match route.handler {
        Handler::Health => routes::health(),
        Handler::Config => routes::config(config),
        Handler::Search => routes::search(&req, config),
        Handler::Warm => routes::warm(req, config, ctx).await,
        Handler::Chat => chat::handle(req, env, config, ctx).await,
        Handler::Feedback => feedback::handle(req, env, config).await,
    }
}
