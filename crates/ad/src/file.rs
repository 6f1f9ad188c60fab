//! Reading an on-premises inventory from a file an administrator exported: LDIF (`ldapsearch`,
//! `ldifde -f`, or `anchorsync snapshot ad`), or CSV from `Get-ADUser | Export-Csv`.
//!
//! The whole file is read and checked before any user is returned: an error anywhere means no
//! inventory, never a partial one. Two entries with one DN (as AD compares DNs) are refused, naming
//! both lines: taking either would pair one person's AD account with the other's values.

use std::path::{Path, PathBuf};

use anchorsync_core::directory::{DirectoryEntry, EntryError, OnPremUser, UserBuilder};

use crate::dn::NormalizedDn;
use crate::ldif::{LdifError, LdifReader, split_records_from};

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
    /// Two entries of the file have the same DN (compared as AD compares DNs).
    #[error(
        "`{}` lines {first_line} and {second_line}: two entries have the DN `{}`; an export holds each \
         object once",
        path.display(),
        anchorsync_core::wording::excerpt(dn, 200)
    )]
    DuplicateDn {
        /// The file.
        path: PathBuf,
        /// The DN, as the second entry spells it.
        dn: String,
        /// The line the first entry starts on.
        first_line: usize,
        /// The line the second entry starts on.
        second_line: usize,
    },
    /// Neither LDIF nor a known export.
    #[error("`{}` is neither LDIF (`dn: ...` records) nor a format anchorsync reads", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

impl FileError {
    /// How to fix the file, when the error knows: an Export-Csv file that lost its multi-valued or
    /// binary values gets the `Select-Object` that exports them.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Csv(error) => error.hint(),
            _ => None,
        }
    }
}

impl anchorsync_core::hint::Hint for FileError {
    fn hint(&self) -> Option<String> {
        FileError::hint(self)
    }
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

/// What to keep while reading users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The attributes outside the standard ones to keep in `OnPremUser::extra` (a configured anchor
    /// attribute, for example); `None` keeps every one. An export of every attribute of a million users
    /// (`memberOf` and all) need not sit in memory to plan a sync.
    pub extra_attributes: Option<Vec<String>>,
}

/// Reads the users of a file, whatever its format.
pub fn read_users(path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    read_users_with(path, &ReadOptions::default())
}

/// How much of a file is looked at to decide its format.
const HEAD: usize = 64 << 10;

/// How much UTF-8 LDIF is read and parsed at a time: the file is never in memory whole.
const BLOCK: usize = 16 << 20;

/// Pieces of a block parsed on the cores: enough of them to spread, small enough to balance.
const PIECE: usize = 1 << 20;

/// Reads the users of a file, whatever its format, keeping what `options` says.
pub fn read_users_with(path: &Path, options: &ReadOptions) -> Result<Vec<OnPremUser>, FileError> {
    let users = read_lined_users(path, options)?;
    users.refuse_duplicate_dns(path)?;
    Ok(users.users)
}

/// Users read from a file, with the line each entry starts on (kept apart: a million `usize` cost
/// less than widening every user).
#[derive(Debug, Default)]
struct LinedUsers {
    users: Vec<OnPremUser>,
    lines: Vec<usize>,
}

impl LinedUsers {
    fn extend(&mut self, other: LinedUsers) {
        self.users.extend(other.users);
        self.lines.extend(other.lines);
    }

    /// Refuses two entries with one DN, naming both lines. DNs are compared as AD compares them
    /// ([`NormalizedDn`]); only a 64-bit hash of each is kept, and a hash seen twice is confirmed on
    /// the DNs themselves.
    fn refuse_duplicate_dns(&self, path: &Path) -> Result<(), FileError> {
        use std::collections::HashMap;
        use std::hash::{Hash as _, Hasher as _};
        let key = |dn: &str| {
            // SipHash with fixed keys: the same DN gives the same key in every run.
            let mut hasher = std::hash::DefaultHasher::new();
            NormalizedDn::new(dn).hash(&mut hasher);
            hasher.finish()
        };
        let mut seen: HashMap<u64, usize> = HashMap::with_capacity(self.users.len());
        for (index, user) in self.users.iter().enumerate() {
            let Some(first) = seen.insert(key(&user.dn), index) else {
                continue;
            };
            let Some(first_user) = self.users.get(first) else {
                continue;
            };
            if NormalizedDn::new(&first_user.dn) == NormalizedDn::new(&user.dn) {
                let line = |at: usize| self.lines.get(at).copied().unwrap_or(0);
                return Err(FileError::DuplicateDn {
                    path: path.to_owned(),
                    dn: user.dn.clone(),
                    first_line: line(first),
                    second_line: line(index),
                });
            }
        }
        Ok(())
    }
}

