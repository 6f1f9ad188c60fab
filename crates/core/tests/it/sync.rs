//! The sync's rules, one test each (issue 14), through the public API: AD users, a tenant and links in,
//! a sync plan out, carried out by a rehearsal where a rule needs the state after a sync.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anchorsync_core::directory::{DirectoryEntry, OnPremUser};
use anchorsync_core::engine::explain::reasons;
use anchorsync_core::engine::{EngineSettings, Outcome, plan};
use anchorsync_core::identifier::encode_base64;
use anchorsync_core::remediation::{StepPurpose, StepSystem, StepValue};
use anchorsync_core::sync::record::ExportErrorCode;
use anchorsync_core::sync::{
    Action, GuardVerdict, LeavingPolicy, Link, LinkOrigin, LinkState, LinkUpdate, Property,
    PropertyValue, Rehearsal, SyncError, SyncInput, SyncPlan, SyncSettings, UserSync,
    join_mismatches, plan_sync,
};
use anchorsync_core::tenant::{
    CloudUser, Domain, OnPremisesSynchronization, RoleAssignment, SyncFeatures, TenantSnapshot,
};

/// 2026-12-01T00:00:00Z.
const NOW: u64 = 1_796_083_200;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn text(value: &str) -> PropertyValue {
    PropertyValue::Text(value.into())
}

/// An enabled AD user `name` whose objectGUID is sixteen bytes `n` (its anchor is their Base64).
fn ad(n: u8, name: &str) -> OnPremUser {
    let mut entry = DirectoryEntry::new(format!("CN={name},OU=Tokyo,DC=corp,DC=contoso,DC=com"));
    entry.push("objectGUID", vec![n; 16]);
    entry.push("sAMAccountName", name);
    entry.push("userPrincipalName", format!("{name}@contoso.com"));
    entry.push("mail", format!("{name}@contoso.com"));
    entry.push("proxyAddresses", format!("SMTP:{name}@contoso.com"));
    entry.push("mailNickname", name);
    entry.push("displayName", format!("{name} Yamada"));
    entry.push("givenName", name);
    entry.push("sn", "Yamada");
    entry.push("userAccountControl", "512");
    OnPremUser::from_entry(entry).unwrap()
}

fn anchor(n: u8) -> String {
    encode_base64(&[n; 16])
}

fn cloud(id: &str, upn: &str) -> CloudUser {
    CloudUser {
        id: id.into(),
        user_principal_name: Some(upn.into()),
        display_name: Some(upn.into()),
        mail_nickname: Some(upn.split('@').next().unwrap().into()),
        account_enabled: Some(true),
        proxy_addresses: vec![format!("SMTP:{upn}")],
        ..CloudUser::default()
    }
}

fn tenant(users: Vec<CloudUser>) -> TenantSnapshot {
    TenantSnapshot {
        users,
        domains: vec![
            Domain {
                id: "contoso.onmicrosoft.com".into(),
                is_initial: true,
                is_verified: true,
                ..Domain::default()
            },
            Domain {
                id: "contoso.com".into(),
                is_verified: true,
                ..Domain::default()
            },
        ],
        ..TenantSnapshot::default()
    }
}

/// Everything a sync reads, with a rehearsal to carry plans out.
#[derive(Clone)]
struct World {
    users: Vec<OnPremUser>,
    tenant: TenantSnapshot,
    links: Vec<Link>,
    settings: SyncSettings,
    engine: EngineSettings,
    allow_deletions: Option<usize>,
    created: usize,
}

impl World {
    fn new(users: Vec<OnPremUser>, cloud: Vec<CloudUser>) -> Self {
        Self {
            users,
            tenant: tenant(cloud),
            links: Vec::new(),
            settings: SyncSettings::default(),
            engine: EngineSettings::default(),
            allow_deletions: None,
            created: 0,
        }
    }

    fn try_sync(&self) -> Result<SyncPlan, SyncError> {
        plan_sync(&SyncInput {
            users: &self.users,
            tenant: &self.tenant,
            links: &self.links,
            engine: &self.engine,
            settings: &self.settings,
            allow_deletions: self.allow_deletions,
            now: now(),
        })
    }

    fn sync(&self) -> SyncPlan {
        self.try_sync().unwrap()
    }

