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

/// A complete line that is not a readable record: where it was, and its bytes (kept, since the
/// file is read in pieces and the line is copied aside later; damaged lines are rare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Bad {
    pub line: usize,
    pub start: usize,
    pub text: Vec<u8>,
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

/// Complete lines, judged.
#[derive(Debug)]
pub(super) struct Scan {
    pub records: Vec<Record>,
    pub damaged: Vec<Bad>,
}

/// Judges every complete line of `bytes` (what follows the last `\n` is not looked at). Lines
/// are numbered from 1, blank ones included.
pub(super) fn scan(bytes: &[u8]) -> Scan {
    // Records are a few hundred bytes; guessing the count saves reallocations on big files.
    let mut records = Vec::with_capacity(bytes.len() / 256);
    let mut sink = |record| records.push(record);
    let mut scanner = Scanner::new(&mut sink);
    let lines = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |last| last + 1);
    scanner.lines(&bytes[..lines]);
    let (damaged, _) = scanner.finish(&[]);
    Scan { records, damaged }
}

/// Judges lines as the file's bytes come in, handing each good record to a sink, so that a long
/// history is read in pieces and never held whole.
pub(super) struct Scanner<'s> {
    sink: &'s mut dyn FnMut(Record),
    /// Lines judged so far.
    line: usize,
    /// The file offset of the next byte given.
    offset: usize,
    damaged: Vec<Bad>,
}

impl<'s> Scanner<'s> {
    /// A scanner at the start of the file.
    pub fn new(sink: &'s mut dyn FnMut(Record)) -> Self {
        Scanner::resume(sink, 0, 0, Vec::new())
    }

    /// A scanner that goes on after `line` lines ending at byte `offset`, where the lines before
    /// held `damaged`.
    pub fn resume(sink: &'s mut dyn FnMut(Record), line: usize, offset: usize, damaged: Vec<Bad>) -> Self {
        Scanner { sink, line, offset, damaged }
    }

    /// Lines judged so far.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Judges the complete lines in `bytes`, the file's next bytes: empty, or ending with `\n`.
    pub fn lines(&mut self, bytes: &[u8]) {
        debug_assert!(bytes.last().is_none_or(|&b| b == b'\n'));
        for text in bytes.split_inclusive(|&b| b == b'\n') {
            let line = &text[..text.len() - 1];
            self.judge(line);
            self.offset += text.len();
        }
    }

    /// Judges what follows the file's last `\n` (empty when it ends with one) and returns the
    /// damaged lines and what the end of the file is (how many lines there are before it is
    /// [`line`](Self::line) before this call, plus one for an unterminated line).
    pub fn finish(mut self, rest: &[u8]) -> (Vec<Bad>, Tail) {
        if rest.is_empty() {
            return (self.damaged, Tail::Clean);
        }
        // Every append writes its line and `\n` in one write, so bytes after the last `\n` come
        // from an append cut short, and a JSON object cut short never parses. A whole value
        // there was written some other way: keep it and judge it like any line.
        if !is_blank(rest) && serde_json::from_slice::<IgnoredAny>(rest).is_err() {
            let tail = Tail::Torn { line: self.line + 1, start: self.offset };
            return (self.damaged, tail);
        }
        self.judge(rest);
        (self.damaged, Tail::Unterminated)
    }

    fn judge(&mut self, text: &[u8]) {
        self.line += 1;
        if is_blank(text) {
            return;
        }
        match judge(text) {
            Ok(record) => (self.sink)(record),
            Err(reason) => {
                self.damaged.push(Bad { line: self.line, start: self.offset, text: text.to_vec(), reason });
            }
        }
    }
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

    /// Scans `bytes` as a whole file handed over one line at a time.
    fn whole(bytes: &[u8]) -> (usize, Vec<Bad>, Tail) {
        let mut records = 0;
        let mut sink = |_| records += 1;
        let mut scanner = Scanner::new(&mut sink);
        let lines = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |last| last + 1);
        for piece in bytes[..lines].split_inclusive(|&b| b == b'\n') {
            scanner.lines(piece);
        }
        let (damaged, tail) = scanner.finish(&bytes[lines..]);
        (records, damaged, tail)
    }

    #[test]
    fn only_an_unfinished_last_line_is_torn() {
        let (_, damaged, tail) = whole(b"{\"v\":1,\"x\n\n  \n{\"v\":1,\"lo");
        assert_eq!(tail, Tail::Torn { line: 4, start: 14 });
        assert_eq!(damaged.len(), 1, "the complete bad line 1 is damaged, not torn");
        assert_eq!((damaged[0].line, damaged[0].start, &damaged[0].text[..]), (1, 0, &b"{\"v\":1,\"x"[..]));
        assert!(matches!(whole(b"{\"v\":9}").2, Tail::Unterminated));
        assert_eq!(whole(b"\n\n").2, Tail::Clean);
        let line = r#"{"v":1,"local_id":"019ad0a4-5f1e-7c3a-9b1e-3f2d0c8e4a11","at":"2026-11-29T16:56:39Z","type":"outcome","status":"created"}"#;
        let (records, damaged, tail) = whole(format!("{line}\n\n{{bad\n{line}").as_bytes());
        assert_eq!((records, damaged.len(), tail), (2, 1, Tail::Unterminated));
        assert_eq!((damaged[0].line, damaged[0].start), (3, line.len() + 2));
    }
}
