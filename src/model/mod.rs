//! The app's state and every decision it makes. `App::update` takes a [`Msg`], changes the state
//! and returns the [`Effect`]s the runtime must carry out. No IO, no async, no terminal here: every
//! behaviour can be tested by feeding messages.

mod browse;
pub mod campaign_run;
pub mod catalog;
mod context;
mod delivery;
mod entry;
mod filter_pass;
pub mod fix;
pub mod form;
pub mod history_view;
pub mod import_review;
pub mod input;
mod key;
mod load;
pub mod msg;
pub mod outbox;
mod rows;
pub mod screen;
pub mod server_view;
mod tail;
mod take_back;
pub mod team;

use std::collections::HashMap;

use crate::history::{LocalId, Status};
use crate::lead::Region;

pub use crate::delivery::engine::{Delivery, Phase, Step};
pub use browse::{StoryState, StoryView};
pub use catalog::{Catalog, Picker};
pub use context::Context;
pub use delivery::DuplicatePrompt;
pub use entry::Entry;
pub use filter_pass::FilterPass;
pub use form::{Focus, Form};
pub use history_view::HistoryView;
pub use input::TextInput;
pub use key::KeyPrompt;
pub use msg::{Action, Effect, ExportError, Hit, KeyError, KeyWorks, Msg, SaveError};
pub use outbox::Outbox;
pub use outbox::countdown;

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
    /// The list of keys, scrolled this far.
    Help {
        /// Rows scrolled.
        scroll: u16,
    },
    /// The duplicate guard's question.
    Duplicate(Box<DuplicatePrompt>),
    /// Everything about one lead.
    Detail(Box<DetailView>),
    /// The API key prompt.
    Key(Box<KeyPrompt>),
    /// "Take this lead back?"
    TakeBack(LocalId),
    /// "Start (or stop) this campaign?"
    Campaign(Box<campaign_run::CampaignPrompt>),
    /// Rows pasted as a block, reviewed before they are sent.
    Import(Box<import_review::ImportReview>),
}

/// The detail view: one lead, how far it is scrolled, and its story as read from the file.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailView {
    /// The lead on view.
    pub local_id: LocalId,
    /// Rows scrolled.
    pub scroll: u16,
    /// Its attempts and the server's answer, once asked for.
    pub story: Option<StoryView>,
    /// Its calls, as the server lists them (for a lead the server created).
    pub calls: Option<CallsView>,
    /// The farthest it scrolls, as the last frame found (the view's length depends on the
    /// terminal's width): scrolling stops at the end instead of running on into blank rows.
    pub max_scroll: std::cell::Cell<u16>,
}

/// A lead's calls in the detail view.
#[derive(Debug, Clone, PartialEq)]
pub enum CallsView {
    /// Asked, not answered yet.
    Loading,
    /// The server's calls for the lead's phone in its campaign, newest first.
    Loaded(Vec<crate::api::types::Call>),
    /// Why they could not be had.
    Failed(String),
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
    /// Refresh the server's statuses by itself this often (`None`: only on `s`).
    pub status_refresh: Option<std::time::Duration>,
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
            status_refresh: None,
        }
    }
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct App {
    /// The form side: the lead being typed and all that goes with it.
    pub entry: Entry,
    /// Where the keyboard focus is.
    pub focus: Focus,
    /// The history side: the leads entered before, how far the file is read, the server's
    /// statuses.
    pub history: HistoryView,
    /// Campaigns and variable names known for the account.
    pub catalog: Catalog,
    /// Where exports go.
    pub export_dir: Option<std::path::PathBuf>,
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
    /// The sending side: each lead on its way, and the leads other runs hold.
    pub outbox: Outbox,
    /// What the server says of the phone being typed (the team's leads).
    pub team: team::TeamCheck,
    /// The lead this window created last, which Ctrl-Z takes back.
    pub last_created: Option<LocalId>,
    /// A row of a pasted block's review in the form, to fix; the review waits for it.
    pub review_edit: Option<import_review::ReviewEdit>,
    /// The campaign's leads on the server, while the history pane shows them.
    pub server_view: Option<server_view::ServerView>,
    /// Changes of created leads (fixes, take-backs) on their way, or left open and due again.
    pub changes_running: HashMap<crate::history::ChangeId, (LocalId, fix::ChangeTurn)>,
    /// How often the server's statuses are refreshed by themselves, and when next.
    pub status_refresh: Option<(std::time::Duration, Option<std::time::Instant>)>,
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
    /// Set when the user chose to start again on the sandbox.
    pub restart_in_sandbox: bool,
    /// Effects asked for by code that returns none (a focus change that lays the form out).
    queued: Vec<Effect>,
}

