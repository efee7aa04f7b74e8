//! Settings from the config file, the environment and the command line, in that order of
//! strength, and the places files live (through `directories`, so the XDG variables move them).
//! The API key is held in a secret type from the moment it is read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indexmap::IndexMap;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// The API every install talks to unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://app.autocalls.ai/api";
/// Environment variable with the API key.
pub const ENV_API_KEY: &str = "AUTOCALLS_API_KEY";
/// Environment variable with the base URL.
pub const ENV_BASE_URL: &str = "AUTOCALLS_BASE_URL";

/// What went wrong reading settings.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No home directory to put files in.
    #[error("cannot tell where to keep files: no home directory (set HOME or XDG_CONFIG_HOME)")]
    NoHome,
    /// The config file could not be read.
    #[error("config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The config file is a link or not a regular file, or could not be read.
    #[error("config file {0}")]
    File(#[from] crate::files::FileError),
    /// The config file is not valid TOML for us.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// The API key: never printed (its `Debug` is redacted), compared without being shown.
#[derive(Clone)]
pub struct ApiKey(pub SecretString);

impl ApiKey {
    /// Wraps a key read from somewhere.
    pub fn new(key: &str) -> ApiKey {
        ApiKey(SecretString::from(key.trim().to_owned()))
    }

    /// The last four characters, the most the app ever shows of a key.
    pub fn hint(&self) -> String {
        use secrecy::ExposeSecret;
        let key = self.0.expose_secret();
        let tail: String = key.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.0.expose_secret() == other.0.expose_secret()
    }
}

/// Saves `key` in the config file at `path`, keeping its other settings; the file is written
/// with mode 0600 from the start.
pub fn save_key(path: &Path, key: &ApiKey) -> Result<(), ConfigError> {
    use secrecy::ExposeSecret;
    let mut config = FileConfig::load(path)?;
    config.api_key = Some(key.0.expose_secret().to_owned());
    config.save(path)
}

/// Where the app keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `config.toml`.
    pub config_file: PathBuf,
    /// The history lives here.
    pub data_dir: PathBuf,
    /// Logs.
    pub state_dir: PathBuf,
    /// Cached campaigns and assistants.
    pub cache_dir: PathBuf,
}

impl Paths {
    /// The platform's places for this app; `data_dir` replaces the data directory.
    pub fn discover(data_dir: Option<PathBuf>) -> Result<Paths, ConfigError> {
        let dirs =
            directories::ProjectDirs::from("ai", "Autocalls", "autocalls-tui").ok_or(ConfigError::NoHome)?;
        Ok(Paths {
            config_file: dirs.config_dir().join("config.toml"),
            data_dir: data_dir.unwrap_or_else(|| dirs.data_dir().to_path_buf()),
            state_dir: dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_path_buf(),
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    /// The history file: `history.jsonl`, or `sandbox-history.jsonl` for the sandbox.
    pub fn history_file(&self, sandbox: bool) -> PathBuf {
        self.data_dir.join(if sandbox { "sandbox-history.jsonl" } else { "history.jsonl" })
    }

    /// The lead being typed in the TUI, kept between runs (`draft.json`, or `sandbox-draft.json`).
    pub fn draft_file(&self, sandbox: bool) -> PathBuf {
        self.data_dir.join(if sandbox { "sandbox-draft.json" } else { "draft.json" })
    }
}

/// The contents of `config.toml`. Unknown keys are an error, with their line. Its `Debug` output
/// never shows the key.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The API key (prefer the environment variable on shared machines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The API's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Region for phone numbers typed without `+`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_region: Option<String>,
    /// The campaign the form starts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_campaign: Option<u64>,
    /// Seconds to wait for a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u64>,
    /// Seconds a whole request may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
    /// The most of one answer that is read, in MB (4 unless set): more is taken as an answer
    /// that cannot be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_answer_mb: Option<u64>,
    /// Ask the server where the created leads stand every this many minutes while the TUI is
    /// open (as `s` does); off unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_refresh_minutes: Option<u64>,
    /// No longer used (open leads are taken over as soon as the run holding them ends); still
    /// read, so an old config file keeps working, with a notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after_secs: Option<u64>,
    /// `default`, or `plain` for no colour (emphasis by bold and reverse, as with `NO_COLOR`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    /// Remapped keys: command name → key or list of keys (see `keymap::COMMANDS`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub keys: IndexMap<String, KeyList>,
}

/// The look of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Colours.
    Default,
    /// No colour at all.
    Plain,
}

/// One key or several, in the `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum KeyList {
    /// `submit = "F9"`.
    One(String),
    /// `quit = ["Ctrl-Q", "F10"]`.
    Many(Vec<String>),
}

