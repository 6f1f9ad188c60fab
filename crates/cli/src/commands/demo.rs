//! `anchorsync demo`: a HENNGE-style switch-over on bundled sample data (`crates/cli/demo/`) and the
//! Graph twin, started in this process on a loopback port. No server, no network, no configuration of
//! the user's.
//!
//! It follows HENNGE's recommended method and tells the whole story: plan; verify what AD, Microsoft 365
//! and HENNGE Access Control hold today; `hard-ad` (each cloud ImmutableID written into AD) carried out
//! on a copy of the AD export, since the demo has no domain controller (the LDIF `apply --emit ldif`
//! writes, applied as `ldapmodify` would: [`anchorsync_ad::ldif::changes`]); the tenant's hard-match
//! block switched off (journaled); plan and verify again, where every user hard-ad fixed agrees in all
//! three; `hard-cloud` for the users AD cannot take the value of (HENNGE's numeric ImmutableIDs),
//! applied to the twin, and what HENNGE's side must then do (its sync from AD carries the new value:
//! [`hennge`]); the last verify; and what the journal can undo.
//!
//! Each step runs the binary itself as a child process in the demo's directory, with the demo's own
//! `anchorsync.toml` (pointing at the twin) and journal, and shows the command and its output, all
//! within 100 columns ([`narrator`]).

mod hennge;
mod narrator;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anchorsync_ad::ldif::changes::apply_to_content;
use anchorsync_core::engine::{EngineSettings, Outcome, PlanDocument};
use anchorsync_core::remediation::Strategy;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_core::verify::VerifyReport;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use anyhow::{Context as _, bail};
use serde::de::DeserializeOwned;
use serde_json::Value;

use self::narrator::Narrator;
use crate::args::DemoArgs;
use crate::exit::ExitStatus;

/// The bundled AD inventory (made by `anchorsync generate --demo`, see `crates/cli/demo/README.md`).
pub const DEMO_LDIF: &[u8] = include_bytes!("../../demo/ad.ldif");
/// The bundled tenant snapshot.
pub const DEMO_TENANT: &[u8] = include_bytes!("../../demo/tenant.json");
/// The bundled HENNGE Access Control user export.
pub const DEMO_HAC: &[u8] = include_bytes!("../../demo/hac-users.csv");

/// The app registration the demo's twin accepts.
const DEMO_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000de70";

/// The files the demo writes, relative to its directory (the commands run there).
const AD_INPUT: &str = "input/ad.ldif";
const HAC_INPUT: &str = "input/hac-users.csv";
const AD_AFTER: &str = "ad-after-hard-ad.ldif";
const AD_CHANGES: &str = "ad-changes.ldif";
const HAC_AFTER: &str = "hac-users-after-sync.csv";

