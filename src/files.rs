//! Opening the app's own files (history, config, draft, run locks, caches): never through a
//! symbolic link, and never anything but a regular file. A link in a file's place would send
//! what is written wherever it points; a FIFO there would hang the start on `open`.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why one of the app's files was not opened.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The path is a symbolic link; it is not followed.
    #[error("{} is a symbolic link, which is not followed; put the file itself there", path.display())]
    Link {
        /// The path.
        path: PathBuf,
    },
    /// A folder the app keeps for itself is a symbolic link; it is not followed.
    #[error("{} is a symbolic link, which is not followed; make it a folder of its own", path.display())]
    LinkedFolder {
        /// The path.
        path: PathBuf,
    },
    /// A folder the app keeps for itself is something else (a file, a FIFO).
    #[error("{} is not a folder; remove it, and the app makes the folder", path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// The path is a folder, a FIFO, a device or a socket.
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The system said no.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

impl FileError {
    /// Whether the file is simply not there.
    pub fn is_missing(&self) -> bool {
        matches!(self, FileError::Io { source, .. } if source.kind() == ErrorKind::NotFound)
    }
}

/// Opens `path` with `options`, refusing a symbolic link (`O_NOFOLLOW`) and anything that is not
/// a regular file (checked on the open file, so nothing can swap it in between). `O_NONBLOCK`
/// keeps a FIFO from blocking the open; it changes nothing for a regular file.
pub fn open(path: &Path, options: &mut OpenOptions) -> Result<File, FileError> {
    let file =
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(
            |source| match source.kind() {
                ErrorKind::IsADirectory => FileError::NotAFile { path: path.to_owned() },
                _ if source.raw_os_error() == Some(libc::ELOOP) => FileError::Link { path: path.to_owned() },
                // A FIFO opened to write without a reader (O_NONBLOCK), or a device with none.
                _ if source.raw_os_error() == Some(libc::ENXIO) => {
                    FileError::NotAFile { path: path.to_owned() }
                }
                _ => FileError::Io { path: path.to_owned(), source },
            },
        )?;
    let meta = file.metadata().map_err(|source| FileError::Io { path: path.to_owned(), source })?;
    if !meta.is_file() {
        return Err(FileError::NotAFile { path: path.to_owned() });
    }
    Ok(file)
}

/// The whole of `path`, or `None` when there is no such file.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    let mut file = match open(path, OpenOptions::new().read(true)) {
        Ok(file) => file,
        Err(e) if e.is_missing() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|source| FileError::Io { path: path.to_owned(), source })?;
    Ok(Some(bytes))
}

/// Makes the folder `dir` (one the app keeps for itself, mode 0700) unless it is there, and
/// checks that it is a folder and not a symbolic link to one.
pub fn own_dir(dir: &Path) -> Result<(), FileError> {
    let check = |meta: std::fs::Metadata| {
        if meta.file_type().is_symlink() {
            Err(FileError::LinkedFolder { path: dir.to_owned() })
        } else if !meta.is_dir() {
            Err(FileError::NotAFolder { path: dir.to_owned() })
        } else {
            Ok(())
        }
    };
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => check(meta),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            crate::config::create_private_dir(dir)
                .map_err(|source| FileError::Io { path: dir.to_owned(), source })?;
            std::fs::symlink_metadata(dir)
                .map_err(|source| FileError::Io { path: dir.to_owned(), source })
                .and_then(check)
        }
        Err(source) => Err(FileError::Io { path: dir.to_owned(), source }),
    }
}

/// Makes a FIFO at `path`, for tests of what stands in a file's place.
#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test stops loudly at what it did not expect")]
pub(crate) fn make_fifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_regular_file_is_read_and_a_missing_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(read(&path).unwrap().as_deref(), Some(&b"{}"[..]));
        assert_eq!(read(&dir.path().join("none")).unwrap(), None);
    }

    #[test]
    fn links_are_refused_and_their_targets_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, b"someone else's").unwrap();
        let link = dir.path().join("config.toml");
        symlink(&target, &link).unwrap();
        let err = read(&link).unwrap_err();
        assert!(matches!(err, FileError::Link { .. }), "{err:?}");
        assert!(
            err.to_string().contains("symbolic link") && err.to_string().contains("config.toml"),
            "{err}"
        );
        let err = open(&link, OpenOptions::new().append(true)).unwrap_err();
        assert!(matches!(err, FileError::Link { .. }), "{err:?}");
        assert_eq!(std::fs::read(&target).unwrap(), b"someone else's");
        // A dangling link is a link too, not a missing file (and nothing is created).
        let dangling = dir.path().join("draft.json");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let err = open(&dangling, OpenOptions::new().write(true).create(true)).unwrap_err();
        assert!(matches!(err, FileError::Link { .. }), "{err:?}");
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn folders_and_fifos_are_not_files_and_do_not_hang() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(matches!(err, FileError::NotAFile { .. }), "{err:?}");
        let pipe = dir.path().join("x.lock");
        make_fifo(&pipe);
        // Without O_NONBLOCK this open would wait for a writer forever.
        let err = read(&pipe).unwrap_err();
        assert!(matches!(err, FileError::NotAFile { .. }), "{err:?}");
        // And this one for a reader.
        let err = open(&pipe, OpenOptions::new().append(true)).unwrap_err();
        assert!(matches!(err, FileError::NotAFile { .. }), "{err:?}");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn an_own_folder_must_not_be_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        own_dir(&real).unwrap();
        let made = dir.path().join("made");
        own_dir(&made).unwrap();
        assert!(made.is_dir(), "a missing one is made");
        let link = dir.path().join("runs");
        symlink(&real, &link).unwrap();
        let err = own_dir(&link).unwrap_err();
        assert!(err.to_string().contains("make it a folder of its own"), "{err}");
        let file = dir.path().join("file");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(own_dir(&file), Err(FileError::NotAFolder { .. })));
        // A dangling link is a link, not a missing folder.
        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(matches!(own_dir(&dangling), Err(FileError::LinkedFolder { .. })));
        let pipe = dir.path().join("pipe");
        make_fifo(&pipe);
        assert!(own_dir(&pipe).unwrap_err().to_string().contains("not a folder"));
    }
}
