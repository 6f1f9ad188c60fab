//! `anchorsync tenant show` and `anchorsync tenant matching`: the tenant's onPremisesSynchronization
//! features (graph.md §4), the three that decide matching first; and switching the soft-match and
//! hard-match blocks as a journaled run of kind `tenant-matching` (undoable like any run).

use std::io::Write as _;
use std::path::Path;

use anchorsync_core::remediation::StepValue;
use anchorsync_core::tenant::OnPremisesSynchronization;
use anchorsync_store::{NewRun, PlannedStep, RunKind};
use anyhow::Context as _;
use serde_json::{Map, Value, json};

use crate::args::{OutputFormat, TenantCommand, TenantMatchingArgs, TenantShowArgs};
use crate::clock;
use crate::config;
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal::{self, SET_TENANT_FEATURE, TENANT_SYSTEM, Targets};
use crate::progress::BarReporter;

const BLOCK_SOFT_MATCH: &str = "blockSoftMatchEnabled";
const BLOCK_HARD_MATCH: &str = "blockCloudObjectTakeoverThroughHardMatchEnabled";
const SOFT_MATCH_ON_UPN: &str = "softMatchOnUpnEnabled";

/// The switches that decide matching, with what each means when on.
const MATCHING: [(&str, &str); 3] = [
    (
        BLOCK_SOFT_MATCH,
        "on: no soft match by SMTP address or UPN for any user",
    ),
    (
        BLOCK_HARD_MATCH,
        "on: a hard match may not take over a cloud-managed user",
    ),
    (
        SOFT_MATCH_ON_UPN,
        "on: soft matching may also use the userPrincipalName",
    ),
];

pub fn run(
    command: &TenantCommand,
    config_path: Option<&Path>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitStatus> {
    match command {
        TenantCommand::Show(args) => show(args, config_path),
        TenantCommand::Matching(args) => matching(args, config_path, data_dir),
    }
}

/// Every feature as `name → on/off`, Graph's defaults for the matching ones when unset.
fn features(sync: &OnPremisesSynchronization) -> Map<String, Value> {
    let mut features = match serde_json::to_value(&sync.features) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    features.retain(|_, value| value.is_boolean());
    for (name, _) in MATCHING {
        features
            .entry(name.to_owned())
            .or_insert(Value::Bool(name == SOFT_MATCH_ON_UPN));
    }
    features
}

fn on_off(value: &Value) -> &'static str {
    if value.as_bool() == Some(true) {
        "on"
    } else {
        "off"
    }
}

async fn read_sync(targets: &Targets) -> anyhow::Result<OnPremisesSynchronization> {
    targets
        .graph()?
        .on_premises_synchronization()
        .await
        .context("cannot read the tenant's onPremisesSynchronization settings")?
        .context("the tenant has no onPremisesSynchronization settings")
}

