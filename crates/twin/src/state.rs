//! The twin's state: one tenant's directory (users, domains, role assignments, synchronisation
//! settings) with the indexes its uniqueness rules need, plus the registered apps, the throttling
//! buckets and the clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use anchorsync_core::tenant::{
    CloudRecipient, CloudUser, Domain, OnPremisesSynchronization, RoleAssignment, TenantSnapshot,
};
use indexmap::IndexMap;
use jsonwebtoken::DecodingKey;

use crate::certificate::{self, Thumbprints};
use crate::clock::Clock;
use crate::config::{AppClient, DEFAULT_TENANT_ID, TwinConfig};
use crate::deleted_items::DeletedUser;
use crate::filter::IndexKey;
use crate::signing::{self, SigningKey, SigningKeyError};
use crate::throttle::{Dice, Throttle};
use crate::tls::TlsError;

/// Why a twin could not be built from a snapshot and a configuration.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    /// Two objects of the snapshot share a value Entra keeps unique.
    #[error("the snapshot has two users with {property} `{value}`: `{first}` and `{second}`")]
    DuplicateValue {
        /// The property (`id`, `userPrincipalName`, `proxyAddresses`, ...).
        property: &'static str,
        /// The shared value.
        value: String,
        /// One user's id.
        first: String,
        /// The other user's id.
        second: String,
    },
    /// Two groups, or two contacts, of the snapshot share an `id`.
    #[error("the snapshot has two {list} with the id `{id}`")]
    DuplicateRecipient {
        /// `groups` or `contacts`.
        list: &'static str,
        /// The shared id.
        id: String,
    },
    /// A deleted user whose `deletedDateTime` is not a date and time.
    #[error(
        "the snapshot's deleted user `{id}` has `deletedDateTime` `{value}`, which is not a date and time"
    )]
    DeletedDateTime {
        /// The deleted user's id.
        id: String,
        /// The value found.
        value: String,
    },
    /// Two domains with the same name.
    #[error("the snapshot lists domain `{0}` twice")]
    DuplicateDomain(String),
    /// A configured certificate could not be read.
    #[error("client `{client_id}`: the certificate is not a PEM X.509 certificate with an RSA key")]
    Certificate {
        /// The client.
        client_id: String,
        /// Why.
        #[source]
        source: certificate::CertificateError,
    },
    /// Two clients with the same id.
    #[error("client `{0}` is configured twice")]
    DuplicateClient(String),
    /// The server could not start.
    #[error("cannot start the twin's HTTP server")]
    Server(#[source] std::io::Error),
    /// The key access tokens are signed with could not be made.
    #[error("cannot make the twin's token-signing key")]
    SigningKey(#[source] SigningKeyError),
    /// The HTTPS certificate cannot be used.
    #[error("cannot serve HTTPS")]
    Tls(#[source] TlsError),
}

/// A running twin's shared state. Cheap to clone: every clone is the same tenant.
#[derive(Clone)]
pub struct Twin {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Twin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twin")
            .field("tenant_id", &self.shared.tenant_id)
            .finish_non_exhaustive()
    }
}

struct Shared {
    tenant_id: String,
    config: TwinConfig,
    clock: Clock,
    directory: RwLock<Directory>,
    throttle: Mutex<Throttle>,
    dice: Mutex<Dice>,
    /// The dice of the response latency, apart from the faults' so that adding latency leaves
    /// which requests fail unchanged.
    latency_dice: Mutex<Dice>,
    signing_key: Arc<SigningKey>,
    /// This twin's `rh` claim: tokens without it were issued by another twin.
    instance: String,
    clients: Vec<RegisteredClient>,
    writes: Mutex<Vec<AppliedWrite>>,
    /// How many writes have been applied: bumped after each write's change is in the directory.
    applied: tokio::sync::watch::Sender<u64>,
    /// Up to which write the state file holds, when one is kept ([`crate::persist`]).
    saved: tokio::sync::watch::Sender<crate::persist::Saved>,
}

/// One write the twin applied (a `PATCH`, `POST` or `DELETE` that succeeded), in the order applied:
/// what a test reads to prove a client sent each change exactly once. Refused writes are not listed.
///
/// | write | `method` | `resource` |
/// |---|---|---|
/// | create | `POST` | `/users/{new id}` |
/// | update | `PATCH` | `/users/{id}`, `/directory/onPremisesSynchronization/{id}` |
/// | delete (into deleted items) | `DELETE` | `/users/{id}` |
/// | restore | `POST` | `/directory/deletedItems/{id}/restore` |
/// | purge | `DELETE` | `/directory/deletedItems/{id}` |
/// | the twin's own purge, 30 days after a delete | `PURGE` | `/directory/deletedItems/{id}` |
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedWrite {
    /// `PATCH`, `POST`, `DELETE`, or `PURGE` for a purge no request asked for.
    pub method: &'static str,
    /// The resource below `/v1.0`, by id (table above).
    pub resource: String,
    /// The request body's properties (empty for `DELETE` and `PURGE`). A password is never kept:
    /// `passwordProfile` is listed without its `password`.
    pub body: serde_json::Map<String, serde_json::Value>,
}

/// An app registration with its certificates decoded once.
pub(crate) struct RegisteredClient {
    pub config: AppClient,
    pub certificates: Vec<RegisteredCertificate>,
}

/// A certificate an app may sign client assertions with.
pub(crate) struct RegisteredCertificate {
    pub thumbprints: Thumbprints,
    pub key: DecodingKey,
}

impl Twin {
    /// A twin serving `snapshot`, with the system clock.
    pub fn new(snapshot: TenantSnapshot, config: TwinConfig) -> Result<Self, TwinError> {
        Self::with_clock(snapshot, config, Clock::system())
    }

    /// A twin serving `snapshot` that reads time from `clock` (tests pass [`Clock::manual`]).
    pub fn with_clock(
        snapshot: TenantSnapshot,
        config: TwinConfig,
        clock: Clock,
    ) -> Result<Self, TwinError> {
        let tenant_id = config
            .tenant_id
            .clone()
            .or_else(|| {
                snapshot
                    .on_premises_synchronization
                    .as_ref()
                    .map(|sync| sync.id.clone())
                    .filter(|id| !id.is_empty())
            })
            .unwrap_or_else(|| DEFAULT_TENANT_ID.to_owned());
        let mut clients: Vec<RegisteredClient> = Vec::with_capacity(config.clients.len());
        for client in &config.clients {
            if clients.iter().any(|known| {
                known
                    .config
                    .client_id
                    .eq_ignore_ascii_case(&client.client_id)
            }) {
                return Err(TwinError::DuplicateClient(client.client_id.clone()));
            }
            let certificates = match &client.certificate_pem {
                Some(pem) => certificate::decode_certificates(pem)
                    .map_err(|source| TwinError::Certificate {
                        client_id: client.client_id.clone(),
                        source,
                    })?
                    .into_iter()
                    .map(|(thumbprints, key)| RegisteredCertificate { thumbprints, key })
                    .collect(),
                None => Vec::new(),
            };
            clients.push(RegisteredClient {
                config: client.clone(),
                certificates,
            });
        }
        let directory = Directory::from_snapshot(snapshot, clock.now())?;
        let throttle = Throttle::new(&config.throttling);
        let dice = Dice::new(config.faults.seed);
        let latency_dice = Dice::new(config.faults.seed ^ 0x6C61_7465_6E63_7900);
        let signing_key = signing::process_key().map_err(TwinError::SigningKey)?;
        let instance = format!("0.twin.{}.", uuid::Uuid::new_v4().simple());
        Ok(Self {
            shared: Arc::new(Shared {
                tenant_id,
                config,
                clock,
                directory: RwLock::new(directory),
                throttle: Mutex::new(throttle),
                dice: Mutex::new(dice),
                latency_dice: Mutex::new(latency_dice),
                signing_key,
                instance,
                clients,
                writes: Mutex::new(Vec::new()),
                applied: tokio::sync::watch::Sender::new(0),
                saved: tokio::sync::watch::Sender::new(crate::persist::Saved::NotKept),
            }),
        })
    }

    /// The tenant id (the token endpoint also accepts the tenant's domain names).
    pub fn tenant_id(&self) -> &str {
        &self.shared.tenant_id
    }

    /// The clock the twin reads.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The configuration the twin was started with.
    pub fn config(&self) -> &TwinConfig {
        &self.shared.config
    }

    /// The tenant as it is now, in the snapshot format: what `twin serve --state` saves. Deleted
    /// users whose 30 days have passed on the twin's clock are purged first.
    pub fn snapshot(&self) -> TenantSnapshot {
        self.expire_deleted_users();
        self.directory().snapshot()
    }

    /// Every write applied since the twin started, oldest first.
    pub fn writes(&self) -> Vec<AppliedWrite> {
        self.shared
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Adds an applied write to [`Twin::writes`]. Called once the write's change is in the
    /// directory, so a snapshot taken after the count moved holds it.
    pub(crate) fn record_write(&self, write: AppliedWrite) {
        self.shared
            .writes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(write);
        self.shared.applied.send_modify(|count| *count += 1);
    }

    /// How many writes have been applied since the twin started.
    pub(crate) fn applied(&self) -> &tokio::sync::watch::Sender<u64> {
        &self.shared.applied
    }

    /// Up to which write the state file holds.
    pub(crate) fn saved(&self) -> &tokio::sync::watch::Sender<crate::persist::Saved> {
        &self.shared.saved
    }

    pub(crate) fn directory(&self) -> RwLockReadGuard<'_, Directory> {
        self.shared
            .directory
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn directory_mut(&self) -> RwLockWriteGuard<'_, Directory> {
        self.shared
            .directory
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn throttle(&self) -> MutexGuard<'_, Throttle> {
        self.shared
            .throttle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn dice(&self) -> MutexGuard<'_, Dice> {
        self.shared
            .dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn latency_dice(&self) -> MutexGuard<'_, Dice> {
        self.shared
            .latency_dice
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.shared.signing_key
    }

    /// The `rh` claim of this twin's tokens.
    pub(crate) fn instance(&self) -> &str {
        &self.shared.instance
    }

    pub(crate) fn client(&self, client_id: &str) -> Option<&RegisteredClient> {
        self.shared
            .clients
            .iter()
            .find(|client| client.config.client_id.eq_ignore_ascii_case(client_id))
    }

    /// Whether `tenant` (a GUID or a domain name, as in the token URL) names this tenant.
    pub(crate) fn is_this_tenant(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.shared.tenant_id)
            || self
                .directory()
                .domains
                .iter()
                .any(|domain| domain.id.eq_ignore_ascii_case(tenant))
    }
}

