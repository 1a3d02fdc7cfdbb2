//! Retrieval over the index blob, opened once per isolate without copying: embedded at build time
//! ([`crate::assets::BLOB`]) or, for an index too big to embed, loaded from the worker's static assets
//! on first use ([`ready`]).

use crate::assets::{self, BLOB, IndexAsset};
use crate::clock;
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use std::cell::RefCell;
use std::sync::OnceLock;
use twin_index::{Hit, PackedIndex};
use twin_shared::prompt::PromptPassage;
use twin_shared::{Coverage, Source};
use worker::Env;

/// The static assets binding an index too big to embed is served from.
pub const ASSETS_BINDING: &str = "ASSETS";

static INDEX: OnceLock<Result<PackedIndex, String>> = OnceLock::new();
/// The index blob: the embedded one, or the one loaded from the assets.
static LOADED: OnceLock<&'static [u8]> = OnceLock::new();
static CONTENT_ID: OnceLock<u32> = OnceLock::new();

type Loading = Shared<LocalBoxFuture<'static, Result<(), String>>>;

thread_local! {
    /// The load in flight: requests that arrive while it runs wait for the same one.
    static LOADING: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

/// Makes the index ready to search: a no-op when embedded or already loaded; otherwise loads it from
/// the static assets once per isolate (concurrent first requests share that one load), checks its
/// length and checksum against what the build recorded, and keeps it in memory. A failed load is
/// retried by the next request.
pub async fn ready(env: &Env) -> Result<(), String> {
    if LOADED.get().is_some() {
        return Ok(());
    }
    let Some(asset) = assets::index_asset() else {
        let _ = LOADED.set(BLOB);
        return Ok(());
    };
    let loading = LOADING.with(|l| {
        l.borrow_mut()
            .get_or_insert_with(|| load(env.clone(), asset).boxed_local().shared())
            .clone()
    });
    let result = loading.await;
    if result.is_err() {
        LOADING.with(|l| l.borrow_mut().take());
    }
    result
}

/// Fetches the index asset, checks it and keeps it for the isolate's life.
async fn load(env: Env, asset: IndexAsset) -> Result<(), String> {
    let started = clock::now_ms();
    let fetcher = env.assets(ASSETS_BINDING).map_err(|e| {
        format!("the index is a static asset but there is no {ASSETS_BINDING} binding: {e}")
    })?;
    let mut resp = fetcher
        .fetch(format!("https://assets.invalid{}", asset.path), None)
        .await
        .map_err(|e| format!("the index asset {} could not be fetched: {e}", asset.path))?;
    if resp.status_code() != 200 {
        return Err(format!(
            "the index asset {} answered HTTP {}",
            asset.path,
            resp.status_code()
        ));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("the index asset {} could not be read: {e}", asset.path))?;
    check(&bytes, &asset)?;
    let blob: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let _ = LOADED.set(blob);
    worker::console_log!(
        "loaded the index from {} ({} bytes) in {} ms",
        asset.path,
        blob.len(),
        clock::since(started)
    );
    Ok(())
}

/// Whether `bytes` is the blob the build described (its length and CRC-32); the full checksum is
/// verified again when the blob is opened.
pub fn check(bytes: &[u8], asset: &IndexAsset) -> Result<(), String> {
    let crc = bytes
        .len()
        .checked_sub(4)
        .and_then(|n| bytes[n..].try_into().ok())
        .map(u32::from_le_bytes);
    if bytes.len() != asset.bytes || crc != Some(asset.crc) {
        return Err(format!(
            "the index asset {} is not the one this worker was built with ({} bytes, expected {}); redeploy",
            asset.path,
            bytes.len(),
            asset.bytes
        ));
    }
    Ok(())
}

/// The index blob, once [`ready`] made it available.
fn blob() -> Option<&'static [u8]> {
    LOADED.get().copied()
}

/// The identity of the content the index was built from (0 for a blob that predates it, or before
/// the index is loaded).
pub fn content_id() -> u32 {
    let Some(blob) = blob() else { return 0 };
    *CONTENT_ID.get_or_init(|| twin_index::blob::content_id(blob).unwrap_or(0))
}

/// The opened index, or why it could not be opened.
pub fn index() -> Result<&'static PackedIndex, String> {
    let Some(blob) = blob() else {
        return Err("the index is not loaded".into());
    };
    INDEX
        .get_or_init(|| PackedIndex::open_static(blob).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The top `limit` passages for a question, each with how well it covers it.
pub fn judged(question: &str, limit: usize) -> Result<(Vec<Hit>, Vec<Coverage>), String> {
    index()?
        .search_judged(question, limit)
        .map_err(|e| e.to_string())
}

/// What the reader sees of a hit, with how well it covers the question.
pub fn source(h: &Hit, coverage: Coverage) -> Source {
    Source {
        title: h.title.clone(),
        url: h.url.clone(),
        snippet: h.snippet.clone(),
        coverage: Some(coverage),
    }
}

/// What the prompt quotes of a hit.
pub fn prompt_passage(h: &Hit) -> PromptPassage {
    PromptPassage {
        title: h.title.clone(),
        url: h.url.clone(),
        date: h.date.clone(),
        text: h.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_must_be_the_blob_the_build_described() {
        let blob = [1u8, 2, 3, 4, 0x0d, 0x0c, 0x0b, 0x0a];
        let asset = |bytes, crc| IndexAsset {
            path: "/index.blob".into(),
            bytes,
            crc,
        };
        assert_eq!(check(&blob, &asset(8, 0x0a0b_0c0d)), Ok(()));
        assert!(check(&blob, &asset(9, 0x0a0b_0c0d)).is_err(), "length");
        assert!(check(&blob, &asset(8, 0x0a0b_0c0e)).is_err(), "checksum");
        assert!(
            check(&[1, 2], &asset(2, 0)).is_err(),
            "too short to hold one"
        );
    }
}
