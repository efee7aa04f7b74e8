//! One lead's whole story, read back from the file when the detail view opens: every attempt that
//! ended and the server's last answer. The leads kept in memory hold only what the list shows and
//! searches (the story is a third of a loaded lead's memory, and only one lead at a time is
//! looked at), so the file, which has every record anyway, is where the rest is read from.

use std::io::{BufRead, BufReader};

use super::{HistoryError, HistoryStore, io_error};
use crate::history::LocalId;
use crate::history::record::{Attempt, Event, Record};

/// What the file says happened to one lead, beyond what the list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Story {
    /// Every send attempt that ended, oldest first.
    pub attempts: Vec<Attempt>,
    /// The server's latest answer (its lead object) as compact JSON, when it gave one.
    pub response: Option<Box<str>>,
}

impl HistoryStore {
    /// Reads the story of lead `id`: one pass over the file, parsing only the lines that name
    /// the lead. Damaged lines are passed over (`load` reports them). Fails only when the file
    /// cannot be read.
    pub fn story(&self, id: LocalId) -> Result<Story, HistoryError> {
        let path = self.path();
        let file = self.open_file()?;
        // Shared, as `read_tail`: appends and `load`'s repairs hold the lock exclusively.
        file.lock_shared().map_err(io_error(path, "lock"))?;
        let needle = id.to_string();
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut reader = BufReader::with_capacity(1 << 16, &file);
        let mut line = Vec::with_capacity(1024);
        let mut story = Story::default();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).map_err(io_error(path, "read"))? == 0 {
                break;
            }
            if finder.find(&line).is_none() {
                continue;
            }
            let Ok(mut record) = serde_json::from_slice::<Record>(&line) else { continue };
            if record.local_id != id {
                continue;
            }
            record.sanitize();
            if let Event::Outcome { status, error, response, .. } = record.event {
                story.attempts.push(Attempt { at: record.at, status, error: error.map(|e| e.message) });
                if let Some(response) = response {
                    story.response = Some(response.to_string().into_boxed_str());
                }
            }
        }
        Ok(story)
    }
}
