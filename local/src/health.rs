//! Readiness checks over plain HTTP/1.1 on loopback, without an HTTP client dependency.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The status code of `GET path` on `127.0.0.1:port`, or `None` when nothing answers.
pub fn get_status(port: u16, path: &str) -> Option<u16> {
    get_head(port, path).map(|(status, _)| status)
}

/// The status code of `GET path` on `127.0.0.1:port` when the answer is JSON (`Content-Type:
/// application/json`), else `None`: tells the worker's own refusals from the plain-text 503 that
/// `wrangler dev`'s proxy sends while the worker is not up yet.
pub fn get_json_status(port: u16, path: &str) -> Option<u16> {
    let (status, head) = get_head(port, path)?;
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .any(|(name, value)| {
            name.trim().eq_ignore_ascii_case("content-type")
                && value
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
        })
        .then_some(status)
}

/// The status code and the response head (up to 4 KB) of `GET path`.
fn get_head(port: u16, path: &str) -> Option<(u16, String)> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while head.len() < 4096 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, head))
}
