//! The decision: for every AD user in scope and every stored link, what a sync does.
//!
//! 1. A user with a link (found by objectGUID, or by sourceAnchor when its AD object was re-created
//!    with the same anchor and the old one is gone) is maintained through the link: its anchor must not
//!    have changed, its cloud user is updated, restored from deleted items when it is there, or, when
//!    it has vanished altogether, the match engine decides again.
//! 2. A user without a link is joined exactly as [`crate::engine::plan`] predicts with the tenant's
//!    switches: a hard or soft match joins the cloud user it names, `create` creates one (or restores
//!    a deleted user carrying the anchor, as Entra does), and every flagged outcome is an export error
//!    carrying the plan's reasons.
//! 3. A link whose AD user is no longer in scope gets the leaving policy. Cloud users without a link
//!    are never touched.
//! 4. Values Graph would refuse, and names another cloud user holds, are export errors for that user
//!    only; the deletion guard judges the run as a whole.

use std::time::{SystemTime, UNIX_EPOCH};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::directory::{OnPremUser, smtp_address};
use crate::engine::changes::cloud_only_proxy_addresses;
use crate::engine::explain::{reasons, warnings};
use crate::engine::index::eq_folded;
use crate::engine::source_anchor::{
    AnchorAttribute, AnchorEncoding, CONSISTENCY_GUID, SourceAnchor,
};
use crate::engine::{EngineSettings, Plan, UserPlan, plan};
use crate::identifier::ObjectGuid;
use crate::remediation::{RemediationStep, StepPurpose, StepSystem, StepValue};
use crate::tenant::{CloudUser, TenantSnapshot};

use super::flow::{AttributeFlow, DesiredUser, Managed, ValueError, ValueProblem};
use super::guard::DeletionGuard;
use super::link::{Link, LinkOrigin, LinkState, RESTORE_DAYS, graph_time_seconds};
use super::property::{Property, PropertyValue};
use super::record::{
    Action, Difference, ExportError, ExportErrorCode, PropertyChange, SYNC_FORMAT_VERSION,
    SyncCounts, SyncPlan, SyncPlanSettings, UserSync,
};
use super::settings::{LeavingPolicy, SyncSettings};

/// Everything a sync decides from.
#[derive(Debug, Clone, Copy)]
pub struct SyncInput<'a> {
    /// The AD users in scope.
    pub users: &'a [OnPremUser],
    /// The tenant, with its deleted users (`deletedUsers`) when they were read.
    pub tenant: &'a TenantSnapshot,
    /// The stored links.
    pub links: &'a [Link],
    /// The anchor attribute, its encoding and the SMTP match scope (as for `plan`).
    pub engine: &'a EngineSettings,
    /// The `[sync]` settings.
    pub settings: &'a SyncSettings,
    /// `--allow-deletions N`: lets a run beyond the deletion guard through when it equals the deletions.
    pub allow_deletions: Option<usize>,
    /// Now: a deleted user is restorable for 30 days after its `deletedDateTime`.
    pub now: SystemTime,
}

/// Inputs a sync cannot start from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    /// Two stored links for one AD user.
    #[error("the stored links name objectGUID `{object_guid}` twice")]
    LinkedTwice {
        /// The objectGUID.
        object_guid: ObjectGuid,
    },
    /// Two stored links to one cloud user.
    #[error("the stored links name cloud user `{cloud_user_id}` twice")]
    CloudUserLinkedTwice {
        /// The cloud user.
        cloud_user_id: String,
    },
    /// `max_deletion_percent` above 100.
    #[error("`[sync].max_deletion_percent` is {0}; a percentage is 0 to 100")]
    Percent(u32),
    /// A plan made from other inputs.
    #[error(
        "the match engine's plan was made from other AD users or another tenant than the sync's"
    )]
    PlanMismatch,
}

/// Decides what a sync does: runs the match engine, then [`plan_sync_with`].
pub fn plan_sync(input: &SyncInput<'_>) -> Result<SyncPlan, SyncError> {
    let plan = plan(input.users, input.tenant, input.engine);
    plan_sync_with(input, &plan)
}

