//! One case per outcome: the on-premises users and cloud users built so that the match engine gives
//! exactly that outcome, and the cloud-only users that pad the tenant.

use crate::engine::Outcome;
use crate::identifier::encode_base64;
use crate::tenant::{CloudUser, RoleAssignment};

use super::accounts::{Account, escape_rdn};
use super::{
    AD_BASE, AD_DOMAIN, ADMIN_ROLES, Case, FEDERATED, GLOBAL_ADMINISTRATOR, Generator, MANAGED,
    OTHER_DOMAIN_SID, Rng,
};

/// How many cloud users a case of this outcome brings.
pub(super) fn cloud_users_of(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Create | Outcome::InvalidAnchor | Outcome::DuplicateAnchor => 0,
        Outcome::Ambiguous => 2,
        _ => 1,
    }
}

impl Generator {
    /// One case. Values that must not collide with other cases carry the case number.
    pub(super) fn case(&self, number: usize, outcome: Outcome) -> Case {
        let mut rng = Rng::new(
            self.config.seed.wrapping_mul(0x100_0000_01B3)
                ^ (number as u64).wrapping_mul(0x9E37_79B9),
        );
        let profile = self.profile(&mut rng, number, "");
        let local = profile.local.clone();
        let initial = self.initial_domain();
        let alt = format!("{}{}", profile.person.given_ascii, number);
        let mut account = Account {
            profile: &profile,
            upn: Some(format!("{local}@{MANAGED}")),
            primary: Some(format!("{local}@{MANAGED}")),
            secondary: Vec::new(),
            consistency_guid: None,
            object_guid: true,
        };
        if rng.chance(30) {
            account.secondary.push(format!(
                "{}.{}{number}@{MANAGED}",
                profile.person.family_ascii, alt
            ));
        }
        let mut cloud_users = Vec::new();
        let mut role_assignments = Vec::new();
        let mut entries = Vec::new();
        match outcome {
            Outcome::HardMatch => {
                if self.block_hard_match || rng.chance(30) {
                    // Already synchronised (a Connect reinstall): joined even with the block on.
                    account.consistency_guid = Some(profile.object_guid.to_vec());
                    let upn = format!("{local}@{MANAGED}");
                    let mut cloud = self.cloud_user(
                        &mut rng,
                        &profile,
                        &upn,
                        vec![format!("SMTP:{local}@{MANAGED}")],
                    );
                    cloud.on_premises_immutable_id = Some(encode_base64(&profile.object_guid));
                    let synced_from = if rng.chance(10) {
                        format!(
                            "CN={},OU=Old,DC=legacy,DC=example,DC=local",
                            escape_rdn(&profile.sam)
                        )
                    } else {
                        profile.dn.clone()
                    };
                    self.synced(&mut cloud, &synced_from, &profile.sid, &profile.sam, &upn);
                    cloud_users.push(cloud);
                } else {
                    // HENNGE switch-over done right: mS-DS-ConsistencyGuid holds the cloud ImmutableID.
                    let anchor = rng.bytes16();
                    account.consistency_guid = Some(anchor.to_vec());
                    account.upn = Some(format!("{local}@{FEDERATED}"));
                    account.primary = Some(format!("{local}@{FEDERATED}"));
                    let mut proxies = vec![format!("SMTP:{local}@{FEDERATED}")];
                    if rng.chance(10) {
                        proxies.push(format!("smtp:{alt}.team@{FEDERATED}"));
                    }
                    let mut cloud = self.cloud_user(
                        &mut rng,
                        &profile,
                        &format!("{local}@{FEDERATED}"),
                        proxies,
                    );
                    cloud.on_premises_immutable_id = Some(encode_base64(&anchor));
                    cloud_users.push(cloud);
                }
            }
            Outcome::HardMatchBlocked => {
                let anchor = rng.bytes16();
                account.consistency_guid = Some(anchor.to_vec());
                account.upn = Some(format!("{local}@{FEDERATED}"));
                account.primary = Some(format!("{local}@{FEDERATED}"));
                let mut cloud = self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{FEDERATED}"),
                    vec![format!("SMTP:{local}@{FEDERATED}")],
                );
                cloud.on_premises_immutable_id = Some(encode_base64(&anchor));
                cloud_users.push(cloud);
            }
            Outcome::SoftMatchSmtp => {
                let primary = format!("{local}@{MANAGED}");
                let (upn, proxies) = match rng.below(4) {
                    0 => (format!("{alt}@{initial}"), vec![format!("SMTP:{primary}")]),
                    1 => (
                        format!("{alt}@{MANAGED}"),
                        vec![format!("SMTP:{alt}@{MANAGED}"), format!("smtp:{primary}")],
                    ),
                    2 => {
                        // Seed 004: the on-premises UPN is the cloud primary SMTP address.
                        account.primary = Some(format!("{alt}.mail@{MANAGED}"));
                        (format!("{alt}@{initial}"), vec![format!("SMTP:{primary}")])
                    }
                    _ => {
                        // Seed 004: the on-premises primary SMTP address is the cloud UPN.
                        account.upn = Some(format!("{alt}.upn@{MANAGED}"));
                        (primary.clone(), Vec::new())
                    }
                };
                cloud_users.push(self.cloud_user(&mut rng, &profile, &upn, proxies));
            }
            Outcome::SoftMatchUpn => {
                account.primary = rng.chance(70).then(|| format!("{alt}.mail@{MANAGED}"));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{MANAGED}"),
                    Vec::new(),
                ));
            }
            Outcome::Create => match rng.below(4) {
                0 => {
                    account.upn = Some(format!("{local}@{FEDERATED}"));
                    account.primary = Some(format!("{local}@{FEDERATED}"));
                }
                1 => account.upn = Some(format!("{}@{AD_DOMAIN}", profile.sam)),
                _ => {}
            },
            Outcome::CreateWithConflict => {
                let other = self.profile(&mut rng, number, ".other");
                match rng.below(3) {
                    0 => {
                        // The UPN Entra would give (mailNickname@initial domain) is a cloud-only account's.
                        account.upn = Some(format!("{}@{AD_DOMAIN}", profile.sam));
                        account.secondary.clear();
                        let nickname = format!("{local}@{initial}");
                        cloud_users.push(self.cloud_user(&mut rng, &other, &nickname, Vec::new()));
                    }
                    1 => {
                        let alias =
                            format!("{}.sales{number}@{MANAGED}", profile.person.family_ascii);
                        account.secondary = vec![alias.clone()];
                        cloud_users.push(self.cloud_user(
                            &mut rng,
                            &other,
                            &format!("{}@{MANAGED}", other.local),
                            vec![
                                format!("SMTP:{}@{MANAGED}", other.local),
                                format!("smtp:{alias}"),
                            ],
                        ));
                    }
                    _ => {
                        // The same person provisioned again: a synced cloud user with this objectSid under
                        // an older anchor.
                        let other = self.twin(&mut rng, &profile, ".old");
                        let old = format!("{}@{MANAGED}", other.local);
                        let mut cloud =
                            self.cloud_user(&mut rng, &other, &old, vec![format!("SMTP:{old}")]);
                        cloud.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                        self.synced(
                            &mut cloud,
                            &format!("CN={},OU=Old,{AD_BASE}", escape_rdn(&other.sam)),
                            &profile.sid,
                            &other.sam,
                            &old,
                        );
                        cloud_users.push(cloud);
                    }
                }
            }
            Outcome::InvalidSoftMatch => {
                // HENNGE's case: a federated user carries the ImmutableID HENNGE Access Control gave it.
                account.upn = Some(format!("{local}@{FEDERATED}"));
                account.primary = Some(format!("{local}@{FEDERATED}"));
                let mut cloud = self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{local}@{FEDERATED}"),
                    vec![format!("SMTP:{local}@{FEDERATED}")],
                );
                cloud.on_premises_immutable_id = Some(if rng.chance(80) {
                    encode_base64(&rng.bytes16())
                } else {
                    format!("{:08}", 10_000_000 + number)
                });
                cloud_users.push(cloud);
            }
            Outcome::AdminRoleConflict => {
                let upn = format!("{local}@{MANAGED}");
                let cloud = self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                let role = rng.pick(ADMIN_ROLES).unwrap_or(GLOBAL_ADMINISTRATOR);
                role_assignments.push(self.role(&mut rng, &cloud.id, role));
                cloud_users.push(cloud);
            }
            Outcome::Ambiguous => {
                let other = self.profile(&mut rng, number, ".other");
                account.upn = Some(format!("{alt}.upn@{MANAGED}"));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &profile,
                    &format!("{alt}@{initial}"),
                    vec![format!("SMTP:{local}@{MANAGED}")],
                ));
                cloud_users.push(self.cloud_user(
                    &mut rng,
                    &other,
                    &format!("{alt}.upn@{MANAGED}"),
                    Vec::new(),
                ));
            }
            Outcome::InvalidAnchor => {
                if rng.chance(50) {
                    // Something other than Entra Connect wrote a long value into mS-DS-ConsistencyGuid.
                    let mut long = Vec::with_capacity(48);
                    for _ in 0..3 {
                        long.extend_from_slice(&rng.bytes16());
                    }
                    long.truncate(45);
                    account.consistency_guid = Some(long);
                } else {
                    account.object_guid = false;
                }
            }
            Outcome::DuplicateAnchor => {
                // An administrator copied an account, mS-DS-ConsistencyGuid included.
                let anchor = rng.bytes16().to_vec();
                account.consistency_guid = Some(anchor.clone());
                let twin = self.twin(&mut rng, &profile, ".adm");
                let twin_account = Account {
                    profile: &twin,
                    upn: Some(format!("{}@{MANAGED}", twin.local)),
                    primary: None,
                    secondary: Vec::new(),
                    consistency_guid: Some(anchor),
                    object_guid: true,
                };
                entries.push(self.entry(&twin_account));
            }
        }
        entries.insert(0, self.entry(&account));
        Case {
            outcome,
            entries,
            cloud_users,
            role_assignments,
        }
    }

    /// A cloud user no on-premises user reaches: leavers with a HENNGE-era ImmutableID, cloud-only staff,
    /// service accounts (some administrators), guests and orphans of an older sync.
    pub(super) fn cloud_only_user(&self, number: usize) -> (CloudUser, Option<RoleAssignment>) {
        let mut rng = Rng::new(
            self.config.seed.wrapping_mul(0xC1_0D00)
                ^ (number as u64).wrapping_mul(0xA076_1D64_78BD_642F),
        );
        let profile = self.profile(&mut rng, number, ".c");
        let local = profile.local.clone();
        let initial = self.initial_domain();
        let mut role = None;
        let user = match rng.below(20) {
            0..=7 => {
                let upn = format!("{local}@{FEDERATED}");
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                user.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                user.account_enabled = Some(rng.chance(30));
                user
            }
            8..=13 => {
                let upn = format!("{local}@{MANAGED}");
                self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")])
            }
            14..=15 => {
                let upn = format!("svc-{number}@{initial}");
                let mut user = self.cloud_user(&mut rng, &profile, &upn, Vec::new());
                user.display_name = Some(format!("Service account {number}"));
                if number.is_multiple_of(25) {
                    role = Some(self.role(&mut rng, &user.id, GLOBAL_ADMINISTRATOR));
                }
                user
            }
            16..=18 => {
                let address = format!("{local}@partner.example.net");
                let upn = format!("{}_partner.example.net#EXT#@{initial}", local);
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{address}")]);
                user.user_type = Some("Guest".to_owned());
                user.mail = Some(address);
                user
            }
            _ => {
                let upn = format!("{local}@{MANAGED}");
                let mut user =
                    self.cloud_user(&mut rng, &profile, &upn, vec![format!("SMTP:{upn}")]);
                user.on_premises_immutable_id = Some(encode_base64(&rng.bytes16()));
                let sid = format!("{OTHER_DOMAIN_SID}-{}", 5000 + number);
                self.synced(
                    &mut user,
                    &format!(
                        "CN={},OU=Staff,DC=legacy,DC=example,DC=local",
                        escape_rdn(&profile.sam)
                    ),
                    &sid,
                    &profile.sam,
                    &upn,
                );
                user
            }
        };
        (user, role)
    }
}
