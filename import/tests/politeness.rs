//! Politeness on the wire: a recording server (plain `std::net`, a few lines of HTTP/1.1) sees every
//! request of a sitemap crawl carry twin's user agent and arrive at least the delay apart, and no
//! request follow a redirect into a path robots.txt disallows or onto another host.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn article(n: usize) -> String {
    format!(
        "<!doctype html><html><head><title>Post {n}</title><meta property=\"article:published_time\" content=\"2024-05-0{n}T10:00:00Z\"></head><body><article><h1>Post {n}</h1><p>{}</p></article></body></html>",
        "Every tide table gives the height above chart datum and the time of each high and low water. ".repeat(4)
    )
}

/// Serves robots.txt, a sitemap of three posts and the posts; records (path, user agent, arrival).
/// (path, user agent, arrival) of every request.
type Log = Arc<Mutex<Vec<(String, String, Instant)>>>;

fn recording_server() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (seen, site) = (log.clone(), base.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut agent = String::new();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("user-agent:") {
                    agent = v.trim().to_string();
                }
            }
            seen.lock()
                .expect("log")
                .push((path.clone(), agent, Instant::now()));
            let body = match path.as_str() {
                "/robots.txt" => "User-agent: *\nDisallow: /private/\n".to_string(),
                "/sitemap.xml" => format!(
                    "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{}</urlset>",
                    (1..=3)
                        .map(|n| format!("<url><loc>{site}/p{n}.html</loc></url>"))
                        .collect::<String>()
                        + &format!(
                            "<url><loc>{site}/r1.html</loc></url><url><loc>{site}/r2.html</loc></url>"
                        )
                ),
                p => p
                    .strip_prefix("/p")
                    .and_then(|r| r.strip_suffix(".html"))
                    .and_then(|n| n.parse().ok())
                    .map(article)
                    .unwrap_or_default(),
            };
            let mut out = stream;
            // Two redirects: into a disallowed path, and onto another host.
            let redirect = match path.as_str() {
                "/r1.html" => Some("/private/p1.html"),
                "/r2.html" => Some("http://elsewhere.invalid/p1.html"),
                _ => None,
            };
            let _ = match redirect {
                Some(to) => write!(
                    out,
                    "HTTP/1.1 301 Moved\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                ),
                None => write!(
                    out,
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                ),
            };
        }
    });
    (base, log)
}

#[test]
fn every_request_names_twin_and_waits_its_turn() {
    let (base, log) = recording_server();
    let dir = content_dir();
    let mut opts = options(dir.path());
    opts.politeness.delay = Duration::from_millis(300);
    let report = run(&format!("{base}/sitemap.xml"), &opts).expect("import");
    assert_eq!(report.written.created.len(), 3, "{report:?}");
    let log = log.lock().expect("log").clone();
    let paths: Vec<&str> = log.iter().map(|(p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths.len(),
        7,
        "robots.txt, the sitemap, three posts, two redirects: {paths:?}"
    );
    assert!(paths.contains(&"/robots.txt") && paths.contains(&"/sitemap.xml"));
    assert!(
        !paths.iter().any(|p| p.starts_with("/private/")),
        "{paths:?}"
    );
    assert_eq!(skip_reason(&report, "/r1.html"), "robots.txt disallows it");
    assert_eq!(
        skip_reason(&report, "/r2.html"),
        "on another host than the blog: not fetched"
    );
    for (path, agent, _) in &log {
        assert!(
            agent.starts_with("twin-import/") && agent.contains("personal-twin"),
            "{path}: {agent}"
        );
    }
    for pair in log.windows(2) {
        let gap = pair[1].2 - pair[0].2;
        assert!(
            gap >= Duration::from_millis(250),
            "{} then {} only {gap:?} apart",
            pair[0].0,
            pair[1].0
        );
    }
}
