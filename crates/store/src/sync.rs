//! The sync's state (schema version 4): the links between AD users and the cloud users this engine
//! created or joined, the link changes each `sync --apply` run makes, and the export errors.
//!
//! **Links follow the journal.** A sync run is created with its steps *and* its link changes in one
//! transaction ([`Store::create_sync_run`]). A link change names the step whose success it depends on
//! (the `POST /users` of a create, the `PATCH` that joins, the restore, the disable or delete); once
//! that step is final, [`Store::settle_links`] writes the link (a create takes the cloud user's id from
//! the step's journaled `created`) or drops the change (the step failed), in one transaction. A
//! process killed at any moment therefore leaves either pending changes, settled when the resumed run
//! reaches its end or by the next sync ([`Store::unsettled_sync_runs`]), or settled ones: the links end
//! as the done steps say, never ahead of them and never lost. Settling twice changes nothing.
//!
//! Undoing a sync run puts back the links its changes replaced ([`Store::revert_links`]).
//!
//! **Export errors** are replaced as a whole after each sync run ([`Store::replace_export_errors`]): an
//! error met again keeps its first run and counts the runs in a row that met it; one that is not met
//! again is gone (its user was written, or left).

use anchorsync_core::identifier::ObjectGuid;
use anchorsync_core::sync::{Link, LinkState};
use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use crate::journal::{insert_run, sqlite_error};
use crate::{Error, NewRun, Run, RunKind, Step, StepState, Store};

/// A change to one link, made by one step of a sync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    /// The AD user the change is about (for a removal, the link's objectGUID).
    pub object_guid: ObjectGuid,
    /// The step that must be done for the change to hold; `None`: no write is needed (a join that
    /// changes nothing, a forgotten link).
    pub needs_seq: Option<u32>,
    /// A create: the step whose created object is the link's cloud user.
    pub cloud_from_seq: Option<u32>,
    /// The link once the step is done; `None` removes it.
    pub after: Option<Link>,
    /// The link as it was before the run (for undo).
    pub before: Option<Link>,
}

/// Where a link change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkChangeState {
    /// Its step is not final yet.
    Pending,
    /// Written to the links.
    Applied,
    /// Its step did not succeed: the link stays as it was.
    Dropped,
    /// Applied, then put back by an undo of its run.
    Reverted,
}

impl LinkChangeState {
    /// The name in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Dropped => "dropped",
            Self::Reverted => "reverted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Applied, Self::Dropped, Self::Reverted]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// A link change as the database holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLinkChange {
    /// Its position in the run.
    pub position: u32,
    /// The change (for a create, `after` carries the created id once applied).
    pub change: LinkChange,
    /// Where it stands.
    pub state: LinkChangeState,
}

/// What settling a run's link changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// Links written.
    pub stored: usize,
    /// Links removed.
    pub removed: usize,
    /// Changes dropped because their step did not succeed.
    pub dropped: usize,
    /// Changes whose step is not final yet.
    pub pending: usize,
}

/// One export error of one user, to keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewExportError {
    /// The AD user's objectGUID, when known.
    pub object_guid: Option<ObjectGuid>,
    /// Its DN (none for a user who left the scope).
    pub dn: Option<String>,
    /// Its userPrincipalName.
    pub user_principal_name: Option<String>,
    /// The cloud user, when there is one.
    pub cloud_user_id: Option<String>,
    /// The code (`docs/sync-format.md`'s export error codes, or `write-refused`, `write-conflict`).
    pub code: String,
    /// The property, when the error is about one.
    pub property: Option<String>,
    /// What happened.
    pub message: String,
}

impl NewExportError {
    /// What identifies the user across runs: objectGUID, else DN, else cloud id.
    fn user_key(&self) -> String {
        self.object_guid
            .map(|guid| guid.to_string())
            .or_else(|| self.dn.clone())
            .or_else(|| self.cloud_user_id.clone())
            .unwrap_or_default()
    }
}

/// An export error as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredExportError {
    /// The error.
    #[serde(flatten)]
    pub error: NewExportError,
    /// The first run that met it.
    pub first_run: String,
    /// The last run that met it.
    pub last_run: String,
    /// How many runs in a row met it.
    pub runs: u32,
}

