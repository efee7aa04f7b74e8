//! Splits the history's bytes into lines and judges each one: a record to keep, a blank line to
//! ignore, a damaged line to skip, or an unfinished last line. Pure: no IO, one pass over memory.

use std::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::history::record::{Record, SCHEMA_VERSION};

/// Why a line of the history could not be read as a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamageReason {
    /// NUL bytes: what a crash or power loss leaves where data never reached the disk.
    NulBytes,
    /// Bytes that are not UTF-8, so not JSON; a damaged disk block or a foreign tool wrote them.
    NotUtf8,
    /// Text that is not JSON; the parser's message says where it broke.
    NotJson(String),
    /// Valid JSON that is not a history record (a field missing or of the wrong type).
    NotARecord(String),
    /// A record of a schema version newer than this app reads; a newer app wrote it.
    NewerVersion(u64),
}

impl fmt::Display for DamageReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DamageReason::NulBytes => {
                f.write_str("is damaged: it holds NUL bytes, as a crash or power loss leaves")
            }
            DamageReason::NotUtf8 => f.write_str("is damaged: it is not valid UTF-8"),
            DamageReason::NotJson(e) => write!(f, "is damaged: it is not valid JSON ({e})"),
            DamageReason::NotARecord(e) => write!(f, "is not a history record ({e})"),
            DamageReason::NewerVersion(v) => write!(
                f,
                "was written by a newer autocalls-tui (format v{v}, this one reads up to \
                 v{SCHEMA_VERSION}); update the app to see it"
            ),
        }
    }
}

/// A complete line that is not a readable record, with where its bytes are.
#[derive(Debug)]
pub(super) struct Bad {
    pub line: usize,
    pub start: usize,
    pub end: usize,
    pub reason: DamageReason,
}

/// What the bytes after the last `\n` are.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Tail {
    /// The file is empty or ends with `\n`.
    Clean,
    /// A complete line without its `\n` (judged like any other line); a `\n` must be added.
    Unterminated,
    /// An unfinished line, from byte `start` to the end: to be kept aside and cut off.
    Torn { line: usize, start: usize },
}

/// The whole file, judged line by line.
#[derive(Debug)]
pub(super) struct Scan {
    pub records: Vec<Record>,
    pub damaged: Vec<Bad>,
    pub tail: Tail,
}

/// Judges every line of the file's bytes. Lines are numbered from 1, blank ones included.
pub(super) fn scan(bytes: &[u8]) -> Scan {
    // Records are a few hundred bytes; guessing the count saves reallocations on big files.
    let mut records = Vec::with_capacity(bytes.len() / 256);
    let mut out = scan_each(bytes, &mut |record| records.push(record));
    out.records = records;
    out
}

/// Like [`scan`], handing each good record to `sink` as it is read instead of keeping them
/// (`records` stays empty).
pub(super) fn scan_each(bytes: &[u8], sink: &mut dyn FnMut(Record)) -> Scan {
    let mut out = Scan { records: Vec::new(), damaged: Vec::new(), tail: Tail::Clean };
    let mut start = 0;
    let mut line = 0;
    while start < bytes.len() {
        line += 1;
        let newline = bytes[start..].iter().position(|&b| b == b'\n');
        let end = newline.map_or(bytes.len(), |i| start + i);
        let text = &bytes[start..end];
        if newline.is_none() {
            // Every append writes its line and `\n` in one write, so bytes after the last `\n`
            // come from an append cut short, and a JSON object cut short never parses. A whole
            // value there was written some other way: keep it and judge it like any line.
            if !is_blank(text) && serde_json::from_slice::<IgnoredAny>(text).is_err() {
                out.tail = Tail::Torn { line, start };
                break;
            }
            out.tail = Tail::Unterminated;
        }
        if !is_blank(text) {
            match judge(text) {
                Ok(record) => sink(record),
                Err(reason) => out.damaged.push(Bad { line, start, end, reason }),
            }
        }
        start = end + 1;
    }
    out
}

fn is_blank(text: &[u8]) -> bool {
    text.iter().all(u8::is_ascii_whitespace)
}

/// Reads one line as a record of this or an older schema, or says why not.
fn judge(text: &[u8]) -> Result<Record, DamageReason> {
    match serde_json::from_slice::<Record>(text) {
        Ok(record) if record.v <= SCHEMA_VERSION => Ok(record),
        Ok(record) => Err(DamageReason::NewerVersion(record.v.into())),
        Err(e) => Err(diagnose(text, &e)),
    }
}

/// Only the version, to tell "written by a newer app" from "broken" when a full parse failed.
#[derive(Deserialize)]
struct VersionOnly {
    v: u64,
}

/// Finds the most useful explanation for a line that did not parse (runs for bad lines only).
fn diagnose(text: &[u8], error: &serde_json::Error) -> DamageReason {
    if text.contains(&0) {
        DamageReason::NulBytes
    } else if std::str::from_utf8(text).is_err() {
        DamageReason::NotUtf8
    } else if let Ok(VersionOnly { v }) = serde_json::from_slice(text)
        && v > u64::from(SCHEMA_VERSION)
    {
        DamageReason::NewerVersion(v)
    } else if error.is_data() {
        DamageReason::NotARecord(error.to_string())
    } else {
        DamageReason::NotJson(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_told_apart() {
        assert_eq!(judge(b"{\"v\":1,\0\0"), Err(DamageReason::NulBytes));
        assert_eq!(judge(b"{\"v\":\"\xff\"}"), Err(DamageReason::NotUtf8));
        assert_eq!(judge(b"{\"v\":7,\"type\":\"new\"}"), Err(DamageReason::NewerVersion(7)));
        assert!(matches!(judge(b"{\"v\":1}"), Err(DamageReason::NotARecord(_))));
        assert!(matches!(judge(b"{\"v\":1,"), Err(DamageReason::NotJson(_))));
    }

    #[test]
    fn only_an_unfinished_last_line_is_torn() {
        let s = scan(b"{\"v\":1,\"x\n\n  \n{\"v\":1,\"lo");
        assert_eq!(s.tail, Tail::Torn { line: 4, start: 14 });
        assert_eq!(s.damaged.len(), 1, "the complete bad line 1 is damaged, not torn");
        assert_eq!(scan(b"{\"v\":9}").tail, Tail::Unterminated);
        assert_eq!(scan(b"\n\n").tail, Tail::Clean);
    }
}
