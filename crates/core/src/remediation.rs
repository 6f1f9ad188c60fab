//! What a plan made with `--strategy` asks to change, step by step: the contract between `plan
//! --strategy` (which writes it) and `apply`, `undo` and `--emit` (which carry it out).
//!
//! A step names one attribute of one object in one system, the value it must hold before (checked as a
//! compare-and-set) and the value it gets. Values survive JSON: text is a string, a cleared value is
//! `null`, and bytes (a binary AD attribute such as mS-DS-ConsistencyGuid) are `{"base64": "..."}`.
//!
//! ```json
//! "remediation": {
//!   "strategy": "hard-cloud", "pairedBy": ["primarySmtp"], "fixable": true, "reason": null,
//!   "alternative": null, "outcomeAfter": "hard-match",
//!   "steps": [ { "system": "cloud", "target": "<cloud user id>", "label": "taro@example.com",
//!                "attribute": "onPremisesImmutableId", "before": null, "after": "iGhmiAEBERG7uxI0VniQqw==",
//!                "purpose": "set-immutable-id" } ] }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::Outcome;

/// How a plan pairs identities, and the three documented ways (docs/rules.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Write the cloud ImmutableID, decoded, into the AD anchor attribute: the first sync hard-matches.
    HardAd,
    /// Set the cloud onPremisesImmutableId to the AD sourceAnchor: the first sync hard-matches.
    HardCloud,
    /// Clear the cloud onPremisesImmutableId: the first sync soft-matches by SMTP address or UPN.
    Soft,
}

impl Strategy {
    /// The name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HardAd => "hard-ad",
            Self::HardCloud => "hard-cloud",
            Self::Soft => "soft",
        }
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which system a step writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepSystem {
    /// Active Directory; the step's target is a distinguishedName.
    Ad,
    /// The Microsoft 365 tenant (Graph); the step's target is a cloud user id.
    Cloud,
    /// The tenant's directory synchronisation settings (`tenant matching`); the step's target is the
    /// `onPremisesSynchronization` object id. Never in a plan file.
    Tenant,
}

impl StepSystem {
    /// Every system, for parsing.
    pub const ALL: [Self; 3] = [Self::Ad, Self::Cloud, Self::Tenant];

    /// The name in JSON and in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ad => "ad",
            Self::Cloud => "cloud",
            Self::Tenant => "tenant",
        }
    }

    /// The system named `name` (as [`StepSystem::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|system| system.as_str() == name)
    }
}

impl std::fmt::Display for StepSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a step exists; `apply` treats some purposes specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepPurpose {
    /// Set the AD anchor attribute (hard-ad).
    SetAnchor,
    /// Set the cloud onPremisesImmutableId (hard-cloud).
    SetImmutableId,
    /// Clear the cloud onPremisesImmutableId (soft).
    ClearImmutableId,
    /// Move a federated user's UPN to the initial domain so its ImmutableID may change.
    FederatedUpnAway,
    /// Move the UPN back: runs whenever the matching `federated-upn-away` step was done, even when a
    /// step between them failed.
    FederatedUpnBack,
    /// Switch one of the tenant's synchronisation features (`tenant matching`); never in a plan file.
    SetTenantFeature,
}

impl StepPurpose {
    /// Every purpose, for parsing.
    pub const ALL: [Self; 6] = [
        Self::SetAnchor,
        Self::SetImmutableId,
        Self::ClearImmutableId,
        Self::FederatedUpnAway,
        Self::FederatedUpnBack,
        Self::SetTenantFeature,
    ];

    /// The name in JSON and in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetAnchor => "set-anchor",
            Self::SetImmutableId => "set-immutable-id",
            Self::ClearImmutableId => "clear-immutable-id",
            Self::FederatedUpnAway => "federated-upn-away",
            Self::FederatedUpnBack => "federated-upn-back",
            Self::SetTenantFeature => "set-tenant-feature",
        }
    }

    /// The purpose named `name` (as [`StepPurpose::as_str`] writes it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|purpose| purpose.as_str() == name)
    }

    /// The purpose of the step that reverses this one (undo).
    pub fn reversed(self) -> Self {
        match self {
            Self::SetAnchor => Self::SetAnchor,
            Self::SetImmutableId | Self::ClearImmutableId => Self::SetImmutableId,
            Self::FederatedUpnAway => Self::FederatedUpnBack,
            Self::FederatedUpnBack => Self::FederatedUpnAway,
            Self::SetTenantFeature => Self::SetTenantFeature,
        }
    }

    /// Whether this step moves a federated user's UPN (away or back) around the change that needs it.
    pub fn is_upn_move(self) -> bool {
        matches!(self, Self::FederatedUpnAway | Self::FederatedUpnBack)
    }
}

