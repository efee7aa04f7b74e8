//! What `load` does about bad bytes, and the side file where it keeps them.
//!
//! Two kinds of bad bytes exist, and they are treated differently:
//! - a **torn tail**: bytes after the last `\n` that are not a complete JSON value. Only a crash
//!   or power loss in the middle of an append leaves those (every append writes its whole line,
//!   `\n` included, in one write). They are copied to the side file, then cut off the history.
//! - a **damaged line**: a complete line that is not a readable record (bad JSON, bad UTF-8, NUL
//!   bytes, a newer schema). It is skipped, reported, and copied to the side file, but **left in
//!   place**: the history is append-only and its middle is never rewritten, so a newer app still
//!   finds its own records there and nothing depends on the copy.
//!
//! # The side file (`<history file name>.damaged`, mode 0600)
//! A sequence of entries, each a header line, then the bad line's bytes exactly as they were
//! (they hold no `\n`, by construction), then `\n`:
//! ```text
//! #autocalls-tui-damaged kind=middle line=17 len=42 fnv1a64=af63bd4c8601b7df at=2026-05-01T10:00:00Z
//! {"v":1,"local_id":"0196…   <- the 42 raw bytes of line 17
//! ```
//! **Copied once**: before copying a damaged line, `load` reads the side file's headers and skips
//! any line whose `(line, len, fnv1a64)` is already there. As the middle of the history is never
//! rewritten, a line number names the same bytes on every start. If the side file is lost or
//! unreadable, lines are copied again: a second copy costs nothing, and the line itself is still in
//! the history. Torn tails are always copied: each was cut off, so each is a new event.
//! Everything here runs under the history's lock, which also serialises the side file.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;

use super::scan::{Bad, DamageReason, Tail};
use super::{HistoryStore, Loaded};

/// The first word of every header line in the side file.
const HEADER: &str = "#autocalls-tui-damaged ";

/// At most this many damaged lines get a sentence of their own in [`Loaded::problems`].
pub(super) const MAX_LINE_PROBLEMS: usize = 20;

/// A complete line of the history that was skipped, for the UI and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedLine {
    /// Its 1-based line number in the history file.
    pub line: usize,
    /// Its length in bytes, without the `\n`.
    pub len: usize,
    /// What is wrong with it.
    pub reason: DamageReason,
    /// Whether this load copied it to the side file (false: an earlier load had, or copying
    /// failed, which `problems` then says).
    pub newly_copied: bool,
}

/// The unfinished last line cut off the history, for the UI and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The 1-based line number it had.
    pub line: usize,
    /// How many bytes it had (all copied to the side file).
    pub len: usize,
    /// Whether it is still in the history because keeping it aside failed.
    pub left_in_place: bool,
}

impl HistoryStore {
    /// Handles the bad lines and the last line the scan found in `file`, `len` bytes long,
    /// whose bytes after the last `\n` are `rest`. Never fails: what cannot be repaired is left
    /// in place and said in `out.problems`. Sets `out.end` to the file's length after the
    /// repairs: a torn tail left in place counts as read (it was reported), and the next append
    /// starts a new line after it.
    pub(super) fn repair(
        &self,
        file: &File,
        len: u64,
        bad: Vec<Bad>,
        tail: Tail,
        rest: &[u8],
        out: &mut Loaded,
    ) {
        if self.read_only {
            return self.report_only(bad, tail, len, rest.len(), out);
        }
        self.keep_damaged_aside(bad, out);
        out.end = len;
        match tail {
            Tail::Clean => {}
            Tail::Unterminated => match (&*file).write_all(b"\n").and_then(|()| file.sync_data()) {
                Ok(()) => {
                    out.newline_added = true;
                    out.end += 1;
                }
                Err(e) => out.problems.push(format!(
                    "could not end the last line of {} with a newline ({e}); the next save will",
                    self.path().display()
                )),
            },
            Tail::Torn { line, start } => self.cut_torn_tail(file, rest, start, line, out),
        }
    }

    /// Copies the torn tail (`tail`, from byte `start`) to the side file, then cuts it off the
    /// history. If the copy fails the tail stays (the next append starts a new line after it),
    /// so no byte is ever lost.
    fn cut_torn_tail(&self, file: &File, tail: &[u8], start: usize, line: usize, out: &mut Loaded) {
        let mut entry = Vec::with_capacity(tail.len() + 128);
        push_entry(&mut entry, "torn-tail", line, tail, &now());
        let (hist, side) = (self.path().display(), self.damaged_path().display());
        let cut = self
            .write_side_file(&entry)
            .and_then(|()| file.set_len(start as u64))
            .and_then(|()| file.sync_data());
        let left_in_place = cut.is_err();
        if !left_in_place {
            out.end = start as u64;
        }
        out.problems.push(match cut {
            Ok(()) => format!(
                "the last line of {hist} (line {line}, {} bytes) was cut short, probably by a \
                 crash or power loss; it was removed and kept in {side}",
                tail.len()
            ),
            Err(e) => format!(
                "the last line of {hist} (line {line}) was cut short, probably by a crash; it could \
                 not be moved to {side} ({e}) and was left in place; free some disk space and \
                 restart"
            ),
        });
        out.torn_tail = Some(TornTail { line, len: tail.len(), left_in_place });
    }

