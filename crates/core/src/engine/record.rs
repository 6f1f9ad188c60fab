//! The plan as JSON (`anchorsync plan --format json`), documented in `docs/plan-format.md`.
//!
//! ```json
//! { "formatVersion": 1,
//!   "settings": { "anchorAttribute", "anchorFallbackAttribute", "anchorEncoding", "smtpMatch", "tenant": {...} },
//!   "totals": { "onPremisesUsers", "cloudUsers", "needAttention", "cloudOnly" },
//!   "summary": { "hard-match": 0, "soft-match-smtp": 0, ... every outcome ... },
//!   "users": [ { "dn", "sourceAnchor", "outcome", "cloudUserId", "predictedUserPrincipalName",
//!                "conflictAttribute", "reasons", "warnings", "attributeChanges",
//!                "userPrincipalName", "anchorAttribute", "conflictingCloudUserIds" } ],
//!   "cloudOnly": [ { "id", "userPrincipalName", "onPremisesImmutableId", "onPremisesSyncEnabled",
//!                    "accountEnabled", "federated", "directoryRoles", "warnings" } ] }
//! ```
//!
//! Field names are stable: new fields may be added (readers must ignore the ones they do not know), and
//! `formatVersion` changes only when an existing field changes meaning or goes away. Users are sorted by
//! DN and cloud users by userPrincipalName, so the same input always gives the same bytes.
//!
//! [`PlanDocument`] is the owned form (to read a plan back); [`Plan::write_json`] writes the same bytes
//! from a plan in memory without building every record at once. The layout (one line per record) is in
//! [`PlanDocument::write_json`].

use std::io::{self, Write};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::changes::{AttributeChange, attribute_changes};
use super::explain::{cloud_only_warnings, reasons, warnings};
use super::plan::{Outcome, Plan, UserPlan};
use super::rules::{ConflictAttribute, SmtpMatchScope};
use super::source_anchor::AnchorEncoding;
use crate::remediation::{PlanSources, Remediation, Strategy};

/// The version of the plan format this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// One on-premises user in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    /// distinguishedName.
    pub dn: String,
    /// The sourceAnchor (null when it could not be read).
    pub source_anchor: Option<String>,
    /// What Entra will do.
    pub outcome: Outcome,
    /// The cloud user matched or refusing (null for create, and when several cloud users compete).
    pub cloud_user_id: Option<String>,
    /// The userPrincipalName the cloud user will carry (`####` for digits Entra picks).
    pub predicted_user_principal_name: Option<String>,
    /// For `create-with-conflict`: `UserPrincipalName`, `ProxyAddresses` or `OnPremiseSecurityIdentifier`.
    pub conflict_attribute: Option<ConflictAttribute>,
    /// Why: sentences naming the attributes and values that decided.
    pub reasons: Vec<String>,
    /// What to read even when the outcome is fine.
    pub warnings: Vec<String>,
    /// For hard and soft matches: the cloud values the first sync changes or removes.
    pub attribute_changes: Vec<AttributeChange>,
    /// The on-premises userPrincipalName.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// The attribute the sourceAnchor was read from.
    #[serde(default)]
    pub anchor_attribute: Option<String>,
    /// Cloud users that compete for this user: ambiguous candidates, holders of conflicting values.
    #[serde(default)]
    pub conflicting_cloud_user_ids: Vec<String>,
    /// With `--strategy`: the pair, the change and the outcome after it (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
}

/// [`UserRecord`] borrowing its text: the same fields, names and order, so it serialises to the same
/// bytes (a test holds the two together).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserRecordView<'p> {
    dn: &'p str,
    source_anchor: Option<&'p str>,
    outcome: Outcome,
    cloud_user_id: Option<&'p str>,
    predicted_user_principal_name: Option<&'p str>,
    conflict_attribute: Option<ConflictAttribute>,
    reasons: Vec<String>,
    warnings: Vec<String>,
    attribute_changes: Vec<AttributeChange>,
    user_principal_name: Option<&'p str>,
    anchor_attribute: Option<&'p str>,
    conflicting_cloud_user_ids: Vec<&'p str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remediation: Option<&'p Remediation>,
}

