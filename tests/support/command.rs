//! The real binary run as a script runs it, with every place it keeps files (XDG dirs, `HOME`) in
//! one test directory, nothing of the developer's environment but `PATH`, and times in UTC.

use std::path::Path;

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
