//! The reader's end of the stream: chat events written as SSE frames into the response body, with the
//! timing `done` reports. Knows when the reader has gone, so upstream work can stop.

use crate::clock;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use twin_shared::ChatEvent;

/// Signs a finished answer's text (see `signature.rs`).
pub type Signer = Box<dyn Fn(&str) -> String>;

/// Writes events to the response body.
pub struct Sink {
    tx: UnboundedSender<Result<Vec<u8>, worker::Error>>,
    /// When the request arrived.
    pub started: f64,
    /// Time to the first `delta`, once one was sent.
    pub ttft_ms: Option<u64>,
    /// The answer's text as sent so far.
    text: String,
    signer: Signer,
}

/// The body side of a [`Sink`].
pub type Body = UnboundedReceiver<Result<Vec<u8>, worker::Error>>;

impl Sink {
    /// A sink and the body stream to hand to the response; `signer` signs the answer for `done`.
    pub fn new(started: f64, signer: Signer) -> (Sink, Body) {
        let (tx, rx) = unbounded();
        (
            Sink {
                tx,
                started,
                ttft_ms: None,
                text: String::new(),
                signer,
            },
            rx,
        )
    }

    /// The signature of the answer sent so far, for its `done` event.
    pub fn signature(&self) -> String {
        (self.signer)(&self.text)
    }

    /// Sends an event; false when the reader has gone.
    pub fn send(&mut self, event: &ChatEvent) -> bool {
        if let ChatEvent::Delta { text } = event {
            if self.ttft_ms.is_none() {
                self.ttft_ms = Some(clock::since(self.started));
            }
            self.text.push_str(text);
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