impl UserRecordView<'_> {
    fn into_owned(self) -> UserRecord {
        UserRecord {
            dn: self.dn.to_owned(),
            source_anchor: self.source_anchor.map(str::to_owned),
            outcome: self.outcome,
            cloud_user_id: self.cloud_user_id.map(str::to_owned),
            predicted_user_principal_name: self.predicted_user_principal_name.map(str::to_owned),
            conflict_attribute: self.conflict_attribute,
            reasons: self.reasons,
            warnings: self.warnings,
            attribute_changes: self.attribute_changes,
            user_principal_name: self.user_principal_name.map(str::to_owned),
            anchor_attribute: self.anchor_attribute.map(str::to_owned),
            conflicting_cloud_user_ids: self
                .conflicting_cloud_user_ids
                .into_iter()
                .map(str::to_owned)
                .collect(),
            remediation: self.remediation.cloned(),
        }
    }
}

/// A cloud user no on-premises user reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudOnlyRecord {
    /// Object id.
    pub id: String,
    /// userPrincipalName.
    pub user_principal_name: Option<String>,
    /// onPremisesImmutableId: when set, federated sign-in depends on it.
    pub on_premises_immutable_id: Option<String>,
    /// onPremisesSyncEnabled.
    pub on_premises_sync_enabled: Option<bool>,
    /// accountEnabled.
    pub account_enabled: Option<bool>,
    /// Whether its userPrincipalName is in a federated domain.
    pub federated: bool,
    /// The directory roles it holds (names of built-in roles, ids otherwise).
    pub directory_roles: Vec<String>,
    /// What to read about it.
    pub warnings: Vec<String>,
}

/// How many users got each outcome: every outcome, in vocabulary order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// hard-match.
    #[serde(rename = "hard-match")]
    pub hard_match: usize,
    /// soft-match-smtp.
    #[serde(rename = "soft-match-smtp")]
    pub soft_match_smtp: usize,
    /// soft-match-upn.
    #[serde(rename = "soft-match-upn")]
    pub soft_match_upn: usize,
    /// create.
    #[serde(rename = "create")]
    pub create: usize,
    /// create-with-conflict.
    #[serde(rename = "create-with-conflict")]
    pub create_with_conflict: usize,
    /// invalid-soft-match.
    #[serde(rename = "invalid-soft-match")]
    pub invalid_soft_match: usize,
    /// admin-role-conflict.
    #[serde(rename = "admin-role-conflict")]
    pub admin_role_conflict: usize,
    /// hard-match-blocked.
    #[serde(rename = "hard-match-blocked")]
    pub hard_match_blocked: usize,
    /// ambiguous.
    #[serde(rename = "ambiguous")]
    pub ambiguous: usize,
    /// invalid-anchor.
    #[serde(rename = "invalid-anchor")]
    pub invalid_anchor: usize,
    /// duplicate-anchor.
    #[serde(rename = "duplicate-anchor")]
    pub duplicate_anchor: usize,
}

impl Summary {
    /// The count of one outcome.
    pub fn get(&self, outcome: Outcome) -> usize {
        match outcome {
            Outcome::HardMatch => self.hard_match,
            Outcome::SoftMatchSmtp => self.soft_match_smtp,
            Outcome::SoftMatchUpn => self.soft_match_upn,
            Outcome::Create => self.create,
            Outcome::CreateWithConflict => self.create_with_conflict,
            Outcome::InvalidSoftMatch => self.invalid_soft_match,
            Outcome::AdminRoleConflict => self.admin_role_conflict,
            Outcome::HardMatchBlocked => self.hard_match_blocked,
            Outcome::Ambiguous => self.ambiguous,
            Outcome::InvalidAnchor => self.invalid_anchor,
            Outcome::DuplicateAnchor => self.duplicate_anchor,
        }
    }

