//! The app's state and every decision it makes. `App::update` takes a [`Msg`], changes the state
//! and returns the [`Effect`]s the runtime must carry out. No IO, no async, no terminal here: every
//! behaviour can be tested by feeding messages.

mod browse;
pub mod catalog;
mod delivery;
mod entry;
mod filter_pass;
pub mod form;
pub mod history_view;
pub mod input;
mod key;
mod load;
pub mod msg;
mod outbox;
mod rows;
pub mod screen;
mod tail;

use std::collections::HashMap;

use crate::history::{LocalId, Status};
use crate::lead::Region;

pub use crate::delivery::engine::{Delivery, Phase, Step};
pub use browse::{StoryState, StoryView};
pub use catalog::{Catalog, Picker};
pub use delivery::DuplicatePrompt;
pub use filter_pass::FilterPass;
pub use form::{Focus, Form};
pub use history_view::HistoryView;
pub use input::TextInput;
pub use key::KeyPrompt;
pub use msg::{Action, Effect, Hit, KeyWorks, Msg};

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
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// The list of keys.
    Help,
    /// The duplicate guard's question.
    Duplicate(Box<DuplicatePrompt>),
    /// Everything about one lead.
    Detail(LocalId),
    /// The API key prompt.
    Key(Box<KeyPrompt>),
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
    /// Where `x` writes exports (none: exporting is off).
    pub export_dir: Option<std::path::PathBuf>,
    /// This process's run, named in its records; it takes over open leads whose run has ended.
    /// None: it takes over nothing (its run lock could not be made).
    pub run: Option<crate::history::RunId>,
    /// Whether an API key is configured; without one the app starts by asking for it.
    pub has_key: bool,
    /// The sending rules' timing.
    pub rules: crate::delivery::engine::Rules,
    /// The rows remembered for each campaign.
    pub layouts: HashMap<u64, crate::layout::Layout>,
    /// The lead being typed when the app last closed, to restore.
    pub draft: Option<crate::lead::LeadDraft>,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            target: Target::Sandbox,
            region: None,
            campaign: None,
            export_dir: None,
            run: Some(crate::history::RunId::new()),
            has_key: true,
            rules: crate::delivery::engine::Rules::for_timeout(std::time::Duration::from_secs(20)),
            layouts: HashMap::new(),
            draft: None,
        }
    }
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
    /// Campaigns and variable names known for the account.
    pub catalog: Catalog,
    /// The campaign list, while it is open.
    pub picker: Option<Picker>,
    /// How far the help overlay is scrolled.
    pub help_scroll: u16,
    /// How far the detail view is scrolled.
    pub detail_scroll: u16,
    /// The detail view's lead's attempts and server answer, read from the file.
    pub story: Option<StoryView>,
    /// Whether a server status refresh is under way.
    pub refreshing: bool,
    /// When the server statuses were last refreshed.
    pub statuses_at: Option<jiff::Timestamp>,
    /// Where exports go.
    pub export_dir: Option<std::path::PathBuf>,
    /// How far the history file has been read.
    pub(super) history_end: u64,
    /// A tail read is under way; `Some(true)` when the file changed again meanwhile.
    pub(super) tail_reading: Option<bool>,
    /// The campaign id the field held when it got the focus, to notice a new choice.
    pub(super) campaign_on_enter: Option<u64>,
    /// The Campaign field was just entered holding a campaign: a character typed first starts a
    /// new search instead of being added to it (as a browser selects a field's text on Tab).
    campaign_typed_over: bool,
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
    pub in_flight: HashMap<LocalId, Delivery>,
    /// Open leads held by another run that is still at work, with that run.
    pub elsewhere: HashMap<LocalId, crate::history::RunId>,
    /// Open leads being taken over right now.
    claiming: std::collections::HashSet<LocalId>,
    /// Runs whose end is awaited, to take over their leads then.
    watching: std::collections::HashSet<crate::history::RunId>,
    /// The user asked to quit while leads were on their way; quit once they are settled.
    pub quit_pending: bool,
    /// Terminal size.
    pub size: (u16, u16),
    /// Advances while something is in flight, for the spinner.
    pub spinner: usize,
    /// The time zone times are shown in.
    pub time_zone: jiff::tz::TimeZone,
    /// The form's first drawn row; kept by `update` so the focused field stays in view.
    pub form_offset: usize,
    pub(super) quit: bool,
    /// The time now, set by the runtime before each message (tests set it by hand).
    pub now: std::time::Instant,
    /// The wall clock now, set with `now`: records and times shown come from it, so `update`
    /// reads no clock of its own.
    pub clock: jiff::Timestamp,
    /// Why sending is paused for a key, while it is.
    pub key_problem: Option<String>,
    /// The account's name, once `GET /user/me` said it.
    pub account: Option<String>,
    /// This process's run.
    pub(super) run: Option<crate::history::RunId>,
    /// The sending rules' timing.
    pub(super) rules: crate::delivery::engine::Rules,
    /// Set when the user chose to start again on the sandbox.
    pub restart_in_sandbox: bool,
    /// What each campaign's rows are, remembered and learnt.
    pub layouts: rows::Layouts,
    /// The form as it was before it was last cleared or replaced, for Alt-Z.
    pub undo_form: Option<Box<Form>>,
    /// The form's content as last handed to the draft file, and that write's number.
    saved_draft: (Option<crate::lead::LeadDraft>, u64),
    /// Effects asked for by code that returns none (a focus change that lays the form out).
    queued: Vec<Effect>,
    /// Characters typed in a row where no text can go, to say them all in one notice.
    stray: String,
    /// The notice is about the form's last turn (cleared, restored): it goes at the next edit.
    form_notice: bool,
    /// The form as `e` loaded it: replacing it untouched keeps nothing for Alt-Z, so Alt-Z still
    /// brings back what was typed before the first `e`.
    loaded_form: Option<crate::lead::LeadDraft>,
    /// The form of each lead whose first record is still being written, to put it back if the
    /// write fails.
    unsaved_forms: HashMap<LocalId, Box<Form>>,
}

