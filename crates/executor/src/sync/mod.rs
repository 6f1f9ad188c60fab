//! `sync --apply`: a sync plan ([`anchorsync_core::sync::SyncPlan`]) carried out as one journaled run
//! of the one run loop. Nothing here decides what to write: the plan did. This module turns each
//! user's record into steps and link changes ([`SyncSteps::of`]), starts or resumes the run, settles
//! the links once steps are final, keeps the export errors, and puts links back when a sync run is
//! undone.
//!
//! | record | steps | link change, once its step is done |
//! |---|---|---|
//! | `create` | `Create { anchor, properties }` (the target adds a random password) | `created`, the id the create journaled |
//! | `join` | `Update` of the changes (onPremisesImmutableId after a soft match; inside the federated UPN workaround when the cloud user's UPN is in a federated domain); none when nothing differs | `joined` with the engine's outcome |
//! | `update`, `enable`, `disable` | `Set` of `accountEnabled` when that is the only change, else one `Update` | the link's new state, if it changes |
//! | `restore` | `Restore`, then `Update` of the changes | `restored` (or the link made active again) |
//! | `delete` | `Delete`, expecting the anchor | state `deleted` |
//! | `forget` | none | the link removed |
//! | anchor writeback | `Set` of `mS-DS-ConsistencyGuid` in AD (compare-and-set from empty) | none |
//!
//! A user's steps run in order and a failure skips the rest (the run loop's per-user rule), except that
//! a federated UPN moved away is always moved back.

pub mod password;
pub mod values;

use anchorsync_core::engine::remediate::federated_away_upn;
use anchorsync_core::remediation::{
    Change, Operation, Property as StepProperty, StepPurpose, StepSystem, StepValue,
};
use anchorsync_core::sync::{
    Action, Link, LinkOrigin, LinkState, LinkUpdate, Property, SyncPlan, UserSync,
};
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_store::{
    JournalStep, LinkChange, NewExportError, NewRun, Run, RunKind, RunTargets, Settled, Step,
    StepState, Store,
};

use crate::run::{Executor, RunError, RunSpec, new_run_id};
use crate::target::Target;

pub use values::{change_of, to_property_value, to_step_value};

/// The steps and link changes of one sync run, in the plan's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSteps {
    /// The steps (journaled from seq 1).
    pub steps: Vec<Step>,
    /// The link changes, each naming the step it waits for.
    pub changes: Vec<LinkChange>,
}

impl SyncSteps {
    /// The steps and link changes that carry out `plan` against `tenant` (the tenant the plan was
    /// made from: it says whose UPN is in a federated domain). A plan the deletion guard refuses
    /// gives nothing.
    pub fn of(plan: &SyncPlan, tenant: &TenantSnapshot) -> Self {
        let mut built = Self::default();
        if plan.is_refused() {
            return built;
        }
        for record in &plan.users {
            built.add(record, tenant);
        }
        built
    }