pub fn run(args: &DemoArgs, data_dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let out = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            dir.clone()
        }
        None => tempfile::Builder::new()
            .prefix("anchorsync-demo-")
            .tempdir()
            .context("cannot create a directory for the demo's files")?
            .keep(),
    };
    // The commands run inside `out`: every path they are given must not depend on where the demo runs.
    let out =
        std::path::absolute(&out).with_context(|| format!("cannot resolve `{}`", out.display()))?;
    let data_dir = match data_dir {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("cannot resolve `{}`", dir.display()))?,
        None => out.join("data"),
    };

    // The inputs.
    let input = out.join("input");
    std::fs::create_dir_all(&input)
        .with_context(|| format!("cannot create `{}`", input.display()))?;
    for (name, bytes) in [
        (AD_INPUT, DEMO_LDIF),
        ("input/tenant.json", DEMO_TENANT),
        (HAC_INPUT, DEMO_HAC),
    ] {
        let path = out.join(name);
        std::fs::write(&path, bytes)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let tenant: TenantSnapshot =
        serde_json::from_slice(DEMO_TENANT).context("the bundled tenant snapshot is not valid")?;
    let ad_users = anchorsync_ad::file::read_ldif_users(DEMO_LDIF, Path::new(AD_INPUT))
        .context("the bundled AD export is not valid")?;
    let hac_users = crate::hac::read_hac(&out.join(HAC_INPUT), &[])?;

    // The twin, serving the tenant on a loopback port, and a configuration that points at it.
    let secret = demo_secret();
    let tenant_id = tenant
        .on_premises_synchronization
        .as_ref()
        .map(|sync| sync.id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "00000000-0000-4000-8000-000000000001".to_owned());
    let twin = TwinServer::start(
        tenant.clone(),
        TwinConfig::new(tenant_id.clone())
            .with_client(AppClient::with_secret(DEMO_CLIENT_ID, secret.clone())),
    )
    .context("cannot start the Graph twin")?;
    let config = write_config(&out, &twin, &tenant_id, &secret)?;

    let mut say = Narrator::new(&out, &config, &data_dir)?;
    say.title("anchorsync demo: a HENNGE-style switch-over on sample data");
    say.line(&format!(
        "Everything the demo writes goes to `{}`. Nothing leaves this computer. Each step runs an \
         anchorsync command in that directory, shown after `$` with its output; the commands find the \
         demo's configuration and journal through ANCHORSYNC_CONFIG=anchorsync.toml and \
         ANCHORSYNC_DATA_DIR={}.",
        out.display(),
        shown_path(&data_dir, &out)
    ));

    say.step("The sample company");
    say.line(&format!(
        "An AD export of {} users (`{AD_INPUT}`), the Microsoft 365 tenant they should become \
         (`input/tenant.json`: {} cloud users, the federated domain {}, the initial domain {}), and \
         HENNGE Access Control's user list (`{HAC_INPUT}`: {} users), which signs the users of the \
         federated domain in today and sends each one's ImmutableID to Microsoft 365.",
        ad_users.len(),
        tenant.users.len(),
        federated_domains(&tenant),
        tenant
            .initial_domain()
            .map_or("(none)".to_owned(), |domain| format!("`{}`", domain.id)),
        hac_users.len(),
    ));
    say.line(&format!(
        "A local copy of the tenant runs at {} (the Graph twin, started by this demo; it stops when the \
         demo ends), and `anchorsync.toml` points anchorsync at it.",
        twin.base_url()
    ));

    // 1. plan and its HTML report.
    say.step("1. Plan: what would the first sync from AD do to each user today?");
    let cloud = ["--cloud", "graph"];
    say.run(&plan_args(AD_INPUT, &cloud, None, "html", "plan.html"))?;
    say.run(&plan_args(AD_INPUT, &cloud, None, "json", "plan.json"))?;
    let plan: PlanDocument = read_json(&out, "plan.json")?;
    say.line(&format!(
        "The match engine predicted Entra's decision for every user: {}. {} users need attention \
         before the switch-over; open `plan.html` in a browser for each one's reasons.",
        outcome_counts(plan.users.iter().map(|user| user.outcome)),
        plan.totals.need_attention,
    ));

    // 2. verify today.
    say.step("2. Verify: do AD, Microsoft 365 and HENNGE Access Control agree today?");
    say.run(&verify_args(AD_INPUT, HAC_INPUT, "verify-before.json"))?;
    let before: VerifyReport = read_json(&out, "verify-before.json")?;
    say.line(&format!(
        "{} Verify takes what the first sync does from the same match engine as `plan`, so the two \
         never disagree.",
        verify_counts(&before)
    ));
    let refused_federated = before
        .users
        .iter()
        .filter(|user| user.sign_in_risk && user.outcome == Outcome::InvalidSoftMatch)
        .count();
    if before.summary.sign_in_risks > 0 {
        let which = if refused_federated == before.summary.sign_in_risks {
            "For all of them".to_owned()
        } else {
            format!("For {refused_federated} of them")
        };
        say.line(&format!(
            "{} users of the federated domain would fail to sign in after the switch-over \
             (AADSTS51004). {which}, Microsoft 365 and HENNGE Access Control share the ImmutableID \
             HENNGE gave them, but AD has another sourceAnchor: the first sync refuses the match \
             (invalid-soft-match), and once HENNGE's sync reads AD, HAC sends AD's value while \
             Microsoft 365 keeps the old one.",
            before.summary.sign_in_risks
        ));
    }

    // 3. hard-ad, carried out on a copy of the export.
    say.step("3. Fix AD, HENNGE's recommended method: hard-ad");
    say.line(
        "hard-ad writes each cloud user's ImmutableID, Base64-decoded, into the AD user's \
         mS-DS-ConsistencyGuid. Microsoft 365 and HENNGE Access Control keep the value they already \
         share, so no sign-in breaks at any moment.",
    );
    say.run(&plan_args(
        AD_INPUT,
        &cloud,
        Some(Strategy::HardAd),
        "json",
        "plan-hard-ad.json",
    ))?;
    let hard_ad: PlanDocument = read_json(&out, "plan-hard-ad.json")?;
    let hard_ad_fixed = fixable(&hard_ad);
    let not_guids = not_guid_users(&hard_ad, &before);
    say.line(&format!(
        "{} users can be fixed this way.{}",
        hard_ad_fixed.len(),
        match not_guids.first() {
            Some((upn, value)) => format!(
                " {} cannot: their ImmutableID is one HENNGE made up, such as `{value}` (`{upn}`), \
                 which is not the Base64 of a GUID, so mS-DS-ConsistencyGuid cannot hold it (step 6).",
                not_guids.len()
            ),
            None => String::new(),
        }
    ));
    say.line(
        "Where anchorsync may not write to AD itself, the changes go to a file for the AD team:",
    );
    say.run(&[
        "apply",
        "plan-hard-ad.json",
        "--emit",
        "ldif",
        "-o",
        AD_CHANGES,
    ])?;
    let changes = std::fs::read(out.join(AD_CHANGES))
        .with_context(|| format!("cannot read `{AD_CHANGES}`"))?;
    let applied = apply_to_content(
        DEMO_LDIF,
        AD_INPUT,
        &changes,
        AD_CHANGES,
        &format!(
            "{AD_INPUT} with {AD_CHANGES} applied by `anchorsync demo`, as ldapmodify applies it to a \
             domain controller"
        ),
    )
    .context("cannot apply the emitted LDIF to the demo's AD export")?;
    if let Some(refused) = applied.refused.first() {
        bail!("the demo's AD export refused a change of `{AD_CHANGES}`: {refused}");
    }
    let ad_after = out.join(AD_AFTER);
    std::fs::write(&ad_after, &applied.ldif)
        .with_context(|| format!("cannot write `{}`", ad_after.display()))?;
    say.line(&format!(
        "On a domain controller: `ldapmodify -H ldaps://DC -D ADMIN -W -f {AD_CHANGES}`. Each record \
         deletes the value the plan expects and adds the new one, so a value changed since the plan is \
         refused. The demo has no domain controller, so it applies the same records to a copy of the \
         export with the same rules: `{AD_AFTER}`, {} records applied, none refused.",
        applied.applied
    ));

    // 4. The hard-match block, switched off for the switch-over (journaled).
    say.step("4. Open the tenant to hard matches for the switch-over");
    say.line(
        "The fixed users' cloud accounts are cloud-managed, and this tenant blocks hard-match takeovers \
         of them (blockCloudObjectTakeoverThroughHardMatchEnabled): the first sync would refuse every \
         fixed pair. The block goes off as a journaled run, so `undo` puts it back on; Microsoft's \
         advice is to keep it off only while matching.",
    );
    say.run(&["tenant", "matching", "--block-hard-match", "off", "--yes"])?;
    let switch_run = latest_run(&data_dir, "tenant-matching")?.map(|(id, _)| id);

    // 5. plan and verify again.
    say.step("5. Plan and verify again, with AD as hard-ad left it");
    say.run(&plan_args(
        AD_AFTER,
        &cloud,
        None,
        "json",
        "plan-after-hard-ad.json",
    ))?;
    let after_ad: PlanDocument = read_json(&out, "plan-after-hard-ad.json")?;
    let hard_matched = hard_ad_fixed
        .iter()
        .filter(|dn| outcome_of(&after_ad, dn) == Some(Outcome::HardMatch))
        .count();
    say.line(&format!(
        "{} (before: {} hard-match). {hard_matched} of the {} users hard-ad fixed now hard-match.",
        capitalised(&outcome_counts(
            after_ad.users.iter().map(|user| user.outcome)
        )),
        count_of(&plan, Outcome::HardMatch),
        hard_ad_fixed.len(),
    ));
    say.run(&verify_args(
        AD_AFTER,
        HAC_INPUT,
        "verify-after-hard-ad.json",
    ))?;
    let after_ad_verify: VerifyReport = read_json(&out, "verify-after-hard-ad.json")?;
    say.line(&format!(
        "{} Of the {} users hard-ad fixed, {} agree in AD, Microsoft 365 and HENNGE Access Control.{}",
        verify_counts(&after_ad_verify),
        hard_ad_fixed.len(),
        agreeing(&after_ad_verify, &hard_ad_fixed),
        if after_ad_verify.summary.sign_in_risks > 0 {
            format!(
                " {} users would still fail to sign in: those hard-ad could not fix.",
                after_ad_verify.summary.sign_in_risks
            )
        } else {
            String::new()
        }
    ));

    // 6. hard-cloud for the rest, and HENNGE's side.
    say.step("6. The users AD cannot take the value of: hard-cloud, then HENNGE's side");
    say.line(
        "For them, Microsoft 365 takes the AD sourceAnchor instead (hard-cloud: a federated user's UPN \
         moves to the initial domain, the ImmutableID is set, the UPN moves back). hard-cloud also gives \
         the cloud users that would only soft-match the AD value, which turns those soft matches into \
         hard ones.",
    );
    say.run(&plan_args(
        AD_AFTER,
        &cloud,
        Some(Strategy::HardCloud),
        "json",
        "plan-hard-cloud.json",
    ))?;
    let hard_cloud: PlanDocument = read_json(&out, "plan-hard-cloud.json")?;
    let hard_cloud_fixed = fixable(&hard_cloud);
    say.run(&["apply", "plan-hard-cloud.json", "--yes"])?;
    let apply_run = latest_run(&data_dir, "apply")?;
    say.run(&verify_args(
        AD_AFTER,
        HAC_INPUT,
        "verify-after-hard-cloud.json",
    ))?;
    let after_cloud: VerifyReport = read_json(&out, "verify-after-hard-cloud.json")?;
    let failing_now = after_cloud.summary.sign_in_risks;
    say.line(&format!(
        "{} {failing_now} users of the federated domain now fail to sign in (AADSTS51004): Microsoft \
         365 holds the AD value, but HENNGE Access Control still sends the one HENNGE made up.",
        verify_counts(&after_cloud)
    ));
    say.line(
        "That lasts until HENNGE's side carries the new value: once HENNGE's Directory Sync Tool syncs \
         from AD with ms-ds-consistencyGUID among the attributes it reads (as in HENNGE's sample \
         configuration), HAC sends the Base64 of mS-DS-ConsistencyGuid, the AD sourceAnchor. So in \
         production, run hard-cloud for these users in the same maintenance window as that first real \
         sync from AD (HENNGE's step: stop HAC's sync to Microsoft 365, start the sync from AD). The \
         demo cannot run HENNGE's tool; it writes the user list HAC will export after that sync:",
    );
    let (hac_after, carried) = hennge::after_directory_sync(
        DEMO_HAC,
        &anchorsync_ad::file::read_ldif_users(&applied.ldif, Path::new(AD_AFTER))
            .context("cannot read the changed AD export back")?,
        &EngineSettings::default(),
    )?;
    std::fs::write(out.join(HAC_AFTER), hac_after)
        .with_context(|| format!("cannot write `{HAC_AFTER}`"))?;
    say.line(&format!(
        "`{HAC_AFTER}`: {carried} users' ImmutableIDs replaced by their AD sourceAnchor, everything \
         else as it was."
    ));
    say.run(&verify_args(AD_AFTER, HAC_AFTER, "verify.json"))?;
    let last: VerifyReport = read_json(&out, "verify.json")?;
    let fixed: BTreeSet<&str> = hard_ad_fixed
        .iter()
        .chain(&hard_cloud_fixed)
        .map(String::as_str)
        .collect();
    let fixed_agreeing = fixed
        .iter()
        .filter(|dn| {
            last.users
                .iter()
                .any(|user| user.dn == **dn && all_three_agree(user))
        })
        .count();
    say.line(&format!(
        "{} Of the {} users the demo fixed ({} with hard-ad, {} with hard-cloud), {fixed_agreeing} \
         agree in AD, Microsoft 365 and HENNGE Access Control, and {} users would fail to sign in \
         (AADSTS51004).",
        verify_counts(&last),
        fixed.len(),
        hard_ad_fixed.len(),
        hard_cloud_fixed.len(),
        last.summary.sign_in_risks
    ));
    say.line(&format!(
        "Still to decide by hand (`verify.json`, `plan.html`): {}.",
        attention_left(&last)
    ));

    // 7. The first sync from AD: the test sync, then the sync, checked against plan.
    say.step("7. The first sync from AD, through Microsoft Graph");
    say.line(
        "Everything is ready for the switch-over's last step: the sync from AD. First the test sync, \
         which writes nothing and shows, per user and property, what the sync would do; then the sync \
         itself, each write journaled. (`anchorsync.toml` turns the anchor writeback to AD off: the \
         demo's AD is a file.)",
    );
    say.run(&plan_args(
        AD_AFTER,
        &cloud,
        None,
        "json",
        "plan-before-sync.json",
    ))?;
    let before_sync: PlanDocument = read_json(&out, "plan-before-sync.json")?;
    say.run(&[
        "sync",
        "--ad",
        AD_AFTER,
        "--format",
        "json",
        "-o",
        "sync-test.json",
    ])?;
    let test_sync: anchorsync_core::sync::SyncPlan = read_json(&out, "sync-test.json")?;
    say.run(&[
        "sync",
        "--ad",
        AD_AFTER,
        "--apply",
        "--yes",
        "--format",
        "json",
        "-o",
        "sync.json",
    ])?;
    let synced: anchorsync_core::sync::SyncPlan = read_json(&out, "sync.json")?;
    let mismatches = first_sync_mismatches(&before_sync, &test_sync, &synced);
    if let Some(first) = mismatches.first() {
        bail!(
            "the first sync did not join {} users as plan predicted; the first: {first}",
            mismatches.len()
        );
    }
    let flagged = synced
        .users
        .iter()
        .filter(|record| {
            record
                .export_errors
                .iter()
                .any(|error| error.code == anchorsync_core::sync::ExportErrorCode::PlanOutcome)
        })
        .count();
    say.line(&format!(
        "The sync did what the test sync showed. Every user it joined, it joined to the cloud user \
         `plan` named, with the outcome `plan` predicted ({} joined, {} created); the {flagged} users \
         `plan` flags are export errors carrying plan's reasons, and {} more are export errors Graph \
         would refuse (such as a cloud user another client still synchronises): nothing was written \
         for them, and `anchorsync sync status` lists them.",
        synced.counts.join,
        synced.counts.create,
        synced.counts.export_error - flagged
    ));

    // 8. What the journal keeps.
    say.step("8. The journal: every change can be undone");
    match &apply_run {
        Some((run, _)) => {
            say.line(
                "Without `--yes`, `undo` shows what it would reverse (newest first, each a \
                 compare-and-set, listed as `apply` lists its steps) and changes nothing:",
            );
            say.run(&["undo", run])?;
        }
        None => say.line("No apply run was recorded, so there is nothing to undo."),
    }
    if let Some(switch_run) = &switch_run {
        say.line(&format!(
            "After the first sync from AD has matched the users, put the hard-match block back on: \
             `anchorsync undo {switch_run} --yes`."
        ));
    }

    say.step("Done");
    say.line(&format!(
        "Files in `{}`: `plan.html` (the report), `plan.json`, `plan-hard-ad.json`, `{AD_CHANGES}`, \
         `{AD_AFTER}`, `plan-after-hard-ad.json`, `plan-hard-cloud.json`, `{HAC_AFTER}`, the verify \
         reports (`verify-before.json` to `verify.json`), `plan-before-sync.json`, the sync plans \
         (`sync-test.json`, `sync.json`), and the journal with its run reports (`{}`). \
         The twin has stopped; delete the directory when you no longer need it.",
        out.display(),
        shown_path(&data_dir, &out)
    ));
    drop(twin);
    Ok(ExitStatus::Success)
}

