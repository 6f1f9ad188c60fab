//! Microsoft 365 users as a [`Target`], through the Graph client: Graph has no conditional write for
//! user properties, so a `set` or an `update` reads the user, compares, then sends one `PATCH`; a
//! value that moved since the plan was made is a conflict, never overwritten. Graph's answer with an
//! error is a refusal; the retries giving up, or an unknown outcome, is no answer.
//!
//! The sync's operations (`create`, `update`, `delete`, `restore`) are in [`super::cloud_lifecycle`].
//! A sync step (purpose `sync`) reaches its user through [`GraphClient::for_new_objects`]: the user
//! may have been created moments ago, and Entra answers `404` until it has replicated.
//!
//! Reads and writes go through a [`Batcher`] (sync steps: one on the `for_new_objects` handle):
//! steps of different users running at once hand it their requests, which travel together in
//! `$batch` calls under the client's one throttling gate (issues 14 and 15). Each request is still answered on its own, so a step's
//! compare-and-set is what it is alone: its read is answered before its `PATCH` is made, and the run
//! loop keeps one user's steps in order.

use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem, StepValue};
use anchorsync_core::sync::Property;
use anchorsync_core::sync::property::graph_body;
use anchorsync_core::tenant::CloudUser;
use anchorsync_graph::{Batcher, GraphClient, GraphError, UserKey, UserPatch};
use anchorsync_store::Step;
use serde_json::Value;

use crate::chain;
use crate::sync::{to_property_value, to_step_value};
use crate::target::{Observed, Resolution, Target, TargetError, Written, object_name, value_shown};

/// The tenant's users.
#[derive(Clone)]
pub struct CloudUsersTarget {
    pub(super) client: GraphClient,
    /// The client's requests of every step, gathered into `$batch` calls.
    batcher: Batcher,
    /// The same for sync steps, on the `for_new_objects` handle: a 404 right after a create is
    /// Entra's replication lag, retried.
    pub(super) sync_batcher: Batcher,
}

impl CloudUsersTarget {
    /// Writes through `client`; the steps of apply and undo share `$batch` calls.
    pub fn new(client: GraphClient) -> Self {
        Self {
            batcher: client.batcher(),
            sync_batcher: client.for_new_objects().batcher(),
            client,
        }
    }

    /// The batcher for `step`: a sync step rides Entra's replication lag (its user may be new).
    pub(super) fn batcher_for(&self, step: &Step) -> &Batcher {
        if step.purpose == StepPurpose::Sync {
            &self.sync_batcher
        } else {
            &self.batcher
        }
    }

    /// What a `set` step of `apply` or `undo` reads (`onPremisesImmutableId`, `userPrincipalName`),
    /// through the batcher.
    async fn read_batched(&self, step: &Step, attribute: &str) -> Result<Observed, TargetError> {
        let user = self
            .batcher
            .get_user(&UserKey::Id(step.target.clone()))
            .await
            .map_err(|error| {
                graph_error(
                    error,
                    format!("cannot read the cloud user {}", object_name(step)),
                )
            })?;
        let value = match attribute {
            "onPremisesImmutableId" => user.on_premises_immutable_id,
            "userPrincipalName" => user.user_principal_name,
            other => {
                return Err(TargetError::Refused {
                    reason: format!("anchorsync does not change the cloud attribute `{other}`"),
                });
            }
        };
        Ok(Observed::One(
            value.map_or(StepValue::Absent, StepValue::Text),
        ))
    }

    /// The user a step is about, with every property a sync manages; `None` when it does not exist.
    pub(super) async fn user(&self, step: &Step) -> Result<Option<CloudUser>, TargetError> {
        self.batcher_for(step)
            .find_user_for_sync(&UserKey::Id(step.target.clone()))
            .await
            .map_err(|error| {
                graph_error(
                    error,
                    format!("cannot read the cloud user {}", object_name(step)),
                )
            })
    }
}

/// Graph answered with an error: `Refused` with `context`; no answer: `NoAnswer`.
pub(crate) fn graph_error(error: GraphError, context: String) -> TargetError {
    if error.service().is_some() {
        TargetError::Refused {
            reason: format!("{context}: {}", refusal(&error)),
        }
    } else {
        TargetError::NoAnswer {
            what: context,
            source: Box::new(error.into()),
        }
    }
}

