//! `anchorsync sync [--apply [--yes]] [--allow-deletions N]` and `sync status`: read AD and the
//! tenant, decide with `anchorsync_core::sync::plan_sync` (the one decision), print it, and with
//! `--apply` carry it out through the executor (`anchorsync_executor::sync`: the steps, the links,
//! the export errors). This module only wires and prints.
//!
//! Order of events with `--apply`: take the journal's lock; settle the links of any sync run a crash
//! left unsettled; resume an interrupted sync run to its end; read both sides and the links; decide;
//! print; refuse (journaled, nothing written) when the deletion guard says so; ask; connect; run;
//! settle the links; keep the export errors; write the run report.

mod status;
mod table;

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::sync::Arc;

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::directory::OnPremUser;
use anchorsync_core::engine::EngineSettings;
use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::sync::{SyncInput, SyncPlan, SyncSettings, plan_sync};
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_core::wording::{count, printable};
use anchorsync_executor::sync::{export_errors, settle_all};
use anchorsync_executor::{
    Executor, Needs, RunReport, RunSpec, SyncSteps, TargetSettings, Targets,
};
use anchorsync_store::{JournalStep, NewExportError, Run, RunKind, Settled, Store};
use anyhow::{Context as _, bail};
use serde::Serialize;

use crate::args::{SyncArgs, SyncCommand, SyncFormat, SyncRunArgs, SyncSources};
use crate::clock::SystemClock;
use crate::colour::Palette;
use crate::data_dir::DataDir;
use crate::exit::ExitStatus;
use crate::journal;
use crate::output::write_to;
use crate::progress::BarReporter;
use crate::settings::Settings;
use crate::sources::{AdSource, CloudSource, read_ad, read_cloud_for_sync};

pub fn run(args: &SyncArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    match &args.command {
        Some(SyncCommand::Status(status)) => status::run(status, settings),
        None => sync(&args.run, settings),
    }
}

/// Both sides, read for a sync, and the match engine's settings.
pub(crate) struct Sides {
    pub users: Vec<OnPremUser>,
    pub tenant: TenantSnapshot,
    pub engine: EngineSettings,
    pub ad: AdSource,
}

impl Sides {
    /// Reads AD (with the attributes `[sync]` reads) and the tenant (with its deleted users), at the
    /// same time.
    pub fn read(
        sources: &SyncSources,
        sync: &SyncSettings,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        let ad = AdSource::parse(&sources.ad);
        let cloud = CloudSource::parse(&sources.cloud);
        let engine = EngineSettings {
            anchor_attribute: AnchorAttribute::from_name(&sources.anchor_attribute),
            anchor_encoding: sources.anchor_encoding,
            smtp_match: sources.smtp_match,
        };
        let mut extra = vec![sources.anchor_attribute.clone()];
        extra.extend(sync.ad_attributes());
        let options = ReadOptions {
            extra_attributes: Some(extra),
        };
        let (users, tenant) = std::thread::scope(|scope| {
            let reader = scope.spawn(|| read_ad(&ad, &options, settings));
            let tenant = read_cloud_for_sync(&cloud, settings);
            let users = reader
                .join()
                .map_err(|_| anyhow::anyhow!("reading the AD users failed unexpectedly"))?;
            anyhow::Ok((users?, tenant?))
        })?;
        Ok(Self {
            users,
            tenant,
            engine,
            ad,
        })
    }

    /// The sync plan of these sides with `links`.
    pub fn plan(
        &self,
        links: &[anchorsync_core::sync::Link],
        sync: &SyncSettings,
        allow_deletions: Option<usize>,
    ) -> anyhow::Result<SyncPlan> {
        plan_sync(&SyncInput {
            users: &self.users,
            tenant: &self.tenant,
            links,
            engine: &self.engine,
            settings: sync,
            allow_deletions,
            now: crate::clock::now(),
        })
        .context("cannot decide the sync")
    }
}