impl Store {
    /// Every stored link, by objectGUID.
    pub fn links(&self) -> Result<Vec<Link>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT object_guid, cloud_user_id, source_anchor, origin, state FROM links \
                 ORDER BY object_guid",
            )
            .map_err(|source| self.error("reading links", source))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                ))
            })
            .map_err(|source| self.error("reading links", source))?;
        let mut links = Vec::new();
        for row in rows {
            let (guid, cloud_user_id, source_anchor, origin, state) =
                row.map_err(|source| self.error("reading links", source))?;
            let corrupt = |reason: String| Error::CorruptLink {
                path: self.path.clone(),
                object_guid: guid.clone(),
                reason,
            };
            links.push(Link {
                object_guid: guid
                    .parse()
                    .map_err(|error| corrupt(format!("not an objectGUID: {error}")))?,
                cloud_user_id,
                source_anchor,
                origin: serde_json::from_str(&origin)
                    .map_err(|error| corrupt(format!("`origin`: {error}")))?,
                state: serde_json::from_value(serde_json::Value::String(state.clone()))
                    .map_err(|_| corrupt(format!("unknown state `{state}`")))?,
            });
        }
        Ok(links)
    }

    /// Creates a sync run: the run, its steps (`planned`) and its link changes (`pending`), in one
    /// transaction.
    pub fn create_sync_run(
        &mut self,
        run: &NewRun,
        steps: &[Step],
        changes: &[LinkChange],
    ) -> Result<(), Error> {
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite_error(&path, "starting a sync run"))?;
        insert_run(&transaction, &path, run, steps)?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT INTO link_changes (run_id, position, object_guid, needs_seq, cloud_from_seq, \
                     after, before, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sqlite_error(&path, "inserting link changes"))?;
            for (position, change) in (1u32..).zip(changes) {
                insert
                    .execute(params![
                        run.id,
                        position,
                        change.object_guid.to_string(),
                        change.needs_seq,
                        change.cloud_from_seq,
                        change.after.as_ref().map(link_json),
                        change.before.as_ref().map(link_json),
                        LinkChangeState::Pending.as_str(),
                    ])
                    .map_err(sqlite_error(&path, "inserting link changes"))?;
            }
        }
        transaction
            .commit()
            .map_err(sqlite_error(&path, "committing a sync run"))
    }

    /// The link changes of a run, in order.
    pub fn link_changes(&self, run_id: &str) -> Result<Vec<StoredLinkChange>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT position, object_guid, needs_seq, cloud_from_seq, after, before, state \
                 FROM link_changes WHERE run_id = ?1 ORDER BY position",
            )
            .map_err(|source| self.error("reading link changes", source))?;
        let rows = statement
            .query_map(params![run_id], |row| {
                Ok((
                    row.get::<_, u32>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<u32>>(2)?,
                    row.get::<_, Option<u32>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                    row.get::<_, String>(6)?,
                ))
            })
            .map_err(|source| self.error("reading link changes", source))?;
        let mut changes = Vec::new();
        for row in rows {
            let (position, guid, needs_seq, cloud_from_seq, after, before, state) =
                row.map_err(|source| self.error("reading link changes", source))?;
            let corrupt = |reason: String| Error::Corrupt {
                path: self.path.clone(),
                run_id: run_id.to_owned(),
                reason: format!("link change {position}: {reason}"),
            };
            let link = |column: &str, text: Option<String>| -> Result<Option<Link>, Error> {
                text.map(|text| {
                    serde_json::from_str(&text)
                        .map_err(|error| corrupt(format!("`{column}` is not a link: {error}")))
                })
                .transpose()
            };
            changes.push(StoredLinkChange {
                position,
                change: LinkChange {
                    object_guid: guid
                        .parse()
                        .map_err(|error| corrupt(format!("not an objectGUID: {error}")))?,
                    needs_seq,
                    cloud_from_seq,
                    after: link("after", after)?,
                    before: link("before", before)?,
                },
                state: LinkChangeState::parse(&state)
                    .ok_or_else(|| corrupt(format!("unknown state `{state}`")))?,
            });
        }
        Ok(changes)
    }

    /// Writes the pending link changes of `run_id` whose step is final: applied when it is done
    /// (a create's link takes the id the step journaled), dropped otherwise. One transaction; settling
    /// again changes nothing.
    pub fn settle_links(&mut self, run_id: &str) -> Result<Settled, Error> {
        let changes = self.link_changes(run_id)?;
        let steps = self.steps(run_id)?;
        let step = |seq: u32| steps.iter().find(|step| step.seq == seq);
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite_error(&path, "settling links"))?;
        let mut settled = Settled::default();
        for stored in changes
            .iter()
            .filter(|stored| stored.state == LinkChangeState::Pending)
        {
            let change = &stored.change;
            let done = match change.needs_seq.map(step) {
                None => true,
                Some(None) => false,
                Some(Some(journal)) if journal.state == StepState::Done => true,
                Some(Some(journal)) if journal.state.is_final() => false,
                Some(Some(_)) => {
                    settled.pending += 1;
                    continue;
                }
            };
            let mut after = change.after.clone();
            if done && let (Some(link), Some(seq)) = (after.as_mut(), change.cloud_from_seq) {
                match step(seq).and_then(|journal| journal.created.clone()) {
                    Some(created) => link.cloud_user_id = created,
                    None => after = None,
                }
            }
            let state = match (done, &after, change.cloud_from_seq) {
                // A create whose object id was not journaled cannot be linked.
                (true, None, Some(_)) | (false, _, _) => {
                    settled.dropped += 1;
                    LinkChangeState::Dropped
                }
                (true, Some(link), _) => {
                    write_link(&transaction, &path, link, run_id)?;
                    settled.stored += 1;
                    LinkChangeState::Applied
                }
                (true, None, None) => {
                    remove_link(&transaction, &path, change.object_guid)?;
                    settled.removed += 1;
                    LinkChangeState::Applied
                }
            };
            transaction
                .execute(
                    "UPDATE link_changes SET state = ?3, after = ?4 WHERE run_id = ?1 AND position = ?2",
                    params![
                        run_id,
                        stored.position,
                        state.as_str(),
                        after.as_ref().map(link_json)
                    ],
                )
                .map_err(sqlite_error(&path, "settling links"))?;
        }
        transaction
            .commit()
            .map_err(sqlite_error(&path, "settling links"))?;
        Ok(settled)
    }

    /// The finished sync runs with link changes still pending (a process killed between the end of a
    /// run and the settling of its links), oldest first.
    pub fn unsettled_sync_runs(&self) -> Result<Vec<String>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT DISTINCT runs.id, runs.started_at FROM runs JOIN link_changes \
                 ON link_changes.run_id = runs.id \
                 WHERE link_changes.state = 'pending' AND runs.status != 'running' \
                 ORDER BY runs.started_at, runs.id",
            )
            .map_err(|source| self.error("finding unsettled runs", source))?;
        let rows = statement
            .query_map([], |row| row.get::<_, String>(0))
            .map_err(|source| self.error("finding unsettled runs", source))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|source| self.error("finding unsettled runs", source))
    }

    /// Puts back the links the applied changes of `run_id` replaced, for the AD users `undone` says
    /// were undone; those changes become `reverted`. One transaction.
    pub fn revert_links(
        &mut self,
        run_id: &str,
        undone: impl Fn(&LinkChange) -> bool,
    ) -> Result<usize, Error> {
        let changes = self.link_changes(run_id)?;
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite_error(&path, "reverting links"))?;
        let mut reverted = 0;
        for stored in changes
            .iter()
            .rev()
            .filter(|stored| stored.state == LinkChangeState::Applied && undone(&stored.change))
        {
            let change = &stored.change;
            if let Some(after) = &change.after {
                remove_link(&transaction, &path, after.object_guid)?;
            }
            match &change.before {
                Some(before) => write_link(&transaction, &path, before, run_id)?,
                None => remove_link(&transaction, &path, change.object_guid)?,
            }
            transaction
                .execute(
                    "UPDATE link_changes SET state = ?3 WHERE run_id = ?1 AND position = ?2",
                    params![run_id, stored.position, LinkChangeState::Reverted.as_str()],
                )
                .map_err(sqlite_error(&path, "reverting links"))?;
            reverted += 1;
        }
        transaction
            .commit()
            .map_err(sqlite_error(&path, "reverting links"))?;
        Ok(reverted)
    }

    /// Replaces the export errors with those `run_id` met: an error met again keeps its first run
    /// and counts one more run; the others are gone.
    pub fn replace_export_errors(
        &mut self,
        run_id: &str,
        errors: &[NewExportError],
    ) -> Result<(), Error> {
        let previous = self.export_errors()?;
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction()
            .map_err(sqlite_error(&path, "keeping export errors"))?;
        transaction
            .execute("DELETE FROM export_errors", [])
            .map_err(sqlite_error(&path, "keeping export errors"))?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT OR REPLACE INTO export_errors (user_key, code, property, object_guid, dn, \
                     user_principal_name, cloud_user_id, message, first_run, last_run, runs) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(sqlite_error(&path, "keeping export errors"))?;
            for error in errors {
                let key = error.user_key();
                let property = error.property.clone().unwrap_or_default();
                let before = previous.iter().find(|kept| {
                    kept.error.user_key() == key
                        && kept.error.code == error.code
                        && kept.error.property.clone().unwrap_or_default() == property
                });
                insert
                    .execute(params![
                        key,
                        error.code,
                        property,
                        error.object_guid.map(|guid| guid.to_string()),
                        error.dn,
                        error.user_principal_name,
                        error.cloud_user_id,
                        error.message,
                        before.map_or(run_id, |kept| kept.first_run.as_str()),
                        run_id,
                        before.map_or(1, |kept| kept.runs.saturating_add(1)),
                    ])
                    .map_err(sqlite_error(&path, "keeping export errors"))?;
            }
        }
        transaction
            .commit()
            .map_err(sqlite_error(&path, "keeping export errors"))
    }

    /// The export errors kept, by user and code.
    pub fn export_errors(&self) -> Result<Vec<StoredExportError>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT object_guid, dn, user_principal_name, cloud_user_id, code, property, message, \
                 first_run, last_run, runs FROM export_errors ORDER BY dn, user_key, code, property",
            )
            .map_err(|source| self.error("reading export errors", source))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    NewExportError {
                        object_guid: None,
                        dn: row.get(1)?,
                        user_principal_name: row.get(2)?,
                        cloud_user_id: row.get(3)?,
                        code: row.get(4)?,
                        property: row
                            .get::<_, String>(5)
                            .map(|property| Some(property).filter(|p| !p.is_empty()))?,
                        message: row.get(6)?,
                    },
                    row.get::<_, String>(7)?,
                    row.get::<_, String>(8)?,
                    row.get::<_, u32>(9)?,
                ))
            })
            .map_err(|source| self.error("reading export errors", source))?;
        let mut errors = Vec::new();
        for row in rows {
            let (guid, mut error, first_run, last_run, runs) =
                row.map_err(|source| self.error("reading export errors", source))?;
            error.object_guid = guid.and_then(|guid| guid.parse().ok());
            errors.push(StoredExportError {
                error,
                first_run,
                last_run,
                runs,
            });
        }
        Ok(errors)
    }

    /// The most recent run of `kind`, if any.
    pub fn last_run_of_kind(&self, kind: RunKind) -> Result<Option<Run>, Error> {
        let id: Option<String> = self
            .connection
            .query_row(
                "SELECT id FROM runs WHERE kind = ?1 ORDER BY started_at DESC, id DESC LIMIT 1",
                params![kind.as_str()],
                |row| row.get(0),
            )
            .optional()
            .map_err(|source| self.error("reading a run", source))?;
        id.map(|id| self.find_run(&id)).transpose()
    }

    /// How many links are in each state.
    pub fn link_counts(&self) -> Result<Vec<(LinkState, usize)>, Error> {
        let links = self.links()?;
        Ok([LinkState::Active, LinkState::Disabled, LinkState::Deleted]
            .into_iter()
            .map(|state| {
                (
                    state,
                    links.iter().filter(|link| link.state == state).count(),
                )
            })
            .collect())
    }
}

