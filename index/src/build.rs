//! Building the index from passages natively and packing it into a blob: one segment (fewer files, no
//! merge work at the edge), every live file included, and the content's identity
//! ([`blob::CONTENT_ID_FILE`]).

use crate::schema::Fields;
use crate::{IndexError, Passage, blob};
use std::path::Path;
use tantivy::directory::RamDirectory;
use tantivy::{Directory, Index, IndexWriter, TantivyDocument};

/// Memory the index writer may use; generous so small corpora come out as one segment without a merge.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// Indexes `passages` and returns the packed blob. `progress` is called with the count indexed so far.
pub fn build_blob(
    passages: &[Passage],
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, IndexError> {
    let dir = RamDirectory::create();
    let index = Index::create(dir.clone(), Fields::schema(), Default::default())?;
    let f = Fields::register(&index)?;
    let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_MEMORY)?;
    for (i, p) in passages.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.title, &p.title);
        doc.add_text(f.headings, p.headings.join(" / "));
        doc.add_text(f.tags, p.tags.join(", "));
        doc.add_text(f.body, &p.text);
        doc.add_text(f.slug, &p.slug);
        doc.add_text(f.url, &p.url);
        doc.add_text(f.date, &p.date);
        doc.add_text(f.kind, p.kind.as_str());
        writer.add_document(doc)?;
        if (i + 1) % 500 == 0 {
            progress(i + 1);
        }
    }
    writer.commit()?;
    let segments = index.searchable_segment_ids()?;
    if segments.len() > 1 {
        writer.merge(&segments).wait()?;
    }
    writer.garbage_collect_files().wait()?;
    writer.wait_merging_threads()?;
    progress(passages.len());

    let mut names: Vec<String> = index
        .load_metas()?
        .list_segment_files()
        .into_iter()
        .filter(|p| dir.exists(p).unwrap_or(false))
        .filter_map(|p| p.to_str().map(str::to_string))
        .collect();
    names.push("meta.json".to_string());
    names.sort();
    let mut files = Vec::with_capacity(names.len() + 1);
    for name in names {
        let bytes = dir
            .open_read(Path::new(&name))
            .map_err(|e| IndexError::Blob(format!("reading {name}: {e}")))?
            .read_bytes()
            .map_err(|e| IndexError::Blob(format!("reading {name}: {e}")))?;
        files.push((name, bytes.as_slice().to_vec()));
    }
    files.push((
        blob::CONTENT_ID_FILE.to_string(),
        content_id(passages).to_le_bytes().to_vec(),
    ));
    Ok(blob::pack(&files))
}

/// A CRC-32 of every field of every passage, in order: the same content always gives the same id,
/// whereas the index files themselves carry random segment ids and differ on every build.
pub fn content_id(passages: &[Passage]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in passages {
        for field in [
            p.title.as_str(),
            &p.headings.join(" / "),
            &p.tags.join(", "),
            &p.text,
            &p.slug,
            &p.url,
            &p.date,
            p.kind.as_str(),
        ] {
            h.update(&(field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
    }
    h.finalize()
}