fn sync(args: &SyncRunArgs, settings: &Settings) -> anyhow::Result<ExitStatus> {
    let sync_settings = settings.sync();
    if !args.apply {
        let links = match settings.data()?.open_existing()? {
            Some(store) => store.links()?,
            None => Vec::new(),
        };
        let sides = Sides::read(&args.sources, &sync_settings, settings)?;
        let plan = sides.plan(&links, &sync_settings, args.allow_deletions)?;
        write_plan(args, &plan)?;
        return Ok(if plan.exit_status() == 0 {
            ExitStatus::Success
        } else {
            ExitStatus::Attention
        });
    }
    let cloud = CloudSource::parse(&args.sources.cloud);
    if let CloudSource::File(path) = &cloud {
        bail!(
            "`sync --apply` writes to the tenant, but `--cloud {}` is a snapshot file: give `--cloud graph` (the \
             tenant of `[graph]`) or the tenant's Graph URL",
            path.display()
        );
    }
    let data = settings.data()?;
    let (mut store, _lock) = data.open_for_writing()?;
    let runtime = journal::runtime()?;
    let reporter = BarReporter::from_env();
    settle_all(&mut store)?;
    if let Some(run) = store.unfinished_of_kind(RunKind::Sync)? {
        let steps = store.steps(&run.id)?;
        let ad = AdSource::parse(&args.sources.ad);
        let connections = target_settings(
            settings,
            Needs::of(steps.iter().map(|j| &j.step)),
            &ad,
            &cloud,
        )?;
        eprintln!(
            "resuming the interrupted sync run `{}`, started {}",
            run.id, run.started_at
        );
        let concurrency = settings.concurrency(None)?;
        let (finished, settled) = runtime.block_on(async {
            let targets = Arc::new(Targets::connect(&connections, &reporter).await?);
            let mut executor =
                Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter)
                    .with_concurrency(concurrency);
            let finished = executor.run(&run).await;
            targets.close().await;
            let finished = finished?;
            let settled = executor.settle_links(&finished.run)?;
            anyhow::Ok((finished, settled))
        })?;
        let errors = export_errors(None, &finished.steps);
        let report = write_report(data, &finished.run, &finished.steps, None, settled, &errors)?;
        journal::write_summary(
            &mut std::io::stderr().lock(),
            Palette::PLAIN,
            &finished,
            &report,
        )?;
    }
    let links = store.links()?;
    let sides = Sides::read(&args.sources, &sync_settings, settings)?;
    let plan = sides.plan(&links, &sync_settings, args.allow_deletions)?;
    write_plan(args, &plan)?;
    // The run's summary goes with the plan when the plan is a table on stdout; otherwise to stderr,
    // so stdout stays the document asked for.
    let to_stdout = args.output.is_none() && args.format == SyncFormat::Table;
    // Locked only where the summary is written: the run's writes log to stderr from the runtime's
    // worker threads, and a lock held by this thread across the run would stop them.
    let summary = || -> Box<dyn std::io::Write> {
        if to_stdout {
            Box::new(std::io::stdout().lock())
        } else {
            Box::new(std::io::stderr().lock())
        }
    };
    let palette = if to_stdout {
        Palette::stdout()
    } else {
        Palette::PLAIN
    };
    if plan.is_refused() {
        let mut executor = Executor::new(
            &mut store,
            Arc::new(Targets::default()),
            &SystemClock,
            &reporter,
        );
        let run = executor.refuse(RunKind::Sync, spec(&plan), &description(settings, &cloud))?;
        let errors = export_errors(Some(&plan), &[]);
        let report = write_report(data, &run, &[], Some(&plan), Settled::default(), &errors)?;
        let mut out = summary();
        writeln!(
            out,
            "\n{}: the deletion guard refuses this run, so nothing was written. {}",
            palette.attention("refused"),
            printable(plan.guard.reason.as_deref().unwrap_or_default())
        )?;
        writeln!(
            out,
            "run {} (sync): {}",
            run.id,
            palette.attention("refused")
        )?;
        writeln!(out, "report: {}", report.display())?;
        return Ok(ExitStatus::Attention);
    }
    let built = SyncSteps::of(&plan, &sides.tenant);
    let needs = Needs::of(&built.steps);
    if needs.ad && matches!(sides.ad, AdSource::File(_)) {
        bail!(
            "this sync writes the anchor back to AD ({} into an empty `mS-DS-ConsistencyGuid`), but `--ad {}` is a \
             file: give `--ad ad` (the directory of `[ad]`), or set `anchor_writeback = false` in `[sync]`",
            count(plan.counts.anchor_writeback, "value", "values"),
            args.sources.ad
        );
    }
    if !built.steps.is_empty() && !args.yes {
        confirm(built.steps.len())?;
    }
    let connections = target_settings(settings, needs, &sides.ad, &cloud)?;
    // `[runs] concurrency`: users whose writes run at once (one user's in order), as for `apply`.
    let concurrency = settings.concurrency(None)?;
    let (finished, settled) = runtime.block_on(async {
        let targets = Arc::new(Targets::connect(&connections, &reporter).await?);
        let mut executor = Executor::new(&mut store, Arc::clone(&targets), &SystemClock, &reporter)
            .with_concurrency(concurrency);
        let run = executor.create_sync_run(spec(&plan), &description(settings, &cloud), &built)?;
        let finished = executor.run(&run).await;
        targets.close().await;
        let finished = finished?;
        let settled = executor.settle_links(&finished.run)?;
        anyhow::Ok((finished, settled))
    })?;
    let mut out = summary();
    let errors = export_errors(Some(&plan), &finished.steps);
    store.replace_export_errors(&finished.run.id, &errors)?;
    let report = write_report(
        data,
        &finished.run,
        &finished.steps,
        Some(&plan),
        settled,
        &errors,
    )?;
    // Links are written with their step as it finishes, so `settled` only counts stragglers: the
    // run's link changes by state say what the run did to the links.
    let changes = store.link_changes(&finished.run.id)?;
    let applied = |removal: bool| {
        changes
            .iter()
            .filter(|stored| stored.state == anchorsync_store::LinkChangeState::Applied)
            .filter(|stored| stored.change.after.is_none() == removal)
            .count()
    };
    let dropped = changes
        .iter()
        .filter(|stored| stored.state == anchorsync_store::LinkChangeState::Dropped)
        .count();
    writeln!(out)?;
    journal::write_summary(&mut out, palette, &finished, &report)?;
    writeln!(
        out,
        "  links: {} stored, {} removed, {} not made (their write did not succeed); {}",
        applied(false),
        applied(true),
        dropped.max(settled.dropped),
        if errors.is_empty() {
            "no export errors".to_owned()
        } else {
            palette
                .attention(count(errors.len(), "export error", "export errors"))
                .to_string()
        }
    )?;
    Ok(if finished.all_done() && errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Attention
    })
}

