//! The sync plan as data (`anchorsync sync --format json`), documented in `docs/sync-format.md`.
//!
//! ```json
//! { "formatVersion": 1,
//!   "settings": { "anchorAttribute", "anchorEncoding", "leaving", "maxDeletions", "maxDeletionPercent",
//!                 "anchorWriteback", "usageLocationAttribute", "usageLocation", "attributes" },
//!   "counts": { "users", "create", "join", "update", "enable", "disable", "restore", "delete", "forget",
//!               "noChange", "exportError", "anchorWriteback", "differences", "links" },
//!   "guard": { "verdict", "deletions", "managed", "maxDeletions", "maxDeletionPercent", "allowance", "reason" },
//!   "users": [ { "dn", "objectGuid", "sourceAnchor", "cloudUserId", "userPrincipalName", "action",
//!                "leaving", "newLink", "linkState", "changes", "exportErrors", "differences",
//!                "anchorWriteback", "link", "notes", "warnings" } ] }
//! ```
//!
//! Field names are stable: new fields may be added (readers ignore the ones they do not know), and
//! `formatVersion` changes only when a field changes meaning or goes away. Users are sorted by DN, then
//! the users who left the scope by cloud userPrincipalName and id, so the same input gives the same
//! bytes. [`SyncPlan::rows`] flattens the plan to one row per property for CSV.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::engine::Outcome;
use crate::engine::record::{RecordArray, indented_field, record_line};
use crate::engine::source_anchor::AnchorEncoding;
use crate::identifier::ObjectGuid;
use crate::remediation::RemediationStep;

use super::guard::DeletionGuard;
use super::link::{Link, LinkOrigin, LinkState, LinkUpdate};
use super::property::{Property, PropertyValue};
use super::settings::LeavingPolicy;

/// The version of the sync plan format this build writes.
pub const SYNC_FORMAT_VERSION: u32 = 1;

/// What a sync does for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// `POST /users` with every desired property and onPremisesImmutableId (the executor adds a
    /// password).
    Create,
    /// First sync of a user the match engine matched: `PATCH` the changes (onPremisesImmutableId
    /// included after a soft match) and store the link.
    Join,
    /// `PATCH` the changed properties.
    Update,
    /// `PATCH` with `accountEnabled: true` (and any other changes).
    Enable,
    /// `PATCH` with `accountEnabled: false` (and any other changes): the AD account is disabled, or
    /// the user left the scope under `leaving = "disable"`.
    Disable,
    /// `POST /directory/deletedItems/{id}/restore`, then `PATCH` the changes.
    Restore,
    /// `DELETE /users/{id}`: the user left the scope under `leaving = "delete"`.
    Delete,
    /// Nothing in Graph: the linked cloud user no longer exists anywhere; the link is removed.
    Forget,
    /// Nothing to write.
    NoChange,
    /// Nothing is written for this user: the reason is in `exportErrors`.
    ExportError,
}

impl Action {
    /// Every action, in the order counts list them.
    pub const ALL: [Self; 10] = [
        Self::Create,
        Self::Join,
        Self::Update,
        Self::Enable,
        Self::Disable,
        Self::Restore,
        Self::Delete,
        Self::Forget,
        Self::NoChange,
        Self::ExportError,
    ];

    /// The name in plans.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Join => "join",
            Self::Update => "update",
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Restore => "restore",
            Self::Delete => "delete",
            Self::Forget => "forget",
            Self::NoChange => "no-change",
            Self::ExportError => "export-error",
        }
    }

    /// Whether the action writes to Microsoft Graph.
    pub fn writes_to_graph(self) -> bool {
        !matches!(self, Self::Forget | Self::NoChange | Self::ExportError)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One property a create, join, update, enable, disable or restore writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    /// The property.
    pub property: Property,
    /// The value in the cloud today (`null` for a create).
    pub old: PropertyValue,
    /// The value written.
    pub new: PropertyValue,
}

/// A difference the sync reports and does not write: `proxyAddresses` (read-only in Graph), or an
/// `onPremisesImmutableId` changed in the cloud after the link was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// The Graph property.
    pub property: String,
    /// For proxyAddresses: the cloud's SMTP addresses AD does not have (the tenant's own
    /// `*.onmicrosoft.com` ones left out); otherwise the cloud value.
    pub cloud: PropertyValue,
    /// For proxyAddresses: AD's SMTP addresses the cloud does not have; otherwise the expected value.
    pub expected: PropertyValue,
}

