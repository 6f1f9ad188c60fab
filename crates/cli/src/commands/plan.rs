//! `anchorsync plan`: read both sides, run the match engine, write the plan as a table, JSON or CSV.

pub(crate) mod spreadsheet;
pub(crate) mod table;

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::engine::index::CloudIndex;
use anchorsync_core::engine::pairing::JoinAttribute;
use anchorsync_core::engine::remediate::StrategyOptions;
use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::engine::{EngineSettings, plan_with};
use anchorsync_report::html::{ReportContext, ReportInput, render_plan_html};

use anyhow::Context as _;

use crate::args::{PlanArgs, PlanFormat};
use crate::colour::Palette;
use crate::exit::ExitStatus;
use crate::output::{PrintableText, write_to};
use crate::sources::{AdSource, CloudSource, plan_sources, read_ad, read_cloud};

pub fn run(args: &PlanArgs, config: &crate::settings::Settings) -> anyhow::Result<ExitStatus> {
    let timings = Timings::from_env();
    let ad = AdSource::parse(&args.ad);
    let cloud = CloudSource::parse(&args.cloud);
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::from_name(&args.anchor_attribute),
        anchor_encoding: args.anchor_encoding,
        smtp_match: args.smtp_match,
    };
    let join = match &args.join_attribute {
        Some(text) => Some(JoinAttribute::parse(text).ok_or_else(|| {
            anyhow::anyhow!(
                "`--join-attribute {text}` names no attribute; write `employeeId` or `AD=CLOUD`"
            )
        })?),
        None => None,
    };
    let mapping = match &args.mapping {
        Some(path) => crate::mapping::read_mapping(path)?,
        None => Vec::new(),
    };
    // Of the attributes beyond the standard ones, only the anchor (and a join attribute) are needed.
    let mut extra_attributes = vec![args.anchor_attribute.clone()];
    extra_attributes.extend(join.as_ref().map(|join| join.ad.clone()));
    let options = ReadOptions {
        extra_attributes: Some(extra_attributes),
    };
    if args.parse_only {
        return parse_only(&ad, &cloud, &options, config, &timings);
    }
    // The AD side is parsed in pieces on every core while this thread reads the snapshot and indexes
    // it; the plan starts as soon as both are there.
    std::thread::scope(|scope| {
        let ad_reader = scope.spawn(|| {
            let users = read_ad(&ad, &options, config);
            timings.mark("read AD");
            users
        });
        let tenant = read_cloud(&cloud, config);
        timings.mark("read tenant");
        let index = tenant.as_ref().ok().map(CloudIndex::new);
        timings.mark("index tenant");
        let users = ad_reader
            .join()
            .map_err(|_| anyhow::anyhow!("reading the AD users failed unexpectedly"))?;
        // An AD error is reported first: it is the input named first.
        let users = users?;
        let Some(index) = index else {
            // No index means the snapshot could not be read.
            return Err(tenant
                .err()
                .unwrap_or_else(|| anyhow::anyhow!("the tenant snapshot could not be read")));
        };
        let mut plan = plan_with(&users, index, &settings);
        timings.mark("match");
        if let Some(strategy) = args.strategy {
            let tenant = tenant
                .as_ref()
                .map_err(|error| anyhow::anyhow!("{error:#}"))?;
            let sources = plan_sources(&ad, &args.ad, &cloud, &args.cloud, tenant, config)?;
            let options = StrategyOptions {
                strategy,
                mapping: mapping.clone(),
                join: join.clone(),
            };
            plan = plan.with_strategy(&options, Some(sources));
            timings.mark("strategy");
        }
        write_to(args.output.as_deref(), |out| {
            match args.format {
                PlanFormat::Json => plan.write_json(out)?,
                PlanFormat::Table => {
                    let palette = Palette::for_output(args.output.as_deref());
                    let mut out = PrintableText::new(&mut *out, palette.is_enabled());
                    table::write(&mut out, &plan, palette)?;
                    std::io::Write::flush(&mut out)?;
                }
                PlanFormat::Csv => spreadsheet::write(out, &plan)?,
                PlanFormat::Html => {
                    let value = serde_json::to_value(plan.document())
                        .context("cannot put the plan into the HTML report")?;
                    let context = ReportContext {
                        generated_at: now(),
                        inputs: vec![
                            ReportInput {
                                role: "Active Directory".to_owned(),
                                source: args.ad.clone(),
                            },
                            ReportInput {
                                role: "Microsoft 365".to_owned(),
                                source: args.cloud.clone(),
                            },
                        ],
                    };
                    out.write_all(render_plan_html(&value, &context).as_bytes())?;
                }
            }
            Ok(())
        })?;
        timings.mark("write");
        let status = if plan.needs_attention() {
            ExitStatus::Attention
        } else {
            ExitStatus::Success
        };
        // The process ends next: freeing millions of strings one by one would only delay the exit by
        // seconds, and the system takes the memory back at once.
        std::mem::forget(plan);
        std::mem::forget(users);
        std::mem::forget(tenant);
        Ok(status)
    })
}

/// `plan --parse-only`: both sides read exactly as `plan` reads them (the AD side in pieces on every
/// core while this thread reads the snapshot), then counted. Nothing is indexed or matched: this is the
/// floor a plan's time is measured against.
fn parse_only(
    ad: &AdSource,
    cloud: &CloudSource,
    options: &ReadOptions,
    config: &crate::settings::Settings,
    timings: &Timings,
) -> anyhow::Result<ExitStatus> {
    std::thread::scope(|scope| {
        let ad_reader = scope.spawn(|| {
            let users = read_ad(ad, options, config);
            timings.mark("read AD");
            users
        });
        let tenant = read_cloud(cloud, config);
        timings.mark("read tenant");
        let users = ad_reader
            .join()
            .map_err(|_| anyhow::anyhow!("reading the AD users failed unexpectedly"))??;
        let tenant = tenant?;
        println!(
            "read {} and {}; no plan was made (`--parse-only`)",
            anchorsync_core::wording::count(users.len(), "on-premises user", "on-premises users"),
            anchorsync_core::wording::count(tenant.users.len(), "cloud user", "cloud users"),
        );
        // As in `plan`: the process ends next, and the system takes the memory back at once.
        std::mem::forget(users);
        std::mem::forget(tenant);
        Ok(ExitStatus::Success)
    })
}

/// The time a report says it was made: the binary's edge is where the clock is read (time is an
/// input: CONTRIBUTING.md).
#[allow(clippy::disallowed_methods)]
fn now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// Phase times on stderr when `ANCHORSYNC_TIMINGS` is set: what the benchmark reports, and what to
/// send when a plan is slower than expected.
struct Timings {
    start: Option<std::time::Instant>,
}

impl Timings {
    fn from_env() -> Self {
        Self {
            start: std::env::var_os("ANCHORSYNC_TIMINGS").map(|_| std::time::Instant::now()),
        }
    }

    fn mark(&self, phase: &str) {
        if let Some(start) = self.start {
            eprintln!(
                "timing: {phase} done at {:.3} s",
                start.elapsed().as_secs_f64()
            );
        }
    }
}