fn write_plan(args: &SyncRunArgs, plan: &SyncPlan) -> anyhow::Result<()> {
    write_to(args.output.as_deref(), |out| {
        match args.format {
            SyncFormat::Table => {
                table::write(out, plan, Palette::for_output(args.output.as_deref()))?;
            }
            SyncFormat::Json => plan.write_json(out)?,
            SyncFormat::Csv => write_csv(out, plan)?,
            SyncFormat::Html => {
                use anchorsync_report::html::{ReportContext, ReportInput};
                let mut json = Vec::new();
                plan.write_json(&mut json)?;
                let value: serde_json::Value = serde_json::from_slice(&json)
                    .context("cannot put the sync plan into the HTML report")?;
                let context = ReportContext {
                    generated_at: crate::clock::now(),
                    inputs: vec![
                        ReportInput {
                            role: "Active Directory".to_owned(),
                            source: args.sources.ad.clone(),
                        },
                        ReportInput {
                            role: "Microsoft 365".to_owned(),
                            source: args.sources.cloud.clone(),
                        },
                    ],
                };
                out.write_all(
                    anchorsync_report::sync_html::render_sync_html(&value, &context).as_bytes(),
                )?;
            }
        }
        Ok(())
    })
}

/// `sync --format csv`: [`SyncPlan::rows`] for Excel, as `plan --format csv` writes (UTF-8 with BOM,
/// CRLF, formula-looking cells guarded).
fn write_csv(out: &mut (dyn std::io::Write + Send), plan: &SyncPlan) -> anyhow::Result<()> {
    use crate::commands::plan::spreadsheet::{guard_formula, io_error};
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    writer
        .write_record(SyncPlan::row_fields())
        .map_err(io_error)?;
    for row in plan.rows() {
        writer
            .write_record(
                [
                    row.dn,
                    row.object_guid,
                    row.cloud_user_id,
                    row.user_principal_name,
                    row.action.as_str().to_owned(),
                    row.property,
                    row.old,
                    row.new,
                    row.kind,
                    row.message,
                ]
                .map(guard_formula),
            )
            .map_err(io_error)?;
    }
    writer.flush()?;
    Ok(())
}