/// `plan` of `ad` against `cloud`, written as `format` to `output`.
/// The users whose first sync did not keep `plan`'s promise, one sentence each: the sync applied must
/// be the test sync, and each user's first sync must do what the match engine predicted.
fn first_sync_mismatches(
    plan: &PlanDocument,
    test_sync: &anchorsync_core::sync::SyncPlan,
    synced: &anchorsync_core::sync::SyncPlan,
) -> Vec<String> {
    use anchorsync_core::sync::{Action, ExportErrorCode};
    let mut mismatches = Vec::new();
    if test_sync.users != synced.users {
        mismatches.push("the sync decided otherwise than the test sync showed".to_owned());
    }
    for user in &plan.users {
        let Some(record) = synced
            .users
            .iter()
            .find(|record| record.dn.as_deref() == Some(user.dn.as_str()))
        else {
            mismatches.push(format!("`{}` is not in the sync", user.dn));
            continue;
        };
        // Graph may still refuse the values of a user the engine matches or creates: an export
        // error of the sync's own, not the plan's.
        let refused = record.action == Action::ExportError
            && record
                .export_errors
                .iter()
                .all(|error| error.code != ExportErrorCode::PlanOutcome);
        let kept = match user.outcome {
            Outcome::HardMatch | Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn => {
                refused
                    || (record.action == Action::Join && record.cloud_user_id == user.cloud_user_id)
            }
            Outcome::Create => refused || matches!(record.action, Action::Create | Action::Restore),
            _ => record.action == Action::ExportError && !refused,
        };
        if !kept {
            mismatches.push(format!(
                "`{}`: plan predicts {}, the sync did {}",
                user.dn,
                user.outcome,
                record.action.as_str()
            ));
        }
    }
    mismatches
}

