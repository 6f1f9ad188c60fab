//! Where a command's data goes: stdout, or a file written whole or not at all.
//!
//! A file is written to a temporary file beside it and renamed when complete. The temporary file is
//! removed when writing fails, and also when the process is interrupted (SIGINT, SIGTERM) while it
//! exists: [`Interrupted`] keeps the list of such files, and a thread waiting for those signals removes
//! them before the process exits.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use anyhow::Context as _;

/// Temporary files that exist now, removed if the process is interrupted before they are renamed.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The interruption watcher starts once, the first time a file is written.
static WATCHER: Once = Once::new();

/// A temporary file registered for removal on SIGINT/SIGTERM while this guard lives.
struct Interrupted(PathBuf);

impl Interrupted {
    fn register(path: &Path) -> Self {
        WATCHER.call_once(watch_signals);
        pending().push(path.to_owned());
        Self(path.to_owned())
    }
}

impl Drop for Interrupted {
    fn drop(&mut self) {
        pending().retain(|path| *path != self.0);
    }
}

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the list leaves it usable: it is only paths.
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Installs the SIGINT/SIGTERM handling (before the first temporary file exists, so none is missed)
/// and waits for them on a thread of its own: on either, the pending temporary files are removed and
/// the process exits as the shell reports a death by that signal (130, 143). Without the handler the
/// signal kills the process with no destructor run, which left `.anchorsync-*` files behind.
fn watch_signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        let streams = {
            let _context = runtime.enter();
            signal(SignalKind::interrupt()).and_then(|interrupt| {
                signal(SignalKind::terminate()).map(|terminate| (interrupt, terminate))
            })
        };
        let Ok((mut interrupt, mut terminate)) = streams else {
            return;
        };
        let watcher = std::thread::Builder::new()
            .name("interrupt".to_owned())
            .spawn(move || {
                let code = runtime.block_on(async {
                    tokio::select! {
                        _ = interrupt.recv() => 130,
                        _ = terminate.recv() => 143,
                    }
                });
                for path in pending().iter() {
                    let _ = std::fs::remove_file(path);
                }
                std::process::exit(code);
            });
        // Without the thread the signals would be caught and ignored: keep them fatal instead.
        if watcher.is_err() {
            stop_uninterruptible();
        }
    }
}

/// The watcher thread could not start after the handlers were installed: nothing would act on an
/// interruption, so the process stops here rather than becoming impossible to interrupt.
#[cfg(unix)]
fn stop_uninterruptible() {
    eprintln!("error: cannot start the thread that handles interruptions");
    std::process::exit(2);
}

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
    // Registered before the file exists, so that no moment of its life escapes the handler.
    let mut interrupted = None;
    let temporary = tempfile::Builder::new()
        .prefix(".anchorsync-")
        .make_in(directory, |temporary| {
            interrupted = Some(Interrupted::register(temporary));
            let mut options = std::fs::OpenOptions::new();
            options.read(true).write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            options.open(temporary)
        })
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
    // Renamed while the interruption handler cannot run: it either removed the temporary file before
    // (and the process ends before this), or finds it renamed, the file complete.
    let hold = pending();
    let persisted = temporary.persist(path).map_err(|error| error.error);
    drop(hold);
    drop(interrupted);
    persisted.with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

/// A writer for text meant to be read on a terminal (tables, lists, `check-anchor`'s verdicts): every
/// character that could act on the terminal is written visibly instead, as
/// [`anchorsync_core::wording::printable_lines`] does (`\u{1b}`, `\r`, bidirectional controls), so a DN,
/// UPN or displayName holding ESC or OSC bytes cannot recolour, retitle or rewrite the screen. This is
/// the one place text output is made safe, whichever field of the input a value came from. Line breaks
/// and tabs pass. When `colour` is on, the colour sequences [`crate::colour::Palette`] writes (SGR with
/// bold, red, green, yellow or reset, and nothing else) pass too.
pub struct PrintableText<W: Write> {
    inner: W,
    colour: bool,
    /// The end of the previous write when it stopped inside a UTF-8 character.
    partial: Vec<u8>,
}