    /// A mutable count.
    pub fn slot(&mut self, outcome: Outcome) -> &mut usize {
        match outcome {
            Outcome::HardMatch => &mut self.hard_match,
            Outcome::SoftMatchSmtp => &mut self.soft_match_smtp,
            Outcome::SoftMatchUpn => &mut self.soft_match_upn,
            Outcome::Create => &mut self.create,
            Outcome::CreateWithConflict => &mut self.create_with_conflict,
            Outcome::InvalidSoftMatch => &mut self.invalid_soft_match,
            Outcome::AdminRoleConflict => &mut self.admin_role_conflict,
            Outcome::HardMatchBlocked => &mut self.hard_match_blocked,
            Outcome::Ambiguous => &mut self.ambiguous,
            Outcome::InvalidAnchor => &mut self.invalid_anchor,
            Outcome::DuplicateAnchor => &mut self.duplicate_anchor,
        }
    }

    /// The outcomes that occur, with their counts, in vocabulary order: `63 hard-match, 31
    /// soft-match-smtp` (empty when there are none).
    pub fn describe(&self) -> String {
        Outcome::ALL
            .iter()
            .map(|outcome| (outcome, self.get(*outcome)))
            .filter(|(_, count)| *count > 0)
            .map(|(outcome, count)| format!("{count} {outcome}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Counts outcomes.
    pub fn of(outcomes: impl IntoIterator<Item = Outcome>) -> Self {
        let mut summary = Self::default();
        for outcome in outcomes {
            *summary.slot(outcome) += 1;
        }
        summary
    }
}

/// The tenant's matching switches as the plan read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantSettings {
    /// The initial `*.onmicrosoft.com` domain.
    pub initial_domain: Option<String>,
    /// The federated domains.
    pub federated_domains: Vec<String>,
    /// blockSoftMatchEnabled (false when unset).
    pub block_soft_match_enabled: bool,
    /// blockCloudObjectTakeoverThroughHardMatchEnabled (false when unset).
    pub block_cloud_object_takeover_through_hard_match_enabled: bool,
    /// softMatchOnUpnEnabled (true when unset).
    pub soft_match_on_upn_enabled: bool,
}

/// The settings a plan was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSettings {
    /// The anchor attribute.
    pub anchor_attribute: String,
    /// The attribute read when the anchor attribute is empty.
    pub anchor_fallback_attribute: Option<String>,
    /// The anchor encoding.
    pub anchor_encoding: AnchorEncoding,
    /// Which cloud proxy addresses SMTP soft matching compares with.
    pub smtp_match: SmtpMatchScope,
    /// The tenant's switches.
    pub tenant: TenantSettings,
}

/// Totals for a report's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// On-premises users planned.
    pub on_premises_users: usize,
    /// Cloud users in the snapshot.
    pub cloud_users: usize,
    /// Users whose outcome needs attention.
    pub need_attention: usize,
    /// Cloud users no on-premises user reaches.
    pub cloud_only: usize,
}

/// A whole plan, owned: what `plan --format json` writes, read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDocument {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// With `--strategy`: the strategy (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// With `--strategy`: where the sides were read from (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<PlanSources>,
    /// The settings.
    pub settings: PlanSettings,
    /// Totals.
    pub totals: Totals,
    /// Counts per outcome.
    pub summary: Summary,
    /// One record per on-premises user, sorted by DN.
    pub users: Vec<UserRecord>,
    /// Cloud users no on-premises user reaches.
    pub cloud_only: Vec<CloudOnlyRecord>,
}

impl<'a> Plan<'a> {
    /// The JSON record of one user.
    pub fn user_record(&self, user_plan: &UserPlan) -> UserRecord {
        self.user_record_view(user_plan).into_owned()
    }

