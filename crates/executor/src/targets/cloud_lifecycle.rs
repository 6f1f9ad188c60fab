//! The sync's operations on cloud users, each a compare-and-set whose effect can be observed, so a
//! step left `started` by a crash is resolved by reading, never by sending it again:
//!
//! | operation | compare before the write | resolved after a crash |
//! |---|---|---|
//! | `update` | every property is its `before` (read, then one `PATCH`) | all `after`: written; all `before`: not; else moved |
//! | `create` | Graph refuses a second user with the anchor (onPremisesImmutableId is unique) | a user (or deleted user) with the anchor: written, with its id |
//! | `delete` | the user holds the expected anchor | in deleted items: written |
//! | `restore` | the user is in deleted items | active: written |
//!
//! A create's password is made here, at write time ([`crate::sync::password`]), and goes only into
//! the `POST /users` body.

use anchorsync_core::remediation::{Change, Property as StepProperty, StepValue};
use anchorsync_core::sync::property::graph_body;
use anchorsync_core::sync::{Property, PropertyValue};
use anchorsync_core::tenant::CloudUser;
use anchorsync_graph::{CreateOutcome, NewUser, RestoreOptions, UserKey};
use anchorsync_store::Step;
use serde_json::{Map, Value};

use super::graph::{CloudUsersTarget, graph_error, patch_of, writable, write_error};
use crate::sync::{password, to_property_value, to_step_value};
use crate::target::{Resolution, TargetError, Written};

/// Whether every change holds its `before` (`Before`) or its `after` (`After`) in `user`, or the
/// first property that holds neither.
enum Held {
    Before,
    After,
    Neither(String),
    Mixed,
}

fn held(user: &CloudUser, changes: &[Change]) -> Result<Held, TargetError> {
    let (mut before, mut after) = (true, true);
    for change in changes {
        let property = writable(&change.attribute)?;
        let current = property.current(user);
        let is_before = property.holds(&current, &to_property_value(property, &change.before));
        let is_after = property.holds(&current, &to_property_value(property, &change.after));
        if !is_before && !is_after {
            return Ok(Held::Neither(format!(
                "`{}` is `{}`, neither the planned `{}` nor the new `{}`",
                change.attribute,
                to_step_value(property, &current).display(),
                change.before.display(),
                change.after.display()
            )));
        }
        before &= is_before;
        after &= is_after;
    }
    Ok(if before {
        Held::Before
    } else if after {
        Held::After
    } else {
        Held::Mixed
    })
}

fn written(created: Option<String>) -> Written {
    Written {
        replaced: StepValue::Absent,
        created,
    }
}

fn gone(step: &Step) -> TargetError {
    TargetError::Refused {
        reason: format!(
            "the cloud user `{}` no longer exists",
            step.label_or_target()
        ),
    }
}

impl CloudUsersTarget {
    /// One `PATCH` of several properties, after reading that each is still its `before`.
    pub(super) async fn update(
        &self,
        step: &Step,
        changes: &[Change],
    ) -> Result<Written, TargetError> {
        let user = self.user(step).await?.ok_or_else(|| gone(step))?;
        match held(&user, changes)? {
            Held::Before => {}
            // Already as planned (someone wrote the same values): nothing to send.
            Held::After => return Ok(written(None)),
            Held::Neither(what) => {
                return Err(TargetError::Conflict {
                    reason: format!(
                        "{what} in the cloud user `{}`; nothing was written",
                        step.label_or_target()
                    ),
                });
            }
            Held::Mixed => {
                return Err(TargetError::Conflict {
                    reason: format!(
                        "the cloud user `{}` changed since it was read; nothing was written",
                        step.label_or_target()
                    ),
                });
            }
        }
        let values: Vec<(Property, &StepValue)> = changes
            .iter()
            .map(|change| Ok((writable(&change.attribute)?, &change.after)))
            .collect::<Result<_, TargetError>>()?;
        let names: Vec<&str> = changes
            .iter()
            .map(|change| change.attribute.as_str())
            .collect();
        self.batcher_for(step)
            .update_user(&UserKey::Id(step.target.clone()), &patch_of(values))
            .await
            .map_err(|error| write_error(error, step, &names.join("`, `")))?;
        Ok(written(None))
    }

