//! The app's state and every decision it makes. `App::update` takes a [`Msg`], changes the state
//! and returns the [`Effect`]s the runtime must carry out. No IO, no async, no terminal here: every
//! behaviour can be tested by feeding messages.

mod delivery;
pub mod form;
pub mod history_view;
pub mod input;
pub mod msg;

use std::collections::HashMap;

use crate::history::{LocalId, Status};
use crate::lead::Region;

pub use delivery::Phase;
pub use form::{Focus, Form};
pub use history_view::HistoryView;
pub use input::TextInput;
pub use msg::{Action, Effect, Msg};

/// Terminals narrower than this show one pane at a time, with tabs.
pub const WIDE_LAYOUT_MIN_WIDTH: u16 = 120;

/// Which API the app talks to, for the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The real API at this host.
    Live(String),
    /// The built-in fake API.
    Sandbox,
}

/// What the app last learned about reaching the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Nothing sent yet.
    Unknown,
    /// The last request got an answer.
    Online,
    /// The last request could not reach the server.
    Offline,
}

/// How bad a notice is; errors are also marked by words, not by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something went well.
    Info,
    /// Something needs attention.
    Error,
}

/// A one-line message in the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// How bad it is.
    pub level: Level,
    /// The text.
    pub text: String,
}

/// An overlay drawn above the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    /// The list of keys.
    Help,
}

/// Settings the app starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// Which API, for the header.
    pub target: Target,
    /// Region for phone numbers typed without `+`.
    pub region: Option<Region>,
    /// The campaign the form starts with.
    pub campaign: Option<u64>,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    /// The lead being typed.
    pub form: Form,
    /// Where the keyboard focus is.
    pub focus: Focus,
    /// The last form field focused, for F2 to come back to.
    pub form_focus: Focus,
    /// The leads entered before.
    pub history: HistoryView,
    /// An overlay, when one is open.
    pub overlay: Option<Overlay>,
    /// The footer message.
    pub notice: Option<Notice>,
    /// Which API.
    pub target: Target,
    /// Reachability as last seen.
    pub connection: Connection,
    /// Region for phone numbers typed without `+`.
    pub region: Option<Region>,
    /// Leads on their way, by local id: saving, sending, or saving the result.
    pub in_flight: HashMap<LocalId, Phase>,
    /// The user asked to quit while leads were on their way; quit once they are settled.
    pub quit_pending: bool,
    /// Terminal size.
    pub size: (u16, u16),
    /// Advances while something is in flight, for the spinner.
    pub spinner: usize,
    /// The time zone times are shown in.
    pub time_zone: jiff::tz::TimeZone,
    /// The form's first drawn row; kept by the drawing code so the focused field stays in view.
    pub form_offset: std::cell::Cell<usize>,
    pub(super) quit: bool,
}

impl App {
    /// A fresh app and the effects to start it (reading the history).
    pub fn new(options: AppOptions) -> (Self, Vec<Effect>) {
        let app = App {
            form: Form::new(options.campaign),
            focus: Focus::Phone,
            form_focus: Focus::Phone,
            history: HistoryView::default(),
            overlay: None,
            notice: None,
            target: options.target,
            connection: Connection::Unknown,
            region: options.region,
            in_flight: HashMap::new(),
            quit_pending: false,
            size: (80, 24),
            spinner: 0,
            time_zone: jiff::tz::TimeZone::system(),
            form_offset: std::cell::Cell::new(0),
            quit: false,
        };
        (app, vec![Effect::LoadHistory])
    }

    /// Whether the user asked to leave.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the screen is too narrow for both panes side by side.
    pub fn is_narrow(&self) -> bool {
        self.size.0 < WIDE_LAYOUT_MIN_WIDTH
    }

