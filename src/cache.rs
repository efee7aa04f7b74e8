//! Small files in the cache directory that let the app start offline and remember things between
//! runs: the last campaign and assistant lists the server gave (`campaigns.json`,
//! `assistants.json`) and a little remembered state (`state.json`).
//!
//! Everything here may be deleted at any time (cache cleaners, the user) and the app must start
//! as before, only with less to show until the next refresh. The sandbox keeps its files in a
//! `sandbox/` subdirectory so demo campaigns never mix with real ones.
//!
//! The lists are stored as `{"v":1,"fetched_at":"<RFC 3339>","items":[...]}`. Loading a list
//! gives `Ok(None)` for a missing file and `Err(CacheError::Damaged { .. })` for a file that is
//! not valid JSON, misses fields, or has a `v` other than [`CACHE_VERSION`] (a newer app wrote
//! it). Callers treat every `Err` as "no cache" and show the error, which names the file, as a
//! notice; the next successful save replaces the file.
//!
//! Writes are atomic: the text goes to a uniquely named temporary file `.<name>.<uuid>.tmp` in
//! the same directory (mode 0600), is flushed to disk, then renamed over the file. A crash leaves
//! at worst such a temporary file behind, which loading never looks at. Text read back is
//! untrusted: the UI sanitises it before drawing (see `crate::sanitize`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api::types::{Assistant, Campaign};
use crate::config::{create_private_dir, private_file_options};

/// The version written in the `v` field of the list files; other versions are not read.
pub const CACHE_VERSION: u64 = 1;

const CAMPAIGNS_FILE: &str = "campaigns.json";
const ASSISTANTS_FILE: &str = "assistants.json";
const STATE_FILE: &str = "state.json";

/// What went wrong reading or writing a cache file. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The file or its directory could not be read or written.
    #[error("cache file {path}: {source}")]
    Io {
        /// The file (or the directory, when it could not be created).
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A link or something else than a regular file stands in the file's place: not read.
    #[error("cache file {0}; it was ignored")]
    File(crate::files::FileError),
    /// The file exists but cannot be used: not our JSON, or written by a newer version. Treat it
    /// as no cache; the next save replaces it.
    #[error("cache file {path} is damaged and was ignored: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A list as it was last fetched, with the time it was fetched, so the UI can say how old it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Cached<T> {
    /// The list.
    pub value: T,
    /// When the server gave it (when it was saved).
    pub fetched_at: jiff::Timestamp,
}

/// Small things worth remembering between runs, such as the campaign of the last lead created.
///
/// It lives in the cache directory, not the config (which the user writes and which rejects
/// unknown keys) or the data directory (which holds the precious history), because losing it
/// costs nothing: the form merely starts with the default campaign. Every field has
/// `#[serde(default)]` and unknown fields are ignored, so fields can be added in either direction
/// between versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remembered {
    /// The campaign the last lead the server created went to.
    #[serde(default)]
    pub last_campaign: Option<u64>,
    /// The rows each campaign's leads use, learnt from the leads sent there.
    #[serde(default)]
    pub layouts: std::collections::BTreeMap<u64, crate::layout::Layout>,
}

/// The cache files of one target (live or sandbox) in one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    v: u64,
    fetched_at: jiff::Timestamp,
    items: &'a [T],
}

#[derive(Deserialize)]
struct VersionProbe {
    v: u64,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    fetched_at: jiff::Timestamp,
    items: Vec<T>,
}

impl Cache {
    /// A cache keeping its files directly in `dir` (created when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The cache for the live API (`cache_dir` itself) or for the sandbox (`cache_dir/sandbox`),
    /// so sandbox demo data never shows up in a real session or the other way round.
    pub fn for_target(cache_dir: impl AsRef<Path>, sandbox: bool) -> Cache {
        let dir = cache_dir.as_ref();
        Cache::new(if sandbox { dir.join("sandbox") } else { dir.to_path_buf() })
    }

    /// The directory the files are in, for messages.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores the campaigns just fetched, stamped with the current time.
    pub fn save_campaigns(&self, campaigns: &[Campaign]) -> Result<(), CacheError> {
        self.save_list(CAMPAIGNS_FILE, campaigns)
    }

    /// The campaigns last stored: `Ok(None)` when there are none, `Err` when the file cannot be
    /// read or is damaged (see the module documentation).
    pub fn load_campaigns(&self) -> Result<Option<Cached<Vec<Campaign>>>, CacheError> {
        self.load_list(CAMPAIGNS_FILE)
    }

