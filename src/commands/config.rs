//! `autocalls-tui config path | show`: where the files are and what is in force, so a person can
//! check a setup without reading code. The key is never printed, only its last four characters.

use std::process::ExitCode;

use crate::cli::ConfigCommand;
use crate::config::{ApiKey, ENV_API_KEY, ENV_BASE_URL, FileConfig, Overrides, Settings};

/// Prints what was asked for.
pub fn run(overrides: Overrides, which: &ConfigCommand) -> ExitCode {
    let settings = match Settings::resolve(overrides) {
        Ok(settings) => settings,
        Err(e) => {
            say!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match which {
        ConfigCommand::Path => println!("{}", settings.paths.config_file.display()),
        ConfigCommand::Show => show(&settings),
    }
    ExitCode::SUCCESS
}

fn show(settings: &Settings) {
    let file = FileConfig::load(&settings.paths.config_file).unwrap_or_default();
    let key_source = if std::env::var(ENV_API_KEY).is_ok_and(|v| !v.trim().is_empty()) {
        ENV_API_KEY.to_owned()
    } else if file.api_key.is_some() {
        "config file".to_owned()
    } else {
        String::new()
    };
    let loose = if key_source == "config file" && !settings.warnings.is_empty() {
        " — the file is readable by others, see the warning below"
    } else {
        ""
    };
    let key = match &settings.api_key {
        Some(key) => format!("{} (from {key_source}){loose}", ApiKey(key.clone()).hint()),
        None => "none: the app asks for it at start (or use --sandbox)".into(),
    };
    let base_source = if std::env::var(ENV_BASE_URL).is_ok() { " (from AUTOCALLS_BASE_URL)" } else { "" };
    let rows = [
        ("config file", settings.paths.config_file.display().to_string()),
        ("history", settings.paths.history_file(false).display().to_string()),
        ("sandbox history", settings.paths.history_file(true).display().to_string()),
        ("logs", settings.paths.state_dir.display().to_string()),
        ("cache", settings.paths.cache_dir.display().to_string()),
        ("api key", key),
        ("base url", format!("{}{base_source}", settings.base_url)),
        (
            "region",
            settings.region.map(|r| r.to_string()).unwrap_or_else(|| "none (numbers need a +)".into()),
        ),
        (
            "campaign",
            settings
                .campaign
                .or(settings.default_campaign)
                .map(|c| c.to_string())
                .unwrap_or_else(|| "the one used last".into()),
        ),
        ("connect timeout", format!("{} s", settings.connect_timeout.as_secs())),
        ("request timeout", format!("{} s", settings.request_timeout.as_secs())),
        (
            "settling time",
            format!(
                "{} s (2 request timeouts: how long an unanswered lead is looked up before it is sent again)",
                crate::delivery::engine::Rules::for_timeout(settings.request_timeout).settle.as_secs()
            ),
        ),
        (
            "answer limit",
            format!(
                "{} MB (max_answer_mb: more of one answer is not read)",
                settings.max_answer / (1024 * 1024)
            ),
        ),
        ("theme", if settings.plain { "plain".into() } else { "default".into() }),
        (
            "keys",
            if settings.keys.is_empty() {
                "defaults".into()
            } else {
                settings
                    .keys
                    .iter()
                    .map(|(c, k)| format!("{c} = {}", k.join(" / ")))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    for (name, value) in rows {
        println!("{name:<16} {}", crate::sanitize::clean(&value));
    }
    for notice in &settings.notices {
        println!("note: {}", crate::sanitize::clean(notice));
    }
    for warning in &settings.warnings {
        println!("warning: {}", crate::sanitize::clean(warning));
    }
}
