//! An HTTP client for the worker's API that reads the chat stream with the project's own SSE decoding.

use futures_util::StreamExt;
use serde_json::Value;
use std::time::{Duration, Instant};
use twin_shared::sse::sse_events;
use twin_shared::{ChatEvent, Done, ErrorEvent, Source, Status};

/// Everything one chat request produced.
#[derive(Debug, Default)]
pub struct ChatRun {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The JSON body of a refused request.
    pub body: Option<Value>,
    pub events: Vec<ChatEvent>,
    /// Time to the first `delta`.
    pub first_delta: Option<Duration>,
    pub total: Duration,
    /// A transport error while reading the stream.
    pub broken: Option<String>,
}

impl ChatRun {
    pub fn names(&self) -> Vec<&'static str> {
        self.events.iter().map(ChatEvent::name).collect()
    }
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Delta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
    pub fn sources(&self) -> Vec<Source> {
        self.events
            .iter()
            .find_map(|e| match e {
                ChatEvent::Sources(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }
    pub fn statuses(&self) -> Vec<Status> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::Status(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }
    pub fn done(&self) -> Option<&Done> {
        self.events.iter().find_map(|e| match e {
            ChatEvent::Done(d) => Some(d),
            _ => None,
        })
    }
    /// The stream's `error` event; panics, showing what came instead, when there is none.
    pub fn expect_error(&self) -> &ErrorEvent {
        self.error().unwrap_or_else(|| {
            panic!(
                "an error event: {:?} {} {:?} {:?}",
                self.names(),
                self.status,
                self.body,
                self.headers
            )
        })
    }
    pub fn error(&self) -> Option<&ErrorEvent> {
        self.events.iter().find_map(|e| match e {
            ChatEvent::Error(d) => Some(d),
            _ => None,
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// The refused request's error code.
    pub fn code(&self) -> Option<&str> {
        self.body.as_ref()?.get("error")?.get("code")?.as_str()
    }
}

/// A client bound to one worker URL, posing as one client IP (the rate limit's key).
pub struct Client {
    pub base: String,
    pub ip: String,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Client {
    pub fn new(base: &str, ip: &str) -> Client {
        twin_eval::http::install_tls();
        Client {
            base: base.to_string(),
            ip: ip.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .pool_max_idle_per_host(0)
                .build()
                .expect("http client"),
            rt: tokio::runtime::Runtime::new().expect("runtime"),
        }
    }

    /// A request builder with this client's IP.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("cf-connecting-ip", &self.ip)
    }

    /// Sends and returns status, headers and body text.
    pub fn send(&self, rb: reqwest::RequestBuilder) -> (u16, Vec<(String, String)>, String) {
        self.rt.block_on(async {
            let r = rb.send().await.expect("request");
            let status = r.status().as_u16();
            let headers = headers(&r);
            (status, headers, r.text().await.unwrap_or_default())
        })
    }

    /// `GET path` as JSON.
    pub fn get_json(&self, path: &str) -> (u16, Value) {
        let (s, _, body) = self.send(self.request(reqwest::Method::GET, path));
        (s, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Posts a chat with one question to `backend`.
    pub fn ask(&self, backend: &str, question: &str) -> ChatRun {
        let body = serde_json::json!({"backend": backend, "messages": [{"role": "user", "content": question}]});
        self.chat(self.request(reqwest::Method::POST, "/api/chat").json(&body))
    }

    /// Sends a prepared chat request, reads its stream until the first `delta`, and leaves (drops the
    /// connection), as a reader closing the page mid-answer does. True if a `delta` came.
    pub fn leave_after_first_delta(&self, rb: reqwest::RequestBuilder) -> bool {
        self.rt.block_on(async {
            let Ok(r) = rb.send().await else {
                return false;
            };
            let mut events = sse_events(r.bytes_stream());
            while let Some(Ok(ev)) = events.next().await {
                if ev.event == "delta" {
                    return true;
                }
            }
            false
        })
    }

    /// Sends a prepared chat request and reads the whole event stream.
    pub fn chat(&self, rb: reqwest::RequestBuilder) -> ChatRun {
        self.rt.block_on(async {
            let start = Instant::now();
            let r = rb.send().await.expect("request");
            let mut run = ChatRun {
                status: r.status().as_u16(),
                headers: headers(&r),
                ..Default::default()
            };
            if run.status != 200 {
                run.body = r.json().await.ok();
                run.total = start.elapsed();
                return run;
            }
            let mut events = sse_events(r.bytes_stream());
            while let Some(item) = events.next().await {
                match item {
                    Ok(ev) => match ChatEvent::from_sse(&ev.event, &ev.data) {
                        Some(Ok(e)) => {
                            if matches!(e, ChatEvent::Delta { .. }) && run.first_delta.is_none() {
                                run.first_delta = Some(start.elapsed());
                            }
                            run.events.push(e);
                        }
                        Some(Err(e)) => {
                            panic!("the worker sent a malformed {} event: {e}", ev.event)
                        }
                        None => {}
                    },
                    Err(e) => {
                        run.broken = Some(e.to_string());
                        break;
                    }
                }
            }
            run.total = start.elapsed();
            run
        })
    }
}

fn headers(r: &reqwest::Response) -> Vec<(String, String)> {
    r.headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

/// Percent-encodes a query parameter (everything but unreserved characters), for `/api/search?q=`.
pub fn encode_query(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
