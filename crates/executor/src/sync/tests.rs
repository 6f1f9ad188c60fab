use std::time::{Duration, UNIX_EPOCH};

use anchorsync_core::directory::{DirectoryEntry, OnPremUser};
use anchorsync_core::engine::{EngineSettings, Outcome};
use anchorsync_core::identifier::encode_base64;
use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem, StepValue};
use anchorsync_core::sync::{
    Action, Link, LinkOrigin, LinkState, SyncInput, SyncPlan, SyncSettings, plan_sync,
};
use anchorsync_core::tenant::{CloudUser, Domain, TenantSnapshot};

use super::*;

fn ad(n: u8, name: &str, upn_domain: &str, consistency_guid: bool) -> OnPremUser {
    let mut entry = DirectoryEntry::new(format!("CN={name},OU=Tokyo,DC=corp,DC=contoso,DC=com"));
    entry.push("objectGUID", vec![n; 16]);
    if consistency_guid {
        entry.push("mS-DS-ConsistencyGuid", vec![n; 16]);
    }
    entry.push("sAMAccountName", name);
    entry.push("userPrincipalName", format!("{name}@{upn_domain}"));
    entry.push("mail", format!("{name}@{upn_domain}"));
    entry.push("proxyAddresses", format!("SMTP:{name}@{upn_domain}"));
    entry.push("mailNickname", name);
    entry.push("displayName", format!("{name} Yamada"));
    entry.push("userAccountControl", "512");
    OnPremUser::from_entry(entry).unwrap()
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
    let domain = |id: &str, initial: bool, federated: bool| Domain {
        id: id.into(),
        is_initial: initial,
        is_verified: true,
        authentication_type: if federated { "Federated" } else { "Managed" }.into(),
        ..Domain::default()
    };
    TenantSnapshot {
        users,
        domains: vec![
            domain("contoso.onmicrosoft.com", true, false),
            domain("contoso.com", false, false),
            domain("fed.contoso.com", false, true),
        ],
        ..TenantSnapshot::default()
    }
}

fn sync(
    users: &[OnPremUser],
    tenant: &TenantSnapshot,
    links: &[Link],
    allow_deletions: Option<usize>,
) -> SyncPlan {
    plan_sync(&SyncInput {
        users,
        tenant,
        links,
        engine: &EngineSettings::default(),
        settings: &SyncSettings::default(),
        allow_deletions,
        now: UNIX_EPOCH + Duration::from_secs(1_796_083_200),
    })
    .unwrap()
}

#[test]
fn each_record_becomes_its_steps_and_link_change_issue_14() {
    // taro: created (anchor from objectGUID, so its mS-DS-ConsistencyGuid is written back);
    // hana: soft-matched by SMTP in a federated domain (the UPN workaround around the anchor);
    // ken: linked, left the scope (disabled).
    let users = [
        ad(1, "taro", "contoso.com", false),
        ad(2, "hana", "fed.contoso.com", true),
    ];
    let tenant = tenant(vec![
        cloud("id-hana", "hana@fed.contoso.com"),
        cloud("id-ken", "ken@contoso.com"),
    ]);
    let ken = Link {
        object_guid: "03030303-0303-0303-0303-030303030303".parse().unwrap(),
        cloud_user_id: "id-ken".into(),
        source_anchor: encode_base64(&[3; 16]),
        origin: LinkOrigin::Created,
        state: LinkState::Active,
    };
    let plan = sync(&users, &tenant, std::slice::from_ref(&ken), Some(1));
    let actions: Vec<Action> = plan.users.iter().map(|user| user.action).collect();
    assert_eq!(actions, [Action::Join, Action::Create, Action::Disable]);

    let built = SyncSteps::of(&plan, &tenant);
    let shape: Vec<(StepSystem, StepPurpose, &str, &str)> = built
        .steps
        .iter()
        .map(|step| {
            (
                step.system,
                step.purpose,
                step.operation.kind(),
                step.target.as_str(),
            )
        })
        .collect();
    let taro_anchor = encode_base64(&[1; 16]);
    assert_eq!(
        shape,
        [
            (
                StepSystem::Cloud,
                StepPurpose::FederatedUpnAway,
                "set",
                "id-hana"
            ),
            (StepSystem::Cloud, StepPurpose::Sync, "update", "id-hana"),
            (
                StepSystem::Cloud,
                StepPurpose::FederatedUpnBack,
                "set",
                "id-hana"
            ),
            (
                StepSystem::Cloud,
                StepPurpose::Sync,
                "create",
                taro_anchor.as_str()
            ),
            (
                StepSystem::Ad,
                StepPurpose::SetAnchor,
                "set",
                "CN=taro,OU=Tokyo,DC=corp,DC=contoso,DC=com"
            ),
            (StepSystem::Cloud, StepPurpose::Sync, "set", "id-ken"),
        ]
    );
    // The workaround moves hana to the initial domain and back; the anchor is set in between.
    let away = built.steps[0].change().unwrap();
    assert_eq!(
        away.after,
        StepValue::Text("hana@contoso.onmicrosoft.com".into())
    );
    let Operation::Update { changes } = &built.steps[1].operation else {
        panic!("not an update");
    };
    assert!(
        changes
            .iter()
            .any(|change| change.attribute == "onPremisesImmutableId")
    );
    // A create carries every value, never a password.
    let Operation::Create { properties, .. } = &built.steps[3].operation else {
        panic!("not a create");
    };
    assert!(
        properties
            .iter()
            .all(|property| !property.attribute.to_lowercase().contains("password"))
    );
    assert!(
        properties
            .iter()
            .any(|p| p.attribute == "userPrincipalName")
    );
    // Disabling ken is a boolean `set`.
    assert_eq!(
        built.steps[5].change().unwrap().after,
        StepValue::Text("false".into())
    );

    // Link changes wait for the step that makes them.
    type Expected = (
        Option<u32>,
        Option<u32>,
        Option<LinkOrigin>,
        Option<LinkState>,
    );
    let changes: Vec<Expected> = built
        .changes
        .iter()
        .map(|change| {
            (
                change.needs_seq,
                change.cloud_from_seq,
                change.after.as_ref().map(|link| link.origin),
                change.after.as_ref().map(|link| link.state),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                Some(2),
                None,
                Some(LinkOrigin::Joined {
                    outcome: Outcome::SoftMatchSmtp
                }),
                Some(LinkState::Active)
            ),
            (
                Some(4),
                Some(4),
                Some(LinkOrigin::Created),
                Some(LinkState::Active)
            ),
            (
                Some(6),
                None,
                Some(LinkOrigin::Created),
                Some(LinkState::Disabled)
            ),
        ]
    );
    assert_eq!(built.changes[2].before.as_ref(), Some(&ken));
}

#[test]
fn a_refused_guard_writes_nothing_issue_14() {
    let users: Vec<OnPremUser> = Vec::new();
    let tenant = tenant(vec![cloud("id-ken", "ken@contoso.com")]);
    let ken = Link {
        object_guid: "03030303-0303-0303-0303-030303030303".parse().unwrap(),
        cloud_user_id: "id-ken".into(),
        source_anchor: encode_base64(&[3; 16]),
        origin: LinkOrigin::Created,
        state: LinkState::Active,
    };
    let plan = sync(&users, &tenant, &[ken], None);
    assert!(plan.is_refused(), "{:?}", plan.guard);
    assert!(SyncSteps::of(&plan, &tenant).is_empty());
}
