//! Puts history lines on disk and reads them back: `history.jsonl`, one record per line,
//! append-only. Every append is one `write` of a whole line on a file opened with `O_APPEND`,
//! under an exclusive advisory lock, then `fdatasync`ed before it is acknowledged, so two app
//! instances can share the file and an acknowledged record survives a crash. `load` takes the same
//! lock, judges every line (`scan`) and repairs what a crash can leave (`repair`, which also
//! documents the side file where bad lines are kept). `read_tail` then follows what other
//! instances append, from the offset where `load` stopped (`tail`).

pub(super) mod checkpoint;
mod repair;
mod scan;
mod story;
mod tail;

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub use repair::{DamagedLine, TornTail};
pub use scan::DamageReason;
pub use story::Story;
pub use tail::Tail;

use super::leads::Leads;
use super::owner::RunId;
use super::record::{Finished, Folder, LocalId, Outcome, Record, Status};
use super::search_index::SearchIndex;

/// Histories from this long keep a checkpoint beside them (about 1,200 leads).
pub const CHECKPOINT_MIN: u64 = 1 << 20;

/// A checkpoint is written again once this many bytes of the history lie past it (about 1,200
/// leads: parsing them costs a start a few milliseconds).
const CHECKPOINT_BEHIND: u64 = 1 << 20;

/// The history read as leads ([`HistoryStore::load_leads`]).
#[derive(Debug, Default)]
pub struct Folded {
    /// The leads, in submission order: those a checkpoint held settled are packed.
    pub leads: Leads,
    /// Outcome records whose lead was never submitted (a damaged line lost it).
    pub orphans: Vec<Record>,
    /// What was repaired and reported; its `records` is empty.
    pub loaded: Loaded,
    /// The leads' search index, when the load made it anyway: read from the checkpoint (and
    /// brought up to date), or made to write one. `None`: whoever needs it makes it.
    pub search: Option<SearchIndex>,
}

/// Why the history could not be opened, written or read. Each message names the file and says
/// what to do, because it is shown to the user as it is.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The disk or the user's quota is full: the record was not saved.
    #[error(
        "the disk holding the history file {path} is full, so nothing was saved; free some space \
         and try again ({source})"
    )]
    StorageFull {
        /// The history file.
        path: PathBuf,
        /// The error from the operating system.
        source: io::Error,
    },
    /// Any other failure of the operating system on the history file or its folder.
    #[error("could not {action} the history file {path}: {source}; {}", hint(.source.kind()))]
    Io {
        /// The file (or folder) concerned.
        path: PathBuf,
        /// What was being done, as a verb phrase: `open`, `append to`, `lock`, ...
        action: &'static str,
        /// The error from the operating system.
        source: io::Error,
    },
    /// The path is a symbolic link: it is not followed (records would land wherever it points).
    #[error(
        "the history file {path} is a symbolic link, which is not followed; put the history file itself there, or choose another --data-dir"
    )]
    Link {
        /// The path.
        path: PathBuf,
    },
    /// The path exists but is not a regular file (a folder, a device), so it cannot hold history.
    #[error("the history file {path} is not a regular file; remove it or choose another --data-dir")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A record could not be turned into JSON. A bug: nothing was written.
    #[error("could not encode a record for the history file {path}: {source}; please report this bug")]
    Encode {
        /// The history file.
        path: PathBuf,
        /// The serializer's error.
        source: serde_json::Error,
    },
}

/// What the user can do about an IO error of a given kind.
fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::PermissionDenied => {
            "check that you own the file and its folder (chmod 600 the file, 700 the folder)"
        }
        ErrorKind::NotFound | ErrorKind::NotADirectory => {
            "check that its folder exists, or choose another --data-dir"
        }
        ErrorKind::ReadOnlyFilesystem => "the disk is read-only; choose another --data-dir",
        _ => "check the disk and the file, then try again",
    }
}

/// Maps an IO error on `path` to the matching [`HistoryError`].
fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> HistoryError {
    move |source| match source.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            HistoryError::StorageFull { path: path.to_owned(), source }
        }
        _ => HistoryError::Io { path: path.to_owned(), action, source },
    }
}