    /// The JSON record of one user, borrowing what the inputs and the plan already hold: `write_json`
    /// serialises a million of these without copying every DN, anchor and id first.
    fn user_record_view<'p>(&'p self, user_plan: &'p UserPlan) -> UserRecordView<'p> {
        let user = self.on_prem.get(user_plan.user);
        let cloud_id = |position: usize| self.index.user(position).map(|cloud| cloud.id.as_str());
        let changes = match (user, user_plan.cloud_user) {
            (Some(user), Some(cloud)) if user_plan.outcome.is_match() => self
                .index
                .user(cloud)
                .map(|cloud| attribute_changes(user, cloud, user_plan.predicted_upn(user)))
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        UserRecordView {
            dn: user.map(|user| user.dn.as_str()).unwrap_or_default(),
            source_anchor: user_plan
                .anchor
                .as_ref()
                .map(|anchor| anchor.value.as_str()),
            outcome: user_plan.outcome,
            cloud_user_id: user_plan.cloud_user.and_then(cloud_id),
            predicted_user_principal_name: user.and_then(|user| user_plan.predicted_upn(user)),
            conflict_attribute: user_plan.conflict_attribute,
            reasons: reasons(self, user_plan),
            warnings: warnings(self, user_plan),
            attribute_changes: changes,
            user_principal_name: user.and_then(|user| user.user_principal_name.as_deref()),
            anchor_attribute: user_plan
                .anchor
                .as_ref()
                .map(|anchor| anchor.attribute.as_ref()),
            conflicting_cloud_user_ids: user_plan
                .conflicting_cloud_users()
                .into_iter()
                .filter_map(cloud_id)
                .collect(),
            remediation: self.remediation_of(user_plan),
        }
    }

    /// The JSON record of a cloud user nobody reaches.
    pub fn cloud_only_record(&self, position: usize) -> Option<CloudOnlyRecord> {
        let cloud = self.index.user(position)?;
        Some(CloudOnlyRecord {
            id: cloud.id.clone(),
            user_principal_name: cloud.user_principal_name.clone(),
            on_premises_immutable_id: cloud.on_premises_immutable_id.clone(),
            on_premises_sync_enabled: cloud.on_premises_sync_enabled,
            account_enabled: cloud.account_enabled,
            federated: cloud
                .user_principal_name
                .as_deref()
                .and_then(|upn| self.tenant.domain_of(upn))
                .is_some_and(|domain| domain.is_federated()),
            directory_roles: self
                .index
                .roles_of(position)
                .into_iter()
                .map(|role| super::explain::role_name(role).to_owned())
                .collect(),
            warnings: cloud_only_warnings(self, cloud),
        })
    }

    /// Counts per outcome.
    pub fn summary(&self) -> Summary {
        Summary::of(self.users.iter().map(|user| user.outcome))
    }

    /// Totals.
    pub fn totals(&self) -> Totals {
        Totals {
            on_premises_users: self.users.len(),
            cloud_users: self.tenant.users.len(),
            need_attention: self
                .users
                .iter()
                .filter(|user| user.outcome.needs_attention())
                .count(),
            cloud_only: self.cloud_only.len(),
        }
    }

    /// The settings as a plan reports them.
    pub fn plan_settings(&self) -> PlanSettings {
        let mut federated_domains: Vec<String> = self
            .tenant
            .domains
            .iter()
            .filter(|domain| domain.is_federated())
            .map(|domain| domain.id.clone())
            .collect();
        federated_domains.sort();
        PlanSettings {
            anchor_attribute: self.settings.anchor_attribute.name().to_owned(),
            anchor_fallback_attribute: self.settings.anchor_attribute.fallback().map(str::to_owned),
            anchor_encoding: self.settings.anchor_encoding,
            smtp_match: self.settings.smtp_match,
            tenant: TenantSettings {
                initial_domain: self.tenant.initial_domain().map(|domain| domain.id.clone()),
                federated_domains,
                block_soft_match_enabled: self.features.block_soft_match(),
                block_cloud_object_takeover_through_hard_match_enabled: self
                    .features
                    .block_hard_match_takeover(),
                soft_match_on_upn_enabled: self.features.soft_match_on_upn(),
            },
        }
    }

    /// The whole plan, owned (builds every record: for small plans and tests).
    pub fn document(&self) -> PlanDocument {
        PlanDocument {
            format_version: FORMAT_VERSION,
            strategy: self.remediation.as_ref().map(|r| r.strategy),
            sources: self
                .remediation
                .as_ref()
                .and_then(|remediation| remediation.sources.clone()),
            settings: self.plan_settings(),
            totals: self.totals(),
            summary: self.summary(),
            users: self
                .users
                .iter()
                .map(|user| self.user_record(user))
                .collect(),
            cloud_only: self
                .cloud_only
                .iter()
                .filter_map(|position| self.cloud_only_record(*position))
                .collect(),
        }
    }

    /// Writes the plan as JSON in its documented layout (see [`PlanDocument::write_json`]). Records are
    /// rendered on every core, a batch at a time, while the previous batch is being written: memory
    /// stays bounded whatever the number of users.
    pub fn write_json<W: Write + Send + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        let header = Header {
            strategy: self.remediation.as_ref().map(|r| r.strategy),
            sources: self
                .remediation
                .as_ref()
                .and_then(|remediation| remediation.sources.clone()),
            settings: self.plan_settings(),
            totals: self.totals(),
            summary: self.summary(),
        };
        write_header(out, &header)?;
        let mut users = RecordArray::open(out, "users")?;
        pipelined(out, &mut users, &self.users, |lines, user| {
            record_line(lines, &self.user_record_view(user));
        })?;
        users.close(out)?;
        out.write_all(b",\n")?;
        let mut cloud_only = RecordArray::open(out, "cloudOnly")?;
        pipelined(out, &mut cloud_only, &self.cloud_only, |lines, position| {
            if let Some(record) = self.cloud_only_record(*position) {
                record_line(lines, &record);
            }
        })?;
        cloud_only.close(out)?;
        out.write_all(b"\n}\n")
    }