    /// Whether the spinner needs animation time.
    pub fn wants_tick(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// Whether `action` would do something where the focus is now, so the footer offers only
    /// keys that work.
    pub fn is_available(&self, action: Action) -> bool {
        match action {
            Action::AddRow => {
                self.focus.is_row() || matches!(self.focus, Focus::Variables | Focus::Secondary)
            }
            Action::RemoveRow => self.focus.is_row(),
            Action::Toggle => self.focus == Focus::AllowDuplicate,
            _ => true,
        }
    }

    /// Leads waiting to be retried, for the header.
    pub fn queued_count(&self) -> usize {
        self.history.entries().iter().filter(|e| e.status == Status::Queued).count()
    }

    /// The one place state changes.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Action(action) => self.act(action),
            Msg::Edit(input) => {
                if let Some(field) = self.form.field_mut(self.focus)
                    && field.input(input)
                {
                    self.form.errors.remove(&self.focus);
                }
                vec![]
            }
            Msg::Paste(text) => {
                if let Some(field) = self.form.field_mut(self.focus)
                    && field.insert(&text)
                {
                    self.form.errors.remove(&self.focus);
                }
                vec![]
            }
            Msg::Resize { width, height } => {
                self.size = (width, height);
                vec![]
            }
            Msg::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                vec![]
            }
            Msg::HistoryLoaded { entries, problems } => {
                if let Some(problem) = problems.first() {
                    let more = problems.len() - 1;
                    let text = match more {
                        0 => problem.clone(),
                        n => format!("{problem} (and {n} more problems)"),
                    };
                    self.notify(Level::Error, text);
                }
                self.history.load(entries, problems);
                vec![]
            }
            Msg::HistoryFailed(reason) => {
                self.history.loaded = true;
                self.notify(Level::Error, format!("history could not be read: {reason}"));
                vec![]
            }
            Msg::Appended { local_id, submitted, result } => self.appended(local_id, submitted, result),
            Msg::Sent { local_id, result } => self.sent(local_id, result),
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        if self.overlay.is_some() {
            match action {
                Action::Close | Action::Help => self.overlay = None,
                Action::Quit => self.request_quit(),
                _ => {}
            }
            return vec![];
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::Submit => return self.submit(),
            Action::NextField => self.step_focus(1),
            Action::PrevField => self.step_focus(-1),
            Action::Up if self.focus != Focus::History => self.step_focus(-1),
            Action::Down if self.focus != Focus::History => self.step_focus(1),
            Action::ShowForm => self.set_focus(self.form_focus),
            Action::ShowHistory => self.set_focus(Focus::History),
            Action::Help => self.overlay = Some(Overlay::Help),
            Action::Close => self.notice = None,
            Action::AddRow => match self.form.add_row(self.focus) {
                Some(focus) => self.set_focus(focus),
                None => self.notify(Level::Info, "Ctrl-N adds a row in Variables or Secondary contacts"),
            },
            Action::RemoveRow => {
                if let Some(focus) = self.form.remove_row(self.focus) {
                    self.form.errors.clear();
                    self.set_focus(focus);
                }
            }
            Action::Toggle if self.focus == Focus::AllowDuplicate => {
                self.form.allow_duplicate = !self.form.allow_duplicate;
            }
            Action::Activate => match self.focus {
                Focus::Submit => return self.submit(),
                Focus::AllowDuplicate => self.form.allow_duplicate = !self.form.allow_duplicate,
                Focus::Variables | Focus::Secondary => return self.act(Action::AddRow),
                Focus::History => {}
                _ => self.step_focus(1),
            },
            Action::Up => self.history.move_by(-1),
            Action::Down => self.history.move_by(1),
            Action::PageUp => self.history.move_by(-self.page_rows()),
            Action::PageDown => self.history.move_by(self.page_rows()),
            Action::Top => self.history.jump(true),
            Action::Bottom => self.history.jump(false),
            Action::Toggle => {}
        }
        vec![]
    }

    fn page_rows(&self) -> isize {
        (self.size.1 as isize - 8).max(1)
    }

    pub(super) fn set_focus(&mut self, focus: Focus) {
        self.focus = focus;
        if focus != Focus::History {
            self.form_focus = focus;
        }
    }

    fn step_focus(&mut self, step: isize) {
        let ring = self.form.focus_ring();
        let at = ring.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = (at as isize + step).rem_euclid(ring.len() as isize) as usize;
        self.set_focus(ring[next]);
    }

    pub(super) fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice { level, text: text.into() });
    }
}

#[cfg(test)]
mod tests;
