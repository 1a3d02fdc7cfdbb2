//! SSE framing, done by the maintained `eventsource-stream` crate: the one framer for twin's own stream
//! (read by the widget, the eval and the tests) and for the upstream model streams (read by the worker).
//! [`bounded_lines`] caps how much a line may grow before it ends, so a peer that never sends a line
//! break cannot make the reader buffer without limit.

use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use eventsource_stream::{Event as SseEvent, EventStreamError};

/// The longest SSE line [`bounded_lines`] lets through: far above any event twin or a model API sends.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

/// Frames a byte stream into SSE events.
pub fn sse_events<S, B, E>(bytes: S) -> eventsource_stream::EventStream<S>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    eventsource_stream::Eventsource::eventsource(bytes)
}

/// A line of a byte stream ran past [`MAX_LINE_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an SSE line ran past {MAX_LINE_BYTES} bytes without a line break")]
pub struct LineTooLong;

/// `bytes` with every line capped at [`MAX_LINE_BYTES`]: a longer one ends the stream with
/// `too_long()` (the caller's error for [`LineTooLong`]). Frame the result with [`sse_events`].
pub fn bounded_lines<S, B, E>(bytes: S, too_long: fn(LineTooLong) -> E) -> BoundedLines<S, E>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
{
    BoundedLines {
        inner: bytes,
        line: 0,
        too_long,
        failed: false,
    }
}

/// See [`bounded_lines`].
pub struct BoundedLines<S, E> {
    inner: S,
    /// Bytes since the last line break.
    line: usize,
    too_long: fn(LineTooLong) -> E,
    failed: bool,
}

impl<S, B, E> Stream for BoundedLines<S, E>
where
    S: Stream<Item = Result<B, E>> + Unpin,
    B: AsRef<[u8]>,
{
    type Item = Result<B, E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let bytes = chunk.as_ref();
                self.line = match bytes.iter().rposition(|b| *b == b'\n' || *b == b'\r') {
                    Some(i) => bytes.len() - i - 1,
                    None => self.line + bytes.len(),
                };
                if self.line > MAX_LINE_BYTES {
                    self.failed = true;
                    return Poll::Ready(Some(Err((self.too_long)(LineTooLong))));
                }
                Poll::Ready(Some(Ok(chunk)))
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
    fn a_line_without_end_is_cut_off_and_broken_lines_pass() {
        let half = vec![b'a'; MAX_LINE_BYTES / 2 + 1];
        let mut ended = half.clone();
        ended.push(b'\n');
        assert_eq!(
            lines(vec![ended.clone(), ended.clone(), ended]),
            vec![Ok(MAX_LINE_BYTES / 2 + 2); 3],
            "lines that end are fine however many"
        );
        let out = lines(vec![half.clone(), half.clone(), half]);
        assert_eq!(out[0], Ok(MAX_LINE_BYTES / 2 + 1));
        assert!(
            matches!(&out[1], Err(e) if e.contains("without a line break")),
            "{out:?}"
        );
        assert_eq!(out.len(), 2, "nothing after the error");
    }
}