/// The lower-case key of a proxy address: `SMTP:a@b` and `smtp:A@B` are the same address.
pub(crate) fn proxy_key(address: &str) -> String {
    address.to_lowercase()
}

/// One tenant's directory objects and their unique-value indexes.
pub(crate) struct Directory {
    pub users: IndexMap<String, CloudUser>,
    /// Soft-deleted users (`/directory/deletedItems`), oldest deletion first; they hold no unique
    /// values.
    pub deleted: IndexMap<String, DeletedUser>,
    /// Users created with a replication lag, and when they become visible by id
    /// ([`TwinConfig::replication_lag`]).
    pub visible_from: HashMap<String, SystemTime>,
    by_upn: HashMap<String, String>,
    by_proxy: HashMap<String, String>,
    by_immutable_id: HashMap<String, String>,
    by_sid: HashMap<String, String>,
    pub domains: Vec<Domain>,
    pub role_assignments: Vec<RoleAssignment>,
    pub on_premises_synchronization: Option<OnPremisesSynchronization>,
    /// Groups (`/groups`), read-only: seeded from the snapshot's `groups`.
    pub groups: Vec<CloudRecipient>,
    /// Organisational contacts (`/contacts`), read-only: seeded from the snapshot's `contacts`.
    pub contacts: Vec<CloudRecipient>,
}