impl App {
    /// A fresh app and the effects to start it (reading the history).
    pub fn new(options: AppOptions) -> (Self, Vec<Effect>) {
        let app = App {
            form: Form::new(options.campaign),
            focus: Focus::Phone,
            form_focus: Focus::Phone,
            history: HistoryView::default(),
            catalog: Catalog::default(),
            picker: None,
            help_scroll: 0,
            detail_scroll: 0,
            story: None,
            refreshing: false,
            statuses_at: None,
            export_dir: options.export_dir,
            history_end: 0,
            tail_reading: None,
            campaign_on_enter: None,
            campaign_typed_over: false,
            overlay: None,
            notice: None,
            target: options.target,
            connection: Connection::Unknown,
            region: options.region,
            in_flight: HashMap::new(),
            elsewhere: HashMap::new(),
            claiming: std::collections::HashSet::new(),
            watching: std::collections::HashSet::new(),
            quit_pending: false,
            size: (80, 24),
            spinner: 0,
            // Found on a blocking thread (reading the zone database is not free); times shown
            // before it arrives, a few milliseconds in, are in UTC.
            time_zone: jiff::tz::TimeZone::UTC,
            form_offset: 0,
            quit: false,
            now: std::time::Instant::now(),
            clock: jiff::Timestamp::now(),
            key_problem: None,
            account: None,
            run: options.run,
            rules: options.rules,
            restart_in_sandbox: false,
            layouts: rows::Layouts { own: options.layouts, ..rows::Layouts::default() },
            undo_form: None,
            saved_draft: (options.draft.clone(), 0),
            queued: Vec::new(),
            stray: String::new(),
            form_notice: false,
            loaded_form: None,
            unsaved_forms: HashMap::new(),
        };
        let mut app = app;
        app.history.filter.region = app.region;
        if let Some(draft) = &options.draft {
            app.form = Form::from_draft(draft);
            app.focus_first_empty();
            let clear = crate::keymap::form_key(Action::ClearForm);
            app.notify(
                Level::Info,
                format!("Restored the lead you were typing when the app last closed ({clear} clears it)"),
            );
        }
        let mut effects = vec![Effect::LoadHistory, Effect::FindTimeZone, Effect::LoadCache];
        if options.has_key {
            effects.extend([Effect::FetchCampaigns, Effect::FetchAssistants]);
            if app.target != Target::Sandbox {
                effects.push(Effect::WhoAmI);
            }
        } else {
            app.ask_for_key(None, true);
        }
        (app, effects)
    }

