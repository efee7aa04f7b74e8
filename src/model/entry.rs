//! Typing a lead: what happens to keys that type nowhere, adding a contact, renaming on purpose,
//! clearing the form and bringing it back, and keeping it on disk as a draft as it is typed.

use std::collections::HashMap;

use super::{Action, App, Effect, Focus, Form, Level, Overlay, Picker, rows};
use crate::history::LocalId;
use crate::keymap::form_key;

/// The form side of the app: the lead being typed, the campaign list, the rows each campaign
/// takes, what Alt-Z brings back, and what is kept as the draft.
#[derive(Debug)]
pub struct Entry {
    /// The lead being typed.
    pub form: Form,
    /// The last form field focused, for F2 to come back to.
    pub form_focus: Focus,
    /// The campaign list, while it is open.
    pub picker: Option<Picker>,
    /// What each campaign's rows are, remembered and learnt.
    pub layouts: rows::Layouts,
    /// The form as it was before it was last cleared or replaced, for Alt-Z.
    pub undo_form: Option<Box<Form>>,
    /// The campaign id the field held when it got the focus, to notice a new choice.
    pub(super) campaign_on_enter: Option<u64>,
    /// The Campaign field was just entered holding a campaign: a character typed first starts a
    /// new search instead of being added to it (as a browser selects a field's text on Tab).
    pub(super) campaign_typed_over: bool,
    /// The form's content as last handed to the draft file, and that write's number.
    pub(super) saved_draft: (Option<crate::lead::LeadDraft>, u64),
    /// Characters typed in a row where no text can go, to say them all in one notice.
    pub(super) stray: String,
    /// The notice is about the form's last turn (cleared, restored): it goes at the next edit.
    pub(super) form_notice: bool,
    /// The form as `e` loaded it: replacing it untouched keeps nothing for Alt-Z, so Alt-Z still
    /// brings back what was typed before the first `e`.
    pub(super) loaded_form: Option<crate::lead::LeadDraft>,
    /// The form of each lead whose first record is still being written, to put it back if the
    /// write fails.
    pub(super) unsaved_forms: HashMap<LocalId, Box<Form>>,
    /// The created lead the form is fixing, while it is.
    pub editing: Option<super::fix::Editing>,
}

impl Entry {
    /// A form for `campaign`, with the rows remembered for each campaign; `draft` is what was
    /// last kept on disk (the app restores it into the form).
    pub fn new(
        campaign: Option<u64>,
        layouts: HashMap<u64, crate::layout::Layout>,
        draft: Option<crate::lead::LeadDraft>,
    ) -> Self {
        Entry {
            form: Form::new(campaign),
            form_focus: Focus::Phone,
            picker: None,
            layouts: rows::Layouts { own: layouts, ..rows::Layouts::default() },
            undo_form: None,
            campaign_on_enter: None,
            campaign_typed_over: false,
            saved_draft: (draft, 0),
            stray: String::new(),
            form_notice: false,
            loaded_form: None,
            unsaved_forms: HashMap::new(),
            editing: None,
        }
    }
}

impl App {
    /// Characters typed where no text can go (Send, a checkbox, a section header): never
    /// dropped without a word. A run of them is said whole, so it can be typed again where it
    /// belonged.
    pub(super) fn stray_key(&mut self, c: char) {
        self.entry.stray.push(c);
        self.say_stray();
    }

    /// Text pasted where no text can go: said, never dropped silently.
    pub(super) fn stray_paste(&mut self, text: &str) {
        self.entry.stray.push_str(&crate::sanitize::cleaned(text).replace('\n', " "));
        self.say_stray();
    }

    fn say_stray(&mut self) {
        let place = match self.focus {
            Focus::Submit => "Send",
            Focus::AllowDuplicate => "Duplicates",
            _ => "a header",
        };
        let add = form_key(Action::AddContact);
        let count = self.entry.stray.chars().count();
        let shown: String = match count.checked_sub(40) {
            Some(skip) if skip > 0 => {
                std::iter::once('…').chain(self.entry.stray.chars().skip(skip + 1)).collect()
            }
            _ => self.entry.stray.clone(),
        };
        let stray = std::mem::take(&mut self.entry.stray);
        self.notify(
            Level::Error,
            format!("Not typed (focus on {place}): “{shown}”. Tab: a field · {add}: a contact"),
        );
        self.entry.stray = stray;
    }

    /// Whether the notice is the "Not sent" of a submit the form's errors explain.
    pub(super) fn notice_is_not_sent(&self) -> bool {
        self.notice.as_ref().is_some_and(|n| n.level == Level::Error && n.text.starts_with("Not sent:"))
    }

