//! `anchorsync tenant show` and `anchorsync tenant matching`: the tenant's onPremisesSynchronization
//! features
//! (<https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronizationfeature>),
//! the three that decide matching first; and switching the soft-match and
//! hard-match blocks as a journaled run of kind `tenant-matching` (undoable like any run).

use std::io::Write as _;
use std::sync::Arc;

use anchorsync_core::tenant::OnPremisesSynchronization;
use anchorsync_executor::matching::matching_steps;
use anchorsync_executor::targets::tenant::{
    BLOCK_HARD_MATCH, BLOCK_SOFT_MATCH, MATCHING, features, read_sync_settings,
};
use anchorsync_executor::{Executor, Needs, RunSpec, TargetSettings, Targets};
use anchorsync_store::RunKind;
use anyhow::Context as _;
use serde_json::{Map, Value, json};

use crate::args::{OutputFormat, TenantCommand, TenantMatchingArgs, TenantShowArgs};
use crate::clock::SystemClock;
use crate::exit::ExitStatus;
use crate::journal;
use crate::progress::BarReporter;
use crate::settings::Settings;

pub fn run(command: &TenantCommand, settings: &Settings) -> anyhow::Result<ExitStatus> {
    match command {
        TenantCommand::Show(args) => show(args, settings),
        TenantCommand::Matching(args) => matching(args, settings),
    }
}

fn on_off(value: &Value) -> &'static str {
    if value.as_bool() == Some(true) {
        "on"
    } else {
        "off"
    }
}

async fn read_sync(targets: &Targets) -> anyhow::Result<OnPremisesSynchronization> {
    let client = targets
        .graph()
        .context("no Microsoft Graph connection was opened")?;
    Ok(read_sync_settings(client).await?)
}

/// The connection to the tenant alone.
fn graph_only(settings: &Settings) -> anyhow::Result<TargetSettings> {
    settings.targets(Needs {
        ad: false,
        graph: true,
    })
}

fn show(args: &TenantShowArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let connections = graph_only(settings)?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    let sync = runtime.block_on(async {
        let targets = Targets::connect(&connections, &reporter).await?;
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

fn matching(args: &TenantMatchingArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let connections = graph_only(settings)?;
    let data = settings.data()?;
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
        let targets = Arc::new(Targets::connect(&connections, &reporter).await?);
        // An interrupted switch is finished first (run again to resume, as for apply).
        if let Some(store) = data.open_existing()?
            && store.unfinished_of_kind(RunKind::TenantMatching)?.is_some()
        {
            drop(store);
            let (mut store, _lock) = data.open_for_writing()?;
            if let Some(run) = store.unfinished_of_kind(RunKind::TenantMatching)? {
                eprintln!("resuming the interrupted tenant-matching run `{}`", run.id);
                let mut executor =
                    Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter);
                let (_, status) = journal::run_and_report(&mut executor, data, &run).await?;
                eprintln!("run the command again for the switches asked for now");
                return Ok(status);
            }
        }
        let sync = read_sync(&targets).await?;
        let features = features(&sync);
        let steps = matching_steps(&sync, &wanted);
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
        let mut executor = Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter);
        let run = executor.create_run(
            RunKind::TenantMatching,
            RunSpec::default(),
            targets.description(),
            &steps,
        )?;
        let (run, status) = journal::run_and_report(&mut executor, data, &run).await?;
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
