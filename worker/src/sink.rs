//! The reader's end of the stream: chat events written as SSE frames into the response body, with the
//! timing `done` reports. Knows when the reader has gone, so upstream work can stop.

use crate::clock;
use futures_channel::mpsc::{Receiver, Sender, channel};
use twin_shared::ChatEvent;

/// Signs a finished answer's text (see `signature.rs`); `None` without a key.
pub type Signer = Box<dyn Fn(&str) -> Option<String>>;

/// Frames waiting for the reader at most: a reader who stops reading while the model writes ends the
/// answer rather than growing the worker's memory (an answer is a few hundred frames).
pub const MAX_QUEUED_FRAMES: usize = 2048;

/// Writes events to the response body.
pub struct Sink {
    tx: Sender<Result<Vec<u8>, worker::Error>>,
    /// When the request arrived.
    pub started: f64,
    /// Time to the first `delta`, once one was sent.
    pub ttft_ms: Option<u64>,
    /// The answer's text as sent so far.
    text: String,
    /// The usage its `done` reported, once sent.
    pub usage: Option<twin_shared::Usage>,
    /// How it ended: the `done` stop reason or the `error` code, once sent.
    pub outcome: Option<String>,
    /// The answer's trace id, for `done` (`None` when traces are off).
    pub trace: Option<String>,
    /// The `sources` event as sent (for the probe cache).
    pub sources: Option<Vec<twin_shared::Source>>,
    signer: Signer,
}

/// The body side of a [`Sink`].
pub type Body = Receiver<Result<Vec<u8>, worker::Error>>;

impl Sink {
    /// A sink and the body stream to hand to the response; `signer` signs the answer for `done`.
    pub fn new(started: f64, signer: Signer) -> (Sink, Body) {
        let (tx, rx) = channel(MAX_QUEUED_FRAMES);
        (
            Sink {
                tx,
                started,
                ttft_ms: None,
                text: String::new(),
                usage: None,
                outcome: None,
                trace: None,
                sources: None,
                signer,
            },
            rx,
        )
    }

    /// The answer's text as sent.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Ends the reader's stream (what follows, such as writing a trace, does not keep them waiting).
    pub fn close(&mut self) {
        self.tx.close_channel();
    }

    /// The signature of the answer sent so far, for its `done` event.
    pub fn signature(&self) -> Option<String> {
        (self.signer)(&self.text)
    }

    /// Sends an event; false when the reader has gone (or has left [`MAX_QUEUED_FRAMES`] unread).
    pub fn send(&mut self, event: &ChatEvent) -> bool {
        if !self.open() {
            self.outcome.get_or_insert_with(|| "reader_left".into());
            return false;
        }
        match event {
            ChatEvent::Done(done) => {
                self.usage = Some(done.usage);
                self.outcome = Some(done.stop_reason.clone());
            }
            ChatEvent::Error(e) => self.outcome = Some(e.code.clone()),
            ChatEvent::Sources(s) => self.sources = Some(s.clone()),
            _ => {}
        }
        if let ChatEvent::Delta { text } = event {
            if self.ttft_ms.is_none() {
                self.ttft_ms = Some(clock::since(self.started));
            }
            self.text.push_str(text);
        }
        match self.tx.try_send(Ok(event.to_sse().into_bytes())) {
            Ok(()) => true,
            Err(e) => {
                if e.is_full() {
                    worker::console_warn!("the reader stopped reading; the answer is ended");
                    self.tx.close_channel();
                }
                false
            }
        }
    }

    /// Whether the reader is still there.
    pub fn open(&self) -> bool {
        !self.tx.is_closed()
    }
}
