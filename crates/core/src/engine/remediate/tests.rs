mod replan;

use super::*;
use crate::directory::OnPremUser;
use crate::engine::source_anchor::{AnchorAttribute, AnchorEncoding};
use crate::engine::{EngineSettings, Outcome, plan};
use crate::identifier::encode_base64;
use crate::remediation::{StepPurpose, StepSystem, StepValue};
use crate::tenant::{CloudUser, TenantSnapshot};
use crate::tenant::{Domain, OnPremisesSynchronization, RoleAssignment, SyncFeatures};

const GUID_A: [u8; 16] = [
    0x88, 0x68, 0x66, 0x88, 1, 1, 0x11, 0x11, 0xbb, 0xbb, 0x12, 0x34, 0x56, 0x78, 0x90, 0xab,
];
const GUID_B: [u8; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
const GUID_C: [u8; 16] = [
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
];

fn ad(cn: &str, upn: &str, guid: [u8; 16]) -> OnPremUser {
    OnPremUser {
        dn: format!("CN={cn},DC=corp"),
        user_principal_name: Some(upn.into()),
        proxy_addresses: vec![format!("SMTP:{upn}")],
        consistency_guid: Some(guid.to_vec()),
        ..OnPremUser::default()
    }
}

fn cloud(id: &str, upn: &str, immutable_id: Option<&str>) -> CloudUser {
    CloudUser {
        id: id.into(),
        user_principal_name: Some(upn.into()),
        proxy_addresses: vec![format!("SMTP:{upn}")],
        on_premises_immutable_id: immutable_id.map(Into::into),
        account_enabled: Some(true),
        ..CloudUser::default()
    }
}

fn tenant(users: Vec<CloudUser>) -> TenantSnapshot {
    let domain = |id: &str, federated: bool, initial: bool| Domain {
        id: id.into(),
        authentication_type: if federated { "Federated" } else { "Managed" }.into(),
        is_initial: initial,
        is_verified: true,
        ..Domain::default()
    };
    TenantSnapshot {
        users,
        domains: vec![
            domain("contoso.onmicrosoft.com", false, true),
            domain("example.com", false, false),
            domain("example.co.jp", true, false),
        ],
        ..TenantSnapshot::default()
    }
}

fn with_features(
    mut tenant: TenantSnapshot,
    soft_blocked: bool,
    hard_blocked: bool,
) -> TenantSnapshot {
    tenant.on_premises_synchronization = Some(OnPremisesSynchronization {
        id: "t".into(),
        features: SyncFeatures {
            block_soft_match_enabled: Some(soft_blocked),
            block_cloud_object_takeover_through_hard_match_enabled: Some(hard_blocked),
            ..SyncFeatures::default()
        },
        ..OnPremisesSynchronization::default()
    });
    tenant
}

fn admin(tenant: &mut TenantSnapshot, id: &str) {
    tenant.role_assignments.push(RoleAssignment {
        id: format!("r-{id}"),
        principal_id: id.into(),
        role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        ..RoleAssignment::default()
    });
}

fn run_with(
    users: &[OnPremUser],
    tenant: &TenantSnapshot,
    strategy: Strategy,
    settings: &EngineSettings,
) -> Vec<Remediation> {
    let options = StrategyOptions {
        strategy,
        mapping: Vec::new(),
        join: None,
    };
    let plan = plan(users, tenant, settings).with_strategy(&options, None);
    plan.remediation.map(|r| r.users).unwrap_or_default()
}

fn run(users: &[OnPremUser], tenant: &TenantSnapshot, strategy: Strategy) -> Vec<Remediation> {
    run_with(users, tenant, strategy, &EngineSettings::default())
}

fn refused(remediation: &Remediation) -> (&str, Option<Strategy>) {
    assert!(!remediation.fixable, "{remediation:?}");
    assert!(remediation.steps.is_empty());
    (
        remediation.reason.as_deref().unwrap_or(""),
        remediation.alternative,
    )
}

#[test]
fn hard_ad_writes_the_decoded_bytes_and_predicts_a_hard_match() {
    let cloud_id = encode_base64(&GUID_B);
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let tenant = tenant(vec![cloud("c1", "taro@example.com", Some(&cloud_id))]);
    let [r] = run(&users, &tenant, Strategy::HardAd).try_into().unwrap();
    assert!(r.fixable, "{r:?}");
    assert_eq!(r.paired_by, ["primarySmtp", "userPrincipalName"]);
    assert_eq!(r.outcome_after.map(Outcome::as_str), Some("hard-match"));
    assert_eq!(
        r.steps,
        [RemediationStep {
            system: StepSystem::Ad,
            target: "CN=Taro,DC=corp".into(),
            label: "taro@example.com".into(),
            attribute: "mS-DS-ConsistencyGuid".into(),
            before: StepValue::Bytes(GUID_A.to_vec()),
            after: StepValue::Bytes(GUID_B.to_vec()),
            purpose: StepPurpose::SetAnchor,
        }]
    );
}

#[test]
fn hard_ad_under_base64_writes_the_decoded_text_of_a_string_attribute() {
    let mut user = ad("Taro", "taro@example.com", GUID_A);
    user.employee_id = Some("E1".into());
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::Named("employeeID".into()),
        anchor_encoding: AnchorEncoding::Base64,
        ..EngineSettings::default()
    };
    let tenant = tenant(vec![cloud(
        "c1",
        "taro@example.com",
        Some(&encode_base64(b"E10023")),
    )]);
    let [r] = run_with(&[user], &tenant, Strategy::HardAd, &settings)
        .try_into()
        .unwrap();
    assert!(r.fixable, "{r:?}");
    assert_eq!(r.steps[0].attribute, "employeeID");
    assert_eq!(r.steps[0].before, StepValue::Text("E1".into()));
    assert_eq!(r.steps[0].after, StepValue::Text("E10023".into()));
    assert_eq!(r.outcome_after.map(Outcome::as_str), Some("hard-match"));
}

