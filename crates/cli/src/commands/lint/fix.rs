//! `lint --fix`: the accepted fixes as a plan file `apply` carries out.

use std::path::Path;

use crate::args::LintArgs;

use super::Linted;

pub fn write_plan(
    _args: &LintArgs,
    _linted: &Linted,
    _path: &Path,
    _config: &crate::settings::Settings,
) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