    /// Adds a secondary contact from anywhere in the form and puts the cursor in its phone; it
    /// gets the rows the campaign's contacts use.
    pub(super) fn add_contact(&mut self) {
        // A blank contact the campaign's layout put there is the one to fill, not one more.
        let focus =
            if let Some(c) = self.entry.form.secondary.iter().position(super::form::ContactForm::is_blank) {
                Focus::SecPhone(c)
            } else {
                let names = self.contact_rows();
                self.entry.form.add_contact(&names)
            };
        self.entry.form.errors.clear();
        self.set_focus(focus);
    }

    /// Moves between a variable's value and its name: the one way, with a click, to change a
    /// name, so a value typed one field off never renames a variable.
    pub(super) fn rename(&mut self) {
        let to = match self.focus {
            Focus::VarValue(i) => Focus::VarKey(i),
            Focus::VarKey(i) => Focus::VarValue(i),
            Focus::SecVarValue(c, r) => Focus::SecVarKey(c, r),
            Focus::SecVarKey(c, r) => Focus::SecVarValue(c, r),
            _ => {
                let key = form_key(Action::Rename);
                self.notify(Level::Info, format!("{key} works on a variable row: it edits the name"));
                return;
            }
        };
        self.set_focus(to);
    }

    /// Empties the form for a new lead (the campaign and its rows stay); Alt-Z brings it back.
    pub(super) fn clear_form(&mut self) {
        if self.entry.editing.is_some() {
            self.cancel_fix();
            return;
        }
        if !self.entry.form.has_content() {
            self.set_focus(Focus::Phone);
            self.notify(Level::Info, "The form is already empty");
            return;
        }
        self.keep_for_undo();
        self.entry.form.clear_for_next();
        self.prefill_rows();
        self.set_focus(Focus::Phone);
        let undo = form_key(Action::RestoreForm);
        self.notify(Level::Info, format!("Form cleared; {undo} brings it back"));
        self.entry.form_notice = true;
    }

    /// Puts back the form kept by the last clear, load or reset; the form it replaces is kept in
    /// turn, so pressing again goes back.
    pub(super) fn restore_form(&mut self) {
        if self.entry.editing.is_some() {
            self.cancel_fix();
            return;
        }
        let Some(kept) = self.entry.undo_form.take() else {
            self.notify(Level::Info, "Nothing to bring back: the form was not cleared or replaced");
            return;
        };
        let now = std::mem::replace(&mut self.entry.form, *kept);
        self.entry.undo_form = Some(Box::new(now));
        self.entry.picker = None;
        self.focus_first_empty();
        self.notify(Level::Info, "The form is back as it was");
        self.entry.form_notice = true;
    }

    /// Keeps the form as it is now for Alt-Z, before something replaces it.
    pub(super) fn keep_for_undo(&mut self) {
        let mut kept = self.entry.form.clone();
        kept.errors.clear();
        self.entry.undo_form = Some(Box::new(kept));
    }

    /// Puts the focus in the first field still to fill: the phone, else the first empty value.
    pub(super) fn focus_first_empty(&mut self) {
        let focus = if self.entry.form.phone.is_blank() {
            Focus::Phone
        } else {
            match self.entry.form.variables.iter().position(|r| !r.key.is_blank() && r.value.is_blank()) {
                Some(i) => Focus::VarValue(i),
                None => Focus::Submit,
            }
        };
        self.set_focus(focus);
    }

    /// Opens an overlay; a notice left from before is about something else and goes.
    pub(super) fn open_overlay(&mut self, overlay: Overlay) {
        self.notice = None;
        self.overlay = Some(overlay);
    }

    /// Hands the form to the draft file when its content changed: as typed while it holds a
    /// lead, nothing (the file goes) once it holds none.
    pub(super) fn keep_draft(&mut self) -> Option<Effect> {
        // A fix is not a new lead: restored as a draft, it would be sent as one.
        if self.entry.editing.is_some() {
            return None;
        }
        let draft = self.entry.form.has_content().then(|| self.entry.form.draft());
        if draft == self.entry.saved_draft.0 {
            return None;
        }
        self.entry.saved_draft.1 += 1;
        self.entry.saved_draft.0 = draft.clone();
        Some(Effect::SaveDraft { seq: self.entry.saved_draft.1, draft })
    }

    /// Loads a form from the history over the one being typed: never silently, the typed one
    /// is kept for Alt-Z and the notice says so.
    pub(super) fn replace_form(&mut self, form: Form) -> Option<String> {
        // A form `e` loaded and nobody touched is not worth keeping over what was typed before.
        let untouched = self.entry.loaded_form.as_ref() == Some(&self.entry.form.draft());
        let kept = self.entry.form.has_content() && !untouched;
        if kept {
            self.keep_for_undo();
        }
        self.entry.form = form;
        self.entry.loaded_form = Some(self.entry.form.draft());
        self.entry.picker = None;
        let undo = form_key(Action::RestoreForm);
        (kept || untouched && self.entry.undo_form.is_some())
            .then(|| format!(" The lead you were typing is kept: {undo} brings it back."))
    }
}