impl<'de> Deserialize<'de> for KeyList {
    /// A key name or a list of key names; anything else is said as such (not as serde's "did not
    /// match any variant of untagged enum").
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key such as \"Ctrl-S\" or \"F9\", or a list of them")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<KeyList, E> {
                Ok(KeyList::One(key.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<String>()? {
                    keys.push(key);
                }
                Ok(KeyList::Many(keys))
            }
        }
        deserializer.deserialize_any(Keys)
    }
}

impl KeyList {
    /// The keys, as a list.
    pub fn keys(&self) -> Vec<String> {
        match self {
            KeyList::One(key) => vec![key.clone()],
            KeyList::Many(keys) => keys.clone(),
        }
    }
}

impl std::fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("default_region", &self.default_region)
            .field("default_campaign", &self.default_campaign)
            .field("theme", &self.theme)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl FileConfig {
    /// Reads the file; a missing file is an empty config. A link or anything but a regular file
    /// is refused: the key is written into this file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let Some(bytes) = crate::files::read(path)? else { return Ok(FileConfig::default()) };
        let text = String::from_utf8(bytes).map_err(|_| ConfigError::Parse {
            path: path.to_owned(),
            message: "it is not UTF-8 text".into(),
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: describe_toml_error(&text, &e),
        })
    }

    /// Writes the file, created with mode 0600 (never loosened afterwards) in a directory only
    /// the user can enter.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        let io = |source| ConfigError::Read { path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            create_private_dir(dir).map_err(io)?;
        }
        let text = toml::to_string(self).map_err(|e| ConfigError::Invalid(e.to_string()))?;
        // A new file of a unique name (never one found there, which could be a link), renamed
        // over the old one: the rename replaces a link in its place rather than following it.
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("config.toml");
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = private_file_options().create_new(true).open(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(io)
    }
}

fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let line = error.span().map(|span| {
        text.as_bytes()[..span.start.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
    });
    let message = error.message().trim_end();
    match line {
        Some(line) => format!("line {line}: {message}"),
        None => message.to_owned(),
    }
}

