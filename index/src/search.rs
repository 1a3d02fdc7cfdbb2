//! Opening a packed index and answering a question with the top passages.

use crate::blob_directory::BlobDirectory;
use crate::coverage;
use crate::query::QueryOptions;
use crate::schema::Fields;
use crate::{IndexError, Kind, feedback, query};
use tantivy::collector::TopDocs;
use tantivy::directory::OwnedBytes;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument};
use twin_shared::Coverage;

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

/// BM25's inverse document frequency of a term that `df` of `n` passages hold (tantivy's formula).
pub(crate) fn idf(n: u64, df: u64) -> f32 {
    let (n, df) = (n as f32, df as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// How many passages hold `term` in the field where it is most common (0 when a lookup fails: the
/// term then counts as unknown, which only ever adds an alternative or lowers coverage).
pub(crate) fn doc_freq_any_field(searcher: &Searcher, fields: &Fields, term: &str) -> u64 {
    fields
        .boosted()
        .into_iter()
        .map(|(field, _)| {
            searcher
                .doc_freq(&tantivy::Term::from_field_text(field, term))
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// Runs `f` with the searcher's document frequencies (any field, and body only).
fn with_doc_freq<R>(
    searcher: &Searcher,
    fields: &Fields,
    f: impl FnOnce(&query::DocFreq) -> R,
) -> R {
    let any_field = |term: &str| doc_freq_any_field(searcher, fields, term);
    let body = |term: &str| {
        searcher
            .doc_freq(&tantivy::Term::from_field_text(fields.body, term))
            .unwrap_or(0)
    };
    f(&query::DocFreq {
        any_field: &any_field,
        body: &body,
    })
}

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

    /// The `limit` best passages for a free-text question, best first, as the worker searches
    /// ([`QueryOptions::SHIPPED`]). Any text is accepted; a question with no searchable word returns no
    /// hits.
    pub fn search(&self, question: &str, limit: usize) -> Result<Vec<Hit>, IndexError> {
        self.search_with(question, limit, &QueryOptions::SHIPPED)
    }

    /// [`PackedIndex::search`] with the query-side options given (for measuring them).
    pub fn search_with(
        &self,
        question: &str,
        limit: usize,
        options: &QueryOptions,
    ) -> Result<Vec<Hit>, IndexError> {
        self.search_clauses(&self.clauses(question, options), limit, options)
    }

    /// The shipped search and how well each hit covers the question, from one analysis of the question
    /// (its spelling and typo alternatives are looked up once, for both): what the worker asks.
    pub fn search_judged(
        &self,
        question: &str,
        limit: usize,
    ) -> Result<(Vec<Hit>, Vec<Coverage>), IndexError> {
        let options = QueryOptions::SHIPPED;
        let clauses = self.clauses(question, &options);
        let hits = self.search_clauses(&clauses, limit, &options)?;
        let levels = self.levels(&self.weights(&clauses), &hits);
        Ok((hits, levels))
    }

    /// The question's clauses under `options`, looked up in this index.
    fn clauses(&self, question: &str, options: &QueryOptions) -> Vec<query::Clause> {
        let searcher = self.reader.searcher();
        with_doc_freq(&searcher, &self.fields, |df| {
            query::clauses(question, options, df)
        })
    }

    /// Runs a question's clauses (with feedback, when `options` ask for it).
    fn search_clauses(
        &self,
        clauses: &[query::Clause],
        limit: usize,
        options: &QueryOptions,
    ) -> Result<Vec<Hit>, IndexError> {
        let searcher = self.reader.searcher();
        let f = self.fields;
        let Some(mut query) = query::build(&self.fields, clauses, &[]) else {
            return Ok(Vec::new());
        };
        if let Some(fb) = options.feedback {
            let first = searcher.search(
                &*query,
                &TopDocs::with_limit(fb.passages.max(1)).order_by_score(),
            )?;
            let mut texts = Vec::with_capacity(first.len());
            for (score, addr) in first {
                let doc: TantivyDocument = searcher.doc(addr)?;
                let body = doc
                    .get_first(f.body)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                texts.push((score, body));
            }
            let n = searcher.num_docs();
            let idf = |term: &str| idf(n, doc_freq_any_field(&searcher, &f, term));
            let expansion = feedback::terms(&texts, clauses, &fb, &idf);
            if let Some(q) = query::build(&self.fields, clauses, &expansion) {
                query = q;
            }
        }
        let limit = limit.clamp(1, MAX_HITS);
        let candidates = searcher.search(
            &*query,
            &TopDocs::with_limit(limit * OVERFETCH).order_by_score(),
        )?;
        let mut snippets = SnippetGenerator::create(&searcher, &*query, self.fields.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
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

    /// How much of a question the index could match at best: for each of the question's terms, the BM25
    /// weight of one occurrence in an average-length passage, in the term's best boosted field
    /// (`boost × idf`), summed. A term the corpus never uses has the highest idf, so a question about
    /// something the author never wrote about has a large reference score that no passage comes near.
    /// Dividing a hit's score by it gives a coverage ratio that does not grow with question length.
    pub fn reference_score(&self, question: &str) -> Result<f32, IndexError> {
        let searcher = self.reader.searcher();
        let n = searcher.num_docs();
        let mut total = 0.0f32;
        for term in query::question_terms(question) {
            let mut best = 0.0f32;
            for (field, boost) in self.fields.boosted() {
                let df = searcher.doc_freq(&tantivy::Term::from_field_text(field, &term))?;
                best = best.max(boost * idf(n, df));
            }
            total += best;
        }
        Ok(total)
    }

    /// The top hit's score over [`PackedIndex::reference_score`]: about 1 when a passage matches every
    /// term of the question once, near 0 when it matches only common words. `0` without hits. A coverage
    /// signal measured and not shipped (see [`crate::coverage`]).
    pub fn coverage_ratio(&self, question: &str, top_score: f32) -> Result<f32, IndexError> {
        let reference = self.reference_score(question)?;
        Ok(if reference > 0.0 {
            top_score / reference
        } else {
            0.0
        })
    }

    /// The matched idf share of `hits` (this question's results, best first) in [0, 1]: a coverage signal
    /// measured and not shipped (see [`crate::coverage`]).
    pub fn coverage_share(&self, question: &str, hits: &[Hit]) -> Result<f32, IndexError> {
        Ok(coverage::best_share(&self.coverage_weights(question), hits))
    }

    /// How well each of `hits` (this question's results) covers `question`, in order (see
    /// [`crate::coverage`]); [`Coverage::best`] of them is the question's coverage.
    pub fn coverage_levels(
        &self,
        question: &str,
        hits: &[Hit],
    ) -> Result<Vec<Coverage>, IndexError> {
        Ok(self.levels(&self.coverage_weights(question), hits))
    }

    fn levels(&self, weights: &[coverage::Weighted], hits: &[Hit]) -> Vec<Coverage> {
        hits.iter()
            .map(|h| coverage::level(h.score, coverage::hit_share(weights, h)))
            .collect()
    }

    /// The question's terms as the shipped query matches them, weighted by idf.
    fn coverage_weights(&self, question: &str) -> Vec<coverage::Weighted> {
        self.weights(&self.clauses(question, &QueryOptions::SHIPPED))
    }

    fn weights(&self, clauses: &[query::Clause]) -> Vec<coverage::Weighted> {
        let searcher = self.reader.searcher();
        let any_field = |term: &str| doc_freq_any_field(&searcher, &self.fields, term);
        coverage::weights(clauses, searcher.num_docs(), &any_field)
    }

    /// The underlying tantivy index, for inspection.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}