    /// Carries a plan out and returns the world after it.
    fn after(mut self, plan: &SyncPlan) -> Self {
        let mut created = self.created;
        let rehearsal = Rehearsal {
            tenant: self.tenant,
            links: self.links,
            users: self.users,
        }
        .carry_out(
            plan,
            |_| {
                created += 1;
                format!("00000000-0000-4000-8000-{created:012}")
            },
            "2026-11-30T00:00:00Z",
        );
        self.tenant = rehearsal.tenant;
        self.links = rehearsal.links;
        self.users = rehearsal.users;
        self.created = created;
        self
    }

    /// Synced once: every user created or joined.
    fn synced(self) -> Self {
        let plan = self.sync();
        let world = self.after(&plan);
        assert_eq!(world.sync().counts.pending(), 0, "in sync after one run");
        world
    }

    fn user_mut(&mut self, name: &str) -> &mut OnPremUser {
        self.users
            .iter_mut()
            .find(|user| user.sam_account_name.as_deref() == Some(name))
            .unwrap()
    }
}

fn record<'p>(plan: &'p SyncPlan, name: &str) -> &'p UserSync {
    plan.users
        .iter()
        .find(|user| {
            user.dn
                .as_deref()
                .is_some_and(|dn| dn.starts_with(&format!("CN={name},")))
        })
        .unwrap_or_else(|| panic!("no record for {name}"))
}

fn leaving<'p>(plan: &'p SyncPlan, upn: &str) -> &'p UserSync {
    plan.users
        .iter()
        .find(|user| user.leaving && user.user_principal_name.as_deref() == Some(upn))
        .unwrap_or_else(|| panic!("no leaving record for {upn}"))
}

fn changed(record: &UserSync) -> Vec<Property> {
    record
        .changes
        .iter()
        .map(|change| change.property)
        .collect()
}

#[test]
fn the_first_sync_joins_whom_plan_names_and_creates_the_rest_issue_14() {
    let mut matched = cloud("c-hard", "hard@contoso.com");
    matched.on_premises_immutable_id = Some(anchor(1));
    let soft = cloud("c-soft", "soft@contoso.com");
    let mut world = World::new(
        vec![ad(1, "hard"), ad(2, "soft"), ad(3, "new")],
        vec![matched, soft],
    );
    world.user_mut("soft").user_account_control = Some(514);
    let sync = world.sync();
    let engine_plan = plan(&world.users, &world.tenant, &world.engine);
    assert!(join_mismatches(&engine_plan, &sync).is_empty());

    let hard = record(&sync, "hard");
    assert_eq!(
        (hard.action, hard.cloud_user_id.as_deref()),
        (Action::Join, Some("c-hard"))
    );
    assert_eq!(
        hard.new_link,
        Some(LinkOrigin::Joined {
            outcome: Outcome::HardMatch
        })
    );
    assert!(!changed(hard).contains(&Property::OnPremisesImmutableId));
    assert!(
        changed(hard).contains(&Property::DisplayName),
        "the cloud takes AD's values"
    );

    let soft = record(&sync, "soft");
    assert_eq!(
        (soft.action, soft.cloud_user_id.as_deref()),
        (Action::Join, Some("c-soft"))
    );
    let immutable_id = soft
        .changes
        .iter()
        .find(|change| change.property == Property::OnPremisesImmutableId)
        .unwrap();
    assert_eq!(
        (&immutable_id.old, &immutable_id.new),
        (&PropertyValue::Null, &text(&anchor(2)))
    );
    assert!(changed(soft).contains(&Property::AccountEnabled));
    // The match engine's warnings come along with a first join, as `plan` writes them.
    assert!(
        soft.warnings
            .iter()
            .any(|w| w.contains("the first sync disables it")),
        "{:?}",
        soft.warnings
    );

    let new = record(&sync, "new");
    assert_eq!(
        (new.action, new.cloud_user_id.as_deref()),
        (Action::Create, None)
    );
    let body = new.graph_body();
    assert_eq!(body["onPremisesImmutableId"], anchor(3).as_str());
    assert_eq!(body["accountEnabled"], true);
    assert_eq!(body["userPrincipalName"], "new@contoso.com");
    assert_eq!(body["mailNickname"], "new");
    assert!(
        body.get("passwordProfile").is_none(),
        "the executor adds the password"
    );
    assert!(
        body.get("department").is_none(),
        "a create sends only values"
    );
    assert_eq!(
        new.link_update(Some("c-new")),
        LinkUpdate::Store(Link {
            object_guid: new.object_guid.unwrap(),
            cloud_user_id: "c-new".into(),
            source_anchor: anchor(3),
            origin: LinkOrigin::Created,
            state: LinkState::Active,
        })
    );
    assert_eq!((sync.counts.join, sync.counts.create), (2, 1));
    assert_eq!(sync.exit_status(), 1);
}