    pub(super) async fn resolve_update(
        &self,
        step: &Step,
        changes: &[Change],
    ) -> Result<Resolution, TargetError> {
        let Some(user) = self.user(step).await? else {
            return Ok(Resolution::Moved(format!(
                "the cloud user `{}` no longer exists; nothing was written",
                step.label_or_target()
            )));
        };
        Ok(match held(&user, changes)? {
            Held::After => Resolution::Written(written(None)),
            Held::Before => Resolution::NotWritten,
            Held::Neither(what) => Resolution::Moved(format!(
                "{what} in the cloud user `{}`; nothing was written",
                step.label_or_target()
            )),
            Held::Mixed => Resolution::Moved(format!(
                "the cloud user `{}` holds some planned values and not others; nothing was written",
                step.label_or_target()
            )),
        })
    }

    /// `POST /users` with the properties, the anchor as onPremisesImmutableId and a new random
    /// password.
    pub(super) async fn create(
        &self,
        step: &Step,
        anchor: &StepProperty,
        properties: &[StepProperty],
    ) -> Result<Written, TargetError> {
        let values: Vec<(Property, PropertyValue)> = properties
            .iter()
            .map(|property| {
                let name = writable(&property.attribute)?;
                Ok((name, to_property_value(name, &property.value)))
            })
            .collect::<Result<_, TargetError>>()?;
        let Value::Object(mut body) =
            graph_body(values.iter().map(|(property, value)| (*property, value)))
        else {
            return Err(TargetError::Refused {
                reason: "the new user's properties are not an object".to_owned(),
            });
        };
        let mut required = |name: &str| -> Result<String, TargetError> {
            match body.remove(name) {
                Some(Value::String(text)) if !text.is_empty() => Ok(text),
                _ => Err(TargetError::Refused {
                    reason: format!(
                        "a new user needs `{name}`, and `{}` has none",
                        step.label_or_target()
                    ),
                }),
            }
        };
        let user_principal_name = required("userPrincipalName")?;
        let display_name = required("displayName")?;
        let mail_nickname = required("mailNickname")?;
        let enabled = body
            .remove("accountEnabled")
            .and_then(|value| value.as_bool())
            .unwrap_or(true);
        let immutable_id = anchor.value.to_graph_text().unwrap_or_default();
        let secret = password::generate().map_err(|error| TargetError::Refused {
            reason: error.to_string(),
        })?;
        let user = with_properties(
            NewUser::new(user_principal_name, display_name, mail_nickname, secret)
                .account_enabled(enabled)
                .immutable_id(immutable_id),
            body,
        );
        match self.sync_batcher.create_user(&user).await {
            Ok(CreateOutcome::Created(created)) => Ok(written(Some(created.id))),
            Ok(CreateOutcome::NoAnswer {
                request,
                reason,
                client_request_id,
            }) => Err(TargetError::NoAnswer {
                what: format!("creating the cloud user `{}`", step.label_or_target()),
                source: Box::new(
                    anchorsync_graph::GraphError::OutcomeUnknown {
                        request,
                        reason,
                        client_request_id,
                    }
                    .into(),
                ),
            }),
            Err(error) => Err(write_error(error, step, "POST /users")),
        }
    }

    /// A create whose answer was lost: a user with the anchor (active, or deleted since) means it
    /// was made; none means it was not, and it may be sent.
    pub(super) async fn resolve_create(
        &self,
        step: &Step,
        anchor: &StepProperty,
    ) -> Result<Resolution, TargetError> {
        let immutable_id = anchor.value.to_graph_text().unwrap_or_default();
        let context = || {
            format!(
                "cannot look up onPremisesImmutableId `{immutable_id}` of `{}`",
                step.label_or_target()
            )
        };
        if let Some(user) = self
            .client
            .find_user_by_immutable_id(&immutable_id)
            .await
            .map_err(|error| graph_error(error, context()))?
        {
            return Ok(Resolution::Written(written(Some(user.id))));
        }
        if let Some(user) = self
            .client
            .find_deleted_user_by_immutable_id(&immutable_id)
            .await
            .map_err(|error| graph_error(error, context()))?
        {
            return Ok(Resolution::Written(written(Some(user.id))));
        }
        Ok(Resolution::NotWritten)
    }

