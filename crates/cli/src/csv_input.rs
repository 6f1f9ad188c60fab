//! Reading the small CSV files administrators write by hand or export (`--mapping`, `--hac`): records
//! with the line they start on, for messages that name it.

use anyhow::{Context as _, bail};

/// A CSV reader over `text`, with `delimiter`, a header row, and every record the header's width.
///
/// Line ends are made LF first: the csv crate counts a CRLF-ended line one short, and Excel writes CRLF.
pub fn reader(text: &str, delimiter: u8) -> csv::Reader<std::io::Cursor<Vec<u8>>> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(std::io::Cursor::new(
            text.replace("\r\n", "\n").into_bytes(),
        ))
}

/// The records after the header, each with the line it starts on; a malformed record is an error
/// naming its line.
pub fn numbered_records<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
) -> impl Iterator<Item = anyhow::Result<(usize, csv::StringRecord)>> + '_ {
    reader.records().map(|record| {
        let record = record.map_err(|error| {
            let line = error.position().map_or(0, |position| position.line());
            anyhow::anyhow!("line {line}: {error}")
        })?;
        let line = record
            .position()
            .map_or(0, |position| usize::try_from(position.line()).unwrap_or(0));
        Ok((line, record))
    })
}

/// The file's text: UTF-8 (BOM optional) or UTF-16.
pub fn decode_text(bytes: &[u8]) -> anyhow::Result<String> {
    let utf16 = |encoding: &'static encoding_rs::Encoding, body: &[u8]| -> anyhow::Result<String> {
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        if had_errors {
            bail!("the file is not valid {}", encoding.name());
        }
        Ok(text.into_owned())
    };
    if let Some(body) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(body.to_vec()).context("the file is not valid UTF-8");
    }
    if let Some(body) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(encoding_rs::UTF_16LE, body);
    }
    if let Some(body) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(encoding_rs::UTF_16BE, body);
    }
    // UTF-16 without a byte-order mark: text never holds NUL bytes, while UTF-16 puts one beside every
    // ASCII character (the delimiters and line ends at least), on the odd side for LE.
    if bytes.len().is_multiple_of(2) && bytes.contains(&0) {
        let (mut odd, mut even) = (0usize, 0usize);
        for (position, byte) in bytes.iter().enumerate().take(1 << 16) {
            if *byte == 0 {
                if position % 2 == 1 {
                    odd += 1
                } else {
                    even += 1
                }
            }
        }
        return if odd >= even {
            utf16(encoding_rs::UTF_16LE, bytes)
        } else {
            utf16(encoding_rs::UTF_16BE, bytes)
        };
    }
    String::from_utf8(bytes.to_vec()).map_err(|error| {
        anyhow::anyhow!(
            "the file is neither UTF-8 nor UTF-16 (invalid UTF-8 at byte {}); save it as UTF-8",
            error.utf8_error().valid_up_to()
        )
    })
}
