//! The ceiling on what one answer may cost (issue 12): a broken or hostile endpoint sending one
//! enormous page fails the request, naming it, instead of filling memory. The twin's `pad_answers`
//! fault sends the page: the real answer, then blanks in chunks without `Content-Length`.

use anchorsync_core::progress::NoProgress;
use anchorsync_graph::odata::Query;
use anchorsync_graph::{GraphClient, GraphError};

use crate::support::*;

fn padded(padding_bytes: u64) -> anchorsync_twin::TwinConfig {
    let mut config = config();
    config.faults.pad_answers = vec!["GET /users".to_owned()];
    config.faults.padding_bytes = padding_bytes;
    config
}

#[tokio::test]
async fn an_enormous_page_fails_at_the_ceiling_naming_the_request_issue_12() {
    // 1 GiB of blanks after the page: valid JSON that a client without a ceiling would read whole.
    let server = start_with(padded(1 << 30));
    let client = GraphClient::new(settings(&server, APP).max_response_bytes(1 << 20)).unwrap();
    let error = client
        .list_users(&Query::select(&["id"]), &NoProgress)
        .await
        .unwrap_err();
    let GraphError::ResponseTooLarge {
        request,
        limit,
        request_id,
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*limit, 1 << 20);
    assert!(request_id.is_some(), "{error}");
    assert_eq!(request.to_string(), "GET /users?$select=id");
    assert_eq!(
        error.to_string(),
        format!(
            "`GET /users?$select=id`: the answer is larger than 1 MiB and was not read (request-id `{}`)",
            request_id.as_deref().unwrap()
        )
    );
    assert!(error.hint().unwrap().contains("max_response_mib"));
}

#[tokio::test]
async fn a_declared_length_over_the_ceiling_is_refused_unread_and_the_default_reads_it_issue_12() {
    let server = start();
    // The twin declares the page's length: 200 bytes cannot hold it.
    let small = GraphClient::new(settings(&server, APP).max_response_bytes(200)).unwrap();
    let error = small
        .list_users(&Query::select(&["id", "displayName"]), &NoProgress)
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphError::ResponseTooLarge { limit: 200, .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("larger than 200 bytes"),
        "{error}"
    );
    // The same page within the default ceiling, and a padded one that still fits.
    let users = client(&server, APP)
        .list_users(&Query::select(&["id", "displayName"]), &NoProgress)
        .await
        .unwrap();
    assert!(!users.is_empty());
    let padded_server = start_with(padded(100_000));
    let users = client(&padded_server, APP)
        .list_users(&Query::select(&["id"]), &NoProgress)
        .await
        .unwrap();
    assert!(!users.is_empty());
}