/// [`read_users_with`] before the file-wide checks.
fn read_lined_users(path: &Path, options: &ReadOptions) -> Result<LinedUsers, FileError> {
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let mut head = Vec::with_capacity(BLOCK + HEAD);
    fill(&mut file, &mut head, HEAD).map_err(io)?;
    let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    if !utf16 && detect_format(&head) == Some(FileFormat::Ldif) {
        return stream_ldif(file, head, size, path, options, BLOCK);
    }
    // Anything else is read whole: UTF-16 is converted first, and the format decided on the text.
    let bytes = read_text_bytes(path)?;
    match detect_format(&bytes) {
        Some(FileFormat::Ldif) => read_block(&bytes, 1, &path.display().to_string(), path, options),
        Some(FileFormat::ExportCsv) => {
            // A CSV column is kept only when asked for; `None` ("keep everything") cannot name them.
            let extra = options.extra_attributes.as_deref().unwrap_or_default();
            read_lined_csv_users(&bytes, path, extra)
        }
        None => Err(FileError::UnknownFormat {
            path: path.to_owned(),
        }),
    }
}

/// Appends bytes from `file` until `buffer` holds `want` bytes; returns whether the file ended first.
fn fill(file: &mut std::fs::File, buffer: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    use std::io::Read as _;
    let missing = want.saturating_sub(buffer.len());
    let read = file.take(missing as u64).read_to_end(buffer)?;
    Ok(read < missing)
}

/// Reads UTF-8 LDIF a block at a time, each block parsed in pieces on every core.
fn stream_ldif(
    mut file: std::fs::File,
    mut buffer: Vec<u8>,
    size: u64,
    path: &Path,
    options: &ReadOptions,
    block_size: usize,
) -> Result<LinedUsers, FileError> {
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let source_name = path.display().to_string();
    let mut users = LinedUsers::default();
    let mut first_line = 1;
    let mut want = block_size;
    let mut eof = false;
    loop {
        if !eof {
            eof = fill(&mut file, &mut buffer, want).map_err(io)?;
        }
        let cut = if eof {
            buffer.len()
        } else {
            match crate::ldif::last_record_boundary(&buffer) {
                Some(cut) => cut,
                None => {
                    // One record larger than a block: read on until it ends.
                    want = buffer.len().saturating_mul(2);
                    continue;
                }
            }
        };
        let block = buffer.get(..cut).unwrap_or_default();
        let parsed = read_block(block, first_line, &source_name, path, options)?;
        if users.users.capacity() == 0 && !eof && cut > 0 {
            // Reserve for the whole file at the density of the first block: growing a million users by
            // doubling would touch twice the memory, and fresh memory is what costs most here.
            let per_block = parsed.users.len() as u64;
            let estimate = size.saturating_mul(per_block) / cut as u64 + per_block;
            let estimate = usize::try_from(estimate).unwrap_or(0);
            users.users.reserve(estimate);
            users.lines.reserve(estimate);
        }
        users.extend(parsed);
        first_line += crate::ldif::count_lines(block);
        buffer.drain(..cut);
        want = block_size;
        if eof {
            return Ok(users);
        }
    }
}

/// Parses a block (starting at a record boundary on `first_line`) in pieces on every core, in order.
fn read_block(
    block: &[u8],
    first_line: usize,
    source_name: &str,
    path: &Path,
    options: &ReadOptions,
) -> Result<LinedUsers, FileError> {
    use rayon::prelude::*;
    let pieces = split_records_from(block, PIECE, first_line);
    let parts: Vec<Result<LinedUsers, FileError>> = pieces
        .par_iter()
        .map(|piece| read_piece(LdifReader::piece(piece, source_name), path, options))
        .collect();
    let total = parts
        .iter()
        .map(|part| part.as_ref().map_or(0, |part| part.users.len()))
        .sum();
    let mut users = LinedUsers {
        users: Vec::with_capacity(total),
        lines: Vec::with_capacity(total),
    };
    for part in parts {
        users.extend(part?);
    }
    Ok(users)
}

/// Reads the user entries of LDIF bytes: pieces on every core, in file order, and the first error in
/// the file when there is one.
pub fn read_ldif_users(bytes: &[u8], path: &Path) -> Result<Vec<OnPremUser>, FileError> {
    read_ldif_users_with(bytes, path, &ReadOptions::default())
}

/// [`read_ldif_users`] keeping what `options` says.
pub fn read_ldif_users_with(
    bytes: &[u8],
    path: &Path,
    options: &ReadOptions,
) -> Result<Vec<OnPremUser>, FileError> {
    let users = read_block(bytes, 1, &path.display().to_string(), path, options)?;
    users.refuse_duplicate_dns(path)?;
    Ok(users.users)
}

