//! The portable index blob: every file of a one-segment tantivy index in one byte string, so the worker
//! can `include_bytes!` it and no filesystem is needed at the edge.
//!
//! Layout (all integers little-endian), format version [`FORMAT_VERSION`]:
//!
//! ```text
//! magic        8 bytes   b"TWINIDX\0"
//! version      u32       FORMAT_VERSION; readers reject any other
//! file_count   u32
//! file_count × { name_len u16, name (UTF-8), offset u64, len u64 }   offsets count from the payload start
//! payload      the files' bytes, back to back
//! crc32        u32       CRC-32 (IEEE) of every byte before it
//! ```
//!
//! The checksum catches a truncated or corrupted blob before tantivy sees it.

use crate::IndexError;
use std::ops::Range;

/// First eight bytes of every blob.
pub const MAGIC: &[u8; 8] = b"TWINIDX\0";
/// Bumped whenever the layout or the schema changes meaning.
pub const FORMAT_VERSION: u32 = 1;

/// One file of the packed index: its name and where its bytes sit in the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub range: Range<usize>,
}

/// Packs named files into a blob.
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let header_len: usize = 16 + files.iter().map(|(n, _)| 2 + n.len() + 16).sum::<usize>();
    let payload_len: usize = files.iter().map(|(_, d)| d.len()).sum();
    let mut out = Vec::with_capacity(header_len + payload_len + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(files.len() as u32).to_le_bytes());
    let mut offset = 0u64;
    for (name, data) in files {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset += data.len() as u64;
    }
    for (_, data) in files {
        out.extend_from_slice(data);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The file in a blob that holds the content's identity (a little-endian u32 from
/// `build::content_id`); tantivy ignores it.
pub const CONTENT_ID_FILE: &str = "twin-content.id";

/// The identity of the content a blob was built from (the same passages always give the same id); `None`
/// for a blob that is not valid or predates it.
pub fn content_id(blob: &[u8]) -> Option<u32> {
    let entry = unpack(blob)
        .ok()?
        .into_iter()
        .find(|e| e.name == CONTENT_ID_FILE)?;
    let bytes: [u8; 4] = blob.get(entry.range)?.try_into().ok()?;
    Some(u32::from_le_bytes(bytes))
}

/// Reads a blob's table of contents after checking magic, version and checksum. Ranges index into `blob`.
pub fn unpack(blob: &[u8]) -> Result<Vec<Entry>, IndexError> {
    let err = |m: &str| IndexError::Blob(m.to_string());
    if blob.len() < 20 || &blob[..8] != MAGIC {
        return Err(err(
            "not a twin index (bad magic); rebuild it with `twin index`",
        ));
    }
    let (body, crc_bytes) = blob.split_at(blob.len() - 4);
    let mut r = Reader { buf: body, pos: 8 };
    let version = r.u32()?;
    if version != FORMAT_VERSION {
        return Err(IndexError::Blob(format!(
            "format version {version}, this build reads {FORMAT_VERSION}; rebuild it with `twin index`"
        )));
    }
    let stored = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    if crc32fast::hash(body) != stored {
        return Err(err("checksum mismatch: the blob is truncated or corrupted"));
    }
    let count = r.u32()? as usize;
    let mut raw = Vec::with_capacity(count.min(4096));
    for _ in 0..count {
        let name_len = r.u16()? as usize;
        let name = std::str::from_utf8(r.take(name_len)?)
            .map_err(|_| err("file name is not UTF-8"))?
            .to_string();
        let offset = r.u64()?;
        let len = r.u64()?;
        raw.push((name, offset, len));
    }
    let payload_start = r.pos;
    let payload_len = (body.len() - payload_start) as u64;
    raw.into_iter()
        .map(|(name, offset, len)| {
            let end = offset.checked_add(len).filter(|&e| e <= payload_len);
            match end {
                Some(end) => Ok(Entry {
                    name,
                    range: payload_start + offset as usize..payload_start + end as usize,
                }),
                None => Err(IndexError::Blob(format!(
                    "file {name} runs past the payload"
                ))),
            }
        })
        .collect()
}

/// A bounds-checked little-endian cursor.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let end = end.ok_or_else(|| IndexError::Blob("header is truncated".into()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, IndexError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Result<u64, IndexError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        pack(&[
            ("meta.json".into(), b"{}".to_vec()),
            ("a.idx".into(), vec![1, 2, 3, 4, 5]),
        ])
    }

    #[test]
    fn round_trips_names_and_bytes() {
        let blob = sample();
        let entries = unpack(&blob).expect("valid blob");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "meta.json");
        assert_eq!(&blob[entries[0].range.clone()], b"{}");
        assert_eq!(&blob[entries[1].range.clone()], &[1, 2, 3, 4, 5]);
    }

    #[test]
    fn rejects_corruption_truncation_and_foreign_bytes() {
        let mut blob = sample();
        let mid = blob.len() / 2;
        blob[mid] ^= 0xff;
        assert!(unpack(&blob).unwrap_err().to_string().contains("checksum"));
        let blob = sample();
        assert!(unpack(&blob[..blob.len() - 3]).is_err());
        assert!(
            unpack(b"hello, this is not an index at all")
                .unwrap_err()
                .to_string()
                .contains("magic")
        );
        assert!(unpack(&[]).is_err());
    }

    #[test]
    fn rejects_other_versions() {
        let mut blob = sample();
        blob[8] = 99;
        let n = blob.len() - 4;
        let crc = crc32fast::hash(&blob[..n]).to_le_bytes();
        blob[n..].copy_from_slice(&crc);
        assert!(
            unpack(&blob)
                .unwrap_err()
                .to_string()
                .contains("format version 99")
        );
    }
}
