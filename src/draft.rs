//! The lead being typed, kept on disk as it is typed, so quitting, a crash or a closed terminal
//! never costs what was typed: the next start restores it. One small JSON file in the data
//! directory, mode 0600, replaced whole (a reader sees the old draft or the new one, never half).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::{create_private_dir, private_file_options};
use crate::lead::LeadDraft;

/// The draft file's schema version.
const VERSION: u64 = 1;

#[derive(Serialize, Deserialize)]
struct Envelope {
    v: u64,
    draft: LeadDraft,
}

/// Why the draft could not be read or written, with the file named.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is a link or not a regular file: it is not read (and the next draft written
    /// replaces the link itself, never what it points to).
    #[error("the draft {0}")]
    File(crate::files::FileError),
    /// The file is not a draft this app can read; it was moved aside, not deleted.
    #[error("{} could not be read ({reason}); it was kept as {}", path.display(), kept.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
        /// Where it is now.
        kept: PathBuf,
    },
}

/// The draft file, shared by the tasks that write it. Writes carry a sequence number and an
/// older one never replaces a newer one, whatever order the blocking tasks run in.
#[derive(Debug, Clone)]
pub struct DraftStore {
    path: PathBuf,
    written: Arc<Mutex<u64>>,
}

impl DraftStore {
    /// The draft kept at `path`.
    pub fn new(path: impl Into<PathBuf>) -> DraftStore {
        DraftStore { path: path.into(), written: Arc::new(Mutex::new(0)) }
    }

    /// Where it is, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The draft left by the last run, if any. A damaged file is moved aside (`.damaged`) and
    /// reported, so the next write cannot destroy what it held.
    pub fn load(&self) -> Result<Option<LeadDraft>, DraftError> {
        let bytes = match crate::files::read(&self.path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(crate::files::FileError::Io { path, source }) => return Err(DraftError::Io { path, source }),
            Err(e) => return Err(DraftError::File(e)),
        };
        match serde_json::from_slice::<Envelope>(&bytes) {
            Ok(envelope) if envelope.v == VERSION => Ok(Some(envelope.draft)),
            other => {
                let reason = match other {
                    Ok(envelope) => format!("version {} is not {VERSION}", envelope.v),
                    Err(e) => e.to_string().chars().take(120).collect(),
                };
                let mut kept = self.path.clone().into_os_string();
                kept.push(".damaged");
                let kept = PathBuf::from(kept);
                std::fs::rename(&self.path, &kept)
                    .map_err(|source| DraftError::Io { path: self.path.clone(), source })?;
                Err(DraftError::Damaged { path: self.path.clone(), reason, kept })
            }
        }
    }

    /// Writes draft number `seq` (`None`: nothing is being typed, the file goes), unless a newer
    /// one was written already.
    pub fn save(&self, seq: u64, draft: Option<&LeadDraft>) -> Result<(), DraftError> {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seq <= *written {
            return Ok(());
        }
        let io = |source| DraftError::Io { path: self.path.clone(), source };
        match draft {
            None => match std::fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(e)),
            },
            Some(draft) => {
                let bytes = serde_json::to_vec(&Envelope { v: VERSION, draft: draft.clone() })
                    .map_err(|e| io(e.into()))?;
                self.write_atomic(&bytes).map_err(io)?;
            }
        }
        *written = seq;
        Ok(())
    }

    fn write_atomic(&self, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let name = self.path.file_name().and_then(|n| n.to_str()).unwrap_or("draft.json");
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = private_file_options().create_new(true).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lead::SecondaryDraft;

    fn draft() -> LeadDraft {
        LeadDraft {
            phone: "0170 1234505".into(),
            campaign: "12".into(),
            variables: vec![("customer_name".into(), "Jörg Müller".into()), ("email".into(), String::new())],
            secondary: vec![SecondaryDraft { phone: "+49 30 1234503".into(), variables: vec![] }],
            ..LeadDraft::default()
        }
    }

    #[test]
    fn a_draft_survives_written_private_and_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().join("data/draft.json"));
        assert!(store.load().unwrap().is_none());
        store.save(1, Some(&draft())).unwrap();
        assert_eq!(store.load().unwrap(), Some(draft()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("data")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left");
        store.save(2, None).unwrap();
        assert!(!store.path().exists(), "an empty form leaves no draft");
    }

    #[test]
    fn an_older_write_never_replaces_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().join("draft.json"));
        store.save(5, Some(&draft())).unwrap();
        store.save(4, None).unwrap();
        assert_eq!(store.load().unwrap(), Some(draft()));
    }

    #[test]
    fn a_draft_that_is_a_link_is_not_read_and_its_target_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("notes.txt");
        std::fs::write(&target, b"not a draft").unwrap();
        let path = dir.path().join("draft.json");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let store = DraftStore::new(&path);
        let err = store.load().unwrap_err();
        assert!(matches!(err, DraftError::File(_)), "{err:?}");
        let said = err.to_string();
        assert!(said.contains("draft.json") && said.contains("symbolic link"), "{said}");
        // The next draft replaces the link itself; what it pointed to stays as it was.
        store.save(1, Some(&draft())).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"not a draft");
        assert!(!std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
        assert_eq!(store.load().unwrap(), Some(draft()));
    }

    #[test]
    fn a_damaged_draft_is_kept_aside_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = DraftStore::new(dir.path().join("draft.json"));
        std::fs::write(store.path(), b"{\"v\":1,\"draft\":{\"phone\":").unwrap();
        let error = store.load().unwrap_err();
        assert!(matches!(error, DraftError::Damaged { .. }), "{error}");
        assert!(error.to_string().contains("draft.json.damaged"), "{error}");
        assert!(dir.path().join("draft.json.damaged").exists());
        assert!(store.load().unwrap().is_none());
    }
}
