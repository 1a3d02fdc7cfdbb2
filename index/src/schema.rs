//! The tantivy schema and the English analyzer, in one place so the builder and the reader agree.
//!
//! Tokenizers are not stored in an index, so [`register_analyzer`] must run on every open as well as on
//! build; both go through [`Fields::register`].

use tantivy::Index;
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};

/// The name the English analyzer is registered under.
pub const ANALYZER: &str = "twin_en";

/// Field boosts: a question's words in a title or heading say more about a passage than in its body. Kept
/// modest because every passage of a post repeats the post's title: on the demo eval set, title 3.0 /
/// headings 2.0 gave recall@5 0.908, and 1.5 / 1.2 gave 0.961 (MRR 0.819 → 0.850).
pub const TITLE_BOOST: f32 = 1.5;
/// See [`TITLE_BOOST`].
pub const HEADINGS_BOOST: f32 = 1.2;
/// See [`TITLE_BOOST`].
pub const TAGS_BOOST: f32 = 1.0;
/// See [`TITLE_BOOST`].
pub const BODY_BOOST: f32 = 1.0;

/// Handles to every field of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub title: Field,
    pub headings: Field,
    pub tags: Field,
    pub body: Field,
    pub slug: Field,
    pub url: Field,
    pub date: Field,
    pub kind: Field,
}

impl Fields {
    /// Builds the schema that every twin index uses.
    pub fn schema() -> Schema {
        let mut b = Schema::builder();
        let text = |stored: bool| {
            let idx = TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            let opts = TextOptions::default().set_indexing_options(idx);
            if stored { opts.set_stored() } else { opts }
        };
        b.add_text_field("title", text(true));
        b.add_text_field("headings", text(true));
        b.add_text_field("tags", text(true));
        b.add_text_field("body", text(true));
        b.add_text_field("slug", STRING | STORED);
        b.add_text_field("url", STORED);
        b.add_text_field("date", STORED);
        b.add_text_field("kind", STRING | STORED);
        b.build()
    }

    /// Looks the fields up in an index's schema; fails on an index built with another schema.
    pub fn of(schema: &Schema) -> tantivy::Result<Fields> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            title: f("title")?,
            headings: f("headings")?,
            tags: f("tags")?,
            body: f("body")?,
            slug: f("slug")?,
            url: f("url")?,
            date: f("date")?,
            kind: f("kind")?,
        })
    }

    /// The searchable text fields with their boosts.
    pub fn boosted(&self) -> [(Field, f32); 4] {
        [
            (self.title, TITLE_BOOST),
            (self.headings, HEADINGS_BOOST),
            (self.tags, TAGS_BOOST),
            (self.body, BODY_BOOST),
        ]
    }

    /// Registers the analyzer on `index` and returns its fields.
    pub fn register(index: &Index) -> tantivy::Result<Fields> {
        register_analyzer(index);
        Fields::of(&index.schema())
    }
}

/// The English analyzer: split on non-alphanumerics, drop tokens over 40 bytes, lowercase, drop English
/// stop words, Snowball-stem.
pub fn analyzer() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::English) {
        Some(stop) => builder
            .filter(stop)
            .filter(Stemmer::new(Language::English))
            .build(),
        None => builder.filter(Stemmer::new(Language::English)).build(),
    }
}

/// Makes [`ANALYZER`] known to `index` (needed after every open: tokenizers are not persisted).
pub fn register_analyzer(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer());
}
