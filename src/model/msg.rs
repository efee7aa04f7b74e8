//! The vocabulary between the outside world and the model: what can happen (`Msg`), what the user
//! can ask for (`Action`), and what the model asks the runtime to do (`Effect`).

use ratatui_textarea::Input;

use jiff::Timestamp;

use super::Focus;
use crate::api::ApiError;
use crate::api::types::{Assistant, Campaign, CreateLead, Created};
use crate::history::{HistoryError, LocalId, Record};

/// Something that happened: a key, a paste, a resize, or finished background work.
// A message is moved once, from the runtime into `update`; boxing the large API answer would
// only add noise to every producer and test.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Msg {
    /// A command the key map recognised.
    Action(Action),
    /// An editing key for the focused text field.
    Edit(Input),
    /// Text pasted in one piece (bracketed paste).
    Paste(String),
    /// The terminal's size, at start and on every change.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// Animation time passed (only asked for while something is in flight).
    Tick,
    /// The history file was read.
    HistoryLoaded {
        /// Leads in submission order, with their lookups.
        entries: super::history_view::LoadedLeads,
        /// What was found damaged and repaired, for the user.
        problems: Vec<String>,
        /// Where the file ended, to read later appends from.
        end: u64,
    },
    /// The history file changed (maybe another instance appended to it).
    HistoryChanged,
    /// Records appended since the last read, from any instance.
    TailRead(Result<crate::history::store::Tail, HistoryError>),
    /// The history file could not be read at all.
    HistoryFailed(HistoryError),
    /// A lead's story was read from the history file, for the detail view.
    StoryRead {
        /// The lead.
        local_id: LocalId,
        /// The lead's `updated_at` when the read was asked for.
        as_of: Timestamp,
        /// The attempts and the server's answer, or why the file could not be read.
        result: Result<crate::history::Story, HistoryError>,
    },
    /// A page of the campaign's leads on the server, for the team's view.
    ServerLeadsFetched {
        /// The query it answers.
        generation: u64,
        /// The page asked for.
        page: u64,
        /// The page, or why not.
        result: Result<crate::api::types::LeadPage, String>,
    },
    /// A campaign was started or stopped (or not).
    CampaignSet {
        /// The campaign.
        campaign: u64,
        /// Whether it was to start.
        start: bool,
        /// Its status now, or why not.
        result: Result<String, ApiError>,
    },
    /// A lead's calls, for the detail view.
    CallsFetched {
        /// The lead.
        local_id: LocalId,
        /// Its calls, newest first, or why they could not be had.
        result: Result<Vec<crate::api::types::Call>, String>,
    },
    /// A record reached the disk, or could not.
    Appended {
        /// The lead the record is about.
        local_id: LocalId,
        /// Whether it was the record that must precede sending.
        submitted: bool,
        /// Why not, when it could not.
        result: Result<(), HistoryError>,
    },
    /// What the server says of a phone in a campaign (the newest such lead, or none).
    TeamChecked {
        /// The phone, E.164.
        phone: String,
        /// The campaign.
        campaign: u64,
        /// The lead the campaign holds with it, if any.
        result: Result<Option<crate::api::types::Lead>, ApiError>,
    },
    /// Taking a lead back ended.
    ChangeEnded {
        /// The lead.
        local_id: LocalId,
        /// The change.
        change_id: crate::history::ChangeId,
        /// How it ended (an open status: left for later).
        status: crate::history::ChangeStatus,
        /// Why, when it did not succeed.
        error: Option<crate::history::LeadError>,
    },
    /// Records of what was seen reached the disk, or could not.
    Noted(Result<(), HistoryError>),
    /// The local time zone, to show times in.
    TimeZoneFound(jiff::tz::TimeZone),
    /// The cached campaigns and assistants were read (either may be absent).
    CacheLoaded {
        /// Campaigns and when they were fetched.
        campaigns: Option<(Vec<Campaign>, Timestamp)>,
        /// Outbound assistants and when they were fetched.
        assistants: Option<(Vec<Assistant>, Timestamp)>,
        /// What was wrong with the cache, for the user.
        problems: Vec<String>,
    },
    /// `GET /user/campaigns` ended.
    CampaignsFetched(Result<Vec<Campaign>, ApiError>),
    /// `GET /user/assistants/outbound` ended.
    AssistantsFetched(Result<Vec<Assistant>, ApiError>),
    /// A cache or state file was written, or could not be.
    Saved(Result<(), SaveError>),
    /// A mouse click, already placed on what it hit.
    Clicked(Hit),
    /// The mouse wheel turned over a part of the screen.
    Scrolled {
        /// Over the history (else the form).
        history: bool,
        /// Rows; negative is up.
        delta: isize,
    },
    /// A filter pass on a worker ended.
    Filtered {
        /// The pass's generation: only the newest pass's answer is taken.
        generation: u64,
        /// The matching leads (indices, newest first); `None` when it stopped early, no longer
        /// wanted.
        rows: Option<Vec<usize>>,
    },
    /// The server's statuses of created leads, by server lead id.
    StatusesRefreshed(Result<std::collections::HashMap<crate::api::types::LeadId, String>, ApiError>),
    /// An export was written (its path and how many leads), or could not be.
    Exported(Result<(std::path::PathBuf, usize), ExportError>),
    /// A lead whose outcome was unknown was looked up (`Some` when the server has it).
    LookedUp {
        /// The lead.
        local_id: LocalId,
        /// What the search found.
        result: Result<Option<crate::api::types::Lead>, ApiError>,
    },
    /// The newest leads of a campaign on the server, to learn its rows.
    LayoutFetched {
        /// The campaign.
        campaign: u64,
        /// Its leads, or why not.
        result: Result<Vec<crate::api::types::Lead>, ApiError>,
    },
    /// `GET /user/me` answered: the account's name, or why not.
    Me(Result<String, ApiError>),
    /// A key typed in the app was tried: when it works it is in use from now on, saved or not;
    /// else why not.
    KeyTried(Result<KeyWorks, KeyError>),
    /// The store answered a claim on open leads: what became of each.
    Claimed(Result<Vec<(LocalId, crate::history::Claimed)>, HistoryError>),
    /// A run that held open leads has ended.
    OwnerGone(crate::history::RunId),
    /// A create request ended.
    Sent {
        /// The lead it was for.
        local_id: LocalId,
        /// What the API answered.
        result: Result<Created, ApiError>,
    },
}