#[test]
fn hard_ad_refusals_name_the_strategy_that_works() {
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let case = |immutable_id: Option<&str>| {
        let tenant = tenant(vec![cloud("c1", "taro@example.com", immutable_id)]);
        let [r] = run(&users, &tenant, Strategy::HardAd).try_into().unwrap();
        r
    };
    let r = case(None);
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("no ImmutableID"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardCloud));
    let r = case(Some("260051"));
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("not canonical Base64"), "{reason}");
    assert_eq!(alternative, Some(Strategy::Soft));
    let r = case(Some("AQID"));
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("3 bytes"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardCloud));
    // Already the value: nothing to do.
    let r = case(Some(&encode_base64(&GUID_A)));
    let (reason, alternative) = refused(&r);
    assert!(reason.starts_with("nothing to do"), "{reason}");
    assert_eq!(
        (alternative, r.outcome_after.map(Outcome::as_str)),
        (None, Some("hard-match"))
    );
}

#[test]
fn hard_ad_refuses_object_guid_and_a_value_another_object_holds() {
    let users = [
        ad("Taro", "taro@example.com", GUID_A),
        ad("Other", "other@example.com", GUID_B),
    ];
    let tenant = tenant(vec![cloud(
        "c1",
        "taro@example.com",
        Some(&encode_base64(&GUID_B)),
    )]);
    let r = run(&users, &tenant, Strategy::HardAd);
    // Other already hard-matches c1, and Taro pairs with c1 by address: c1 is paired twice.
    let (reason, _) = refused(&r[1]);
    assert!(reason.contains("pairing conflict"), "{reason}");
    assert_eq!(
        r[1].pairing_conflicts.len(),
        2,
        "{:?}",
        r[1].pairing_conflicts
    );
    let (reason, alternative) = refused(&r[0]);
    assert!(
        reason.contains("paired with other on-premises users"),
        "{reason}"
    );
    assert_eq!(alternative, None);
    // With the mapping naming Taro's pair, the other object's anchor refuses the write.
    let options = StrategyOptions {
        strategy: Strategy::HardAd,
        mapping: vec![MappingEntry {
            line: 2,
            on_prem: crate::engine::pairing::OnPremKey::Dn("CN=Taro,DC=corp".into()),
            cloud: crate::engine::pairing::CloudKey::Id("c1".into()),
        }],
        join: None,
    };
    let settings = EngineSettings::default();
    let plan = plan(&users, &tenant, &settings).with_strategy(&options, None);
    let users_r = plan.remediation.map(|r| r.users).unwrap_or_default();
    let (reason, alternative) = refused(&users_r[0]);
    assert!(
        reason.contains("another AD object, `CN=Other,DC=corp`"),
        "{reason}"
    );
    assert_eq!(alternative, Some(Strategy::HardCloud));
    // objectGUID is not writable.
    let mut taro = ad("Taro", "taro@example.com", GUID_A);
    taro.object_guid = Some(crate::identifier::ObjectGuid::from_ad_bytes(GUID_A));
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::Named("objectGUID".into()),
        ..EngineSettings::default()
    };
    let tenant = tenant_with(cloud(
        "c1",
        "taro@example.com",
        Some(&encode_base64(&GUID_C)),
    ));
    let [r] = run_with(&[taro], &tenant, Strategy::HardAd, &settings)
        .try_into()
        .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("cannot be written"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardCloud));
}

fn tenant_with(user: CloudUser) -> TenantSnapshot {
    tenant(vec![user])
}

