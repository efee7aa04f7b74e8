//! What each command does once the command line is parsed: the TUI, `create`, `history`,
//! `sandbox-server`, and what they share (reaching the API, logging).

/// Writes a line to stderr, cleaned of control characters and bidirectional overrides first:
/// messages quote what servers and files said, which must not reach the terminal raw.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::sanitize::clean(&format!($($arg)*)))
    };
}

pub mod change;
pub mod config;
pub mod create;
pub mod history;
pub mod import;
pub mod logging;
pub mod sandbox_server;
pub mod server;
pub mod tui;

use secrecy::SecretString;

use crate::api::{ApiClient, ClientOptions};
use crate::config::{ENV_API_KEY, Settings};
use crate::model::Target;
use crate::sandbox::{Sandbox, SandboxOptions};

/// A way to the API: the client (none until a key is known), how to build one for another key,
/// what the header calls it, and the in-process sandbox when one runs (dropping it stops the
/// sandbox).
pub struct Connection {
    /// The client, when a key is known.
    pub api: Option<ApiClient>,
    /// How clients are built here (the key in it is the current one, or empty).
    pub client: ClientOptions,
    /// LIVE host or SANDBOX.
    pub target: Target,
    /// The in-process sandbox, kept alive as long as the connection.
    pub sandbox: Option<Sandbox>,
}

/// Builds the client for these settings: the sandbox in-process with `--sandbox`, else the
/// configured API with the configured key (`api` is `None` when there is no key yet). The error
/// is a sentence for the user.
pub async fn connect(settings: &Settings) -> Result<Connection, String> {
    let (base_url, key, target, sandbox) = if settings.sandbox {
        // Its leads are kept beside the sandbox's history, so ids never repeat across runs.
        let state_file = Some(settings.paths.data_dir.join(crate::sandbox::STATE_FILE));
        let sandbox = Sandbox::start(SandboxOptions { state_file, ..SandboxOptions::default() })
            .await
            .map_err(|e| format!("the sandbox could not start: {e}"))?;
        let key = SecretString::from(sandbox.key().to_owned());
        (sandbox.base_url(), Some(key), Target::Sandbox, Some(sandbox))
    } else {
        (settings.base_url.clone(), settings.api_key.clone(), Target::Live(settings.host_label()), None)
    };
    let client = ClientOptions {
        base_url,
        key: key.clone().unwrap_or_else(|| SecretString::from(String::new())),
        connect_timeout: settings.connect_timeout,
        request_timeout: settings.request_timeout,
        max_answer: settings.max_answer,
    };
    // Checked even without a key, so plain http to another host is refused before anything.
    let checked = ApiClient::new(client.clone()).map_err(|e| e.to_string())?;
    let api = key.map(|_| checked);
    Ok(Connection { api, client, target, sandbox })
}

/// The sentence for a command that needs a key and has none.
/// A command's refusal of its input: said, and exit 2 with nothing sent.
pub(crate) fn invalid(message: &str) -> std::process::ExitCode {
    say!("error: {message}");
    say!("Nothing was sent.");
    std::process::ExitCode::from(create::EXIT_INVALID)
}

/// A failure here (a file that cannot be written, a lock that cannot be taken): said, exit 1.
pub(crate) fn local_failure(message: &str) -> std::process::ExitCode {
    say!("error: {message}");
    std::process::ExitCode::FAILURE
}

pub fn no_key_message(settings: &Settings) -> String {
    format!(
        "no API key. Set {ENV_API_KEY}, or put api_key = \"…\" in {} (mode 0600).\n\
         To try the app without one: autocalls-tui --sandbox",
        settings.paths.config_file.display()
    )
}
