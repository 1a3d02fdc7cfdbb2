//! JSON responses, the one error shape, and CORS: every response leaves through here.

use twin_shared::{ApiError, ErrorCode};
use worker::{Headers, Response, Result};

/// A JSON response with `status`.
pub fn json<T: serde::Serialize>(value: &T, status: u16) -> Result<Response> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// A refusal: `{"error": {"code", "message"}}` with the code's HTTP status.
pub fn refuse(code: ErrorCode, message: impl Into<String>) -> Result<Response> {
    json(&ApiError::new(code, message), code.status())
}

/// The origin to echo in `Access-Control-Allow-Origin`, if the request's origin is allowed.
pub fn allowed_origin(origin: Option<&str>, allowed: &[String]) -> Option<String> {
    let origin = origin?.trim_end_matches('/');
    allowed
        .iter()
        .any(|a| a == "*" || a == origin)
        .then(|| origin.to_string())
}

/// Adds CORS headers for an allowed origin.
pub fn with_cors(mut resp: Response, origin: Option<&str>) -> Result<Response> {
    if let Some(o) = origin {
        let h = resp.headers_mut();
        h.set("access-control-allow-origin", o)?;
        h.append("vary", "Origin")?;
        h.set("access-control-expose-headers", "retry-after")?;
    }
    Ok(resp)
}

/// The answer to a CORS preflight from an allowed origin.
pub fn preflight(origin: &str) -> Result<Response> {
    let h = Headers::new();
    h.set("access-control-allow-origin", origin)?;
    h.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
    h.set("access-control-allow-headers", "content-type")?;
    h.set("access-control-max-age", "86400")?;
    h.set("vary", "Origin")?;
    Ok(Response::empty()?.with_status(204).with_headers(h))
}
