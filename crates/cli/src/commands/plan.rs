//! `anchorsync plan`: read both sides, run the match engine, write the plan as a table, JSON or CSV.

mod spreadsheet;
mod table;

use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::engine::{EngineSettings, plan};
use anyhow::anyhow;

use crate::args::{PlanArgs, PlanFormat};
use crate::exit::ExitStatus;
use crate::output::write_to;
use crate::sources::{AdSource, CloudSource, read_ad, read_cloud};

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let ad = AdSource::parse(&args.ad);
    let cloud = CloudSource::parse(&args.cloud);
    // Both files are parsed at once, one per core: at a million users each takes seconds.
    let (users, tenant) = std::thread::scope(|scope| {
        let ad_reader = scope.spawn(|| read_ad(&ad));
        let tenant = read_cloud(&cloud);
        let users = ad_reader
            .join()
            .map_err(|_| anyhow!("reading the AD users failed unexpectedly"))?;
        anyhow::Ok((users?, tenant?))
    })?;
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::from_name(&args.anchor_attribute),
        anchor_encoding: args.anchor_encoding,
        smtp_match: args.smtp_match,
    };
    let plan = plan(&users, &tenant, &settings);
    write_to(args.output.as_deref(), |out| {
        match args.format {
            PlanFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, &plan.json())?;
                writeln!(out)?;
            }
            PlanFormat::Table => table::write(out, &plan)?,
            PlanFormat::Csv => spreadsheet::write(out, &plan)?,
        }
        Ok(())
    })?;
    Ok(if plan.needs_attention() {
        ExitStatus::Attention
    } else {
        ExitStatus::Success
    })
}