#[test]
fn flagged_users_are_export_errors_carrying_the_plans_reasons_issue_14() {
    // invalid-soft-match: the candidate has another ImmutableID; admin-role-conflict: it holds a role;
    // hard-match-blocked: the tenant blocks the takeover.
    let mut taken = cloud("c-taken", "taken@contoso.com");
    taken.on_premises_immutable_id = Some("c29tZW9uZSBlbHNl".into());
    let admin = cloud("c-admin", "admin@contoso.com");
    let mut blocked = cloud("c-blocked", "blocked@contoso.com");
    blocked.on_premises_immutable_id = Some(anchor(3));
    let mut world = World::new(
        vec![ad(1, "taken"), ad(2, "admin"), ad(3, "blocked")],
        vec![taken, admin, blocked],
    );
    world.tenant.role_assignments.push(RoleAssignment {
        id: "r1".into(),
        principal_id: "c-admin".into(),
        role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        ..RoleAssignment::default()
    });
    world.tenant.on_premises_synchronization = Some(OnPremisesSynchronization {
        id: "t".into(),
        features: SyncFeatures {
            block_cloud_object_takeover_through_hard_match_enabled: Some(true),
            ..SyncFeatures::default()
        },
        ..OnPremisesSynchronization::default()
    });
    let sync = world.sync();
    let engine_plan = plan(&world.users, &world.tenant, &world.engine);
    for (name, outcome) in [
        ("taken", Outcome::InvalidSoftMatch),
        ("admin", Outcome::AdminRoleConflict),
        ("blocked", Outcome::HardMatchBlocked),
    ] {
        let record = record(&sync, name);
        assert_eq!(record.action, Action::ExportError, "{name}");
        assert!(record.changes.is_empty() && record.anchor_writeback.is_none());
        let [error] = record.export_errors.as_slice() else {
            panic!("{name}: {:?}", record.export_errors)
        };
        assert_eq!(
            (error.code, error.outcome),
            (ExportErrorCode::PlanOutcome, Some(outcome))
        );
        let user_plan = engine_plan
            .users
            .iter()
            .find(|u| engine_plan.on_prem[u.user].dn == *record.dn.as_ref().unwrap())
            .unwrap();
        assert_eq!(error.message, reasons(&engine_plan, user_plan).join(" "));
    }
    assert!(join_mismatches(&engine_plan, &sync).is_empty());
    assert_eq!(sync.counts.pending(), 0, "nothing touched");
    assert_eq!(sync.exit_status(), 1, "export errors need attention");
}

#[test]
fn a_resync_after_the_first_plans_no_write_issue_14() {
    let mut matched = cloud("c-hard", "hard@contoso.com");
    matched.on_premises_immutable_id = Some(anchor(1));
    let world = World::new(
        vec![ad(1, "hard"), ad(2, "soft"), ad(3, "new")],
        vec![matched, cloud("c-soft", "soft@contoso.com")],
    );
    let first = world.sync();
    let world = world.after(&first);
    assert_eq!(world.links.len(), 3);
    let again = world.sync();
    assert_eq!(again.counts.pending(), 0, "{:#?}", again.users);
    assert_eq!(again.counts.no_change, 3);
    assert_eq!(again.exit_status(), 0);
    assert!(again.users.iter().all(|user| user.link.is_some()));
}

#[test]
fn updates_write_only_what_differs_compared_as_graph_compares_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    let user = world.user_mut("taro");
    user.display_name = Some("taro yamada".into()); // was "taro Yamada": case is a change
    user.user_principal_name = Some("TARO@contoso.com".into()); // case only: not a rename
    user.title = Some("Engineer".into());
    user.surname = None;
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::Update);
    let changes: Vec<(Property, PropertyValue, PropertyValue)> = taro
        .changes
        .iter()
        .map(|c| (c.property, c.old.clone(), c.new.clone()))
        .collect();
    assert_eq!(
        changes,
        [
            (
                Property::DisplayName,
                text("taro Yamada"),
                text("taro yamada")
            ),
            (Property::Surname, text("Yamada"), PropertyValue::Null),
            (Property::JobTitle, PropertyValue::Null, text("Engineer")),
        ]
    );
    assert_eq!(
        taro.graph_body(),
        serde_json::json!({"displayName": "taro yamada", "surname": null, "jobTitle": "Engineer"})
    );
}

