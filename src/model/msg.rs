//! The vocabulary between the outside world and the model: what can happen (`Msg`), what the user
//! can ask for (`Action`), and what the model asks the runtime to do (`Effect`).

use ratatui_textarea::Input;

use crate::api::ApiError;
use crate::api::types::{CreateLead, Created};
use crate::history::{LeadEntry, LocalId, Record};

/// Something that happened: a key, a paste, a resize, or finished background work.
// A message is moved once, from the runtime into `update`; boxing the large API answer would
// only add noise to every producer and test.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
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
        /// Leads in submission order.
        entries: Vec<LeadEntry>,
        /// What was found damaged and repaired, for the user.
        problems: Vec<String>,
    },
    /// The history file could not be read at all.
    HistoryFailed(String),
    /// A record reached the disk, or could not.
    Appended {
        /// The lead the record is about.
        local_id: LocalId,
        /// Whether it was the record that must precede sending.
        submitted: bool,
        /// `Err` carries the reason for the user.
        result: Result<(), String>,
    },
    /// A create request ended.
    Sent {
        /// The lead it was for.
        local_id: LocalId,
        /// What the API answered.
        result: Result<Created, ApiError>,
    },
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
}

/// Work the model asks for; the runtime does it and answers with a [`Msg`].
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the history file; answers `HistoryLoaded` or `HistoryFailed`.
    LoadHistory,
    /// Append one record and flush it; answers `Appended`.
    Append(Record),
    /// Send a create request; answers `Sent`.
    Send {
        /// The lead's local id, to match the answer.
        local_id: LocalId,
        /// The body.
        request: CreateLead,
    },
}
