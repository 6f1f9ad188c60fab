//! How a done step is reversed (undo), for every operation:
//!
//! | done | reversed by | target |
//! |---|---|---|
//! | `Set` `a → b` | `Set` `b → a'`, `a'` the value the step actually replaced | the same object |
//! | `Update` | `Update` with each change swapped | the same object |
//! | `Create` | `Delete`, expecting the anchor | the object the create made (journaled) |
//! | `Delete` | `Restore` | the same object |
//! | `Restore` | `Delete` | the same object |
//!
//! The purpose is reversed too (`federated-upn-away` ↔ `federated-upn-back`; the rest keep theirs, a
//! cleared ImmutableID is set again).

use anchorsync_core::remediation::{Change, Operation};
use anchorsync_store::{JournalStep, Step};

/// A done step that cannot be reversed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Irreversible {
    /// A create whose new object's id was not journaled.
    #[error(
        "step {seq} created an object whose id was not recorded, so it cannot be deleted again"
    )]
    UnknownObject {
        /// The step.
        seq: u32,
    },
    /// The target cannot undo this operation (a delete that cannot be restored).
    #[error("step {seq}: {reason}")]
    NotSupported {
        /// The step.
        seq: u32,
        /// Why.
        reason: String,
    },
}

/// The step that reverses `done`.
pub fn reverse(done: &JournalStep) -> Result<Step, Irreversible> {
    let step = &done.step;
    let (target, operation) = match &step.operation {
        Operation::Set(change) => (
            step.target.clone(),
            Operation::Set(Change {
                attribute: change.attribute.clone(),
                before: change.after.clone(),
                // The value the step actually replaced, as the journal recorded it.
                after: done
                    .replaced
                    .clone()
                    .unwrap_or_else(|| change.before.clone()),
            }),
        ),
        Operation::Update { changes } => (
            step.target.clone(),
            Operation::Update {
                changes: changes.iter().map(Change::reversed).collect(),
            },
        ),
        Operation::Create { anchor, .. } => (
            done.created
                .clone()
                .ok_or(Irreversible::UnknownObject { seq: done.seq })?,
            Operation::Delete {
                expected: vec![anchor.clone()],
            },
        ),
        Operation::Delete { .. } => (step.target.clone(), Operation::Restore),
        Operation::Restore => (
            step.target.clone(),
            Operation::Delete {
                expected: Vec::new(),
            },
        ),
    };
    Ok(Step {
        user_dn: step.user_dn.clone(),
        system: step.system,
        target,
        label: step.label.clone(),
        purpose: step.purpose.reversed(),
        operation,
    })
}

#[cfg(test)]
mod tests {
    use anchorsync_core::remediation::{Property, StepPurpose, StepSystem, StepValue};
    use anchorsync_store::StepState;

    use super::*;

    fn done(operation: Operation, created: Option<&str>) -> JournalStep {
        JournalStep {
            seq: 7,
            step: Step {
                user_dn: Some("CN=A".to_owned()),
                system: StepSystem::Cloud,
                target: "id-a".to_owned(),
                label: None,
                purpose: StepPurpose::SetImmutableId,
                operation,
            },
            state: StepState::Done,
            replaced: None,
            created: created.map(str::to_owned),
            message: None,
            started_at: None,
            finished_at: None,
        }
    }

    fn text(value: &str) -> StepValue {
        StepValue::Text(value.to_owned())
    }

    #[test]
    fn create_and_delete_and_restore_reverse_each_other() {
        let anchor = Property {
            attribute: "onPremisesImmutableId".to_owned(),
            value: text("AQID"),
        };
        let create = Operation::Create {
            anchor: anchor.clone(),
            properties: Vec::new(),
        };
        let deleted = reverse(&done(create.clone(), Some("new-id"))).unwrap();
        assert_eq!(deleted.target, "new-id");
        assert_eq!(
            deleted.operation,
            Operation::Delete {
                expected: vec![anchor.clone()]
            }
        );
        assert_eq!(
            reverse(&done(create, None)),
            Err(Irreversible::UnknownObject { seq: 7 })
        );
        let restored = reverse(&done(
            Operation::Delete {
                expected: vec![anchor],
            },
            None,
        ))
        .unwrap();
        assert_eq!(
            (restored.target.as_str(), &restored.operation),
            ("id-a", &Operation::Restore)
        );
        let again = reverse(&done(Operation::Restore, None)).unwrap();
        assert_eq!(
            again.operation,
            Operation::Delete {
                expected: Vec::new()
            }
        );
    }

    #[test]
    fn sets_and_updates_go_back_to_what_they_replaced() {
        let mut set = done(
            Operation::Set(Change {
                attribute: "onPremisesImmutableId".to_owned(),
                before: text("OLD"),
                after: text("NEW"),
            }),
            None,
        );
        set.replaced = Some(text("ACTUAL"));
        let back = reverse(&set).unwrap();
        assert_eq!(
            back.operation,
            Operation::Set(Change {
                attribute: "onPremisesImmutableId".to_owned(),
                before: text("NEW"),
                after: text("ACTUAL"),
            })
        );
        let update = reverse(&done(
            Operation::Update {
                changes: vec![Change {
                    attribute: "surname".to_owned(),
                    before: StepValue::Absent,
                    after: text("Ng"),
                }],
            },
            None,
        ))
        .unwrap();
        assert_eq!(
            update.operation,
            Operation::Update {
                changes: vec![Change {
                    attribute: "surname".to_owned(),
                    before: text("Ng"),
                    after: StepValue::Absent,
                }]
            }
        );
    }
}