#[test]
fn disabled_in_ad_disables_and_enabled_again_enables_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    world.user_mut("taro").user_account_control = Some(514);
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::Disable);
    assert_eq!(taro.changes[0].new, PropertyValue::Bool(false));
    assert_eq!(
        sync.guard.deletions, 0,
        "a disabled account is not a deletion"
    );
    let mut world = world.after(&sync);
    assert_eq!(world.sync().counts.pending(), 0);
    world.user_mut("taro").user_account_control = Some(512);
    let sync = world.sync();
    assert_eq!(record(&sync, "taro").action, Action::Enable);
}

#[test]
fn a_changed_anchor_is_an_export_error_like_connects_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    world.user_mut("taro").consistency_guid = Some(vec![9; 16]);
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::ExportError);
    assert_eq!(
        taro.export_errors[0].code,
        ExportErrorCode::SourceAnchorChanged
    );
    assert!(
        taro.export_errors[0]
            .message
            .contains("SourceAnchor attribute has changed")
    );
    assert_eq!(taro.link_update(None), LinkUpdate::Unchanged);
}

#[test]
fn a_linked_user_deleted_in_the_cloud_is_restored_and_one_purged_is_matched_again_issue_14() {
    let world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    let mut deleted = world.clone();
    let mut user = deleted.tenant.users.remove(0);
    user.other
        .insert("deletedDateTime".into(), "2026-11-20T08:00:00Z".into());
    user.job_title = Some("stale".into());
    deleted.tenant.deleted_users.push(user.clone());
    let sync = deleted.sync();
    let taro = record(&sync, "taro");
    assert_eq!(
        (taro.action, taro.cloud_user_id.as_deref()),
        (Action::Restore, Some(user.id.as_str()))
    );
    assert_eq!(
        changed(taro),
        [Property::JobTitle],
        "restored, then updated"
    );
    assert_eq!(deleted.after(&sync).sync().counts.pending(), 0);

    // Deleted more than 30 days before now: no longer restorable, so the user is created again.
    let mut purged = world.clone();
    let mut user = purged.tenant.users.remove(0);
    user.other
        .insert("deletedDateTime".into(), "2026-10-01T00:00:00Z".into());
    purged.tenant.deleted_users.push(user);
    let sync = purged.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::Create);
    assert!(
        taro.notes[0].contains("no longer exists"),
        "{:?}",
        taro.notes
    );
}

#[test]
fn leaving_users_follow_the_policy_and_cloud_only_users_are_never_touched_issue_14() {
    let mut world = World::new(
        vec![ad(1, "stays"), ad(2, "leaves")],
        vec![cloud("c-only", "cloudonly@contoso.com")],
    )
    .synced();
    world.settings.max_deletion_percent = 100; // one of two users: the guard has its own test
    world
        .users
        .retain(|user| user.sam_account_name.as_deref() != Some("leaves"));

    let sync = world.sync();
    let left = leaving(&sync, "leaves@contoso.com");
    assert_eq!(
        (left.action, left.link_state),
        (Action::Disable, Some(LinkState::Disabled))
    );
    assert_eq!(left.changes[0].new, PropertyValue::Bool(false));
    assert!(
        sync.users
            .iter()
            .all(|user| user.cloud_user_id.as_deref() != Some("c-only"))
    );
    assert_eq!(sync.guard.deletions, 1);

    // Disabled once, nothing more to do; the link remembers it.
    let disabled = world.clone().after(&sync);
    assert_eq!(
        disabled
            .links
            .iter()
            .find(|l| l.state == LinkState::Disabled)
            .map(|l| l.source_anchor.clone()),
        Some(anchor(2))
    );
    let again = disabled.sync();
    assert_eq!(
        leaving(&again, "leaves@contoso.com").action,
        Action::NoChange
    );
    assert_eq!(again.counts.pending(), 0);

    world.settings.leaving = LeavingPolicy::Delete;
    let sync = world.sync();
    let left = leaving(&sync, "leaves@contoso.com");
    assert_eq!(
        (left.action, left.link_state),
        (Action::Delete, Some(LinkState::Deleted))
    );
    let deleted = world.clone().after(&sync);
    assert_eq!(deleted.tenant.deleted_users.len(), 1);
    assert_eq!(deleted.sync().counts.pending(), 0, "already deleted");

    // The user comes back: restored from deleted items, not created again.
    let mut back = deleted.clone();
    back.users.push(ad(2, "leaves"));
    let sync = back.sync();
    let returned = record(&sync, "leaves");
    assert_eq!(returned.action, Action::Restore);
    assert_eq!(sync.counts.create, 0);
    let back = back.after(&sync);
    assert_eq!(back.tenant.users.len(), 3);
    assert_eq!(back.sync().counts.pending(), 0);

    world.settings.leaving = LeavingPolicy::Keep;
    let sync = world.sync();
    assert_eq!(
        leaving(&sync, "leaves@contoso.com").action,
        Action::NoChange
    );
    assert_eq!(sync.guard.deletions, 0);

    // A linked cloud user that is gone altogether: the link is forgotten.
    let mut gone = world.clone();
    gone.tenant
        .users
        .retain(|user| user.user_principal_name.as_deref() != Some("leaves@contoso.com"));
    let sync = gone.sync();
    let forgotten = sync.users.iter().find(|user| user.leaving).unwrap();
    assert_eq!(forgotten.action, Action::Forget);
    assert!(matches!(forgotten.link_update(None), LinkUpdate::Remove(_)));
}

