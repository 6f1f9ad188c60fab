//! Which steps must run one after the other, and the per-user rules within them.
//!
//! A *lane* is the steps of one user (the steps sharing a `user_dn`; for steps of no user, such as
//! tenant switches, the steps of one object), joined with the lane of every other user that
//! touches one of the same objects, or that moves the same value of an attribute the directory
//! keeps unique ([`UNIQUE_ATTRIBUTES`]: two federated users `jo@a.example` and `jo@b.example` both
//! pass through `jo@<initial domain>`; one user's ImmutableID cleared so that another may take it),
//! in journal order. Two lanes share no object and no such value, so they may run at once, and a
//! plan that works one step at a time works the same at any concurrency. Within a lane a step
//! starts only after the one before it ended, so a federated user's UPN never comes back before
//! the ImmutableID change, and the per-user rules ([`UserProgress::skip_reason`]) see every
//! earlier result of the user.

use std::collections::HashMap;

use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem, StepValue};
use anchorsync_store::{JournalStep, Step, StepState};

/// The steps sharing this key run in order, and a failure skips the rest: an on-premises user's
/// steps, or (for steps of no user, such as tenant switches) the steps of one object.
pub(crate) type UserKey = (Option<String>, StepSystem, String);

/// Attributes whose values the directory keeps unique across users (lower case): steps of
/// different users that write or free the same value of one of them share a lane.
const UNIQUE_ATTRIBUTES: [&str; 5] = [
    "userprincipalname",
    "onpremisesimmutableid",
    "mail",
    "ms-ds-consistencyguid",
    "samaccountname",
];

/// A value of a unique attribute a step moves (its `before` and its `after`; for a sync's `update`,
/// each property's; for a `create` or a `delete`, the values the object takes or holds), as a key:
/// text without regard to case (UPNs and mail compare so; a few ImmutableIDs joined too many is only
/// a little less concurrency), bytes as they are. A `restore` names no value: the user it brings back
/// shares its object's lane.
fn unique_values(step: &Step) -> Vec<(StepSystem, String, String)> {
    let moved: Vec<(&str, &StepValue)> = match &step.operation {
        Operation::Set(change) => vec![
            (change.attribute.as_str(), &change.before),
            (change.attribute.as_str(), &change.after),
        ],
        Operation::Update { changes } => changes
            .iter()
            .flat_map(|change| {
                [
                    (change.attribute.as_str(), &change.before),
                    (change.attribute.as_str(), &change.after),
                ]
            })
            .collect(),
        Operation::Create { anchor, properties } => std::iter::once(anchor)
            .chain(properties)
            .map(|property| (property.attribute.as_str(), &property.value))
            .collect(),
        Operation::Delete { expected } => expected
            .iter()
            .map(|property| (property.attribute.as_str(), &property.value))
            .collect(),
        Operation::Restore => Vec::new(),
    };
    moved
        .into_iter()
        .filter_map(|(attribute, value)| {
            let attribute = attribute.to_lowercase();
            if !UNIQUE_ATTRIBUTES.contains(&attribute.as_str()) {
                return None;
            }
            let value = match value {
                StepValue::Absent => return None,
                StepValue::Text(text) => format!("t:{}", text.to_lowercase()),
                StepValue::Bytes(bytes) => format!("b:{bytes:02x?}"),
            };
            Some((step.system, attribute, value))
        })
        .collect()
}

/// The user a step belongs to, for the per-user rules.
pub(crate) fn user_key(step: &Step) -> UserKey {
    match &step.user_dn {
        Some(dn) => (Some(dn.clone()), StepSystem::Ad, String::new()),
        None => (None, step.system, step.target.clone()),
    }
}

/// The steps of one user so far, for the per-user rules.
#[derive(Debug, Default)]
pub(crate) struct UserProgress {
    failed: bool,
    upn_away_done: bool,
}

impl UserProgress {
    /// Takes in how one of the user's steps ended.
    pub(crate) fn track(&mut self, step: &Step, state: StepState) {
        match state {
            StepState::Done if step.purpose == StepPurpose::FederatedUpnAway => {
                self.upn_away_done = true;
            }
            StepState::Failed | StepState::Conflict | StepState::Skipped => self.failed = true,
            _ => {}
        }
    }

    /// Why a step is not run, if it is not: `federated-upn-back` runs whenever the user's
    /// `federated-upn-away` was done, so a federated user never stays on the temporary UPN; any
    /// other step is skipped once an earlier step of its user did not succeed.
    pub(crate) fn skip_reason(&self, step: &Step) -> Option<&'static str> {
        if step.purpose == StepPurpose::FederatedUpnBack {
            (!self.upn_away_done)
                .then_some("the UPN was not moved away, so there is nothing to move back")
        } else if self.failed {
            Some("an earlier step of this user did not succeed")
        } else {
            None
        }
    }
}

