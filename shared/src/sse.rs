//! SSE framing, done by the maintained `eventsource-stream` crate: the one framer for twin's own stream
//! (read by the widget, the eval and the tests) and for the upstream model streams (read by the worker).
//! [`bounded_lines`] caps how long a line and an event may grow, so a peer that never ends one cannot
//! make the reader (which keeps an event whole until its blank line) buffer without limit.

use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use eventsource_stream::{Event as SseEvent, EventStreamError};

/// The longest SSE line [`bounded_lines`] lets through: far above any event twin or a model API sends.
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// The longest SSE event (its lines up to the blank line) [`bounded_lines`] lets through.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Frames a byte stream into SSE events.
pub fn sse_events<S, B, E>(bytes: S) -> eventsource_stream::EventStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    eventsource_stream::Eventsource::eventsource(bytes)
}

/// A line ran past [`MAX_LINE_BYTES`] or an event past [`MAX_EVENT_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "an SSE line ran past {MAX_LINE_BYTES} bytes, or an event past {MAX_EVENT_BYTES}, without ending"
)]
pub struct LineTooLong;

/// `bytes` with every line capped at [`MAX_LINE_BYTES`] and every event at [`MAX_EVENT_BYTES`]: a
/// longer one ends the stream with `too_long()` (the caller's error for [`LineTooLong`]). Frame the
/// result with [`sse_events`].
pub fn bounded_lines<S, B, E>(bytes: S, too_long: fn(LineTooLong) -> E) -> BoundedLines<S, E>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    BoundedLines {
        inner: bytes,
        line: 0,
        event: 0,
        after_cr: false,
        too_long,
        failed: false,
    }
}

/// See [`bounded_lines`].
pub struct BoundedLines<S, E> {
    inner: S,
    /// Bytes since the last line break.
    line: usize,
    /// Bytes since the last blank line.
    event: usize,
    /// The last byte was a CR (a LF after it ends the same line).
    after_cr: bool,
    too_long: fn(LineTooLong) -> E,
    failed: bool,
}

impl<S, B, E> Stream for BoundedLines<S, E>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]> + From<&'static [u8]>,
{
    type Item = Result<B, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let this = &mut *self;
                for &b in chunk.as_ref() {
                    let crlf = b == b'\n' && this.after_cr;
                    this.after_cr = b == b'\r';
                    if crlf {
                        continue;
                    }
                    if b == b'\n' || b == b'\r' {
                        if this.line == 0 {
                            this.event = 0;
                        }
                        this.line = 0;
                    } else {
                        this.line += 1;
                        this.event += 1;
                    }
                    if this.line > MAX_LINE_BYTES || this.event > MAX_EVENT_BYTES {
                        this.failed = true;
                        return Poll::Ready(Some(Err((this.too_long)(LineTooLong))));
                    }
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            // A stream whose last byte is a CR ends that line: the framer would wait for a LF that may
            // follow (CRLF is one line end), so it is given one, which ends the line the same way.
            // Found by the fuzz target `sse-framing`: an answer in CR line ends lost its last event.
            Poll::Ready(None) if self.after_cr => {
                self.after_cr = false;
                Poll::Ready(Some(Ok(B::from(b"\n".as_slice()))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(chunks: Vec<Vec<u8>>) -> Vec<Result<usize, String>> {
        let s = futures_util_lite::iter(chunks.into_iter().map(Ok::<_, String>));
        let mut bounded = bounded_lines(s, |e| e.to_string());
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut out = Vec::new();
        while let Poll::Ready(Some(item)) = Pin::new(&mut bounded).poll_next(&mut cx) {
            out.push(item.map(|c| c.len()));
        }
        out
    }

    /// A ready-made stream over an iterator, so the test needs no executor crate.
    mod futures_util_lite {
        use super::*;
        pub struct Iter<I>(I);
        pub fn iter<I>(i: I) -> Iter<I> {
            Iter(i)
        }
        impl<I: Iterator + Unpin> Stream for Iter<I> {
            type Item = I::Item;
            fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<I::Item>> {
                Poll::Ready(self.0.next())
            }
        }
    }

    #[test]
    fn a_last_event_ended_by_carriage_returns_is_delivered() {
        let chunks = vec![b"event: a\rdata: 1\r\r".to_vec(), b"data: 2\r\r".to_vec()];
        let s = futures_util_lite::iter(chunks.into_iter().map(Ok::<_, String>));
        let mut events = sse_events(bounded_lines(s, |e| e.to_string()));
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut data = Vec::new();
        while let Poll::Ready(Some(item)) = Pin::new(&mut events).poll_next(&mut cx) {
            data.push(item.map(|e| e.data).map_err(|e| e.to_string()));
        }
        assert_eq!(data, [Ok("1".to_string()), Ok("2".to_string())]);
    }

    #[test]
    fn a_line_or_event_without_end_is_cut_off_and_ended_ones_pass() {
        let half = vec![b'a'; MAX_LINE_BYTES / 2 + 1];
        let mut ended = half.clone();
        ended.push(b'\n');
        assert_eq!(
            lines(vec![ended.clone(), ended.clone(), ended]),
            vec![Ok(MAX_LINE_BYTES / 2 + 2); 3],
            "lines that end are fine however many"
        );
        let out = lines(vec![half.clone(), half.clone(), half.clone()]);
        assert_eq!(out[0], Ok(MAX_LINE_BYTES / 2 + 1));
        assert!(
            matches!(&out[1], Err(e) if e.contains("without ending")),
            "{out:?}"
        );
        assert_eq!(out.len(), 2, "nothing after the error");
        // A long line whose end comes in a later chunk, after more than the limit, is caught.
        let mut tail = vec![b'a'; MAX_LINE_BYTES / 2];
        tail.push(b'\n');
        let out = lines(vec![half.clone(), half, tail]);
        assert!(out[1].is_err(), "{out:?}");
        // Short lines that never make a blank line still end the stream past the event limit.
        let line = b"data: x\r\n".to_vec();
        let many = vec![line; MAX_EVENT_BYTES / 7 + 1];
        assert!(
            lines(many.clone()).last().is_some_and(Result::is_err),
            "an endless event"
        );
        // With a blank line now and then, they are events of their own.
        let mut separated = many;
        for (i, l) in separated.iter_mut().enumerate() {
            if i % 100 == 0 {
                l.extend_from_slice(b"\r\n");
            }
        }
        assert!(lines(separated).iter().all(Result::is_ok));
    }
}
