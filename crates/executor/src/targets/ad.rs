//! Active Directory as a [`Target`]: the attribute of a `set` step read with a base search and
//! written with the connector's one-modify compare-and-set ([`AdConnection::compare_and_set`]), so a
//! value changed since it was read is refused by the domain controller itself.
//!
//! An LDAP connection serves one request at a time, so the target keeps a small pool of bound
//! connections: steps of different users, called in from several tasks, each borrow one for a read
//! or a write and give it back; when all are busy, the next step waits for one.

use std::sync::{Mutex, PoisonError};

use anchorsync_ad::AdConnection;
use anchorsync_core::directory::is_binary_attribute;
use anchorsync_core::remediation::{StepPurpose, StepSystem, StepValue};
use anchorsync_store::Step;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::chain;
use crate::target::{Observed, Target, TargetError, Written};

/// LDAP connections a run opens to the domain controller unless told otherwise: enough for the
/// round trips of several users' steps to overlap, few enough to be a small load on a DC.
pub const DEFAULT_AD_CONNECTIONS: usize = 4;

/// Bound connections to a domain controller.
#[derive(Debug)]
pub struct DirectoryTarget {
    idle: Mutex<Vec<AdConnection>>,
    /// One permit per connection: a step holding one finds an idle connection.
    permits: Semaphore,
    size: usize,
}

/// A connection borrowed from the pool, given back when dropped.
struct Borrowed<'a> {
    target: &'a DirectoryTarget,
    connection: Option<AdConnection>,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Borrowed<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.target
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
    }
}

impl DirectoryTarget {
    /// Writes through `connection`.
    pub fn new(connection: AdConnection) -> Self {
        Self::pool(vec![connection])
    }

    /// Writes through `connections`, one request on each at a time.
    pub fn pool(connections: Vec<AdConnection>) -> Self {
        Self {
            permits: Semaphore::new(connections.len()),
            size: connections.len(),
            idle: Mutex::new(connections),
        }
    }

    /// How many connections the pool holds.
    pub fn connections(&self) -> usize {
        self.size
    }

    /// An idle connection, once one is free; none once the pool is closed.
    async fn borrow(&self) -> Result<Borrowed<'_>, TargetError> {
        let permit = self.permits.acquire().await.map_err(|_| not_connected())?;
        let connection = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .ok_or_else(not_connected)?;
        Ok(Borrowed {
            target: self,
            connection: Some(connection),
            _permit: permit,
        })
    }

    /// Unbinds every connection once they are all back (later calls do nothing).
    pub async fn close(&self) {
        // Waits for every borrowed connection to come back.
        let Ok(all) = self
            .permits
            .acquire_many(u32::try_from(self.size).unwrap_or(u32::MAX))
            .await
        else {
            return;
        };
        self.permits.close();
        let connections =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(PoisonError::into_inner));
        drop(all);
        for connection in connections {
            connection.unbind().await;
        }
    }
}

/// An AD value as a step holds it: bytes for a binary attribute (or text that is not UTF-8).
pub fn ad_value(attribute: &str, bytes: Vec<u8>) -> StepValue {
    if is_binary_attribute(attribute) {
        return StepValue::Bytes(bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => StepValue::Text(text),
        Err(error) => StepValue::Bytes(error.into_bytes()),
    }
}

/// The multi-valued attributes a `lint-fix` step changes one value of.
fn is_multi_valued(attribute: &str) -> bool {
    attribute.eq_ignore_ascii_case("proxyAddresses")
}

fn unsupported(step: &Step) -> TargetError {
    TargetError::Refused {
        reason: format!(
            "the directory target does not carry out `{}` steps",
            step.operation.kind()
        ),
    }
}

fn not_connected() -> TargetError {
    TargetError::NotConnected {
        system: StepSystem::Ad,
    }
}

impl Target for DirectoryTarget {
    async fn read(&self, step: &Step) -> Result<Observed, TargetError> {
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let mut borrowed = self.borrow().await?;
        let connection = borrowed.connection.as_mut().ok_or_else(not_connected)?;
        let values = match connection
            .read_attribute(&step.target, &change.attribute)
            .await
        {
            Ok(values) => values,
            Err(error) if error.is_refusal() => {
                return Err(TargetError::Refused {
                    reason: format!(
                        "cannot read `{}` of `{}`: {}",
                        change.attribute,
                        step.target,
                        chain(&error)
                    ),
                });
            }
            Err(error) => {
                return Err(TargetError::NoAnswer {
                    what: format!("reading `{}` of `{}`", change.attribute, step.target),
                    source: Box::new(error.into()),
                });
            }
        };
        let mut values: Vec<StepValue> = values
            .into_iter()
            .map(|bytes| ad_value(&change.attribute, bytes))
            .collect();
        Ok(match values.len() {
            0 => Observed::One(StepValue::Absent),
            1 => Observed::One(values.swap_remove(0)),
            _ => Observed::Several(values),
        })
    }

    async fn write(&self, step: &Step) -> Result<Written, TargetError> {
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let mut borrowed = self.borrow().await?;
        let connection = borrowed.connection.as_mut().ok_or_else(not_connected)?;
        match connection
            .compare_and_set(
                &step.target,
                &change.attribute,
                change.before.as_bytes(),
                change.after.as_bytes(),
            )
            .await
        {
            Ok(replaced) => Ok(Written {
                replaced: replaced.map_or(StepValue::Absent, |bytes| {
                    ad_value(&change.attribute, bytes)
                }),
                created: None,
            }),
            Err(error @ anchorsync_ad::Error::StaleValue { .. }) => Err(TargetError::Conflict {
                reason: error.to_string(),
            }),
            Err(error) if error.is_refusal() => Err(TargetError::Refused {
                reason: format!("the directory refused the write: {}", chain(&error)),
            }),
            Err(error) => Err(TargetError::NoAnswer {
                what: format!("writing `{}` of `{}`", change.attribute, step.target),
                source: Box::new(error.into()),
            }),
        }
    }

    /// Byte for byte, as the directory stores them. A `lint-fix` step of a multi-valued attribute
    /// (proxyAddresses) changes one value and leaves the others: its `before` holds when that value is
    /// there (or, adding, when the new one is not yet), its `after` when the new value is there and the
    /// old one gone (or, removing, when the old one is gone).
    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        if step.purpose == StepPurpose::LintFix
            && let Some(change) = step.change()
            && is_multi_valued(&change.attribute)
        {
            let values: &[StepValue] = match observed {
                Observed::One(StepValue::Absent) => &[],
                Observed::One(value) => std::slice::from_ref(value),
                Observed::Several(values) => values,
            };
            let present = |value: &StepValue| {
                values
                    .iter()
                    .any(|held| held.as_bytes() == value.as_bytes())
            };
            let (gone, there) = if expected == &change.after {
                (&change.before, &change.after)
            } else {
                (&change.after, &change.before)
            };
            return (gone.is_absent() || !present(gone)) && (there.is_absent() || present(there));
        }
        matches!(observed, Observed::One(current) if current.as_bytes() == expected.as_bytes())
    }
}
