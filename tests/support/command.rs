//! The real binary run as a script runs it, with every place it keeps files (XDG dirs, `HOME`) in
//! one test directory, nothing of the developer's environment but `PATH`, and times in UTC.

use std::path::{Path, PathBuf};
use std::process::Output;

use tokio::process::Command;

/// `autocalls-tui <args>` with its files under `home`, talking to `base_url` with `key`.
pub fn isolated(home: &Path, base_url: &str, key: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_autocalls-tui"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("AUTOCALLS_API_KEY", key)
        .env("AUTOCALLS_BASE_URL", base_url)
        .env("TZ", "UTC")
        .kill_on_drop(true);
    cmd
}

/// A home for scripted runs of the real binary: a temp dir for every file the runs keep (see
/// [`isolated`]), the API they talk to and the key they use (a test may change either between
/// runs).
pub struct Home {
    /// The runs' `HOME`, with their XDG dirs inside.
    pub dir: tempfile::TempDir,
    /// The API's base URL.
    pub base_url: String,
    /// The API key.
    pub key: String,
}

impl Home {
    /// A fresh, empty home for runs against `base_url` with `key`.
    pub fn new(base_url: String, key: &str) -> Home {
        Home { dir: tempfile::tempdir().expect("a temp dir"), base_url, key: key.to_owned() }
    }

    /// `autocalls-tui <args>` in this home.
    pub fn command(&self, args: &[&str]) -> Command {
        isolated(self.dir.path(), &self.base_url, &self.key, args)
    }

    /// Runs `autocalls-tui <args>` in this home to its end, and gives its exit status and output.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.expect("running autocalls-tui")
    }

    /// The history file the runs keep.
    pub fn history_file(&self) -> PathBuf {
        self.dir.path().join("data/autocalls-tui/history.jsonl")
    }
}

/// A run's output (stdout or stderr) as text, for messages and checks.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