fn link_json(link: &Link) -> String {
    // A link always serialises (strings and an enum).
    serde_json::to_string(link).unwrap_or_else(|_| "null".to_owned())
}

/// Stores `link`, replacing any link of the same objectGUID or cloud user.
fn write_link(
    transaction: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    link: &Link,
    run_id: &str,
) -> Result<(), Error> {
    let guid = link.object_guid.to_string();
    transaction
        .execute(
            "DELETE FROM links WHERE object_guid = ?1 OR cloud_user_id = ?2",
            params![guid, link.cloud_user_id],
        )
        .map_err(sqlite_error(path, "writing a link"))?;
    let origin = serde_json::to_string(&link.origin).unwrap_or_else(|_| "null".to_owned());
    transaction
        .execute(
            "INSERT INTO links (object_guid, cloud_user_id, source_anchor, origin, state, run_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                guid,
                link.cloud_user_id,
                link.source_anchor,
                origin,
                link.state.as_str(),
                run_id
            ],
        )
        .map_err(sqlite_error(path, "writing a link"))?;
    Ok(())
}

fn remove_link(
    transaction: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    object_guid: ObjectGuid,
) -> Result<(), Error> {
    transaction
        .execute(
            "DELETE FROM links WHERE object_guid = ?1",
            params![object_guid.to_string()],
        )
        .map(drop)
        .map_err(sqlite_error(path, "removing a link"))
}

