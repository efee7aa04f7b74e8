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
use crate::delivery::engine::Rules;
use crate::draft::DraftStore;
use crate::history::{HistoryStore, RunLock};
use crate::model::{App, AppOptions};
use crate::runtime::{self, Services};

/// Runs the TUI until the user quits (again on the sandbox when the user chose it at the key
/// prompt).
pub async fn run(mut settings: Settings) -> ExitCode {
    loop {
        match run_once(&settings).await {
            Ok(true) if !settings.sandbox => settings.sandbox = true,
            Ok(_) => return ExitCode::SUCCESS,
            Err(code) => return code,
        }
    }
}

/// One run of the TUI; `Ok(true)` when the user asked to go on in the sandbox.
async fn run_once(settings: &Settings) -> Result<bool, ExitCode> {
    // Already checked by `Settings::resolve`; still, never start with keys half applied.
    match crate::keymap::remap(&settings.keys) {
        Ok(bindings) => crate::keymap::install(bindings),
        Err(message) => {
            say!("error: config file {}: {message}", settings.paths.config_file.display());
            return Err(ExitCode::from(2));
        }
    }
    if settings.plain {
        crate::ui::theme::use_plain();
    }
    let connection = match super::connect(settings).await {
        Ok(connection) => connection,
        Err(message) => {
            say!("error: {message}");
            return Err(ExitCode::from(2));
        }
    };
    let history = match HistoryStore::open(settings.history_file()) {
        Ok(store) => store,
        Err(e) => {
            say!("error: {e}");
            return Err(ExitCode::FAILURE);
        }
    };
    // This window's run: it holds the leads it sends, and takes over those of runs that ended.
    let run = RunLock::take(&history.runs_dir());
    let (history, run_problem) = match &run {
        Ok(run) => (history.with_run(run.id()), None),
        Err(e) => (
            history,
            Some(format!(
                "leads left open by other runs cannot be taken over: {}: {e}",
                history_runs_dir_display(settings)
            )),
        ),
    };
    let cache = Cache::for_target(&settings.paths.cache_dir, settings.sandbox);
    // --campaign wins; else the campaign used last; else the config file's default.
    let remembered = cache.load_remembered();
    let campaign = settings.campaign.or(remembered.last_campaign).or(settings.default_campaign);
    // The lead being typed when the app last closed comes back; a damaged draft is moved aside
    // and named, never overwritten.
    let drafts = DraftStore::new(settings.paths.draft_file(settings.sandbox));
    let (draft, draft_problem) = match drafts.load() {
        Ok(draft) => (draft, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (app, effects) = App::new(AppOptions {
        target: connection.target.clone(),
        region: settings.region,
        campaign,
        export_dir: Some(settings.paths.data_dir.join("exports")),
        run: run.as_ref().ok().map(RunLock::id),
        has_key: connection.api.is_some(),
        rules: Rules::for_timeout(settings.request_timeout),
        layouts: remembered.layouts.into_iter().collect(),
        draft,
        status_refresh: settings.status_refresh,
    });
    let mut app = app;
    if let Some(problem) = draft_problem.or(run_problem) {
        app.notify_error(&problem);
    }
    for notice in &settings.notices {
        app.notify_info(notice);
    }
    for warning in &settings.warnings {
        app.notify_error(&format!("Warning: {warning}"));
    }
    let services = Services {
        api: connection.api.clone(),
        client: connection.client.clone(),
        config_file: Some(settings.paths.config_file.clone()),
        history,
        cache,
        draft: Some(drafts),
    };
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
    drop(run);
    match result {
        Ok(app) => Ok(app.restart_in_sandbox),
        Err(e) => {
            say!("error: {e:?}");
            Err(ExitCode::FAILURE)
        }
    }
}

fn history_runs_dir_display(settings: &Settings) -> String {
    crate::history::owner::runs_dir(&settings.history_file()).display().to_string()
}
