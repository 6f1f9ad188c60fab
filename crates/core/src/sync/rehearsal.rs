//! What a sync plan promises, checked, and what its inputs look like once it is carried out.
//!
//! [`join_mismatches`] checks the promise of issue 14: every user the sync joins for the first time is
//! joined to the cloud user `plan` named with the outcome `plan` predicted, creates are exactly
//! `plan`'s creates, and flagged users are export errors carrying `plan`'s reasons. The demo and the
//! tests run it.
//!
//! [`Rehearsal::carry_out`] applies a sync plan to a tenant snapshot, the links and the AD users the way
//! Graph and the directory store the writes (new users get the ids the caller gives, deleted users go
//! to `deletedUsers`), so that a rehearsal can show the state after a sync, and a re-sync of that state
//! must plan nothing.

use rustc_hash::FxHashMap;

use crate::directory::{OnPremUser, smtp_address};
use crate::engine::explain::reasons;
use crate::engine::{Outcome, Plan};
use crate::remediation::StepValue;
use crate::tenant::{CloudUser, TenantSnapshot};

use super::decide::SyncInput;
use super::link::{Link, LinkOrigin, LinkUpdate};
use super::property::Property;
use super::record::{Action, ExportErrorCode, SyncPlan, UserSync};

/// The users whose first sync does not do what the match engine predicted, one sentence each (none
/// when the sync keeps its promise). `plan` must be the plan the sync was made with.
pub fn join_mismatches(plan: &Plan<'_>, sync: &SyncPlan) -> Vec<String> {
    let mut mismatches = Vec::new();
    for (user_plan, record) in plan.users.iter().zip(&sync.users) {
        let dn = plan
            .on_prem
            .get(user_plan.user)
            .map_or("", |user| user.dn.as_str());
        if record.dn.as_deref() != Some(dn) {
            mismatches.push(format!(
                "`{dn}`: the sync's records are not in the plan's order"
            ));
            return mismatches;
        }
        // Only the first sync of a user is the match engine's to decide.
        if record.link.is_some() {
            continue;
        }
        let outcome = user_plan.outcome;
        let planned_cloud = user_plan
            .cloud_user
            .and_then(|position| plan.index.user(position))
            .map(|cloud| cloud.id.as_str());
        let wrong = |what: String| format!("`{dn}`: plan predicts {outcome}, but {what}");
        let plan_error = record.export_errors.iter().find(|error| {
            error.code == ExportErrorCode::PlanOutcome && error.outcome == Some(outcome)
        });
        match record.action {
            _ if outcome.needs_attention() => match plan_error {
                Some(error) if error.message == reasons(plan, user_plan).join(" ") => {}
                Some(_) => {
                    mismatches.push(wrong("the export error does not carry its reasons".into()))
                }
                None => mismatches.push(wrong(format!("the sync does `{}`", record.action))),
            },
            Action::Join => {
                let joined = record.cloud_user_id.as_deref();
                if !outcome.is_match() || joined != planned_cloud {
                    mismatches.push(wrong(format!(
                        "the sync joins cloud user `{}`",
                        joined.unwrap_or_default()
                    )));
                } else if record.new_link != Some(LinkOrigin::Joined { outcome }) {
                    mismatches.push(wrong(format!("the link records {:?}", record.new_link)));
                }
            }
            Action::Create if outcome != Outcome::Create => {
                mismatches.push(wrong("the sync creates a user".into()));
            }
            Action::Create => {}
            // A create that finds a deleted user with its anchor restores it, as Entra does.
            Action::Restore if outcome == Outcome::Create => {}
            // The values of a user the engine would match or create may still be refused by Graph.
            Action::ExportError if plan_error.is_none() => {}
            action => mismatches.push(wrong(format!("the sync does `{action}`"))),
        }
    }
    mismatches
}

/// A tenant, the stored links and the AD users, as a sync plan leaves them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rehearsal {
    /// The tenant.
    pub tenant: TenantSnapshot,
    /// The links.
    pub links: Vec<Link>,
    /// The AD users (anchor writebacks applied).
    pub users: Vec<OnPremUser>,
}

impl Rehearsal {
    /// The state of `input`'s users, tenant and links once `sync` is carried out, with made-up ids for
    /// created users (`00000000-0000-4000-8000-000000000001`, then counting) and `deleted_date_time` for
    /// deleted ones.
    pub fn of(input: &SyncInput<'_>, sync: &SyncPlan, deleted_date_time: &str) -> Self {
        let mut created = 0usize;
        Self {
            tenant: input.tenant.clone(),
            links: input.links.to_vec(),
            users: input.users.to_vec(),
        }
        .carry_out(
            sync,
            |_| {
                created += 1;
                format!("00000000-0000-4000-8000-{created:012}")
            },
            deleted_date_time,
        )
    }

    /// The inputs of the next sync: this state, with `input`'s settings and time.
    pub fn next_input<'r>(&'r self, input: &SyncInput<'r>) -> SyncInput<'r> {
        SyncInput {
            users: &self.users,
            tenant: &self.tenant,
            links: &self.links,
            ..*input
        }
    }