impl std::fmt::Display for StepPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An attribute value before or after a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum StepValue {
    /// No value: the attribute is empty or cleared (JSON `null`).
    #[default]
    Absent,
    /// A text value (JSON string).
    Text(String),
    /// Raw bytes of a binary attribute (JSON `{"base64": "..."}`).
    Bytes(Vec<u8>),
}

impl StepValue {
    /// Whether this is [`StepValue::Absent`].
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// The value as an LDAP attribute holds it: bytes as they are, text as UTF-8, absent as `None`.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Self::Absent => None,
            Self::Text(text) => Some(text.as_bytes()),
            Self::Bytes(bytes) => Some(bytes),
        }
    }

    /// The value as Graph holds a string property: text as it is, absent as `None`, bytes as Base64.
    pub fn to_graph_text(&self) -> Option<String> {
        match self {
            Self::Absent => None,
            Self::Text(text) => Some(text.clone()),
            Self::Bytes(bytes) => Some(STANDARD.encode(bytes)),
        }
    }

    /// A short human form for tables and messages: `(empty)`, the text, or `0x…` hex for bytes.
    pub fn display(&self) -> String {
        match self {
            Self::Absent => "(empty)".to_owned(),
            Self::Text(text) => text.clone(),
            Self::Bytes(bytes) => {
                let mut hex = String::with_capacity(2 + bytes.len() * 2);
                hex.push_str("0x");
                for byte in bytes {
                    hex.push_str(&format!("{byte:02x}"));
                }
                hex
            }
        }
    }
}

impl Serialize for StepValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            Self::Absent => serializer.serialize_none(),
            Self::Text(text) => serializer.serialize_str(text),
            Self::Bytes(bytes) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("base64", &STANDARD.encode(bytes))?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for StepValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Text(String),
            Bytes { base64: String },
        }
        match Option::<Wire>::deserialize(deserializer)? {
            None => Ok(Self::Absent),
            Some(Wire::Text(text)) => Ok(Self::Text(text)),
            Some(Wire::Bytes { base64 }) => STANDARD
                .decode(base64.as_bytes())
                .map(Self::Bytes)
                .map_err(|error| {
                    serde::de::Error::custom(format!(
                        "`{base64}` is not canonical Base64 of a binary value: {error}"
                    ))
                }),
        }
    }
}

/// One attribute of one object going from `before` to `after`: the compare-and-set unit of every
/// operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The attribute, as the system names it.
    pub attribute: String,
    /// The value it must hold when the step runs.
    pub before: StepValue,
    /// The value it gets.
    pub after: StepValue,
}

impl Change {
    /// The change that undoes this one: from `after` back to `before`.
    pub fn reversed(&self) -> Self {
        Self {
            attribute: self.attribute.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
        }
    }
}

