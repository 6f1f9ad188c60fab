//! `lint --format html`: the JSON of `lint --format json`, rendered by `anchorsync_report::lint`.

use std::io::Write;

use anchorsync_report::html::{ReportContext, ReportInput};

use super::Linted;

pub fn write(
    out: &mut (dyn Write + Send),
    linted: &Linted,
    ad: &str,
    cloud: Option<&str>,
) -> anyhow::Result<()> {
    let mut json = Vec::new();
    super::write_json(&mut json, linted)?;
    let value: serde_json::Value = serde_json::from_slice(&json)?;
    let mut inputs = vec![ReportInput {
        role: "Active Directory".to_owned(),
        source: ad.to_owned(),
    }];
    if let Some(cloud) = cloud {
        inputs.push(ReportInput {
            role: "Microsoft 365".to_owned(),
            source: cloud.to_owned(),
        });
    }
    let context = ReportContext {
        generated_at: crate::clock::now(),
        inputs,
    };
    out.write_all(anchorsync_report::lint::render_lint_html(&value, &context).as_bytes())?;
    Ok(())
}