    /// Carries out `sync` (unless its guard refuses it) as Graph and AD store the writes. A created
    /// user gets the id `new_id` gives; a deleted one gets `deleted_date_time`.
    pub fn carry_out(
        self,
        sync: &SyncPlan,
        mut new_id: impl FnMut(&UserSync) -> String,
        deleted_date_time: &str,
    ) -> Self {
        if sync.is_refused() {
            return self;
        }
        // Slots addressed by id, emptied in place: a rehearsal of a million users stays linear.
        let mut users = Slots::new(self.tenant.users, |user| user.id.clone());
        let mut deleted = Slots::new(self.tenant.deleted_users, |user| user.id.clone());
        let mut links = Slots::new(self.links, |link| link.object_guid.to_string());
        let mut link_of_cloud: FxHashMap<String, String> = links
            .items
            .iter()
            .flatten()
            .map(|link| (link.cloud_user_id.clone(), link.object_guid.to_string()))
            .collect();
        let mut ad_users = self.users;
        let ad_by_dn: FxHashMap<String, usize> = ad_users
            .iter()
            .enumerate()
            .map(|(position, user)| (user.dn.clone(), position))
            .collect();
        for record in &sync.users {
            let created = (record.action == Action::Create).then(|| new_id(record));
            let id = record.cloud_user_id.as_deref().unwrap_or_default();
            match record.action {
                Action::Create => {
                    let mut user = CloudUser {
                        id: created.clone().unwrap_or_default(),
                        ..CloudUser::default()
                    };
                    write(&mut user, record);
                    users.push(user.id.clone(), user);
                }
                Action::Restore => {
                    if let Some(mut user) = deleted.take(id) {
                        user.other.remove("deletedDateTime");
                        write(&mut user, record);
                        users.push(user.id.clone(), user);
                    }
                }
                Action::Delete => {
                    if let Some(mut user) = users.take(id) {
                        user.other
                            .insert("deletedDateTime".into(), deleted_date_time.into());
                        deleted.push(user.id.clone(), user);
                    }
                }
                Action::Join | Action::Update | Action::Enable | Action::Disable => {
                    if let Some(user) = users.get_mut(id) {
                        write(user, record);
                    }
                }
                Action::Forget | Action::NoChange | Action::ExportError => {}
            }
            if let Some(step) = &record.anchor_writeback
                && let (Some(user), StepValue::Bytes(bytes)) = (
                    ad_by_dn
                        .get(&step.target)
                        .and_then(|position| ad_users.get_mut(*position)),
                    &step.after,
                )
            {
                user.consistency_guid = Some(bytes.clone());
            }
            match record.link_update(created.as_deref()) {
                LinkUpdate::Unchanged => {}
                LinkUpdate::Store(link) => {
                    // A link replaces any of the same AD user or the same cloud user.
                    if let Some(guid) = link_of_cloud.remove(&link.cloud_user_id) {
                        links.take(&guid);
                    }
                    if let Some(old) = links.take(&link.object_guid.to_string()) {
                        link_of_cloud.remove(&old.cloud_user_id);
                    }
                    let guid = link.object_guid.to_string();
                    link_of_cloud.insert(link.cloud_user_id.clone(), guid.clone());
                    links.push(guid, link);
                }
                LinkUpdate::Remove(guid) => {
                    if let Some(old) = links.take(&guid.to_string()) {
                        link_of_cloud.remove(&old.cloud_user_id);
                    }
                }
            }
        }
        Self {
            tenant: TenantSnapshot {
                users: users.into_items(),
                deleted_users: deleted.into_items(),
                ..self.tenant
            },
            links: links.into_items(),
            users: ad_users,
        }
    }
}

/// Items in order, looked up by a key, removed without shifting the others.
struct Slots<T> {
    items: Vec<Option<T>>,
    by_key: FxHashMap<String, usize>,
}

impl<T> Slots<T> {
    fn new(items: Vec<T>, key: impl Fn(&T) -> String) -> Self {
        let by_key = items
            .iter()
            .enumerate()
            .map(|(position, item)| (key(item), position))
            .collect();
        Self {
            items: items.into_iter().map(Some).collect(),
            by_key,
        }
    }

    fn push(&mut self, key: String, item: T) {
        self.by_key.insert(key, self.items.len());
        self.items.push(Some(item));
    }

    fn take(&mut self, key: &str) -> Option<T> {
        let position = self.by_key.remove(key)?;
        self.items.get_mut(position).and_then(Option::take)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        let position = *self.by_key.get(key)?;
        self.items.get_mut(position).and_then(Option::as_mut)
    }

    fn into_items(self) -> Vec<T> {
        self.items.into_iter().flatten().collect()
    }
}

/// A record's changes, stored as Graph stores them: a new `mail` also becomes the primary SMTP proxy
/// address, the old primary a secondary one (the `user` resource's "mail and proxyAddresses").
fn write(user: &mut CloudUser, record: &UserSync) {
    for change in &record.changes {
        change.property.write(user, &change.new);
        if change.property == Property::Mail
            && let Some(mail) = change.new.as_text()
        {
            for address in &mut user.proxy_addresses {
                if let Some(old) = address.strip_prefix("SMTP:") {
                    *address = format!("smtp:{old}");
                }
            }
            user.proxy_addresses.retain(|address| {
                smtp_address(address).is_none_or(|held| !held.eq_ignore_ascii_case(mail))
            });
            user.proxy_addresses.insert(0, format!("SMTP:{mail}"));
        }
    }
}
