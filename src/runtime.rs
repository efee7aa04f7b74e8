//! The event loop: the only place with both async and the terminal. One task owns the `App` and
//! the terminal; it waits on terminal events, finished background work and (only while something
//! is in flight) the spinner's clock, feeds each as a `Msg` to `App::update`, runs the effects it
//! returns, and draws only when something changed. Generic over the backend and the event stream
//! so tests drive the real loop.

use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use crossterm::event::{Event, MouseButton, MouseEventKind};
use std::task::Poll;

use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::task::JoinSet;

use crate::api::{ApiClient, LeadQuery};
use crate::cache::{Cache, CacheError, Cached};
use crate::history::{Event as RecordEvent, HistoryStore, fold};
use crate::model::{App, Effect, Msg};
use crate::{keymap, ui};

/// How often the spinner moves while a request is under way.
const TICK: Duration = Duration::from_millis(120);
/// Events handled before a redraw when many arrive at once (a fast typist, a paste without
/// bracketed paste).
const MAX_BATCH: usize = 64;
/// How long work already started may run on after the user quits.
const DRAIN: Duration = Duration::from_secs(2);
/// Rows one notch of the mouse wheel moves.
const WHEEL_ROWS: isize = 3;

/// The outside world the effects reach.
#[derive(Clone)]
pub struct Services {
    /// The API client.
    pub api: ApiClient,
    /// The history file.
    pub history: HistoryStore,
    /// Campaigns, assistants and remembered choices, for an offline start.
    pub cache: Cache,
}

/// Runs the app until it quits or the event stream ends, and returns its final state.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut app: App,
    initial: Vec<Effect>,
    services: Services,
) -> Result<App>
where
    B: Backend,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let mut tasks: JoinSet<Msg> = JoinSet::new();
    let (changes_tx, mut changes) = tokio::sync::mpsc::unbounded_channel();
    // Kept alive for the run; without it, leads other instances append show at the next start.
    let _watcher = watch(services.history.path(), changes_tx)
        .inspect_err(|e| tracing::warn!("not watching the history file: {e}"))
        .ok();
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize { width: size.width, height: size.height });
    }
    for effect in initial {
        start(effect, &services, &mut tasks);
    }
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| ui::draw(&app, frame)).map_err(|e| eyre!("drawing failed: {e}"))?;
            dirty = false;
        }
        if app.should_quit() {
            break;
        }
        let tick = async {
            if app.wants_tick() {
                tokio::time::sleep(TICK).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => translate(&app, &event),
                Some(Err(e)) => return Err(eyre!("reading the terminal failed: {e}")),
                None => break,
            },
            Some(done) = tasks.join_next() => Some(done.map_err(|e| eyre!("a background task failed: {e}"))?),
            () = tick => Some(Msg::Tick),
            Some(()) = changes.recv() => Some(Msg::HistoryChanged),
        };
        let Some(msg) = msg else { continue };
        dirty |= apply(&mut app, msg, &services, &mut tasks);
        // Take in whatever else is already waiting before drawing once.
        for _ in 0..MAX_BATCH {
            // Polled with this task's own waker, so a pending stream still wakes the loop.
            let ready = std::future::poll_fn(|cx| Poll::Ready(events.poll_next_unpin(cx))).await;
            let Poll::Ready(Some(Ok(event))) = ready else { break };
            if let Some(msg) = translate(&app, &event) {
                dirty |= apply(&mut app, msg, &services, &mut tasks);
            }
        }
    }
    // Work already started (a cache write, a result being recorded) may finish, briefly; what
    // it leads to is still done, so nothing half-written is left behind.
    let deadline = tokio::time::Instant::now() + DRAIN;
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {
        if let Ok(msg) = done {
            apply(&mut app, msg, &services, &mut tasks);
        }
    }
    Ok(app)
}

/// A terminal event as a message: keys through the key map, mouse clicks placed on what they hit
/// in the last frame.
fn translate(app: &App, event: &Event) -> Option<Msg> {
    let Event::Mouse(mouse) = event else { return keymap::map_event(event, keymap::context(app)) };
    let screen = Rect::new(0, 0, app.size.0, app.size.1);
    let (col, row) = (mouse.column, mouse.row);
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => ui::hit_test(app, screen, col, row).map(Msg::Clicked),
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => Some(Msg::Scrolled {
            history: ui::over_history(app, screen, col, row),
            delta: if mouse.kind == MouseEventKind::ScrollUp { -WHEEL_ROWS } else { WHEEL_ROWS },
        }),
        _ => None,
    }
}

fn apply(app: &mut App, msg: Msg, services: &Services, tasks: &mut JoinSet<Msg>) -> bool {
    tracing::trace!(?msg, "update");
    for effect in app.update(msg) {
        start(effect, services, tasks);
    }
    true
}

