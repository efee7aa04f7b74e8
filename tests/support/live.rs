//! A sandbox API on its own runtime, for tests that run the app against it as against a live
//! API (a key and a base URL, no `--sandbox`), so the test can read what the server received.

use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use portable_pty::CommandBuilder;
use serde_json::Value;

use super::{Dirs, Failure};

/// The server and the runtime it runs on. Fields drop in order: the server, then its runtime.
pub struct LiveSandbox {
    /// The fake API.
    pub sandbox: Sandbox,
    /// Its runtime, also for the test's own requests.
    pub rt: tokio::runtime::Runtime,
}

impl LiveSandbox {
    /// Starts a sandbox with the default options.
    pub fn start() -> Result<LiveSandbox, Failure> {
        LiveSandbox::start_with(SandboxOptions::default())
    }

    /// Starts a sandbox with `options` (latency, faults).
    pub fn start_with(options: SandboxOptions) -> Result<LiveSandbox, Failure> {
        let rt = tokio::runtime::Runtime::new().map_err(|e| Failure(format!("a tokio runtime: {e}")))?;
        let sandbox = rt
            .block_on(Sandbox::start(options))
            .map_err(|e| Failure(format!("the sandbox did not start: {e}")))?;
        Ok(LiveSandbox { sandbox, rt })
    }

    /// The app with `args`, in `dirs`, pointed at this server with its key.
    pub fn command(&self, dirs: &Dirs, args: &[&str]) -> CommandBuilder {
        let base_url = self.sandbox.base_url();
        dirs.command_with_env(
            args,
            &[("AUTOCALLS_API_KEY", self.sandbox.key()), ("AUTOCALLS_BASE_URL", &base_url)],
        )
    }

    /// Every lead on the server as `GET /user/leads` lists it (oldest first), secondary contacts
    /// included: the `Lead` type of the crate does not carry them.
    pub fn leads_json(&self) -> Result<Vec<Value>, Failure> {
        let url = format!("{}/user/leads?per_page=100", self.sandbox.base_url());
        let key = self.sandbox.key().to_owned();
        let body: Value = self
            .rt
            .block_on(async move {
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(key)
                    .header("Accept", "application/json")
                    .send()
                    .await?
                    .error_for_status()?
                    .json::<Value>()
                    .await
            })
            .map_err(|e| Failure(format!("listing the sandbox's leads: {e}")))?;
        let mut leads =
            body["data"].as_array().cloned().ok_or_else(|| Failure(format!("no data: {body}")))?;
        // The API lists newest first.
        leads.reverse();
        Ok(leads)
    }
}
