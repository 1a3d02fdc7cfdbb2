//! Sections to passages.
//!
//! The rule: one passage per heading section, because a section is the author's own unit of one idea and
//! its anchor gives the reader a precise link. A section longer than [`MAX_PASSAGE_CHARS`] is split at
//! block (paragraph, list item, code block) boundaries, and a single block longer than that at a word
//! boundary, so that five retrieved passages fit a small model's prompt (about 1,500 tokens) and BM25's
//! length normalisation compares passages of like size rather than a whole long post against a tweet.

use super::Section;
use crate::{Kind, Passage};

/// Upper bound on a passage's text, in characters (about 200 words, 300 tokens).
pub const MAX_PASSAGE_CHARS: usize = 1_200;

/// A parsed source document, ready to chunk.
#[derive(Debug, Clone)]
pub struct Document {
    pub title: String,
    pub slug: String,
    pub url: String,
    pub date: String,
    pub kind: Kind,
    pub tags: Vec<String>,
    pub sections: Vec<Section>,
}

/// Cuts a document into passages by the rule above.
pub fn chunk_document(doc: &Document) -> Vec<Passage> {
    let mut out = Vec::new();
    for section in &doc.sections {
        let url = match &section.anchor {
            Some(a) => format!("{}#{a}", doc.url),
            None => doc.url.clone(),
        };
        for text in pack_blocks(&section.blocks) {
            out.push(Passage {
                title: doc.title.clone(),
                slug: doc.slug.clone(),
                url: url.clone(),
                date: doc.date.clone(),
                kind: doc.kind,
                headings: section.headings.clone(),
                tags: doc.tags.clone(),
                text,
            });
        }
    }
    out
}

/// Greedily packs blocks into pieces of at most [`MAX_PASSAGE_CHARS`].
fn pack_blocks(blocks: &[String]) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    for block in blocks.iter().flat_map(|b| split_long(b)) {
        if !cur.is_empty() && cur.chars().count() + 2 + block.chars().count() > MAX_PASSAGE_CHARS {
            pieces.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push_str("\n\n");
        }
        cur.push_str(&block);
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// Splits one over-long block at word boundaries.
fn split_long(block: &str) -> Vec<String> {
    if block.chars().count() <= MAX_PASSAGE_CHARS {
        return vec![block.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in block.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > MAX_PASSAGE_CHARS {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        // A single "word" longer than the limit (a pasted hash, say) is cut by characters.
        if word.chars().count() > MAX_PASSAGE_CHARS {
            let chars: Vec<char> = word.chars().collect();
            for piece in chars.chunks(MAX_PASSAGE_CHARS) {
                out.push(piece.iter().collect());
            }
            continue;
        }
        cur.push_str(word);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(sections: Vec<Section>) -> Document {
        Document {
            title: "T".into(),
            slug: "t".into(),
            url: "https://b.example/posts/t/".into(),
            date: "2024-01-01".into(),
            kind: Kind::Post,
            tags: vec![],
            sections,
        }
    }

    #[test]
    fn one_passage_per_section_with_anchor_urls() {
        let d = doc(vec![
            Section {
                headings: vec![],
                anchor: None,
                blocks: vec!["intro".into()],
            },
            Section {
                headings: vec!["H".into()],
                anchor: Some("h".into()),
                blocks: vec!["a".into(), "b".into()],
            },
        ]);
        let p = chunk_document(&d);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].url, "https://b.example/posts/t/");
        assert_eq!(p[1].url, "https://b.example/posts/t/#h");
        assert_eq!(p[1].text, "a\n\nb");
    }

    #[test]
    fn long_sections_split_within_the_bound_and_lose_nothing() {
        let para = "word ".repeat(100); // 500 chars
        let blocks = vec![para.trim().to_string(); 7];
        let huge = "x".repeat(3000);
        let d = doc(vec![Section {
            headings: vec![],
            anchor: None,
            blocks: blocks.into_iter().chain([huge]).collect(),
        }]);
        let p = chunk_document(&d);
        assert!(p.len() >= 6, "{}", p.len());
        assert!(
            p.iter()
                .all(|x| x.text.chars().count() <= MAX_PASSAGE_CHARS)
        );
        let words: usize = p.iter().map(|x| x.text.matches("word").count()).sum();
        assert_eq!(words, 700);
        let xs: usize = p.iter().map(|x| x.text.matches('x').count()).sum();
        assert_eq!(xs, 3000);
    }
}
