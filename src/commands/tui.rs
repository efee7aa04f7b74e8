//! Starting and stopping the TUI: the API client and the history are ready before the terminal
//! changes; the terminal is restored on every way out, panics included.

use std::io::stdout;
use std::process::ExitCode;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, EventStream,
};
use crossterm::execute;

use crate::cache::Cache;
use crate::config::Settings;
use crate::history::HistoryStore;
use crate::model::{App, AppOptions};
use crate::runtime::{self, Services};

/// Runs the TUI until the user quits.
pub async fn run(settings: Settings) -> ExitCode {
    let connection = match super::connect(&settings).await {
        Ok(connection) => connection,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let history = match HistoryStore::open(settings.history_file()) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cache = Cache::for_target(&settings.paths.cache_dir, settings.sandbox);
    // --campaign wins; else the campaign used last; else the config file's default.
    let campaign = settings.campaign.or(cache.load_remembered().last_campaign).or(settings.default_campaign);
    let (app, effects) = App::new(AppOptions {
        target: connection.target.clone(),
        region: settings.region,
        campaign,
        export_dir: Some(settings.paths.data_dir.join("exports")),
    });
    tokio::task::spawn_blocking(crate::lead::warm_up);
    let services = Services { api: connection.api.clone(), history, cache };
    let _ = color_eyre::install();
    let mut terminal = ratatui::init();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
        previous(info);
    }));
    let _ = execute!(stdout(), EnableBracketedPaste, EnableMouseCapture);
    let result = runtime::run(&mut terminal, EventStream::new(), app, effects, services).await;
    let _ = execute!(stdout(), DisableMouseCapture, DisableBracketedPaste);
    ratatui::restore();
    drop(connection);
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