/// A uniqueness conflict: the property and the object that already holds the value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub property: &'static str,
    pub value: String,
    pub holder: String,
}

fn keys_of(user: &CloudUser) -> Vec<(&'static str, String)> {
    let mut keys = Vec::new();
    if let Some(upn) = &user.user_principal_name {
        keys.push(("userPrincipalName", upn.to_lowercase()));
    }
    for proxy in &user.proxy_addresses {
        keys.push(("proxyAddresses", proxy_key(proxy)));
    }
    if let Some(immutable_id) = &user.on_premises_immutable_id {
        // Case-sensitive, like the sourceAnchor (docs/rules.md §2).
        keys.push(("onPremisesImmutableId", immutable_id.clone()));
    }
    if let Some(sid) = &user.on_premises_security_identifier {
        keys.push(("onPremisesSecurityIdentifier", sid.to_uppercase()));
    }
    keys
}

/// The groups or contacts (`list`) of a snapshot, refused when two share an `id` (ids compare
/// case-insensitively, as Graph's GUIDs do).
fn unique_ids(
    list: &'static str,
    objects: Vec<CloudRecipient>,
) -> Result<Vec<CloudRecipient>, TwinError> {
    let mut seen = std::collections::HashSet::with_capacity(objects.len());
    if let Some(twice) = objects
        .iter()
        .find(|object| !seen.insert(object.id.to_lowercase()))
    {
        return Err(TwinError::DuplicateRecipient {
            list,
            id: twice.id.clone(),
        });
    }
    Ok(objects)
}