#[test]
fn a_re_created_ad_object_keeps_its_link_through_the_anchor_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    // Written back by the first sync: mS-DS-ConsistencyGuid holds the anchor's bytes.
    assert_eq!(world.users[0].consistency_guid, Some(vec![1; 16]));
    let mut again = ad(7, "taro");
    again.consistency_guid = Some(vec![1; 16]);
    world.users = vec![again];
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::NoChange);
    assert!(taro.notes[0].contains("objectGUID changed"));
    assert!(
        !sync.users.iter().any(|user| user.leaving),
        "the old object is not leaving"
    );
    let LinkUpdate::Store(link) = taro.link_update(None) else {
        panic!("{:?}", taro.link_update(None))
    };
    assert_eq!(
        (link.object_guid, link.source_anchor.as_str()),
        (taro.object_guid.unwrap(), anchor(1).as_str())
    );
}

#[test]
fn a_cloud_user_linked_to_another_ad_user_is_not_joined_again_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    // Another AD user claims the same cloud user by its anchor while taro is still linked to it.
    let created = world.tenant.users[0].clone();
    let mut impostor = ad(2, "jiro");
    impostor.user_principal_name = created.user_principal_name.clone();
    impostor.mail = None;
    impostor.proxy_addresses.clear();
    world.users.push(impostor);
    // Soft match by UPN onto taro's cloud user: refused, it has an ImmutableID: invalid-soft-match.
    let sync = world.sync();
    assert_eq!(
        record(&sync, "jiro").export_errors[0].outcome,
        Some(Outcome::InvalidSoftMatch)
    );

    // A link to a cloud user that plan would hard-match for another AD user.
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    let mut cloud_user = world.tenant.users[0].clone();
    cloud_user.on_premises_immutable_id = Some(anchor(2));
    world.tenant.users[0] = cloud_user;
    world.users.push(ad(2, "jiro"));
    let sync = world.sync();
    let jiro = record(&sync, "jiro");
    assert_eq!(
        jiro.export_errors[0].code,
        ExportErrorCode::LinkedElsewhere,
        "{jiro:#?}"
    );
}