/// Types the users of one piece as the reader meets their attributes (no intermediate entries).
fn read_piece(
    mut reader: LdifReader<'_>,
    path: &Path,
    options: &ReadOptions,
) -> Result<LinedUsers, FileError> {
    let keep = options.extra_attributes.as_deref();
    let mut users = LinedUsers::default();
    loop {
        let mut builder = UserBuilder::new(keep);
        let Some(found) = reader.next_with(&mut |name, value| builder.push(name, value)) else {
            return Ok(users);
        };
        let (line, dn) = found.map_err(Box::new)?;
        if !builder.is_user() {
            continue;
        }
        let user = builder.finish(dn).map_err(|source| FileError::Entry {
            path: path.to_owned(),
            line,
            source: Box::new(source),
        })?;
        users.users.push(user);
        users.lines.push(line);
    }
}

/// Reads the users of an Export-Csv file's bytes (UTF-8).
pub fn read_csv_users(
    bytes: &[u8],
    path: &Path,
    extra_attributes: &[String],
) -> Result<Vec<OnPremUser>, FileError> {
    let users = read_lined_csv_users(bytes, path, extra_attributes)?;
    users.refuse_duplicate_dns(path)?;
    Ok(users.users)
}

/// [`read_csv_users`] before the file-wide checks.
fn read_lined_csv_users(
    bytes: &[u8],
    path: &Path,
    extra_attributes: &[String],
) -> Result<LinedUsers, FileError> {
    let source_name = path.display().to_string();
    let entries =
        crate::export_csv::read_entries(bytes, &source_name, extra_attributes).map_err(Box::new)?;
    let mut users = LinedUsers {
        users: Vec::with_capacity(entries.len()),
        lines: Vec::with_capacity(entries.len()),
    };
    for item in entries {
        let line = usize::try_from(item.line).unwrap_or(usize::MAX);
        let user = OnPremUser::from_entry(item.entry).map_err(|source| FileError::Entry {
            path: path.to_owned(),
            line,
            source: Box::new(source),
        })?;
        users.users.push(user);
        users.lines.push(line);
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ldif(users: usize, broken: Option<usize>) -> String {
        let mut text = String::from("\u{feff}version: 1\n\n# ldapsearch\n");
        for n in 0..users {
            let guid = if Some(n) == broken {
                "AQID".to_owned()
            } else {
                format!("{:032x}", n)
            };
            let guid = if guid.len() == 32 {
                let bytes: Vec<u8> = (0..16)
                    .map(|i| u8::from_str_radix(&guid[i * 2..i * 2 + 2], 16).unwrap())
                    .collect();
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
            } else {
                guid
            };
            text.push_str(&format!(
                "dn: CN=User {n},OU=Tokyo,DC=corp\nobjectClass: user\nobjectGUID:: {guid}\nproxyAddresses: SMTP:u{n}@example.com\n\
                 proxyAddresses: smtp:alias{n}@example.com\ndescription: a value folded over\n  two lines\nmemberOf: CN=All\n\n"
            ));
        }
        text
    }

    fn stream(
        text: &str,
        block: usize,
        options: &ReadOptions,
    ) -> Result<Vec<OnPremUser>, FileError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let mut reader = std::fs::File::open(file.path()).unwrap();
        let mut head = Vec::new();
        fill(&mut reader, &mut head, 100).unwrap();
        stream_ldif(reader, head, text.len() as u64, file.path(), options, block)
            .map(|users| users.users)
    }

    #[test]
    fn blocks_read_like_the_whole_file() {
        let text = ldif(300, None);
        let whole = read_ldif_users(text.as_bytes(), Path::new("users.ldif")).unwrap();
        assert_eq!(whole.len(), 300);
        for block in [200, 1000, 4096, 1 << 20] {
            let streamed = stream(&text, block, &ReadOptions::default()).unwrap();
            assert!(streamed == whole, "block {block}");
        }
        let only = ReadOptions {
            extra_attributes: Some(vec!["description".into()]),
        };
        let filtered = stream(&text, 1000, &only).unwrap();
        assert_eq!(
            filtered[7].extra.len(),
            1,
            "memberOf and objectClass are not kept"
        );
    }

    #[test]
    fn an_error_in_a_later_block_names_the_same_line() {
        let text = ldif(300, Some(250));
        let expected = read_ldif_users(text.as_bytes(), Path::new("users.ldif")).unwrap_err();
        let FileError::Entry { line, .. } = expected else {
            panic!("{expected:?}")
        };
        for block in [200, 1000, 4096] {
            match stream(&text, block, &ReadOptions::default()).unwrap_err() {
                FileError::Entry { line: found, .. } => assert_eq!(found, line, "block {block}"),
                other => panic!("{other:?}"),
            }
        }
    }
}
