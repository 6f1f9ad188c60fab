//! `tenant matching`: the steps that switch the tenant's matching blocks, one `set` per switch that
//! is not already as asked (system `tenant`, purpose `set-tenant-feature`), undoable like any run.

use anchorsync_core::remediation::{Change, StepPurpose, StepSystem, StepValue};
use anchorsync_core::tenant::OnPremisesSynchronization;
use anchorsync_store::Step;
use serde_json::Value;

use crate::targets::tenant::features;

/// One step per `(feature, on)` whose current value differs.
pub fn matching_steps(sync: &OnPremisesSynchronization, wanted: &[(&str, bool)]) -> Vec<Step> {
    let features = features(sync);
    wanted
        .iter()
        .filter(|(name, on)| features.get(*name).and_then(Value::as_bool) != Some(*on))
        .map(|(name, on)| {
            Step::set(
                None,
                StepSystem::Tenant,
                sync.id.clone(),
                Some(format!("tenant {}", sync.id)),
                StepPurpose::SetTenantFeature,
                Change {
                    attribute: (*name).to_owned(),
                    before: StepValue::Text((!on).to_string()),
                    after: StepValue::Text(on.to_string()),
                },
            )
        })
        .collect()
}