impl Directory {
    fn from_snapshot(snapshot: TenantSnapshot, now: SystemTime) -> Result<Self, TwinError> {
        let mut directory = Self {
            users: IndexMap::with_capacity(snapshot.users.len()),
            deleted: IndexMap::new(),
            visible_from: HashMap::new(),
            by_upn: HashMap::with_capacity(snapshot.users.len()),
            by_proxy: HashMap::with_capacity(snapshot.users.len() * 2),
            by_immutable_id: HashMap::with_capacity(snapshot.users.len()),
            by_sid: HashMap::new(),
            domains: Vec::new(),
            role_assignments: snapshot.role_assignments,
            on_premises_synchronization: snapshot.on_premises_synchronization,
            groups: Vec::new(),
            contacts: Vec::new(),
        };
        directory.groups = unique_ids("groups", snapshot.groups)?;
        directory.contacts = unique_ids("contacts", snapshot.contacts)?;
        for domain in snapshot.domains {
            if directory
                .domains
                .iter()
                .any(|known| known.id.eq_ignore_ascii_case(&domain.id))
            {
                return Err(TwinError::DuplicateDomain(domain.id));
            }
            directory.domains.push(domain);
        }
        for user in snapshot.users {
            if let Some(existing) = directory.users.get(&user.id) {
                return Err(TwinError::DuplicateValue {
                    property: "id",
                    value: user.id.clone(),
                    first: existing.id.clone(),
                    second: user.id,
                });
            }
            if let Some(conflict) = directory.conflict(&user, None) {
                return Err(TwinError::DuplicateValue {
                    property: conflict.property,
                    value: conflict.value,
                    first: conflict.holder,
                    second: user.id,
                });
            }
            directory.index(&user);
            directory.users.insert(user.id.clone(), user);
        }
        directory.load_deleted_users(snapshot.deleted_users, now)?;
        Ok(directory)
    }

    pub(crate) fn snapshot(&self) -> TenantSnapshot {
        TenantSnapshot {
            users: self.users.values().cloned().collect(),
            domains: self.domains.clone(),
            role_assignments: self.role_assignments.clone(),
            on_premises_synchronization: self.on_premises_synchronization.clone(),
            deleted_users: self
                .deleted
                .values()
                .map(|deleted| deleted.user.clone())
                .collect(),
            groups: self.groups.clone(),
            contacts: self.contacts.clone(),
        }
    }

    fn index_map(&mut self, property: &'static str) -> &mut HashMap<String, String> {
        match property {
            "userPrincipalName" => &mut self.by_upn,
            "proxyAddresses" => &mut self.by_proxy,
            "onPremisesImmutableId" => &mut self.by_immutable_id,
            _ => &mut self.by_sid,
        }
    }

    fn index_of(&self, property: &'static str) -> &HashMap<String, String> {
        match property {
            "userPrincipalName" => &self.by_upn,
            "proxyAddresses" => &self.by_proxy,
            "onPremisesImmutableId" => &self.by_immutable_id,
            _ => &self.by_sid,
        }
    }

    fn index(&mut self, user: &CloudUser) {
        for (property, key) in keys_of(user) {
            self.index_map(property).insert(key, user.id.clone());
        }
    }

    fn unindex(&mut self, user: &CloudUser) {
        for (property, key) in keys_of(user) {
            let index = self.index_map(property);
            if index.get(&key) == Some(&user.id) {
                index.remove(&key);
            }
        }
    }

    /// The first value of `candidate` that another object already holds.
    pub(crate) fn conflict(&self, candidate: &CloudUser, itself: Option<&str>) -> Option<Conflict> {
        keys_of(candidate).into_iter().find_map(|(property, key)| {
            let holder = self.index_of(property).get(&key)?;
            (Some(holder.as_str()) != itself && *holder != candidate.id).then(|| Conflict {
                property,
                value: key.clone(),
                holder: holder.clone(),
            })
        })
    }