/// Why nothing is written for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportErrorCode {
    /// The match engine flags the user (`outcome` says how); the message is the plan's reasons.
    PlanOutcome,
    /// A value is longer than Graph accepts (`property`, `limit`).
    ValueTooLong,
    /// A value is not of the shape Graph accepts (`property`).
    MalformedValue,
    /// A required property has no value (`property`).
    RequiredValueMissing,
    /// The AD attribute a property comes from has several values, or is not text (`property`).
    UnusableAttribute,
    /// The sourceAnchor differs from the one exported (Entra Connect: "SourceAnchor attribute has
    /// changed").
    SourceAnchorChanged,
    /// The cloud user the match engine names is linked to another AD user.
    LinkedElsewhere,
    /// The userPrincipalName to write belongs to another cloud user.
    UserPrincipalNameTaken,
    /// Several AD users would get the same userPrincipalName in this run.
    DuplicateUserPrincipalName,
    /// The mail address to write is a proxy address of another cloud user.
    MailTaken,
    /// Two AD users share an objectGUID.
    DuplicateObjectGuid,
    /// The AD user has no objectGUID, so it cannot be linked.
    NoObjectGuid,
    /// Several deleted cloud users carry the user's sourceAnchor.
    AmbiguousDeletedUsers,
    /// The cloud user is synchronised by another client (`onPremisesSyncEnabled`): Graph refuses
    /// writes to its on-premises-mastered properties and its deletion.
    SyncedByAnotherClient,
}

/// One reason nothing is written for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportError {
    /// What kind of error.
    pub code: ExportErrorCode,
    /// The property it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<Property>,
    /// The limit a value breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// For `plan-outcome`: the outcome the match engine predicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Sentences naming the values that decided.
    pub message: String,
}

/// One user in a sync plan: an AD user in scope, or a linked user whose AD user left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSync {
    /// The AD user's DN (null for a user who left the scope).
    pub dn: Option<String>,
    /// The AD user's objectGUID.
    pub object_guid: Option<ObjectGuid>,
    /// The sourceAnchor (onPremisesImmutableId).
    pub source_anchor: Option<String>,
    /// The cloud user written (null for a create until it exists, and for users not linked or joined).
    pub cloud_user_id: Option<String>,
    /// The userPrincipalName the cloud user has after the sync (the desired one), or has today for a
    /// user who left the scope.
    pub user_principal_name: Option<String>,
    /// What the sync does.
    pub action: Action,
    /// Whether the AD user left the scope (the record comes from its link).
    #[serde(default)]
    pub leaving: bool,
    /// The link this action makes: `created`, `joined` (with the match engine's outcome), `restored`.
    #[serde(default)]
    pub new_link: Option<LinkOrigin>,
    /// The link's state after the action (null when the user has no link and gets none).
    #[serde(default)]
    pub link_state: Option<LinkState>,
    /// The properties written, in property order.
    #[serde(default)]
    pub changes: Vec<PropertyChange>,
    /// Why nothing is written (action `export-error`).
    #[serde(default)]
    pub export_errors: Vec<ExportError>,
    /// What differs and is not written.
    #[serde(default)]
    pub differences: Vec<Difference>,
    /// The AD write of the anchor into an empty mS-DS-ConsistencyGuid (compare-and-set).
    #[serde(default)]
    pub anchor_writeback: Option<RemediationStep>,
    /// The link as stored before the run.
    #[serde(default)]
    pub link: Option<Link>,
    /// Facts worth reading (a link that followed a re-created AD object, a vanished cloud user).
    #[serde(default)]
    pub notes: Vec<String>,
    /// For a user's first sync: the match engine's warnings (a sign-in name that changes, proxy
    /// addresses only the cloud has, a federated ImmutableID that is set...), as `plan` writes them.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl UserSync {
    /// What the store does with the link once this user's action has succeeded; `created_cloud_user_id`
    /// is the id `POST /users` returned (for a create).
    pub fn link_update(&self, created_cloud_user_id: Option<&str>) -> LinkUpdate {
        match self.action {
            Action::ExportError => return LinkUpdate::Unchanged,
            Action::Forget => {
                return self.link.as_ref().map_or(LinkUpdate::Unchanged, |link| {
                    LinkUpdate::Remove(link.object_guid)
                });
            }
            _ => {}
        }
        let state = self.link_state.unwrap_or_default();
        if let Some(origin) = self.new_link {
            let cloud = self.cloud_user_id.as_deref().or(created_cloud_user_id);
            return match (self.object_guid, cloud, &self.source_anchor) {
                (Some(object_guid), Some(cloud), Some(anchor)) => LinkUpdate::Store(Link {
                    object_guid,
                    cloud_user_id: cloud.to_owned(),
                    source_anchor: anchor.clone(),
                    origin,
                    state,
                }),
                _ => LinkUpdate::Unchanged,
            };
        }
        match &self.link {
            Some(link) if link.state != state => LinkUpdate::Store(Link {
                state,
                ..link.clone()
            }),
            _ => LinkUpdate::Unchanged,
        }
    }

    /// The JSON body of the `POST /users` (create) or `PATCH /users/{id}` this record writes, without
    /// the password (the executor adds `passwordProfile` to a create).
    pub fn graph_body(&self) -> serde_json::Value {
        super::property::graph_body(
            self.changes
                .iter()
                .map(|change| (change.property, &change.new)),
        )
    }

    /// Whether anything is written for this user (Graph, AD or the link store).
    pub fn is_pending(&self) -> bool {
        self.action.writes_to_graph()
            || self.action == Action::Forget
            || self.anchor_writeback.is_some()
    }
}