    /// `DELETE /users/{id}` (into deleted items), after reading that the user still holds the
    /// expected values.
    pub(super) async fn delete(
        &self,
        step: &Step,
        expected: &[StepProperty],
    ) -> Result<Written, TargetError> {
        let Some(user) = self.user(step).await? else {
            return Err(match self.deleted(step).await? {
                Some(_) => TargetError::Conflict {
                    reason: format!(
                        "the cloud user `{}` is already in deleted items; nothing was written",
                        step.label_or_target()
                    ),
                },
                None => gone(step),
            });
        };
        if let Some(what) = not_holding(&user, expected)? {
            return Err(TargetError::Conflict {
                reason: format!(
                    "{what} in the cloud user `{}`, so it is not deleted",
                    step.label_or_target()
                ),
            });
        }
        // A sync step's user may be new: a 404 is first taken for Entra's replication lag.
        match self
            .client
            .for_new_objects()
            .delete_user(&UserKey::Id(step.target.clone()))
            .await
        {
            Ok(()) => Ok(written(None)),
            // A resent DELETE whose first attempt went through.
            Err(error) if error.is_not_found() && self.deleted(step).await?.is_some() => {
                Ok(written(None))
            }
            Err(error) => Err(write_error(error, step, "DELETE")),
        }
    }

    pub(super) async fn resolve_delete(
        &self,
        step: &Step,
        expected: &[StepProperty],
    ) -> Result<Resolution, TargetError> {
        if let Some(user) = self.user(step).await? {
            return Ok(match not_holding(&user, expected)? {
                None => Resolution::NotWritten,
                Some(what) => Resolution::Moved(format!(
                    "{what} in the cloud user `{}`; nothing was deleted",
                    step.label_or_target()
                )),
            });
        }
        Ok(match self.deleted(step).await? {
            Some(_) => Resolution::Written(written(None)),
            None => Resolution::Moved(format!(
                "the cloud user `{}` is neither active nor in deleted items",
                step.label_or_target()
            )),
        })
    }

    /// `POST /directory/deletedItems/{id}/restore`, after reading that the user is there.
    pub(super) async fn restore(&self, step: &Step) -> Result<Written, TargetError> {
        if self.deleted(step).await?.is_none() {
            return Err(match self.user(step).await? {
                Some(_) => TargetError::Conflict {
                    reason: format!(
                        "the cloud user `{}` is not in deleted items (it is active); nothing was written",
                        step.label_or_target()
                    ),
                },
                None => TargetError::Refused {
                    reason: format!(
                        "the cloud user `{}` is neither in deleted items nor active (purged?)",
                        step.label_or_target()
                    ),
                },
            });
        }
        match self
            .client
            .restore_deleted_user(&step.target, &RestoreOptions::default())
            .await
        {
            Ok(_) => Ok(written(None)),
            Err(error) => Err(write_error(error, step, "restore")),
        }
    }

    pub(super) async fn resolve_restore(&self, step: &Step) -> Result<Resolution, TargetError> {
        if self.user(step).await?.is_some() {
            return Ok(Resolution::Written(written(None)));
        }
        Ok(match self.deleted(step).await? {
            Some(_) => Resolution::NotWritten,
            None => Resolution::Moved(format!(
                "the cloud user `{}` is neither active nor in deleted items",
                step.label_or_target()
            )),
        })
    }

    async fn deleted(&self, step: &Step) -> Result<Option<CloudUser>, TargetError> {
        self.client
            .find_deleted_user(&step.target)
            .await
            .map_err(|error| {
                graph_error(
                    error,
                    format!("cannot read the deleted user `{}`", step.label_or_target()),
                )
            })
    }
}

/// The first expected value `user` does not hold, in words.
fn not_holding(user: &CloudUser, expected: &[StepProperty]) -> Result<Option<String>, TargetError> {
    for value in expected {
        let property = writable(&value.attribute)?;
        let current = property.current(user);
        if !property.holds(&current, &to_property_value(property, &value.value)) {
            return Ok(Some(format!(
                "`{}` is `{}`, not `{}`",
                value.attribute,
                to_step_value(property, &current).display(),
                value.value.display()
            )));
        }
    }
    Ok(None)
}

fn with_properties(user: NewUser, body: Map<String, Value>) -> NewUser {
    body.into_iter()
        .fold(user, |user, (name, value)| user.set(&name, value))
}
