//! Who holds an open lead. Every process that sends leads (a TUI window, `autocalls-tui create`)
//! takes a lock file of its own, `runs/<run id>.lock` beside the history, and holds an exclusive
//! `flock` on it for as long as it lives; every record it writes names its run (`run`). The
//! kernel drops the lock when the process ends, however it ends (SIGKILL included), so whether
//! the owner of a lead is still at work has an exact answer: whether its lock can be taken.

use std::fs::{File, TryLockError};
use std::io;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One run of the app: a process that may hold open leads. Written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RunId(NonZeroU64);

impl RunId {
    /// A fresh id, random enough that two runs never share one.
    pub fn new() -> Self {
        let (_, random) = uuid::Uuid::now_v7().as_u64_pair();
        // The low bits of a v7 id are random; one bit set keeps it non-zero.
        RunId(NonZeroU64::MIN.saturating_add(random >> 1))
    }
}

impl RunId {
    /// The id as a number, for the binary checkpoint.
    pub(crate) fn bits(self) -> u64 {
        self.0.get()
    }

    /// The id a [`bits`](Self::bits) gave; none for 0.
    pub(crate) fn from_bits(bits: u64) -> Option<RunId> {
        NonZeroU64::new(bits).map(RunId)
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl std::str::FromStr for RunId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid = text.len() == 16 && text.bytes().all(|b| b.is_ascii_hexdigit());
        u64::from_str_radix(text, 16)
            .ok()
            .filter(|_| valid)
            .and_then(NonZeroU64::new)
            .map(RunId)
            .ok_or_else(|| format!("`{text}` is not a run id"))
    }
}

impl Serialize for RunId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RunId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The folder of run lock files for the history at `history`.
pub fn runs_dir(history: &Path) -> PathBuf {
    history.with_file_name("runs")
}

fn lock_path(dir: &Path, run: RunId) -> PathBuf {
    dir.join(format!("{run}.lock"))
}

/// This process's run: its lock is held until the value is dropped (the file is removed then)
/// or the process ends.
#[derive(Debug)]
pub struct RunLock {
    id: RunId,
    path: PathBuf,
    _file: File,
}

impl RunLock {
    /// Creates and locks a new run's file in `dir` (made with mode 0700 if missing).
    pub fn take(dir: &Path) -> io::Result<Self> {
        // The folder is the app's own: a link there could put the locks where others see them.
        crate::files::own_dir(dir).map_err(io::Error::other)?;
        let id = RunId::new();
        let path = lock_path(dir, id);
        let file = crate::config::private_file_options().create_new(true).open(&path)?;
        file.try_lock().map_err(io::Error::from)?;
        Ok(RunLock { id, path, _file: file })
    }

    /// This run's id, for its records.
    pub fn id(&self) -> RunId {
        self.id
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still locked: whoever waits on it sees the run end when the file closes.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether run `run` is still at work: its lock file exists and is locked. A run whose file
/// is gone, or can be locked, has ended (its file is removed then). When the file cannot be
/// opened for another reason, the run is taken as alive: a lead is never taken from a live run.
pub fn is_alive(dir: &Path, run: RunId) -> bool {
    let path = lock_path(dir, run);
    let file = match open_lock(&path) {
        Some(Ok(file)) => file,
        Some(Err(e)) => return !e.is_missing(),
        None => return false,
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(TryLockError::WouldBlock | TryLockError::Error(_)) => true,
    }
}

/// Blocks until run `run` has ended (at once when it has already).
pub fn wait_until_gone(dir: &Path, run: RunId) {
    let path = lock_path(dir, run);
    let Some(Ok(file)) = open_lock(&path) else { return };
    if file.lock().is_ok() {
        let _ = std::fs::remove_file(&path);
    }
}

/// Opens another run's lock file to try its lock; `None` when what is there is no lock file (a
/// link, a FIFO, a folder): no run can hold it, so it is removed (a link only as a link, its
/// target untouched) and the run taken as ended.
fn open_lock(path: &Path) -> Option<Result<File, crate::files::FileError>> {
    use crate::files::FileError;
    match crate::files::open(path, File::options().read(true)) {
        Err(e @ (FileError::Link { .. } | FileError::NotAFile { .. })) => {
            tracing::warn!(error = %e, "not a run lock; removed");
            let _ = std::fs::remove_file(path);
            None
        }
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_read_back_and_differ() {
        let a = RunId::new();
        assert_eq!(a.to_string().len(), 16);
        assert_eq!(a.to_string().parse::<RunId>(), Ok(a));
        assert_ne!(a, RunId::new());
        assert!("0000000000000000".parse::<RunId>().is_err());
        assert!("xyz".parse::<RunId>().is_err());
        assert!("+0000000000000ff".parse::<RunId>().is_err());
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<RunId>(&json).unwrap(), a);
    }

    #[test]
    fn a_run_is_alive_while_its_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let lock = RunLock::take(&runs).unwrap();
        let id = lock.id();
        assert!(is_alive(&runs, id));
        assert!(is_alive(&runs, id), "checking does not end it");
        drop(lock);
        assert!(!is_alive(&runs, id));
        assert!(!is_alive(&runs, RunId::new()), "an unknown run has ended");
    }

    #[test]
    fn a_lock_file_nobody_holds_is_an_ended_run_and_is_cleaned_up() {
        // As SIGKILL leaves it: the file stays, the lock went with the process (a real killed
        // process is in tests/faults).
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        std::fs::create_dir(&runs).unwrap();
        let id = RunId::new();
        let path = lock_path(&runs, id);
        File::create(&path).unwrap();
        assert!(!is_alive(&runs, id));
        assert!(!path.exists(), "the ended run's file is removed");
        wait_until_gone(&runs, id);
    }

    #[test]
    fn what_is_not_a_lock_file_is_no_run_and_hangs_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        std::fs::create_dir(&runs).unwrap();
        // A link to a file some live process holds locked: not taken for that process's run.
        let held = dir.path().join("held");
        let holder = File::create(&held).unwrap();
        holder.lock().unwrap();
        let linked = RunId::new();
        std::os::unix::fs::symlink(&held, lock_path(&runs, linked)).unwrap();
        assert!(!is_alive(&runs, linked));
        assert!(!lock_path(&runs, linked).exists() && held.exists(), "the link went, not its target");
        // A FIFO: opening it for its lock would wait for a writer forever.
        let piped = RunId::new();
        crate::files::make_fifo(&lock_path(&runs, piped));
        assert!(!is_alive(&runs, piped));
        let piped_again = RunId::new();
        crate::files::make_fifo(&lock_path(&runs, piped_again));
        wait_until_gone(&runs, piped_again);
        // A runs folder that is a link is refused.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let linked_runs = dir.path().join("linked-runs");
        std::os::unix::fs::symlink(&elsewhere, &linked_runs).unwrap();
        let err = RunLock::take(&linked_runs).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "no lock made through the link");
    }

    #[test]
    fn waiting_ends_when_the_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let lock = RunLock::take(&runs).unwrap();
        let id = lock.id();
        let (tx, rx) = std::sync::mpsc::channel();
        let watched = runs.clone();
        std::thread::spawn(move || {
            wait_until_gone(&watched, id);
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(std::time::Duration::from_millis(200)).is_err(), "still alive");
        drop(lock);
        rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the wait ends with the run");
    }
}
