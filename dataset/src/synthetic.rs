//! Strategy 3, synthetic Q&A: an LLM writes reader questions and first-person answers from each post,
//! through an Anthropic or OpenAI-compatible endpoint. Off by default. Every reply is cached on disk,
//! keyed by model, prompt and post, so a rerun costs nothing.

use super::example::{Example, Strategy, stable_hash};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use twin_upstream::Provider;

/// Where and how to generate.
#[derive(Clone)]
pub struct Generator {
    /// Base URL without `/v1/...`.
    pub base_url: String,
    /// The protocol the generating model speaks.
    pub protocol: Provider,
    /// Its model id.
    pub model: String,
    /// From the environment (`ANTHROPIC_API_KEY` or `OPENAI_API_KEY`), never from a flag or a file.
    pub key: Option<String>,
    /// Where replies are cached.
    pub cache_dir: PathBuf,
    /// Questions asked per post.
    pub per_post: usize,
}

/// The key is never printed.
impl std::fmt::Debug for Generator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator")
            .field("base_url", &self.base_url)
            .field("protocol", &self.protocol)
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .field("cache_dir", &self.cache_dir)
            .field("per_post", &self.per_post)
            .finish()
    }
}

/// A post to write questions about.
pub struct Post<'a> {
    /// Its slug (examples name their source by it).
    pub slug: &'a str,
    /// Its title, quoted in the prompt.
    pub title: &'a str,
    /// Its text, every passage joined.
    pub text: String,
}

/// What a run did: examples, and how many replies came from the cache or were unreadable.
#[derive(Debug, Default)]
pub struct Generated {
    /// The question and answer pairs, as examples.
    pub examples: Vec<Example>,
    /// Replies read from the cache.
    pub cached: usize,
    /// Replies asked for.
    pub fetched: usize,
    /// Reply lines that were not a `{"q", "a"}` object.
    pub bad_lines: usize,
}

fn prompt(author: &str, post: &Post, n: usize) -> String {
    format!(
        "Below is a blog post by {author}, titled \"{}\". Write {n} questions a reader might ask that this post \
         answers, each with the answer {author} would give: first person, in the post's voice, using only facts \
         from the post. Reply with exactly {n} lines of JSON, one object per line: {{\"q\": \"...\", \"a\": \"...\"}}.\n\n\
         <post>\n{}\n</post>",
        post.title, post.text
    )
}

/// Parses JSON lines of `{"q", "a"}`; returns the pairs and how many lines were not such objects.
pub fn parse_reply(reply: &str) -> (Vec<(String, String)>, usize) {
    let mut pairs = Vec::new();
    let mut bad = 0;
    for line in reply
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "```" && !l.starts_with("```"))
    {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => match (v["q"].as_str(), v["a"].as_str()) {
                (Some(q), Some(a)) if !q.trim().is_empty() && !a.trim().is_empty() => {
                    pairs.push((q.trim().to_string(), a.trim().to_string()))
                }
                _ => bad += 1,
            },
            Err(_) => bad += 1,
        }
    }
    (pairs, bad)
}

fn call(g: &Generator, prompt: &str) -> Result<String, String> {
    let agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(180)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let url = g.protocol.endpoint(&g.base_url);
    let body = g.protocol.one_shot_body(&g.model, 1500, None, prompt);
    let mut req = agent.post(&url).header("content-type", "application/json");
    // Without a key, an Anthropic-protocol local server still gets a (dummy) key header.
    let key = match (&g.key, g.protocol) {
        (Some(k), _) => Some(k.as_str()),
        (None, Provider::Anthropic) => Some("none"),
        (None, Provider::Openai) => None,
    };
    for (name, value) in g.protocol.headers(key) {
        req = req.header(name, &value);
    }
    let mut resp = req
        .send(body.to_string())
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("{url}: reading the reply: {e}"))?;
    if status != 200 {
        return Err(format!("{url} answered HTTP {status}"));
    }
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{url}: the reply is not JSON: {e}"))?;
    g.protocol
        .reply_text(&v)
        .map(str::to_string)
        .ok_or_else(|| format!("{url}: the reply has no text"))
}

/// Generates (or reads from the cache) questions for every post.
pub fn examples(
    author: &str,
    posts: &[Post],
    g: &Generator,
    progress: &mut dyn FnMut(usize),
) -> Result<Generated, String> {
    std::fs::create_dir_all(&g.cache_dir).map_err(|e| format!("{}: {e}", g.cache_dir.display()))?;
    let mut out = Generated::default();
    for (i, post) in posts.iter().enumerate() {
        let p = prompt(author, post, g.per_post);
        let key = stable_hash(&format!("{:?}\n{}\n{}", g.protocol, g.model, p));
        let path = g.cache_dir.join(format!("{key:016x}.txt"));
        let reply = match std::fs::read_to_string(&path) {
            Ok(r) => {
                out.cached += 1;
                r
            }
            Err(_) => {
                let r = call(g, &p)?;
                std::fs::write(&path, &r).map_err(|e| format!("{}: {e}", path.display()))?;
                out.fetched += 1;
                r
            }
        };
        let (pairs, bad) = parse_reply(&reply);
        out.bad_lines += bad;
        out.examples.extend(pairs.into_iter().map(|(q, a)| Example {
            strategy: Strategy::Synthetic,
            source: post.slug.to_string(),
            user: q,
            assistant: a,
        }));
        progress(i + 1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_json_lines_and_counts_the_rest() {
        let reply = "```json\n{\"q\": \"Why?\", \"a\": \"Because.\"}\nnot json\n{\"q\": \"\", \"a\": \"x\"}\n{\"q\": \"How?\", \"a\": \"Slowly.\"}\n```";
        let (pairs, bad) = parse_reply(reply);
        assert_eq!(
            pairs,
            [
                ("Why?".into(), "Because.".into()),
                ("How?".into(), "Slowly.".into())
            ]
        );
        assert_eq!(bad, 2);
    }
}
