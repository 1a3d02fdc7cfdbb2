//! The scale curve: generated blogs of 100 to 50,000 posts, each indexed by `twin index` and served by
//! the worker under `wrangler dev` (embedded up to 1.5 MB, a static asset above; see
//! `scripts/worker-index.sh`). Prints one table: index build time, blob size, worker bundle gzip, the
//! first request after a fresh start (index load + open + one search), and retrieval p50/p99 inside
//! the worker. Run: `cargo bench -p twin-e2e --bench scale` (`TWIN_SCALE_SIZES=100,1000` for fewer).
//!
//! The posts are drawn from the demo blog's own words by Zipf's law (a fixed generator, three sections of
//! two paragraphs each, about 360 words a post), so postings lengths grow as a real blog's would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use twin_e2e::{Client, Stack, encode_query};
use twin_local::StandIn;
use twin_local::wrangler::WranglerDev;
use twin_upstream::{Backend, Provider};

/// The largest blob one static asset may be (Workers Static Assets' per-file limit).
const ASSET_LIMIT: u64 = 25 * 1024 * 1024;
/// Search requests per size for the percentiles, and how often each is asked.
const QUERIES: usize = 100;
const REPEATS: usize = 3;

/// A fixed xorshift: the same corpus every run.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// `k` words of `vocab` (most common first), drawn as natural language uses words (Zipf's law: the
    /// word of rank r about as often as 1/r), so a post repeats common words and meets rare ones seldom.
    fn words(&mut self, vocab: &[String], k: usize) -> String {
        let n = vocab.len() as f64;
        (0..k)
            .map(|_| {
                let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
                let rank = ((n + 1.0).powf(u) - 1.0) as usize;
                vocab[rank.min(vocab.len() - 1)].as_str()
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The demo blog's words (lower-case, letters only), most common first: the generator's vocabulary.
fn demo_vocabulary(root: &Path) -> Vec<String> {
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    let posts = root.join("content/posts");
    for entry in std::fs::read_dir(&posts).expect("content/posts").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for w in text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.len() > 1)
        {
            *counts.entry(w.to_lowercase()).or_default() += 1;
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    words.into_iter().map(|(w, _)| w).collect()
}

/// Writes `n` generated posts (and the demo's `site.toml`) into `dir`.
fn write_corpus(root: &Path, dir: &Path, n: usize, vocab: &[String]) {
    let _ = std::fs::remove_dir_all(dir);
    let posts = dir.join("posts");
    std::fs::create_dir_all(&posts).expect("corpus dir");
    std::fs::copy(root.join("content/site.toml"), dir.join("site.toml")).expect("site.toml");
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    for i in 0..n {
        let mut post = format!(
            "---\ntitle: \"{}\"\ndate: 2024-01-01\nslug: gen-{i}\n---\n",
            draw.words(vocab, 6)
        );
        for _ in 0..3 {
            post.push_str(&format!(
                "\n## {}\n\n{}\n\n{}\n",
                draw.words(vocab, 3),
                draw.words(vocab, 60),
                draw.words(vocab, 60)
            ));
        }
        std::fs::write(posts.join(format!("gen-{i}.md")), post).expect("a post");
    }
}

fn gzip_len(path: &Path) -> u64 {
    let out = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .expect("gzip");
    assert!(out.status.success(), "gzip {}", path.display());
    out.stdout.len() as u64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One row of the table.
struct Row {
    posts: usize,
    build_s: f64,
    blob: u64,
    served: String,
    bundle_gz: Option<u64>,
    first_ms: Option<f64>,
    /// CPU each program of `wrangler dev` spent during the first request.
    first_cpu: String,
    /// The median `/api/health` round trip the retrieval times are net of.
    health_ms: Option<f64>,
    /// The same measurements without the DevTools inspector `wrangler dev` attaches.
    no_inspector: Option<NoInspector>,
    p50: Option<f64>,
    p99: Option<f64>,
}

/// The first request and the health round trip of a worker started without the DevTools inspector.
struct NoInspector {
    first_ms: f64,
    first_cpu: String,
    health_ms: f64,
}

/// The worker for `blob` under wrangler dev: served how, bundle gzip, first request, p50/p99.
fn measure(root: &Path, blob: &Path, queries: &[String], stand_in: &StandIn, row: &mut Row) {
    let echo = Backend::new(
        "echo",
        "echo",
        Provider::Openai,
        &stand_in.base_url(),
        "local",
    );
    let log = root.join(format!("build/logs/scale/wrangler-{}.log", row.posts));
    let blob_env = blob.display().to_string();
    let vars = [("BACKENDS", serde_json::json!([echo]).to_string())];
    let build_env = [("TWIN_INDEX_FROM", blob_env.as_str())];
    let worker =
        WranglerDev::start_with_build_env(&root.join("worker"), &vars, &[], &log, &build_env)
            .expect("wrangler dev");
    let asset = std::fs::read_to_string(worker.staged.join("index.asset")).expect("index.asset");
    row.served = if asset.trim().is_empty() {
        "embedded".into()
    } else {
        "static asset".into()
    };
    let build = worker.staged.join("build");
    row.bundle_gz =
        Some(gzip_len(&build.join("index.js")) + gzip_len(&build.join("index_bg.wasm")));
    let (first_ms, first_cpu) = first_request(&worker, &queries[0]);
    row.first_ms = Some(first_ms);
    row.first_cpu = first_cpu;
    let mut n = 0usize;
    let mut timed = |path: &str| timed_get(&worker, &mut n, path);
    let health = median((0..30).map(|_| timed("/api/health")).collect());
    row.health_ms = Some(health);
    let mut spent = vec![Vec::new(); queries.len()];
    for _ in 0..REPEATS {
        for (i, q) in queries.iter().enumerate() {
            let ms = timed(&format!("/api/search?k=5&q={}", encode_query(q)));
            spent[i].push((ms - health).max(0.0));
        }
    }
    let per_query: Vec<f64> = spent.into_iter().map(median).collect();
    row.p50 = twin_eval::stats::quantile(&per_query, 0.5);
    row.p99 = twin_eval::stats::quantile(&per_query, 0.99);
    drop(worker);
    // The same worker without the inspector: what `wrangler dev`'s DevTools connection costs.
    let quiet = WranglerDev::start_without_inspector(
        &root.join("worker"),
        &vars,
        &[],
        &root.join(format!("build/logs/scale/no-inspector-{}.log", row.posts)),
        &build_env,
    )
    .expect("the worker without the inspector");
    let (first_ms, first_cpu) = first_request(&quiet, &queries[0]);
    let mut n = 0usize;
    let health_ms = median(
        (0..30)
            .map(|_| timed_get(&quiet, &mut n, "/api/health"))
            .collect(),
    );
    row.no_inspector = Some(NoInspector {
        first_ms,
        first_cpu,
        health_ms,
    });
}

/// The first request of a fresh isolate (a search: the index is loaded when an asset, and opened), and
/// the CPU each program under `worker` spent meanwhile: wrangler's `node`, `workerd` (the worker, the
/// local asset server and wrangler's proxy).
fn first_request(worker: &WranglerDev, query: &str) -> (f64, String) {
    let first = Client::new(&worker.url, "198.18.200.1");
    let before = worker.usage();
    let t = Instant::now();
    let (status, v) = first.get_json(&format!("/api/search?k=5&q={}", encode_query(query)));
    assert_eq!(status, 200, "{v}");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let cpu = worker
        .usage()
        .into_iter()
        .map(|after| {
            let was = before
                .iter()
                .find(|b| b.name == after.name)
                .map_or(Duration::ZERO, |b| b.cpu);
            format!(
                "{} {} ms",
                after.name,
                after.cpu.saturating_sub(was).as_millis()
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    (ms, cpu)
}

/// One GET's round trip in ms, from a client address of its own (the `n`th), so no rate limit applies.
fn timed_get(worker: &WranglerDev, n: &mut usize, path: &str) -> f64 {
    *n += 1;
    let c = Client::new(
        &worker.url,
        &format!("198.19.{}.{}", *n / 250, 1 + *n % 250),
    );
    let t = Instant::now();
    let (status, v) = c.get_json(path);
    assert_eq!(status, 200, "{path}: {v}");
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let root = Stack::root();
    let sizes: Vec<usize> = std::env::var("TWIN_SCALE_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1_000, 10_000, 50_000]);
    let vocab = demo_vocabulary(&root);
    let mut draw = Draw(0x2545_F491_4F6C_DD1D);
    // Questions in the corpus's words: two to six of them, as a reader's question has.
    let queries: Vec<String> = (0..QUERIES)
        .map(|i| draw.words(&vocab, 2 + i % 5))
        .collect();
    // The `twin` command, built once (release, as a blogger runs it).
    let built = Command::new("cargo")
        .args(["build", "-q", "--release", "-p", "twin"])
        .current_dir(&root)
        .status()
        .expect("cargo build");
    assert!(built.success(), "cargo build -p twin failed");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let twin = target.join("release/twin");
    let stand_in = StandIn::start().expect("stand-in");
    let mut rows = Vec::new();
    for n in sizes {
        let dir = root.join(format!("build/scale/{n}"));
        let content = dir.join("content");
        write_corpus(&root, &content, n, &vocab);
        let blob = dir.join("index.blob");
        let t = Instant::now();
        let out = Command::new(&twin)
            .arg("index")
            .arg("--content")
            .arg(&content)
            .arg("--out")
            .arg(&blob)
            .output()
            .expect("twin index");
        assert!(
            out.status.success(),
            "twin index: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut row = Row {
            posts: n,
            build_s: t.elapsed().as_secs_f64(),
            blob: std::fs::metadata(&blob).map_or(0, |m| m.len()),
            served: String::new(),
            bundle_gz: None,
            first_ms: None,
            first_cpu: String::new(),
            health_ms: None,
            no_inspector: None,
            p50: None,
            p99: None,
        };
        if row.blob > ASSET_LIMIT {
            row.served = "not served: over the 25 MiB asset limit".into();
        } else {
            measure(&root, &blob, &queries, &stand_in, &mut row);
        }
        eprintln!("{n} posts done");
        rows.push(row);
        let _ = std::fs::remove_dir_all(&content);
    }
    // The worker is built from the demo's index again (the next `wrangler dev` would do it too).
    let restored = Command::new("bash")
        .arg(root.join("scripts/worker-index.sh"))
        .status()
        .expect("scripts/worker-index.sh");
    assert!(restored.success(), "restoring the demo index failed");
    let ms = |v: Option<f64>| v.map_or_else(|| "-".into(), |v| format!("{v:.2} ms"));
    println!(
        "\nscale curve under wrangler dev (retrieval: over {QUERIES} questions in the corpus's words, each question's median of {REPEATS} round trips minus the median /api/health round trip; first request: a search on a fresh isolate, which loads an index asset)"
    );
    println!(
        "| posts | twin index | blob | served | worker bundle gzip | first request | its CPU, by process | /api/health round trip | retrieval p50 | retrieval p99 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {:.1} s | {:.1} MB | {} | {} | {} | {} | {} | {} | {} |",
            r.posts,
            r.build_s,
            r.blob as f64 / 1e6,
            r.served,
            r.bundle_gz
                .map_or_else(|| "-".into(), |b| format!("{:.2} MB", b as f64 / 1e6)),
            r.first_ms
                .map_or_else(|| "-".into(), |v| format!("{v:.0} ms")),
            if r.first_cpu.is_empty() {
                "-"
            } else {
                &r.first_cpu
            },
            ms(r.health_ms),
            ms(r.p50),
            ms(r.p99)
        );
    }
    println!(
        "\nthe same workers started without the DevTools inspector `wrangler dev` always attaches (wrangler's dev API, `dev.inspector = false`)"
    );
    println!("| posts | first request | its CPU, by process | /api/health round trip |");
    println!("|---|---|---|---|");
    for r in &rows {
        if let Some(q) = &r.no_inspector {
            println!(
                "| {} | {:.0} ms | {} | {:.2} ms |",
                r.posts, q.first_ms, q.first_cpu, q.health_ms
            );
        }
    }
}