/// Options for creating a file only its owner can read (mode 0600 from the start).
pub fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// A warning when `path`, which holds the API key, can be read or changed by other users (as ssh
/// warns about a key file), with the command that fixes it.
pub fn loose_key_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then(|| {
            format!(
                "run `chmod 600 {}`: other users can read it, and it holds the API key (mode {mode:o})",
                path.display()
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Creates a directory (and its parents) that only its owner can enter.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Settings given on the command line, before they are merged.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--campaign`.
    pub campaign: Option<u64>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--sandbox`.
    pub sandbox: bool,
}

/// Everything the app needs to start, merged from file, environment and command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where files live.
    pub paths: Paths,
    /// The API's base URL (ignored by the sandbox, which picks its own).
    pub base_url: String,
    /// The API key, when one is known.
    pub api_key: Option<SecretString>,
    /// Region for phone numbers without `+`.
    pub region: Option<crate::lead::Region>,
    /// The campaign given with `--campaign`.
    pub campaign: Option<u64>,
    /// The config file's `default_campaign`.
    pub default_campaign: Option<u64>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// The most of one answer that is read, in bytes.
    pub max_answer: usize,
    /// How often the TUI refreshes the server's statuses by itself; `None`: only on `s`.
    pub status_refresh: Option<Duration>,
    /// Sentences for the user about the config file that are not errors (a setting no longer
    /// used).
    pub notices: Vec<String>,
    /// Sentences about risks the user should fix (the key in a file others can read), said
    /// wherever the settings are read.
    pub warnings: Vec<String>,
    /// Draw without colour.
    pub plain: bool,
    /// Remapped keys, command name → keys, in file order.
    pub keys: Vec<(String, Vec<String>)>,
    /// Run against the built-in sandbox.
    pub sandbox: bool,
}

impl Settings {
    /// Reads the config file and the environment and applies the command line on top.
    pub fn resolve(overrides: Overrides) -> Result<Settings, ConfigError> {
        let paths = Paths::discover(overrides.data_dir.clone())?;
        let file = FileConfig::load(&paths.config_file)?;
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let region = overrides
            .region
            .or(file.default_region)
            .map(|r| r.parse().map_err(ConfigError::Invalid))
            .transpose()?;
        let key_in_file = file.api_key.is_some();
        let keys: Vec<(String, Vec<String>)> =
            file.keys.iter().map(|(name, keys)| (name.clone(), keys.keys())).collect();
        // Checked for every command, not only the TUI that uses them: one file, one verdict.
        crate::keymap::remap(&keys)
            .map_err(|message| ConfigError::Parse { path: paths.config_file.clone(), message })?;
        Ok(Settings {
            base_url: overrides
                .base_url
                .or_else(|| env(ENV_BASE_URL))
                .or(file.base_url)
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned()),
            api_key: env(ENV_API_KEY).or(file.api_key).map(|k| SecretString::from(k.trim().to_owned())),
            region,
            campaign: overrides.campaign,
            default_campaign: file.default_campaign,
            connect_timeout: Duration::from_secs(file.connect_timeout_secs.unwrap_or(5)),
            request_timeout: Duration::from_secs(file.request_timeout_secs.unwrap_or(20)),
            max_answer: max_answer(file.max_answer_mb, &paths.config_file)?,
            status_refresh: match file.status_refresh_minutes {
                None => None,
                Some(minutes @ 1..=1440) => Some(Duration::from_secs(minutes * 60)),
                Some(minutes) => {
                    return Err(ConfigError::Invalid(format!(
                        "{}: status_refresh_minutes = {minutes}: give minutes from 1 to 1440",
                        paths.config_file.display()
                    )));
                }
            },
            notices: file
                .resume_after_secs
                .map(|_| {
                    format!(
                        "{}: `resume_after_secs` is no longer used (leads left open are taken over as soon as the window or command holding them ends); it can be removed",
                        paths.config_file.display()
                    )
                })
                .into_iter()
                .collect(),
            warnings: key_in_file.then(|| loose_key_warning(&paths.config_file)).flatten().into_iter().collect(),
            plain: file.theme == Some(Theme::Plain),
            keys,
            sandbox: overrides.sandbox,
            paths,
        })
    }

    /// The history file for this run.
    pub fn history_file(&self) -> PathBuf {
        self.paths.history_file(self.sandbox)
    }

    /// A short name of the API host for the header, e.g. `app.autocalls.ai`.
    pub fn host_label(&self) -> String {
        url::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| self.base_url.clone())
    }
}