#[cfg(test)]
mod tests {
    use anchorsync_core::engine::Outcome;
    use anchorsync_core::remediation::{Operation, Property, StepPurpose, StepSystem, StepValue};
    use anchorsync_core::sync::LinkOrigin;

    use super::*;
    use crate::{RunTargets, StepOutcome, Timestamp};

    fn guid(n: u8) -> ObjectGuid {
        format!("88666888-0101-1111-bbbb-1234567890{n:02x}")
            .parse()
            .unwrap()
    }

    fn link(n: u8, cloud: &str, origin: LinkOrigin, state: LinkState) -> Link {
        Link {
            object_guid: guid(n),
            cloud_user_id: cloud.to_owned(),
            source_anchor: format!("anchor{n}"),
            origin,
            state,
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_795_323_600_000 + second * 1000)
    }

    fn cloud_step(dn: &str, operation: Operation) -> Step {
        Step {
            user_dn: Some(dn.to_owned()),
            system: StepSystem::Cloud,
            target: dn.to_owned(),
            label: None,
            purpose: StepPurpose::Sync,
            operation,
        }
    }

    fn run(id: &str) -> NewRun {
        NewRun {
            id: id.to_owned(),
            kind: RunKind::Sync,
            plan_sha256: None,
            plan_path: None,
            undoes: None,
            targets: RunTargets::default(),
            started_at: at(0),
        }
    }

