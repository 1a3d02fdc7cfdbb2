//! Opening a packed index and answering a question with the top passages.

use crate::blob_directory::BlobDirectory;
use crate::schema::Fields;
use crate::{IndexError, Kind, query};
use tantivy::collector::TopDocs;
use tantivy::directory::OwnedBytes;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

/// Characters of body text a snippet shows.
const SNIPPET_CHARS: usize = 240;
/// The most passages one search returns, whatever the caller asks.
pub const MAX_HITS: usize = 50;
/// The most passages one document contributes to a result. Every passage of a post carries the post's
/// title, so a post whose title matches would otherwise fill every slot; two passages of one post and
/// then other posts give the prompt (and the reader's source links) more to go on.
pub const MAX_PER_DOCUMENT: usize = 2;
/// Candidates fetched per requested hit before the per-document cap is applied.
const OVERFETCH: usize = 4;

/// One retrieved passage with its BM25 score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Hit {
    pub score: f32,
    pub title: String,
    pub slug: String,
    pub url: String,
    pub date: String,
    pub kind: Kind,
    pub headings: String,
    /// The passage's most relevant fragment, for a reader's eyes.
    pub snippet: String,
    /// The whole passage, for a prompt.
    pub text: String,
}

/// An opened, read-only index.
pub struct PackedIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl PackedIndex {
    /// Opens a blob embedded in the binary (the worker's `include_bytes!`), without copying it.
    pub fn open_static(blob: &'static [u8]) -> Result<PackedIndex, IndexError> {
        Self::open(OwnedBytes::new(blob))
    }

    /// Opens a blob held in memory (the CLI reads it from a file).
    pub fn open_vec(blob: Vec<u8>) -> Result<PackedIndex, IndexError> {
        Self::open(OwnedBytes::new(blob))
    }

    fn open(bytes: OwnedBytes) -> Result<PackedIndex, IndexError> {
        let dir = BlobDirectory::open(bytes)?;
        let index = Index::open(dir)?;
        let fields = Fields::register(&index)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .num_warming_threads(0)
            .try_into()?;
        Ok(PackedIndex {
            index,
            reader,
            fields,
        })
    }

    /// How many passages the index holds.
    pub fn num_passages(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The `limit` best passages for a free-text question, best first. Any text is accepted; a question
    /// with no searchable word returns no hits.
    pub fn search(&self, question: &str, limit: usize) -> Result<Vec<Hit>, IndexError> {
        let Some(query) = query::build(&self.fields, question) else {
            return Ok(Vec::new());
        };
        let limit = limit.clamp(1, MAX_HITS);
        let searcher = self.reader.searcher();
        let candidates = searcher.search(
            &*query,
            &TopDocs::with_limit(limit * OVERFETCH).order_by_score(),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let f = self.fields;
        let mut per_doc: Vec<(String, usize)> = Vec::new();
        let mut top = Vec::with_capacity(limit);
        for (score, addr) in candidates {
            if top.len() == limit {
                break;
            }
            let doc: TantivyDocument = searcher.doc(addr)?;
            let slug = doc
                .get_first(f.slug)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            match per_doc.iter_mut().find(|(s, _)| *s == slug) {
                Some((_, n)) if *n >= MAX_PER_DOCUMENT => continue,
                Some((_, n)) => *n += 1,
                None => per_doc.push((slug, 1)),
            }
            top.push((score, doc));
        }
        top.into_iter()
            .map(|(score, doc)| {
                let get = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                let text = get(f.body);
                let snippet = snippets.snippet(&text);
                let snippet = if snippet.is_empty() {
                    text.chars().take(SNIPPET_CHARS).collect()
                } else {
                    snippet.fragment().trim().to_string()
                };
                Ok(Hit {
                    score,
                    title: get(f.title),
                    slug: get(f.slug),
                    url: get(f.url),
                    date: get(f.date),
                    kind: Kind::parse(&get(f.kind)).unwrap_or(Kind::Post),
                    headings: get(f.headings),
                    snippet,
                    text,
                })
            })
            .collect::<Result<Vec<_>, IndexError>>()
    }

    /// The underlying tantivy index, for inspection.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}