#[test]
fn hard_ad_under_raw_refuses_a_value_a_string_attribute_cannot_be() {
    let mut user = ad("Taro", "taro@example.com", GUID_A);
    user.employee_id = Some("E1".into());
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::Named("employeeID".into()),
        ..EngineSettings::default()
    };
    let tenant = tenant_with(cloud(
        "c1",
        "taro@example.com",
        Some(&encode_base64(&GUID_B)),
    ));
    let [r] = run_with(&[user], &tenant, Strategy::HardAd, &settings)
        .try_into()
        .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("string attribute `employeeID`"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardCloud));
}

#[test]
fn hard_cloud_sets_the_anchor_and_moves_a_federated_upn_away_and_back() {
    let managed = ad("Taro", "taro@example.com", GUID_A);
    let federated = ad("Hanako", "hanako@example.co.jp", GUID_B);
    let tenant = tenant(vec![
        cloud("c1", "taro@example.com", None),
        cloud("c2", "hanako@example.co.jp", Some("aGFuYWtv")),
    ]);
    let r = run(&[managed, federated], &tenant, Strategy::HardCloud);
    assert!(r[0].fixable && r[1].fixable, "{r:?}");
    assert_eq!(r[0].steps.len(), 1);
    assert_eq!(r[0].steps[0].before, StepValue::Absent);
    assert_eq!(r[0].steps[0].after, StepValue::Text(encode_base64(&GUID_A)));
    assert_eq!(r[0].outcome_after.map(Outcome::as_str), Some("hard-match"));
    let purposes: Vec<_> = r[1].steps.iter().map(|s| s.purpose).collect();
    assert_eq!(
        purposes,
        [
            StepPurpose::FederatedUpnAway,
            StepPurpose::SetImmutableId,
            StepPurpose::FederatedUpnBack
        ]
    );
    assert_eq!(
        r[1].steps[0].after,
        StepValue::Text("hanako@contoso.onmicrosoft.com".into())
    );
    assert_eq!(r[1].steps[1].before, StepValue::Text("aGFuYWtv".into()));
    assert_eq!(
        r[1].steps[2].after,
        StepValue::Text("hanako@example.co.jp".into())
    );
    assert_eq!(r[1].outcome_after.map(Outcome::as_str), Some("hard-match"));
}

#[test]
fn hard_cloud_predicts_blocked_when_the_tenant_blocks_takeovers() {
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let tenant = with_features(
        tenant_with(cloud("c1", "taro@example.com", None)),
        false,
        true,
    );
    let [r] = run(&users, &tenant, Strategy::HardCloud)
        .try_into()
        .unwrap();
    assert!(r.fixable);
    assert_eq!(
        r.outcome_after.map(Outcome::as_str),
        Some("hard-match-blocked")
    );
}

#[test]
fn hard_cloud_refusals() {
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let mut synced = cloud("c1", "taro@example.com", None);
    synced.on_premises_sync_enabled = Some(true);
    let [r] = run(&users, &tenant_with(synced), Strategy::HardCloud)
        .try_into()
        .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("synchronised"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardAd));
    let mut with_admin = tenant_with(cloud("c1", "taro@example.com", None));
    admin(&mut with_admin, "c1");
    let [r] = run(&users, &with_admin, Strategy::HardCloud)
        .try_into()
        .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("Global Administrator"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardAd));
    // Another cloud user holds the anchor: c2 is found by anchor, c1 by address, a pairing conflict;
    // the mapping settles it and the holder refuses.
    let two = tenant(vec![
        cloud("c1", "taro@example.com", None),
        cloud("c2", "ghost@example.com", Some(&encode_base64(&GUID_A))),
    ]);
    let [r] = run(&users, &two, Strategy::HardCloud).try_into().unwrap();
    let (reason, _) = refused(&r);
    assert!(
        reason.starts_with("pairing conflict: the current anchor finds `ghost@example.com`"),
        "{reason}"
    );
    // No valid anchor.
    let mut broken = ad("Taro", "taro@example.com", GUID_A);
    broken.consistency_guid = None;
    let [r] = run(
        &[broken],
        &tenant_with(cloud("c1", "taro@example.com", None)),
        Strategy::HardCloud,
    )
    .try_into()
    .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("no valid sourceAnchor"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardAd));
}

#[test]
fn soft_clears_the_immutable_id_and_predicts_the_soft_match() {
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let tenant = tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv")));
    let [r] = run(&users, &tenant, Strategy::Soft).try_into().unwrap();
    assert!(r.fixable, "{r:?}");
    assert_eq!(r.steps[0].purpose, StepPurpose::ClearImmutableId);
    assert_eq!(r.steps[0].after, StepValue::Absent);
    assert_eq!(
        r.outcome_after.map(Outcome::as_str),
        Some("soft-match-smtp")
    );
}