impl Msg {
    /// The message's kind, for logs: never its content (keys typed, a pasted API key, leads).
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Action(_) => "action",
            Msg::Edit(_) => "edit",
            Msg::Paste(_) => "paste",
            Msg::Resize { .. } => "resize",
            Msg::Tick => "tick",
            Msg::HistoryLoaded { .. } => "history-loaded",
            Msg::HistoryChanged => "history-changed",
            Msg::TailRead(_) => "tail-read",
            Msg::HistoryFailed(_) => "history-failed",
            Msg::StoryRead { .. } => "story-read",
            Msg::CallsFetched { .. } => "calls-fetched",
            Msg::CampaignSet { .. } => "campaign-set",
            Msg::ServerLeadsFetched { .. } => "server-leads-fetched",
            Msg::Appended { .. } => "appended",
            Msg::Noted(_) => "noted",
            Msg::TeamChecked { .. } => "team-checked",
            Msg::ChangeEnded { .. } => "change-ended",
            Msg::TimeZoneFound(_) => "time-zone-found",
            Msg::CacheLoaded { .. } => "cache-loaded",
            Msg::CampaignsFetched(_) => "campaigns-fetched",
            Msg::AssistantsFetched(_) => "assistants-fetched",
            Msg::Saved(_) => "saved",
            Msg::Clicked(_) => "clicked",
            Msg::Scrolled { .. } => "scrolled",
            Msg::Filtered { .. } => "filtered",
            Msg::StatusesRefreshed(_) => "statuses-refreshed",
            Msg::Exported(_) => "exported",
            Msg::LookedUp { .. } => "looked-up",
            Msg::Me(_) => "me",
            Msg::LayoutFetched { .. } => "layout-fetched",
            Msg::KeyTried(_) => "key-tried",
            Msg::Claimed(_) => "claimed",
            Msg::OwnerGone(_) => "owner-gone",
            Msg::Sent { .. } => "sent",
        }
    }
}

/// Why a key typed in the app is not in use.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The server said no.
    #[error("the server refused this key")]
    Refused,
    /// The server could not be asked (or no client could be made with it).
    #[error("the key could not be checked: {0}")]
    NotChecked(ApiError),
}

/// A file the app keeps for itself (the cache, the remembered state, the draft) could not be
/// written.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The cache or the remembered state.
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
    /// The lead being typed.
    #[error("the lead being typed could not be kept as a draft: {0}")]
    Draft(#[from] crate::draft::DraftError),
}