#[test]
fn names_held_by_other_cloud_users_are_export_errors_issue_14() {
    let mut world = World::new(
        vec![ad(1, "taro"), ad(2, "jiro")],
        vec![cloud("c-boss", "boss@contoso.com")],
    );
    world
        .settings
        .attributes
        .insert("userPrincipalName", Some("{sAMAccountName}@contoso.com"))
        .unwrap();
    // The match engine looks at the AD userPrincipalName; the override makes another one.
    world.user_mut("jiro").sam_account_name = Some("boss".into());
    let sync = world.sync();
    let jiro = record(&sync, "jiro");
    assert_eq!(
        jiro.export_errors[0].code,
        ExportErrorCode::UserPrincipalNameTaken
    );
    assert!(
        jiro.export_errors[0]
            .message
            .contains("`boss@contoso.com` (id `c-boss`)")
    );
    assert_eq!(record(&sync, "taro").action, Action::Create);

    // A linked user whose new mail is another cloud user's proxy address.
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    let mut boss = cloud("c-boss", "boss@contoso.com");
    boss.proxy_addresses.push("smtp:info@contoso.com".into());
    world.tenant.users.push(boss);
    world.user_mut("taro").mail = Some("info@contoso.com".into());
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(
        (taro.export_errors[0].code, taro.export_errors[0].property),
        (ExportErrorCode::MailTaken, Some(Property::Mail))
    );

    let mut twins = World::new(vec![ad(1, "taro"), ad(2, "jiro")], Vec::new());
    twins
        .settings
        .attributes
        .insert("userPrincipalName", Some("team@contoso.com"))
        .unwrap();
    let sync = twins.sync();
    for name in ["taro", "jiro"] {
        assert_eq!(
            record(&sync, name).export_errors[0].code,
            ExportErrorCode::DuplicateUserPrincipalName
        );
    }
}

#[test]
fn the_anchor_is_written_back_only_into_an_empty_consistency_guid_issue_14() {
    let mut world = World::new(vec![ad(1, "taro"), ad(2, "jiro")], Vec::new());
    world.user_mut("jiro").consistency_guid = Some(vec![2; 16]);
    let sync = world.sync();
    let step = record(&sync, "taro").anchor_writeback.clone().unwrap();
    assert_eq!(
        (
            step.system,
            step.attribute.as_str(),
            &step.before,
            &step.after,
            step.purpose
        ),
        (
            StepSystem::Ad,
            "mS-DS-ConsistencyGuid",
            &StepValue::Absent,
            &StepValue::Bytes(vec![1; 16]),
            StepPurpose::SetAnchor
        )
    );
    assert_eq!(step.target, world.users[0].dn);
    assert!(
        record(&sync, "jiro").anchor_writeback.is_none(),
        "already set"
    );
    assert_eq!(sync.counts.anchor_writeback, 1);

    world.settings.anchor_writeback = false;
    assert_eq!(world.sync().counts.anchor_writeback, 0);
    world.settings.anchor_writeback = true;
    world.engine.anchor_attribute =
        anchorsync_core::engine::source_anchor::AnchorAttribute::from_name("objectGUID");
    assert_eq!(
        world.sync().counts.anchor_writeback,
        0,
        "only for mS-DS-ConsistencyGuid"
    );
}

#[test]
fn the_deletion_guard_refuses_a_scope_change_and_an_allowance_lets_exactly_it_through_issue_14() {
    let users: Vec<OnPremUser> = (1..=10).map(|n| ad(n, &format!("user{n}"))).collect();
    let mut world = World::new(users, Vec::new()).synced();
    world.users.truncate(4); // a scope change: 6 of 10 leave
    let sync = world.sync();
    assert_eq!((sync.guard.deletions, sync.guard.managed), (6, 10));
    assert_eq!(sync.guard.verdict, GuardVerdict::Refused);
    assert!(sync.guard.reason.as_ref().unwrap().contains("(60.0 %)"));
    assert_eq!(sync.exit_status(), 1);
    let unchanged = world.clone().after(&sync);
    assert!(
        unchanged
            .tenant
            .users
            .iter()
            .all(|u| u.account_enabled == Some(true)),
        "nothing written"
    );

    world.allow_deletions = Some(5);
    assert!(world.sync().is_refused());
    world.allow_deletions = Some(6);
    let sync = world.sync();
    assert_eq!(sync.guard.verdict, GuardVerdict::Allowed);
    let after = world.clone().after(&sync);
    assert_eq!(
        after
            .tenant
            .users
            .iter()
            .filter(|u| u.account_enabled == Some(false))
            .count(),
        6
    );

    // One leaving user of ten is 10 %: within the default threshold.
    let mut nine = World::new(
        (1..=10).map(|n| ad(n, &format!("user{n}"))).collect(),
        Vec::new(),
    )
    .synced();
    nine.users.truncate(9);
    assert_eq!(nine.sync().guard.verdict, GuardVerdict::Pass);
    nine.users.truncate(8);
    assert_eq!(nine.sync().guard.verdict, GuardVerdict::Refused, "20 %");
}

