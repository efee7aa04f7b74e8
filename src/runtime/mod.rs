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

use crate::api::{ApiClient, ClientOptions};
use crate::cache::Cache;
use crate::history::HistoryStore;
use crate::model::{App, Effect, Msg};

mod effects;
mod filter;
use crate::{keymap, ui};

pub use filter::run_pass;

/// Events handled before a redraw when many arrive at once (a fast typist, a paste without
/// bracketed paste).
const MAX_BATCH: usize = 64;
/// How long local work already started (a record, a cache write) may run on after the user
/// quits. Requests are not waited for: a lead on its way stays open in the history.
const DRAIN: Duration = Duration::from_secs(2);
/// Rows one notch of the mouse wheel moves.
const WHEEL_ROWS: isize = 3;

/// The outside world the effects reach.
#[derive(Clone)]
pub struct Services {
    /// The API client; `None` until a key is known.
    pub api: Option<ApiClient>,
    /// How to build a client for a key typed in the app (its `key` field is not used).
    pub client: ClientOptions,
    /// Where a key typed in the app is saved; `None` to keep it for this run only.
    pub config_file: Option<std::path::PathBuf>,
    /// The history file.
    pub history: HistoryStore,
    /// Campaigns, assistants and remembered choices, for an offline start.
    pub cache: Cache,
    /// Where the lead being typed is kept; `None` to keep it in memory only.
    pub draft: Option<crate::draft::DraftStore>,
}

/// What a background task hands back.
pub(crate) enum Done {
    /// A message for the model.
    Msg(Msg),
    /// A key that works: use its client from now on, and tell the model.
    NewClient(ApiClient, Msg),
}

/// The background work under way: local IO, which quitting lets finish, and what waits on
/// something outside (a request, another run's end), which quitting leaves behind.
#[derive(Default)]
pub(crate) struct Tasks {
    /// History, cache, draft and export IO; filter passes.
    pub(crate) local: JoinSet<Done>,
    /// Requests, and waits on other runs.
    pub(crate) remote: JoinSet<Done>,
}

impl Tasks {
    /// The next one to finish, of either kind; `None` when none is under way.
    async fn join_next(&mut self) -> Option<Result<Done, tokio::task::JoinError>> {
        tokio::select! {
            Some(done) = self.local.join_next() => Some(done),
            Some(done) = self.remote.join_next() => Some(done),
            else => None,
        }
    }
}

/// Runs the app until it quits or the event stream ends, and returns its final state.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    mut events: S,
    mut app: App,
    initial: Vec<Effect>,
    mut services: Services,
) -> Result<App>
where
    B: Backend,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let mut tasks = Tasks::default();
    if let Ok(size) = terminal.size() {
        app.update(Msg::Resize { width: size.width, height: size.height });
    }
    // The first frame goes out before anything else starts: reading the history, the phone
    // number metadata, the first requests (which build the HTTP client) and the file watcher
    // would take the two cores.
    terminal.draw(|frame| ui::draw(&app, frame)).map_err(|e| eyre!("drawing failed: {e}"))?;
    // Then the phone number metadata, so the first number typed is checked without a pause.
    tokio::task::spawn_blocking(crate::lead::warm_up);
    let (changes_tx, mut changes) = tokio::sync::mpsc::unbounded_channel();
    // Kept alive for the run; without it, leads other instances append show at the next start.
    // Watching starts before the history is read, so no append falls between the two.
    let _watcher = watch(services.history.path(), changes_tx)
        .inspect_err(|e| tracing::warn!("not watching the history file: {e}"))
        .ok();
    for effect in initial {
        effects::start(effect, &services, &mut tasks);
    }
    let mut dirty = false;
    loop {
        if dirty {
            terminal.draw(|frame| ui::draw(&app, frame)).map_err(|e| eyre!("drawing failed: {e}"))?;
            dirty = false;
        }
        if app.should_quit() {
            break;
        }
        // No timer at all unless something changes by itself (a spinner, a countdown).
        let wake = app.next_wake(std::time::Instant::now());
        let tick = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => translate(&app, &event),
                Some(Err(e)) => return Err(eyre!("reading the terminal failed: {e}")),
                None => break,
            },
            Some(done) = tasks.join_next() => match done.map_err(|e| eyre!("a background task failed: {e}"))? {
                Done::Msg(msg) => Some(msg),
                Done::NewClient(api, msg) => {
                    services.api = Some(api);
                    Some(msg)
                }
            },
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
    while let Ok(Some(done)) = tokio::time::timeout_at(deadline, tasks.local.join_next()).await {
        if let Ok(Done::Msg(msg) | Done::NewClient(_, msg)) = done {
            apply(&mut app, msg, &services, &mut tasks);
        }
    }
    Ok(app)
}

/// A terminal event as a message: keys through the key map, mouse clicks placed on what they hit
/// in the last frame.
fn translate(app: &App, event: &Event) -> Option<Msg> {
    let Event::Mouse(mouse) = event else { return keymap::map_event(event, app.context()) };
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

fn apply(app: &mut App, msg: Msg, services: &Services, tasks: &mut Tasks) -> bool {
    // Only the kind of message: its content can hold keystrokes, a pasted key, personal data.
    tracing::trace!(msg = msg.kind(), "update");
    app.now = std::time::Instant::now();
    app.clock = jiff::Timestamp::now();
    for effect in app.update(msg) {
        effects::start(effect, services, tasks);
    }
    true
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