    /// The names of the JSON fields of a user record, in order (for tabular formats).
    pub fn user_fields() -> &'static [&'static str] {
        USER_FIELDS
    }
}

impl PlanDocument {
    /// Writes the document as JSON: its fields one per line, `settings`, `totals` and `summary` indented,
    /// and every user and cloud-only record as one line of compact JSON, so that a plan diffs line by
    /// line and greps by user. [`Plan::write_json`] writes the same bytes for the same plan.
    ///
    /// ```text
    /// {
    ///   "formatVersion": 1,
    ///   "settings": { ... },
    ///   "totals": { ... },
    ///   "summary": { ... },
    ///   "users": [
    ///     {"dn":"CN=...","sourceAnchor":"...","outcome":"hard-match",...},
    ///     ...
    ///   ],
    ///   "cloudOnly": [
    ///     {"id":"...","userPrincipalName":"...",...}
    ///   ]
    /// }
    /// ```
    pub fn write_json<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        let header = Header {
            strategy: self.strategy,
            sources: self.sources.clone(),
            settings: self.settings.clone(),
            totals: self.totals,
            summary: self.summary,
        };
        write_header(out, &header)?;
        let mut lines = Vec::new();
        let mut users = RecordArray::open(out, "users")?;
        for record in &self.users {
            record_line(&mut lines, record);
        }
        users.write_lines(out, &lines)?;
        users.close(out)?;
        out.write_all(b",\n")?;
        lines.clear();
        let mut cloud_only = RecordArray::open(out, "cloudOnly")?;
        for record in &self.cloud_only {
            record_line(&mut lines, record);
        }
        cloud_only.write_lines(out, &lines)?;
        cloud_only.close(out)?;
        out.write_all(b"\n}\n")
    }
}

struct Header {
    strategy: Option<Strategy>,
    sources: Option<PlanSources>,
    settings: PlanSettings,
    totals: Totals,
    summary: Summary,
}

/// The separator every record line starts with; the array's first record drops its comma.
const RECORD_SEPARATOR: &[u8] = b",\n    ";