/// The history file: where every lead and each of its outcomes is kept. Cheap to clone; every
/// operation opens the file anew, so clones in other threads or tasks lock against each other.
#[derive(Debug, Clone)]
pub struct HistoryStore {
    path: PathBuf,
    damaged_path: PathBuf,
    checkpoint_path: PathBuf,
    /// A history shorter than this has no checkpoint: it is read whole at each start.
    checkpoint_min: u64,
    /// The run whose records this store writes (named in each record it appends).
    run: Option<RunId>,
    /// Opened only to be read ([`HistoryStore::read_only`]): nothing is created or repaired.
    read_only: bool,
}

/// A lead to take over from a run that may have ended, as the caller last read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The lead.
    pub local_id: LocalId,
    /// The run its latest record names (none: written by an app too old to say).
    pub owner: Option<RunId>,
    /// Its status then, kept by the record that takes it over.
    pub status: Status,
}

/// What became of a [`Claim`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// It is this run's now (a record saying so is on disk).
    Taken,
    /// Its owner is still at work; it is left to it.
    Alive(RunId),
    /// It has records the caller has not read yet; read them, then ask again if still open.
    Moved,
}

/// What [`HistoryStore::load`] read, and what it found wrong and repaired on the way.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every readable record, in file order; ready for [`fold`](super::fold).
    pub records: Vec<Record>,
    /// Sentences for the user about what was damaged, repaired or kept aside.
    pub problems: Vec<String>,
    /// Complete lines that were skipped (left in the file, copied to the side file).
    pub damaged: Vec<DamagedLine>,
    /// The unfinished last line that was cut off, if a crash left one.
    pub torn_tail: Option<TornTail>,
    /// Whether the last line was whole but had no `\n`, and one was added.
    pub newline_added: bool,
    /// The file's permission bits when group or others may access it (left unchanged).
    pub loose_mode: Option<u32>,
    /// The byte offset just after the last line read, after repairs (the file's length then):
    /// where [`HistoryStore::read_tail`] continues, to find what other instances append.
    pub end: u64,
    /// How many of the history's first bytes a checkpoint stood for, unparsed (0: none did;
    /// see [`HistoryStore::load_leads`]).
    pub checkpoint: u64,
}

