//! The TUI's real event loop (`runtime::run`) driven without a terminal, on a `TestBackend`: a
//! keyboard that feeds it key events, the services it reaches (an API, a history, a cache), and a
//! wait that polls on the test's runtime while the loop runs beside it.

use std::time::Duration;

use autocalls_tui::api::{ApiClient, ClientOptions};
use autocalls_tui::cache::Cache;
use autocalls_tui::history::HistoryStore;
use autocalls_tui::runtime::Services;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::channel::mpsc;
use secrecy::SecretString;

/// The loop's event stream, as `runtime::run` takes it.
pub type Events = mpsc::UnboundedReceiver<std::io::Result<Event>>;

/// The keyboard: key events into the loop's event stream. Dropping it ends the stream (and the
/// loop with it, at once).
pub struct Keys(mpsc::UnboundedSender<std::io::Result<Event>>);

impl Keys {
    /// A keyboard and the event stream it feeds.
    pub fn new() -> (Keys, Events) {
        let (tx, rx) = mpsc::unbounded();
        (Keys(tx), rx)
    }

    /// Presses `code` with `mods`.
    pub fn press(&self, code: KeyCode, mods: KeyModifiers) {
        self.send(Event::Key(KeyEvent::new(code, mods)));
    }

    /// Types each character of `text` in turn.
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    /// Ctrl and `c`.
    pub fn ctrl(&self, c: char) {
        self.press(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    /// Pastes `text`, as a terminal does with bracketed paste on.
    pub fn paste(&self, text: String) {
        self.send(Event::Paste(text));
    }

    fn send(&self, event: Event) {
        self.0.unbounded_send(Ok(event)).expect("the loop's event stream is open");
    }
}

/// What the loop reaches: the API at `base_url` with `key` and these timeouts, the history
/// `history` (opened by the caller, for the run it writes as, if any), and a cache in `cache/`
/// beside its file; no config file, no saved draft.
pub fn services(
    base_url: String,
    key: &str,
    connect_timeout: Duration,
    request_timeout: Duration,
    history: HistoryStore,
) -> Services {
    let dir = history.path().parent().expect("the history is in a directory");
    let client = ClientOptions {
        base_url,
        key: SecretString::from(key.to_owned()),
        connect_timeout,
        request_timeout,
        max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
    };
    Services {
        api: Some(ApiClient::new(client.clone()).expect("an API client")),
        client,
        config_file: None,
        cache: Cache::new(dir.join("cache")),
        history,
        draft: None,
    }
}

/// Waits on the test's runtime (the loop, or a child process, runs beside it) until `check`
/// holds, looking every 20 ms; panics after `timeout` with `what` and `report()`.
pub async fn wait_for(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> bool,
    report: impl Fn() -> String,
) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}\n{}",
            report()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
