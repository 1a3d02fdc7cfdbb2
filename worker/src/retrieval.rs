//! Retrieval over the index blob, opened once per isolate without copying: embedded at build time
//! ([`crate::assets::BLOB`]) or, for an index too big to embed, loaded from the worker's static assets
//! on first use ([`ready`]).

use crate::assets::{self, BLOB, IndexAsset};
use crate::clock;
use std::cell::{Cell, RefCell};
use std::sync::OnceLock;
use std::time::Duration;
use twin_index::{Hit, PackedIndex};
use twin_shared::prompt::PromptPassage;
use twin_shared::{Coverage, Source};
use wasm_bindgen_futures::JsFuture;
use worker::{Context, Env};

/// The static assets binding an index too big to embed is served from.
pub const ASSETS_BINDING: &str = "ASSETS";
/// The longest a request waits for the index to load before answering that it could not.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
/// After a failed load, how long requests are told so before the next attempt (no download per request).
pub const RETRY_AFTER_MS: f64 = 30_000.0;

/// The opened index: the embedded blob, opened on first use, or the asset, once loaded.
static INDEX: OnceLock<Result<PackedIndex, String>> = OnceLock::new();
/// The index blob the opened index reads: the embedded one, or the one loaded from the assets.
static LOADED: OnceLock<&'static [u8]> = OnceLock::new();
static CONTENT_ID: OnceLock<u32> = OnceLock::new();

thread_local! {
    /// A load is running (started by one request, under its `wait_until`).
    static LOADING: Cell<bool> = const { Cell::new(false) };
    /// When the last load failed, and why.
    static FAILED: Cell<Option<f64>> = const { Cell::new(None) };
    static FAILED_WHY: RefCell<String> = const { RefCell::new(String::new()) };
}

/// How often a request waiting for the load looks again.
const POLL: Duration = Duration::from_millis(25);

/// When the last load failed, if that was at or after `since` and within [`RETRY_AFTER_MS`].
fn failed_since(since: f64) -> Option<f64> {
    FAILED
        .with(Cell::get)
        .filter(|at| *at >= since && clock::now_ms() - at < RETRY_AFTER_MS)
}

/// Makes the index ready to search: a no-op when embedded or already loaded; otherwise loads it from
/// the static assets once per isolate. One request starts the load, under its `wait_until` (a reader
/// who leaves does not cancel it); every request, that one included, then waits on timers of its own
/// until the index is there (never on another request's I/O, which a Worker may not share), at most
/// [`LOAD_TIMEOUT`]. With `wait` false the load is only started. The blob is checked against what the
/// build recorded (length, CRC-32) and opened before anyone uses it. After a failure, requests are told
/// so for [`RETRY_AFTER_MS`], then the next one tries again.
pub async fn ready(env: &Env, ctx: &Context, wait: bool) -> Result<(), String> {
    if INDEX.get().is_some() {
        return Ok(());
    }
    let Some(asset) = assets::index_asset() else {
        return Ok(()); // embedded: opened on first use
    };
    if failed_since(0.0).is_some() {
        return Err(FAILED_WHY.with(|w| w.borrow().clone()));
    }
    if LOADING.with(|l| l.replace(true)) {
        worker::console_log!("joined the index load in flight");
    } else {
        let env = env.clone();
        ctx.wait_until(async move {
            if let Err(e) = load(env, asset).await {
                worker::console_error!("{e}");
                FAILED.with(|f| f.set(Some(clock::now_ms())));
                FAILED_WHY.with(|w| *w.borrow_mut() = e);
            }
            LOADING.with(|l| l.set(false));
        });
    }
    if !wait {
        return Ok(());
    }
    let started = clock::now_ms();
    loop {
        if INDEX.get().is_some() {
            return Ok(());
        }
        if failed_since(started).is_some() {
            return Err(FAILED_WHY.with(|w| w.borrow().clone()));
        }
        if clock::since(started) >= LOAD_TIMEOUT.as_millis() as u64 {
            return Err(format!(
                "the index did not load within {} s",
                LOAD_TIMEOUT.as_secs()
            ));
        }
        clock::sleep(POLL).await;
    }
}

/// Fetches the index asset, checks and opens it, and keeps it for the isolate's life.
async fn load(env: Env, asset: IndexAsset) -> Result<(), String> {
    let started = clock::now_ms();
    let fetcher = env.assets(ASSETS_BINDING).map_err(|e| {
        format!("the index is a static asset but there is no {ASSETS_BINDING} binding: {e}")
    })?;
    let resp = fetcher
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
    // The whole body at once, then one copy into memory of exactly its size.
    let unreadable = |e: wasm_bindgen::JsValue| {
        format!("the index asset {} could not be read: {e:?}", asset.path)
    };
    let resp: web_sys::Response = resp.into();
    let buffer = JsFuture::from(resp.array_buffer().map_err(unreadable)?)
        .await
        .map_err(unreadable)?;
    let array = js_sys::Uint8Array::new(&buffer);
    if array.length() as usize != asset.bytes {
        return Err(format!(
            "the index asset {} is {} bytes, not the {} this worker was built with; redeploy",
            asset.path,
            array.length(),
            asset.bytes
        ));
    }
    let mut bytes = vec![0u8; asset.bytes];
    array.copy_to(&mut bytes);
    check(&bytes, &asset)?;
    if INDEX.get().is_some() {
        return Ok(()); // an earlier load finished meanwhile
    }
    let blob: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let index = PackedIndex::open_static(blob)
        .map_err(|e| format!("the index asset {} does not open: {e}", asset.path))?;
    let _ = LOADED.set(blob);
    let _ = INDEX.set(Ok(index));
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
    if bytes.len() != asset.bytes {
        return Err(format!(
            "the index asset {} is {} bytes, not the {} this worker was built with; redeploy",
            asset.path,
            bytes.len(),
            asset.bytes
        ));
    }
    let crc = bytes
        .len()
        .checked_sub(4)
        .and_then(|n| bytes[n..].try_into().ok())
        .map(u32::from_le_bytes);
    if crc != Some(asset.crc) {
        return Err(format!(
            "the index asset {} has CRC-32 {:08x}, not the {:08x} this worker was built with; redeploy",
            asset.path,
            crc.unwrap_or(0),
            asset.crc
        ));
    }
    Ok(())
}

/// The identity of the content the index was built from (0 for a blob that predates it, or before
/// an index asset is loaded).
pub fn content_id() -> u32 {
    let blob = match assets::index_asset() {
        None => BLOB,
        Some(_) => match LOADED.get() {
            Some(b) => *b,
            None => return 0,
        },
    };
    *CONTENT_ID.get_or_init(|| twin_index::blob::content_id(blob).unwrap_or(0))
}

/// The opened index, or why it could not be opened.
pub fn index() -> Result<&'static PackedIndex, String> {
    if let Some(opened) = INDEX.get() {
        return opened.as_ref().map_err(Clone::clone);
    }
    if assets::index_asset().is_some() {
        return Err("the index is not loaded".into());
    }
    if BLOB.is_empty() {
        return Err("this worker was built without an index (run scripts/worker-index.sh)".into());
    }
    INDEX
        .get_or_init(|| PackedIndex::open_static(BLOB).map_err(|e| e.to_string()))
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