/// An export could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub struct ExportError {
    /// The file (or its folder).
    pub path: std::path::PathBuf,
    /// What went wrong.
    pub source: std::io::Error,
}

/// A key typed in the app that the server accepted.
#[derive(Debug)]
pub struct KeyWorks {
    /// The account it belongs to.
    pub account: String,
    /// Why it could not be saved in the config file, when it could not: it then serves this run
    /// only, and leads are sent all the same.
    pub not_saved: Option<crate::config::ConfigError>,
}

/// A command, independent of the key that triggers it; the key map binds keys to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Leave the app.
    Quit,
    /// Send the lead in the form.
    Submit,
    /// Focus the next field (Tab).
    NextField,
    /// Focus the previous field (Shift-Tab).
    PrevField,
    /// Jump to the form.
    ShowForm,
    /// Jump to the history.
    ShowHistory,
    /// Open or close the help overlay.
    Help,
    /// Close the open overlay or notice.
    Close,
    /// Add a row to the focused list (variables or secondary contacts).
    AddRow,
    /// Remove the focused row.
    RemoveRow,
    /// Toggle the focused checkbox.
    Toggle,
    /// Press the focused button or confirm.
    Activate,
    /// Move up in a list.
    Up,
    /// Move down in a list.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// Go to the first item.
    Top,
    /// Go to the last item.
    Bottom,
    /// Turn on Allow duplicate and send (the duplicate guard's answer).
    AllowDuplicate,
    /// Take the suggested variable name.
    AcceptSuggestion,
    /// Move the focused row (a variable or a secondary contact) up.
    MoveUp,
    /// Move the focused row down.
    MoveDown,
    /// Copy the primary's variables into the focused secondary contact.
    CopyPrimaryVars,
    /// Add a secondary contact from anywhere in the form, cursor in its phone.
    AddContact,
    /// Move between a variable's value and its name (names change only on purpose).
    Rename,
    /// Empty the form (the campaign stays); the form as it was can be brought back.
    ClearForm,
    /// Bring back the form as it was before it was cleared or replaced.
    RestoreForm,
    /// Forget the rows remembered for this campaign and start again from what the server's
    /// leads and the assistants suggest.
    ResetLayout,
    /// Load the selected history lead into the form, to fix and send as a new lead.
    EditLead,
    /// Open the selected created lead in the form to fix it on the server (`PUT`).
    FixLead,
    /// Open the history search (`/`).
    Search,
    /// Show only the next status (cycles through those present, then all).
    CycleStatus,
    /// Show only the next campaign (cycles through those present, then all).
    CycleCampaign,
    /// Send the selected failed or rejected lead again, as it was.
    Retry,
    /// Cancel the selected lead while it waits to be sent.
    CancelLead,
    /// Take a lead back (delete it on the server): the selected one, or the one just created.
    TakeBack,
    /// Start or stop the campaign highlighted in the campaign list.
    CampaignRun,
    /// Show the campaign's leads on the server in the history pane (or the history again).
    ServerView,
    /// Open the API key prompt.
    EnterKey,
    /// Leave and start again on the built-in sandbox.
    OpenSandbox,
    /// Ask the server where the created leads stand.
    RefreshStatus,
    /// Write the listed leads to a CSV file.
    Export,
}

/// What a mouse click landed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    /// A form field.
    Field(Focus),
    /// The Form tab (narrow screens).
    FormTab,
    /// The History tab, or the history pane.
    HistoryPane,
    /// A history row, counted from the newest.
    HistoryRow(usize),
    /// An entry of the open campaign list.
    PickerItem(usize),
}