impl<W: Write> PrintableText<W> {
    /// Wraps `inner`; `colour` when the palette writing through it is enabled.
    pub fn new(inner: W, colour: bool) -> Self {
        Self {
            inner,
            colour,
            partial: Vec::new(),
        }
    }

    /// The length of the palette's colour sequence at the start of `bytes`, if one is there.
    fn colour_sequence(&self, bytes: &[u8]) -> Option<usize> {
        if !self.colour {
            return None;
        }
        let rest = bytes.strip_prefix(b"\x1b[")?;
        let end = rest.iter().position(|byte| *byte == b'm')?;
        let parameters = rest.get(..end)?;
        let allowed = parameters
            .split(|byte| *byte == b';')
            .all(|parameter| matches!(parameter, b"0" | b"1" | b"31" | b"32" | b"33" | b""));
        allowed.then_some(end + 3)
    }

    /// Text without ESC: line breaks and tabs as they are, everything else as `printable_lines` shows it.
    fn write_plain(&mut self, text: &str) -> std::io::Result<()> {
        for (index, piece) in text.split('\t').enumerate() {
            if index > 0 {
                self.inner.write_all(b"\t")?;
            }
            self.inner
                .write_all(anchorsync_core::wording::printable_lines(piece).as_bytes())?;
        }
        Ok(())
    }

    fn write_text(&mut self, text: &str) -> std::io::Result<()> {
        let mut rest = text;
        while let Some(at) = rest.find('\u{1b}') {
            let (before, from) = rest.split_at(at);
            self.write_plain(before)?;
            match self.colour_sequence(from.as_bytes()) {
                Some(length) => {
                    self.inner
                        .write_all(from.as_bytes().get(..length).unwrap_or_default())?;
                    rest = from.get(length..).unwrap_or_default();
                }
                None => {
                    self.inner.write_all(b"\\u{1b}")?;
                    rest = from.get(1..).unwrap_or_default();
                }
            }
        }
        self.write_plain(rest)
    }
}

impl<W: Write> Write for PrintableText<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.partial);
        bytes.extend_from_slice(buf);
        let mut rest = bytes.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.write_text(text)?;
                    break;
                }
                Err(error) => {
                    let (valid, after) = rest.split_at(error.valid_up_to());
                    self.write_text(std::str::from_utf8(valid).unwrap_or_default())?;
                    match error.error_len() {
                        // Bytes that are not UTF-8 are shown as escapes, never sent raw.
                        Some(length) => {
                            for byte in after.get(..length).unwrap_or_default() {
                                write!(self.inner, "\\x{byte:02x}")?;
                            }
                            rest = after.get(length..).unwrap_or_default();
                        }
                        // A character cut by the end of this write: kept for the next one.
                        None => {
                            self.partial = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.partial.is_empty() {
            let partial = std::mem::take(&mut self.partial);
            for byte in partial {
                write!(self.inner, "\\x{byte:02x}")?;
            }
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(colour: bool, pieces: &[&[u8]]) -> String {
        let mut out = PrintableText::new(Vec::new(), colour);
        for piece in pieces {
            out.write_all(piece).unwrap();
        }
        out.flush().unwrap();
        String::from_utf8(out.inner).unwrap()
    }

    #[test]
    fn control_characters_are_shown_and_the_palette_passes_issue_12() {
        assert_eq!(
            shown(false, &[b"CN=\x1b]0;owned\x07\x1b[2J\r\n\t\xe5\xb1\xb1"]),
            "CN=\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\r\n\t山"
        );
        // A character cut between two writes is whole again; bytes that are not UTF-8 are escaped.
        assert_eq!(shown(false, &[b"\xe5\xb1", b"\xb1\xff"]), "山\\xff");
        assert_eq!(
            shown(
                true,
                &[b"\x1b[1m\x1b[31mfailed\x1b[0m \x1b[8mhidden\x1b[0m"]
            ),
            "\x1b[1m\x1b[31mfailed\x1b[0m \\u{1b}[8mhidden\x1b[0m"
        );
        assert_eq!(shown(false, &[b"\x1b[31m"]), "\\u{1b}[31m");
        assert_eq!(
            shown(false, &["a\u{202e}b\u{85}".as_bytes()]),
            "a\\u{202e}b\\u{85}"
        );
    }
}