    /// Whether the run would write nothing (no step, no link change).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.changes.is_empty()
    }

    fn next_seq(&self) -> u32 {
        u32::try_from(self.steps.len() + 1).unwrap_or(u32::MAX)
    }

    fn add(&mut self, record: &UserSync, tenant: &TenantSnapshot) {
        let needs = match record.action {
            Action::Create => self.create(record),
            Action::Join | Action::Update | Action::Enable | Action::Disable => {
                self.update(record, tenant)
            }
            Action::Restore => {
                let restore = self.push(record, Operation::Restore);
                if !record.changes.is_empty() {
                    self.push(record, update_of(record.changes.iter()));
                }
                Some(restore)
            }
            Action::Delete => {
                let expected = record
                    .source_anchor
                    .iter()
                    .map(|anchor| StepProperty {
                        attribute: Property::OnPremisesImmutableId.name().to_owned(),
                        value: StepValue::Text(anchor.clone()),
                    })
                    .collect();
                Some(self.push(record, Operation::Delete { expected }))
            }
            Action::Forget | Action::NoChange | Action::ExportError => None,
        };
        if let Some(writeback) = &record.anchor_writeback {
            self.steps.push(Step::set(
                record.dn.clone(),
                StepSystem::Ad,
                writeback.target.clone(),
                Some(writeback.label.clone()),
                writeback.purpose,
                writeback.change(),
            ));
        }
        self.link_change(record, needs);
    }

    /// A cloud step of `record`'s user; its seq.
    fn push(&mut self, record: &UserSync, operation: Operation) -> u32 {
        self.push_with(record, StepPurpose::Sync, operation)
    }

    fn push_with(&mut self, record: &UserSync, purpose: StepPurpose, operation: Operation) -> u32 {
        let seq = self.next_seq();
        let target = match &operation {
            // The object has no id until it exists: the anchor finds it.
            Operation::Create { anchor, .. } => anchor.value.display(),
            _ => record.cloud_user_id.clone().unwrap_or_default(),
        };
        self.steps.push(Step {
            user_dn: record.dn.clone(),
            system: StepSystem::Cloud,
            target,
            label: record.user_principal_name.clone(),
            purpose,
            operation,
        });
        seq
    }

    fn create(&mut self, record: &UserSync) -> Option<u32> {
        let anchor = record.source_anchor.clone()?;
        let properties = record
            .changes
            .iter()
            .filter(|change| change.property != Property::OnPremisesImmutableId)
            .map(|change| StepProperty {
                attribute: change.property.name().to_owned(),
                value: to_step_value(change.property, &change.new),
            })
            .collect();
        Some(self.push(
            record,
            Operation::Create {
                anchor: StepProperty {
                    attribute: Property::OnPremisesImmutableId.name().to_owned(),
                    value: StepValue::Text(anchor),
                },
                properties,
            },
        ))
    }

    /// One `PATCH`, a `Set` of `accountEnabled` alone, or the federated UPN workaround around a
    /// new onPremisesImmutableId.
    fn update(&mut self, record: &UserSync, tenant: &TenantSnapshot) -> Option<u32> {
        if record.changes.is_empty() {
            return None;
        }
        if let [only] = record.changes.as_slice()
            && only.property == Property::AccountEnabled
        {
            return Some(self.push(record, Operation::Set(change_of(only))));
        }
        let sets_anchor = record
            .changes
            .iter()
            .any(|change| change.property == Property::OnPremisesImmutableId);
        let cloud = record
            .cloud_user_id
            .as_deref()
            .and_then(|id| tenant.users.iter().find(|user| user.id == id));
        let federated = cloud
            .and_then(|cloud| cloud.user_principal_name.as_deref())
            .and_then(|upn| tenant.domain_of(upn))
            .is_some_and(|domain| domain.is_federated());
        let away = cloud
            .zip(tenant.initial_domain())
            .and_then(|(cloud, initial)| federated_away_upn(cloud, &initial.id));
        match (sets_anchor && federated, away, cloud) {
            (true, Some(away), Some(cloud)) => {
                // Entra refuses a new onPremisesImmutableId while the UPN is in a federated domain:
                // the UPN goes to the initial domain and back (to the UPN the sync writes), as
                // `apply` does for hard-cloud.
                let current = cloud.user_principal_name.clone().unwrap_or_default();
                let upn_change = record
                    .changes
                    .iter()
                    .find(|change| change.property == Property::UserPrincipalName);
                let back_to = upn_change
                    .and_then(|change| change.new.as_text())
                    .map_or_else(|| current.clone(), str::to_owned);
                let upn = |before: &str, after: &str| {
                    Operation::Set(Change {
                        attribute: Property::UserPrincipalName.name().to_owned(),
                        before: StepValue::Text(before.to_owned()),
                        after: StepValue::Text(after.to_owned()),
                    })
                };
                self.push_with(record, StepPurpose::FederatedUpnAway, upn(&current, &away));
                let others = record
                    .changes
                    .iter()
                    .filter(|change| change.property != Property::UserPrincipalName);
                let join = self.push(record, update_of(others));
                self.push_with(record, StepPurpose::FederatedUpnBack, upn(&away, &back_to));
                Some(join)
            }
            _ => Some(self.push(record, update_of(record.changes.iter()))),
        }
    }

    fn link_change(&mut self, record: &UserSync, needs: Option<u32>) {
        let change = if record.action == Action::Create {
            let (Some(object_guid), Some(anchor)) = (record.object_guid, &record.source_anchor)
            else {
                return;
            };
            let Some(seq) = needs else {
                return;
            };
            LinkChange {
                object_guid,
                needs_seq: Some(seq),
                cloud_from_seq: Some(seq),
                after: Some(Link {
                    object_guid,
                    cloud_user_id: String::new(),
                    source_anchor: anchor.clone(),
                    origin: LinkOrigin::Created,
                    state: LinkState::Active,
                }),
                before: record.link.clone(),
            }
        } else {
            match record.link_update(None) {
                LinkUpdate::Unchanged => return,
                LinkUpdate::Store(link) => LinkChange {
                    object_guid: link.object_guid,
                    needs_seq: needs,
                    cloud_from_seq: None,
                    after: Some(link),
                    before: record.link.clone(),
                },
                LinkUpdate::Remove(object_guid) => LinkChange {
                    object_guid,
                    needs_seq: needs,
                    cloud_from_seq: None,
                    after: None,
                    before: record.link.clone(),
                },
            }
        };
        self.changes.push(change);
    }
}

fn update_of<'a>(
    changes: impl Iterator<Item = &'a anchorsync_core::sync::PropertyChange>,
) -> Operation {
    Operation::Update {
        changes: changes.map(change_of).collect(),
    }
}

/// How a sync run starts.
#[derive(Debug, Clone)]
pub enum SyncStart {
    /// An interrupted sync run, to run to its end before anything new is planned.
    Resume(Run),
    /// A new run.
    New(Run),
}

