//! What every strategy reads: the pair it works on, the plan's inputs indexed once ([`Context`]), and the
//! refusal it gives when it cannot make its change ([`Refusal`]).

use rustc_hash::FxHashMap;

use crate::directory::OnPremUser;
use crate::remediation::{StepValue, Strategy};
use crate::tenant::CloudUser;

use super::super::explain::role_list;
use super::super::index::non_empty;
use super::super::plan::{Outcome, Plan, UserPlan};

/// The Graph property a hard-cloud or soft step writes.
pub const IMMUTABLE_ID: &str = "onPremisesImmutableId";
/// The Graph property the federated workaround moves.
pub const USER_PRINCIPAL_NAME: &str = "userPrincipalName";

/// Why a strategy does nothing for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// A sentence.
    pub reason: String,
    /// The strategy that would work.
    pub alternative: Option<Strategy>,
    /// Nothing needs doing: the user is already in the wanted state.
    pub nothing_to_do: bool,
}

impl Refusal {
    pub(super) fn new(reason: impl Into<String>, alternative: Option<Strategy>) -> Self {
        Self {
            reason: reason.into(),
            alternative,
            nothing_to_do: false,
        }
    }

    pub(super) fn done(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            alternative: None,
            nothing_to_do: true,
        }
    }
}

/// The pair a strategy works on.
#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    /// The on-premises user.
    pub user: &'a OnPremUser,
    /// Its plan.
    pub user_plan: &'a UserPlan,
    /// The cloud user's position.
    pub cloud: usize,
    /// The cloud user.
    pub cloud_user: &'a CloudUser,
}

pub(super) fn label_of(cloud: &CloudUser) -> String {
    cloud
        .user_principal_name
        .clone()
        .unwrap_or_else(|| cloud.id.clone())
}

pub(super) fn cloud_name(cloud: &CloudUser) -> String {
    format!("`{}`", label_of(cloud))
}

pub(super) fn text_or_absent(value: Option<&str>) -> StepValue {
    value.map_or(StepValue::Absent, |text| StepValue::Text(text.to_owned()))
}

/// The inputs every precondition reads.
#[derive(Debug)]
pub struct Context<'p, 'a> {
    /// The plan of the inputs as they are.
    pub plan: &'p Plan<'a>,
    /// The on-premises users holding each sourceAnchor value (built for hard-ad only,
    /// [`Context::for_strategy`]).
    pub anchor_holders: FxHashMap<&'p str, Vec<usize>>,
}

impl<'p, 'a> Context<'p, 'a> {
    /// Indexes the plan's sourceAnchors.
    pub fn new(plan: &'p Plan<'a>) -> Self {
        Self::for_strategy(plan, Strategy::HardAd)
    }

    /// The context a strategy reads: only hard-ad looks the sourceAnchors up (whether another AD
    /// object holds a value), so for the others `anchor_holders` stays empty, which at a million users
    /// saves a second of building a map nobody reads.
    pub fn for_strategy(plan: &'p Plan<'a>, strategy: Strategy) -> Self {
        if strategy != Strategy::HardAd {
            return Self {
                plan,
                anchor_holders: FxHashMap::default(),
            };
        }
        let mut anchor_holders: FxHashMap<&'p str, Vec<usize>> = FxHashMap::default();
        for user in &plan.users {
            if let Some(anchor) = &user.anchor {
                anchor_holders
                    .entry(anchor.value.as_str())
                    .or_default()
                    .push(user.user);
            }
        }
        Self {
            plan,
            anchor_holders,
        }
    }

    pub(super) fn holds_role(&self, pair: &Pair<'_>) -> Option<String> {
        let roles = self.plan.index.roles_of(pair.cloud);
        (!roles.is_empty()).then(|| role_list(&roles))
    }

    pub(super) fn federated(&self, cloud: &CloudUser) -> Option<String> {
        cloud
            .user_principal_name
            .as_deref()
            .and_then(|upn| self.plan.tenant.domain_of(upn))
            .filter(|domain| domain.is_federated())
            .map(|domain| domain.id.clone())
    }
}

/// Whether the pair already hard-matches (the anchor is the cloud user's ImmutableID).
pub(super) fn already_hard_matched(pair: &Pair<'_>) -> Option<Refusal> {
    let anchor = pair.user_plan.anchor.as_ref()?;
    (non_empty(&pair.cloud_user.on_premises_immutable_id) == Some(anchor.value.as_str())).then(|| {
        let blocked = pair.user_plan.outcome == Outcome::HardMatchBlocked;
        Refusal::done(if blocked {
            format!(
                "nothing to do: the sourceAnchor `{}` already is the ImmutableID of {}; the tenant's \
                 blockCloudObjectTakeoverThroughHardMatchEnabled still blocks the takeover (`anchorsync \
                 tenant matching --block-hard-match off` while matching)",
                anchor.value,
                cloud_name(pair.cloud_user)
            )
        } else {
            format!(
                "nothing to do: already a hard match (the sourceAnchor `{}` is the ImmutableID of {})",
                anchor.value,
                cloud_name(pair.cloud_user)
            )
        })
    })
}
