//! Microsoft 365 users as a [`Target`], through the Graph client: Graph has no conditional write for
//! user properties, so a `set` reads the user, compares, then sends one `PATCH`; a value that moved
//! since the plan was made is a conflict, never overwritten. Graph's answer with an error is a
//! refusal; the retries giving up, or an unknown outcome, is no answer.
//!
//! Reads and writes go through the client's [`Batcher`]: steps of different users running at once
//! hand it their requests, which travel together in `$batch` calls under the client's one throttling
//! gate (issue 15). Each request is still answered on its own, so the compare-and-set of a step is
//! exactly what it is alone: its read is answered before its `PATCH` is made, and the run loop keeps
//! one user's steps in order. A new operation joins the batching by sending its request through
//! `self.batcher` ([`Batcher::send`], or a typed method beside [`Batcher::update_user`]).
//!
//! Issue 14 adds here: `update` as one `PATCH` of several properties after the same read and compare,
//! `create` as `POST /users` whose lost answer is resolved by looking the anchor up
//! ([`Target::resolve`]), `delete` into deleted items and `restore` from them.

use anchorsync_core::remediation::{StepSystem, StepValue};
use anchorsync_graph::{Batcher, GraphClient, GraphError, UserKey, UserPatch};
use anchorsync_store::Step;
use serde_json::Value;

use crate::chain;
use crate::target::{Observed, Target, TargetError, Written};

/// The tenant's users.
#[derive(Clone)]
pub struct CloudUsersTarget {
    client: GraphClient,
    /// The client's requests of every step, gathered into `$batch` calls.
    batcher: Batcher,
}

impl CloudUsersTarget {
    /// Writes through `client`, in `$batch` calls shared by the steps running at once.
    pub fn new(client: GraphClient) -> Self {
        Self {
            batcher: client.batcher(),
            client,
        }
    }
}

/// Graph answered with an error: `Refused` with `context`; no answer: `NoAnswer`.
pub(crate) fn graph_error(error: GraphError, context: String) -> TargetError {
    if error.service().is_some() {
        TargetError::Refused {
            reason: format!("{context}: {}", chain(&error)),
        }
    } else {
        TargetError::NoAnswer {
            what: context,
            source: Box::new(error.into()),
        }
    }
}

/// Text values compare as Graph compares them: a userPrincipalName without regard to case.
pub(crate) fn graph_holds(attribute: &str, observed: &Observed, expected: &StepValue) -> bool {
    let Observed::One(current) = observed else {
        return false;
    };
    if attribute.eq_ignore_ascii_case("userPrincipalName") {
        return match (current.to_graph_text(), expected.to_graph_text()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
            (a, b) => a == b,
        };
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
                "`{}` of `{}` is `{}`, not `{}` as planned; nothing was written",
                change.attribute,
                step.label_or_target(),
                current.display(),
                change.before.display()
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

impl Target for CloudUsersTarget {
    async fn read(&self, step: &Step) -> Result<Observed, TargetError> {
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let user = self
            .batcher
            .get_user(&UserKey::Id(step.target.clone()))
            .await
            .map_err(|error| {
                graph_error(
                    error,
                    format!("cannot read the cloud user `{}`", step.label_or_target()),
                )
            })?;
        let value = match change.attribute.as_str() {
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

    async fn write(&self, step: &Step) -> Result<Written, TargetError> {
        let replaced = compare(self, step).await?;
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let value = change
            .after
            .to_graph_text()
            .map_or(Value::Null, Value::from);
        match self
            .batcher
            .update_user(
                &UserKey::Id(step.target.clone()),
                &UserPatch::new().set(&change.attribute, value),
            )
            .await
        {
            Ok(()) => Ok(Written {
                replaced,
                created: None,
            }),
            Err(error) if error.service().is_some() => Err(TargetError::Refused {
                reason: format!("Microsoft Graph refused the write: {}", chain(&error)),
            }),
            Err(error) => Err(TargetError::NoAnswer {
                what: format!(
                    "writing `{}` of the cloud user `{}`",
                    change.attribute,
                    step.label_or_target()
                ),
                source: Box::new(error.into()),
            }),
        }
    }

    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        graph_holds(step.attribute(), observed, expected)
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