impl App {
    /// A fresh app and the effects to start it (reading the history).
    pub fn new(options: AppOptions) -> (Self, Vec<Effect>) {
        let app = App {
            entry: Entry::new(options.campaign, options.layouts, options.draft.clone()),
            focus: Focus::Phone,
            history: HistoryView::default(),
            catalog: Catalog::default(),
            export_dir: options.export_dir,
            overlay: None,
            notice: None,
            target: options.target,
            connection: Connection::Unknown,
            region: options.region,
            outbox: Outbox::new(options.run, options.rules),
            team: team::TeamCheck::default(),
            last_created: None,
            changes_running: HashMap::new(),
            server_view: None,
            review_edit: None,
            status_refresh: options.status_refresh.map(|every| (every, None)),
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
            restart_in_sandbox: false,
            queued: Vec::new(),
        };
        let mut app = app;
        app.history.filter.region = app.region;
        if let Some(draft) = &options.draft {
            app.entry.form = Form::from_draft(draft);
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

    /// The detail view, when it is open.
    pub fn detail(&self) -> Option<&DetailView> {
        match &self.overlay {
            Some(Overlay::Detail(view)) => Some(view),
            _ => None,
        }
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
        // The team's view of the campaign takes only its own keys.
        if self.focus == Focus::History && self.server_view.is_some() {
            return matches!(
                action,
                Action::Activate
                    | Action::ServerView
                    | Action::Search
                    | Action::CycleStatus
                    | Action::RefreshStatus
                    | Action::ShowForm
                    | Action::Help
                    | Action::Quit
                    | Action::Close
                    | Action::Up
                    | Action::Down
            );
        }
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
            Action::RestoreForm => self.entry.undo_form.is_some(),
            Action::ClearForm => self.entry.form.has_content(),
            Action::ResetLayout => self.form_campaign_id().is_some(),
            Action::Toggle => self.focus == Focus::AllowDuplicate,
            Action::MoveUp | Action::MoveDown => self.focus.is_row(),
            Action::CopyPrimaryVars => {
                matches!(self.focus, Focus::SecPhone(_) | Focus::SecVarKey(..) | Focus::SecVarValue(..))
            }
            Action::EditLead => self.focus == Focus::History && !self.history.is_empty(),
            Action::FixLead => {
                self.focus == Focus::History
                    && self.history.selected_entry().is_some_and(|e| fix::why_not_changed(e).is_none())
            }
            Action::TakeBack => {
                let chosen = if self.focus == Focus::History {
                    self.history.selected_entry()
                } else {
                    self.last_created.and_then(|id| self.history.get(&id))
                };
                chosen.is_some_and(|e| e.status == Status::Created && !e.is_deleted())
            }
            Action::CancelLead => self
                .history
                .selected_entry()
                .is_some_and(|e| self.outbox.in_flight.get(&e.local_id).is_some_and(Delivery::may_cancel)),
            Action::Retry => self
                .history
                .selected_entry()
                .is_some_and(|e| matches!(e.status, Status::Failed | Status::Rejected)),
            Action::Export => self.export_dir.is_some() && !self.history.is_empty(),
            Action::RefreshStatus => !self.history.refreshing,
            _ => true,
        }
    }

    /// The one place state changes.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.handle(msg);
        effects.extend(self.pump());
        effects.extend(self.follow_story());
        effects.extend(self.keep_draft());
        effects.extend(self.ask_team());
        effects.extend(self.refresh_when_due());
        effects.extend(self.resume_changes());
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
                self.edit(input);
                vec![]
            }
            Msg::StatusesRefreshed(result) => self.statuses_refreshed(result),
            Msg::ServerLeadsFetched { generation, page, result } => {
                self.server_leads_fetched(generation, page, result)
            }
            Msg::CampaignSet { campaign, start, result } => {
                self.campaign_run_set(campaign, start, result);
                vec![]
            }
            Msg::CallsFetched { local_id, result } => {
                if let Some(Overlay::Detail(view)) = &mut self.overlay
                    && view.local_id == local_id
                {
                    view.calls = Some(match result {
                        Ok(calls) => CallsView::Loaded(calls),
                        Err(why) => CallsView::Failed(why),
                    });
                }
                vec![]
            }
            Msg::ChangeEnded { local_id, change_id, status, error } => {
                self.change_ended(local_id, change_id, status, error);
                vec![]
            }
            Msg::TeamChecked { phone, campaign, result } => {
                self.team_said(phone, campaign, result);
                self.review_team_said();
                vec![]
            }
            Msg::Noted(result) => {
                if let Err(e) = result {
                    self.notify(Level::Error, format!("The server's statuses could not be kept: {e}"));
                }
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
                    self.notify(Level::Error, reason.to_string());
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
                self.history.end = end;
                if let Some(problem) = problems.first() {
                    let more = problems.len() - 1;
                    let text = match more {
                        0 => problem.clone(),
                        n => format!("{problem} (and {n} more problems)"),
                    };
                    self.notify(Level::Error, text);
                }
                let in_flight = &self.outbox.in_flight;
                let open = self.history.load(entries, problems, |id| in_flight.contains_key(id));
                self.note_open_changes();
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

    /// An editing key, sent where the user is: the key prompt, the history search, or the
    /// focused field (a row without text says where the key did not go).
    fn edit(&mut self, input: ratatui_textarea::Input) {
        match self.context() {
            Context::KeyPrompt => {
                if let Some(Overlay::Key(prompt)) = &mut self.overlay {
                    prompt.input.input(input);
                }
            }
            // An open view or question takes no text.
            Context::Help | Context::Detail | Context::Confirm => {}
            Context::History | Context::Search => {
                // A letter no command has opens the search with it, so it is not lost.
                if self.history.search_input.is_none() && printable(&input).is_some() {
                    self.open_search();
                }
                if let Some(search) = &mut self.history.search_input
                    && search.input(input)
                {
                    self.search_changed();
                }
            }
            _ if self.entry.form.field(self.focus).is_none() => {
                if let Some(c) = printable(&input) {
                    self.stray_key(c);
                }
            }
            _ => {
                let typed_over = std::mem::take(&mut self.entry.campaign_typed_over)
                    && self.focus == Focus::Campaign
                    && matches!(input.key, ratatui_textarea::Key::Char(_))
                    && !input.ctrl
                    && !input.alt;
                if typed_over {
                    self.entry.form.campaign.set_text("");
                }
                if let Some(field) = self.entry.form.field_mut(self.focus)
                    && (field.input(input) || typed_over)
                {
                    self.edited();
                }
            }
        }
    }

    /// An action, routed by where the user is ([`App::context`]).
    fn act(&mut self, action: Action) -> Vec<Effect> {
        if action == Action::Quit {
            self.request_quit();
            return vec![];
        }
        match self.context() {
            Context::Confirm if matches!(self.overlay, Some(Overlay::TakeBack(_))) => {
                self.answer_take_back(action == Action::Activate)
            }
            Context::Confirm if matches!(self.overlay, Some(Overlay::Campaign(_))) => {
                self.answer_campaign_run(action == Action::Activate)
            }
            Context::Confirm => self.answer_duplicate(action),
            Context::KeyPrompt => self.key_prompt_act(action),
            Context::Help => self.then_nothing(|app| app.help_act(action)),
            Context::Detail if matches!(self.overlay, Some(Overlay::Import(_))) => self.review_act(action),
            Context::Detail => self.detail_act(action),
            Context::Search
                if self.server_view.is_some() && matches!(action, Action::Activate | Action::Close) =>
            {
                self.history.search_input = None;
                if action == Action::Close { self.server_search_changed("") } else { vec![] }
            }
            Context::Search if matches!(action, Action::Activate | Action::Close) => {
                self.then_nothing(|app| app.close_search(action == Action::Activate))
            }
            Context::Picker => match self.picker_act(action) {
                Some(effects) => effects,
                None => self.main_act(action),
            },
            _ => self.main_act(action),
        }
    }

    /// The key prompt's actions: try the key, close, or go on in the sandbox.
    fn key_prompt_act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Activate => return self.submit_key(),
            Action::Close => {
                self.overlay = None;
                if self.key_problem.is_some() {
                    self.notify(Level::Error, "Sending waits for a working key: F4 opens the prompt again");
                }
            }
            Action::OpenSandbox if matches!(&self.overlay, Some(Overlay::Key(prompt)) if prompt.offer_sandbox) =>
            {
                self.restart_in_sandbox = true;
                self.quit = true;
            }
            _ => {}
        }
        vec![]
    }

    /// The help overlay's actions: scroll, or close.
    fn help_act(&mut self, action: Action) {
        match action {
            Action::Close | Action::Help => self.overlay = None,
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(Overlay::Help { scroll }) = &mut self.overlay {
                    // The drawing code stops at the end; this only keeps the number sane.
                    *scroll = scroll.saturating_add_signed(scroll_step(action)).min(60);
                }
            }
            _ => {}
        }
    }

    /// The detail view's actions: retry or edit the lead, scroll, or close.
    fn detail_act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Retry => {
                let effects = self.retry_selected();
                self.overlay = None;
                return effects;
            }
            Action::EditLead => {
                self.overlay = None;
                self.edit_selected();
            }
            Action::FixLead => {
                self.overlay = None;
                self.ask_fix();
            }
            Action::TakeBack => {
                self.overlay = None;
                self.focus = Focus::History;
                self.ask_take_back();
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                if let Some(Overlay::Detail(view)) = &mut self.overlay {
                    view.scroll =
                        view.scroll.saturating_add_signed(scroll_step(action)).min(view.max_scroll.get());
                }
            }
            Action::Close | Action::Activate => self.overlay = None,
            _ => {}
        }
        vec![]
    }

    /// The campaign list's own actions; `None` for the rest, which work as in any field.
    fn picker_act(&mut self, action: Action) -> Option<Vec<Effect>> {
        match action {
            Action::Up => self.move_picker(-1),
            Action::Down => self.move_picker(1),
            Action::Close => self.entry.picker = None,
            Action::CampaignRun => self.ask_campaign_run(),
            Action::Activate if self.campaign_matches().is_empty() && self.form_campaign_id().is_none() => {
                let typed = self.entry.form.campaign.text().trim().to_owned();
                self.notify(
                    Level::Error,
                    format!("No campaign matches “{typed}”: type part of its name or its id"),
                );
            }
            Action::Activate => {
                self.take_campaign(None);
                // Next comes what is still to fill: the phone, else the first empty value.
                self.focus_first_empty();
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// Actions in the form and the history list.
    fn main_act(&mut self, action: Action) -> Vec<Effect> {
        if self.focus == Focus::History
            && let Some(effects) = self.server_view_act(action)
        {
            return effects;
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::Submit => return self.submit(),
            Action::NextField => self.step_focus(1),
            Action::PrevField => self.step_focus(-1),
            Action::Up if self.focus != Focus::History => {
                self.set_focus(self.entry.form.line_step(self.focus, -1));
            }
            Action::Down if self.focus != Focus::History => {
                self.set_focus(self.entry.form.line_step(self.focus, 1));
            }
            Action::ShowForm => self.set_focus(self.entry.form_focus),
            Action::ShowHistory => self.set_focus(Focus::History),
            Action::Help => {
                self.open_overlay(Overlay::Help { scroll: 0 });
            }
            Action::Close if self.focus == Focus::History && self.history.is_filtered() => {
                self.clear_filters();
            }
            Action::Close if self.review_edit.is_some() && self.focus != Focus::History => self.leave_row(),
            Action::Close if self.entry.editing.is_some() && self.focus != Focus::History => {
                self.cancel_fix();
            }
            Action::Close => self.notice = None,
            Action::AddRow if matches!(self.focus, Focus::Secondary | Focus::Submit) => self.add_contact(),
            Action::AddRow => match self.entry.form.add_row(self.focus) {
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
                if let Some(focus) = self.entry.form.remove_row(self.focus) {
                    self.entry.form.errors.clear();
                    self.set_focus(focus);
                }
            }
            // A space among letters typed on the box is part of them, not a tick.
            Action::Toggle if self.focus == Focus::AllowDuplicate && !self.entry.stray.is_empty() => {
                self.stray_key(' ');
            }
            Action::Toggle if self.focus == Focus::AllowDuplicate => {
                self.entry.form.allow_duplicate = !self.entry.form.allow_duplicate;
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
                if let Some(focus) = self.entry.form.move_row(self.focus, delta) {
                    self.entry.form.errors.clear();
                    self.set_focus(focus);
                }
            }
            Action::CopyPrimaryVars => self.copy_primary_vars(),
            Action::EditLead if self.focus == Focus::History => self.edit_selected(),
            Action::FixLead if self.focus == Focus::History => self.ask_fix(),
            Action::Search if self.focus == Focus::History => self.open_search(),
            Action::CycleStatus if self.focus == Focus::History => self.cycle_status(),
            Action::CycleCampaign if self.focus == Focus::History => self.cycle_campaign(),
            Action::Retry if self.focus == Focus::History => return self.retry_selected(),
            Action::CancelLead if self.focus == Focus::History => return self.cancel_selected(),
            Action::TakeBack => self.ask_take_back(),
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
            Action::OpenSandbox | Action::CampaignRun => {}
            Action::ServerView if self.focus == Focus::History => return self.toggle_server_view(),
            Action::EditLead
            | Action::ServerView
            | Action::FixLead
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
        self.entry.form.errors.remove(&self.focus);
        self.entry.stray.clear();
        // A notice about the form's last turn is done once the typing goes on: "Not sent" once
        // every field it named is fixed, "Form cleared" and the like at once.
        if std::mem::take(&mut self.entry.form_notice)
            || self.entry.form.errors.is_empty() && self.notice_is_not_sent()
        {
            self.notice = None;
        }
        if self.focus == Focus::Campaign {
            self.open_picker();
        }
    }

    /// Pasted text: variables when it reads as `name=value` lines or a JSON object and the focus
    /// is in a variable list; otherwise text for the focused field.
    fn paste(&mut self, text: &str) {
        match self.context() {
            Context::KeyPrompt => {
                if let Some(Overlay::Key(prompt)) = &mut self.overlay {
                    prompt.input.insert(text.trim());
                }
                return;
            }
            // An open view or question takes no text.
            Context::Help | Context::Detail | Context::Confirm => return,
            _ => {}
        }
        // Rows from a spreadsheet, pasted anywhere in the form: reviewed, not typed into a field.
        if self.focus != Focus::History && self.paste_block(text) {
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
        if self.entry.form.field(self.focus).is_none() && !in_list_focus(self.focus) {
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
            if let Some(n) = self.entry.form.set_pairs(focus, &pairs) {
                self.entry.form.errors.clear();
                if focus == Focus::Variables {
                    self.set_focus(Focus::VarKey(0));
                }
                self.notify(Level::Info, format!("Pasted {n} variable{}", if n == 1 { "" } else { "s" }));
                return;
            }
        }
        if std::mem::take(&mut self.entry.campaign_typed_over) && self.focus == Focus::Campaign {
            self.entry.form.campaign.set_text("");
        }
        if let Some(field) = self.entry.form.field_mut(self.focus)
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
        let n = self.entry.form.copy_primary_vars(contact);
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
            Hit::FormTab => self.set_focus(self.entry.form_focus),
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
            self.entry.stray.clear();
        }
        if focus == Focus::Campaign && self.focus != Focus::Campaign {
            self.entry.campaign_on_enter = self.form_campaign_id();
            self.entry.campaign_typed_over = !self.entry.form.campaign.text().is_empty();
        }
        self.focus = focus;
        if focus != Focus::History {
            self.entry.form_focus = focus;
        }
    }

    fn step_focus(&mut self, step: isize) {
        let next = self.entry.form.step(self.focus, step, self.form_campaign_id().is_some());
        self.set_focus(next);
    }

    /// Shows an error the app found on its own (a draft it could not read, say).
    pub fn notify_error(&mut self, text: &str) {
        self.notify(Level::Error, text);
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

/// How far Up, Down, Page Up and Page Down scroll a view.
fn scroll_step(action: Action) -> i16 {
    match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -10,
        _ => 10,
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
mod kit;
#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod tests;
