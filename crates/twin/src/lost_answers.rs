//! The `lose_answers` fault ([`Faults::lose_answers`]): chosen requests are carried out in full,
//! then their answer is lost: the status line leaves, the body never completes and the connection is
//! cut. A client sees a request that was sent and never answered, the one case where it cannot know
//! whether a `POST` created anything (graph crate: `OutcomeUnknown`), and must find out by reading.
//!
//! [`Faults::lose_answers`]: crate::Faults::lose_answers

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::Frame;

use crate::state::Twin;

/// Whether `rule` (`METHOD /path`) names a request with `method` on `path` (below `/v1.0`): the
/// same method, and the same path or one below it, ignoring case.
pub(crate) fn matches(rule: &str, method: &str, path: &str) -> bool {
    let Some((rule_method, rule_path)) = rule.trim().split_once(' ') else {
        return false;
    };
    let rule_path = rule_path.trim().trim_end_matches('/').to_ascii_lowercase();
    let path = path.trim_end_matches('/').to_ascii_lowercase();
    rule_method.eq_ignore_ascii_case(method)
        && (path == rule_path
            || path
                .strip_prefix(&rule_path)
                .is_some_and(|rest| rest.starts_with('/')))
}

/// A body that fails on its first read: the server aborts the connection mid-answer.
struct CutBody;

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "answer lost (twin fault `lose_answers`)",
        ))))
    }
}

/// Middleware on every request below `/v1.0` (a `$batch` call counts as one): runs the request,
/// then loses the answer when a `lose_answers` rule names it.
pub(crate) async fn lose_answers(
    State(twin): State<Twin>,
    request: Request,
    next: Next,
) -> Response {
    let rules = &twin.config().faults.lose_answers;
    let lose = !rules.is_empty() && {
        let method = request.method().as_str();
        let path = request.uri().path();
        rules.iter().any(|rule| matches(rule, method, path))
    };
    let response = next.run(request).await;
    if !lose {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::new(CutBody))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_method_and_path_prefix_by_segment() {
        assert!(matches("POST /users", "POST", "/users"));
        assert!(matches("post /Users/", "POST", "/users"));
        assert!(matches("DELETE /users", "DELETE", "/users/abc"));
        assert!(!matches("DELETE /users", "DELETE", "/usersx"));
        assert!(!matches("POST /users", "PATCH", "/users/abc"));
        assert!(!matches("POST", "POST", "/users"));
    }
}