#[test]
fn values_beyond_graphs_limits_are_export_errors_never_cut_issue_14() {
    let mut world = World::new(vec![ad(1, "taro"), ad(2, "jiro")], Vec::new());
    world.user_mut("taro").surname = Some("y".repeat(64));
    world.user_mut("jiro").surname = Some("y".repeat(65));
    let sync = world.sync();
    assert_eq!(record(&sync, "taro").action, Action::Create);
    let jiro = record(&sync, "jiro");
    assert_eq!(jiro.action, Action::ExportError);
    let error = &jiro.export_errors[0];
    assert_eq!(
        (error.code, error.property, error.limit),
        (
            ExportErrorCode::ValueTooLong,
            Some(Property::Surname),
            Some(64)
        )
    );
    assert!(error.message.starts_with("surname is 65 characters long"));

    // On an existing user too: the whole user waits, nothing is cut.
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    world.user_mut("taro").department = Some("d".repeat(65));
    world.user_mut("taro").title = Some("Engineer".into());
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(
        (taro.action, taro.export_errors[0].limit),
        (Action::ExportError, Some(64))
    );
    assert!(taro.changes.is_empty());
}

#[test]
fn a_deleted_user_carrying_the_anchor_is_restored_instead_of_created_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new());
    let mut deleted = cloud("c-deleted", "taro@contoso.com");
    deleted.on_premises_immutable_id = Some(anchor(1));
    deleted
        .other
        .insert("deletedDateTime".into(), "2026-11-25T00:00:00Z".into());
    world.tenant.deleted_users.push(deleted.clone());
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(
        (taro.action, taro.new_link),
        (Action::Restore, Some(LinkOrigin::Restored))
    );
    assert_eq!(taro.cloud_user_id.as_deref(), Some("c-deleted"));
    let engine_plan = plan(&world.users, &world.tenant, &world.engine);
    assert!(join_mismatches(&engine_plan, &sync).is_empty());

    let mut second = deleted.clone();
    second.id = "c-deleted-2".into();
    world.tenant.deleted_users.push(second);
    let sync = world.sync();
    assert_eq!(
        record(&sync, "taro").export_errors[0].code,
        ExportErrorCode::AmbiguousDeletedUsers
    );
}

#[test]
fn the_same_input_gives_the_same_bytes_whatever_the_order_read_issue_14() {
    let mut world = World::new(
        (1..=20).map(|n| ad(n, &format!("user{n:02}"))).collect(),
        vec![cloud("c-only", "only@contoso.com")],
    )
    .synced();
    world.users.truncate(15);
    world.users.push(ad(40, "newcomer"));
    let mut first = Vec::new();
    world.sync().write_json(&mut first).unwrap();
    let mut shuffled = world.clone();
    shuffled.users.reverse();
    shuffled.links.reverse();
    shuffled.tenant.users.reverse();
    let mut second = Vec::new();
    shuffled.sync().write_json(&mut second).unwrap();
    assert!(first == second, "the order of the inputs shows in the plan");
    let text = String::from_utf8(first).unwrap();
    assert!(
        text.starts_with("{\n  \"formatVersion\": 1,\n  \"settings\": {"),
        "{text}"
    );
    let read: SyncPlan = serde_json::from_str(&text).unwrap();
    assert_eq!(read, world.sync(), "the JSON reads back");
}

#[test]
fn rows_are_one_per_property_and_the_exit_status_says_whether_anything_is_pending_issue_14() {
    let mut world = World::new(vec![ad(1, "taro"), ad(2, "jiro")], Vec::new()).synced();
    world.user_mut("taro").title = Some("Engineer".into());
    world.user_mut("taro").department = Some("Sales".into());
    world.user_mut("jiro").surname = Some("y".repeat(70));
    let sync = world.sync();
    let rows = sync.rows();
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|row| {
            (
                row.user_principal_name.clone(),
                row.kind.clone(),
                row.property.clone(),
                row.new.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "jiro@contoso.com".into(),
                "export-error".into(),
                "surname".into(),
                String::new()
            ),
            (
                "taro@contoso.com".into(),
                "change".into(),
                "jobTitle".into(),
                "Engineer".into()
            ),
            (
                "taro@contoso.com".into(),
                "change".into(),
                "department".into(),
                "Sales".into()
            ),
        ]
    );
    assert_eq!(SyncPlan::row_fields().len(), 10);
    assert_eq!(sync.exit_status(), 1);
}