/// How many users got each action, and the rest of a run's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncCounts {
    /// Records in the plan.
    pub users: usize,
    /// Users created.
    pub create: usize,
    /// Users joined for the first time.
    pub join: usize,
    /// Users updated.
    pub update: usize,
    /// Users enabled.
    pub enable: usize,
    /// Users disabled (AD account disabled, or left the scope).
    pub disable: usize,
    /// Users restored from deleted items.
    pub restore: usize,
    /// Users deleted.
    pub delete: usize,
    /// Links removed.
    pub forget: usize,
    /// Users with nothing to write.
    pub no_change: usize,
    /// Users with export errors.
    pub export_error: usize,
    /// AD anchor writebacks.
    pub anchor_writeback: usize,
    /// Users with differences that are reported, not written.
    pub differences: usize,
    /// Links before the run.
    pub links: usize,
}

impl SyncCounts {
    /// The count of one action.
    pub fn get(&self, action: Action) -> usize {
        match action {
            Action::Create => self.create,
            Action::Join => self.join,
            Action::Update => self.update,
            Action::Enable => self.enable,
            Action::Disable => self.disable,
            Action::Restore => self.restore,
            Action::Delete => self.delete,
            Action::Forget => self.forget,
            Action::NoChange => self.no_change,
            Action::ExportError => self.export_error,
        }
    }

    fn slot(&mut self, action: Action) -> &mut usize {
        match action {
            Action::Create => &mut self.create,
            Action::Join => &mut self.join,
            Action::Update => &mut self.update,
            Action::Enable => &mut self.enable,
            Action::Disable => &mut self.disable,
            Action::Restore => &mut self.restore,
            Action::Delete => &mut self.delete,
            Action::Forget => &mut self.forget,
            Action::NoChange => &mut self.no_change,
            Action::ExportError => &mut self.export_error,
        }
    }

    /// Counts the records of a plan.
    pub fn of(users: &[UserSync], links: usize) -> Self {
        let mut counts = Self {
            users: users.len(),
            links,
            ..Self::default()
        };
        for user in users {
            *counts.slot(user.action) += 1;
            counts.anchor_writeback += usize::from(user.anchor_writeback.is_some());
            counts.differences += usize::from(!user.differences.is_empty());
        }
        counts
    }

    /// Writes to Graph, AD and the link store this run would make (zero when in sync).
    pub fn pending(&self) -> usize {
        Action::ALL
            .into_iter()
            .filter(|action| action.writes_to_graph() || *action == Action::Forget)
            .map(|action| self.get(action))
            .sum::<usize>()
            + self.anchor_writeback
    }
}

/// The settings a sync plan was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlanSettings {
    /// The anchor attribute.
    pub anchor_attribute: String,
    /// How its bytes become the anchor.
    pub anchor_encoding: AnchorEncoding,
    /// What happens to users who leave.
    pub leaving: LeavingPolicy,
    /// The deletion guard's count.
    pub max_deletions: usize,
    /// The deletion guard's percentage.
    pub max_deletion_percent: u32,
    /// Whether the anchor is written back to an empty mS-DS-ConsistencyGuid.
    pub anchor_writeback: bool,
    /// The AD attribute usageLocation comes from.
    pub usage_location_attribute: Option<String>,
    /// The default usageLocation.
    pub usage_location: Option<String>,
    /// The overrides as written (`false` for not managed).
    pub attributes: BTreeMap<String, String>,
}

