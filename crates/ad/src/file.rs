//! Reading an on-premises inventory from a file an administrator exported: LDIF (`ldapsearch`,
//! `ldifde -f`, or `anchorsync snapshot ad`).
//!
//! The whole file is read and checked before any user is returned: an error anywhere means no
//! inventory, never a partial one.

use std::path::{Path, PathBuf};

use anchorsync_core::directory::{DirectoryEntry, EntryError, OnPremUser};

use crate::ldif::{LdifError, LdifReader, split_records};

/// Why a user file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file could not be opened or read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not LDIF anchorsync can read.
    #[error(transparent)]
    Ldif(#[from] Box<LdifError>),
    /// An entry is LDIF but not a user anchorsync can type.
    #[error("`{}` line {line}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// The line the entry starts on.
        line: usize,
        /// What is wrong with the entry (boxed: errors stay small on the happy path).
        #[source]
        source: Box<EntryError>,
    },
    /// Text in an encoding other than UTF-8 or UTF-16 with a byte-order mark.
    #[error("`{}` is UTF-16 without a byte-order mark, or not text", path.display())]
    Encoding {
        /// The file.
        path: PathBuf,
    },
    /// Neither LDIF nor a known export.
    #[error("`{}` is neither LDIF (`dn: ...` records) nor a format anchorsync reads", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

/// The formats a user file can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// RFC 2849 LDIF.
    Ldif,
}

/// The file's bytes as UTF-8: UTF-16 with a byte-order mark (`ldifde -u`, Windows PowerShell's
/// `-Encoding Unicode`) is converted, a UTF-8 mark is kept for the format readers to skip.
pub fn read_text_bytes(path: &Path) -> Result<Vec<u8>, FileError> {
    let bytes = std::fs::read(path).map_err(|source| FileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let utf16 = if bytes.starts_with(b"\xFF\xFE") {
        Some(encoding_rs::UTF_16LE)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    };
    match utf16 {
        Some(encoding) => {
            let (text, had_errors) = encoding.decode_with_bom_removal(&bytes);
            if had_errors {
                return Err(FileError::Encoding {
                    path: path.to_owned(),
                });
            }
            Ok(text.into_owned().into_bytes())
        }
        None => Ok(bytes),
    }
}

/// Decides the format from the content: the first line that is not blank or a comment.
pub fn detect_format(bytes: &[u8]) -> Option<FileFormat> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes
        .split(|byte| *byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .find(|line| !line.is_empty() && !line.starts_with(b"#"))?;
    let lower = first.to_ascii_lowercase();
    (lower.starts_with(b"dn:") || lower.starts_with(b"version:")).then_some(FileFormat::Ldif)
}

/// Whether an entry is a user account: its objectClass has `user` and not `computer`. Entries without
/// objectClass (an export that did not ask for it) count as users.
pub fn is_user_entry(entry: &DirectoryEntry) -> bool {
    let classes = entry.values("objectClass");
    if classes.is_empty() {
        return true;
    }
    let has = |name: &[u8]| classes.iter().any(|class| class.eq_ignore_ascii_case(name));
    has(b"user") && !has(b"computer")
}

/// Reads the users of a file, whatever its format.
pub fn read_users(path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    let bytes = read_text_bytes(path)?;
    match detect_format(&bytes) {
        Some(FileFormat::Ldif) => read_ldif_users(&bytes, path),
        None => Err(FileError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

/// Reads the user entries of LDIF bytes: pieces of the file on every core, in file order, and the first
/// error in the file when there is one.
pub fn read_ldif_users(bytes: &[u8], path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    use rayon::prelude::*;
    // Pieces of a few MiB: enough to spread over the cores, small enough that one slow piece does not
    // hold the others up.
    const PIECE: usize = 4 << 20;
    let source_name = path.display().to_string();
    let pieces = split_records(bytes, PIECE);
    let parts: Vec<Result<Vec<OnPremUser>, FileError>> = pieces
        .par_iter()
        .map(|piece| read_piece(LdifReader::piece(piece, source_name.as_str()), path))
        .collect();
    let mut users = Vec::with_capacity(
        parts
            .iter()
            .map(|part| part.as_ref().map_or(0, Vec::len))
            .sum(),
    );
    for part in parts {
        users.extend(part?);
    }
    Ok(users)
}

fn read_piece(reader: LdifReader<'_>, path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    let mut users = Vec::new();
    for item in reader {
        let item = item.map_err(Box::new)?;
        if !is_user_entry(&item.entry) {
            continue;
        }
        let user = OnPremUser::from_entry(item.entry).map_err(|source| FileError::Entry {
            path: path.to_owned(),
            line: item.line,
            source: Box::new(source),
        })?;
        users.push(user);
    }
    Ok(users)
}
