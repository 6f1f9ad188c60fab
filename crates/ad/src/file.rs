//! Reading an on-premises inventory from a file an administrator exported: LDIF (`ldapsearch`,
//! `ldifde -f`, or `anchorsync snapshot ad`), or CSV from `Get-ADUser | Export-Csv`.
//!
//! The whole file is read and checked before any user is returned: an error anywhere means no
//! inventory, never a partial one.

use std::path::{Path, PathBuf};

use anchorsync_core::directory::{DirectoryEntry, EntryError, OnPremUser};

use crate::ldif::{LdifError, LdifReader};

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
    /// The file is not an Export-Csv export anchorsync can read.
    #[error(transparent)]
    Csv(#[from] Box<crate::export_csv::CsvError>),
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
    /// CSV from `Get-ADUser | Export-Csv`.
    ExportCsv,
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
    if lower.starts_with(b"dn:") || lower.starts_with(b"version:") {
        return Some(FileFormat::Ldif);
    }
    // Export-Csv's header row (the `#TYPE` line before it is a comment here).
    let is_csv_header =
        lower.windows(17).any(|w| w == b"distinguishedname") && lower.contains(&b',');
    is_csv_header.then_some(FileFormat::ExportCsv)
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
    read_users_with(path, &[])
}

/// Reads the users of a file, whatever its format; `extra_attributes` (the anchor attribute and the
/// configured `[ad].attributes`) name the further columns to keep from a CSV export.
pub fn read_users_with(
    path: &Path,
    extra_attributes: &[String],
) -> Result<Vec<OnPremUser>, FileError> {
    let bytes = read_text_bytes(path)?;
    match detect_format(&bytes) {
        Some(FileFormat::Ldif) => read_ldif_users(&bytes, path),
        Some(FileFormat::ExportCsv) => read_csv_users(&bytes, path, extra_attributes),
        None => Err(FileError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

/// Reads the user entries of LDIF bytes.
pub fn read_ldif_users(bytes: &[u8], path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    let source_name = path.display().to_string();
    let mut users = Vec::new();
    for item in LdifReader::new(bytes, source_name) {
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

/// Reads the users of an Export-Csv file's bytes (UTF-8).
pub fn read_csv_users(
    bytes: &[u8],
    path: &Path,
    extra_attributes: &[String],
) -> Result<Vec<OnPremUser>, FileError> {
    let source_name = path.display().to_string();
    let entries =
        crate::export_csv::read_entries(bytes, &source_name, extra_attributes).map_err(Box::new)?;
    entries
        .into_iter()
        .map(|item| {
            OnPremUser::from_entry(item.entry).map_err(|source| FileError::Entry {
                path: path.to_owned(),
                line: usize::try_from(item.line).unwrap_or(usize::MAX),
                source: Box::new(source),
            })
        })
        .collect()
}
