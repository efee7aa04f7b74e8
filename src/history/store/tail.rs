//! Following the history while the app runs: what other instances (another TUI, `autocalls-tui
//! create`) appended since [`load`](HistoryStore::load) or the last look, read from a byte offset
//! so that a poll costs what is new, not the size of the file.
//!
//! Only complete lines are read. Appends hold the exclusive lock for their whole write and this
//! reads under the shared one, so a line without its `\n` here was left by a writer that crashed
//! (or by a tool that does not lock): it is left for later, and for `load` to repair at the next
//! start. Damaged lines are reported, never repaired or copied aside: that is `load`'s job.

use std::io::{Read, Seek, SeekFrom};

use super::repair::MAX_LINE_PROBLEMS;
use super::{HistoryError, HistoryStore, io_error, scan};
use crate::history::record::Record;

/// What [`HistoryStore::read_tail`] found after the offset it was given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tail {
    /// The records of the complete lines after the offset, in file order. Records this instance
    /// appended itself come back too: the file does not say who wrote a line.
    pub records: Vec<Record>,
    /// Where to read from next time: just after the last complete line read (the offset given,
    /// when there was none, or when `reset` is set).
    pub end: u64,
    /// Sentences for the user about damaged complete lines that were skipped (left in place).
    pub problems: Vec<String>,
    /// The file is not the one the offset was taken in (it is shorter than the offset, or no
    /// line starts there): nothing was read, and the caller should [`load`](HistoryStore::load)
    /// the history again.
    pub reset: bool,
}

impl HistoryStore {
    /// Reads the records appended since byte `from` (a [`Loaded::end`](super::Loaded::end) or an
    /// earlier [`Tail::end`]): seeks there and reads only what follows. A last line without `\n`
    /// is not read yet; `end` stops before it, so it comes back once its `\n` is there.
    /// Damaged complete lines are skipped and reported, by byte offset, in `problems`; a caller
    /// that continues from `end` hears of each once. Fails only when the file cannot be read.
    pub fn read_tail(&self, from: u64) -> Result<Tail, HistoryError> {
        let path = self.path();
        let file = self.open_file()?;
        // Shared: polls of several instances do not wait for each other, only for appends and
        // for `load`'s repairs, which hold the lock exclusively.
        file.lock_shared().map_err(io_error(path, "lock"))?;
        let len = file.metadata().map_err(io_error(path, "read the size of"))?.len();
        let unchanged = Tail { end: from, ..Tail::default() };
        if len < from {
            return Ok(Tail { reset: true, ..unchanged });
        }
        if len == from {
            return Ok(unchanged);
        }
        // One byte before `from` too, to check that a line ends there.
        let start = from.saturating_sub(1);
        let mut bytes = Vec::with_capacity(usize::try_from(len - start).unwrap_or(0));
        (&file)
            .seek(SeekFrom::Start(start))
            .and_then(|_| (&file).take(len - start).read_to_end(&mut bytes))
            .map_err(io_error(path, "read"))?;
        let new = if from == 0 {
            &bytes[..]
        } else {
            match bytes.split_first() {
                // `load` and this stop just after a `\n`. The one exception: the last line had
                // no `\n` and adding one failed; the next append then starts with one.
                Some((b'\n', new)) => new,
                Some((_, new)) if new.first() == Some(&b'\n') => new,
                _ => return Ok(Tail { reset: true, ..unchanged }),
            }
        };
        let Some(last) = new.iter().rposition(|&b| b == b'\n') else {
            return Ok(unchanged);
        };
        let scan = scan::scan(&new[..=last]);
        let mut problems: Vec<String> = scan
            .damaged
            .iter()
            .take(MAX_LINE_PROBLEMS)
            .map(|bad| {
                format!(
                    "the line at byte {} of {} {}; it was skipped and left in place",
                    from + bad.start as u64,
                    path.display(),
                    bad.reason
                )
            })
            .collect();
        if scan.damaged.len() > MAX_LINE_PROBLEMS {
            problems.push(format!(
                "{} more damaged lines of {} were skipped and left in place",
                scan.damaged.len() - MAX_LINE_PROBLEMS,
                path.display()
            ));
        }
        Ok(Tail { records: scan.records, end: from + last as u64 + 1, problems, reset: false })
    }
}