/// What one journaled step does to its object. Each operation has a compare part (what must hold
/// before it is sent), an effect that can be observed afterwards (so a step left `started` by a crash
/// is resolved by reading, never by sending again), and a reversal:
///
/// | operation | compare | observed as done when | reversed by |
/// |---|---|---|---|
/// | `Set` | the attribute is `before` | it is `after` | `Set` back |
/// | `Update` | every property is its `before` | every one is its `after` | `Update` back |
/// | `Create` | no object has the anchor | an object has the anchor | `Delete` of that object |
/// | `Delete` | the object holds `expected` | it is in deleted items | `Restore` |
/// | `Restore` | the object is in deleted items | it is active again | `Delete` |
///
/// `apply`, `undo` and `tenant matching` write `Set` only. `Update`, `Create`, `Delete` and
/// `Restore` are the writes of the sync (issue 14): the journal stores them and undo reverses them,
/// and a target that does not carry one out yet refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "kebab-case")]
pub enum Operation {
    /// One attribute, compare-and-set.
    Set(Change),
    /// Several properties of one object in one compare-and-set write (one `PATCH`).
    Update {
        /// The properties, each with its expected and new value.
        changes: Vec<Change>,
    },
    /// A new object. `anchor` finds it again: an answer lost after the request was sent is resolved
    /// by looking the anchor up before anything is retried, so one source object never becomes two.
    Create {
        /// The property that identifies the object (`onPremisesImmutableId`) and its value.
        anchor: Property,
        /// Every other property the object is created with (never a password: it is not journaled).
        properties: Vec<Property>,
    },
    /// Delete the object into deleted items (restorable), only if it still holds `expected`.
    Delete {
        /// The values that must hold (the anchor, at least), so a reused id is never deleted.
        expected: Vec<Property>,
    },
    /// Bring the object back from deleted items.
    Restore,
}

impl Operation {
    /// The name in the journal.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Set(_) => "set",
            Self::Update { .. } => "update",
            Self::Create { .. } => "create",
            Self::Delete { .. } => "delete",
            Self::Restore => "restore",
        }
    }

    /// The change of a `Set`.
    pub fn as_set(&self) -> Option<&Change> {
        match self {
            Self::Set(change) => Some(change),
            _ => None,
        }
    }
}

/// A property and its value (a created object's, or one a delete expects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Property {
    /// The property, as the system names it.
    pub attribute: String,
    /// Its value.
    pub value: StepValue,
}

/// One change to one attribute of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemediationStep {
    /// Where the change is made.
    pub system: StepSystem,
    /// The object: a distinguishedName in AD, a user id in the tenant.
    pub target: String,
    /// How a person recognises the object (a UPN or a name).
    pub label: String,
    /// The attribute, as the system names it (`mS-DS-ConsistencyGuid`, `onPremisesImmutableId`,
    /// `userPrincipalName`).
    pub attribute: String,
    /// The value the attribute must hold when the step runs (compare-and-set).
    pub before: StepValue,
    /// The value it gets.
    pub after: StepValue,
    /// Why the step exists.
    pub purpose: StepPurpose,
}

impl RemediationStep {
    /// The change the step makes.
    pub fn change(&self) -> Change {
        Change {
            attribute: self.attribute.clone(),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }

    /// The step that reverses this one (undo): `before` and `after` swapped.
    pub fn reversed(&self) -> Self {
        Self {
            system: self.system,
            target: self.target.clone(),
            label: self.label.clone(),
            attribute: self.attribute.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
            purpose: self.purpose.reversed(),
        }
    }
}

/// What a strategy does for one on-premises user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remediation {
    /// The plan's strategy.
    pub strategy: Strategy,
    /// Every pairing rule that found the paired cloud user (`mapping`, `sourceAnchor`, `primarySmtp`,
    /// `userPrincipalName`, `joinAttribute`); empty when none did.
    #[serde(default)]
    pub paired_by: Vec<String>,
    /// Whether the strategy can fix this user (false also when nothing needs doing).
    pub fixable: bool,
    /// Why not, or why nothing is to do: a sentence.
    #[serde(default)]
    pub reason: Option<String>,
    /// When not fixable: the strategy that would work.
    #[serde(default)]
    pub alternative: Option<Strategy>,
    /// The outcome predicted once the steps are done.
    #[serde(default)]
    pub outcome_after: Option<Outcome>,
    /// The changes, in the order they run.
    #[serde(default)]
    pub steps: Vec<RemediationStep>,
    /// When pairing rules disagree (or a mapping overrides them): what each rule found. Absent when
    /// they agree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairing_conflicts: Vec<PairingConflict>,
}

/// What one pairing rule found for a user whose rules disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PairingConflict {
    /// The rule (`mapping`, `sourceAnchor`, `primarySmtp`, `userPrincipalName`, `joinAttribute`), or
    /// `pairedTwice` for another on-premises user paired with the same cloud user.
    pub rule: String,
    /// The cloud user it found.
    pub cloud_user_id: String,
    /// That cloud user's userPrincipalName.
    #[serde(default)]
    pub user_principal_name: Option<String>,
    /// For `pairedTwice`: the other on-premises user's DN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_dn: Option<String>,
}

