//! `anchorsync convert`: every form of one identifier.

use std::io::Write as _;

use anchorsync_core::convert::{Conversion, convert};

use crate::args::{ConvertArgs, OutputFormat};
use crate::exit::ExitStatus;

pub fn run(args: &ConvertArgs) -> anyhow::Result<ExitStatus> {
    let conversion = convert(&args.value, args.from)?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &conversion)?;
            writeln!(stdout)?;
        }
        OutputFormat::Text => write_text(&mut stdout, &conversion)?,
    }
    Ok(ExitStatus::Success)
}

fn write_text(out: &mut impl std::io::Write, conversion: &Conversion) -> std::io::Result<()> {
    writeln!(out, "read as      {}", conversion.read_as)?;
    let rows = [
        ("guid", &conversion.guid),
        ("immutableId", &conversion.immutable_id),
        ("hex", &conversion.hex),
        ("ldapFilter", &conversion.ldap_filter),
        ("sid", &conversion.sid),
        ("text", &conversion.text),
    ];
    for (name, value) in rows {
        if let Some(value) = value {
            writeln!(out, "{name:<12} {value}")?;
        }
    }
    for warning in &conversion.warnings {
        writeln!(out, "\nwarning: {warning}")?;
    }
    if conversion.text.is_some() && conversion.guid.is_none() && conversion.sid.is_none() {
        writeln!(
            out,
            "\nUnder a Base64-encoding profile (HENNGE Directory Sync), a string attribute holding `text` \
             gives this immutableId."
        )?;
    }
    Ok(())
}
