//! What `--sandbox` remembers between runs: its leads and the next id, as one JSON line per
//! change in a file beside the sandbox's history, so ids never repeat and a phone created in an
//! earlier run is refused again, as the real API would. Read once at start, appended to after.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::data::StoredLead;

/// One change: a lead as it now is, or a lead gone; each carries the next id to give.
#[derive(Serialize, Deserialize)]
struct Line {
    v: u64,
    next_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lead: Option<StoredLead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted: Option<u64>,
}

/// The file the sandbox's changes go to.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
}

impl Journal {
    /// Reads the file (missing: nothing yet) and returns the leads in creation order and the
    /// next id. A line that cannot be read is skipped with a warning: this is demo data.
    pub fn open(path: &Path) -> std::io::Result<(Journal, Vec<StoredLead>, Option<u64>)> {
        let mut leads: Vec<StoredLead> = Vec::new();
        let mut next_id = None;
        match crate::files::read(path) {
            Ok(Some(bytes)) => {
                let text = String::from_utf8_lossy(&bytes);
                for (n, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                    let Ok(line) = serde_json::from_str::<Line>(raw) else {
                        tracing::warn!(path = %path.display(), line = n + 1, "sandbox state line skipped");
                        continue;
                    };
                    next_id = next_id.max(Some(line.next_id));
                    if let Some(lead) = line.lead {
                        match leads.iter_mut().find(|l| l.id == lead.id) {
                            Some(old) => *old = lead,
                            None => leads.push(lead),
                        }
                    }
                    if let Some(id) = line.deleted {
                        leads.retain(|l| l.id != id);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => return Err(std::io::Error::other(e)),
        }
        Ok((Journal { path: path.to_path_buf() }, leads, next_id))
    }

    /// Appends that `lead` now is as given.
    pub fn lead(&self, next_id: u64, lead: &StoredLead) {
        self.append(&Line { v: 1, next_id, lead: Some(lead.clone()), deleted: None });
    }

    /// Appends that lead `id` is gone.
    pub fn deleted(&self, next_id: u64, id: u64) {
        self.append(&Line { v: 1, next_id, lead: None, deleted: Some(id) });
    }

    fn append(&self, line: &Line) {
        let written = (|| {
            if let Some(dir) = self.path.parent() {
                crate::config::create_private_dir(dir)?;
            }
            let mut text = serde_json::to_vec(line).map_err(std::io::Error::other)?;
            text.push(b'\n');
            let mut options = crate::config::private_file_options();
            let mut file =
                crate::files::open(&self.path, options.append(true)).map_err(std::io::Error::other)?;
            file.write_all(&text)?;
            file.sync_data()
        })();
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), error = %e, "sandbox state not written");
        }
    }
}