#[test]
fn soft_refusals() {
    let users = [ad("Hanako", "hanako@example.co.jp", GUID_A)];
    let tenant_f = tenant_with(cloud("c1", "hanako@example.co.jp", Some("aGFuYWtv")));
    let [r] = run(&users, &tenant_f, Strategy::Soft).try_into().unwrap();
    let (reason, alternative) = refused(&r);
    assert!(
        reason.contains("federated domain `example.co.jp`"),
        "{reason}"
    );
    assert_eq!(alternative, Some(Strategy::HardAd));
    let users = [ad("Taro", "taro@example.com", GUID_A)];
    let mut admin_tenant = tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv")));
    admin(&mut admin_tenant, "c1");
    let [r] = run(&users, &admin_tenant, Strategy::Soft)
        .try_into()
        .unwrap();
    let (reason, alternative) = refused(&r);
    assert!(
        reason.contains("never soft-matches onto an admin"),
        "{reason}"
    );
    assert_eq!(alternative, Some(Strategy::HardAd));
    let blocked = with_features(
        tenant_with(cloud("c1", "taro@example.com", Some("aGFuYWtv"))),
        true,
        false,
    );
    let [r] = run(&users, &blocked, Strategy::Soft).try_into().unwrap();
    let (reason, alternative) = refused(&r);
    assert!(reason.contains("blockSoftMatchEnabled"), "{reason}");
    assert_eq!(alternative, Some(Strategy::HardCloud));
    // Paired by the join attribute only: no address in common, so no soft match would find it.
    let mut user = ad("Taro", "taro@corp.local", GUID_A);
    user.employee_id = Some("E1".into());
    let mut c = cloud("c1", "t.yamada@example.com", Some("aGFuYWtv"));
    c.employee_id = Some("E1".into());
    let options = StrategyOptions {
        strategy: Strategy::Soft,
        mapping: Vec::new(),
        join: JoinAttribute::parse("employeeId"),
    };
    let tenant = tenant_with(c);
    let settings = EngineSettings::default();
    let users = [user];
    let plan = plan(&users, &tenant, &settings).with_strategy(&options, None);
    let r = &plan.remediation.as_ref().unwrap().users[0];
    assert_eq!(r.paired_by, ["joinAttribute"]);
    let (reason, alternative) = refused(r);
    assert!(
        reason.contains("neither the primary SMTP address nor the userPrincipalName"),
        "{reason}"
    );
    assert_eq!(alternative, Some(Strategy::HardCloud));
}

#[test]
fn a_change_that_would_end_ambiguous_is_not_fixable() {
    // Taro pairs with c1 by UPN; Jiro's primary address is a secondary address of c1. Once c1's
    // ImmutableID is cleared both soft-match c1: ambiguous, so the clear fixes nothing.
    let mut taro = ad("Taro", "taro@example.com", GUID_A);
    taro.proxy_addresses = vec!["SMTP:taro.y@example.com".into()];
    let mut jiro = ad("Jiro", "jiro@example.com", GUID_B);
    jiro.proxy_addresses = vec!["SMTP:sales@example.com".into()];
    let mut c1 = cloud("c1", "taro@example.com", Some("aGFuYWtv"));
    c1.proxy_addresses.push("smtp:sales@example.com".into());
    let tenant = tenant_with(c1);
    let r = run(&[jiro, taro], &tenant, Strategy::Soft);
    let (reason, _) = refused(&r[1]);
    assert!(reason.contains("would then give `ambiguous`"), "{reason}");
    assert_eq!(
        r[1].outcome_after.map(Outcome::as_str),
        Some("invalid-soft-match")
    );
}

#[test]
fn applying_steps_changes_ad_and_cloud_values() {
    let mut users = vec![ad("Taro", "taro@example.com", GUID_A)];
    let mut tenant = tenant_with(cloud("c1", "taro@example.com", None));
    let steps = [
        RemediationStep {
            system: StepSystem::Ad,
            target: "cn=taro,dc=corp".into(),
            label: String::new(),
            attribute: "employeeNumber".into(),
            before: StepValue::Absent,
            after: StepValue::Text("42".into()),
            purpose: StepPurpose::SetAnchor,
        },
        RemediationStep {
            system: StepSystem::Cloud,
            target: "c1".into(),
            label: String::new(),
            attribute: IMMUTABLE_ID.into(),
            before: StepValue::Absent,
            after: StepValue::Text("x".into()),
            purpose: StepPurpose::SetImmutableId,
        },
    ];
    apply_steps(&mut users, &mut tenant, &steps);
    assert_eq!(users[0].employee_number.as_deref(), Some("42"));
    assert_eq!(
        tenant.users[0].on_premises_immutable_id.as_deref(),
        Some("x")
    );
}