fn plan_args<'a>(
    ad: &'a str,
    cloud: &[&'a str; 2],
    strategy: Option<Strategy>,
    format: &'a str,
    output: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["plan", "--ad", ad, cloud[0], cloud[1]];
    if let Some(strategy) = strategy {
        args.extend(["--strategy", strategy.as_str()]);
    }
    args.extend(["--format", format, "-o", output]);
    args
}

/// `verify` of `ad` against the twin and the HAC export `hac`, as JSON to `output`.
fn verify_args<'a>(ad: &'a str, hac: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "verify", "--ad", ad, "--hac", hac, "--format", "json", "-o", output,
    ]
}

/// The DNs of the users a strategy plan fixes.
fn fixable(plan: &PlanDocument) -> Vec<String> {
    plan.users
        .iter()
        .filter(|user| {
            user.remediation
                .as_ref()
                .is_some_and(|remediation| remediation.fixable)
        })
        .map(|user| user.dn.clone())
        .collect()
}

/// The users a hard-ad plan leaves to hard-cloud although the cloud holds an ImmutableID (one AD cannot
/// hold): their cloud userPrincipalName and that value, as verify read them.
fn not_guid_users(plan: &PlanDocument, verified: &VerifyReport) -> Vec<(String, String)> {
    plan.users
        .iter()
        .filter(|user| {
            user.outcome == Outcome::InvalidSoftMatch
                && user.remediation.as_ref().is_some_and(|remediation| {
                    !remediation.fixable && remediation.alternative == Some(Strategy::HardCloud)
                })
        })
        .filter_map(|user| verified.users.iter().find(|record| record.dn == user.dn))
        .filter_map(|record| {
            Some((
                record.cloud_user_principal_name.clone()?,
                record.cloud_immutable_id.clone()?,
            ))
        })
        .collect()
}