    fn finish(store: &Store, run: &str, seq: u32, state: StepState, created: Option<&str>) {
        store
            .finish_step(
                run,
                seq,
                &StepOutcome {
                    state,
                    replaced: None,
                    created: created.map(str::to_owned),
                    message: None,
                },
                at(1),
            )
            .unwrap();
    }

    #[test]
    fn links_follow_the_steps_that_make_them_issue_14() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        let create = Operation::Create {
            anchor: Property {
                attribute: "onPremisesImmutableId".to_owned(),
                value: StepValue::Text("anchor1".to_owned()),
            },
            properties: Vec::new(),
        };
        let steps = [
            cloud_step("CN=1", create),
            cloud_step("CN=2", Operation::Update { changes: vec![] }),
            cloud_step("CN=3", Operation::Update { changes: vec![] }),
        ];
        let changes = [
            // A create: the id comes from step 1.
            LinkChange {
                object_guid: guid(1),
                needs_seq: Some(1),
                cloud_from_seq: Some(1),
                after: Some(link(1, "", LinkOrigin::Created, LinkState::Active)),
                before: None,
            },
            // A join whose PATCH fails: no link.
            LinkChange {
                object_guid: guid(2),
                needs_seq: Some(2),
                cloud_from_seq: None,
                after: Some(link(
                    2,
                    "cloud-2",
                    LinkOrigin::Joined {
                        outcome: Outcome::SoftMatchSmtp,
                    },
                    LinkState::Active,
                )),
                before: None,
            },
            // A join that writes nothing: stored whatever happens.
            LinkChange {
                object_guid: guid(4),
                needs_seq: None,
                cloud_from_seq: None,
                after: Some(link(
                    4,
                    "cloud-4",
                    LinkOrigin::Joined {
                        outcome: Outcome::HardMatch,
                    },
                    LinkState::Active,
                )),
                before: None,
            },
            // Step 3 not finished yet.
            LinkChange {
                object_guid: guid(3),
                needs_seq: Some(3),
                cloud_from_seq: None,
                after: Some(link(3, "cloud-3", LinkOrigin::Restored, LinkState::Active)),
                before: None,
            },
        ];
        store.create_sync_run(&run("s1"), &steps, &changes).unwrap();
        assert_eq!(store.steps("s1").unwrap().len(), 3);
        assert!(store.links().unwrap().is_empty());
        finish(&store, "s1", 1, StepState::Done, Some("new-1"));
        finish(&store, "s1", 2, StepState::Failed, None);
        let settled = store.settle_links("s1").unwrap();
        assert_eq!(
            settled,
            Settled {
                stored: 2,
                removed: 0,
                dropped: 1,
                pending: 1
            }
        );
        let links = store.links().unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].cloud_user_id, "new-1");
        assert_eq!(links[1].cloud_user_id, "cloud-4");
        // The run is still running: not among the unsettled finished runs.
        assert!(store.unsettled_sync_runs().unwrap().is_empty());
        store
            .finish_run("s1", crate::RunStatus::CompletedWithErrors, at(2))
            .unwrap();
        assert_eq!(store.unsettled_sync_runs().unwrap(), ["s1"]);
        finish(&store, "s1", 3, StepState::Done, None);
        // Settling again only settles what was pending.
        assert_eq!(store.settle_links("s1").unwrap().stored, 1);
        assert_eq!(store.settle_links("s1").unwrap(), Settled::default());
        assert!(store.unsettled_sync_runs().unwrap().is_empty());
        assert_eq!(store.links().unwrap().len(), 3);

        // Undo puts back what was there before: nothing.
        let reverted = store
            .revert_links("s1", |change| change.object_guid != guid(4))
            .unwrap();
        assert_eq!(reverted, 2);
        let left: Vec<String> = store
            .links()
            .unwrap()
            .into_iter()
            .map(|link| link.cloud_user_id)
            .collect();
        assert_eq!(left, ["cloud-4"]);
    }

    #[test]
    fn a_stored_link_replaces_links_of_the_same_user_or_cloud_user() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        let old = link(1, "cloud-1", LinkOrigin::Created, LinkState::Active);
        // The AD object was re-created: a new objectGUID follows the same cloud user.
        let moved = link(9, "cloud-1", LinkOrigin::Created, LinkState::Active);
        let changes = [
            LinkChange {
                object_guid: guid(1),
                needs_seq: None,
                cloud_from_seq: None,
                after: Some(old.clone()),
                before: None,
            },
            LinkChange {
                object_guid: guid(2),
                needs_seq: None,
                cloud_from_seq: None,
                after: Some(link(2, "cloud-2", LinkOrigin::Created, LinkState::Active)),
                before: None,
            },
        ];
        store.create_sync_run(&run("a"), &[], &changes).unwrap();
        store.settle_links("a").unwrap();
        let second = [
            LinkChange {
                object_guid: guid(9),
                needs_seq: None,
                cloud_from_seq: None,
                after: Some(moved.clone()),
                before: Some(old.clone()),
            },
            // A removal.
            LinkChange {
                object_guid: guid(2),
                needs_seq: None,
                cloud_from_seq: None,
                after: None,
                before: Some(link(2, "cloud-2", LinkOrigin::Created, LinkState::Active)),
            },
        ];
        store.create_sync_run(&run("b"), &[], &second).unwrap();
        let settled = store.settle_links("b").unwrap();
        assert_eq!((settled.stored, settled.removed), (1, 1));
        assert_eq!(store.links().unwrap(), [moved]);
        store.revert_links("b", |_| true).unwrap();
        let mut links = store.links().unwrap();
        links.sort_by_key(|link| link.cloud_user_id.clone());
        assert_eq!(links.len(), 2);
        assert_eq!(links[0], old);
    }

    #[test]
    fn export_errors_are_replaced_and_count_the_runs_that_met_them() {
        let folder = tempfile::tempdir().unwrap();
        let mut store = Store::open(&folder.path().join("state.db")).unwrap();
        let error = |n: u8, code: &str| NewExportError {
            object_guid: Some(guid(n)),
            dn: Some(format!("CN={n}")),
            user_principal_name: None,
            cloud_user_id: None,
            code: code.to_owned(),
            property: None,
            message: format!("error {n}"),
        };
        store
            .replace_export_errors("r1", &[error(1, "mail-taken"), error(2, "write-refused")])
            .unwrap();
        store
            .replace_export_errors("r2", &[error(2, "write-refused")])
            .unwrap();
        let kept = store.export_errors().unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].error, error(2, "write-refused"));
        assert_eq!(
            (
                kept[0].first_run.as_str(),
                kept[0].last_run.as_str(),
                kept[0].runs
            ),
            ("r1", "r2", 2)
        );
        store.replace_export_errors("r3", &[]).unwrap();
        assert!(store.export_errors().unwrap().is_empty());
    }
}
