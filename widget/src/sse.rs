//! Reading the worker's event stream: the response body's `ReadableStream` becomes a byte stream, the
//! shared SSE framing (`eventsource-stream`) splits it into events, and `ChatEvent::from_sse` types them.

use futures_util::{Stream, StreamExt};
use twin_shared::ChatEvent;
use twin_shared::sse::sse_events;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStream, ReadableStreamDefaultReader};

/// Chunks of the body as they arrive.
fn body_bytes(body: ReadableStream) -> impl Stream<Item = Result<Vec<u8>, String>> {
    let reader: Option<ReadableStreamDefaultReader> = body.get_reader().dyn_into().ok();
    futures_util::stream::unfold(reader, |reader| async move {
        let r = reader?;
        let chunk = JsFuture::from(r.read()).await;
        match chunk {
            Err(_) => Some((Err("the answer was cut off".to_string()), None)),
            Ok(v) => {
                let done = js_sys::Reflect::get(&v, &"done".into())
                    .ok()?
                    .as_bool()
                    .unwrap_or(true);
                if done {
                    return None;
                }
                let value = js_sys::Reflect::get(&v, &"value".into()).ok()?;
                Some((Ok(bytes(&value)), Some(r)))
            }
        }
    })
}

/// The chat events of a response body; unknown event names are skipped.
pub fn chat_events(body: ReadableStream) -> impl Stream<Item = Result<ChatEvent, String>> {
    sse_events(body_bytes(body)).filter_map(|item| async move {
        match item {
            Ok(ev) => match ChatEvent::from_sse(&ev.event, &ev.data)? {
                Ok(e) => Some(Ok(e)),
                Err(e) => Some(Err(format!("the twin sent something unreadable ({e})"))),
            },
            Err(e) => Some(Err(e.to_string())),
        }
    })
}

/// Bytes of a `Uint8Array` chunk.
fn bytes(v: &JsValue) -> Vec<u8> {
    js_sys::Uint8Array::new(v).to_vec()
}
