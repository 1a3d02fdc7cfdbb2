//! Test helpers: POST a streaming request and collect the SSE events (decoded by `eventsource-stream`).
//! Shared by the test files of this folder; each uses a different part.
#![allow(dead_code)]

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// What a streamed response delivered.
#[derive(Debug, Default)]
pub struct Collected {
    pub status: u16,
    /// (event name, data) pairs in order; the name is "message" when the frame has none.
    pub events: Vec<(String, String)>,
    /// The stream's transport or framing error, if it ended with one.
    pub error: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Time to the first event.
    pub first_event: Option<Duration>,
    pub total: Duration,
}

impl Collected {
    pub fn names(&self) -> Vec<&str> {
        self.events.iter().map(|(e, _)| e.as_str()).collect()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn anthropic_body(question: &str, max_tokens: u32) -> Value {
    json!({"model": "claude-haiku-local", "max_tokens": max_tokens, "stream": true,
           "system": "You are Ilse, a blogger. Answer briefly.",
           "messages": [{"role": "user", "content": question}]})
}

pub fn openai_body(question: &str, max_tokens: u32) -> Value {
    json!({"model": "tuned", "max_tokens": max_tokens, "stream": true,
           "messages": [{"role": "system", "content": "You are Ilse, a blogger. Answer briefly."},
                        {"role": "user", "content": question}]})
}

/// Makes ring the TLS provider (reqwest may be built without one; see local/Cargo.toml).
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client(timeout: Duration) -> reqwest::Client {
    install_tls();
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        // llama-server may close a connection after a streamed answer; never reuse one.
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// POSTs `body` to `url` (Anthropic headers included) and reads the whole stream.
pub async fn post_stream(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
) -> Result<Collected, reqwest::Error> {
    let start = Instant::now();
    let resp = client
        .post(url)
        .header("x-api-key", "local-test-key")
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await?;
    let mut c = Collected {
        status: resp.status().as_u16(),
        headers: resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        ..Default::default()
    };
    if c.status != 200 {
        let text = resp.text().await.unwrap_or_default();
        c.events.push(("http-error".into(), text));
        c.total = start.elapsed();
        return Ok(c);
    }
    let mut stream = resp.bytes_stream().eventsource();
    while let Some(item) = stream.next().await {
        match item {
            Ok(ev) => {
                c.first_event.get_or_insert_with(|| start.elapsed());
                c.events.push((ev.event, ev.data));
            }
            Err(e) => {
                c.error = Some(e.to_string());
                break;
            }
        }
    }
    c.total = start.elapsed();
    Ok(c)
}

/// The text of an Anthropic stream's `content_block_delta`s.
pub fn anthropic_text(c: &Collected) -> String {
    c.events
        .iter()
        .filter(|(e, _)| e == "content_block_delta")
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| v["delta"]["text"].as_str().map(str::to_string))
        .collect()
}

/// The text of an OpenAI stream's chunks.
pub fn openai_text(c: &Collected) -> String {
    c.events
        .iter()
        .filter(|(_, d)| d != "[DONE]")
        .filter_map(|(_, d)| serde_json::from_str::<Value>(d).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_string)
        })
        .collect()
}

/// The chunks of a complete OpenAI stream: asserts it ends with `[DONE]` and that every other event is a
/// `chat.completion.chunk` object.
pub fn openai_chunks(c: &Collected) -> Vec<Value> {
    assert_eq!(
        c.events.last().map(|(_, d)| d.as_str()),
        Some("[DONE]"),
        "{:?}",
        c.events
    );
    let chunks: Vec<Value> = c.events[..c.events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).expect("chunk JSON"))
        .collect();
    assert!(
        chunks
            .iter()
            .all(|v| v["object"] == "chat.completion.chunk"),
        "{chunks:?}"
    );
    chunks
}