fn outcome_of(plan: &PlanDocument, dn: &str) -> Option<Outcome> {
    plan.users
        .iter()
        .find(|user| user.dn == dn)
        .map(|user| user.outcome)
}

fn count_of(plan: &PlanDocument, outcome: Outcome) -> usize {
    plan.summary.get(outcome)
}

/// `63 hard-match, 31 soft-match-smtp, ...`: the outcomes that occur, in the plan's order.
fn outcome_counts(outcomes: impl Iterator<Item = Outcome>) -> String {
    anchorsync_core::engine::Summary::of(outcomes).describe()
}

fn capitalised(text: &str) -> String {
    let mut characters = text.chars();
    characters.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(characters).collect()
    })
}

/// `200 users: 90 agree, ...`: verify's counts in a sentence.
fn verify_counts(report: &VerifyReport) -> String {
    capitalised(&format!("{}.", report.summary.describe()))
}

/// Whether AD, Microsoft 365 and (where it lists the user) the IdP hold the same value, and the first
/// sync hard-matches.
fn all_three_agree(user: &anchorsync_core::verify::VerifyRecord) -> bool {
    user.status == anchorsync_core::verify::VerifyStatus::Agree
        && user.source_anchor.is_some()
        && user.cloud_immutable_id == user.source_anchor
        && (user.idp_line.is_none() || user.idp_immutable_id == user.source_anchor)
        && !user.sign_in_risk
}

