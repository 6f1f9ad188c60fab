//! `anchorsync generate`: a synthetic AD inventory and tenant snapshot, written one case at a time so a
//! million-user pair never sits in memory whole.
//!
//! Writes `ad.ldif`, `tenant.json` (one cloud user per line) and `expected.json` (the configuration and
//! the outcome counts the engine must predict) into the output directory, each whole or not at all;
//! with `--demo` also `hac-users.csv`, the HENNGE Access Control user export of the federated users.

use std::io::{BufWriter, Write};

use anchorsync_ad::ldif::LdifWriter;
use anchorsync_core::synthetic::{Generator, Mix, SyntheticConfig};
use anchorsync_core::tenant::RoleAssignment;
use anchorsync_core::wording::count;
use anyhow::Context as _;
use serde_json::json;

use crate::args::GenerateArgs;
use crate::exit::ExitStatus;
use crate::output::write_to;

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitStatus> {
    let config = if args.demo {
        SyntheticConfig {
            tenant: args.tenant.clone(),
            ..SyntheticConfig::demo()
        }
    } else {
        SyntheticConfig {
            users: args.users.unwrap_or_default(),
            cloud_users: args.cloud_users,
            seed: args.seed,
            mix: match &args.mix {
                Some(mix) => Mix::parse(mix).context("reading `--mix`")?,
                None => Mix::realistic(),
            },
            tenant: args.tenant.clone(),
        }
    };
    let generator = Generator::new(config);
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create `{}`", args.output.display()))?;
    // Both files in one pass: each case's on-premises entries go to the LDIF, its cloud users to the
    // snapshot, the role assignments are kept for the end of the snapshot.
    let mut roles: Vec<RoleAssignment> = Vec::new();
    write_to(Some(&args.output.join("ad.ldif")), |ldif| {
        write_to(Some(&args.output.join("tenant.json")), |snapshot| {
            write_pair(&generator, ldif, snapshot, &mut roles)
        })
    })?;
    write_to(Some(&args.output.join("expected.json")), |out| {
        let config = generator.config();
        let expected = json!({
            "seed": config.seed,
            "users": config.users,
            "cloudUsers": generator.cloud_user_count(),
            "tenant": config.tenant,
            "mix": config.mix.to_string(),
            "summary": generator.expected_summary(),
        });
        serde_json::to_writer_pretty(&mut *out, &expected)?;
        writeln!(out)?;
        Ok(())
    })?;
    if args.demo {
        let tenant = crate::sources::read_snapshot(&args.output.join("tenant.json"))?;
        write_to(Some(&args.output.join("hac-users.csv")), |out| {
            write_hac_export(out, &tenant)
        })?;
    }
    eprintln!(
        "wrote {} and {} to `{}`",
        count(
            generator.config().users,
            "on-premises user",
            "on-premises users"
        ),
        count(generator.cloud_user_count(), "cloud user", "cloud users"),
        args.output.display()
    );
    Ok(ExitStatus::Success)
}

/// What HENNGE Access Control holds while it is the sync source: every user of a federated domain, with
/// the ImmutableID it sends at sign-in (the tenant's value). The columns follow the admin console's user
/// list; HENNGE does not publish the export format (README, `verify`).
fn write_hac_export(
    out: &mut (dyn Write + Send),
    tenant: &anchorsync_core::tenant::TenantSnapshot,
) -> anyhow::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record([
        "Username",
        "Login ID",
        "Family Name",
        "Given Name",
        "ImmutableID",
    ])?;
    let mut users: Vec<_> = tenant
        .users
        .iter()
        .filter(|user| {
            user.user_principal_name
                .as_deref()
                .and_then(|upn| tenant.domain_of(upn))
                .is_some_and(|domain| domain.is_federated())
        })
        .collect();
    users.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    for user in users {
        let upn = user.user_principal_name.as_deref().unwrap_or_default();
        writer.write_record([
            upn.split('@').next().unwrap_or_default(),
            upn,
            user.surname.as_deref().unwrap_or_default(),
            user.given_name.as_deref().unwrap_or_default(),
            user.on_premises_immutable_id.as_deref().unwrap_or_default(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

fn write_pair(
    generator: &Generator,
    ldif: &mut (dyn Write + Send),
    snapshot: &mut (dyn Write + Send),
    roles: &mut Vec<RoleAssignment>,
) -> anyhow::Result<()> {
    let config = generator.config();
    let mut ldif = LdifWriter::new(
        BufWriter::new(ldif),
        &format!(
            "Synthetic AD inventory written by `anchorsync generate --users {} --seed {}`.\nEvery user is \
             made up; the expected outcomes are in expected.json.",
            config.users, config.seed
        ),
    )?;
    for entry in generator.preamble() {
        ldif.write_entry(&entry)?;
    }
    snapshot.write_all(b"{\"users\":[")?;
    let mut first = true;
    let mut separator = |out: &mut (dyn Write + Send)| -> std::io::Result<()> {
        out.write_all(if std::mem::take(&mut first) {
            b"\n"
        } else {
            b",\n"
        })
    };
    for case in generator.cases() {
        for entry in &case.entries {
            ldif.write_entry(entry)?;
        }
        for user in &case.cloud_users {
            separator(snapshot)?;
            serde_json::to_writer(&mut *snapshot, user)?;
        }
        roles.extend(case.role_assignments);
    }
    for (user, role) in generator.cloud_only() {
        separator(snapshot)?;
        serde_json::to_writer(&mut *snapshot, &user)?;
        roles.extend(role);
    }
    ldif.finish()?.flush()?;
    snapshot.write_all(b"\n],\n\"domains\":")?;
    serde_json::to_writer(&mut *snapshot, &generator.domains())?;
    snapshot.write_all(b",\n\"roleAssignments\":")?;
    serde_json::to_writer(&mut *snapshot, roles)?;
    snapshot.write_all(b",\n\"onPremisesSynchronization\":")?;
    serde_json::to_writer(&mut *snapshot, &generator.synchronization())?;
    snapshot.write_all(b"}\n")?;
    Ok(())
}
