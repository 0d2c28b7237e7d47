//! Limits on the bodies of streaming calls, applied by the gateway:
//! - a client stream (an import) is ended when it sends nothing for the
//!   idle limit (`DEADLINE_EXCEEDED`), or passes the limit of messages or
//!   bytes (`RESOURCE_EXHAUSTED`, `STREAM_LIMIT`): the handler sees the
//!   stream fail with that status and answers with it;
//! - a server stream is ended at its deadline with a `DEADLINE_EXCEEDED`
//!   trailer, as a unary call would be.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use http_body::Frame;
use tokio::time::{Instant, Sleep};
use tonic::{Status, body::Body};

use crate::error::ApiError;

/// Counts the gRPC messages in a byte stream: each is a 5-byte prefix
/// (compression flag, 4-byte big-endian length) and that many bytes.
#[derive(Debug, Default)]
struct MessageCounter {
    header: [u8; 5],
    header_len: usize,
    body_left: u64,
    messages: u64,
}

impl MessageCounter {
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.body_left > 0 {
                let take = (self.body_left as usize).min(data.len());
                self.body_left -= take as u64;
                data = &data[take..];
                continue;
            }
            let take = (5 - self.header_len).min(data.len());
            self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
            self.header_len += take;
            data = &data[take..];
            if self.header_len == 5 {
                self.messages += 1;
                self.header_len = 0;
                let len = [
                    self.header[1],
                    self.header[2],
                    self.header[3],
                    self.header[4],
                ];
                self.body_left = u64::from(u32::from_be_bytes(len));
            }
        }
    }
}

/// The limits of one client stream.
#[derive(Debug, Clone, Copy)]
pub struct ClientStreamLimits {
    /// Longest quiet spell.
    pub idle: Duration,
    /// Most messages.
    pub messages: u64,
    /// Most bytes.
    pub bytes: u64,
}

/// A client stream's request body held to [`ClientStreamLimits`].
pub struct LimitedRequest {
    inner: Body,
    limits: ClientStreamLimits,
    quiet: Pin<Box<Sleep>>,
    bytes: u64,
    counter: MessageCounter,
    domain: std::sync::Arc<str>,
}

impl LimitedRequest {
    /// Wraps `inner`; refusals carry error domain `domain`.
    pub fn new(inner: Body, limits: ClientStreamLimits, domain: std::sync::Arc<str>) -> Self {
        Self {
            inner,
            quiet: Box::pin(tokio::time::sleep(limits.idle)),
            limits,
            bytes: 0,
            counter: MessageCounter::default(),
            domain,
        }
    }

    fn refuse(&self, error: ApiError) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        Poll::Ready(Some(Err(error.into_status(&self.domain))))
    }
}

impl http_body::Body for LimitedRequest {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.bytes += data.len() as u64;
                    let data = data.clone();
                    self.counter.feed(&data);
                    let limits = self.limits;
                    if self.bytes > limits.bytes {
                        return self.refuse(ApiError::StreamLimit(format!(
                            "a client stream may send at most {} bytes; split the import into several streams",
                            limits.bytes
                        )));
                    }
                    if self.counter.messages > limits.messages {
                        return self.refuse(ApiError::StreamLimit(format!(
                            "a client stream may send at most {} messages; split the import into several streams",
                            limits.messages
                        )));
                    }
                    let next = Instant::now() + limits.idle;
                    self.quiet.as_mut().reset(next);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                if self.quiet.as_mut().poll(cx).is_ready() {
                    let idle = self.limits.idle;
                    return self.refuse(ApiError::DeadlinePassed(format!(
                        "the client stream sent nothing for {} ms, the server's limit",
                        idle.as_millis()
                    )));
                }
                Poll::Pending
            }
            other => other,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

/// A server stream's response body ended at a deadline.
pub struct DeadlineResponse {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    passed: bool,
    ended: bool,
}

impl DeadlineResponse {
    /// Wraps `inner`, to end at `deadline`.
    pub fn new(inner: Body, deadline: std::time::Instant) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline.into())),
            passed: false,
            ended: false,
        }
    }
}

impl http_body::Body for DeadlineResponse {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => {}
            Poll::Ready(None) => {
                self.ended = true;
                return Poll::Ready(None);
            }
            ready => return ready,
        }
        if !self.passed && self.deadline.as_mut().poll(cx).is_ready() {
            self.passed = true;
            self.ended = true;
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static("4"));
            trailers.insert(
                "grpc-message",
                http::HeaderValue::from_static("the stream passed its deadline"),
            );
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.ended || self.inner.is_end_stream()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: u32) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&len.to_be_bytes());
        out.extend(std::iter::repeat_n(7_u8, len as usize));
        out
    }

    #[test]
    fn counts_messages_across_any_split_of_the_bytes() {
        let stream: Vec<u8> = [message(3), message(0), message(300), message(1)].concat();
        for chunk in [1, 2, 5, 7, 64, stream.len()] {
            let mut counter = MessageCounter::default();
            for piece in stream.chunks(chunk) {
                counter.feed(piece);
            }
            assert_eq!(counter.messages, 4, "chunks of {chunk}");
            assert_eq!(counter.body_left, 0);
        }
    }
}
