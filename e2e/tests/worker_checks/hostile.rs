//! The hostile-input battery: requests an attacker (or a broken client) sends, across every route, as
//! raw bytes on a TCP connection so nothing in between tidies them up, each from its own client address
//! (no rate limit answers first). None may hang. Every request for the worker must get a 4xx JSON error
//! with the expected code (the route's own refusal, not an earlier guard's) and a message naming the
//! problem, never a 5xx; broken HTTP, which the server in front of the worker refuses before the worker
//! sees it, must get an error status that is not the worker's. Prints one table.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use twin_e2e::Stack;

/// Longest any one request may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(25);

/// What a case must get.
enum Expect {
    /// The worker's JSON refusal: this status and `error.code`.
    Worker(u16, &'static str),
    /// A 4xx from the HTTP server before the worker (the request is not HTTP the worker can be given).
    Server,
}

struct Case {
    what: String,
    route: &'static str,
    /// The request up to its headers' end, without `Host`, the client address or `Connection`.
    head: String,
    body: Vec<u8>,
    /// Send the body a byte at a time this far apart (a slowloris upload).
    trickle: Option<Duration>,
    expect: Expect,
}

fn case(what: &str, route: &'static str, head: &str, body: &[u8], expect: Expect) -> Case {
    Case {
        what: what.to_string(),
        route,
        head: head.to_string(),
        body: body.to_vec(),
        trickle: None,
        expect,
    }
}

/// A `POST` of `body` with a JSON content type (and its true length) to `path`.
fn post(what: &str, route: &'static str, body: &[u8], expect: Expect) -> Case {
    case(
        what,
        route,
        &format!(
            "POST {route} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ),
        body,
        expect,
    )
}

fn chat(what: &str, body: &str, expect: Expect) -> Case {
    post(what, "/api/chat", body.as_bytes(), expect)
}

/// A chat request whose one message is `content` (already JSON-escaped).
fn ask(what: &str, content: &str, expect: Expect) -> Case {
    chat(
        what,
        &format!(r#"{{"backend":"echo","messages":[{{"role":"user","content":"{content}"}}]}}"#),
        expect,
    )
}

fn get(what: &str, target: &str, expect: Expect) -> Case {
    let route = if target.starts_with("/api/search") {
        "/api/search"
    } else {
        "(any)"
    };
    case(
        what,
        route,
        &format!("GET {target} HTTP/1.1\r\n"),
        b"",
        expect,
    )
}

/// The battery, in groups. (Not reformatted: one case a line reads as the table it prints.)
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Expect::{Server, Worker};
    let ok_chat = r#"{"backend":"echo","messages":[{"role":"user","content":"hi"}]}"#;
    let deep = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let deep_obj = format!("{}1{}", r#"{"a":"#.repeat(3_000), "}".repeat(3_000));
    let typed = |ct: &str| format!("POST /api/chat HTTP/1.1\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n", ok_chat.len());
    let many_headers: String = (0..3_000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let mut v = vec![
        // Methods.
        case("PUT on chat", "/api/chat", "PUT /api/chat HTTP/1.1\r\nContent-Length: 0\r\n", b"", Worker(405, "method_not_allowed")),
        case("DELETE on chat", "/api/chat", "DELETE /api/chat HTTP/1.1\r\n", b"", Worker(405, "method_not_allowed")),
        case("PATCH on feedback", "/api/feedback", "PATCH /api/feedback HTTP/1.1\r\nContent-Length: 0\r\n", b"", Worker(405, "method_not_allowed")),
        case("GET on warm", "/api/warm", "GET /api/warm HTTP/1.1\r\n", b"", Worker(405, "method_not_allowed")),
        case("POST on health", "/api/health", "POST /api/health HTTP/1.1\r\nContent-Length: 0\r\n", b"", Worker(405, "method_not_allowed")),
        case("POST on config", "/api/config", "POST /api/config HTTP/1.1\r\nContent-Length: 0\r\n", b"", Worker(405, "method_not_allowed")),
        case("a WebDAV method", "/api/search", "PROPFIND /api/search?q=tea HTTP/1.1\r\n", b"", Worker(405, "method_not_allowed")),
        // Paths.
        get("a path with a trailing slash", "/api/chat/", Worker(404, "not_found")),
        get("an encoded dot-dot path", "/api/%2e%2e/%2e%2e/etc/passwd", Worker(404, "not_found")),
        get("upper-case route", "/API/HEALTH", Worker(404, "not_found")),
        get("a NUL in the path", "/api/health%00", Worker(404, "not_found")),
        // Content types.
        case("chat as text/plain", "/api/chat", &typed("text/plain"), ok_chat.as_bytes(), Worker(415, "unsupported_media_type")),
        case("chat with no content type", "/api/chat", &format!("POST /api/chat HTTP/1.1\r\nContent-Length: {}\r\n", ok_chat.len()), ok_chat.as_bytes(), Worker(415, "unsupported_media_type")),
        case("chat as a form", "/api/chat", &typed("application/x-www-form-urlencoded"), ok_chat.as_bytes(), Worker(415, "unsupported_media_type")),
        case("application/jsonx", "/api/chat", &typed("application/jsonx"), ok_chat.as_bytes(), Worker(415, "unsupported_media_type")),
        case("feedback as multipart", "/api/feedback", "POST /api/feedback HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 4\r\n", b"--x\n", Worker(415, "unsupported_media_type")),
        // Broken and deep JSON.
        chat("an empty body", "", Worker(400, "invalid_json")),
        chat("JSON cut short", r#"{"backend":"echo","messages":[{"role":"us"#, Worker(400, "invalid_json")),
        chat("trailing garbage", &format!("{ok_chat} and more"), Worker(400, "invalid_json")),
        chat("a byte-order mark first", &format!("\u{feff}{ok_chat}"), Worker(400, "invalid_json")),
        chat("single quotes", "{'backend':'echo'}", Worker(400, "invalid_json")),
        // Deep nesting is refused by its shape at the first level (no recursion to exhaust)...
        chat("5,000 nested arrays", &deep, Worker(400, "invalid_request")),
        chat("3,000 nested objects", &deep_obj, Worker(400, "invalid_request")),
        // ...and where an array may go, by serde_json's depth limit (128).
        chat("5,000 nested arrays as messages", &format!(r#"{{"backend":"echo","messages":{deep}}}"#), Worker(400, "invalid_json")),
        chat("a lone surrogate escape", r#"{"backend":"echo","messages":[{"role":"user","content":"\ud800"}]}"#, Worker(400, "invalid_json")),
        chat("a raw NUL inside a string", "{\"backend\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u{0}b\"}]}", Worker(400, "invalid_json")),
        // Wrong types, huge numbers, unknown fields.
        chat("null", "null", Worker(400, "invalid_request")),
        chat("an array", "[]", Worker(400, "invalid_request")),
        chat("an empty object", "{}", Worker(400, "invalid_request")),
        chat("backend a number", r#"{"backend":12,"messages":[{"role":"user","content":"hi"}]}"#, Worker(400, "invalid_request")),
        chat("backend 1e400", r#"{"backend":1e400,"messages":[]}"#, Worker(400, "invalid_json")),
        chat("content 2^64", r#"{"backend":"echo","messages":[{"role":"user","content":18446744073709551616}]}"#, Worker(400, "invalid_request")),
        chat("live a string", r#"{"backend":"echo","messages":[{"role":"user","content":"hi"}],"live":"yes"}"#, Worker(400, "invalid_request")),
        chat("role admin", r#"{"backend":"echo","messages":[{"role":"admin","content":"hi"}]}"#, Worker(400, "invalid_request")),
        chat("an unknown top-level field", r#"{"backend":"echo","messages":[{"role":"user","content":"hi"}],"temperature":2}"#, Worker(400, "invalid_request")),
        chat("an unknown message field", r#"{"backend":"echo","messages":[{"role":"user","content":"hi","name":"root"}]}"#, Worker(400, "invalid_request")),
        chat("a key given twice", r#"{"backend":"echo","backend":"rag","messages":[{"role":"user","content":"hi"}]}"#, Worker(400, "invalid_request")),
        chat("a backend id 100 KB long", &format!(r#"{{"backend":"{}","messages":[]}}"#, "b".repeat(100_000)), Worker(413, "body_too_large")),
        chat("a signature on the reader's message", r#"{"backend":"echo","messages":[{"role":"user","content":"hi","signature":"00"}]}"#, Worker(400, "invalid_request")),
        // Bad UTF-8 and overlong encodings.
        post("bytes that are not UTF-8", "/api/chat", b"{\"backend\":\"\xff\xfe\"}", Worker(400, "invalid_utf8")),
        post("an overlong '/' (C0 AF)", "/api/chat", b"{\"backend\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"\xc0\xaf\"}]}", Worker(400, "invalid_utf8")),
        post("a surrogate in UTF-8 (ED A0 80)", "/api/chat", b"{\"backend\":\"\xed\xa0\x80\"}", Worker(400, "invalid_utf8")),
        get("an overlong encoding in q", "/api/search?q=%C0%AF", Worker(400, "bad_query")),
        get("bad UTF-8 in q", "/api/search?q=salt%FF", Worker(400, "bad_query")),
        // NUL, control, direction and zero-width characters.
        ask("an escaped NUL in a question", r"tea\u0000time", Worker(400, "invalid_request")),
        ask("an escape sequence in a question", r"\u001b[2Jhello", Worker(400, "invalid_request")),
        ask("a C1 control in a question", r"hi\u0085there", Worker(400, "invalid_request")),
        ask("a right-to-left override", r"please read \u202eevil\u202c backwards", Worker(400, "invalid_request")),
        ask("a bidi isolate", r"a \u2066b\u2069 c", Worker(400, "invalid_request")),
        ask("zero-width characters only", r"\u200b\u200c\u200d\u2060\ufeff", Worker(400, "empty_message")),
        get("a NUL in q", "/api/search?q=salt%00air", Worker(400, "bad_query")),
        get("a right-to-left override in q", "/api/search?q=%E2%80%AEsalt", Worker(400, "bad_query")),
        // The search route's parameters.
        get("search without q", "/api/search", Worker(400, "missing_query")),
        get("q of spaces", "/api/search?q=+++", Worker(400, "missing_query")),
        get("k not a number", "/api/search?q=salt&k=lots", Worker(400, "bad_query")),
        get("k past u64", "/api/search?q=salt&k=99999999999999999999999", Worker(400, "bad_query")),
        get("k negative", "/api/search?q=salt&k=-1", Worker(400, "bad_query")),
        get("q 3,000 characters", &format!("/api/search?q={}", "a".repeat(3_000)), Worker(400, "query_too_long")),
        // The other POST routes.
        post("feedback that is not JSON", "/api/feedback", b"thumbs up", Worker(400, "invalid_json")),
        post("feedback of the wrong shape", "/api/feedback", br#"{"trace":1,"kind":"up"}"#, Worker(400, "invalid_request")),
        post("warm for a backend that does not exist", "/api/warm", br#"{"backend":"skynet"}"#, Worker(400, "unknown_backend")),
        post("warm that is not JSON", "/api/warm", b"{{{", Worker(400, "invalid_json")),
        // Oversized and dishonest bodies.
        post("a 1 MB body", "/api/chat", &vec![b' '; 1024 * 1024], Worker(413, "body_too_large")),
        case("a declared 10 GB body", "/api/chat", "POST /api/chat HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n", b"{}", Worker(413, "body_too_large")),
        // Headers the worker reads, made hostile.
        case("a control character in Content-Type", "/api/chat", &typed("application/json\x01"), ok_chat.as_bytes(), Worker(415, "unsupported_media_type")),
        case("an Origin 100 KB long", "/api/config", &format!("GET /api/config HTTP/1.1\r\nOrigin: https://{}.example\r\n", "a".repeat(100 * 1024)), b"", Worker(403, "origin_not_allowed")),
        case("a control character in Origin", "/api/config", "GET /api/config HTTP/1.1\r\nOrigin: http://127.0.0.1:8080\x01\r\n", b"", Worker(403, "origin_not_allowed")),
        case("3,000 headers and a wrong content type", "/api/chat", &format!("POST /api/chat HTTP/1.1\r\nContent-Type: text/csv\r\nContent-Length: 2\r\n{many_headers}"), b"{}", Worker(415, "unsupported_media_type")),
        // Broken HTTP: answered by the HTTP server in front of the worker, which never sees it (a bad
        // chunk reaches the worker as a body that ends early: refused as what it is).
        case("an invented method", "(any)", "BREW /api/search?q=tea HTTP/1.1\r\n", b"", Server),
        case("a Content-Length that is not a number", "/api/chat", "POST /api/chat HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: lots\r\n", b"", Server),
        case("a bad chunk size", "/api/chat", "POST /api/chat HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n", b"zz\r\nhello\r\n0\r\n\r\n", Worker(400, "invalid_json")),
        case("a request line of garbage", "(any)", "HELLO THERE\r\n", b"", Server),
    ];
    // A body trickled a byte every 60 ms (about 4 s in all) is read to its end and judged like any.
    v.push(Case {
        trickle: Some(Duration::from_millis(60)),
        ..chat("a slowloris body (a byte every 60 ms)", r#"{"backend":"skynet","messages":[{"role":"user","content":"hi"}]}"#, Worker(400, "unknown_backend"))
    });
    v
}

/// Sends one case on its own connection as client `ip`: the status, the body, and how long it took.
fn send(addr: &str, c: &Case, ip: &str) -> Result<(u16, String, Duration), String> {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(HANG)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(HANG)).map_err(|e| e.to_string())?;
    let head = format!(
        "{}Host: {addr}\r\ncf-connecting-ip: {ip}\r\nConnection: close\r\n\r\n",
        c.head
    );
    // A refused request may be answered (and the connection closed) before all of it is written.
    let _ = s.write_all(head.as_bytes());
    match c.trickle {
        None => {
            let _ = s.write_all(&c.body);
        }
        Some(gap) => {
            for b in &c.body {
                if s.write_all(&[*b]).is_err() || started.elapsed() > HANG {
                    break;
                }
                std::thread::sleep(gap);
            }
        }
    }
    let raw = read_response(&mut s);
    if raw.is_empty() {
        return Err(format!("no answer after {:?}", started.elapsed()));
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            format!(
                "no status line in {:?}",
                head.chars().take(80).collect::<String>()
            )
        })?;
    let payload = &raw[end + 4..];
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(payload).ok_or("a chunked body that does not end")?
    } else {
        payload.to_vec()
    };
    let body = String::from_utf8_lossy(&body).to_string();
    Ok((status, body, started.elapsed()))
}

/// Reads one response: its head, then as much body as `Content-Length` says, or chunks to the last
/// one, or to the connection's end (a server may keep the connection open after answering a request
/// whose body it did not read, so reading to the end would wait for its timeout).
fn read_response(s: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let body = &raw[end + 4..];
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse::<usize>().ok());
            let done = match length {
                Some(n) => body.len() >= n,
                None if head.contains("transfer-encoding: chunked") => dechunk(body).is_some(),
                None => false,
            };
            if done {
                return raw;
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return raw,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// The payload of a chunked body, on its bytes (chunk sizes count bytes); `None` until its last, empty
/// chunk has arrived.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line = body.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(&body[..line]).ok()?;
        let n = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        let rest = body.get(line + 2..)?;
        if n == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..n)?);
        body = rest.get(n..)?.strip_prefix(b"\r\n")?;
    }
}

/// Whether one answer is what the case expects; the cell for the table.
fn judge(c: &Case, status: u16, body: &str) -> Result<String, String> {
    let (want, code) = match c.expect {
        // Not the worker's to answer: an error status from the server in front (printed: under
        // `wrangler dev` its Node front end says 500 or 501), at once, and not the worker's JSON,
        // which would mean the broken request reached it.
        Expect::Server => {
            if status < 400 {
                return Err(format!("HTTP {status} for broken HTTP"));
            }
            if body.contains("\"error\"") {
                return Err(format!("the worker answered broken HTTP: {body}"));
            }
            let first: String = body
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(60)
                .collect();
            return Ok(format!("{status} from the HTTP server: {first}"));
        }
        Expect::Worker(want, code) => (want, code),
    };
    if !(400..500).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            body.chars().take(120).collect::<String>()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|_| format!("HTTP {status}, not JSON: {body:?}"))?;
    let got = v["error"]["code"].as_str().ok_or("no error.code")?;
    let message = v["error"]["message"].as_str().ok_or("no error.message")?;
    if (status, got) != (want, code) {
        return Err(format!(
            "HTTP {status} {got}, expected {want} {code}: {message}"
        ));
    }
    if message.len() < 10 {
        return Err(format!("a message that explains nothing: {message:?}"));
    }
    Ok(format!("{status} {code}"))
}

pub fn hostile_requests_get_a_4xx_naming_the_problem(stack: &Stack, _: &twin_e2e::Client) {
    let addr = stack
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let cases = cases();
    let to_worker = cases
        .iter()
        .filter(|c| matches!(c.expect, Expect::Worker(..)))
        .count();
    assert!(
        to_worker >= 50,
        "the battery has only {to_worker} requests for the worker"
    );
    let mut failures = Vec::new();
    println!(
        "\nhostile input ({} requests, {to_worker} of them for the worker; each on its own connection and client address)",
        cases.len()
    );
    println!("| # | request | route | answer | time |");
    println!("|---|---|---|---|---|");
    for (i, c) in cases.iter().enumerate() {
        let ip = format!("203.0.113.{}", i + 1);
        let (cell, took) = match send(&addr, c, &ip) {
            Ok((status, body, took)) => (judge(c, status, &body), took),
            Err(e) => (Err(e), HANG),
        };
        let cell = cell.and_then(|v| {
            if took >= HANG {
                Err(format!("took {took:?}"))
            } else {
                Ok(v)
            }
        });
        let shown = match &cell {
            Ok(v) => v.clone(),
            Err(e) => {
                failures.push(format!("{}: {e}", c.what));
                format!("FAILED: {e}")
            }
        };
        println!(
            "| {} | {} | {} | {} | {} ms |",
            i + 1,
            c.what,
            c.route,
            shown,
            took.as_millis()
        );
    }
    // The worker still serves a normal request afterwards.
    let after = twin_e2e::Client::new(&stack.url, "203.0.113.250");
    assert_eq!(
        after.get_json("/api/health").0,
        200,
        "health after the battery"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
