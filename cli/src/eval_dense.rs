//! The dense and hybrid retrievers for `twin eval retrieval --dense` (cargo feature `dense`): passages
//! embedded once with all-MiniLM-L6-v2, each question embedded as it is asked (so the time per query
//! includes it), and the hybrid fusing BM25's and the dense ranking by reciprocal rank fusion.

use anyhow::{Context, anyhow};
use std::collections::HashMap;
use std::path::PathBuf;
use twin_dense::{DenseIndex, Embedder, reciprocal_rank_fusion};
use twin_index::{Hit, PackedIndex, Passage};

/// RRF's constant (the paper's).
const RRF_K: f64 = 60.0;
/// Candidates each ranking contributes to the fusion.
const DEPTH: usize = 50;

/// The model folder: `TWIN_EMBEDDER_DIR`, or what `scripts/embedder.sh` fetches and caches.
fn model_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("TWIN_EMBEDDER_DIR") {
        return Ok(PathBuf::from(d));
    }
    let script = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/embedder.sh"
    ));
    let out = std::process::Command::new("bash")
        .arg(&script)
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        return Err(anyhow!("{} failed", script.display()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let dir = text
        .lines()
        .last()
        .ok_or_else(|| anyhow!("{} printed no folder", script.display()))?;
    Ok(PathBuf::from(dir.trim()))
}

/// The passages embedded, ready to search.
pub struct Dense<'a> {
    embedder: Embedder,
    index: DenseIndex,
    passages: &'a [Passage],
    ids: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> Dense<'a> {
    /// Loads the model and embeds every passage (title, headings and text), with a line of progress.
    pub fn build(passages: &'a [Passage]) -> anyhow::Result<Dense<'a>> {
        let dir = model_dir()?;
        let embedder = Embedder::load(&dir)?;
        eprintln!(
            "dense: embedding {} passages with all-MiniLM-L6-v2 ({})",
            passages.len(),
            dir.display()
        );
        let texts: Vec<String> = passages
            .iter()
            .map(|p| format!("{}. {}. {}", p.title, p.headings.join(". "), p.text))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&refs)?;
        let ids = passages
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.url.as_str(), p.text.as_str()), i))
            .collect();
        Ok(Dense {
            embedder,
            index: DenseIndex {
                ids: (0..passages.len()).collect(),
                vectors,
            },
            passages,
            ids,
        })
    }

    fn hit(&self, id: usize, score: f32) -> Hit {
        let p = &self.passages[id];
        Hit {
            score,
            title: p.title.clone(),
            slug: p.slug.clone(),
            url: p.url.clone(),
            date: p.date.clone(),
            kind: p.kind,
            headings: p.headings.join(" › "),
            snippet: String::new(),
            text: p.text.clone(),
        }
    }

    fn ranked(&self, question: &str, k: usize) -> Result<Vec<(usize, f32)>, String> {
        let v = self
            .embedder
            .embed(&[question])
            .map_err(|e| format!("embedding {question:?} failed: {e}"))?;
        let v = v.first().ok_or("the embedder returned nothing")?;
        Ok(self.index.top(v, k))
    }

    /// The dense ranking alone.
    pub fn search(&self, question: &str, k: usize) -> Result<Vec<Hit>, String> {
        Ok(self
            .ranked(question, k)?
            .into_iter()
            .map(|(id, s)| self.hit(id, s))
            .collect())
    }

    /// BM25 (as shipped) and the dense ranking, fused by reciprocal rank.
    pub fn hybrid(&self, bm25: &PackedIndex, question: &str, k: usize) -> Result<Vec<Hit>, String> {
        let lexical: Vec<usize> = bm25
            .search(question, DEPTH)
            .map_err(|e| format!("searching {question:?} failed: {e}"))?
            .iter()
            .map(|h| {
                self.ids
                    .get(&(h.url.as_str(), h.text.as_str()))
                    .copied()
                    .ok_or_else(|| {
                        format!("BM25 returned a passage the dense index lacks: {}", h.url)
                    })
            })
            .collect::<Result<_, _>>()?;
        let dense: Vec<usize> = self
            .ranked(question, DEPTH)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        Ok(reciprocal_rank_fusion(&[lexical, dense], RRF_K)
            .into_iter()
            .take(k)
            .map(|id| self.hit(id, 0.0))
            .collect())
    }
}