/// A whole sync plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlan {
    /// [`SYNC_FORMAT_VERSION`].
    pub format_version: u32,
    /// The settings.
    pub settings: SyncPlanSettings,
    /// Totals.
    pub counts: SyncCounts,
    /// The deletion guard's verdict: when `refused`, nothing may be written.
    pub guard: DeletionGuard,
    /// One record per user, AD users by DN, then users who left by cloud userPrincipalName and id.
    pub users: Vec<UserSync>,
}

/// One row of the flat view: one property of one user (or one export error, or one action without
/// properties).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncRow {
    /// distinguishedName (empty for a user who left the scope).
    pub dn: String,
    /// objectGUID.
    pub object_guid: String,
    /// Cloud user id.
    pub cloud_user_id: String,
    /// userPrincipalName.
    pub user_principal_name: String,
    /// The user's action.
    pub action: Action,
    /// The property (empty when the row is about the user as a whole).
    pub property: String,
    /// The cloud value today.
    pub old: String,
    /// The value written (or expected, for a difference).
    pub new: String,
    /// `change`, `difference`, `export-error`, `anchor-writeback`, or `action`.
    pub kind: String,
    /// The export error's message, or a note.
    pub message: String,
}

impl SyncPlan {
    /// Whether the deletion guard refuses the run: nothing may be written.
    pub fn is_refused(&self) -> bool {
        self.guard.is_refused()
    }

    /// The exit status of `anchorsync sync`: 0 when there is nothing to write and no export error, 1
    /// when changes are pending, a user has an export error, or the guard refuses the run. (2, for an
    /// error that stops the command, is the command line's.)
    pub fn exit_status(&self) -> u8 {
        let clean = self.counts.pending() == 0 && self.counts.export_error == 0;
        if clean && !self.is_refused() { 0 } else { 1 }
    }

    /// The flat per-property view for CSV: rows in record order, each record's changes, then
    /// differences, the anchor writeback and export errors; a record with none of these has one row.
    pub fn rows(&self) -> Vec<SyncRow> {
        let mut rows = Vec::new();
        for user in &self.users {
            let row =
                |property: &str, old: String, new: String, kind: &str, message: String| SyncRow {
                    dn: user.dn.clone().unwrap_or_default(),
                    object_guid: user.object_guid.map(|g| g.to_string()).unwrap_or_default(),
                    cloud_user_id: user.cloud_user_id.clone().unwrap_or_default(),
                    user_principal_name: user.user_principal_name.clone().unwrap_or_default(),
                    action: user.action,
                    property: property.to_owned(),
                    old,
                    new,
                    kind: kind.to_owned(),
                    message,
                };
            let start = rows.len();
            for change in &user.changes {
                rows.push(row(
                    change.property.name(),
                    change.old.display(),
                    change.new.display(),
                    "change",
                    String::new(),
                ));
            }
            for difference in &user.differences {
                rows.push(row(
                    &difference.property,
                    difference.cloud.display(),
                    difference.expected.display(),
                    "difference",
                    String::new(),
                ));
            }
            if let Some(step) = &user.anchor_writeback {
                rows.push(row(
                    &step.attribute,
                    step.before.display(),
                    step.after.to_graph_text().unwrap_or_default(),
                    "anchor-writeback",
                    String::new(),
                ));
            }
            for error in &user.export_errors {
                rows.push(row(
                    error.property.map(Property::name).unwrap_or_default(),
                    String::new(),
                    String::new(),
                    "export-error",
                    error.message.clone(),
                ));
            }
            if rows.len() == start {
                rows.push(row(
                    "",
                    String::new(),
                    String::new(),
                    "action",
                    user.notes.join(" "),
                ));
            }
        }
        rows
    }

    /// The names of the row fields, in order (the CSV header).
    pub fn row_fields() -> &'static [&'static str] {
        &[
            "dn",
            "objectGuid",
            "cloudUserId",
            "userPrincipalName",
            "action",
            "property",
            "old",
            "new",
            "kind",
            "message",
        ]
    }

    /// Writes the plan as JSON: `settings`, `counts` and `guard` indented, every user one line of
    /// compact JSON (as `plan --format json` does), so a plan diffs line by line and greps by user.
    pub fn write_json<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        writeln!(out, "{{\n  \"formatVersion\": {},", self.format_version)?;
        indented_field(out, "settings", &self.settings)?;
        indented_field(out, "counts", &self.counts)?;
        indented_field(out, "guard", &self.guard)?;
        let mut lines = Vec::new();
        let mut users = RecordArray::open(out, "users")?;
        for user in &self.users {
            record_line(&mut lines, user);
        }
        users.write_lines(out, &lines)?;
        users.close(out)?;
        out.write_all(b"\n}\n")
    }
}