/// Decides what a sync does with a plan the caller already made of exactly `input.users` and
/// `input.tenant` (the same slices), with `input.engine`: a command that shows the plan as well runs the
/// engine once.
pub fn plan_sync_with(input: &SyncInput<'_>, plan: &Plan<'_>) -> Result<SyncPlan, SyncError> {
    if !std::ptr::eq(plan.on_prem, input.users)
        || !std::ptr::eq(plan.tenant, input.tenant)
        || plan.settings != *input.engine
    {
        return Err(SyncError::PlanMismatch);
    }
    if input.settings.max_deletion_percent > 100 {
        return Err(SyncError::Percent(input.settings.max_deletion_percent));
    }
    let context = Context::new(input, plan)?;
    let mut users: Vec<UserSync> = plan
        .users
        .par_iter()
        .map(|user_plan| context.decide(user_plan))
        .collect();
    context.refuse_taken_names(&mut users);
    let mut leaving = context.leaving();
    leaving.sort_by(|a, b| {
        let key = |record: &UserSync| {
            (
                record.user_principal_name.clone().unwrap_or_default(),
                record.cloud_user_id.clone().unwrap_or_default(),
                record.object_guid,
            )
        };
        key(a).cmp(&key(b))
    });
    users.extend(leaving);
    let deletions = users
        .iter()
        .filter(|user| user.leaving && matches!(user.action, Action::Disable | Action::Delete))
        .count();
    let managed = input
        .links
        .iter()
        .filter(|link| link.state != LinkState::Deleted)
        .count();
    Ok(SyncPlan {
        format_version: SYNC_FORMAT_VERSION,
        settings: plan_settings(input),
        counts: SyncCounts::of(&users, input.links.len()),
        guard: DeletionGuard::judge(deletions, managed, input.settings, input.allow_deletions),
        users,
    })
}

fn plan_settings(input: &SyncInput<'_>) -> SyncPlanSettings {
    let settings = input.settings;
    SyncPlanSettings {
        anchor_attribute: input.engine.anchor_attribute.name().to_owned(),
        anchor_encoding: input.engine.anchor_encoding,
        leaving: settings.leaving,
        max_deletions: settings.max_deletions,
        max_deletion_percent: settings.max_deletion_percent,
        anchor_writeback: settings.anchor_writeback,
        usage_location_attribute: settings.usage_location_attribute.clone(),
        usage_location: settings.usage_location.clone(),
        attributes: settings.attributes.as_written(),
    }
}

/// The inputs indexed once.
struct Context<'a, 'p> {
    input: &'a SyncInput<'a>,
    plan: &'p Plan<'a>,
    flow: AttributeFlow<'a>,
    cloud_by_id: FxHashMap<&'a str, usize>,
    deleted_by_id: FxHashMap<&'a str, usize>,
    /// Restorable deleted users by onPremisesImmutableId.
    deleted_by_anchor: FxHashMap<&'a str, Vec<usize>>,
    link_by_cloud: FxHashMap<&'a str, usize>,
    /// The link of each AD user, by inventory position.
    link_of_user: Vec<Option<usize>>,
    /// Whether each link's AD user is in scope.
    claimed: Vec<bool>,
    duplicate_guids: FxHashSet<ObjectGuid>,
    now: u64,
}

/// How an existing cloud user is reached.
#[derive(Clone, Copy)]
enum Reach {
    /// Through the stored link.
    Linked,
    /// First join, as the match engine predicted.
    Join,
    /// Restored from deleted items.
    Restore,
}

