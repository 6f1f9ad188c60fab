//! The `pad_answers` fault ([`Faults::pad_answers`]): chosen requests are answered as usual, then the
//! answer goes on with [`Faults::padding_bytes`] of blanks (still valid JSON), sent in chunks with no
//! `Content-Length`. A client sees one enormous page, as from a broken or hostile endpoint, and must
//! stop reading at its own ceiling (graph crate: `max_response_mib`) rather than fill its memory.
//! The padding is made as it is sent, so the twin itself holds one chunk at a time.
//!
//! [`Faults::pad_answers`]: crate::Faults::pad_answers
//! [`Faults::padding_bytes`]: crate::Faults::padding_bytes

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::Frame;

use crate::lost_answers::matches;
use crate::state::Twin;

/// The size of each chunk of blanks.
const CHUNK: usize = 64 * 1024;

/// The answer's own bytes, then `remaining` blanks.
struct PaddedBody {
    answer: Option<Bytes>,
    remaining: u64,
    blanks: Bytes,
}

impl http_body::Body for PaddedBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Some(answer) = self.answer.take() {
            return Poll::Ready(Some(Ok(Frame::data(answer))));
        }
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let length =
            usize::try_from(self.remaining).map_or(CHUNK, |remaining| remaining.min(CHUNK));
        self.remaining -= length as u64;
        Poll::Ready(Some(Ok(Frame::data(self.blanks.slice(..length)))))
    }
}

/// Middleware on every request below `/v1.0` (a `$batch` call counts as one): runs the request,
/// then pads the answer when a `pad_answers` rule names it.
pub(crate) async fn pad_answers(
    State(twin): State<Twin>,
    request: Request,
    next: Next,
) -> Response {
    let faults = &twin.config().faults;
    let pad = faults.padding_bytes > 0 && {
        let method = request.method().as_str();
        let path = request.uri().path();
        faults
            .pad_answers
            .iter()
            .any(|rule| matches(rule, method, path))
    };
    let response = next.run(request).await;
    if !pad {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(answer) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let padded = PaddedBody {
        answer: Some(answer),
        remaining: faults.padding_bytes,
        blanks: Bytes::from(vec![b' '; CHUNK]),
    };
    Response::from_parts(parts, Body::new(padded))
}