/// Where one side of a plan was read from, so `apply` can refuse a different directory or tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSource {
    /// `file`, `ldap` or `graph`.
    pub kind: String,
    /// The file path or server URL as given.
    pub location: String,
    /// AD: the base DNs read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub base_dns: Vec<String>,
    /// Cloud: the tenant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// Both sources of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSources {
    /// The on-premises side.
    pub ad: PlanSource,
    /// The cloud side.
    pub cloud: PlanSource,
}

/// What `apply` reads of a plan: its strategy, sources, and each user's remediation. Other fields of
/// the plan are ignored, so a plan written by a newer build with more fields still applies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemediationPlan {
    /// The plan format version (docs/plan-format.md).
    pub format_version: u32,
    /// The strategy the plan was made with; `None` for a plan without one (nothing to apply).
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Where the plan's sides were read from.
    #[serde(default)]
    pub sources: Option<PlanSources>,
    /// One entry per on-premises user.
    pub users: Vec<RemediationUser>,
}

/// One user of a [`RemediationPlan`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemediationUser {
    /// distinguishedName.
    pub dn: String,
    /// What the strategy does for this user.
    #[serde(default)]
    pub remediation: Option<Remediation>,
}

impl RemediationPlan {
    /// The users with steps to run, in plan order.
    pub fn fixable(&self) -> impl Iterator<Item = (&str, &Remediation)> {
        self.users.iter().filter_map(|user| {
            user.remediation
                .as_ref()
                .filter(|remediation| remediation.fixable && !remediation.steps.is_empty())
                .map(|remediation| (user.dn.as_str(), remediation))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_json() {
        for value in [
            StepValue::Absent,
            StepValue::Text("iGhmiAEBERG7uxI0VniQqw==".into()),
            StepValue::Bytes(vec![0x88, 0x68, 0x66, 0x88, 0, 0xff]),
        ] {
            let json = serde_json::to_string(&value).unwrap_or_default();
            let back: StepValue =
                serde_json::from_str(&json).unwrap_or(StepValue::Text("?".into()));
            assert_eq!(back, value, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&StepValue::Bytes(vec![1, 2, 3])).unwrap_or_default(),
            r#"{"base64":"AQID"}"#
        );
        assert!(serde_json::from_str::<StepValue>(r#"{"base64":"AQI"}"#).is_err());
    }

    #[test]
    fn a_plan_reads_with_unknown_fields_and_lists_fixable_users() {
        let json = r#"{"formatVersion": 1, "strategy": "hard-cloud", "summary": {}, "users": [
            {"dn": "CN=A", "outcome": "create", "remediation": {"strategy": "hard-cloud", "pairedBy": ["primarySmtp"],
             "fixable": true, "reason": null, "alternative": null, "outcomeAfter": "hard-match",
             "steps": [{"system": "cloud", "target": "id-1", "label": "a@example.com", "attribute": "onPremisesImmutableId",
                        "before": null, "after": "AQID", "purpose": "set-immutable-id"}]}},
            {"dn": "CN=B", "remediation": {"strategy": "hard-cloud", "fixable": false, "reason": "holds a directory role",
             "alternative": "hard-ad", "steps": []}},
            {"dn": "CN=C"}]}"#;
        let plan: RemediationPlan = serde_json::from_str(json).unwrap_or_else(|error| {
            panic!("{error}");
        });
        assert_eq!(plan.strategy, Some(Strategy::HardCloud));
        let fixable: Vec<_> = plan.fixable().map(|(dn, _)| dn).collect();
        assert_eq!(fixable, ["CN=A"]);
        let step = &plan.users[0]
            .remediation
            .as_ref()
            .map(|r| r.steps[0].clone());
        let reversed = step.as_ref().map(RemediationStep::reversed);
        assert_eq!(
            reversed.map(|step| (step.before, step.after)),
            Some((StepValue::Text("AQID".into()), StepValue::Absent))
        );
    }
}