/// The lanes of `steps`: positions in `steps`, each lane in journal order, lanes in the order of
/// their first step.
pub(crate) fn lanes(steps: &[JournalStep]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = Vec::new();
    let mut users: HashMap<UserKey, usize> = HashMap::new();
    let mut objects: HashMap<(StepSystem, String), usize> = HashMap::new();
    let mut values: HashMap<(StepSystem, String, String), usize> = HashMap::new();
    let mut user_of_step = Vec::with_capacity(steps.len());
    for journal in steps {
        let step = &journal.step;
        let user = *users.entry(user_key(step)).or_insert_with(|| {
            parent.push(parent.len());
            parent.len() - 1
        });
        user_of_step.push(user);
        // Directory names and Graph ids compare without regard to case.
        let object = (step.system, step.target.to_lowercase());
        match objects.get(&object) {
            Some(&other) => join(&mut parent, user, other),
            None => {
                objects.insert(object, user);
            }
        }
        for value in unique_values(step) {
            match values.get(&value) {
                Some(&other) => join(&mut parent, user, other),
                None => {
                    values.insert(value, user);
                }
            }
        }
    }
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    let mut lane_of: HashMap<usize, usize> = HashMap::new();
    for (position, user) in user_of_step.into_iter().enumerate() {
        let root = root(&mut parent, user);
        let lane = *lane_of.entry(root).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        if let Some(lane) = lanes.get_mut(lane) {
            lane.push(position);
        }
    }
    lanes
}

fn root(parent: &mut [usize], mut index: usize) -> usize {
    while let Some(&up) = parent.get(index) {
        if up == index {
            break;
        }
        if let Some(&grand) = parent.get(up)
            && let Some(slot) = parent.get_mut(index)
        {
            *slot = grand;
        }
        index = up;
    }
    index
}

fn join(parent: &mut [usize], a: usize, b: usize) {
    let (a, b) = (root(parent, a), root(parent, b));
    if let Some(slot) = parent.get_mut(a.max(b)) {
        *slot = a.min(b);
    }
}

#[cfg(test)]
mod tests {
    use anchorsync_core::remediation::{Change, StepValue};

    use super::*;

    fn step(user: Option<&str>, system: StepSystem, target: &str) -> JournalStep {
        JournalStep {
            seq: 0,
            step: Step::set(
                user.map(str::to_owned),
                system,
                target,
                None,
                StepPurpose::SetImmutableId,
                Change {
                    attribute: "onPremisesImmutableId".to_owned(),
                    before: StepValue::Absent,
                    after: StepValue::Text(format!("anchor-of-{target}")),
                },
            ),
            state: StepState::Planned,
            replaced: None,
            created: None,
            message: None,
            started_at: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_users_steps_share_a_lane_and_users_sharing_an_object_too() {
        let steps = [
            step(Some("CN=A"), StepSystem::Cloud, "id-a"),
            step(Some("CN=B"), StepSystem::Cloud, "id-b"),
            step(Some("CN=A"), StepSystem::Ad, "CN=A"),
            step(Some("CN=C"), StepSystem::Cloud, "ID-B"),
            step(None, StepSystem::Tenant, "tenant"),
            step(None, StepSystem::Tenant, "tenant"),
            step(Some("CN=D"), StepSystem::Cloud, "id-d"),
        ];
        assert_eq!(
            lanes(&steps),
            vec![vec![0, 2], vec![1, 3], vec![4, 5], vec![6]]
        );
    }

    #[test]
    fn users_moving_the_same_unique_value_share_a_lane() {
        let set = |user: &str, id: &str, attribute: &str, before: &str, after: &str| {
            let mut journal = step(Some(user), StepSystem::Cloud, id);
            journal.step = Step::set(
                Some(user.to_owned()),
                StepSystem::Cloud,
                id,
                None,
                StepPurpose::FederatedUpnAway,
                Change {
                    attribute: attribute.to_owned(),
                    before: StepValue::Text(before.to_owned()),
                    after: StepValue::Text(after.to_owned()),
                },
            );
            journal
        };
        let upn = |user: &str, id: &str, before: &str, after: &str| {
            set(user, id, "userPrincipalName", before, after)
        };
        let steps = [
            upn("CN=A", "id-a", "jo@a.example", "jo@x.onmicrosoft.com"),
            upn("CN=B", "id-b", "jo@b.example", "JO@x.onmicrosoft.com"),
            upn("CN=C", "id-c", "al@a.example", "al@x.onmicrosoft.com"),
            // The same value of an attribute that is not unique joins nothing.
            set("CN=D", "id-d", "department", "Sales", "Support"),
            set("CN=E", "id-e", "department", "Sales", "Support"),
        ];
        assert_eq!(lanes(&steps), vec![vec![0, 1], vec![2], vec![3], vec![4]]);
    }

    #[test]
    fn the_upn_move_back_follows_the_move_away_and_nothing_else_after_a_failure() {
        let mut progress = UserProgress::default();
        let mut back = step(Some("CN=A"), StepSystem::Cloud, "id-a").step;
        back.purpose = StepPurpose::FederatedUpnBack;
        let mut away = back.clone();
        away.purpose = StepPurpose::FederatedUpnAway;
        let set = step(Some("CN=A"), StepSystem::Cloud, "id-a").step;
        assert!(progress.skip_reason(&back).is_some());
        progress.track(&away, StepState::Done);
        progress.track(&set, StepState::Failed);
        assert!(progress.skip_reason(&set).is_some());
        assert_eq!(progress.skip_reason(&back), None);
    }
}