/// `max_answer_mb` in bytes: from 1 MB to 1 GB.
fn max_answer(mb: Option<u64>, file: &Path) -> Result<usize, ConfigError> {
    const MB: u64 = 1024 * 1024;
    match mb {
        None => Ok(crate::api::DEFAULT_MAX_ANSWER),
        Some(mb @ 1..=1024) => Ok(usize::try_from(mb * MB).unwrap_or(usize::MAX)),
        Some(mb) => Err(ConfigError::Invalid(format!(
            "{}: max_answer_mb = {mb}: give a number of MB from 1 to 1024",
            file.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_reported_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "base_url = \"https://x\"\n\ndefault_regoin = \"DE\"\n").unwrap();
        let err = FileConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("default_regoin"), "{err}");
    }

    #[test]
    fn saved_config_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        let config =
            FileConfig { api_key: Some("1|k".into()), default_campaign: Some(3), ..FileConfig::default() };
        config.save(&path).unwrap();
        assert_eq!(FileConfig::load(&path).unwrap(), config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(
                std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }

    #[test]
    fn a_config_that_is_a_link_or_no_file_is_refused_and_never_written_through() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dotfiles.toml");
        std::fs::write(&target, "default_region = \"DE\"\n").unwrap();
        let path = dir.path().join("config.toml");
        symlink(&target, &path).unwrap();
        let said = FileConfig::load(&path).unwrap_err().to_string();
        assert!(said.starts_with("config file ") && said.contains("symbolic link"), "{said}");
        // Saving the key reads the file first: refused, the target keeps no key.
        let err = save_key(&path, &ApiKey::new("1|secret")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "default_region = \"DE\"\n");
        // A folder, or a FIFO (which would hang a plain read), in its place.
        let folder = dir.path().join("folder.toml");
        std::fs::create_dir(&folder).unwrap();
        assert!(FileConfig::load(&folder).unwrap_err().to_string().contains("not a regular file"));
        let fifo = dir.path().join("fifo.toml");
        crate::files::make_fifo(&fifo);
        assert!(FileConfig::load(&fifo).unwrap_err().to_string().contains("not a regular file"));
    }

    #[test]
    fn a_key_that_is_not_a_name_says_what_a_key_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[keys]\nsubmit = 5\n").unwrap();
        let said = FileConfig::load(&path).unwrap_err().to_string();
        assert!(said.contains("line 2") && said.contains("a key such as"), "{said}");
        std::fs::write(&path, "[keys]\nquit = [\"Ctrl-Q\", \"F10\"]\nsubmit = \"F9\"\n").unwrap();
        let keys = FileConfig::load(&path).unwrap().keys;
        assert_eq!(keys["quit"].keys(), ["Ctrl-Q", "F10"]);
        assert_eq!(keys["submit"].keys(), ["F9"]);
    }

    #[test]
    fn the_answer_limit_is_in_mb_from_1_to_1024() {
        let file = Path::new("/x/config.toml");
        assert_eq!(max_answer(None, file).unwrap(), 4 * 1024 * 1024);
        assert_eq!(max_answer(Some(1), file).unwrap(), 1024 * 1024);
        assert_eq!(max_answer(Some(1024), file).unwrap(), 1024 * 1024 * 1024);
        for wrong in [0, 1025, u64::MAX] {
            let said = max_answer(Some(wrong), file).unwrap_err().to_string();
            assert!(said.contains("/x/config.toml") && said.contains("max_answer_mb"), "{said}");
        }
    }

    #[test]
    fn a_missing_file_is_an_empty_config() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(FileConfig::load(&dir.path().join("none.toml")).unwrap(), FileConfig::default());
    }
}

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn the_example_config_in_assets_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
        let config = FileConfig::load(&path).unwrap();
        assert_eq!(config.default_region.as_deref(), Some("DE"));
        assert_eq!(config.theme, Some(Theme::Default));
        assert_eq!(config.keys["submit"].keys(), ["Ctrl-S", "F9"]);
        let keys: Vec<(String, Vec<String>)> =
            config.keys.iter().map(|(k, v)| (k.clone(), v.keys())).collect();
        crate::keymap::remap(&keys).unwrap();
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let config = FileConfig { api_key: Some("1|very-secret".into()), ..FileConfig::default() };
        assert!(!format!("{config:?}").contains("very-secret"));
    }
}
