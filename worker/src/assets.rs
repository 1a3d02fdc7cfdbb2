//! What the worker embeds at build time, in one place: the index (the blob `twin index` writes, or, for
//! a blob too big to embed, where to find it among the worker's static assets), the voice guide the
//! system prompt is built from, and the probe buttons.

/// The packed tantivy index when it is embedded (`build/index.embed`, a copy of `build/index.blob`
/// written by `scripts/build-worker.sh`); empty when the index is served as a static asset instead.
pub static BLOB: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/index.embed"));
/// Where the index is when it is not embedded (`build/index.asset`: `/<name> <bytes> <crc32 hex>`), or
/// empty when it is.
static INDEX_ASSET: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../build/index.asset"));
/// The author's voice guide (`content/persona.md`).
pub static PERSONA: &str = include_str!("../../content/persona.md");
/// The probe buttons (`content/probes.toml`).
pub static PROBES: &str = include_str!("../../content/probes.toml");

/// An index blob served as a static asset, and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexAsset {
    /// Its path in the worker's assets (`/index-<crc>.blob`).
    pub path: String,
    /// Its length in bytes.
    pub bytes: usize,
    /// Its CRC-32, the blob's last four bytes (little-endian).
    pub crc: u32,
}

/// The index asset this build was made with, if the index is not embedded.
pub fn index_asset() -> Option<IndexAsset> {
    parse_index_asset(INDEX_ASSET)
}

/// Reads `build/index.asset` (`None` when empty or unreadable; the build writes it).
pub fn parse_index_asset(text: &str) -> Option<IndexAsset> {
    let mut parts = text.split_whitespace();
    let path = parts.next()?.to_string();
    let bytes = parts.next()?.parse().ok()?;
    let crc = u32::from_str_radix(parts.next()?, 16).ok()?;
    path.starts_with('/')
        .then_some(IndexAsset { path, bytes, crc })
}

/// The index's version for caches: its CRC-32, from the embedded blob or the asset's description.
pub fn index_crc() -> u32 {
    match index_asset() {
        Some(a) => a.crc,
        None => BLOB
            .len()
            .checked_sub(4)
            .and_then(|n| BLOB[n..].try_into().ok())
            .map_or(0, u32::from_le_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build (`scripts/worker-index.sh`) ships the index one way: embedded or as an asset.
    #[test]
    fn this_build_has_exactly_one_index() {
        assert_ne!(
            BLOB.is_empty(),
            index_asset().is_none(),
            "build/index.embed and build/index.asset disagree; run scripts/worker-index.sh"
        );
    }

    #[test]
    fn the_asset_description_is_read_or_refused() {
        assert_eq!(
            parse_index_asset("/index-0a0b0c0d.blob 1234 0a0b0c0d\n"),
            Some(IndexAsset {
                path: "/index-0a0b0c0d.blob".into(),
                bytes: 1234,
                crc: 0x0a0b_0c0d
            })
        );
        for bad in [
            "",
            "\n",
            "index.blob 12 ff",
            "/i.blob x ff",
            "/i.blob 12 zz",
            "/i.blob 12",
        ] {
            assert_eq!(parse_index_asset(bad), None, "{bad:?}");
        }
    }
}
