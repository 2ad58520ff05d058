//! The files behind the URLs of exported items, as a storage bucket serves them: `GET
//! /files/...` with no credentials, deterministic bytes, a `Content-Type`; every request
//! recorded with the credential headers it carried.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, SizeHint};

use crate::dataset::{Dataset, SeededFile};

/// Headers that carry Velt credentials, or credentials of any kind: a file request should
/// carry none of them (storage URLs are fetched without the API's secrets).
pub(crate) const CREDENTIAL_HEADERS: [&str; 5] = [
    "x-velt-api-key",
    "x-velt-auth-token",
    "authorization",
    "cookie",
    "proxy-authorization",
];

/// One request for a file, as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRequest {
    /// The request path, e.g. `/files/org-0001/user-0012/c1-voice.webm` (no query).
    pub path: String,
    /// The credential headers the request carried, lowercase, in this order:
    /// `x-velt-api-key`, `x-velt-auth-token`, `authorization`, `cookie`,
    /// `proxy-authorization`. Empty for a request without credentials, as it should be.
    pub credential_headers: Vec<&'static str>,
}

impl FileRequest {
    /// Whether the request carried any credential header.
    pub fn had_credentials(&self) -> bool {
        !self.credential_headers.is_empty()
    }

    pub(crate) fn new(path: &str, headers: &HeaderMap) -> FileRequest {
        FileRequest {
            path: path.to_owned(),
            credential_headers: CREDENTIAL_HEADERS
                .into_iter()
                .filter(|name| headers.contains_key(*name))
                .collect(),
        }
    }
}

/// The answer to a file request: the file, or 404 (unknown, or its owner's data erased).
pub(crate) fn answer(dataset: &Dataset, file: Option<SeededFile>) -> Response {
    let Some(file) = file else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "No such file.",
        )
            .into_response();
    };
    let body = match dataset.file_bytes(&file.path) {
        Some(bytes) => Body::from(bytes),
        None => Body::new(Repeating::new(dataset.big_file_block(), file.len)),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, file.content_type),
            (header::CACHE_CONTROL, "private, max-age=0"),
        ],
        body,
    )
        .into_response()
}

/// A body of `len` bytes that repeats one block: large files are streamed, never held.
struct Repeating {
    block: Bytes,
    left: u64,
}

impl Repeating {
    fn new(block: Vec<u8>, len: u64) -> Repeating {
        Repeating {
            block: Bytes::from(block),
            left: len,
        }
    }
}

impl hyper::body::Body for Repeating {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 || self.block.is_empty() {
            return Poll::Ready(None);
        }
        let take = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(self.block.len());
        self.left -= take as u64;
        Poll::Ready(Some(Ok(Frame::data(self.block.slice(..take)))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}
