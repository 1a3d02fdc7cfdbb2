//! Every route the worker serves, in one table: method, path, whether it counts against the per-address
//! rate limit, and what handles it. Dispatch, the 404 and the 405 (with `Allow`) all read this table.

use worker::Method;

/// What runs a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// `{"status":"ok"}`.
    Health,
    /// What readers may know: backends, probes.
    Config,
    /// Retrieval alone, for the author.
    Search,
    /// Wakes a cold-start backend.
    Warm,
    /// The streamed answer.
    Chat,
    /// A reader's verdict on an answer, or a jailbreak report.
    Feedback,
}

/// One row of [`ROUTES`].
#[derive(Debug)]
pub struct Route {
    /// The one method the path takes.
    pub method: Method,
    /// The exact path (no prefix matching).
    pub path: &'static str,
    /// Counts against the per-address limit (`RATE_LIMITER`): everything that costs retrieval or tokens.
    pub rate_limited: bool,
    /// What runs it.
    pub handler: Handler,
}

/// The API.
pub static ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/api/health",
        rate_limited: false,
        handler: Handler::Health,
    },
    Route {
        method: Method::Get,
        path: "/api/config",
        rate_limited: false,
        handler: Handler::Config,
    },
    Route {
        method: Method::Get,
        path: "/api/search",
        rate_limited: true,
        handler: Handler::Search,
    },
    Route {
        method: Method::Post,
        path: "/api/chat",
        rate_limited: true,
        handler: Handler::Chat,
    },
    Route {
        method: Method::Post,
        path: "/api/feedback",
        rate_limited: true,
        handler: Handler::Feedback,
    },
    Route {
        method: Method::Post,
        path: "/api/warm",
        rate_limited: true,
        handler: Handler::Warm,
    },
];

/// What the table says about a request.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    /// The route for this path and method.
    Found(&'static Route),
    /// No route has this path.
    NoPath,
    /// The path exists with another method (the one for `Allow`).
    WrongMethod(Method),
}

/// The route for `path` and `method`.
pub fn lookup(path: &str, method: &str) -> Lookup {
    let mut other = None;
    for r in ROUTES.iter().filter(|r| r.path == path) {
        if r.method.as_ref() == method {
            return Lookup::Found(r);
        }
        other = Some(r.method.clone());
    }
    other.map_or(Lookup::NoPath, Lookup::WrongMethod)
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.method == other.method && self.path == other.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_dispatches_refuses_and_limits() {
        let found = |path, method: Method| match lookup(path, method.as_ref()) {
            Lookup::Found(r) => (r.handler, r.rate_limited),
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(found("/api/chat", Method::Post), (Handler::Chat, true));
        assert_eq!(found("/api/health", Method::Get), (Handler::Health, false));
        assert_eq!(found("/api/search", Method::Get), (Handler::Search, true));
        assert_eq!(found("/api/warm", Method::Post), (Handler::Warm, true));
        assert_eq!(
            found("/api/feedback", Method::Post),
            (Handler::Feedback, true)
        );
        assert_eq!(found("/api/config", Method::Get), (Handler::Config, false));
        assert_eq!(
            lookup("/api/chat", "GET"),
            Lookup::WrongMethod(Method::Post)
        );
        assert_eq!(lookup("/api/nope", "GET"), Lookup::NoPath);
        assert_eq!(
            lookup("/api/search", "PROPFIND"),
            Lookup::WrongMethod(Method::Get)
        );
        assert_eq!(
            lookup("/api/search", "get"),
            Lookup::WrongMethod(Method::Get)
        );
        assert_eq!(lookup("/api/chat/", "POST"), Lookup::NoPath);
        // One row per path and method.
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(ROUTES[i + 1..].iter().all(|b| b != a), "{} twice", a.path);
        }
    }
}
