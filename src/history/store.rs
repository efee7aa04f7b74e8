//! STUB: being written. Puts history lines on disk and reads them back.
use std::path::{Path, PathBuf};

use super::record::Record;

/// What went wrong with the history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// An IO error on the history file.
    #[error("history file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The history file.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    path: PathBuf,
}

/// What loading found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Records in file order.
    pub records: Vec<Record>,
    /// Problems found and repaired, for the user.
    pub problems: Vec<String>,
}

impl HistoryStore {
    /// Opens (creating) the history file.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, HistoryError> {
        Ok(HistoryStore { path: path.into() })
    }
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Appends one record.
    pub fn append(&self, _record: &Record) -> Result<(), HistoryError> {
        todo!()
    }
    /// Loads every record.
    pub fn load(&self) -> Result<Loaded, HistoryError> {
        todo!()
    }
}
