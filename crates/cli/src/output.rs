//! Where a command's data goes: stdout, or a file written whole or not at all.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;

/// Runs `write` into stdout, or into a temporary file beside `path` that replaces `path` only when
/// `write` succeeded: an error never leaves a half-written or truncated file behind.
pub fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut (dyn Write + Send)) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut stdout = BufWriter::with_capacity(1 << 20, std::io::stdout());
        write(&mut stdout)?;
        stdout.flush()?;
        return Ok(());
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temporary = tempfile::Builder::new()
        .prefix(".anchorsync-")
        .tempfile_in(directory)
        .with_context(|| format!("cannot create a file in `{}`", directory.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, temporary);
    write(&mut out)?;
    let temporary = out
        .into_inner()
        .map_err(|error| error.into_error())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    temporary
        .as_file()
        .sync_all()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    // Replacing a file keeps its permissions; a new one is readable by its owner only (plans list every
    // user of the directory).
    if let Ok(existing) = std::fs::metadata(path) {
        std::fs::set_permissions(temporary.path(), existing.permissions())
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    temporary
        .persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}