/// Work the model asks for; the runtime does it and answers with a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the history file; answers `HistoryLoaded` or `HistoryFailed`.
    LoadHistory,
    /// Read what was appended to the history after this offset; answers `TailRead`.
    ReadTail(u64),
    /// Read one lead's attempts and server answer from the history; answers `StoryRead`.
    ReadStory {
        /// The lead.
        local_id: LocalId,
        /// Its `updated_at` now, handed back with the answer.
        as_of: Timestamp,
    },
    /// Append one record and flush it; answers `Appended`.
    Append(Record),
    /// Write `record` (a `change`), then fix or delete the lead on the server by the change
    /// rules; answers `ChangeEnded`.
    Change {
        /// The lead.
        local_id: LocalId,
        /// The change's id.
        change_id: crate::history::ChangeId,
        /// What is asked.
        change: crate::history::Change,
        /// The lead as the server knows it.
        target: crate::delivery::change::Target,
        /// The `change` record, written first.
        record: Record,
        /// Left open as this by an earlier request (a delete whose outcome is unknown is looked
        /// up first); `None` for a change just asked.
        resumed: Option<crate::history::ChangeStatus>,
    },
    /// Read a page of a campaign's leads on the server; answers `ServerLeadsFetched`.
    FetchServerLeads {
        /// The campaign.
        campaign: u64,
        /// Only this status.
        status: Option<String>,
        /// Only phones holding these digits.
        phone: Option<String>,
        /// The page.
        page: u64,
        /// The query, handed back.
        generation: u64,
    },
    /// Start or stop a campaign; answers `CampaignSet`.
    SetCampaignRunning {
        /// The campaign.
        campaign: u64,
        /// Start it (else stop it).
        start: bool,
    },
    /// Ask the server for a lead's calls; answers `CallsFetched`.
    FetchCalls {
        /// The lead.
        local_id: LocalId,
        /// Its phone, E.164.
        phone: String,
        /// Its campaign.
        campaign: u64,
    },
    /// Ask the server whether the campaign holds this phone; answers `TeamChecked`.
    CheckTeam {
        /// The phone, E.164.
        phone: String,
        /// The campaign.
        campaign: u64,
    },
    /// Append records that only note what was seen (the server's statuses); answers `Noted`.
    Note(Vec<Record>),
    /// Find the local time zone; answers `TimeZoneFound`.
    FindTimeZone,
    /// Read the cached campaigns and assistants; answers `CacheLoaded`.
    LoadCache,
    /// Fetch the campaigns; answers `CampaignsFetched`.
    FetchCampaigns,
    /// Fetch the outbound assistants; answers `AssistantsFetched`.
    FetchAssistants,
    /// Keep the campaigns for an offline start; answers `Saved`.
    SaveCampaigns(Vec<Campaign>),
    /// Keep the assistants for an offline start; answers `Saved`.
    SaveAssistants(Vec<Assistant>),
    /// Remember the campaign used last, for the next start; answers `Saved`.
    RememberCampaign(u64),
    /// Fetch the server's statuses of the leads in these campaigns; answers `StatusesRefreshed`.
    RefreshStatuses(Vec<u64>),
    /// Run a long filter pass off the UI task; answers `Filtered`.
    Filter(super::FilterPass),
    /// Write these leads as CSV to this path; answers `Exported`.
    Export {
        /// The file to create.
        path: std::path::PathBuf,
        /// The leads, in the order shown.
        leads: super::history_view::Listed,
    },
    /// Search the server for a lead that may exist; answers `LookedUp`.
    LookUp {
        /// The lead.
        local_id: LocalId,
        /// What was sent.
        request: CreateLead,
        /// When it was submitted: only leads created since count.
        since: Timestamp,
        /// Server ids other leads with this phone and campaign already have.
        taken: Vec<crate::api::types::LeadId>,
    },
    /// Ask who the key belongs to; answers `Me`.
    WhoAmI,
    /// Take over open leads whose run has ended, as the history was read up to byte `from`;
    /// answers `Claimed`.
    Claim {
        /// The leads, as last read.
        claims: Vec<crate::history::Claim>,
        /// How far the history was read.
        from: u64,
    },
    /// Wait for a run that holds open leads to end; answers `OwnerGone`.
    WatchOwner(crate::history::RunId),
    /// Keep the form as typed (`None`: nothing is typed, remove the draft); `seq` orders the
    /// writes so an older one never replaces a newer one; answers `Saved`.
    SaveDraft {
        /// This write's number, growing.
        seq: u64,
        /// The form's content.
        draft: Option<crate::lead::LeadDraft>,
    },
    /// Remember a campaign's rows for the next start (`None`: forget them); answers `Saved`.
    RememberLayout {
        /// The campaign.
        campaign: u64,
        /// Its rows.
        layout: Option<crate::layout::Layout>,
    },
    /// Fetch a page of the campaign's newest leads to learn the variables they carry; answers
    /// `LayoutFetched`.
    FetchLayout(u64),
    /// Try this key with `GET /user/me`; when it works, use it from now on and save it in the
    /// config file (mode 0600); answers `KeyTried`.
    TryKey(crate::config::ApiKey),
    /// Send a create request; answers `Sent`.
    Send {
        /// The lead's local id, to match the answer.
        local_id: LocalId,
        /// The body.
        request: CreateLead,
    },
}
