//! LDIF (RFC 2849) content records: reading what `ldapsearch -LLL`, `ldapsearch` and `ldifde -f`
//! write, and writing entries back.
//!
//! Reading is binary-safe: `attr:: Base64` values are decoded to bytes and plain values are kept as the
//! bytes written, so a GUID is never taken for text. What the reader accepts:
//!
//! - folded lines (a line starting with one space continues the previous one), CRLF or LF line ends,
//!   a UTF-8 byte-order mark, `#` comments (folded ones too), an optional `version: 1` line;
//! - `ldifde`'s `changetype: add` (the record is read as content); any other change type is refused;
//! - `ldapsearch`'s trailer (`search: 2` / `result: 0 Success`) and search references (`ref: ...`),
//!   which are skipped;
//! - attribute options (`userCertificate;binary`): the option is dropped from the name.
//!
//! Change records (`changetype: modify`, as `apply --emit ldif` writes them) are read and applied to
//! content by [`changes`].
//!
//! What it refuses, with the file and line: a record without `dn`, a line without `:`, bad Base64,
//! a last line without a line end (a copy cut short), a CR that does not end a line (CR-only line
//! ends would make the whole file one line),
//! `attr:< URL` values (anchorsync never fetches files or URLs named inside an input), text that is not
//! UTF-8 where text is required (DNs, attribute names).

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

pub mod changes;

