//! Typing a lead: what happens to keys that type nowhere, adding a contact, renaming on purpose,
//! clearing the form and bringing it back, and keeping it on disk as a draft as it is typed.

use super::{Action, App, Effect, Focus, Form, Level, Overlay};
use crate::keymap::form_key;

impl App {
    /// Characters typed where no text can go (Send, a checkbox, a section header): never
    /// dropped without a word. A run of them is said whole, so it can be typed again where it
    /// belonged.
    pub(super) fn stray_key(&mut self, c: char) {
        self.stray.push(c);
        self.say_stray();
    }

    /// Text pasted where no text can go: said, never dropped silently.
    pub(super) fn stray_paste(&mut self, text: &str) {
        self.stray.push_str(&crate::sanitize::cleaned(text).replace('\n', " "));
        self.say_stray();
    }

    fn say_stray(&mut self) {
        let place = match self.focus {
            Focus::Submit => "Send",
            Focus::AllowDuplicate => "Duplicates",
            _ => "a header",
        };
        let add = form_key(Action::AddContact);
        let count = self.stray.chars().count();
        let shown: String = match count.checked_sub(40) {
            Some(skip) if skip > 0 => std::iter::once('…').chain(self.stray.chars().skip(skip + 1)).collect(),
            _ => self.stray.clone(),
        };
        let stray = std::mem::take(&mut self.stray);
        self.notify(
            Level::Error,
            format!("Not typed (focus on {place}): “{shown}”. Tab: a field · {add}: a contact"),
        );
        self.stray = stray;
    }

    /// Whether the notice is the "Not sent" of a submit the form's errors explain.
    pub(super) fn notice_is_not_sent(&self) -> bool {
        self.notice.as_ref().is_some_and(|n| n.level == Level::Error && n.text.starts_with("Not sent:"))
    }

    /// Adds a secondary contact from anywhere in the form and puts the cursor in its phone; it
    /// gets the rows the campaign's contacts use.
    pub(super) fn add_contact(&mut self) {
        // A blank contact the campaign's layout put there is the one to fill, not one more.
        let focus = if let Some(c) = self.form.secondary.iter().position(super::form::ContactForm::is_blank) {
            Focus::SecPhone(c)
        } else {
            let names = self.contact_rows();
            self.form.add_contact(&names)
        };
        self.form.errors.clear();
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
        if !self.form.has_content() {
            self.set_focus(Focus::Phone);
            self.notify(Level::Info, "The form is already empty");
            return;
        }
        self.keep_for_undo();
        self.form.clear_for_next();
        self.prefill_rows();
        self.set_focus(Focus::Phone);
        let undo = form_key(Action::RestoreForm);
        self.notify(Level::Info, format!("Form cleared; {undo} brings it back"));
        self.form_notice = true;
    }

    /// Puts back the form kept by the last clear, load or reset; the form it replaces is kept in
    /// turn, so pressing again goes back.
    pub(super) fn restore_form(&mut self) {
        let Some(kept) = self.undo_form.take() else {
            self.notify(Level::Info, "Nothing to bring back: the form was not cleared or replaced");
            return;
        };
        let now = std::mem::replace(&mut self.form, *kept);
        self.undo_form = Some(Box::new(now));
        self.picker = None;
        self.focus_first_empty();
        self.notify(Level::Info, "The form is back as it was");
        self.form_notice = true;
    }

    /// Keeps the form as it is now for Alt-Z, before something replaces it.
    pub(super) fn keep_for_undo(&mut self) {
        let mut kept = self.form.clone();
        kept.errors.clear();
        self.undo_form = Some(Box::new(kept));
    }

    /// Puts the focus in the first field still to fill: the phone, else the first empty value.
    pub(super) fn focus_first_empty(&mut self) {
        let focus = if self.form.phone.is_blank() {
            Focus::Phone
        } else {
            match self.form.variables.iter().position(|r| !r.key.is_blank() && r.value.is_blank()) {
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
        let draft = self.form.has_content().then(|| self.form.draft());
        if draft == self.saved_draft.0 {
            return None;
        }
        self.saved_draft.1 += 1;
        self.saved_draft.0 = draft.clone();
        Some(Effect::SaveDraft { seq: self.saved_draft.1, draft })
    }

    /// Loads a form from the history over the one being typed: never silently, the typed one
    /// is kept for Alt-Z and the notice says so.
    pub(super) fn replace_form(&mut self, form: Form) -> Option<String> {
        // A form `e` loaded and nobody touched is not worth keeping over what was typed before.
        let untouched = self.loaded_form.as_ref() == Some(&self.form.draft());
        let kept = self.form.has_content() && !untouched;
        if kept {
            self.keep_for_undo();
        }
        self.form = form;
        self.loaded_form = Some(self.form.draft());
        self.picker = None;
        let undo = form_key(Action::RestoreForm);
        (kept || untouched && self.undo_form.is_some())
            .then(|| format!(" The lead you were typing is kept: {undo} brings it back."))
    }
}
