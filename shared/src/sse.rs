//! SSE framing, done by the maintained `eventsource-stream` crate: the one framer for twin's own stream
//! (read by the widget, the eval and the tests) and for the upstream model streams (read by the worker).

use futures_core::Stream;

pub use eventsource_stream::{Event as SseEvent, EventStreamError};

/// Frames a byte stream into SSE events.
pub fn sse_events<S, B, E>(bytes: S) -> eventsource_stream::EventStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    eventsource_stream::Eventsource::eventsource(bytes)
}