impl<T: Target + 'static> Executor<'_, T> {
    /// The interrupted sync run, if any: resumed before a new sync is planned, so that the new plan
    /// sees what it wrote.
    pub fn unfinished_sync(&self) -> Result<Option<Run>, RunError> {
        Ok(self.store().unfinished_of_kind(RunKind::Sync)?)
    }

    /// Creates a sync run with its steps and link changes, in one transaction.
    pub fn create_sync_run(
        &mut self,
        spec: RunSpec,
        targets: &RunTargets,
        built: &SyncSteps,
    ) -> Result<Run, RunError> {
        let now = self.clock().now();
        let run = NewRun {
            id: new_run_id(now),
            kind: RunKind::Sync,
            plan_sha256: spec.plan_sha256,
            plan_path: spec.plan_path,
            undoes: spec.undoes,
            targets: targets.clone(),
            started_at: now,
        };
        self.store_mut()
            .create_sync_run(&run, &built.steps, &built.changes)?;
        Ok(self.store().find_run(&run.id)?)
    }

    /// Writes the links of `run`'s finished steps (and of any earlier sync run a crash left
    /// unsettled).
    pub fn settle_links(&mut self, run: &Run) -> Result<Settled, RunError> {
        settle_all(self.store_mut())?;
        Ok(self.store_mut().settle_links(&run.id)?)
    }
}

/// Settles the links of every finished sync run left unsettled (a process killed after a run's end
/// and before its links were written). Returns how many runs were settled.
pub fn settle_all(store: &mut Store) -> Result<usize, anchorsync_store::Error> {
    let runs = store.unsettled_sync_runs()?;
    for run in &runs {
        store.settle_links(run)?;
    }
    Ok(runs.len())
}

/// The export errors after a sync run: the plan's (users it does not write) and the run's steps that
/// failed or met a changed value. Each affects its user only.
pub fn export_errors(plan: Option<&SyncPlan>, steps: &[JournalStep]) -> Vec<NewExportError> {
    let mut errors = Vec::new();
    for record in plan.map(|plan| plan.users.as_slice()).unwrap_or_default() {
        for error in &record.export_errors {
            errors.push(NewExportError {
                object_guid: record.object_guid,
                dn: record.dn.clone(),
                user_principal_name: record.user_principal_name.clone(),
                cloud_user_id: record.cloud_user_id.clone(),
                code: serde_json::to_value(error.code)
                    .ok()
                    .and_then(|code| code.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                property: error.property.map(|property| property.name().to_owned()),
                message: error.message.clone(),
            });
        }
    }
    for journal in steps {
        let code = match journal.state {
            StepState::Failed => "write-refused",
            StepState::Conflict => "write-conflict",
            _ => continue,
        };
        let step = &journal.step;
        let object_guid = plan.and_then(|plan| {
            plan.users
                .iter()
                .find(|record| match &step.user_dn {
                    Some(dn) => record.dn.as_deref() == Some(dn.as_str()),
                    None => record.cloud_user_id.as_deref() == Some(step.target.as_str()),
                })
                .and_then(|record| record.object_guid)
        });
        let property = match &step.operation {
            Operation::Set(change) => Some(change.attribute.clone()),
            _ => None,
        };
        errors.push(NewExportError {
            object_guid,
            dn: step.user_dn.clone(),
            user_principal_name: step.label.clone(),
            cloud_user_id: (!matches!(step.operation, Operation::Create { .. }))
                .then(|| step.target.clone())
                .filter(|target| step.system == StepSystem::Cloud && !target.is_empty()),
            code: code.to_owned(),
            property,
            message: format!(
                "step {} ({} {}): {}",
                journal.seq,
                step.system,
                step.operation.kind(),
                journal.message.as_deref().unwrap_or("")
            ),
        });
    }
    errors
}

/// After an undo of a sync run: puts back the links of the users whose writes the undo reversed
/// (every step of theirs done), and of the users the run linked without writing. Returns how many.
pub fn revert_undone_links(
    store: &mut Store,
    original: &Run,
    undo_steps: &[JournalStep],
) -> Result<usize, anchorsync_store::Error> {
    if original.kind != RunKind::Sync {
        return Ok(0);
    }
    let original_steps = store.steps(&original.id)?;
    let key = |step: &Step| {
        step.user_dn
            .clone()
            .unwrap_or_else(|| format!("{}:{}", step.system, step.target))
    };
    let undone = |change: &LinkChange| {
        let Some(seq) = change.needs_seq else {
            return true;
        };
        let Some(original_step) = original_steps.iter().find(|journal| journal.seq == seq) else {
            return false;
        };
        let user = key(&original_step.step);
        let mine: Vec<&JournalStep> = undo_steps
            .iter()
            .filter(|journal| key(&journal.step) == user)
            .collect();
        !mine.is_empty() && mine.iter().all(|journal| journal.state == StepState::Done)
    };
    store.revert_links(&original.id, undone)
}

#[cfg(test)]
mod tests;