    /// What [`repair`](Self::repair) says of a history opened read-only, where nothing is
    /// written: every problem, each left as it is for the app's next start to repair.
    fn report_only(&self, bad: Vec<Bad>, tail: Tail, len: u64, torn_len: usize, out: &mut Loaded) {
        let hist = self.path().display();
        out.end = len;
        out.damaged = bad
            .into_iter()
            .map(|b| DamagedLine { line: b.line, len: b.text.len(), reason: b.reason, newly_copied: false })
            .collect();
        for d in out.damaged.iter().take(MAX_LINE_PROBLEMS) {
            out.problems.push(format!("line {} of {hist} {}; it was skipped", d.line, d.reason));
        }
        if out.damaged.len() > MAX_LINE_PROBLEMS {
            let more = out.damaged.len() - MAX_LINE_PROBLEMS;
            out.problems.push(format!("{more} more damaged lines of {hist} were skipped"));
        }
        if let Tail::Torn { line, .. } = tail {
            out.problems.push(format!(
                "the last line of {hist} (line {line}) was cut short, probably by a crash; it was \
                 skipped (the app sets it aside when it next opens the history to write)"
            ));
            out.torn_tail = Some(TornTail { line, len: torn_len, left_in_place: true });
        }
    }

    /// Copies damaged lines to the side file unless an earlier load already did, and reports
    /// every one, each time: they stay in the history, whose middle is never rewritten.
    fn keep_damaged_aside(&self, bad: Vec<Bad>, out: &mut Loaded) {
        if bad.is_empty() {
            return;
        }
        // Missing or unreadable: copy everything again, which loses nothing.
        let copied = crate::files::read(self.damaged_path())
            .ok()
            .flatten()
            .map(|s| copied_keys(&s))
            .unwrap_or_default();
        let found = now();
        let mut entries = Vec::new();
        let mut damaged: Vec<DamagedLine> = bad
            .into_iter()
            .map(|b| {
                let text = &b.text[..];
                let newly_copied = !copied.contains(&copy_key(b.line, text));
                if newly_copied {
                    push_entry(&mut entries, "middle", b.line, text, &found);
                }
                DamagedLine { line: b.line, len: text.len(), reason: b.reason, newly_copied }
            })
            .collect();
        let (hist, side) = (self.path().display(), self.damaged_path().display());
        let mut where_kept = format!("a copy is kept in {side}");
        if !entries.is_empty()
            && let Err(e) = self.write_side_file(&entries)
        {
            out.problems.push(format!(
                "could not copy damaged lines of {hist} to {side} ({e}); they are still in {hist}"
            ));
            where_kept = format!("copying it to {side} failed");
            for d in &mut damaged {
                d.newly_copied = false;
            }
        }
        for d in damaged.iter().take(MAX_LINE_PROBLEMS) {
            out.problems.push(format!(
                "line {} of {hist} {}; it was skipped and left in place, and {where_kept}",
                d.line, d.reason
            ));
        }
        if damaged.len() > MAX_LINE_PROBLEMS {
            out.problems.push(format!(
                "{} more damaged lines of {hist} were skipped and left in place",
                damaged.len() - MAX_LINE_PROBLEMS
            ));
        }
        out.damaged = damaged;
    }

    /// Appends entries to the side file (created with mode 0600) in one write, and syncs them.
    fn write_side_file(&self, entries: &[u8]) -> io::Result<()> {
        // Not through a link, and never blocked by a FIFO in its place: the history's lock is
        // held meanwhile, so a wait here would hold up every window.
        let mut side =
            crate::files::open(self.damaged_path(), OpenOptions::new().append(true).create(true).mode(0o600))
                .map_err(io::Error::other)?;
        side.write_all(entries)?;
        side.sync_data()
    }
}

/// The current time, for side-file headers.
fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// What identifies a copied line in the side file: line number, length, hash.
type CopyKey = (usize, usize, u64);

/// The key of a line's bytes at a line number.
fn copy_key(line: usize, text: &[u8]) -> CopyKey {
    (line, text.len(), fnv1a64(text))
}

/// The damaged lines already in the side file, read from its headers. Unknown text is ignored.
fn copied_keys(side: &[u8]) -> HashSet<CopyKey> {
    let mut keys = HashSet::new();
    let mut lines = side.split(|&b| b == b'\n');
    while let Some(header) = lines.next() {
        let Some(rest) = header.strip_prefix(HEADER.as_bytes()) else {
            continue;
        };
        lines.next(); // the copied bytes, which might look like anything
        let rest = String::from_utf8_lossy(rest);
        let field = |name: &str| rest.split(' ').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
        if field("kind") != Some("middle") {
            continue;
        }
        let line = field("line").and_then(|s| s.parse().ok());
        let len = field("len").and_then(|s| s.parse().ok());
        let hash = field("fnv1a64").and_then(|s| u64::from_str_radix(s, 16).ok());
        if let (Some(line), Some(len), Some(hash)) = (line, len, hash) {
            keys.insert((line, len, hash));
        }
    }
    keys
}

/// Appends one side-file entry (header, bytes, `\n`) to `out`.
fn push_entry(out: &mut Vec<u8>, kind: &str, line: usize, text: &[u8], found: &str) {
    let (_, len, hash) = copy_key(line, text);
    let header = format!("{HEADER}kind={kind} line={line} len={len} fnv1a64={hash:016x} at={found}\n");
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(text);
    out.push(b'\n');
}

/// FNV-1a, 64 bits: stable across Rust releases (unlike `DefaultHasher`) and needs no crate.
/// It only has to tell a line from a different one at the same line number.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_file_headers_round_trip() {
        let mut side = Vec::new();
        push_entry(&mut side, "middle", 17, b"garbage \xff", "2026-01-01T00:00:00Z");
        push_entry(&mut side, "torn-tail", 18, b"{\"v\":1", "2026-01-01T00:00:00Z");
        let keys = copied_keys(&side);
        assert_eq!(keys, HashSet::from([copy_key(17, b"garbage \xff")]));
        assert!(!keys.contains(&copy_key(17, b"garbage \xfe")));
    }
}
