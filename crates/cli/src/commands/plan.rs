//! `anchorsync plan`: read both sides, run the match engine, write the plan as a table, JSON or CSV.

mod spreadsheet;
mod table;

use anchorsync_core::engine::source_anchor::AnchorAttribute;
use anchorsync_core::engine::{EngineSettings, plan};

use crate::args::{PlanArgs, PlanFormat};
use crate::exit::ExitStatus;
use crate::output::write_to;
use crate::sources::{AdSource, CloudSource, read_ad, read_cloud};

pub fn run(args: &PlanArgs) -> anyhow::Result<ExitStatus> {
    let timings = Timings::from_env();
    let ad = AdSource::parse(&args.ad);
    let cloud = CloudSource::parse(&args.cloud);
    // Both sides are read at once, on every core: the LDIF in pieces, the snapshot alongside.
    let (users, tenant) = rayon::join(
        || {
            let users = read_ad(&ad);
            timings.mark("read AD");
            users
        },
        || {
            let tenant = read_cloud(&cloud);
            timings.mark("read tenant");
            tenant
        },
    );
    let (users, tenant) = (users?, tenant?);
    let settings = EngineSettings {
        anchor_attribute: AnchorAttribute::from_name(&args.anchor_attribute),
        anchor_encoding: args.anchor_encoding,
        smtp_match: args.smtp_match,
    };
    let plan = plan(&users, &tenant, &settings);
    timings.mark("match");
    write_to(args.output.as_deref(), |out| {
        match args.format {
            PlanFormat::Json => plan.write_json(out)?,
            PlanFormat::Table => table::write(out, &plan)?,
            PlanFormat::Csv => spreadsheet::write(out, &plan)?,
        }
        Ok(())
    })?;
    timings.mark("write");
    Ok(if plan.needs_attention() {
        ExitStatus::Attention
    } else {
        ExitStatus::Success
    })
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