#[test]
fn links_that_name_a_user_twice_are_refused_issue_14() {
    let world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    let mut twice = world.clone();
    let mut copy = twice.links[0].clone();
    copy.cloud_user_id = "other".into();
    twice.links.push(copy);
    assert!(matches!(
        twice.try_sync(),
        Err(SyncError::LinkedTwice { .. })
    ));
    let mut twice = world;
    let mut copy = twice.links[0].clone();
    copy.object_guid = "88666888-0101-1111-bbbb-1234567890ab".parse().unwrap();
    twice.links.push(copy);
    assert!(matches!(
        twice.try_sync(),
        Err(SyncError::CloudUserLinkedTwice { .. })
    ));
}

#[test]
fn read_only_proxy_addresses_are_reported_not_written_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    world
        .user_mut("taro")
        .proxy_addresses
        .push("smtp:t.yamada@contoso.com".into());
    world.tenant.users[0]
        .proxy_addresses
        .push("smtp:sales@contoso.com".into());
    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::NoChange);
    assert_eq!(taro.differences.len(), 1);
    assert_eq!(
        (&taro.differences[0].cloud, &taro.differences[0].expected),
        (
            &PropertyValue::List(vec!["smtp:sales@contoso.com".into()]),
            &PropertyValue::List(vec!["smtp:t.yamada@contoso.com".into()])
        )
    );
    assert_eq!(sync.counts.differences, 1);
    assert_eq!(
        sync.exit_status(),
        0,
        "a difference Graph cannot fix is not pending"
    );
}

#[test]
fn users_without_a_usable_object_guid_cannot_be_linked_issue_14() {
    let mut world = World::new(vec![ad(1, "taro")], Vec::new()).synced();
    // The same objectGUID twice (an inventory that repeats an object), with different anchors.
    let mut copy = ad(1, "taro2");
    copy.consistency_guid = Some(vec![8; 16]);
    world.users.push(copy);
    let mut anonymous = ad(3, "nobody");
    anonymous.object_guid = None;
    anonymous.consistency_guid = Some(vec![3; 16]);
    world.users.push(anonymous);
    let sync = world.sync();
    for name in ["taro", "taro2"] {
        assert_eq!(
            record(&sync, name).export_errors[0].code,
            ExportErrorCode::DuplicateObjectGuid
        );
    }
    assert!(
        !sync.users.iter().any(|user| user.leaving),
        "the link is not leaving"
    );
    assert_eq!(
        record(&sync, "nobody").export_errors[0].code,
        ExportErrorCode::NoObjectGuid
    );
    assert_eq!(sync.counts.pending(), 0);
}

#[test]
fn a_cloud_user_another_client_synchronises_is_joined_only_without_writes_issue_14() {
    // Two hard matches on users another client still synchronises: one whose values already agree
    // (joined: only the link is stored), one whose department differs (Graph refuses the write).
    let mut taro = cloud("c1", "taro@contoso.com");
    let mut hana = cloud("c2", "hana@contoso.com");
    for (user, n) in [(&mut taro, 1), (&mut hana, 2)] {
        user.on_premises_immutable_id = Some(anchor(n));
        user.on_premises_sync_enabled = Some(true);
    }
    let world = World::new(vec![ad(1, "taro"), ad(2, "hana")], vec![taro, hana]);
    // Taro's values as AD gives them: the first sync of a separate world writes them.
    let mut agreeing = world.clone();
    agreeing.tenant.users[0].on_premises_sync_enabled = None;
    let first = agreeing.sync();
    let mut world = world;
    world.tenant.users[0] = agreeing.after(&first).tenant.users[0].clone();
    world.tenant.users[0].on_premises_sync_enabled = Some(true);
    world.user_mut("hana").department = Some("Finance".into());

    let sync = world.sync();
    let taro = record(&sync, "taro");
    assert_eq!(taro.action, Action::Join, "{taro:?}");
    assert!(taro.changes.is_empty());
    let hana = record(&sync, "hana");
    assert_eq!(hana.action, Action::ExportError, "{hana:?}");
    assert_eq!(
        hana.export_errors[0].code,
        ExportErrorCode::SyncedByAnotherClient
    );
    assert!(
        hana.export_errors[0]
            .message
            .contains("onPremisesSyncEnabled")
    );
}