use anchorsync_core::directory::{AttributeName, DirectoryEntry, is_binary_attribute};
use anchorsync_core::wording::excerpt;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Where in which file an LDIF problem is, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{source_name}` line {line}: {kind}")]
pub struct LdifError {
    /// The file (or other source) being read.
    pub source_name: String,
    /// The 1-based line the problem starts on.
    pub line: usize,
    /// What is wrong.
    pub kind: LdifErrorKind,
}

/// What is wrong with an LDIF line or record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LdifErrorKind {
    /// A record whose first line is not `dn:`.
    MissingDn {
        /// The line found instead.
        found: String,
    },
    /// A line with no `:` separating attribute and value.
    MissingColon {
        /// The start of the line.
        found: String,
    },
    /// An empty attribute name.
    EmptyAttributeName,
    /// A `::` value that is not valid Base64.
    BadBase64 {
        /// The attribute.
        attribute: String,
    },
    /// A `:<` URL value.
    UrlValue {
        /// The attribute.
        attribute: String,
    },
    /// A change record other than `add`.
    ChangeRecord {
        /// The change type.
        changetype: String,
    },
    /// A DN or attribute name that is not UTF-8.
    NotUtf8 {
        /// What was not UTF-8.
        what: &'static str,
    },
    /// A `version:` other than 1.
    Version {
        /// The version found.
        found: String,
    },
    /// A continuation line (starting with a space) with nothing to continue.
    DanglingContinuation,
    /// A change record without `changetype: modify` after its `dn:` (in a file of changes).
    MissingChangeType,
    /// A change record of a type that cannot be applied (in a file of changes).
    UnsupportedChangeType {
        /// The change type.
        changetype: String,
    },
    /// A line of a modify record that is not `add:`, `delete:`, `replace:` or `-`.
    ModifyOperation {
        /// The start of the line.
        found: String,
    },
    /// A value of another attribute than the one its modification names.
    ModifyValue {
        /// The modification (`add: mail`).
        operation: String,
        /// The attribute of the value.
        found: String,
    },
    /// An `add:` without values.
    NoValues {
        /// The modification (`add: mail`).
        operation: String,
    },
    /// A carriage return that does not end a line (classic Mac line ends, or a CR inside a value).
    BareCarriageReturn,
    /// The input ends inside a line: the last line has no line end, as a copy cut short has.
    Truncated,
}

impl fmt::Display for LdifErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingDn { found } => write!(
                f,
                "a record must start with `dn:`, found `{}` (is a blank line missing between two entries?)",
                excerpt(found, 80)
            ),
            Self::MissingColon { found } => {
                write!(
                    f,
                    "expected `attribute: value`, found `{}` with no `:`",
                    excerpt(found, 80)
                )
            }
            Self::EmptyAttributeName => write!(f, "the attribute name before `:` is empty"),
            Self::BadBase64 { attribute } => {
                write!(
                    f,
                    "the `::` value of `{}` is not valid Base64",
                    excerpt(attribute, 80)
                )
            }
            Self::UrlValue { attribute } => write!(
                f,
                "`{}:<` names a file or URL to read the value from; anchorsync does not follow \
                 references inside an input, so put the value itself in the file",
                excerpt(attribute, 80)
            ),
            Self::ChangeRecord { changetype } => write!(
                f,
                "`changetype: {}` is a change record; an inventory needs content records (entries \
                 as `ldapsearch` or `ldifde -f` export them)",
                excerpt(changetype, 80)
            ),
            Self::NotUtf8 { what } => write!(f, "the {what} is not UTF-8"),
            Self::Version { found } => {
                write!(
                    f,
                    "`version: {}` is not supported; only LDIF version 1 exists",
                    excerpt(found, 80)
                )
            }
            Self::DanglingContinuation => write!(
                f,
                "a line starting with a space continues the previous line, but there is none"
            ),
            Self::MissingChangeType => write!(
                f,
                "a change record needs `changetype: modify` on the line after its `dn:`"
            ),
            Self::UnsupportedChangeType { changetype } => write!(
                f,
                "`changetype: {}` cannot be applied: only `changetype: modify` records (as \
                 `apply --emit ldif` writes them) are",
                excerpt(changetype, 80)
            ),
            Self::ModifyOperation { found } => write!(
                f,
                "expected `add: ATTRIBUTE`, `delete: ATTRIBUTE` or `replace: ATTRIBUTE`, found `{}`",
                excerpt(found, 80)
            ),
            Self::ModifyValue { operation, found } => write!(
                f,
                "a value of `{}` inside `{}`: each modification holds values of the attribute \
                 it names, and ends with a line `-`",
                excerpt(found, 80),
                excerpt(operation, 80)
            ),
            Self::NoValues { operation } => {
                write!(f, "`{}` has no values to add", excerpt(operation, 80))
            }
            Self::BareCarriageReturn => write!(
                f,
                "a carriage return (CR) that is not followed by a line feed: LDIF lines end with LF or \
                 CRLF (CR-only line ends are not LDIF), and a value holding a CR is written as `::` Base64"
            ),
            Self::Truncated => write!(
                f,
                "the file ends inside this line, without a line end: a copy cut short? Every LDIF \
                 exporter ends each line; export the file again"
            ),
        }
    }
}

/// One logical line: its first physical line number and its bytes with folding undone.
struct LogicalLine<'a> {
    line: usize,
    bytes: std::borrow::Cow<'a, [u8]>,
}

/// Splits input into logical lines, grouped into records (runs separated by blank lines). Comments are
/// dropped here, with their continuations.
struct Records<'a> {
    input: &'a [u8],
    position: usize,
    line: usize,
}

impl<'a> Records<'a> {
    fn new(input: &'a [u8]) -> Self {
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        Self {
            input,
            position: 0,
            line: 0,
        }
    }

    /// Records of a piece of a file that starts on line `first_line` (see [`split_records`]).
    fn continuing(input: &'a [u8], first_line: usize) -> Self {
        Self {
            input,
            position: 0,
            line: first_line.saturating_sub(1),
        }
    }

    /// The next physical line without its line end, and its 1-based number. A line that is not
    /// ended (the input's last bytes) or holds a CR that does not end it is an error: `Truncated` or
    /// `BareCarriageReturn` (so a file with CR-only line ends is not read, or quoted, as one line).
    fn physical(&mut self) -> Option<(usize, Result<&'a [u8], LdifErrorKind>)> {
        let rest = self.input.get(self.position..)?;
        if rest.is_empty() {
            return None;
        }
        self.line += 1;
        let Some(end) = memchr(b'\n', rest) else {
            self.position += rest.len();
            let kind = if memchr(b'\r', rest).is_some() {
                LdifErrorKind::BareCarriageReturn
            } else {
                LdifErrorKind::Truncated
            };
            return Some((self.line, Err(kind)));
        };
        let line = rest.get(..end).unwrap_or_default();
        self.position += end + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if memchr(b'\r', line).is_some() {
            return Some((self.line, Err(LdifErrorKind::BareCarriageReturn)));
        }
        Some((self.line, Ok(line)))
    }

    fn peek_is_continuation(&self) -> bool {
        self.input
            .get(self.position)
            .is_some_and(|byte| *byte == b' ')
    }

    /// Reads the next record's logical lines into `lines` (cleared first); `None` at the end.
    fn next_record(
        &mut self,
        source_name: &str,
        lines: &mut Vec<LogicalLine<'a>>,
    ) -> Option<Result<(), LdifError>> {
        lines.clear();
        let error = |line, kind| {
            Some(Err(LdifError {
                source_name: source_name.to_owned(),
                line,
                kind,
            }))
        };
        while let Some((number, physical)) = self.physical() {
            let physical = match physical {
                Ok(physical) => physical,
                Err(kind) => return error(number, kind),
            };
            if physical.is_empty() {
                if lines.is_empty() {
                    continue;
                }
                return Some(Ok(()));
            }
            if physical.first() == Some(&b' ') {
                // A continuation of a comment was consumed with its comment, so this one is dangling.
                return Some(Err(LdifError {
                    source_name: source_name.to_owned(),
                    line: number,
                    kind: LdifErrorKind::DanglingContinuation,
                }));
            }
            let comment = physical.first() == Some(&b'#');
            let mut bytes = std::borrow::Cow::Borrowed(physical);
            while self.peek_is_continuation() {
                let Some((continued, continuation)) = self.physical() else {
                    break;
                };
                let continuation = match continuation {
                    Ok(continuation) => continuation,
                    Err(kind) => return error(continued, kind),
                };
                if !comment {
                    bytes
                        .to_mut()
                        .extend_from_slice(continuation.get(1..).unwrap_or_default());
                }
            }
            if !comment {
                lines.push(LogicalLine {
                    line: number,
                    bytes,
                });
            }
        }
        (!lines.is_empty()).then_some(Ok(()))
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    memchr::memchr(needle, haystack)
}

/// An attribute line split into name and value.
struct AttributeLine<'l> {
    name: &'l str,
    /// Borrowed from the line for plain values, decoded for `::` Base64 ones.
    value: Cow<'l, [u8]>,
}

fn split_attribute<'l>(
    line: &'l LogicalLine<'_>,
    source_name: &str,
) -> Result<AttributeLine<'l>, LdifError> {
    let error = |kind| LdifError {
        source_name: source_name.to_owned(),
        line: line.line,
        kind,
    };
    let bytes = line.bytes.as_ref();
    let Some(colon) = memchr(b':', bytes) else {
        let found = String::from_utf8_lossy(bytes.get(..60).unwrap_or(bytes)).into_owned();
        return Err(error(LdifErrorKind::MissingColon { found }));
    };
    let description = bytes.get(..colon).unwrap_or_default();
    let description = std::str::from_utf8(description).map_err(|_| {
        error(LdifErrorKind::NotUtf8 {
            what: "attribute name",
        })
    })?;
    // Options such as `;binary` do not change which attribute this is.
    let name = description.split(';').next().unwrap_or_default().trim();
    if name.is_empty() {
        return Err(error(LdifErrorKind::EmptyAttributeName));
    }
    let rest = bytes.get(colon + 1..).unwrap_or_default();
    let value = match rest.first() {
        Some(b':') => {
            let encoded = rest.get(1..).unwrap_or_default();
            // Only the space after `::` is usual; a copy without whitespace only when there is more.
            let encoded = encoded
                .iter()
                .position(|byte| !byte.is_ascii_whitespace())
                .and_then(|start| encoded.get(start..))
                .unwrap_or_default();
            let encoded: Cow<'_, [u8]> = if encoded.iter().any(u8::is_ascii_whitespace) {
                Cow::Owned(
                    encoded
                        .iter()
                        .copied()
                        .filter(|byte| !byte.is_ascii_whitespace())
                        .collect(),
                )
            } else {
                Cow::Borrowed(encoded)
            };
            Cow::Owned(STANDARD.decode(&encoded).map_err(|_| {
                error(LdifErrorKind::BadBase64 {
                    attribute: name.to_owned(),
                })
            })?)
        }
        Some(b'<') => {
            return Err(error(LdifErrorKind::UrlValue {
                attribute: name.to_owned(),
            }));
        }
        _ => {
            let start = rest
                .iter()
                .position(|byte| *byte != b' ')
                .unwrap_or(rest.len());
            Cow::Borrowed(rest.get(start..).unwrap_or_default())
        }
    };
    Ok(AttributeLine { name, value })
}

/// One entry and the line its record starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdifEntry {
    /// The line of the record's `dn:`.
    pub line: usize,
    /// The entry.
    pub entry: DirectoryEntry,
}

/// Reads content records one at a time from LDIF held in memory.
pub struct LdifReader<'a> {
    records: Records<'a>,
    source_name: String,
    first: bool,
    failed: bool,
    /// The current record's lines, reused from record to record.
    lines: Vec<LogicalLine<'a>>,
}

impl<'a> LdifReader<'a> {
    /// A reader over LDIF bytes; `source_name` (usually the file path) goes into every error.
    pub fn new(input: &'a [u8], source_name: impl Into<String>) -> Self {
        Self {
            records: Records::new(input),
            source_name: source_name.into(),
            first: true,
            failed: false,
            lines: Vec::with_capacity(32),
        }
    }

    /// A reader over one piece of a file cut by [`split_records`]: line numbers continue from the
    /// piece's first line, and only the first piece may hold the `version:` line and byte-order mark,
    /// so errors are exactly those a reader of the whole file reports.
    pub fn piece(piece: &Piece<'a>, source_name: impl Into<String>) -> Self {
        if piece.first_line == 1 {
            return Self::new(piece.bytes, source_name);
        }
        Self {
            records: Records::continuing(piece.bytes, piece.first_line),
            source_name: source_name.into(),
            first: false,
            failed: false,
            lines: Vec::with_capacity(32),
        }
    }

    /// Reads one record's lines: `None` for the records `ldapsearch` adds that are not entries, otherwise
    /// the record's line and DN, after giving each attribute value to `attribute` in order.
    fn record(
        &self,
        lines: &[LogicalLine<'_>],
        attribute: &mut dyn FnMut(&str, Cow<'_, [u8]>),
    ) -> Result<Option<(usize, String)>, LdifError> {
        let mut lines = lines.iter();
        let Some(first) = lines.next() else {
            return Ok(None);
        };
        let head = split_attribute(first, &self.source_name)?;
        if ["search", "result", "ref"]
            .iter()
            .any(|skip| head.name.eq_ignore_ascii_case(skip))
        {
            // `ldapsearch` without -LLL: the result trailer and search references are not entries.
            return Ok(None);
        }
        if !head.name.eq_ignore_ascii_case("dn") {
            let found = String::from_utf8_lossy(first.bytes.as_ref())
                .chars()
                .take(60)
                .collect();
            return Err(LdifError {
                source_name: self.source_name.clone(),
                line: first.line,
                kind: LdifErrorKind::MissingDn { found },
            });
        }
        let dn = String::from_utf8(head.value.into_owned()).map_err(|_| LdifError {
            source_name: self.source_name.clone(),
            line: first.line,
            kind: LdifErrorKind::NotUtf8 { what: "DN" },
        })?;
        for line in lines {
            let line_attribute = split_attribute(line, &self.source_name)?;
            if line_attribute.name.eq_ignore_ascii_case("changetype") {
                let changetype = String::from_utf8_lossy(&line_attribute.value)
                    .trim()
                    .to_owned();
                if changetype.eq_ignore_ascii_case("add") {
                    continue;
                }
                return Err(LdifError {
                    source_name: self.source_name.clone(),
                    line: line.line,
                    kind: LdifErrorKind::ChangeRecord { changetype },
                });
            }
            attribute(line_attribute.name, line_attribute.value);
        }
        Ok(Some((first.line, dn)))
    }

    /// The next entry as its line and DN, giving each attribute value to `attribute` first: what
    /// [`Iterator::next`] does without building a [`DirectoryEntry`], for readers that type values as
    /// they come. Values given for a record that then fails belong to no entry.
    pub fn next_with(
        &mut self,
        attribute: &mut dyn FnMut(&str, Cow<'_, [u8]>),
    ) -> Option<Result<(usize, String), LdifError>> {
        if self.failed {
            return None;
        }
        loop {
            if let Err(error) = self
                .records
                .next_record(&self.source_name, &mut self.lines)?
            {
                self.failed = true;
                return Some(Err(error));
            }
            let mut start = 0;
            if std::mem::take(&mut self.first) {
                let version = self.lines.first().and_then(|line| {
                    let (head, rest) = line.bytes.split_at_checked(8)?;
                    head.eq_ignore_ascii_case(b"version:")
                        .then_some((line.line, rest))
                });
                if let Some((version_line, rest)) = version {
                    let found = String::from_utf8_lossy(rest).trim().to_owned();
                    if found != "1" {
                        self.failed = true;
                        return Some(Err(LdifError {
                            source_name: self.source_name.clone(),
                            line: version_line,
                            kind: LdifErrorKind::Version { found },
                        }));
                    }
                    start = 1;
                    if self.lines.len() == 1 {
                        continue;
                    }
                }
            }
            let lines = self.lines.get(start..).unwrap_or_default();
            match self.record(lines, attribute) {
                Ok(Some(found)) => return Some(Ok(found)),
                Ok(None) => continue,
                Err(error) => {
                    self.failed = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl Iterator for LdifReader<'_> {
    type Item = Result<LdifEntry, LdifError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut attributes: std::collections::BTreeMap<AttributeName, Vec<Vec<u8>>> =
            std::collections::BTreeMap::new();
        let found = self.next_with(&mut |name, value| {
            attributes
                .entry(AttributeName::new(name))
                .or_default()
                .push(value.into_owned());
        })?;
        Some(found.map(|(line, dn)| LdifEntry {
            line,
            entry: DirectoryEntry { dn, attributes },
        }))
    }
}

/// A piece of an LDIF file that starts at a record boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece<'a> {
    /// The bytes.
    pub bytes: &'a [u8],
    /// The line of the file the piece starts on (1 for the first piece).
    pub first_line: usize,
}

/// Cuts LDIF into pieces of about `target` bytes that each start at a record boundary (after a blank
/// line, before a line that does not continue it), so the pieces can be read on several cores. Reading
/// the pieces in order with [`LdifReader::piece`] gives the same entries and errors as reading the whole.
pub fn split_records(input: &[u8], target: usize) -> Vec<Piece<'_>> {
    split_records_from(input, target, 1)
}

/// [`split_records`] for a block of a file that starts on line `first_line` at a record boundary (1 for
/// the start of the file).
pub fn split_records_from(input: &[u8], target: usize, first_line: usize) -> Vec<Piece<'_>> {
    use rayon::prelude::*;
    let target = target.max(1);
    let mut bounds = Vec::with_capacity(input.len() / target + 1);
    let mut start = 0;
    while start < input.len() {
        let end = match input.get(start + target..).and_then(next_boundary) {
            Some(offset) => start + target + offset,
            None => input.len(),
        };
        bounds.push(start..end);
        start = end;
    }
    // Each piece's first line needs the line ends of the pieces before it: counted on every core.
    let lines: Vec<usize> = bounds
        .par_iter()
        .map(|range| count_lines(input.get(range.clone()).unwrap_or_default()))
        .collect();
    let mut first_line = first_line;
    bounds
        .into_iter()
        .zip(lines)
        .map(|(range, lines)| {
            let piece = Piece {
                bytes: input.get(range).unwrap_or_default(),
                first_line,
            };
            first_line += lines;
            piece
        })
        .collect()
}

/// How many line ends `bytes` holds (written so that the compiler vectorises it: files are large).
pub fn count_lines(bytes: &[u8]) -> usize {
    bytes.iter().map(|byte| usize::from(*byte == b'\n')).sum()
}

/// The last record boundary in `bytes` that is known to be one: after a blank line, and before a byte
/// that is already there and is not a space (a continuation). Reading a file a block at a time, the
/// block is cut there and the rest waits for more bytes.
pub fn last_record_boundary(bytes: &[u8]) -> Option<usize> {
    let mut from = bytes.len().saturating_sub(1 << 20);
    loop {
        let mut last = None;
        let mut search = from;
        while let Some(offset) = bytes.get(search..).and_then(next_boundary) {
            let end = search + offset;
            if end >= bytes.len() {
                break;
            }
            last = Some(end);
            search = end;
        }
        if last.is_some() || from == 0 {
            return last;
        }
        from = 0;
    }
}

/// The offset just after the first blank line in `bytes` that is followed by something other than a
/// continuation (a line starting with a space).
fn next_boundary(bytes: &[u8]) -> Option<usize> {
    let mut search = 0;
    while let Some(found) = bytes.get(search..).and_then(|rest| memchr(b'\n', rest)) {
        let newline = search + found;
        let after = newline + 1;
        let blank_end = match bytes.get(after..) {
            Some([b'\n', ..]) => Some(after + 1),
            Some([b'\r', b'\n', ..]) => Some(after + 2),
            _ => None,
        };
        if let Some(end) = blank_end
            && bytes.get(end) != Some(&b' ')
        {
            return Some(end);
        }
        search = after;
    }
    None
}

/// Reads every entry, or the first error: never a partial list.
pub fn read_entries(input: &[u8], source_name: &str) -> Result<Vec<LdifEntry>, LdifError> {
    LdifReader::new(input, source_name).collect()
}

/// Lines longer than this are folded when written, as `ldapsearch` does.
const FOLD_WIDTH: usize = 76;

/// Whether a value can be written as is (RFC 2849 SAFE-STRING), or needs `::` Base64.
fn is_safe_string(value: &[u8]) -> bool {
    let Some(first) = value.first() else {
        return true;
    };
    let safe_init = !matches!(first, b' ' | b':' | b'<');
    let safe_rest = value
        .iter()
        .all(|byte| byte.is_ascii() && !matches!(byte, b'\0' | b'\n' | b'\r'));
    safe_init && safe_rest && value.last() != Some(&b' ')
}

/// Writes LDIF content records.
pub struct LdifWriter<W: Write> {
    out: W,
}

impl<W: Write> LdifWriter<W> {
    /// Starts a file: `version: 1` and a comment saying what wrote it.
    pub fn new(mut out: W, comment: &str) -> io::Result<Self> {
        writeln!(out, "version: 1")?;
        for line in comment.lines() {
            writeln!(out, "# {line}")?;
        }
        writeln!(out)?;
        Ok(Self { out })
    }

    /// Continues a file whose header is already written (or encodes records to be placed in one
    /// later, as `snapshot ad` does to sort them without keeping every entry decoded).
    pub fn records_only(out: W) -> Self {
        Self { out }
    }

    /// Writes one entry and the blank line that ends it. Binary attributes are always Base64; other
    /// values only when RFC 2849 requires it (non-ASCII, leading space, colon or `<`...).
    pub fn write_entry(&mut self, entry: &DirectoryEntry) -> io::Result<()> {
        self.write_line("dn", entry.dn.as_bytes(), false)?;
        for (name, values) in &entry.attributes {
            let binary = is_binary_attribute(name.as_str());
            for value in values {
                self.write_line(name.as_str(), value, binary)?;
            }
        }
        writeln!(self.out)
    }

    /// Writes a modify record that replaces `before` with `after` as a compare-and-set: `delete:` the
    /// expected value, then `add:` the new one. ldapmodify and ldifde apply a record whole or not at
    /// all, so a value that is no longer `before` makes the delete, and the record, fail. `None` for
    /// `before` only adds (refused by a single-valued attribute that has a value); `None` for `after`
    /// only deletes.
    pub fn write_compare_and_set(
        &mut self,
        dn: &str,
        attribute: &str,
        before: Option<&[u8]>,
        after: Option<&[u8]>,
    ) -> io::Result<()> {
        self.write_line("dn", dn.as_bytes(), false)?;
        writeln!(self.out, "changetype: modify")?;
        let binary = is_binary_attribute(attribute);
        for (operation, value) in [("delete", before), ("add", after)] {
            if let Some(value) = value {
                writeln!(self.out, "{operation}: {attribute}")?;
                self.write_line(attribute, value, binary)?;
                writeln!(self.out, "-")?;
            }
        }
        writeln!(self.out)
    }

    fn write_line(&mut self, name: &str, value: &[u8], binary: bool) -> io::Result<()> {
        let line = if !binary && is_safe_string(value) {
            let mut line = format!("{name}:");
            if !value.is_empty() {
                line.push(' ');
                // Safe strings are ASCII.
                line.push_str(&String::from_utf8_lossy(value));
            }
            line
        } else {
            format!("{name}:: {}", STANDARD.encode(value))
        };
        // Fold on character boundaries; only ASCII reaches here, but stay safe.
        let mut chars = line.chars().peekable();
        let mut width = 0;
        let mut buffer = String::with_capacity(line.len() + line.len() / FOLD_WIDTH * 3);
        while let Some(c) = chars.next() {
            buffer.push(c);
            width += 1;
            if width == FOLD_WIDTH && chars.peek().is_some() {
                buffer.push_str("\n ");
                width = 1;
            }
        }
        writeln!(self.out, "{buffer}")
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LDAPSEARCH: &str = "# extended LDIF\n#\n# LDAPv3\n# base <DC=corp,DC=example,DC=com> with scope subtree\n\
# filter: (sAMAccountName=alice)\n#\n\n# Alice Ng, Users, corp.example.com\ndn: CN=Alice Ng,CN=Users,DC=corp,DC=exa\n mple,DC=com\n\
objectGUID:: mZeh1yjb0EeY7h1stUOPIQ==\nsAMAccountName: alice\ndisplayName:: 5bGx55Sw5aSq6YOO\nproxyAddresses: SMTP:alice@example.com\n\
proxyAddresses: smtp:a@example.com\n\n# search reference\nref: ldap://DomainDnsZones.corp.example.com/DC=DomainDnsZones,DC=corp,DC=example,DC=com\n\n\
# search result\nsearch: 2\nresult: 0 Success\n\n# numResponses: 2\n# numEntries: 1\n";

    #[test]
    fn reads_ldapsearch_output_with_comments_folding_and_trailer() {
        let entries = read_entries(LDAPSEARCH.as_bytes(), "alice.ldif").unwrap();
        assert_eq!(entries.len(), 1);
        let entry = &entries[0].entry;
        assert_eq!(entries[0].line, 9);
        assert_eq!(entry.dn, "CN=Alice Ng,CN=Users,DC=corp,DC=example,DC=com");
        assert_eq!(entry.values("objectguid")[0].len(), 16);
        assert_eq!(entry.values("displayName")[0], "山田太郎".as_bytes());
        assert_eq!(entry.values("proxyAddresses").len(), 2);
    }

    #[test]
    fn compare_and_set_records_delete_the_old_value_and_add_the_new() {
        let mut writer = LdifWriter::records_only(Vec::new());
        writer
            .write_compare_and_set(
                "CN=Taro Yamada,OU=Staff,DC=corp",
                "mS-DS-ConsistencyGuid",
                Some(&[1, 2, 3]),
                Some(b"ABCDEFGHIJKLMNOP"),
            )
            .unwrap();
        writer
            .write_compare_and_set("CN=山田,DC=corp", "employeeID", None, Some(b"E1"))
            .unwrap();
        let text = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "dn: CN=Taro Yamada,OU=Staff,DC=corp\nchangetype: modify\ndelete: mS-DS-ConsistencyGuid\n\
             mS-DS-ConsistencyGuid:: AQID\n-\nadd: mS-DS-ConsistencyGuid\nmS-DS-ConsistencyGuid:: \
             QUJDREVGR0hJSktMTU5PUA==\n-\n\ndn:: Q0495bGx55SwLERDPWNvcnA=\nchangetype: modify\nadd: employeeID\n\
             employeeID: E1\n-\n\n"
        );
    }

    #[test]
    fn reads_ldifde_with_crlf_bom_and_changetype_add() {
        let input = "\u{feff}dn: CN=Bob,OU=Tokyo,DC=corp,DC=example,DC=com\r\nchangetype: add\r\nmail: bob@example.com\r\n\r\n";
        let entries = read_entries(input.as_bytes(), "bob.ldf").unwrap();
        assert_eq!(entries[0].entry.values("mail")[0], b"bob@example.com");
        assert!(entries[0].entry.values("changetype").is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("dn: CN=A\nmail bob\n", 2, "no `:`"),
            ("dn: CN=A\nobjectGUID:: not*base64\n", 2, "not valid Base64"),
            (
                "dn: CN=A\njpegPhoto:< file:///etc/passwd\n",
                2,
                "does not follow references",
            ),
            ("mail: a@b\n", 1, "must start with `dn:`"),
            ("dn: CN=A\nchangetype: modify\n", 2, "change record"),
            ("version: 2\n\ndn: CN=A\n", 1, "version"),
            ("\n ab\n", 2, "continues the previous line"),
        ];
        for (input, line, message) in cases {
            let error = read_entries(input.as_bytes(), "in.ldif").unwrap_err();
            assert_eq!(error.line, line, "{input:?}");
            let text = error.to_string();
            assert!(
                text.starts_with(&format!("`in.ldif` line {line}: ")),
                "{text}"
            );
            assert!(text.contains(message), "{text}");
        }
    }

    #[test]
    fn written_entries_read_back_byte_exact() {
        let mut entry = DirectoryEntry::new("CN=Ｔａｒｏ 山田,OU=東京,DC=corp,DC=example,DC=com");
        entry.push("objectGUID", b"0123456789abcdef".to_vec()); // valid UTF-8, still written as Base64
        entry.push("description", " leading space");
        entry.push("info", ":colon first");
        entry.push("title", "a".repeat(200));
        entry.push("mail", "");
        let mut writer = LdifWriter::new(Vec::new(), "test").unwrap();
        writer.write_entry(&entry).unwrap();
        let bytes = writer.finish().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.contains("objectGUID:: MDEyMzQ1Njc4OWFiY2RlZg=="),
            "{text}"
        );
        assert!(text.lines().all(|line| line.len() <= FOLD_WIDTH), "{text}");
        let back = read_entries(&bytes, "written").unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].entry, entry);
    }

    #[test]
    fn pieces_read_like_the_whole() {
        let mut input = String::from("\u{feff}version: 1\r\n\r\n");
        for n in 0..200 {
            input.push_str(&format!(
                "# entry {n}\ndn: CN=User {n},DC=corp\r\nmail: u{n}@example.com\ndescription: a folded\n  value {n}\n\n\n"
            ));
        }
        let whole = read_entries(input.as_bytes(), "f").unwrap();
        for target in [1, 7, 64, 500, 100_000] {
            let pieces = split_records(input.as_bytes(), target);
            assert_eq!(
                pieces.iter().map(|p| p.bytes.len()).sum::<usize>(),
                input.len()
            );
            let read: Vec<LdifEntry> = pieces
                .iter()
                .flat_map(|piece| LdifReader::piece(piece, "f"))
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(read, whole, "target {target}");
        }
        // The first error is the same, with the same line, wherever the cut falls.
        let broken = input.replace("mail: u150@example.com", "mail u150");
        let expected = read_entries(broken.as_bytes(), "f").unwrap_err();
        assert_eq!(
            expected.kind,
            LdifErrorKind::MissingColon {
                found: "mail u150".into()
            }
        );
        for target in [1, 7, 64, 500] {
            let first_error = split_records(broken.as_bytes(), target)
                .iter()
                .flat_map(|piece| LdifReader::piece(piece, "f"))
                .find_map(Result::err)
                .unwrap();
            assert_eq!(first_error, expected, "target {target}");
        }
        // A block cut at the last known boundary, and the rest read with the next block, reads the same.
        let bytes = input.as_bytes();
        let cut = last_record_boundary(&bytes[..bytes.len() / 2]).unwrap();
        assert!(bytes[cut - 1] == b'\n' && bytes[cut] != b' ');
        let first = split_records(&bytes[..cut], 64);
        let rest = split_records_from(&bytes[cut..], 64, 1 + count_lines(&bytes[..cut]));
        let read: Vec<LdifEntry> = first
            .iter()
            .chain(&rest)
            .flat_map(|piece| LdifReader::piece(piece, "f"))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(read, whole);
        assert_eq!(
            last_record_boundary(b"dn: a\n\n"),
            None,
            "what follows is not read yet"
        );
        assert_eq!(
            last_record_boundary(b"dn: a\n\n x"),
            None,
            "a continuation is not a boundary"
        );
        assert_eq!(last_record_boundary(b"dn: a\n\ndn: b\n"), Some(7));

        // `version:` is only special at the start of the file.
        let late = "dn: CN=A\n\nversion: 1\n\n";
        let expected = read_entries(late.as_bytes(), "f").unwrap_err();
        let error = split_records(late.as_bytes(), 1)
            .iter()
            .flat_map(|piece| LdifReader::piece(piece, "f"))
            .find_map(Result::err)
            .unwrap();
        assert_eq!(error, expected);
    }

    proptest::proptest! {
        #[test]
        fn any_entry_round_trips(
            dn in "[A-Za-z=, 山田\\-]{1,80}",
            attributes in proptest::collection::btree_map(
                "[a-zA-Z][a-zA-Z0-9-]{0,20}",
                proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..120), 1..4),
                0..8,
            ),
        ) {
            let mut entry = DirectoryEntry::new(dn);
            for (name, values) in attributes {
                // Names differing only by case are one attribute in LDAP.
                if entry.attributes.contains_key(&AttributeName::new(name.clone())) || name.eq_ignore_ascii_case("dn")
                    || name.eq_ignore_ascii_case("changetype") || name.eq_ignore_ascii_case("version") {
                    continue;
                }
                for value in values {
                    entry.push(&name, value);
                }
            }
            let mut writer = LdifWriter::new(Vec::new(), "proptest").unwrap();
            writer.write_entry(&entry).unwrap();
            let bytes = writer.finish().unwrap();
            let back = read_entries(&bytes, "proptest").unwrap();
            proptest::prop_assert_eq!(back.len(), 1);
            proptest::prop_assert_eq!(&back[0].entry, &entry);
        }
    }
}