    /// Whether the user asked to leave.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the screen is too narrow for both panes side by side.
    pub fn is_narrow(&self) -> bool {
        screen::is_narrow(self.size.0)
    }

    /// Whether `action` would do something where the focus is now, so the footer offers only
    /// keys that work.
    pub fn is_available(&self, action: Action) -> bool {
        match action {
            Action::AddRow => {
                self.focus.is_row() || matches!(self.focus, Focus::Variables | Focus::Secondary)
            }
            Action::RemoveRow => self.focus.is_row(),
            Action::Rename => {
                matches!(
                    self.focus,
                    Focus::VarKey(_) | Focus::VarValue(_) | Focus::SecVarKey(..) | Focus::SecVarValue(..)
                )
            }
            Action::RestoreForm => self.undo_form.is_some(),
            Action::ClearForm => self.form.has_content(),
            Action::ResetLayout => self.form_campaign_id().is_some(),
            Action::Toggle => self.focus == Focus::AllowDuplicate,
            Action::MoveUp | Action::MoveDown => self.focus.is_row(),
            Action::CopyPrimaryVars => {
                matches!(self.focus, Focus::SecPhone(_) | Focus::SecVarKey(..) | Focus::SecVarValue(..))
            }
            Action::EditLead => self.focus == Focus::History && !self.history.is_empty(),
            Action::CancelLead => self
                .history
                .selected_entry()
                .is_some_and(|e| self.in_flight.get(&e.local_id).is_some_and(Delivery::may_cancel)),
            Action::Retry => self
                .history
                .selected_entry()
                .is_some_and(|e| matches!(e.status, Status::Failed | Status::Rejected)),
            Action::Export => self.export_dir.is_some() && !self.history.is_empty(),
            Action::RefreshStatus => !self.refreshing,
            _ => true,
        }
    }