impl HistoryStore {
    /// Opens the history at `path`, creating its missing folders (mode 0700) and the file (mode
    /// 0600) so that leads are private from the first byte. Fails early if it cannot be written.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, HistoryError> {
        let store = HistoryStore { read_only: false, ..HistoryStore::read_only(path) };
        let path = &store.path;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            crate::config::create_private_dir(parent).map_err(io_error(parent, "create the folder of"))?;
        }
        // O_NOFOLLOW: a link in the file's place is refused, never followed (with O_EXCL a link
        // already fails as existing; then `open_file` says what it is).
        match OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
        {
            // Nothing is synced yet: an empty file lost in a crash loses nothing, and two syncs
            // here were on the way to the first frame. The first append syncs the folder too.
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                store.open_file()?;
            }
            Err(e) => return Err(io_error(path, "create")(e)),
        }
        Ok(store)
    }

    /// The history at `path`, to be read and never written: nothing is created (a missing file
    /// has no leads), the file may be read-only, readers share its lock, and what a load would
    /// repair is only reported. For `history`, which reads and writes nothing.
    pub fn read_only(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let beside = |suffix: &str| {
            let mut name = path.file_name().unwrap_or(path.as_os_str()).to_owned();
            name.push(suffix);
            path.with_file_name(name)
        };
        HistoryStore {
            damaged_path: beside(".damaged"),
            checkpoint_path: beside(".checkpoint"),
            checkpoint_min: CHECKPOINT_MIN,
            path,
            run: None,
            read_only: true,
        }
    }

    /// The same store, keeping a checkpoint for histories from `bytes` long (tests use small
    /// ones; the app's is [`CHECKPOINT_MIN`]).
    #[must_use]
    pub fn with_checkpoint_min(mut self, bytes: u64) -> Self {
        self.checkpoint_min = bytes;
        self
    }

    /// The checkpoint beside the history (see `store/checkpoint.rs`): `<file name>.checkpoint`.
    pub fn checkpoint_path(&self) -> &Path {
        &self.checkpoint_path
    }

    /// The same store, naming `run` in every record it appends.
    #[must_use]
    pub fn with_run(mut self, run: RunId) -> Self {
        self.run = Some(run);
        self
    }

    /// The folder of the run lock files that say who holds open leads.
    pub fn runs_dir(&self) -> PathBuf {
        super::owner::runs_dir(&self.path)
    }

    /// The history file, for messages and the `history` command.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The side file where damaged and torn lines are kept: `<history file name>.damaged`.
    pub fn damaged_path(&self) -> &Path {
        &self.damaged_path
    }

    /// Opens the history for reading and appending (never truncating on open), creating it with
    /// mode 0600 if it went missing since [`open`](Self::open); for reading only when the store
    /// is [`read_only`](Self::read_only).
    fn open_file(&self) -> Result<File, HistoryError> {
        use crate::files::FileError;
        let mut options = OpenOptions::new();
        if self.read_only {
            options.read(true);
        } else {
            options.read(true).append(true).create(true).mode(0o600);
        }
        let file = crate::files::open(&self.path, &mut options).map_err(|e| match e {
            FileError::Link { path } | FileError::LinkedFolder { path } => HistoryError::Link { path },
            FileError::NotAFile { path } | FileError::NotAFolder { path } => HistoryError::NotAFile { path },
            FileError::Io { source, .. } => io_error(&self.path, "open")(source),
        })?;
        Ok(file)
    }

    /// Writes `record` as one line and returns only once it is on the disk, so the caller may
    /// tell the user it is saved (and, for a `submitted` record, start sending).
    pub fn append(&self, record: &Record) -> Result<(), HistoryError> {
        let file = self.open_file()?;
        file.lock().map_err(io_error(&self.path, "lock"))?;
        self.append_locked(&file, record)
    }

    /// Appends one line to `file`, whose exclusive lock the caller holds.
    fn append_locked(&self, file: &File, record: &Record) -> Result<(), HistoryError> {
        let stamped;
        let record = match self.run {
            Some(run) if record.run.is_none() => {
                stamped = Record { run: Some(run), ..record.clone() };
                &stamped
            }
            _ => record,
        };
        let json = serde_json::to_vec(record)
            .map_err(|source| HistoryError::Encode { path: self.path.clone(), source })?;
        let len = file.metadata().map_err(io_error(&self.path, "read the size of"))?.len();
        let mut line = Vec::with_capacity(json.len() + 2);
        // A writer that crashed mid-line left no `\n`; start a new line rather than glue onto
        // its bytes, so this record stays readable (the torn bytes become a damaged line).
        if len > 0 {
            let mut last = [0u8];
            file.read_exact_at(&mut last, len - 1).map_err(io_error(&self.path, "read"))?;
            if last[0] != b'\n' {
                line.push(b'\n');
            }
        }
        line.extend_from_slice(&json);
        line.push(b'\n');
        let written = (&*file).write_all(&line).and_then(|()| file.sync_data());
        if written.is_ok() && len == 0 {
            // The first line: make the file's directory entry durable too (see `open`).
            if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                let _ = File::open(dir).and_then(|dir| dir.sync_all());
            }
        }
        if let Err(e) = written {
            // Take back a partial line so a failed append leaves no torn tail (best effort).
            if file.set_len(len).is_ok() {
                let _ = file.sync_data();
            }
            return Err(io_error(&self.path, "append to")(e));
        }
        Ok(())
    }

    /// Takes over open leads whose owner has ended, as one step under the history's lock, so two
    /// runs never both take one: a lead with records after `from` (the byte the caller has read
    /// up to) has moved on and is left for the caller to read; a lead whose owner is alive is
    /// left to it; every other one gets a record naming this run, with its status unchanged.
    pub fn claim(&self, claims: &[Claim], from: u64) -> Result<Vec<Claimed>, HistoryError> {
        let Some(run) = self.run else {
            return Ok(claims.iter().map(|c| Claimed::Alive(c.owner.unwrap_or_default())).collect());
        };
        let file = self.open_file()?;
        file.lock().map_err(io_error(&self.path, "lock"))?;
        let len = file.metadata().map_err(io_error(&self.path, "read the size of"))?.len();
        if from > len {
            return Ok(vec![Claimed::Moved; claims.len()]);
        }
        let mut newer = Vec::new();
        let mut since = vec![0; usize::try_from(len - from).unwrap_or(0)];
        file.read_exact_at(&mut since, from).map_err(io_error(&self.path, "read"))?;
        #[derive(serde::Deserialize)]
        struct Named {
            local_id: LocalId,
        }
        for line in since.split(|&b| b == b'\n') {
            if let Ok(named) = serde_json::from_slice::<Named>(line) {
                newer.push(named.local_id);
            }
        }
        let runs = self.runs_dir();
        let mut results = Vec::with_capacity(claims.len());
        for claim in claims {
            let result = match claim.owner {
                _ if newer.contains(&claim.local_id) => Claimed::Moved,
                Some(owner) if owner == run => Claimed::Taken,
                Some(owner) if super::owner::is_alive(&runs, owner) => Claimed::Alive(owner),
                _ => {
                    let outcome = Outcome { status: claim.status, ..Outcome::default() };
                    self.append_locked(&file, &Record::outcome(claim.local_id, outcome))?;
                    Claimed::Taken
                }
            };
            results.push(result);
        }
        Ok(results)
    }

    /// Blocks until run `run` has ended (see [`super::owner::wait_until_gone`]).
    pub fn wait_until_gone(&self, run: RunId) {
        super::owner::wait_until_gone(&self.runs_dir(), run);
    }

    /// Reads every record, repairing on the way what a crash can leave: a torn last line is kept
    /// aside and cut off; a whole last line without `\n` gets one; damaged lines are skipped,
    /// copied aside once, and reported. Fails only when the file cannot be read at all.
    pub fn load(&self) -> Result<Loaded, HistoryError> {
        let mut records = Vec::new();
        let mut loaded = self.load_each(&mut |record| records.push(record))?;
        loaded.records = records;
        Ok(loaded)
    }

    /// Reads the history as leads, folding each record as it is read (a long history is never
    /// held as records and leads at once), with the repairs and reports of [`load`](Self::load).
    ///
    /// A valid checkpoint beside the history stands for the bytes it covers, and only the
    /// records after them are parsed; one is written when there is none or it lies
    /// [`CHECKPOINT_BEHIND`] behind (never for a read-only store).
    pub fn load_leads(&self) -> Result<Folded, HistoryError> {
        let Some((file, mut loaded)) = self.open_to_load()? else { return Ok(Folded::default()) };
        let (start, mut folder, damaged, mut search) = match checkpoint::read(&self.checkpoint_path, &file) {
            Some((cover, kept)) => {
                let lines = usize::try_from(cover.lines).unwrap_or(usize::MAX);
                let folder = Folder::resume(kept.leads, kept.orphans);
                ((cover.end, lines), folder, kept.damaged, Some(kept.search))
            }
            None => ((0, 0), Folder::default(), Vec::new(), None),
        };
        loaded.checkpoint = start.0;
        let (lines, damaged) =
            self.read_from(&file, start, damaged, &mut |record| folder.add(record), &mut loaded)?;
        let Finished { leads, orphans, touched } = folder.finish_all();
        if let Some(search) = &mut search {
            // The records after the checkpoint changed these leads, and added those past its end.
            touched.into_iter().for_each(|i| search.set(i, &leads[i]));
            (search.len()..leads.len()).for_each(|i| search.push(&leads[i]));
        }
        let left_in_place = loaded.torn_tail.as_ref().is_some_and(|t| t.left_in_place);
        let due =
            loaded.end >= self.checkpoint_min && (start.0 == 0 || loaded.end - start.0 >= CHECKPOINT_BEHIND);
        if !self.read_only && due && !left_in_place {
            let search = search.get_or_insert_with(|| SearchIndex::of(&leads));
            let kept = checkpoint::Borrowed { leads: &leads, orphans: &orphans, damaged: &damaged, search };
            let written = checkpoint::Cover::of(&file, loaded.end, lines as u64)
                .and_then(|cover| checkpoint::write(&self.checkpoint_path, &cover, &kept));
            if let Err(e) = written {
                // Only the next start's speed depends on it.
                tracing::warn!("could not write the checkpoint {}: {e}", self.checkpoint_path.display());
            }
        }
        Ok(Folded { leads, orphans, loaded, search })
    }

    /// Like [`load`](Self::load), but hands each good record to `sink` as it is read (with
    /// [`Folder`](super::Folder), a long history is never held as records and leads at once);
    /// `records` stays empty.
    pub fn load_each(&self, sink: &mut dyn FnMut(Record)) -> Result<Loaded, HistoryError> {
        let Some((file, mut loaded)) = self.open_to_load()? else { return Ok(Loaded::default()) };
        self.read_from(&file, (0, 0), Vec::new(), sink, &mut loaded)?;
        Ok(loaded)
    }

    /// Opens the history and takes its lock to read it (shared when read-only), noting a mode
    /// that lets others read it; `None` for a read-only store whose file is not there.
    fn open_to_load(&self) -> Result<Option<(File, Loaded)>, HistoryError> {
        let file = match self.open_file() {
            Err(HistoryError::Io { source, .. })
                if self.read_only && source.kind() == ErrorKind::NotFound =>
            {
                return Ok(None);
            }
            other => other?,
        };
        if self.read_only {
            file.lock_shared().map_err(io_error(&self.path, "lock"))?;
        } else {
            file.lock().map_err(io_error(&self.path, "lock"))?;
        }
        let meta = file.metadata().map_err(io_error(&self.path, "read the metadata of"))?;
        let mut loaded = Loaded::default();
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            loaded.loose_mode = Some(mode);
            loaded.problems.push(format!(
                "the history file {} can be read or changed by other users (mode {mode:o}); run \
                 `chmod 600 {}` to keep your leads private",
                self.path.display(),
                self.path.display()
            ));
        }
        Ok(Some((file, loaded)))
    }

    /// Reads `file` from `start` (a byte offset and the lines before it, which held `damaged`)
    /// to its end, handing each good record to `sink`, then repairs what a crash left. Returns
    /// how many lines end at `loaded.end`, and every damaged line (from the start of the file).
    fn read_from(
        &self,
        file: &File,
        start: (u64, usize),
        damaged: Vec<scan::Bad>,
        sink: &mut dyn FnMut(Record),
        loaded: &mut Loaded,
    ) -> Result<(usize, Vec<scan::Bad>), HistoryError> {
        let (offset, lines) = start;
        let mut reader = file;
        reader.seek(SeekFrom::Start(offset)).map_err(io_error(&self.path, "read"))?;
        // In pieces: the file can be hundreds of megabytes, and only the leads are kept.
        const PIECE: usize = 1 << 20;
        let at = usize::try_from(offset).unwrap_or(usize::MAX);
        let mut scanner = scan::Scanner::resume(sink, lines, at, damaged);
        let mut buf: Vec<u8> = Vec::with_capacity(PIECE);
        let mut len = offset;
        loop {
            // What is left after the last `\n` is at the front; a line longer than a piece
            // grows the buffer until its `\n` comes.
            let kept = buf.len();
            buf.resize(kept + PIECE, 0);
            let read = read_some(file, &mut buf[kept..]).map_err(io_error(&self.path, "read"))?;
            buf.truncate(kept + read);
            if read == 0 {
                break;
            }
            len += read as u64;
            if let Some(last) = buf[kept..].iter().rposition(|&b| b == b'\n') {
                scanner.lines(&buf[..=kept + last]);
                buf.drain(..=kept + last);
            }
        }
        let whole_lines = scanner.line();
        let (damaged, tail) = scanner.finish(&buf);
        let lines = match tail {
            scan::Tail::Unterminated => whole_lines + 1,
            _ => whole_lines,
        };
        let kept = damaged.clone();
        self.repair(file, len, damaged, tail, &buf, loaded);
        Ok((lines, kept))
    }
}

/// Reads what is there, up to `buf`'s length; 0 at the end of the file.
fn read_some(mut file: &File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_its_own_error() {
        let full = io_error(Path::new("/x/h.jsonl"), "append to")(ErrorKind::StorageFull.into());
        assert!(matches!(full, HistoryError::StorageFull { .. }));
        assert!(full.to_string().contains("/x/h.jsonl is full"));
        let denied = io_error(Path::new("/x/h.jsonl"), "open")(ErrorKind::PermissionDenied.into());
        assert!(matches!(denied, HistoryError::Io { action: "open", .. }));
        assert!(denied.to_string().contains("chmod 600"), "{denied}");
    }
}