impl<'a, 'p> Context<'a, 'p> {
    fn new(input: &'a SyncInput<'a>, plan: &'p Plan<'a>) -> Result<Self, SyncError> {
        let tenant = input.tenant;
        let now = input
            .now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let cloud_by_id = tenant
            .users
            .iter()
            .enumerate()
            .map(|(position, user)| (user.id.as_str(), position))
            .collect();
        let mut deleted_by_id = FxHashMap::default();
        let mut deleted_by_anchor: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (position, user) in tenant.deleted_users.iter().enumerate() {
            deleted_by_id.entry(user.id.as_str()).or_insert(position);
            if let Some(anchor) = user.on_premises_immutable_id.as_deref()
                && restorable(user, now)
            {
                deleted_by_anchor.entry(anchor).or_default().push(position);
            }
        }
        let mut link_by_guid: FxHashMap<ObjectGuid, usize> = FxHashMap::default();
        let mut link_by_cloud = FxHashMap::default();
        for (index, link) in input.links.iter().enumerate() {
            if link_by_guid.insert(link.object_guid, index).is_some() {
                return Err(SyncError::LinkedTwice {
                    object_guid: link.object_guid,
                });
            }
            if link_by_cloud
                .insert(link.cloud_user_id.as_str(), index)
                .is_some()
            {
                return Err(SyncError::CloudUserLinkedTwice {
                    cloud_user_id: link.cloud_user_id.clone(),
                });
            }
        }
        let mut seen: FxHashSet<ObjectGuid> = FxHashSet::default();
        let mut duplicate_guids = FxHashSet::default();
        for guid in input.users.iter().filter_map(|user| user.object_guid) {
            if !seen.insert(guid) {
                duplicate_guids.insert(guid);
            }
        }
        // Links follow objectGUID; a link whose AD object is gone follows its sourceAnchor to a user
        // without a link (an AD object re-created with the same mS-DS-ConsistencyGuid).
        let mut link_of_user = vec![None; input.users.len()];
        let mut claimed = vec![false; input.links.len()];
        for (position, user) in input.users.iter().enumerate() {
            let Some(guid) = user.object_guid else {
                continue;
            };
            let Some(&index) = link_by_guid.get(&guid) else {
                continue;
            };
            // A repeated objectGUID is an export error for both users, and its link is not leaving.
            if let Some(taken) = claimed.get_mut(index) {
                *taken = true;
            }
            if !duplicate_guids.contains(&guid)
                && let Some(slot) = link_of_user.get_mut(position)
            {
                *slot = Some(index);
            }
        }
        let mut unclaimed_by_anchor: FxHashMap<&str, usize> = FxHashMap::default();
        for (index, link) in input.links.iter().enumerate() {
            if !claimed.get(index).copied().unwrap_or(true) {
                unclaimed_by_anchor
                    .entry(link.source_anchor.as_str())
                    .or_insert(index);
            }
        }
        let mut candidates: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        if !unclaimed_by_anchor.is_empty() {
            for user_plan in &plan.users {
                let unlinked = link_of_user
                    .get(user_plan.user)
                    .is_some_and(Option::is_none);
                let linkable = input
                    .users
                    .get(user_plan.user)
                    .and_then(|user| user.object_guid)
                    .is_some_and(|guid| !duplicate_guids.contains(&guid));
                if unlinked
                    && linkable
                    && let Some(anchor) = &user_plan.anchor
                    && let Some(&index) = unclaimed_by_anchor.get(anchor.value.as_str())
                {
                    candidates.entry(index).or_default().push(user_plan.user);
                }
            }
        }
        for (index, positions) in candidates {
            if let [position] = positions.as_slice()
                && let (Some(slot), Some(taken)) =
                    (link_of_user.get_mut(*position), claimed.get_mut(index))
            {
                *slot = Some(index);
                *taken = true;
            }
        }
        Ok(Self {
            input,
            plan,
            flow: AttributeFlow::new(input.settings, tenant),
            cloud_by_id,
            deleted_by_id,
            deleted_by_anchor,
            link_by_cloud,
            link_of_user,
            claimed,
            duplicate_guids,
            now,
        })
    }