/// Graph's refusal in words; a value another object holds is named with that object, when Graph
/// says which (`ObjectConflict`, `ConflictingObjects`).
pub(crate) fn refusal(error: &GraphError) -> String {
    let conflicts = error.conflicts();
    let holders: Vec<String> = error
        .service()
        .map(|service| {
            service
                .conflicting_objects()
                .map(|id| format!("`{id}`"))
                .collect()
        })
        .unwrap_or_default();
    if conflicts.is_empty() {
        return chain(error);
    }
    let held = conflicts
        .iter()
        .map(|property| format!("`{property}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let by = if holders.is_empty() {
        "another object".to_owned()
    } else {
        format!("object {}", holders.join(", "))
    };
    format!("the value of {held} is held by {by}: {}", chain(error))
}

/// Text values compare as Graph compares them: a userPrincipalName without regard to case.
pub(crate) fn graph_holds(attribute: &str, observed: &Observed, expected: &StepValue) -> bool {
    let Observed::One(current) = observed else {
        return false;
    };
    if let Some(property) = Property::from_name(attribute) {
        return property.holds(
            &to_property_value(property, current),
            &to_property_value(property, expected),
        );
    }
    current.to_graph_text() == expected.to_graph_text()
}

/// Reads, compares with the step's `before`, and returns the value to be replaced.
pub(crate) async fn compare<T: Target>(target: &T, step: &Step) -> Result<StepValue, TargetError> {
    let Some(change) = step.change() else {
        return Err(unsupported(step));
    };
    let current = target.read(step).await?;
    if !target.holds(step, &current, &change.before) {
        return Err(TargetError::Conflict {
            reason: format!(
                "`{}` of {} is `{}`, not `{}` as planned; nothing was written",
                change.attribute,
                object_name(step),
                current.display(),
                value_shown(&change.before)
            ),
        });
    }
    Ok(match current {
        Observed::One(value) => value,
        Observed::Several(_) => StepValue::Absent,
    })
}

pub(crate) fn unsupported(step: &Step) -> TargetError {
    TargetError::Refused {
        reason: format!(
            "the `{}` target does not carry out `{}` steps",
            step.system,
            step.operation.kind()
        ),
    }
}

/// A property a sync or apply may write, or a refusal naming the attribute.
pub(super) fn writable(attribute: &str) -> Result<Property, TargetError> {
    Property::from_name(attribute).ok_or_else(|| TargetError::Refused {
        reason: format!("anchorsync does not change the cloud attribute `{attribute}`"),
    })
}

/// A `PATCH` body of properties and their journaled values.
pub(super) fn patch_of<'a>(
    values: impl IntoIterator<Item = (Property, &'a StepValue)>,
) -> UserPatch {
    let values: Vec<(Property, _)> = values
        .into_iter()
        .map(|(property, value)| (property, to_property_value(property, value)))
        .collect();
    let Value::Object(body) = graph_body(values.iter().map(|(property, value)| (*property, value)))
    else {
        return UserPatch::new();
    };
    body.into_iter()
        .fold(UserPatch::new(), |patch, (name, value)| match value {
            // Graph clears a collection with `[]` and a text with `null`.
            Value::Null => patch.clear(&name),
            value => patch.set(&name, value),
        })
}

impl Target for CloudUsersTarget {
    async fn read(&self, step: &Step) -> Result<Observed, TargetError> {
        let change = step.change().ok_or_else(|| unsupported(step))?;
        if step.purpose != StepPurpose::Sync {
            return self.read_batched(step, &change.attribute).await;
        }
        let property = writable(&change.attribute)?;
        let user = self.user(step).await?.ok_or_else(|| TargetError::Refused {
            reason: format!(
                "cannot read the cloud user {}: it does not exist",
                object_name(step)
            ),
        })?;
        Ok(Observed::One(to_step_value(
            property,
            &property.current(&user),
        )))
    }

    async fn write(&self, step: &Step) -> Result<Written, TargetError> {
        match &step.operation {
            Operation::Set(change) => {
                let property = writable(&change.attribute)?;
                let replaced = compare(self, step).await?;
                let patch = patch_of([(property, &change.after)]);
                let key = UserKey::Id(step.target.clone());
                self.batcher_for(step)
                    .update_user(&key, &patch)
                    .await
                    .map_err(|error| write_error(error, step, &change.attribute))?;
                Ok(Written {
                    replaced,
                    created: None,
                })
            }
            Operation::Update { changes } => self.update(step, changes).await,
            Operation::Create { anchor, properties } => self.create(step, anchor, properties).await,
            Operation::Delete { expected } => self.delete(step, expected).await,
            Operation::Restore => self.restore(step).await,
        }
    }

    async fn resolve(&self, step: &Step) -> Result<Resolution, TargetError> {
        match &step.operation {
            Operation::Set(_) => crate::target::resolve_by_reading(self, step).await,
            Operation::Update { changes } => self.resolve_update(step, changes).await,
            Operation::Create { anchor, .. } => self.resolve_create(step, anchor).await,
            Operation::Delete { expected } => self.resolve_delete(step, expected).await,
            Operation::Restore => self.resolve_restore(step).await,
        }
    }

    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        graph_holds(step.attribute(), observed, expected)
    }
}

/// A write Graph refused (or did not answer).
pub(super) fn write_error(error: GraphError, step: &Step, what: &str) -> TargetError {
    if error.service().is_some() {
        TargetError::Refused {
            reason: format!("Microsoft Graph refused the write: {}", refusal(&error)),
        }
    } else {
        TargetError::NoAnswer {
            what: format!("writing `{what}` of the cloud user {}", object_name(step)),
            source: Box::new(error.into()),
        }
    }
}

impl std::fmt::Debug for CloudUsersTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudUsersTarget")
            .field("graph_url", &self.client.settings().graph_url)
            .field("system", &StepSystem::Cloud)
            .finish()
    }
}