    /// The one place state changes.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.handle(msg);
        effects.extend(self.pump());
        effects.extend(self.follow_story());
        effects.extend(self.keep_draft());
        effects.extend(self.history.take_pass().map(Effect::Filter));
        effects.append(&mut self.queued);
        self.quit_if_settled();
        self.keep_in_view();
        effects
    }

    fn handle(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Action(action) => self.act(action),
            Msg::Edit(input) => {
                if let Some(Overlay::Key(prompt)) = &mut self.overlay {
                    prompt.input.input(input);
                } else if self.focus == Focus::History {
                    // A letter no command has opens the search with it, so it is not lost.
                    if self.history.search_input.is_none() && printable(&input).is_some() {
                        self.open_search();
                    }
                    if let Some(search) = &mut self.history.search_input
                        && search.input(input)
                    {
                        self.search_changed();
                    }
                } else if self.form.field(self.focus).is_none() {
                    if let Some(c) = printable(&input) {
                        self.stray_key(c);
                    }
                } else {
                    let typed_over = std::mem::take(&mut self.campaign_typed_over)
                        && self.focus == Focus::Campaign
                        && matches!(input.key, ratatui_textarea::Key::Char(_))
                        && !input.ctrl
                        && !input.alt;
                    if typed_over {
                        self.form.campaign.set_text("");
                    }
                    if let Some(field) = self.form.field_mut(self.focus)
                        && (field.input(input) || typed_over)
                    {
                        self.edited();
                    }
                }
                vec![]
            }
            Msg::StatusesRefreshed(result) => {
                self.statuses_refreshed(result);
                vec![]
            }
            Msg::Exported(result) => {
                self.exported(result);
                vec![]
            }
            Msg::Paste(text) => {
                self.paste(&text);
                vec![]
            }
            Msg::TimeZoneFound(zone) => {
                self.time_zone = zone;
                vec![]
            }
            Msg::CacheLoaded { campaigns, assistants, problems } => {
                self.cache_loaded(campaigns, assistants, problems)
            }
            Msg::CampaignsFetched(result) => self.campaigns_fetched(result),
            Msg::AssistantsFetched(result) => self.assistants_fetched(result),
            Msg::Saved(result) => {
                if let Err(reason) = result {
                    self.notify(Level::Error, reason);
                }
                vec![]
            }
            Msg::Clicked(hit) => self.clicked(hit),
            Msg::Scrolled { history, delta } => {
                if history {
                    self.history.move_by(delta);
                } else {
                    self.form_offset = self.form_offset.saturating_add_signed(delta);
                }
                vec![]
            }
            Msg::Filtered { generation, rows } => {
                self.history.filtered(generation, rows);
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
            Msg::HistoryLoaded { entries, problems, end } => {
                self.history_end = end;
                if let Some(problem) = problems.first() {
                    let more = problems.len() - 1;
                    let text = match more {
                        0 => problem.clone(),
                        n => format!("{problem} (and {n} more problems)"),
                    };
                    self.notify(Level::Error, text);
                }
                let open = self.history.load(entries, problems);
                self.claim_open(open)
            }
            Msg::HistoryChanged => self.history_changed(),
            Msg::TailRead(result) => self.tail_read(result),
            Msg::HistoryFailed(reason) => {
                self.history.loaded = true;
                self.notify(Level::Error, format!("history could not be read: {reason}"));
                vec![]
            }
            Msg::Appended { local_id, submitted, result } => self.appended(local_id, submitted, result),
            Msg::StoryRead { local_id, as_of, result } => {
                self.story_read(local_id, as_of, result);
                vec![]
            }
            Msg::Sent { local_id, result } => self.sent(local_id, result),
            Msg::LookedUp { local_id, result } => self.looked_up(local_id, result),
            Msg::Me(result) => self.me(result),
            Msg::LayoutFetched { campaign, result } => {
                self.layout_fetched(campaign, result);
                vec![]
            }
            Msg::KeyTried(result) => self.key_tried(result),
            Msg::Claimed(result) => self.claimed(result),
            Msg::OwnerGone(run) => self.owner_gone(run),
        }
    }

    fn act(&mut self, action: Action) -> Vec<Effect> {
        match (&self.overlay, action) {
            (_, Action::Quit) => {
                self.request_quit();
                return vec![];
            }
            (Some(Overlay::Duplicate(_)), _) => return self.answer_duplicate(action),
            (Some(Overlay::Key(_)), Action::Activate) => return self.submit_key(),
            (Some(Overlay::Key(_)), Action::Close) => {
                self.overlay = None;
                if self.key_problem.is_some() {
                    self.notify(Level::Error, "Sending waits for a working key: F4 opens the prompt again");
                }
                return vec![];
            }
            (Some(Overlay::Key(prompt)), Action::OpenSandbox) if prompt.offer_sandbox => {
                self.restart_in_sandbox = true;
                self.quit = true;
                return vec![];
            }
            (Some(Overlay::Key(_)), _) => return vec![],
            (Some(Overlay::Help), Action::Close | Action::Help) => {
                self.overlay = None;
                return vec![];
            }
            (Some(Overlay::Help), Action::Up | Action::Down | Action::PageUp | Action::PageDown) => {
                let step: i16 = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -10,
                    _ => 10,
                };
                // The drawing code stops at the end; this only keeps the number sane.
                self.help_scroll = self.help_scroll.saturating_add_signed(step).min(60);
                return vec![];
            }
            (Some(Overlay::Help), _) => return vec![],
            (Some(Overlay::Detail(_)), Action::Retry) => {
                let effects = self.retry_selected();
                self.overlay = None;
                return effects;
            }
            (Some(Overlay::Detail(_)), Action::EditLead) => {
                self.overlay = None;
                self.edit_selected();
                return vec![];
            }
            (Some(Overlay::Detail(_)), Action::Up | Action::Down | Action::PageUp | Action::PageDown) => {
                let step: i16 = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -10,
                    _ => 10,
                };
                self.detail_scroll = self.detail_scroll.saturating_add_signed(step).min(500);
                return vec![];
            }
            (Some(Overlay::Detail(_)), Action::Close | Action::Activate) => {
                self.overlay = None;
                return vec![];
            }
            (Some(Overlay::Detail(_)), _) => return vec![],
            (None, _) => {}
        }
        if self.focus == Focus::History && self.history.search_input.is_some() {
            match action {
                Action::Activate => return self.then_nothing(|app| app.close_search(true)),
                Action::Close => return self.then_nothing(|app| app.close_search(false)),
                _ => {}
            }
        }
        if self.picker.is_some() && self.focus == Focus::Campaign {
            match action {
                Action::Up => return self.then_nothing(|app| app.move_picker(-1)),
                Action::Down => return self.then_nothing(|app| app.move_picker(1)),
                Action::Close => return self.then_nothing(|app| app.picker = None),
                Action::Activate
                    if self.campaign_matches().is_empty() && self.form_campaign_id().is_none() =>
                {
                    let typed = self.form.campaign.text().trim().to_owned();
                    self.notify(
                        Level::Error,
                        format!("No campaign matches “{typed}”: type part of its name or its id"),
                    );
                    return vec![];
                }
                Action::Activate => {
                    self.take_campaign(None);
                    // Next comes what is still to fill: the phone, else the first empty value.
                    self.focus_first_empty();
                    return vec![];
                }
                _ => {}
            }
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::Submit => return self.submit(),
            Action::NextField => self.step_focus(1),
            Action::PrevField => self.step_focus(-1),
            Action::Up if self.focus != Focus::History => self.set_focus(self.form.line_step(self.focus, -1)),
            Action::Down if self.focus != Focus::History => {
                self.set_focus(self.form.line_step(self.focus, 1));
            }
            Action::ShowForm => self.set_focus(self.form_focus),
            Action::ShowHistory => self.set_focus(Focus::History),
            Action::Help => {
                self.help_scroll = 0;
                self.open_overlay(Overlay::Help);
            }
            Action::Close if self.focus == Focus::History && self.history.is_filtered() => {
                self.clear_filters();
            }
            Action::Close => self.notice = None,
            Action::AddRow if matches!(self.focus, Focus::Secondary | Focus::Submit) => self.add_contact(),
            Action::AddRow => match self.form.add_row(self.focus) {
                Some(focus) => self.set_focus(focus),
                None => self.notify(Level::Info, "Ctrl-N adds a row in Variables or Secondary contacts"),
            },
            Action::AddContact => self.add_contact(),
            Action::ClearForm => self.clear_form(),
            Action::RestoreForm => self.restore_form(),
            Action::ResetLayout => {
                self.keep_for_undo();
                self.reset_layout();
            }
            Action::Rename => self.rename(),
            Action::RemoveRow => {
                if let Some(focus) = self.form.remove_row(self.focus) {
                    self.form.errors.clear();
                    self.set_focus(focus);
                }
            }
            // A space among letters typed on the box is part of them, not a tick.
            Action::Toggle if self.focus == Focus::AllowDuplicate && !self.stray.is_empty() => {
                self.stray_key(' ');
            }
            Action::Toggle if self.focus == Focus::AllowDuplicate => {
                self.form.allow_duplicate = !self.form.allow_duplicate;
            }
            Action::Activate => match self.focus {
                Focus::Submit => return self.submit(),
                // Enter moves on, as in every field: only Space ticks the box.
                Focus::AllowDuplicate => self.step_focus(1),
                Focus::Variables | Focus::Secondary => return self.act(Action::AddRow),
                // The list opens on typing, or here on purpose; never by passing through.
                Focus::Campaign if !self.catalog.campaigns.is_empty() => self.open_picker(),
                Focus::History => self.open_detail(),
                _ => self.step_focus(1),
            },
            Action::Up => self.history.move_by(-1),
            Action::Down => self.history.move_by(1),
            Action::PageUp => self.history.move_by(-self.page_rows()),
            Action::PageDown => self.history.move_by(self.page_rows()),
            Action::Top => self.history.jump(true),
            Action::Bottom => self.history.jump(false),
            Action::Toggle => {}
            Action::AllowDuplicate => {}
            Action::AcceptSuggestion => self.accept_suggestion(),
            Action::MoveUp | Action::MoveDown => {
                let delta = if action == Action::MoveUp { -1 } else { 1 };
                if let Some(focus) = self.form.move_row(self.focus, delta) {
                    self.form.errors.clear();
                    self.set_focus(focus);
                }
            }
            Action::CopyPrimaryVars => self.copy_primary_vars(),
            Action::EditLead if self.focus == Focus::History => self.edit_selected(),
            Action::Search if self.focus == Focus::History => self.open_search(),
            Action::CycleStatus if self.focus == Focus::History => self.cycle_status(),
            Action::CycleCampaign if self.focus == Focus::History => self.cycle_campaign(),
            Action::Retry if self.focus == Focus::History => return self.retry_selected(),
            Action::CancelLead if self.focus == Focus::History => return self.cancel_selected(),
            Action::RefreshStatus if self.focus == Focus::History => return self.refresh_statuses(),
            Action::Export if self.focus == Focus::History => return self.export(),
            Action::EnterKey => {
                let why = self.key_problem.clone();
                let offer = self.account.is_none() && self.catalog.campaigns.is_empty();
                if self.target == Target::Sandbox {
                    self.notify(Level::Info, "The sandbox needs no key");
                } else {
                    self.ask_for_key(why, offer);
                }
            }
            Action::OpenSandbox => {}
            Action::EditLead
            | Action::CancelLead
            | Action::Search
            | Action::CycleStatus
            | Action::CycleCampaign
            | Action::Retry
            | Action::RefreshStatus
            | Action::Export => {}
        }
        vec![]
    }

    fn then_nothing(&mut self, f: impl FnOnce(&mut Self)) -> Vec<Effect> {
        f(self);
        vec![]
    }

    /// The focused field's text changed.
    fn edited(&mut self) {
        self.form.errors.remove(&self.focus);
        self.stray.clear();
        // A notice about the form's last turn is done once the typing goes on: "Not sent" once
        // every field it named is fixed, "Form cleared" and the like at once.
        if std::mem::take(&mut self.form_notice) || self.form.errors.is_empty() && self.notice_is_not_sent() {
            self.notice = None;
        }
        if self.focus == Focus::Campaign {
            self.open_picker();
        }
    }

    /// Pasted text: variables when it reads as `name=value` lines or a JSON object and the focus
    /// is in a variable list; otherwise text for the focused field.
    fn paste(&mut self, text: &str) {
        if let Some(Overlay::Key(prompt)) = &mut self.overlay {
            prompt.input.insert(text.trim());
            return;
        }
        if self.focus == Focus::History {
            // Pasted into the list, it is a search (as a letter typed there is).
            if self.history.search_input.is_none() && !text.trim().is_empty() {
                self.open_search();
            }
            if let Some(search) = &mut self.history.search_input
                && search.insert(text)
            {
                self.search_changed();
            }
            return;
        }
        if self.form.field(self.focus).is_none() && !in_list_focus(self.focus) {
            if !text.trim().is_empty() {
                self.stray_paste(text);
            }
            return;
        }
        let in_list = matches!(
            self.focus,
            Focus::Variables
                | Focus::VarKey(_)
                | Focus::VarValue(_)
                | Focus::SecVarKey(..)
                | Focus::SecVarValue(..)
        );
        // One `a=b` pasted into a value field is a value; several, or into a name, are rows.
        let value_field = matches!(self.focus, Focus::VarValue(_) | Focus::SecVarValue(..));
        let pairs = form::parse_pairs(text)
            .filter(|p| !value_field || p.len() > 1 || text.trim_start().starts_with('{'));
        if in_list && let Some(pairs) = pairs {
            let focus = self.focus;
            if let Some(n) = self.form.set_pairs(focus, &pairs) {
                self.form.errors.clear();
                if focus == Focus::Variables {
                    self.set_focus(Focus::VarKey(0));
                }
                self.notify(Level::Info, format!("Pasted {n} variable{}", if n == 1 { "" } else { "s" }));
                return;
            }
        }
        if std::mem::take(&mut self.campaign_typed_over) && self.focus == Focus::Campaign {
            self.form.campaign.set_text("");
        }
        if let Some(field) = self.form.field_mut(self.focus)
            && field.insert(text)
        {
            self.edited();
        }
    }

    fn copy_primary_vars(&mut self) {
        let (Focus::SecPhone(contact) | Focus::SecVarKey(contact, _) | Focus::SecVarValue(contact, _)) =
            self.focus
        else {
            self.notify(
                Level::Info,
                "Ctrl-P works in a secondary contact: it copies the primary's variables",
            );
            return;
        };
        let n = self.form.copy_primary_vars(contact);
        self.notify(
            Level::Info,
            format!("Copied {n} variable{} into contact {}", if n == 1 { "" } else { "s" }, contact + 1),
        );
    }

    fn clicked(&mut self, hit: Hit) -> Vec<Effect> {
        if self.overlay.is_some() {
            return vec![];
        }
        match hit {
            Hit::Field(focus) => {
                self.set_focus(focus);
                // A click on the campaign is a deliberate choice to pick one.
                if focus == Focus::Campaign {
                    self.open_picker();
                }
            }
            Hit::FormTab => self.set_focus(self.form_focus),
            Hit::HistoryPane => self.set_focus(Focus::History),
            Hit::HistoryRow(row) => {
                self.set_focus(Focus::History);
                self.history.selected = row.min(self.history.len().saturating_sub(1));
            }
            Hit::PickerItem(index) => {
                self.take_campaign(Some(index));
                self.focus_first_empty();
            }
        }
        vec![]
    }

    fn page_rows(&self) -> isize {
        (self.size.1 as isize - 8).max(1)
    }

    pub(super) fn set_focus(&mut self, focus: Focus) {
        if self.focus == Focus::Campaign && focus != Focus::Campaign {
            self.leave_campaign();
        }
        if focus != self.focus {
            self.stray.clear();
        }
        if focus == Focus::Campaign && self.focus != Focus::Campaign {
            self.campaign_on_enter = self.form_campaign_id();
            self.campaign_typed_over = !self.form.campaign.text().is_empty();
        }
        self.focus = focus;
        if focus != Focus::History {
            self.form_focus = focus;
        }
    }

    fn step_focus(&mut self, step: isize) {
        let next = self.form.step(self.focus, step, self.form_campaign_id().is_some());
        self.set_focus(next);
    }

    /// Shows a notice that is not an error (a config setting no longer used, say).
    pub fn notify_info(&mut self, text: &str) {
        self.notify(Level::Info, text);
    }

    /// Sets the footer message. Messages quote servers and files, so they are cleaned here, the
    /// one way into the footer.
    pub(super) fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = crate::sanitize::cleaned(&text.into());
        self.notice = Some(Notice { level, text });
    }
}

/// Whether `focus` is in a variable list, where a paste of `name=value` lines sets rows.
fn in_list_focus(focus: Focus) -> bool {
    matches!(
        focus,
        Focus::Variables
            | Focus::VarKey(_)
            | Focus::VarValue(_)
            | Focus::SecVarKey(..)
            | Focus::SecVarValue(..)
    )
}

/// The character a key types, when it types one (no Ctrl, no Alt).
fn printable(input: &ratatui_textarea::Input) -> Option<char> {
    match input.key {
        ratatui_textarea::Key::Char(c) if !input.ctrl && !input.alt && !c.is_control() => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod browse_tests;
#[cfg(test)]
mod draft_tests;
#[cfg(test)]
mod entry_tests;
#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod tests;
