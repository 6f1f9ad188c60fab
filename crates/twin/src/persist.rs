//! Keeping a rehearsal tenant on disk while the twin runs (`twin serve --state FILE`), so that a twin
//! that dies (SIGKILL, a crash, a power cut) loses no write it acknowledged.
//!
//! [`save_after_writes`] writes the whole tenant to the file after writes, atomically
//! ([`crate::write_snapshot`]: a temporary file, `fsync`, rename, then `fsync` of the directory).
//! Saves coalesce: the writes applied while one save is under way go into the next one, so a burst
//! of writes costs a few saves, not one each. A write's answer leaves only once a save holding it
//! is on disk ([`acknowledge_when_saved`]), so an answered write survives the process; a write
//! whose answer never left may or may not be in the file, as with Graph itself.

use std::future::Future;
use std::path::PathBuf;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::messages;
use crate::snapshot::{SnapshotError, write_snapshot};
use crate::state::Twin;

/// How far the state file has caught up with the writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Saved {
    /// No state file is kept: answers never wait.
    NotKept,
    /// The file holds the first `n` writes.
    UpTo(u64),
    /// A save failed: the file no longer follows the tenant.
    Failed,
}

/// Saves the tenant to `path` after writes, until a save fails (the error is returned; writes
/// waiting for it are answered 500 `generalException`). From the call on, answers to writes wait
/// for their save, so call it before serving, and run the future beside the server for as long as
/// it serves; write the file once more when the twin stops, to hold the twin's own purges.
pub fn save_after_writes(
    twin: Twin,
    path: PathBuf,
) -> impl Future<Output = Result<(), SnapshotError>> + Send + 'static {
    let mut applied = twin.applied().subscribe();
    let saved_up_to = *applied.borrow_and_update();
    twin.saved().send_replace(Saved::UpTo(saved_up_to));
    keep_saving(twin, path, applied, saved_up_to)
}

async fn keep_saving(
    twin: Twin,
    path: PathBuf,
    mut applied: tokio::sync::watch::Receiver<u64>,
    mut saved_up_to: u64,
) -> Result<(), SnapshotError> {
    loop {
        // The sender lives in the twin, which this holds: waiting never fails.
        if applied
            .wait_for(|count| *count > saved_up_to)
            .await
            .is_err()
        {
            return Ok(());
        }
        let target = *applied.borrow_and_update();
        // Every write counted in `target` changed the directory before it was counted.
        let snapshot = twin.snapshot();
        let file = path.clone();
        let written = tokio::task::spawn_blocking(move || write_snapshot(&file, &snapshot)).await;
        match written {
            Ok(Ok(())) => {
                saved_up_to = target;
                twin.saved().send_replace(Saved::UpTo(target));
            }
            Ok(Err(error)) => {
                twin.saved().send_replace(Saved::Failed);
                return Err(error);
            }
            Err(_) => {
                twin.saved().send_replace(Saved::Failed);
                return Err(SnapshotError::Io {
                    action: "write",
                    path,
                    source: std::io::Error::other("the saving task stopped"),
                });
            }
        }
    }
}

/// Middleware: when a state file is kept, a request that applied writes is answered only once the
/// file holds them (500 if the save failed). Reads pass straight through.
pub(crate) async fn acknowledge_when_saved(
    State(twin): State<Twin>,
    request: Request,
    next: Next,
) -> Response {
    let reads_only = matches!(*request.method(), Method::GET | Method::HEAD);
    if reads_only || *twin.saved().borrow() == Saved::NotKept {
        return next.run(request).await;
    }
    let before = *twin.applied().borrow();
    let response = next.run(request).await;
    // Another request's write may be counted too; waiting for it as well is harmless.
    let after = *twin.applied().borrow();
    if after == before {
        return response;
    }
    let mut saved = twin.saved().subscribe();
    let outcome = saved
        .wait_for(|saved| match saved {
            Saved::UpTo(count) => *count >= after,
            Saved::NotKept | Saved::Failed => true,
        })
        .await
        .map(|saved| *saved);
    match outcome {
        Ok(Saved::UpTo(_) | Saved::NotKept) => response,
        Ok(Saved::Failed) | Err(_) => messages::state_not_saved().into_response(),
    }
}