    /// Stores the outbound assistants just fetched, stamped with the current time.
    pub fn save_assistants(&self, assistants: &[Assistant]) -> Result<(), CacheError> {
        self.save_list(ASSISTANTS_FILE, assistants)
    }

    /// The assistants last stored: `Ok(None)` when there are none, `Err` when the file cannot be
    /// read or is damaged (see the module documentation).
    pub fn load_assistants(&self) -> Result<Option<Cached<Vec<Assistant>>>, CacheError> {
        self.load_list(ASSISTANTS_FILE)
    }

    /// The remembered state; a missing, unreadable or damaged file gives the default, because
    /// nothing depends on it.
    pub fn load_remembered(&self) -> Remembered {
        let path = self.dir.join(STATE_FILE);
        match crate::files::read(&path) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::debug!(path = %path.display(), error = %e, "remembered state ignored");
                Remembered::default()
            }),
            Ok(None) => Remembered::default(),
            Err(e) => {
                tracing::warn!(error = %e, "remembered state ignored");
                Remembered::default()
            }
        }
    }

    /// Changes the remembered state and stores it. Changes made by this process at the same time
    /// are applied one after the other, so none is lost.
    pub fn update_remembered(&self, change: impl FnOnce(&mut Remembered)) -> Result<(), CacheError> {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut remembered = self.load_remembered();
        change(&mut remembered);
        self.save_remembered(&remembered)
    }

    /// Stores the remembered state, replacing the previous one.
    pub fn save_remembered(&self, remembered: &Remembered) -> Result<(), CacheError> {
        let text = serde_json::to_vec(remembered).map_err(|e| self.io(STATE_FILE, e.into()))?;
        self.write_atomic(STATE_FILE, &text)
    }

    fn save_list<T: Serialize>(&self, name: &str, items: &[T]) -> Result<(), CacheError> {
        let envelope = EnvelopeOut { v: CACHE_VERSION, fetched_at: jiff::Timestamp::now(), items };
        let text = serde_json::to_vec(&envelope).map_err(|e| self.io(name, e.into()))?;
        self.write_atomic(name, &text)
    }

    fn load_list<T: DeserializeOwned>(&self, name: &str) -> Result<Option<Cached<Vec<T>>>, CacheError> {
        let path = self.dir.join(name);
        let bytes = match crate::files::read(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(crate::files::FileError::Io { path, source }) => return Err(CacheError::Io { path, source }),
            Err(e) => return Err(CacheError::File(e)),
        };
        match decode_list(&bytes) {
            Ok(cached) => Ok(Some(cached)),
            Err(reason) => Err(CacheError::Damaged { path, reason }),
        }
    }

    /// Writes `bytes` to `name` so that readers see either the old file or the whole new one.
    fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<(), CacheError> {
        create_private_dir(&self.dir).map_err(|source| CacheError::Io { path: self.dir.clone(), source })?;
        let path = self.dir.join(name);
        // A unique name: two instances saving at once never write into the same temporary file,
        // and a temporary file left by a crash never stands in the way.
        let tmp = self.dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = private_file_options().create_new(true).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &path)
        })();
        if let Err(source) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(CacheError::Io { path, source });
        }
        // Make the rename itself durable; best effort, the file is complete either way.
        #[cfg(unix)]
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn io(&self, name: &str, source: std::io::Error) -> CacheError {
        CacheError::Io { path: self.dir.join(name), source }
    }
}

/// Reads a list file's text; the error is the reason it is damaged.
fn decode_list<T: DeserializeOwned>(bytes: &[u8]) -> Result<Cached<Vec<T>>, String> {
    // The version first, so a newer layout is reported as such rather than as a field error.
    let probe: VersionProbe = serde_json::from_slice(bytes).map_err(reason)?;
    if probe.v != CACHE_VERSION {
        return Err(format!("version {} is not {CACHE_VERSION}, the one this app reads", probe.v));
    }
    let envelope: EnvelopeIn<T> = serde_json::from_slice(bytes).map_err(reason)?;
    Ok(Cached { value: envelope.items, fetched_at: envelope.fetched_at })
}

/// The parser's message, cut short: it may quote the file's content, which can be anything.
fn reason(error: serde_json::Error) -> String {
    const MAX_CHARS: usize = 160;
    let text = error.to_string();
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