    /// The positions (in snapshot order) of the users holding any of `keys`.
    pub(crate) fn candidates(&self, keys: &[IndexKey]) -> Vec<usize> {
        let mut positions: Vec<usize> = keys
            .iter()
            .filter_map(|key| {
                let id = match key {
                    IndexKey::Id(id) => {
                        return self
                            .users
                            .get_index_of(id.as_str())
                            .or_else(|| self.users.get_index_of(&id.to_ascii_lowercase()));
                    }
                    IndexKey::UserPrincipalName(upn) => self.by_upn.get(&upn.to_lowercase()),
                    IndexKey::ProxyAddress(address) => self.by_proxy.get(&proxy_key(address)),
                    IndexKey::ImmutableId(anchor) => self.by_immutable_id.get(anchor),
                    IndexKey::SecurityIdentifier(sid) => self.by_sid.get(&sid.to_uppercase()),
                }?;
                self.users.get_index_of(id.as_str())
            })
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    /// A user by object id or user principal name.
    pub(crate) fn user(&self, key: &str) -> Option<&CloudUser> {
        if key.contains('@') {
            let id = self.by_upn.get(&key.to_lowercase())?;
            self.users.get(id)
        } else {
            // Object ids are lower-case GUIDs; accept them in any case.
            self.users
                .get(key)
                .or_else(|| self.users.get(&key.to_ascii_lowercase()))
        }
    }

    /// Adds a new user (uniqueness already checked).
    pub(crate) fn insert_user(&mut self, user: CloudUser) {
        self.index(&user);
        self.users.insert(user.id.clone(), user);
    }

    /// Replaces a user in place (uniqueness already checked).
    pub(crate) fn replace_user(&mut self, user: CloudUser) {
        if let Some(old) = self.users.get(&user.id).cloned() {
            self.unindex(&old);
        }
        self.index(&user);
        self.users.insert(user.id.clone(), user);
    }

    /// Deletes a user and the role assignments naming it.
    pub(crate) fn remove_user(&mut self, id: &str) -> Option<CloudUser> {
        let user = self.users.shift_remove(id)?;
        self.unindex(&user);
        self.role_assignments
            .retain(|assignment| assignment.principal_id != user.id);
        Some(user)
    }

    /// The role definition ids assigned to `principal_id` directory-wide.
    pub(crate) fn roles_of(&self, principal_id: &str) -> Vec<&str> {
        let mut roles: Vec<&str> = Vec::new();
        for assignment in &self.role_assignments {
            let directory_wide = assignment
                .directory_scope_id
                .as_deref()
                .is_none_or(|scope| scope == "/");
            if assignment.principal_id.eq_ignore_ascii_case(principal_id)
                && directory_wide
                && !roles.contains(&assignment.role_definition_id.as_str())
            {
                roles.push(&assignment.role_definition_id);
            }
        }
        roles
    }

    /// The domain a user principal name ends in.
    pub(crate) fn domain_of(&self, address: &str) -> Option<&Domain> {
        let suffix = address.rsplit_once('@')?.1;
        self.domains
            .iter()
            .find(|domain| domain.id.eq_ignore_ascii_case(suffix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, upn: &str) -> CloudUser {
        CloudUser {
            id: id.into(),
            user_principal_name: Some(upn.into()),
            ..CloudUser::default()
        }
    }

    #[test]
    fn duplicate_upns_in_a_snapshot_are_refused_naming_both_users() {
        let snapshot = TenantSnapshot {
            users: vec![user("1", "a@x.com"), user("2", "A@X.com")],
            ..TenantSnapshot::default()
        };
        let error = Twin::new(snapshot, TwinConfig::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the snapshot has two users with userPrincipalName `a@x.com`: `1` and `2`"
        );
    }

    #[test]
    fn immutable_ids_differing_in_case_are_distinct() {
        let mut a = user("1", "a@x.com");
        a.on_premises_immutable_id = Some("abcQ==".into());
        let mut b = user("2", "b@x.com");
        b.on_premises_immutable_id = Some("ABCQ==".into());
        let snapshot = TenantSnapshot {
            users: vec![a, b],
            ..TenantSnapshot::default()
        };
        assert!(Twin::new(snapshot, TwinConfig::default()).is_ok());
    }
}