fn agreeing(report: &VerifyReport, dns: &[String]) -> usize {
    dns.iter()
        .filter(|dn| {
            report
                .users
                .iter()
                .any(|user| &user.dn == *dn && all_three_agree(user))
        })
        .count()
}

/// What still needs attention, by the engine's outcome.
fn attention_left(report: &VerifyReport) -> String {
    let left = outcome_counts(
        report
            .users
            .iter()
            .filter(|user| user.status.needs_attention() || user.sign_in_risk)
            .map(|user| user.outcome),
    );
    if left.is_empty() {
        "nothing".to_owned()
    } else {
        left
    }
}

/// The newest run of a kind in the data directory, with its report.
fn latest_run(data_dir: &Path, kind: &str) -> anyhow::Result<Option<(String, Value)>> {
    let runs = data_dir.join("runs");
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Ok(None);
    };
    let mut newest: Option<(String, String, Value)> = None;
    for path in entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
    {
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let report: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not JSON", path.display()))?;
        let (Some(id), Some(started)) = (
            report["run"]["id"].as_str().map(str::to_owned),
            report["run"]["startedAt"].as_str().map(str::to_owned),
        ) else {
            continue;
        };
        if report["run"]["kind"] == kind
            && newest
                .as_ref()
                .is_none_or(|(_, newest_start, _)| started > *newest_start)
        {
            newest = Some((id, started, report));
        }
    }
    Ok(newest.map(|(id, _, report)| (id, report)))
}

