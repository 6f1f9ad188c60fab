//! The tenant's directory synchronisation settings as a [`Target`] (`tenant matching`): each step
//! switches one boolean of `onPremisesSynchronization.features`, read, compared and written with
//! one `PATCH` of that feature alone.

use anchorsync_core::remediation::StepValue;
use anchorsync_core::tenant::OnPremisesSynchronization;
use anchorsync_graph::GraphClient;
use anchorsync_store::Step;
use serde_json::{Map, Value, json};

use crate::chain;
use crate::target::{Observed, Target, TargetError, Written};
use crate::targets::graph::{compare, graph_error, graph_holds, unsupported};

/// The feature that blocks soft matching for every user.
pub const BLOCK_SOFT_MATCH: &str = "blockSoftMatchEnabled";
/// The feature that blocks a hard match from taking over a cloud-managed user.
pub const BLOCK_HARD_MATCH: &str = "blockCloudObjectTakeoverThroughHardMatchEnabled";
/// The feature that lets soft matching use the userPrincipalName.
pub const SOFT_MATCH_ON_UPN: &str = "softMatchOnUpnEnabled";

/// The switches that decide matching, with what each means when on.
pub const MATCHING: [(&str, &str); 3] = [
    (
        BLOCK_SOFT_MATCH,
        "on: no soft match by SMTP address or UPN for any user",
    ),
    (
        BLOCK_HARD_MATCH,
        "on: a hard match may not take over a cloud-managed user",
    ),
    (
        SOFT_MATCH_ON_UPN,
        "on: soft matching may also use the userPrincipalName",
    ),
];

/// Every boolean feature as `name → on/off`, Graph's documented defaults for the matching ones when
/// unset.
pub fn features(sync: &OnPremisesSynchronization) -> Map<String, Value> {
    let mut features = match serde_json::to_value(&sync.features) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    features.retain(|_, value| value.is_boolean());
    for (name, _) in MATCHING {
        features
            .entry(name.to_owned())
            .or_insert(Value::Bool(feature_default(name)));
    }
    features
}

/// Graph's documented defaults of the matching switches.
fn feature_default(feature: &str) -> bool {
    feature == SOFT_MATCH_ON_UPN
}

/// Reads the tenant's synchronisation settings.
pub async fn read_sync_settings(
    client: &GraphClient,
) -> Result<OnPremisesSynchronization, TargetError> {
    client
        .on_premises_synchronization()
        .await
        .map_err(|error| {
            graph_error(
                error,
                "cannot read the tenant's onPremisesSynchronization settings".to_owned(),
            )
        })?
        .ok_or_else(|| TargetError::Refused {
            reason: "the tenant has no onPremisesSynchronization settings".to_owned(),
        })
}

/// The tenant's synchronisation settings.
#[derive(Clone)]
pub struct TenantSettingsTarget {
    client: GraphClient,
}

impl TenantSettingsTarget {
    /// Writes through `client`.
    pub fn new(client: GraphClient) -> Self {
        Self { client }
    }
}

impl std::fmt::Debug for TenantSettingsTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantSettingsTarget")
            .field("graph_url", &self.client.settings().graph_url)
            .finish()
    }
}

impl Target for TenantSettingsTarget {
    async fn read(&self, step: &Step) -> Result<Observed, TargetError> {
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let sync = read_sync_settings(&self.client).await?;
        let enabled = features(&sync)
            .get(&change.attribute)
            .and_then(Value::as_bool)
            .unwrap_or_else(|| feature_default(&change.attribute));
        Ok(Observed::One(StepValue::Text(enabled.to_string())))
    }

    async fn write(&self, step: &Step) -> Result<Written, TargetError> {
        let replaced = compare(self, step).await?;
        let change = step.change().ok_or_else(|| unsupported(step))?;
        let enabled = change.after.to_graph_text().as_deref() == Some("true");
        match self
            .client
            .update_on_premises_synchronization(
                &step.target,
                &json!({ "features": { change.attribute.clone(): enabled } }),
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
                what: format!("switching `{}` of the tenant", change.attribute),
                source: Box::new(error.into()),
            }),
        }
    }

    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        graph_holds(step.attribute(), observed, expected)
    }
}
