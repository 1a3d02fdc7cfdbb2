//! The reader's end of the stream: chat events written as SSE frames into the response body, with the
//! timing `done` reports. Knows when the reader has gone, so upstream work can stop.

use crate::clock;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use twin_shared::ChatEvent;

/// Writes events to the response body.
pub struct Sink {
    tx: UnboundedSender<Result<Vec<u8>, worker::Error>>,
    /// When the request arrived.
    pub started: f64,
    /// Time to the first `delta`, once one was sent.
    pub ttft_ms: Option<u64>,
}

/// The body side of a [`Sink`].
pub type Body = UnboundedReceiver<Result<Vec<u8>, worker::Error>>;

impl Sink {
    /// A sink and the body stream to hand to the response.
    pub fn new(started: f64) -> (Sink, Body) {
        let (tx, rx) = unbounded();
        (
            Sink {
                tx,
                started,
                ttft_ms: None,
            },
            rx,
        )
    }

    /// Sends an event; false when the reader has gone.
    pub fn send(&mut self, event: &ChatEvent) -> bool {
        if matches!(event, ChatEvent::Delta { .. }) && self.ttft_ms.is_none() {
            self.ttft_ms = Some(clock::since(self.started));
        }
        self.tx
            .unbounded_send(Ok(event.to_sse().into_bytes()))
            .is_ok()
    }

    /// Whether the reader is still there.
    pub fn open(&self) -> bool {
        !self.tx.is_closed()
    }
}