    fn cloud_user(&self, id: &str) -> Option<&'a CloudUser> {
        let tenant: &'a TenantSnapshot = self.input.tenant;
        self.cloud_by_id
            .get(id)
            .and_then(|position| tenant.users.get(*position))
    }

    fn deleted_user(&self, id: &str) -> Option<&'a CloudUser> {
        let tenant: &'a TenantSnapshot = self.input.tenant;
        self.deleted_by_id
            .get(id)
            .and_then(|position| tenant.deleted_users.get(*position))
    }

    /// One AD user in scope.
    fn decide(&self, user_plan: &UserPlan) -> UserSync {
        let Some(user) = self.input.users.get(user_plan.user) else {
            return UserSync::empty(Action::NoChange);
        };
        let mut record = UserSync::empty(Action::NoChange);
        record.dn = Some(user.dn.clone());
        record.object_guid = user.object_guid;
        record.source_anchor = user_plan.anchor.as_ref().map(|a| a.value.clone());
        record.user_principal_name = user.user_principal_name.clone();
        // Without a usable objectGUID there is no link: a flagged user keeps the plan's reasons.
        let linkable = user
            .object_guid
            .is_some_and(|guid| !self.duplicate_guids.contains(&guid));
        if !linkable && user_plan.outcome.needs_attention() {
            return self.plan_error(record, user_plan);
        }
        let Some(guid) = user.object_guid else {
            let message = "The user has no objectGUID, so it cannot be linked to a cloud user: read \
                           objectGUID with the users (an export without it cannot be synchronised).";
            return fail(
                record,
                [error(ExportErrorCode::NoObjectGuid, message.to_owned())],
            );
        };
        if self.duplicate_guids.contains(&guid) {
            let message = format!(
                "Another AD user in the inventory has objectGUID `{guid}`: an inventory that repeats an \
                 object cannot be synchronised."
            );
            return fail(
                record,
                [error(ExportErrorCode::DuplicateObjectGuid, message)],
            );
        }
        let link = self
            .link_of_user
            .get(user_plan.user)
            .copied()
            .flatten()
            .and_then(|index| self.input.links.get(index));
        match link {
            Some(link) => self.linked(record, user, user_plan, link),
            None => self.unlinked(record, user, user_plan),
        }
    }

    /// A user with a link: the link decides.
    fn linked(
        &self,
        mut record: UserSync,
        user: &OnPremUser,
        user_plan: &UserPlan,
        link: &Link,
    ) -> UserSync {
        record.link = Some(link.clone());
        record.cloud_user_id = Some(link.cloud_user_id.clone());
        let Some(anchor) = &user_plan.anchor else {
            return self.plan_error(record, user_plan);
        };
        if anchor.value != link.source_anchor {
            let message = format!(
                "The sourceAnchor is now `{}` (from {}), but `{}` was exported as onPremisesImmutableId when \
                 the user was linked: a sourceAnchor never changes (Entra Connect: \"SourceAnchor attribute \
                 has changed\"). Put the anchor attribute back in AD; only if this is another person, remove \
                 the link so that the user is matched as new.",
                anchor.value, anchor.attribute, link.source_anchor
            );
            return fail(
                record,
                [error(ExportErrorCode::SourceAnchorChanged, message)],
            );
        }
        if Some(link.object_guid) != user.object_guid {
            record.new_link = Some(link.origin);
            record.notes.push(format!(
                "objectGUID changed from `{}` with the same sourceAnchor: the AD object was re-created (or \
                 restored from a backup), and the link follows the anchor.",
                link.object_guid
            ));
        }
        let desired = self.flow.desired(user);
        if let Some(cloud) = self.cloud_user(&link.cloud_user_id) {
            return self.existing(record, user, anchor, &desired, cloud, Reach::Linked);
        }
        if let Some(deleted) = self
            .deleted_user(&link.cloud_user_id)
            .filter(|deleted| restorable(deleted, self.now))
        {
            return self.existing(record, user, anchor, &desired, deleted, Reach::Restore);
        }
        record.notes.push(format!(
            "The linked cloud user `{}` no longer exists (neither in the tenant nor in its restorable deleted \
             users): the match engine decides again.",
            link.cloud_user_id
        ));
        record.cloud_user_id = None;
        self.unlinked(record, user, user_plan)
    }

    /// A user without a (living) link: the match engine decides.
    fn unlinked(&self, mut record: UserSync, user: &OnPremUser, user_plan: &UserPlan) -> UserSync {
        if user_plan.outcome.needs_attention() {
            return self.plan_error(record, user_plan);
        }
        let Some(anchor) = &user_plan.anchor else {
            return self.plan_error(record, user_plan);
        };
        let desired = self.flow.desired(user);
        // What the match engine says an administrator should read about this first export.
        record.warnings = warnings(self.plan, user_plan);
        if user_plan.outcome.is_match() {
            let Some(cloud) = user_plan.cloud_user.and_then(|c| self.plan.index.user(c)) else {
                return self.plan_error(record, user_plan);
            };
            if let Some(other) = self
                .link_by_cloud
                .get(cloud.id.as_str())
                .and_then(|index| self.input.links.get(*index))
                .filter(|other| Some(other.object_guid) != user.object_guid)
            {
                let message = format!(
                    "The match engine joins cloud user {}, but that cloud user is linked to the AD user with \
                     objectGUID `{}`: two AD users cannot share one cloud user.",
                    cloud_label(cloud),
                    other.object_guid
                );
                return fail(record, [error(ExportErrorCode::LinkedElsewhere, message)]);
            }
            record.cloud_user_id = Some(cloud.id.clone());
            record.new_link = Some(LinkOrigin::Joined {
                outcome: user_plan.outcome,
            });
            return self.existing(record, user, anchor, &desired, cloud, Reach::Join);
        }
        // create: unless a restorable deleted user carries this anchor (Entra restores it).
        let deleted: Vec<&CloudUser> = self
            .deleted_by_anchor
            .get(anchor.value.as_str())
            .map(|positions| {
                positions
                    .iter()
                    .filter_map(|p| self.input.tenant.deleted_users.get(*p))
                    .collect()
            })
            .unwrap_or_default();
        match deleted.as_slice() {
            [] => self.create(record, user, anchor, &desired),
            [deleted] => {
                record.cloud_user_id = Some(deleted.id.clone());
                record.new_link = Some(LinkOrigin::Restored);
                record.notes.push(format!(
                    "Deleted cloud user {} carries onPremisesImmutableId `{}`: it is restored instead of \
                     creating another, as Entra does for a returning sourceAnchor.",
                    cloud_label(deleted),
                    anchor.value
                ));
                self.existing(record, user, anchor, &desired, deleted, Reach::Restore)
            }
            several => {
                let mut ids: Vec<String> = several.iter().map(|d| format!("`{}`", d.id)).collect();
                ids.sort();
                let message = format!(
                    "Deleted cloud users {} all carry onPremisesImmutableId `{}`: anchorsync cannot tell \
                     which to restore. Restore one by hand (or purge the others).",
                    ids.join(", "),
                    anchor.value
                );
                fail(
                    record,
                    [error(ExportErrorCode::AmbiguousDeletedUsers, message)],
                )
            }
        }
    }

    /// An export error with the match engine's reasons.
    fn plan_error(&self, record: UserSync, user_plan: &UserPlan) -> UserSync {
        let mut export = error(
            ExportErrorCode::PlanOutcome,
            reasons(self.plan, user_plan).join(" "),
        );
        export.outcome = Some(user_plan.outcome);
        fail(record, [export])
    }

    /// A new cloud user with every desired value.
    fn create(
        &self,
        mut record: UserSync,
        user: &OnPremUser,
        anchor: &SourceAnchor,
        desired: &DesiredUser,
    ) -> UserSync {
        record.user_principal_name = desired_upn(desired).or(record.user_principal_name);
        let problems: Vec<ExportError> = desired.problems.iter().map(value_error).collect();
        if !problems.is_empty() {
            return fail(record, problems);
        }
        record.action = Action::Create;
        record.new_link = Some(LinkOrigin::Created);
        record.link_state = Some(LinkState::Active);
        record.changes = desired
            .values
            .iter()
            .filter(|value| !value.value.is_empty())
            .map(|value| PropertyChange {
                property: value.property,
                old: PropertyValue::Null,
                new: value.value.clone(),
            })
            .collect();
        record.changes.push(PropertyChange {
            property: Property::OnPremisesImmutableId,
            old: PropertyValue::Null,
            new: PropertyValue::Text(anchor.value.clone()),
        });
        record.changes.sort_by_key(|change| change.property);
        record.anchor_writeback = self.anchor_writeback(user, anchor, &record);
        record
    }

    /// A cloud user that exists (or is restored): only what differs is written.
    fn existing(
        &self,
        mut record: UserSync,
        user: &OnPremUser,
        anchor: &SourceAnchor,
        desired: &DesiredUser,
        cloud: &CloudUser,
        reach: Reach,
    ) -> UserSync {
        record.user_principal_name = desired_upn(desired)
            .or_else(|| cloud.user_principal_name.clone())
            .or(record.user_principal_name);
        let problems: Vec<ExportError> = desired
            .problems
            .iter()
            .filter(|problem| problem.managed == Managed::Always)
            .map(value_error)
            .collect();
        if !problems.is_empty() {
            return fail(record, problems);
        }
        let mut changes: Vec<PropertyChange> = desired
            .values
            .iter()
            .filter(|value| value.managed == Managed::Always)
            .filter(|value| !value.property.held_by(cloud, &value.value))
            .map(|value| PropertyChange {
                property: value.property,
                old: value.property.current(cloud),
                new: value.value.clone(),
            })
            .collect();
        let immutable_id = Property::OnPremisesImmutableId.current(cloud);
        let expected_id = PropertyValue::Text(anchor.value.clone());
        if immutable_id != expected_id {
            match reach {
                // Joining writes the anchor (after a soft match the cloud user has none).
                Reach::Join => {
                    changes.push(PropertyChange {
                        property: Property::OnPremisesImmutableId,
                        old: immutable_id,
                        new: expected_id,
                    });
                }
                // Never changed afterwards: reported.
                _ => record.differences.push(Difference {
                    property: Property::OnPremisesImmutableId.name().to_owned(),
                    cloud: immutable_id,
                    expected: expected_id,
                }),
            }
        }
        changes.sort_by_key(|change| change.property);
        if let Some(difference) = proxy_difference(user, cloud) {
            record.differences.push(difference);
        }
        let enabled = changes
            .iter()
            .find(|change| change.property == Property::AccountEnabled)
            .and_then(|change| change.new.as_bool());
        if let Some(error) = synced_by_another_client(cloud, &changes, false) {
            return fail(record, [error]);
        }
        record.action = match (reach, enabled) {
            (Reach::Join, _) => Action::Join,
            (Reach::Restore, _) => Action::Restore,
            (Reach::Linked, Some(false)) => Action::Disable,
            (Reach::Linked, Some(true)) => Action::Enable,
            (Reach::Linked, None) if changes.is_empty() => Action::NoChange,
            (Reach::Linked, None) => Action::Update,
        };
        record.changes = changes;
        record.link_state = Some(LinkState::Active);
        record.anchor_writeback = self.anchor_writeback(user, anchor, &record);
        record
    }

    /// The write of the anchor into an empty mS-DS-ConsistencyGuid, as Entra Connect does before the
    /// first export: only when the anchor came from objectGUID through that fallback, and the encoding
    /// keeps the value (Base64 of the same bytes).
    fn anchor_writeback(
        &self,
        user: &OnPremUser,
        anchor: &SourceAnchor,
        record: &UserSync,
    ) -> Option<RemediationStep> {
        let engine = self.input.engine;
        let applies = self.input.settings.anchor_writeback
            && engine.anchor_attribute == AnchorAttribute::ConsistencyGuid
            && engine.anchor_encoding != AnchorEncoding::Raw
            && anchor.fallback;
        let guid = user.object_guid.filter(|_| applies)?;
        Some(RemediationStep {
            system: StepSystem::Ad,
            target: user.dn.clone(),
            label: record
                .user_principal_name
                .clone()
                .unwrap_or_else(|| user.dn.clone()),
            attribute: CONSISTENCY_GUID.to_owned(),
            before: StepValue::Absent,
            after: StepValue::Bytes(guid.as_ad_bytes().to_vec()),
            purpose: StepPurpose::SetAnchor,
        })
    }

    /// Names another cloud user holds, or that two users of this run would both get: the users are
    /// export errors (Graph would refuse the write).
    fn refuse_taken_names(&self, users: &mut [UserSync]) {
        let written = |record: &UserSync, property: Property| -> Option<String> {
            if !record.action.writes_to_graph() {
                return None;
            }
            record
                .changes
                .iter()
                .find(|change| change.property == property)
                .and_then(|change| change.new.as_text().map(str::to_owned))
        };
        let mut by_upn: FxHashMap<String, Vec<usize>> = FxHashMap::default();
        for (slot, record) in users.iter().enumerate() {
            if let Some(upn) = written(record, Property::UserPrincipalName) {
                by_upn.entry(upn.to_lowercase()).or_default().push(slot);
            }
        }
        let mut failures: Vec<(usize, ExportError)> = Vec::new();
        for (slot, record) in users.iter().enumerate() {
            // A cloud user other than the one this record writes.
            let other = |position: Option<usize>| {
                position
                    .and_then(|position| self.plan.index.user(position))
                    .filter(|holder| Some(holder.id.as_str()) != record.cloud_user_id.as_deref())
            };
            if let Some(upn) = written(record, Property::UserPrincipalName) {
                if let Some(holder) = other(self.plan.index.by_user_principal_name(&upn)) {
                    failures.push((
                        slot,
                        error(
                            ExportErrorCode::UserPrincipalNameTaken,
                            format!(
                                "userPrincipalName `{upn}` belongs to cloud user {}: Microsoft Graph refuses \
                                 a second user with it.",
                                cloud_label(holder)
                            ),
                        )
                        .about(Property::UserPrincipalName),
                    ));
                }
                let others: Vec<String> = by_upn
                    .get(&upn.to_lowercase())
                    .into_iter()
                    .flatten()
                    .filter(|other| **other != slot)
                    .filter_map(|other| users.get(*other))
                    .map(|other| format!("`{}`", other.dn.as_deref().unwrap_or_default()))
                    .collect();
                if !others.is_empty() {
                    failures.push((
                        slot,
                        error(
                            ExportErrorCode::DuplicateUserPrincipalName,
                            format!(
                                "userPrincipalName `{upn}` would also be written for {}: only one user can \
                                 hold it.",
                                others.join(", ")
                            ),
                        )
                        .about(Property::UserPrincipalName),
                    ));
                }
            }
            if let Some(mail) = written(record, Property::Mail)
                && let Some(holder) = other(self.plan.index.by_proxy_address(&mail))
            {
                failures.push((
                        slot,
                        error(
                            ExportErrorCode::MailTaken,
                            format!(
                                "mail `{mail}` is a proxy address of cloud user {}: Microsoft Graph refuses it \
                                 (\"Another object with the same value for property proxyAddresses already \
                                 exists.\").",
                                cloud_label(holder)
                            ),
                        )
                        .about(Property::Mail),
                    ));
            }
        }
        let mut by_slot: FxHashMap<usize, Vec<ExportError>> = FxHashMap::default();
        for (slot, failure) in failures {
            by_slot.entry(slot).or_default().push(failure);
        }
        for (slot, errors) in by_slot {
            if let Some(record) = users.get_mut(slot) {
                let taken = std::mem::replace(record, UserSync::empty(Action::NoChange));
                *record = fail(taken, errors);
            }
        }
    }

    /// The links whose AD user is not in scope.
    fn leaving(&self) -> Vec<UserSync> {
        let policy = self.input.settings.leaving;
        self.input
            .links
            .iter()
            .zip(&self.claimed)
            .filter(|(_, claimed)| !**claimed)
            .map(|(link, _)| {
                let mut record = UserSync::empty(Action::NoChange);
                record.object_guid = Some(link.object_guid);
                record.source_anchor = Some(link.source_anchor.clone());
                record.cloud_user_id = Some(link.cloud_user_id.clone());
                record.leaving = true;
                record.link = Some(link.clone());
                record.link_state = Some(link.state);
                let left = "The AD user left the scope (deleted, or moved out of the base DNs or filter read)";
                if let Some(cloud) = self.cloud_user(&link.cloud_user_id) {
                    record.user_principal_name = cloud.user_principal_name.clone();
                    let writes = match policy {
                        LeavingPolicy::Delete => true,
                        LeavingPolicy::Disable => {
                            Property::AccountEnabled.current(cloud) != PropertyValue::Bool(false)
                        }
                        LeavingPolicy::Keep => false,
                    };
                    if let Some(error) = writes.then(|| synced_by_another_client(cloud, &[], true)).flatten() {
                        return fail(record, [error]);
                    }
                    match policy {
                        LeavingPolicy::Disable => {
                            record.link_state = Some(LinkState::Disabled);
                            let current = Property::AccountEnabled.current(cloud);
                            if current != PropertyValue::Bool(false) {
                                record.action = Action::Disable;
                                record.changes.push(PropertyChange {
                                    property: Property::AccountEnabled,
                                    old: current,
                                    new: PropertyValue::Bool(false),
                                });
                            }
                        }
                        LeavingPolicy::Delete => {
                            record.action = Action::Delete;
                            record.link_state = Some(LinkState::Deleted);
                        }
                        LeavingPolicy::Keep => {}
                    }
                    record.notes.push(format!("{left}: policy `{}`.", policy.as_str()));
                } else if let Some(deleted) = self.deleted_user(&link.cloud_user_id) {
                    record.user_principal_name = deleted.user_principal_name.clone();
                    record.link_state = Some(LinkState::Deleted);
                    record
                        .notes
                        .push(format!("{left}, and its cloud user is in deleted items."));
                } else {
                    record.action = Action::Forget;
                    record.link_state = None;
                    record.notes.push(format!(
                        "{left}, and its cloud user no longer exists: the link is removed."
                    ));
                }
                record
            })
            .collect()
    }
}

