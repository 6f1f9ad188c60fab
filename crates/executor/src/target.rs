//! The edge between the run loop and the systems it writes to: a [`Target`] reads what a step
//! changes, writes it as a compare-and-set, finds out after a crash whether a write happened, and
//! says which step reverses a done one. Its errors are typed, so the loop never guesses from text
//! or downcasts: [`TargetError::Refused`] (the server answered no, nothing was written),
//! [`TargetError::Conflict`] (the value is not what the step expected, nothing was written) and
//! [`TargetError::NoAnswer`] (the write may or may not have happened: the run stops and the next one
//! resolves the step by reading).
//!
//! A target is `Send + Sync` and its futures are `Send`, so one target can serve steps of different
//! users from several tokio tasks at once (issue 15); a connector whose handle is not shareable (an
//! LDAP connection) keeps it behind an async lock, or a pool, inside its adapter.

use std::future::Future;

use anchorsync_core::remediation::{Operation, StepValue};
use anchorsync_store::{JournalStep, Step};

use crate::reversal::{self, Irreversible};

/// How a message names the object a step writes: its label in backticks and, when the label is not
/// the target itself, the target (`` `taro@example.com` (`6c1b…`) ``). The label comes from the plan,
/// which is input, so the object actually written is always named beside it; both are shown with
/// control characters escaped and cut to a readable length.
pub fn object_name(step: &Step) -> String {
    use anchorsync_core::wording::excerpt;
    let target = excerpt(&step.target, 200);
    match step.label.as_deref().filter(|label| !label.is_empty()) {
        Some(label) if label != step.target => {
            format!("`{}` (`{target}`)", excerpt(label, 120))
        }
        _ => format!("`{target}`"),
    }
}

/// A value as a message quotes it: escaped and cut (a value read from a server can be any length).
pub fn value_shown(value: &StepValue) -> String {
    anchorsync_core::wording::excerpt(&value.display(), 200).into_owned()
}

/// What a step's object holds now, as far as the step is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// One value, or none ([`StepValue::Absent`]).
    One(StepValue),
    /// A multi-valued attribute holding several: never what a step expects.
    Several(Vec<StepValue>),
}

impl Observed {
    /// For messages (each value escaped and cut, as [`value_shown`]).
    pub fn display(&self) -> String {
        match self {
            Self::One(value) => value_shown(value),
            Self::Several(values) => values
                .iter()
                .map(value_shown)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A write the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The value the write replaced (a `set`; [`StepValue::Absent`] for the other operations).
    pub replaced: StepValue,
    /// A `create`: the id of the object made.
    pub created: Option<String>,
}

/// What a step left `started` by an interrupted run turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Its effect is there: it was written before the process died.
    Written(Written),
    /// Its object is still as the step expects it: it was not written, and can be now.
    NotWritten,
    /// Neither: someone changed the object since. Nothing is written.
    Moved(String),
}

/// Which connector an error came from, kept whole for the error chain and its hints.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// The directory.
    #[error(transparent)]
    Ad(#[from] anchorsync_ad::Error),
    /// Microsoft Graph.
    #[error(transparent)]
    Graph(#[from] anchorsync_graph::GraphError),
}

/// Why a target did not carry out a read or a write.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The server answered no (no such object, a refused value, no permission): nothing was
    /// written. The step fails; the run goes on with other users.
    #[error("{reason}")]
    Refused {
        /// What the server said, as one line for the journal.
        reason: String,
    },
    /// The value is not the one the step expected: nothing was written.
    #[error("{reason}")]
    Conflict {
        /// What was found, as one line for the journal.
        reason: String,
    },
    /// No answer (the connection dropped, the retries gave up, an unknown outcome): the write may or
    /// may not have happened. The run stops with the step `started`; the next run resolves it.
    #[error("{what} got no answer")]
    NoAnswer {
        /// The request.
        what: String,
        /// The connector's error.
        #[source]
        source: Box<ConnectorError>,
    },
    /// The run writes to a system no connection was opened for (nothing was sent).
    #[error("no connection to `{system}` was opened")]
    NotConnected {
        /// The system.
        system: anchorsync_core::remediation::StepSystem,
    },
}

/// A system the executor writes to through one connector (AD, Graph users, the tenant's sync
/// settings; a SCIM provider later): one adapter in `targets/` per system, never a second run loop.
pub trait Target: Send + Sync {
    /// Reads the value the step changes, as it is now (a `set`: the attribute).
    fn read(&self, step: &Step) -> impl Future<Output = Result<Observed, TargetError>> + Send;

    /// Carries out the step as one compare-and-set: written only if the object still holds what the
    /// step expects; otherwise [`TargetError::Conflict`] with nothing written.
    fn write(&self, step: &Step) -> impl Future<Output = Result<Written, TargetError>> + Send;

    /// Whether `observed` is `expected` as this system compares values (the directory byte for
    /// byte; Graph's userPrincipalName without regard to case).
    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        let _ = step;
        matches!(observed, Observed::One(value) if value == expected)
    }

    /// Finds out whether a step left `started` was written. A `set` reads its attribute: `after`
    /// means written, `before` not written, anything else moved. A target carrying out `create`
    /// looks the anchor up instead (an object with it means written, whatever the answer that was
    /// lost), so nothing is ever sent twice.
    fn resolve(&self, step: &Step) -> impl Future<Output = Result<Resolution, TargetError>> + Send {
        resolve_by_reading(self, step)
    }

    /// The step that reverses a done step (undo). The default reverses every operation the same
    /// way on every system ([`reversal::reverse`]); a system whose deletes cannot be restored (a
    /// SCIM provider) says so here.
    fn reverse(&self, done: &JournalStep) -> Result<Step, Irreversible> {
        reversal::reverse(done)
    }
}

/// How a `set` step left `started` is resolved: read its attribute; `after` means written, `before`
/// not written, anything else moved. Any other operation is refused here: its target must override
/// [`Target::resolve`].
pub async fn resolve_by_reading<T: Target + ?Sized>(
    target: &T,
    step: &Step,
) -> Result<Resolution, TargetError> {
    let Operation::Set(change) = &step.operation else {
        return Err(TargetError::Refused {
            reason: format!(
                "cannot tell whether a `{}` step was carried out: this target does not resolve it",
                step.operation.kind()
            ),
        });
    };
    let current = target.read(step).await?;
    Ok(if target.holds(step, &current, &change.after) {
        Resolution::Written(Written {
            replaced: change.before.clone(),
            created: None,
        })
    } else if target.holds(step, &current, &change.before) {
        Resolution::NotWritten
    } else {
        Resolution::Moved(format!(
            "`{}` of {} is `{}`, neither the planned `{}` nor the new `{}`; nothing was written",
            change.attribute,
            object_name(step),
            current.display(),
            value_shown(&change.before),
            value_shown(&change.after)
        ))
    })
}