/// Starts one effect in the background; its result comes back as a `Msg`.
fn start(effect: Effect, services: &Services, tasks: &mut JoinSet<Msg>) {
    match effect {
        Effect::LoadHistory => {
            let store = services.history.clone();
            tasks.spawn_blocking(move || match store.load() {
                Ok(loaded) => {
                    let end = loaded.end;
                    let (entries, orphans) = fold(loaded.records);
                    let mut problems = loaded.problems;
                    if !orphans.is_empty() {
                        problems.push(format!(
                            "{} result record(s) in {} belong to no lead",
                            orphans.len(),
                            store.path().display()
                        ));
                    }
                    Msg::HistoryLoaded { entries, problems, end }
                }
                Err(e) => Msg::HistoryFailed(e.to_string()),
            });
        }
        Effect::ReadTail(from) => {
            let store = services.history.clone();
            tasks.spawn_blocking(move || Msg::TailRead(store.read_tail(from).map_err(|e| e.to_string())));
        }
        Effect::Append(record) => {
            let store = services.history.clone();
            tasks.spawn_blocking(move || Msg::Appended {
                local_id: record.local_id,
                submitted: matches!(record.event, RecordEvent::Submitted { .. }),
                result: store.append(&record).map_err(|e| e.to_string()),
            });
        }
        Effect::LoadCache => {
            let cache = services.cache.clone();
            tasks.spawn_blocking(move || {
                let mut problems = Vec::new();
                let campaigns = found(cache.load_campaigns(), &mut problems);
                let assistants = found(cache.load_assistants(), &mut problems);
                Msg::CacheLoaded { campaigns, assistants, problems }
            });
        }
        Effect::FetchCampaigns => {
            let api = services.api.clone();
            tasks.spawn(async move { Msg::CampaignsFetched(api.campaigns().await) });
        }
        Effect::FetchAssistants => {
            let api = services.api.clone();
            tasks.spawn(async move { Msg::AssistantsFetched(api.outbound_assistants().await) });
        }
        Effect::SaveCampaigns(campaigns) => {
            let cache = services.cache.clone();
            tasks.spawn_blocking(move || {
                Msg::Saved(cache.save_campaigns(&campaigns).map_err(|e| e.to_string()))
            });
        }
        Effect::SaveAssistants(assistants) => {
            let cache = services.cache.clone();
            tasks.spawn_blocking(move || {
                Msg::Saved(cache.save_assistants(&assistants).map_err(|e| e.to_string()))
            });
        }
        Effect::RememberCampaign(id) => {
            let cache = services.cache.clone();
            tasks.spawn_blocking(move || {
                let mut remembered = cache.load_remembered();
                remembered.last_campaign = Some(id);
                Msg::Saved(cache.save_remembered(&remembered).map_err(|e| e.to_string()))
            });
        }
        Effect::RefreshStatuses(campaigns) => {
            let api = services.api.clone();
            tasks.spawn(async move { Msg::StatusesRefreshed(server_statuses(&api, &campaigns).await) });
        }
        Effect::Export { path, leads } => {
            tasks.spawn_blocking(move || Msg::Exported(export_csv(&path, &leads).map(|n| (path, n))));
        }
        Effect::Send { local_id, request } => {
            let api = services.api.clone();
            tasks.spawn(async move { Msg::Sent { local_id, result: api.create_lead(&request).await } });
        }
    }
}

/// A cached list and its age; a damaged cache counts as none, with a word for the user.
fn found<T>(
    result: Result<Option<Cached<T>>, CacheError>,
    problems: &mut Vec<String>,
) -> Option<(T, jiff::Timestamp)> {
    match result {
        Ok(found) => found.map(|c| (c.value, c.fetched_at)),
        Err(e) => {
            problems.push(format!("{e}; it will be fetched again"));
            None
        }
    }
}

/// Pages through `GET /user/leads` for each campaign and collects each lead's server status by id.
/// Bounded, so a huge account cannot keep it going forever.
async fn server_statuses(
    api: &ApiClient,
    campaigns: &[u64],
) -> Result<std::collections::HashMap<String, String>, crate::api::ApiError> {
    const MAX_PAGES: u64 = 200;
    let mut statuses = std::collections::HashMap::new();
    for &campaign in campaigns {
        for page in 1..=MAX_PAGES {
            let query = LeadQuery {
                campaign_id: Some(campaign),
                per_page: Some(100),
                page: Some(page),
                ..LeadQuery::default()
            };
            let result = api.leads(&query).await?;
            for lead in &result.data {
                if let Some(status) = &lead.status {
                    statuses.insert(lead.id.clone(), status.clone());
                }
            }
            if !result.has_next() {
                break;
            }
        }
    }
    Ok(statuses)
}

/// Writes leads as CSV to a new private file (its directory created if needed).
fn export_csv(path: &std::path::Path, leads: &[crate::history::LeadEntry]) -> Result<usize, String> {
    if let Some(dir) = path.parent() {
        crate::config::create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let file = crate::config::private_file_options()
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let refs: Vec<&crate::history::LeadEntry> = leads.iter().collect();
    crate::history::query::write_csv(&refs, std::io::BufWriter::new(file))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(leads.len())
}

/// Watches the history file's directory and says when the file changed.
fn watch(
    path: &std::path::Path,
    changes: tokio::sync::mpsc::UnboundedSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::Watcher;
    let file = path.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event.kind.is_modify()
            && event.paths.contains(&file)
        {
            let _ = changes.send(());
        }
    })?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    watcher.watch(dir, notify::RecursiveMode::NonRecursive)?;
    Ok(watcher)
}
