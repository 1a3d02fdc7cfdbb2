//! JSON responses, the one error shape, and CORS: every response leaves through here.

use futures_util::StreamExt;
use twin_shared::{ApiError, ErrorCode};
use worker::{Headers, Request, Response, Result};

/// Reads a request body, keeping at most `max` bytes and waiting at most [`BODY_MS`] for it: past
/// either it is refused, whether or not it declared a `Content-Length`, and nothing more is buffered.
/// The rest is read and thrown away for at most [`DRAIN_BYTES`] or [`DRAIN_MS`] (workerd stalls the
/// next request when a body is abandoned half-read), then abandoned. A request without a body reads as
/// empty.
pub async fn read_capped(req: &mut Request, max: usize) -> Result<Body> {
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Ok(mut chunks) = req.stream() else {
        return Ok(Body::Read(Vec::new()));
    };
    if declared.is_some_and(|n| n > max as u64) {
        drain(&mut chunks).await;
        return Ok(Body::TooLarge);
    }
    let mut body = Vec::new();
    let until = crate::clock::now_ms() + BODY_MS as f64;
    loop {
        let chunk = match crate::clock::before(chunks.next(), until).await {
            Some(Some(chunk)) => chunk,
            Some(None) => break,
            None => {
                drain(&mut chunks).await;
                return Ok(Body::Slow);
            }
        };
        let Ok(chunk) = chunk else {
            return Ok(Body::Broken);
        };
        if body.len() + chunk.len() > max {
            drain(&mut chunks).await;
            return Ok(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Read(body))
}

/// A request body as [`read_capped`] found it.
pub enum Body {
    Read(Vec<u8>),
    /// Over the limit.
    TooLarge,
    /// The client's upload broke off.
    Broken,
    /// The body did not arrive within [`BODY_MS`] (a client trickling it, or stalled).
    Slow,
}

/// Longest a request body may take to arrive: a chat request is a few kilobytes.
pub const BODY_MS: u64 = 10_000;

impl Body {
    /// The bytes, or the refusal to send: `body_too_large` naming `max`, or `invalid_request`.
    pub fn or_refuse(self, max: usize) -> std::result::Result<Vec<u8>, Result<Response>> {
        match self {
            Body::Read(bytes) => Ok(bytes),
            Body::TooLarge => Err(refuse(
                ErrorCode::BodyTooLarge,
                format!("the body is over {max} bytes"),
            )),
            Body::Broken => Err(refuse(
                ErrorCode::InvalidRequest,
                "the body could not be read to its end",
            )),
            Body::Slow => Err(refuse(
                ErrorCode::InvalidRequest,
                format!("the body did not arrive within {} s", BODY_MS / 1000),
            )),
        }
    }
}

/// Most bytes of an oversized body read and thrown away before it is abandoned.
pub const DRAIN_BYTES: usize = 1024 * 1024;
/// Longest an oversized body is read and thrown away before it is abandoned.
pub const DRAIN_MS: u64 = 2_000;

/// Reads and drops what is left of `chunks`, within [`DRAIN_BYTES`] and [`DRAIN_MS`].
async fn drain(chunks: &mut worker::ByteStream) {
    let until = crate::clock::now_ms() + DRAIN_MS as f64;
    let mut drained = 0;
    while drained < DRAIN_BYTES {
        match crate::clock::before(chunks.next(), until).await {
            Some(Some(Ok(chunk))) => drained += chunk.len(),
            _ => return,
        }
    }
}

/// Whether every `%`-escape of a query string decodes to UTF-8 (`+` is a space and cannot break it).
pub fn query_is_utf8(query: &str) -> bool {
    query.split('&').all(|pair| {
        percent_encoding::percent_decode_str(pair)
            .decode_utf8()
            .is_ok()
    })
}

/// Whether a `Content-Type` value names JSON (`application/json`, parameters such as `charset` aside;
/// `application/jsonx` is not JSON).
pub fn is_json(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON response.
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

/// `resp` with `Access-Control-Allow-Origin: *`: for the refusals made before an origin is known to be
/// allowed (a broken configuration, an origin not in ALLOWED_ORIGINS). They carry no data, and without
/// the header the widget on that page could only tell its reader the twin is unreachable. Never stored
/// by a cache, and it varies with `Origin`.
pub fn readable_anywhere(resp: Result<Response>) -> Result<Response> {
    let mut resp = resp?;
    let h = resp.headers_mut();
    h.set("access-control-allow-origin", "*")?;
    h.append("vary", "Origin")?;
    h.set("cache-control", "no-store")?;
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