/// The y/N question before the first write.
fn confirm(writes: usize) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "`sync --apply` asks before it writes, and stdin is not a terminal: add `--yes` to carry out the \
             {} without asking",
            count(writes, "write", "writes")
        );
    }
    eprint!(
        "\nCarry out {} now? Each is journaled first and checked against the value read. [y/N] ",
        count(writes, "write", "writes")
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        Ok(())
    } else {
        bail!("not confirmed: nothing was written")
    }
}

/// The run's fields: the SHA-256 of the plan it carries out, for the report.
fn spec(plan: &SyncPlan) -> RunSpec {
    use sha2::Digest as _;
    let mut json = Vec::new();
    let sha256 = plan.write_json(&mut json).ok().map(|()| {
        sha2::Sha256::digest(&json)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    });
    RunSpec {
        plan_sha256: sha256,
        ..RunSpec::default()
    }
}

/// Which tenant (and directory) a sync run writes to, as the journal records it before connecting.
fn description(settings: &Settings, cloud: &CloudSource) -> anchorsync_store::RunTargets {
    let graph_url = match cloud {
        CloudSource::Live { graph_url } => graph_url.as_deref(),
        CloudSource::File(_) => None,
    };
    anchorsync_store::RunTargets {
        ad: None,
        cloud: settings
            .graph(graph_url)
            .ok()
            .map(|graph| anchorsync_store::CloudTarget {
                tenant_id: graph.tenant_id,
                graph_url: graph.graph_url,
            }),
    }
}

/// The connections a run needs: `[ad]` (with `--ad`'s server), `[graph]` (with `--cloud`'s root).
fn target_settings(
    settings: &Settings,
    needs: Needs,
    ad: &AdSource,
    cloud: &CloudSource,
) -> anyhow::Result<TargetSettings> {
    let graph_url = match cloud {
        CloudSource::Live { graph_url } => graph_url.as_deref(),
        CloudSource::File(_) => None,
    };
    Ok(TargetSettings {
        ad: needs
            .ad
            .then(|| {
                let mut config = settings.ad()?;
                if let AdSource::Live { url: Some(url) } = ad {
                    config.servers = vec![url.clone()];
                }
                anyhow::Ok(config)
            })
            .transpose()?,
        graph: needs.graph.then(|| settings.graph(graph_url)).transpose()?,
        ad_connections: Some(settings.ad_connections()?),
    })
}

/// A sync run's report: the run report of every journaled command, and what the sync adds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncRunReport<'a> {
    #[serde(flatten)]
    report: RunReport<'a>,
    sync: SyncSection<'a>,
}

/// The sync's part of a run report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncSection<'a> {
    /// The plan's counts (none for a resumed run: its plan was made by the interrupted process).
    counts: Option<&'a anchorsync_core::sync::SyncCounts>,
    /// The deletion guard's verdict.
    guard: Option<&'a anchorsync_core::sync::DeletionGuard>,
    /// What happened to the links.
    links: Settled,
    /// The links this run made or changed, as stored.
    link_changes: Vec<LinkRecord>,
    /// The users the run could not write.
    export_errors: &'a [NewExportError],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkRecord {
    object_guid: String,
    state: anchorsync_store::LinkChangeState,
    after: Option<anchorsync_core::sync::Link>,
    before: Option<anchorsync_core::sync::Link>,
}

fn write_report(
    data: &DataDir,
    run: &Run,
    steps: &[JournalStep],
    plan: Option<&SyncPlan>,
    links: Settled,
    errors: &[NewExportError],
) -> anyhow::Result<std::path::PathBuf> {
    let journal_path = data.journal_path();
    let link_changes = Store::open(&journal_path)
        .and_then(|store| store.link_changes(&run.id))
        .with_context(|| format!("cannot read the journal `{}`", journal_path.display()))?
        .into_iter()
        .map(|stored| LinkRecord {
            object_guid: stored.change.object_guid.to_string(),
            state: stored.state,
            after: stored.change.after,
            before: stored.change.before,
        })
        .collect();
    let report = SyncRunReport {
        report: RunReport::new(run, steps, &[]),
        sync: SyncSection {
            counts: plan.map(|plan| &plan.counts),
            guard: plan.map(|plan| &plan.guard),
            links,
            link_changes,
            export_errors: errors,
        },
    };
    let path = data.report_path(&run.id);
    write_to(Some(&path), |out| {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    Ok(path)
}