/// The demo's own `anchorsync.toml`: the twin's tenant, token endpoint and Graph root, and a secret in a
/// file beside it (never on a command line).
fn write_config(
    out: &Path,
    twin: &TwinServer,
    tenant_id: &str,
    secret: &str,
) -> anyhow::Result<PathBuf> {
    let secret_file = out.join("twin-client-secret");
    write_private(&secret_file, secret.as_bytes())?;
    let config = out.join("anchorsync.toml");
    let text = format!(
        "# Written by `anchorsync demo`: the Graph twin it started on a loopback port.\n[graph]\n\
         tenant_id = {}\nclient_id = {}\ntoken_url = {}\ngraph_url = {}\nclient_secret_file = {}\n\n\
         # The demo's AD is a file: the sync cannot write the anchor back to it.\n[sync]\n\
         anchor_writeback = false\n",
        toml_string(tenant_id),
        toml_string(DEMO_CLIENT_ID),
        toml_string(&twin.token_url()),
        toml_string(&twin.base_url()),
        toml_string(&secret_file.display().to_string()),
    );
    std::fs::write(&config, text)
        .with_context(|| format!("cannot write `{}`", config.display()))?;
    Ok(config)
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// A secret for the twin that exists only for this run.
fn demo_secret() -> String {
    use sha2::Digest as _;
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(format!("{now}:{}", std::process::id()).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn read_json<T: DeserializeOwned>(out: &Path, name: &str) -> anyhow::Result<T> {
    let path = out.join(name);
    let bytes =
        std::fs::read(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("`{}` is not as expected", path.display()))
}

/// A path inside the demo's directory relative to it, others as they are.
fn shown_path(path: &Path, out: &Path) -> String {
    path.strip_prefix(out).unwrap_or(path).display().to_string()
}

fn federated_domains(tenant: &TenantSnapshot) -> String {
    let domains: Vec<String> = tenant
        .domains
        .iter()
        .filter(|domain| domain.is_federated())
        .map(|domain| format!("`{}`", domain.id))
        .collect();
    if domains.is_empty() {
        "(none)".to_owned()
    } else {
        domains.join(", ")
    }
}