fn show(args: &TenantShowArgs, config_path: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let loaded = config::load(config_path)?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    let sync = runtime.block_on(async {
        let targets = Targets::connect(&loaded, false, true, None, &reporter).await?;
        read_sync(&targets).await
    })?;
    let features = features(&sync);
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            let matching: Map<String, Value> = MATCHING
                .iter()
                .map(|(name, _)| {
                    (
                        (*name).to_owned(),
                        features.get(*name).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect();
            let mut sorted: Vec<_> = features.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            let all: Map<String, Value> = sorted
                .into_iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            serde_json::to_writer_pretty(
                &mut out,
                &json!({ "id": sync.id, "matching": matching, "features": all }),
            )?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            writeln!(out, "tenant {}", sync.id)?;
            writeln!(out, "matching:")?;
            for (name, meaning) in MATCHING {
                let value = features.get(name).unwrap_or(&Value::Null);
                writeln!(out, "  {name:<50} {:<3}  ({meaning})", on_off(value))?;
            }
            writeln!(out, "other features:")?;
            let mut others: Vec<_> = features
                .iter()
                .filter(|(name, _)| !MATCHING.iter().any(|(known, _)| known == name))
                .collect();
            others.sort_by(|a, b| a.0.cmp(b.0));
            for (name, value) in others {
                writeln!(out, "  {name:<50} {}", on_off(value))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn matching(
    args: &TenantMatchingArgs,
    config_path: Option<&Path>,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitStatus> {
    let loaded = config::load(config_path)?;
    let data = DataDir::resolve(data_dir)?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    let wanted: Vec<(&str, bool)> = [
        (BLOCK_SOFT_MATCH, args.block_soft_match),
        (BLOCK_HARD_MATCH, args.block_hard_match),
    ]
    .into_iter()
    .filter_map(|(name, switch)| switch.map(|switch| (name, switch.is_on())))
    .collect();
    runtime.block_on(async {
        let targets = Targets::connect(&loaded, false, true, None, &reporter).await?;
        // An interrupted switch is finished first (run again to resume, as for apply).
        if let Some(store) = data.open_existing()?
            && store.unfinished_of_kind(RunKind::TenantMatching)?.is_some()
        {
            drop(store);
            let (store, _lock) = data.open_for_writing()?;
            if let Some(run) = store.unfinished_of_kind(RunKind::TenantMatching)? {
                eprintln!("resuming the interrupted tenant-matching run `{}`", run.id);
                let (_, status) =
                    journal::run_and_report(&store, &data, &run, targets, &reporter).await?;
                eprintln!("run the command again for the switches asked for now");
                return Ok(status);
            }
        }
        let sync = read_sync(&targets).await?;
        let features = features(&sync);
        let steps: Vec<PlannedStep> = wanted
            .iter()
            .filter(|(name, on)| features.get(*name).and_then(Value::as_bool) != Some(*on))
            .map(|(name, on)| PlannedStep {
                user_dn: None,
                system: TENANT_SYSTEM.to_owned(),
                target: sync.id.clone(),
                label: Some(format!("tenant {}", sync.id)),
                attribute: (*name).to_owned(),
                purpose: SET_TENANT_FEATURE.to_owned(),
                before: StepValue::Text((!on).to_string()),
                after: StepValue::Text(on.to_string()),
            })
            .collect();
        let mut out = std::io::stdout().lock();
        for (name, on) in &wanted {
            let now = features.get(*name).unwrap_or(&Value::Null);
            let change = if now.as_bool() == Some(*on) {
                "already"
            } else {
                "will be"
            };
            writeln!(
                out,
                "{name}: {} now, {change} {}",
                on_off(now),
                if *on { "on" } else { "off" }
            )?;
        }
        if steps.is_empty() {
            writeln!(out, "nothing to change")?;
            return Ok(ExitStatus::Success);
        }
        if !args.yes {
            writeln!(
                out,
                "dry run: nothing was changed or journaled. Run again with `--yes` to switch."
            )?;
            return Ok(ExitStatus::Success);
        }
        drop(out);
        let (mut store, _lock) = data.open_for_writing()?;
        let now = clock::now();
        let new_run = NewRun {
            id: clock::run_id(now),
            kind: RunKind::TenantMatching,
            plan_sha256: None,
            plan_path: None,
            undoes: None,
            targets: serde_json::to_string(&targets.description)?,
            started_at: clock::rfc3339(now),
        };
        store.create_run(&new_run, &steps)?;
        let run = store.find_run(&new_run.id)?;
        let (run, status) =
            journal::run_and_report(&store, &data, &run, targets, &reporter).await?;
        if wanted.iter().any(|(_, on)| !on) {
            println!(
                "reminder: Microsoft advises keeping both blocks on except while matching. When matching is done, \
                 switch them back on: `anchorsync tenant matching --block-soft-match on --block-hard-match on --yes` \
                 (or `anchorsync undo {}`)",
                run.id
            );
        }
        Ok(status)
    })
}