/// One record as a line of compact JSON, after its separator (so a batch of lines is written as it is,
/// never split again). Records hold only strings, numbers and booleans, so serialising them into
/// memory cannot fail; if it ever did, the line is left out rather than broken.
pub(crate) fn record_line<T: Serialize>(lines: &mut Vec<u8>, record: &T) {
    let start = lines.len();
    lines.extend_from_slice(RECORD_SEPARATOR);
    if serde_json::to_writer(&mut *lines, record).is_err() {
        lines.truncate(start);
    }
}

fn write_header<W: Write + ?Sized>(out: &mut W, header: &Header) -> io::Result<()> {
    writeln!(out, "{{\n  \"formatVersion\": {FORMAT_VERSION},")?;
    if let Some(strategy) = header.strategy {
        writeln!(out, "  \"strategy\": \"{strategy}\",")?;
    }
    if let Some(sources) = &header.sources {
        indented_field(out, "sources", sources)?;
    }
    indented_field(out, "settings", &header.settings)?;
    indented_field(out, "totals", &header.totals)?;
    indented_field(out, "summary", &header.summary)
}

pub(crate) fn indented_field<W: Write + ?Sized, T: Serialize>(
    out: &mut W,
    name: &str,
    value: &T,
) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    write!(out, "  \"{name}\": ")?;
    for (number, line) in text.lines().enumerate() {
        if number > 0 {
            out.write_all(b"\n  ")?;
        }
        out.write_all(line.as_bytes())?;
    }
    out.write_all(b",\n")
}

/// A JSON array of one-line records, written a batch of lines at a time.
pub(crate) struct RecordArray {
    empty: bool,
}

impl RecordArray {
    pub(crate) fn open<W: Write + ?Sized>(out: &mut W, name: &str) -> io::Result<Self> {
        write!(out, "  \"{name}\": [")?;
        Ok(Self { empty: true })
    }

    /// Writes record lines made by [`record_line`], in one write.
    pub(crate) fn write_lines<W: Write + ?Sized>(
        &mut self,
        out: &mut W,
        lines: &[u8],
    ) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let lines = if std::mem::take(&mut self.empty) {
            // The first record of the array: its line opens without a comma.
            lines.get(1..).unwrap_or_default()
        } else {
            lines
        };
        out.write_all(lines)
    }

    pub(crate) fn close<W: Write + ?Sized>(self, out: &mut W) -> io::Result<()> {
        out.write_all(if self.empty { b"]" } else { b"\n  ]" })
    }
}

/// Renders `items` into record lines on every core, a batch at a time, writing each batch while the
/// next is rendered.
fn pipelined<W, T, F>(
    out: &mut W,
    array: &mut RecordArray,
    items: &[T],
    render: F,
) -> io::Result<()>
where
    W: Write + Send + ?Sized,
    T: Sync,
    F: Fn(&mut Vec<u8>, &T) + Sync,
{
    const CHUNK: usize = 2048;
    let batch_size = CHUNK * rayon::current_num_threads().max(1) * 2;
    let render_batch = |batch: &[T]| -> Vec<Vec<u8>> {
        batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut lines = Vec::with_capacity(chunk.len() * 1024);
                for item in chunk {
                    render(&mut lines, item);
                }
                lines
            })
            .collect()
    };
    let mut batches = items.chunks(batch_size);
    let mut pending = batches.next().map(render_batch);
    while let Some(ready) = pending.take() {
        let next = batches.next();
        let (written, rendered) = rayon::join(
            || -> io::Result<()> {
                for lines in &ready {
                    array.write_lines(out, lines)?;
                }
                Ok(())
            },
            || next.map(render_batch),
        );
        written?;
        pending = rendered;
    }
    Ok(())
}

const USER_FIELDS: &[&str] = &[
    "dn",
    "sourceAnchor",
    "outcome",
    "cloudUserId",
    "predictedUserPrincipalName",
    "conflictAttribute",
    "reasons",
    "warnings",
    "attributeChanges",
    "userPrincipalName",
    "anchorAttribute",
    "conflictingCloudUserIds",
    "remediation",
];