impl UserSync {
    /// A record with nothing filled in.
    fn empty(action: Action) -> Self {
        Self {
            dn: None,
            object_guid: None,
            source_anchor: None,
            cloud_user_id: None,
            user_principal_name: None,
            action,
            leaving: false,
            new_link: None,
            link_state: None,
            changes: Vec::new(),
            export_errors: Vec::new(),
            differences: Vec::new(),
            anchor_writeback: None,
            link: None,
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl ExportError {
    fn about(mut self, property: Property) -> Self {
        self.property = Some(property);
        self
    }
}

/// Graph refuses an app's writes to the on-premises-mastered properties of a user another client
/// synchronises (`onPremisesSyncEnabled`), and its deletion: only `usageLocation` stays writable
/// (<https://learn.microsoft.com/graph/api/user-update>). `leaving`: a delete or disable of a user
/// who left the scope is about to be written.
fn synced_by_another_client(
    cloud: &CloudUser,
    changes: &[PropertyChange],
    leaving: bool,
) -> Option<ExportError> {
    let mastered: Vec<&str> = changes
        .iter()
        .filter(|change| change.property != Property::UsageLocation)
        .map(|change| change.property.name())
        .collect();
    if !cloud.is_synced() || (!leaving && mastered.is_empty()) {
        return None;
    }
    let what = if leaving {
        "disable or delete it".to_owned()
    } else {
        format!("write {}", mastered.join(", "))
    };
    Some(error(
        ExportErrorCode::SyncedByAnotherClient,
        format!(
            "The cloud user {} is synchronised by another client (onPremisesSyncEnabled is true), so \
             Microsoft Graph refuses to {what}: turn that client's directory synchronization off first.",
            cloud_label(cloud)
        ),
    ))
}

fn error(code: ExportErrorCode, message: String) -> ExportError {
    ExportError {
        code,
        property: None,
        limit: None,
        outcome: None,
        message,
    }
}

/// The record as an export error: nothing is written, the link stays as it is.
fn fail(mut record: UserSync, errors: impl IntoIterator<Item = ExportError>) -> UserSync {
    record.action = Action::ExportError;
    record.export_errors.extend(errors);
    record.changes.clear();
    record.anchor_writeback = None;
    record.new_link = None;
    record.link_state = record.link.as_ref().map(|link| link.state);
    record
}

fn value_error(problem: &ValueError) -> ExportError {
    let code = match problem.problem {
        ValueProblem::Source(_) => ExportErrorCode::UnusableAttribute,
        ValueProblem::TooLong { .. } | ValueProblem::UpnPartTooLong { .. } => {
            ExportErrorCode::ValueTooLong
        }
        ValueProblem::Malformed { .. } | ValueProblem::NotBoolean { .. } => {
            ExportErrorCode::MalformedValue
        }
        ValueProblem::Missing(_) => ExportErrorCode::RequiredValueMissing,
    };
    ExportError {
        code,
        property: Some(problem.property),
        limit: problem.limit(),
        outcome: None,
        message: problem.message(),
    }
}

fn desired_upn(desired: &DesiredUser) -> Option<String> {
    desired
        .get(Property::UserPrincipalName)
        .and_then(|value| value.value.as_text())
        .map(str::to_owned)
}

fn cloud_label(cloud: &CloudUser) -> String {
    match cloud.user_principal_name.as_deref() {
        Some(upn) => format!("`{upn}` (id `{}`)", cloud.id),
        None => format!("id `{}`", cloud.id),
    }
}

/// Whether a deleted user can still be restored `now` (Graph lists only restorable ones; a snapshot
/// may be older).
fn restorable(deleted: &CloudUser, now: u64) -> bool {
    deleted
        .other
        .get("deletedDateTime")
        .and_then(|value| value.as_str())
        .and_then(graph_time_seconds)
        .is_none_or(|deleted_at| now < deleted_at + RESTORE_DAYS * 86_400)
}

/// proxyAddresses is read-only in Graph: the SMTP addresses that differ are reported.
fn proxy_difference(user: &OnPremUser, cloud: &CloudUser) -> Option<Difference> {
    let only_in_cloud: Vec<String> = cloud_only_proxy_addresses(user, cloud)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let cloud_smtp: Vec<&str> = cloud
        .proxy_addresses
        .iter()
        .filter_map(|address| smtp_address(address))
        .collect();
    let missing: Vec<String> = user
        .proxy_addresses
        .iter()
        .filter(|address| {
            smtp_address(address)
                .is_some_and(|smtp| !cloud_smtp.iter().any(|held| eq_folded(held, smtp)))
        })
        .cloned()
        .collect();
    (!only_in_cloud.is_empty() || !missing.is_empty()).then(|| Difference {
        property: "proxyAddresses".to_owned(),
        cloud: PropertyValue::List(only_in_cloud),
        expected: PropertyValue::List(missing),
    })
}
