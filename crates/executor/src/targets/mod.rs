//! The systems a run writes to, one adapter each ([`ad`], [`graph`], [`tenant`]), and [`Targets`],
//! which opens the connections a run's steps need and routes each step to its system's adapter.
//! A new system (a SCIM provider) is one more adapter here and one more arm in the routing.

pub mod ad;
mod cloud_lifecycle;
pub mod graph;
pub mod tenant;

use anchorsync_ad::{AdConfig, AdConnection};
use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::remediation::{StepSystem, StepValue};
use anchorsync_graph::{ClientSettings, GraphClient};
use anchorsync_store::{JournalStep, RunTargets, Step};

use crate::reversal::Irreversible;
use crate::target::{Observed, Resolution, Target, TargetError, Written};

pub use ad::DirectoryTarget;
pub use graph::CloudUsersTarget;
pub use tenant::TenantSettingsTarget;

/// Which connections a set of steps needs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// The directory.
    pub ad: bool,
    /// Microsoft Graph (users or the tenant's settings).
    pub graph: bool,
}

impl Needs {
    /// What `steps` write to.
    pub fn of<'a>(steps: impl IntoIterator<Item = &'a Step>) -> Self {
        let mut needs = Self::default();
        for step in steps {
            match step.system {
                StepSystem::Ad => needs.ad = true,
                StepSystem::Cloud | StepSystem::Tenant => needs.graph = true,
            }
        }
        needs
    }
}

/// The resolved settings of the connections a run opens (the command line reads them from its
/// configuration; the executor never sees the file).
#[derive(Debug, Default)]
pub struct TargetSettings {
    /// `[ad]`, when the run writes to the directory.
    pub ad: Option<AdConfig>,
    /// The Graph client's settings, when the run writes to the tenant.
    pub graph: Option<ClientSettings>,
    /// LDAP connections opened to the directory for a run's reads and writes; `None`:
    /// [`ad::DEFAULT_AD_CONNECTIONS`].
    pub ad_connections: Option<usize>,
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The bind password is not where the configuration says.
    #[error("cannot read the AD bind password")]
    AdPassword(#[source] anchorsync_ad::ConfigError),
    /// No domain controller could be used.
    #[error("cannot connect to the domain controller")]
    Ad(#[source] anchorsync_ad::Error),
    /// The Graph client could not be built.
    #[error("cannot set up the Microsoft Graph client")]
    Graph(#[source] anchorsync_graph::GraphError),
}

/// The connections of one run, routing each step to its system.
#[derive(Debug, Default)]
pub struct Targets {
    ad: Option<DirectoryTarget>,
    cloud: Option<CloudUsersTarget>,
    tenant: Option<TenantSettingsTarget>,
    graph: Option<GraphClient>,
    description: RunTargets,
}

impl Targets {
    /// Opens the connections `settings` names: binds to AD, sets up the Graph client.
    pub async fn connect(
        settings: &TargetSettings,
        reporter: &dyn Reporter,
    ) -> Result<Self, ConnectError> {
        let mut targets = Self::default();
        if let Some(config) = &settings.ad {
            let password = config.password().map_err(ConnectError::AdPassword)?;
            let first = AdConnection::connect(config, &password, reporter)
                .await
                .map_err(ConnectError::Ad)?;
            targets.description.ad = Some(anchorsync_store::AdTarget {
                server: first.server().to_owned(),
                base_dns: config.base_dns.clone(),
            });
            let count = settings
                .ad_connections
                .unwrap_or(ad::DEFAULT_AD_CONNECTIONS)
                .max(1);
            let mut connections = vec![first];
            // The others to the same domain controller as the first, so that every step of the
            // run reads what the others wrote.
            let mut same_server = config.clone();
            same_server.servers = vec![
                targets
                    .description
                    .ad
                    .as_ref()
                    .map(|ad| ad.server.clone())
                    .unwrap_or_default(),
            ];
            while connections.len() < count {
                match AdConnection::connect(&same_server, &password, &NoProgress).await {
                    Ok(connection) => connections.push(connection),
                    Err(error) => {
                        for connection in connections {
                            connection.unbind().await;
                        }
                        return Err(ConnectError::Ad(error));
                    }
                }
            }
            targets.ad = Some(DirectoryTarget::pool(connections));
        }
        if let Some(graph) = &settings.graph {
            targets.description.cloud = Some(anchorsync_store::CloudTarget {
                tenant_id: graph.tenant_id.clone(),
                graph_url: graph.graph_url.clone(),
            });
            let client = GraphClient::new(graph.clone()).map_err(ConnectError::Graph)?;
            targets.cloud = Some(CloudUsersTarget::new(client.clone()));
            targets.tenant = Some(TenantSettingsTarget::new(client.clone()));
            targets.graph = Some(client);
        }
        Ok(targets)
    }

    /// Which directory and tenant these are, as the journal records them.
    pub fn description(&self) -> &RunTargets {
        &self.description
    }

    /// The Graph client, when one was set up.
    pub fn graph(&self) -> Option<&GraphClient> {
        self.graph.as_ref()
    }

    /// Unbinds from AD.
    pub async fn close(&self) {
        if let Some(ad) = &self.ad {
            ad.close().await;
        }
    }
}

fn not_connected(system: StepSystem) -> TargetError {
    TargetError::NotConnected { system }
}

impl Target for Targets {
    async fn read(&self, step: &Step) -> Result<Observed, TargetError> {
        match step.system {
            StepSystem::Ad => match &self.ad {
                Some(ad) => ad.read(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Cloud => match &self.cloud {
                Some(cloud) => cloud.read(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Tenant => match &self.tenant {
                Some(tenant) => tenant.read(step).await,
                None => Err(not_connected(step.system)),
            },
        }
    }

    async fn write(&self, step: &Step) -> Result<Written, TargetError> {
        match step.system {
            StepSystem::Ad => match &self.ad {
                Some(ad) => ad.write(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Cloud => match &self.cloud {
                Some(cloud) => cloud.write(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Tenant => match &self.tenant {
                Some(tenant) => tenant.write(step).await,
                None => Err(not_connected(step.system)),
            },
        }
    }

    async fn resolve(&self, step: &Step) -> Result<Resolution, TargetError> {
        match step.system {
            StepSystem::Ad => match &self.ad {
                Some(ad) => ad.resolve(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Cloud => match &self.cloud {
                Some(cloud) => cloud.resolve(step).await,
                None => Err(not_connected(step.system)),
            },
            StepSystem::Tenant => match &self.tenant {
                Some(tenant) => tenant.resolve(step).await,
                None => Err(not_connected(step.system)),
            },
        }
    }

    fn holds(&self, step: &Step, observed: &Observed, expected: &StepValue) -> bool {
        match step.system {
            StepSystem::Ad => self
                .ad
                .as_ref()
                .is_some_and(|ad| ad.holds(step, observed, expected)),
            StepSystem::Cloud => self
                .cloud
                .as_ref()
                .is_some_and(|cloud| cloud.holds(step, observed, expected)),
            StepSystem::Tenant => self
                .tenant
                .as_ref()
                .is_some_and(|tenant| tenant.holds(step, observed, expected)),
        }
    }

    fn reverse(&self, done: &JournalStep) -> Result<Step, Irreversible> {
        // Every system reverses alike today; a system that cannot restore a delete overrides its
        // adapter's `reverse`, and is routed here.
        crate::reversal::reverse(done)
    }
}
