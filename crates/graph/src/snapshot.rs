//! Reading a whole tenant into the snapshot format ([`TenantSnapshot`]): users with
//! [`USER_SELECT`], domains, the directory-role assignments of those users, `onPremisesSynchronization`,
//! and the deleted users (`deletedUsers`, with `deletedDateTime`).
//!
//! Everything is sorted (users and domains by id, role assignments by principal, role and id), so
//! the same tenant always gives the same snapshot whatever order Graph pages in.
//!
//! [`USER_SELECT`]: anchorsync_core::tenant::USER_SELECT

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::tenant::TenantSnapshot;

use crate::client::GraphClient;
use crate::error::GraphError;

/// A snapshot and what could not be read without failing it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotRead {
    /// The tenant.
    pub snapshot: TenantSnapshot,
    /// What is missing and why (for example `onPremisesSynchronization` refused to app-only access).
    pub warnings: Vec<String>,
}

impl GraphClient {
    /// Reads the tenant. A 403 on `onPremisesSynchronization` is a warning, not a failure: the
    /// documentation disagrees about whether app-only access may read it
    /// (<https://learn.microsoft.com/graph/api/onpremisesdirectorysynchronization-get>). So is a 403 on
    /// deleted items: they are optional in a snapshot.
    pub async fn read_snapshot(&self, reporter: &dyn Reporter) -> Result<SnapshotRead, GraphError> {
        let mut warnings = Vec::new();
        reporter.on_start("reading domains", None);
        let mut domains = self.list_domains().await?;
        reporter.on_advance(domains.len() as u64);
        reporter.on_finish();
        domains.sort_by(|a, b| a.id.cmp(&b.id));

        reporter.on_start("reading users", None);
        let mut users = self.list_all_users(reporter).await?;
        reporter.on_finish();
        users.sort_by(|a, b| a.id.cmp(&b.id));

        let principal_ids: Vec<&str> = users.iter().map(|user| user.id.as_str()).collect();
        let mut role_assignments = self
            .list_role_assignments_of(&principal_ids, reporter)
            .await?;
        role_assignments.sort_by(|a, b| {
            (&a.principal_id, &a.role_definition_id, &a.id).cmp(&(
                &b.principal_id,
                &b.role_definition_id,
                &b.id,
            ))
        });
        role_assignments.dedup_by(|a, b| a.id == b.id);

        reporter.on_start("reading deleted users", None);
        let deleted_users = match self.list_deleted_users_for_snapshot(reporter).await {
            Ok(mut deleted) => {
                deleted.sort_by(|a, b| a.id.cmp(&b.id));
                deleted
            }
            Err(error) if error.status() == Some(403) => {
                let warning = format!(
                    "deleted users were not read ({error}); the snapshot has no `deletedUsers`, so \
                     a sync planned from it cannot see users it could restore"
                );
                reporter.on_note(&warning);
                tracing::warn!("{warning}");
                warnings.push(warning);
                Vec::new()
            }
            Err(error) => return Err(error),
        };
        reporter.on_finish();

        let on_premises_synchronization = match self.on_premises_synchronization().await {
            Ok(sync) => sync,
            Err(error) if error.status() == Some(403) => {
                let warning = format!(
                    "`onPremisesSynchronization` was not read ({error}); the snapshot has no \
                     synchronisation features, and planning assumes Graph's defaults \
                     (soft match allowed, hard-match takeover allowed)"
                );
                reporter.on_note(&warning);
                tracing::warn!("{warning}");
                warnings.push(warning);
                None
            }
            Err(error) => return Err(error),
        };
        Ok(SnapshotRead {
            snapshot: TenantSnapshot {
                users,
                domains,
                role_assignments,
                on_premises_synchronization,
                deleted_users,
            },
            warnings,
        })
    }

    /// [`GraphClient::read_snapshot`] without progress.
    pub async fn read_snapshot_quietly(&self) -> Result<SnapshotRead, GraphError> {
        self.read_snapshot(&NoProgress).await
    }
}
