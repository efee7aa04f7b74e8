//! Where the user is: decided once, here, and used by the key map (which keys mean what), the
//! action router (what an action does), text editing (where a typed key goes) and the footer
//! (which keys it offers).

use super::{App, Focus, Overlay};

/// Where the focus is, as far as keys are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// A text field: printable keys type.
    Text,
    /// The campaign field with its list open: typing filters, Up/Down/Enter pick.
    Picker,
    /// A variable name field whose suggested completion is shown after the cursor.
    Suggest,
    /// The Allow duplicate checkbox.
    Checkbox,
    /// The Submit button.
    Button,
    /// A section header (Variables, Secondary contacts).
    Section,
    /// The history list.
    History,
    /// The history search bar: typing filters.
    Search,
    /// The help overlay is open.
    Help,
    /// A lead's detail view is open.
    Detail,
    /// The API key prompt: typing goes into the (masked) key.
    KeyPrompt,
    /// A question waits for an answer (the duplicate guard).
    Confirm,
}

impl Context {
    /// Whether printable keys type into a field here.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Context::Text | Context::Picker | Context::Suggest | Context::Search | Context::KeyPrompt
        )
    }

    /// Every context, for tables and tests.
    pub const ALL: [Context; 12] = [
        Context::KeyPrompt,
        Context::Search,
        Context::Detail,
        Context::Text,
        Context::Picker,
        Context::Suggest,
        Context::Checkbox,
        Context::Button,
        Context::Section,
        Context::History,
        Context::Help,
        Context::Confirm,
    ];
}

impl App {
    /// Where the user is now: an open overlay first, then the focused part of the screen.
    pub fn context(&self) -> Context {
        match self.overlay {
            Some(Overlay::Help { .. }) => return Context::Help,
            Some(Overlay::Duplicate(_) | Overlay::TakeBack(_) | Overlay::Campaign(_)) => {
                return Context::Confirm;
            }
            Some(Overlay::Detail(_) | Overlay::Import(_)) => return Context::Detail,
            Some(Overlay::Key(_)) => return Context::KeyPrompt,
            None => {}
        }
        match self.focus {
            Focus::History if self.history.search_input.is_some() => Context::Search,
            Focus::History => Context::History,
            Focus::AllowDuplicate => Context::Checkbox,
            Focus::Submit => Context::Button,
            Focus::Variables | Focus::Secondary => Context::Section,
            Focus::Campaign if self.entry.picker.is_some() => Context::Picker,
            _ if self.key_suggestion().is_some() => Context::Suggest,
            _ => Context::Text,
        }
    }
}
