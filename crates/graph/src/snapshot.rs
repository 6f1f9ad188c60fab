//! Reading a whole tenant into the snapshot format ([`TenantSnapshot`]): users with
//! [`USER_SELECT`], domains, the directory-role assignments of those users, `onPremisesSynchronization`,
//! and the deleted users (`deletedUsers`, with `deletedDateTime`); with
//! [`GraphClient::read_snapshot_with_recipients`] also the groups and organisational contacts that hold an
//! address (`groups`, `contacts`, with [`RECIPIENT_SELECT`]).
//!
//! Everything is sorted (users and domains by id, role assignments by principal, role and id), so
//! the same tenant always gives the same snapshot whatever order Graph pages in.
//!
//! [`USER_SELECT`]: anchorsync_core::tenant::USER_SELECT
//! [`RECIPIENT_SELECT`]: anchorsync_core::tenant::RECIPIENT_SELECT

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::tenant::{CloudRecipient, RECIPIENT_SELECT, TenantSnapshot};

use crate::client::GraphClient;
use crate::error::GraphError;
use crate::odata::Query;

/// What a tenant read covers besides users, domains, roles, switches and deleted users.
#[derive(Clone, Copy)]
struct Coverage {
    /// Users and deleted users with every property a sync manages.
    for_sync: bool,
    /// Groups and organisational contacts that hold an address.
    recipients: bool,
}

/// The two kinds of mail recipient besides users that share their address namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientKind {
    /// Groups (`/groups`, <https://learn.microsoft.com/graph/api/group-list>).
    Groups,
    /// Organisational contacts (`/contacts`, <https://learn.microsoft.com/graph/api/orgcontact-list>).
    Contacts,
}

impl RecipientKind {
    /// The Graph path segment, which is also the snapshot's key.
    pub fn segment(self) -> &'static str {
        match self {
            Self::Groups => "groups",
            Self::Contacts => "contacts",
        }
    }

    /// The application permission that reads them, as the README asks admins to grant it.
    pub fn permission(self) -> &'static str {
        match self {
            Self::Groups => "Group.Read.All",
            Self::Contacts => "OrgContact.Read.All",
        }
    }

    fn progress(self) -> &'static str {
        match self {
            Self::Groups => "reading groups",
            Self::Contacts => "reading contacts",
        }
    }
}

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
        let coverage = Coverage {
            for_sync: false,
            recipients: false,
        };
        self.read_tenant(coverage, reporter).await
    }

    /// [`GraphClient::read_snapshot`] with the groups and organisational contacts that hold an address
    /// (`mail` or a proxy address): what `lint` compares AD's addresses with. They need
    /// `Group.Read.All` and `OrgContact.Read.All`; a 403 on either is a warning and leaves that list
    /// empty, since the rest of the snapshot is still sound.
    pub async fn read_snapshot_with_recipients(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<SnapshotRead, GraphError> {
        let coverage = Coverage {
            for_sync: false,
            recipients: true,
        };
        self.read_tenant(coverage, reporter).await
    }

    /// Every group (`kind` `groups`) or organisational contact (`contacts`) holding an address, with
    /// [`RECIPIENT_SELECT`], sorted by id.
    pub async fn list_recipients(
        &self,
        kind: RecipientKind,
        reporter: &dyn Reporter,
    ) -> Result<Vec<CloudRecipient>, GraphError> {
        let query = Query::select(RECIPIENT_SELECT).top(self.settings().page_size);
        let listed: Vec<CloudRecipient> = self
            .list(
                format!("/{}{}", kind.segment(), query.to_query_string()),
                false,
                reporter,
            )
            .await?;
        let mut held: Vec<CloudRecipient> = listed
            .into_iter()
            .filter(CloudRecipient::holds_an_address)
            .collect();
        held.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(held)
    }

    /// [`GraphClient::list_recipients`], a 403 turned into a warning (pushed on `warnings`) and an empty list.
    async fn recipients_or_warning(
        &self,
        kind: RecipientKind,
        reporter: &dyn Reporter,
        warnings: &mut Vec<String>,
    ) -> Result<Vec<CloudRecipient>, GraphError> {
        reporter.on_start(kind.progress(), None);
        let listed = self.list_recipients(kind, reporter).await;
        reporter.on_finish();
        match listed {
            Ok(listed) => Ok(listed),
            Err(error) if error.status() == Some(403) => {
                let warning = format!(
                    "{} were not read ({error}); grant the app {} to compare AD's addresses with \
                     them. The snapshot has no `{}`",
                    kind.segment(),
                    kind.permission(),
                    kind.segment()
                );
                reporter.on_note(&warning);
                tracing::warn!("{warning}");
                warnings.push(warning);
                Ok(Vec::new())
            }
            Err(error) => Err(error),
        }
    }

    /// [`GraphClient::read_snapshot`] with every property a sync manages
    /// ([`sync_user_select`](crate::sync_user_select)) for users and deleted users: what a sync
    /// compares with AD, so that a property left out of the read is never taken for empty.
    pub async fn read_snapshot_for_sync(
        &self,
        reporter: &dyn Reporter,
    ) -> Result<SnapshotRead, GraphError> {
        let coverage = Coverage {
            for_sync: true,
            recipients: false,
        };
        self.read_tenant(coverage, reporter).await
    }

    async fn read_tenant(
        &self,
        coverage: Coverage,
        reporter: &dyn Reporter,
    ) -> Result<SnapshotRead, GraphError> {
        let Coverage {
            for_sync,
            recipients,
        } = coverage;
        let mut warnings = Vec::new();
        reporter.on_start("reading domains", None);
        let mut domains = self.list_domains().await?;
        reporter.on_advance(domains.len() as u64);
        reporter.on_finish();
        domains.sort_by(|a, b| a.id.cmp(&b.id));

        reporter.on_start("reading users", None);
        let mut users = if for_sync {
            self.list_users_for_sync(reporter).await?
        } else {
            self.list_all_users(reporter).await?
        };
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
        let deleted = if for_sync {
            self.list_deleted_users(reporter).await
        } else {
            self.list_deleted_users_for_snapshot(reporter).await
        };
        let deleted_users = match deleted {
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
        let (groups, contacts) = if recipients {
            (
                self.recipients_or_warning(RecipientKind::Groups, reporter, &mut warnings)
                    .await?,
                self.recipients_or_warning(RecipientKind::Contacts, reporter, &mut warnings)
                    .await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(SnapshotRead {
            snapshot: TenantSnapshot {
                users,
                domains,
                role_assignments,
                on_premises_synchronization,
                deleted_users,
                groups,
                contacts,
            },
            warnings,
        })
    }

    /// [`GraphClient::read_snapshot`] without progress.
    pub async fn read_snapshot_quietly(&self) -> Result<SnapshotRead, GraphError> {
        self.read_snapshot(&NoProgress).await
    }
}
