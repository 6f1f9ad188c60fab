//! Reading a response body with a ceiling ([`crate::ClientSettings::max_response_bytes`]), so that a
//! broken or hostile endpoint sending one enormous page (or an endless one) costs at most that much
//! memory: a declared `Content-Length` above it is refused before a byte is read, and a body without
//! one is read chunk by chunk and dropped the moment it passes the ceiling.

/// What reading a body came to.
pub(crate) enum BodyRead {
    /// The whole body, within the ceiling.
    Complete(Vec<u8>),
    /// The body is (or declared itself) larger than the ceiling; the connection is dropped.
    TooLarge,
    /// The connection failed while reading.
    Failed(reqwest::Error),
}

/// Reads `response`'s body, refusing more than `limit` bytes.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: u64) -> BodyRead {
    if response
        .content_length()
        .is_some_and(|declared| declared > limit)
    {
        return BodyRead::TooLarge;
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let length =
                    u64::try_from(body.len().saturating_add(chunk.len())).unwrap_or(u64::MAX);
                if length > limit {
                    return BodyRead::TooLarge;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return BodyRead::Complete(body),
            Err(error) => return BodyRead::Failed(error),
        }
    }
}
