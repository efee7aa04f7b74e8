//! Keys to messages: one table, the only place that knows the bindings. The help overlay and the
//! footer are generated from the same table, so they cannot drift from what the keys do.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

mod remap;
pub use remap::{COMMANDS, bindings, install, parse_key, remap};

use crate::model::{Action, Msg};

pub use crate::model::Context;

/// Which contexts a binding works in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everywhere but in an open question.
    Global,
    /// Any place in the form.
    Form,
    /// In the campaign list.
    Picker,
    /// When a variable name is suggested.
    Suggest,
    /// On the checkbox.
    Checkbox,
    /// Wherever a key cannot be typed into a field.
    NotText,
    /// In the history list.
    History,
    /// In the history search bar.
    Search,
    /// In a lead's detail view.
    Detail,
    /// In the API key prompt.
    KeyPrompt,
    /// While the help is open.
    Help,
    /// While a question waits for an answer.
    Confirm,
}

impl Scope {
    /// Whether the binding applies in `context`.
    pub fn covers(self, context: Context) -> bool {
        match self {
            Scope::Global => !matches!(context, Context::Confirm | Context::KeyPrompt),
            Scope::Form => matches!(
                context,
                Context::Text
                    | Context::Picker
                    | Context::Suggest
                    | Context::Checkbox
                    | Context::Button
                    | Context::Section
            ),
            Scope::Picker => context == Context::Picker,
            Scope::Suggest => context == Context::Suggest,
            Scope::Checkbox => context == Context::Checkbox,
            Scope::NotText => !context.is_text() && !matches!(context, Context::Confirm | Context::Detail),
            Scope::History => context == Context::History,
            Scope::Search => context == Context::Search,
            Scope::Detail => context == Context::Detail,
            Scope::KeyPrompt => context == Context::KeyPrompt,
            Scope::Help => context == Context::Help,
            Scope::Confirm => context == Context::Confirm,
        }
    }

    /// The heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Form => "In the form",
            Scope::Picker => "In the campaign list",
            Scope::Suggest => "On a suggested name",
            Scope::Checkbox => "On a checkbox",
            Scope::NotText => "Outside text fields",
            Scope::History => "In the history",
            Scope::Search => "In the history search",
            Scope::Detail => "In a lead's detail",
            Scope::KeyPrompt => "In the API key prompt",
            Scope::Help => "In this help",
            Scope::Confirm => "When asked",
        }
    }
}

/// One key binding.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The key.
    pub code: KeyCode,
    /// Modifiers that must be held (Shift is ignored for characters and Shift-Tab).
    pub mods: KeyModifiers,
    /// Where it works.
    pub scope: Scope,
    /// What it does.
    pub action: Action,
    /// Words for the help overlay and the footer.
    pub help: &'static str,
}

const fn key(code: KeyCode, mods: KeyModifiers, scope: Scope, action: Action, help: &'static str) -> Binding {
    Binding { code, mods, scope, action, help }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;

/// The default bindings, most specific first: the first match wins. The config file's `[keys]`
/// may remap commands (see `remap`); everything reads [`bindings()`].
pub const BINDINGS: &[Binding] = &[
    // Enter goes back to the form: a question never sends on the key that also moves on.
    key(KeyCode::Char('s'), NONE, Scope::Confirm, Action::Activate, "send anyway"),
    key(KeyCode::Char('y'), NONE, Scope::Confirm, Action::Activate, "yes"),
    key(KeyCode::Char('a'), NONE, Scope::Confirm, Action::AllowDuplicate, "allow duplicate, send"),
    key(KeyCode::Esc, NONE, Scope::Confirm, Action::Close, "cancel"),
    key(KeyCode::Enter, NONE, Scope::Confirm, Action::Close, "cancel"),
    key(KeyCode::Char('c'), NONE, Scope::Confirm, Action::Close, "cancel"),
    key(KeyCode::Char('c'), CTRL, Scope::Confirm, Action::Quit, "quit"),
    key(KeyCode::Char('q'), CTRL, Scope::Confirm, Action::Quit, "quit"),
    key(KeyCode::Enter, NONE, Scope::KeyPrompt, Action::Activate, "use this key"),
    key(KeyCode::Esc, NONE, Scope::KeyPrompt, Action::Close, "later (sending waits)"),
    key(KeyCode::Char('o'), CTRL, Scope::KeyPrompt, Action::OpenSandbox, "open the sandbox instead"),
    key(KeyCode::Char('c'), CTRL, Scope::KeyPrompt, Action::Quit, "quit"),
    key(KeyCode::Char('q'), CTRL, Scope::KeyPrompt, Action::Quit, "quit"),
    key(KeyCode::Esc, NONE, Scope::Help, Action::Close, "close"),
    key(KeyCode::Char('q'), NONE, Scope::Help, Action::Close, "close"),
    key(KeyCode::Char('?'), NONE, Scope::Help, Action::Close, "close"),
    key(KeyCode::Up, NONE, Scope::Help, Action::Up, "scroll"),
    key(KeyCode::Down, NONE, Scope::Help, Action::Down, "scroll"),
    key(KeyCode::PageUp, NONE, Scope::Help, Action::PageUp, "scroll"),
    key(KeyCode::PageDown, NONE, Scope::Help, Action::PageDown, "scroll"),
    key(KeyCode::Esc, NONE, Scope::Detail, Action::Close, "close"),
    key(KeyCode::Enter, NONE, Scope::Detail, Action::Close, "close"),
    key(KeyCode::Char('q'), NONE, Scope::Detail, Action::Close, "close"),
    key(KeyCode::Up, NONE, Scope::Detail, Action::Up, "scroll"),
    key(KeyCode::Down, NONE, Scope::Detail, Action::Down, "scroll"),
    key(KeyCode::PageUp, NONE, Scope::Detail, Action::PageUp, "scroll"),
    key(KeyCode::PageDown, NONE, Scope::Detail, Action::PageDown, "scroll"),
    key(KeyCode::Char('f'), NONE, Scope::Detail, Action::FixLead, "fix on the server"),
    key(KeyCode::Char('e'), NONE, Scope::Detail, Action::EditLead, "edit as new"),
    key(KeyCode::Delete, NONE, Scope::Detail, Action::TakeBack, "take back"),
    key(KeyCode::Char('r'), NONE, Scope::Detail, Action::Retry, "retry"),
    key(KeyCode::Enter, NONE, Scope::Search, Action::Activate, "keep the filter"),
    key(KeyCode::Esc, NONE, Scope::Search, Action::Close, "clear the search"),
    key(KeyCode::Up, NONE, Scope::Search, Action::Up, "newer lead"),
    key(KeyCode::Down, NONE, Scope::Search, Action::Down, "older lead"),
    key(KeyCode::Up, NONE, Scope::Picker, Action::Up, "previous campaign"),
    key(KeyCode::Down, NONE, Scope::Picker, Action::Down, "next campaign"),
    key(KeyCode::Enter, NONE, Scope::Picker, Action::Activate, "take the campaign"),
    key(KeyCode::Esc, NONE, Scope::Picker, Action::Close, "close the list"),
    key(KeyCode::F(5), NONE, Scope::Picker, Action::CampaignRun, "start/stop campaign"),
    key(KeyCode::Right, NONE, Scope::Suggest, Action::AcceptSuggestion, "take the suggestion"),
    key(KeyCode::Char(' '), NONE, Scope::Checkbox, Action::Toggle, "toggle"),
    key(KeyCode::Enter, NONE, Scope::Form, Action::Activate, "next, press, add"),
    key(KeyCode::Up, NONE, Scope::Form, Action::Up, "previous field"),
    key(KeyCode::Down, NONE, Scope::Form, Action::Down, "next field"),
    key(KeyCode::Char('n'), CTRL, Scope::Form, Action::AddRow, "add a row"),
    key(KeyCode::Char('d'), CTRL, Scope::Form, Action::RemoveRow, "remove the row"),
    key(KeyCode::Up, ALT, Scope::Form, Action::MoveUp, "move the row up"),
    key(KeyCode::Down, ALT, Scope::Form, Action::MoveDown, "move the row down"),
    key(KeyCode::Char('p'), CTRL, Scope::Form, Action::CopyPrimaryVars, "copy primary variables"),
    key(KeyCode::Char('x'), CTRL, Scope::Form, Action::AddContact, "add a contact"),
    key(KeyCode::Char('r'), ALT, Scope::Form, Action::Rename, "edit the name"),
    key(KeyCode::Char('l'), CTRL, Scope::Form, Action::ClearForm, "clear the form"),
    key(KeyCode::Char('z'), ALT, Scope::Form, Action::RestoreForm, "bring the form back"),
    key(KeyCode::Char('l'), ALT, Scope::Form, Action::ResetLayout, "reset the rows"),
    key(KeyCode::Up, NONE, Scope::History, Action::Up, "newer lead"),
    key(KeyCode::Char('k'), NONE, Scope::History, Action::Up, "newer lead"),
    key(KeyCode::Down, NONE, Scope::History, Action::Down, "older lead"),
    key(KeyCode::Char('j'), NONE, Scope::History, Action::Down, "older lead"),
    key(KeyCode::PageUp, NONE, Scope::History, Action::PageUp, "page up"),
    key(KeyCode::PageDown, NONE, Scope::History, Action::PageDown, "page down"),
    key(KeyCode::Home, NONE, Scope::History, Action::Top, "newest"),
    key(KeyCode::Char('g'), NONE, Scope::History, Action::Top, "newest"),
    key(KeyCode::End, NONE, Scope::History, Action::Bottom, "oldest"),
    key(KeyCode::Char('G'), NONE, Scope::History, Action::Bottom, "oldest"),
    key(KeyCode::Enter, NONE, Scope::History, Action::Activate, "details"),
    key(KeyCode::Char('/'), NONE, Scope::History, Action::Search, "search"),
    key(KeyCode::Char('f'), NONE, Scope::History, Action::FixLead, "fix on the server"),
    key(KeyCode::Char('e'), NONE, Scope::History, Action::EditLead, "edit as new"),
    key(KeyCode::Char('r'), NONE, Scope::History, Action::Retry, "retry"),
    key(KeyCode::Char('t'), NONE, Scope::History, Action::CycleStatus, "filter by status"),
    key(KeyCode::Char('c'), NONE, Scope::History, Action::CycleCampaign, "filter by campaign"),
    key(KeyCode::Char('s'), NONE, Scope::History, Action::RefreshStatus, "server status"),
    key(KeyCode::Char('x'), NONE, Scope::History, Action::Export, "export CSV"),
    key(KeyCode::Char('d'), NONE, Scope::History, Action::CancelLead, "cancel a queued lead"),
    key(KeyCode::Delete, NONE, Scope::History, Action::TakeBack, "take back (delete)"),
    key(KeyCode::Char('v'), NONE, Scope::History, Action::ServerView, "campaign on the server"),
    key(KeyCode::Esc, NONE, Scope::History, Action::Close, "clear filters"),
    key(KeyCode::Char('?'), NONE, Scope::NotText, Action::Help, "help"),
    key(KeyCode::Char('s'), CTRL, Scope::Global, Action::Submit, "send the lead"),
    key(KeyCode::Char('z'), CTRL, Scope::Global, Action::TakeBack, "take back last lead"),
    key(KeyCode::Tab, NONE, Scope::Global, Action::NextField, "next field"),
    key(KeyCode::BackTab, NONE, Scope::Global, Action::PrevField, "previous field"),
    key(KeyCode::F(1), NONE, Scope::Global, Action::Help, "help"),
    key(KeyCode::F(2), NONE, Scope::Global, Action::ShowForm, "form"),
    key(KeyCode::F(3), NONE, Scope::Global, Action::ShowHistory, "history"),
    key(KeyCode::F(4), NONE, Scope::Global, Action::EnterKey, "API key"),
    key(KeyCode::Esc, NONE, Scope::Global, Action::Close, "dismiss message"),
    key(KeyCode::Char('c'), CTRL, Scope::Global, Action::Quit, "quit"),
    key(KeyCode::Char('q'), CTRL, Scope::Global, Action::Quit, "quit"),
];

/// Turns a terminal event into a message, or `None` when it means nothing here.
pub fn map_event(event: &Event, context: Context) -> Option<Msg> {
    match event {
        Event::Key(key) => map_key(key, context),
        Event::Paste(text) => Some(Msg::Paste(text.clone())),
        Event::Resize(width, height) => Some(Msg::Resize { width: *width, height: *height }),
        _ => None,
    }
}

/// Turns a key press into a message: a bound action, else an editing key in a text field.
pub fn map_key(key: &KeyEvent, context: Context) -> Option<Msg> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if let Some(action) = lookup(key, context) {
        return Some(Msg::Action(action));
    }
    // Outside text fields a printable key still reaches the model, which puts it where text can
    // go or says why it could not: no keystroke vanishes without a word.
    let printable = matches!(key.code, KeyCode::Char(_))
        && !key.modifiers.intersects(CTRL | ALT)
        && matches!(context, Context::Checkbox | Context::Button | Context::Section | Context::History);
    (context.is_text() || printable).then(|| Msg::Edit((*key).into()))
}

/// The action bound to this key in this context.
pub fn lookup(key: &KeyEvent, context: Context) -> Option<Action> {
    let mods = match key.code {
        KeyCode::Char(_) | KeyCode::BackTab => key.modifiers - KeyModifiers::SHIFT,
        _ => key.modifiers,
    };
    let code = match key.code {
        KeyCode::Char(c) if mods.intersects(CTRL | ALT) => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    bindings().iter().find(|b| b.code == code && b.mods == mods && b.scope.covers(context)).map(|b| b.action)
}

/// How a key is written in help and the footer, e.g. `Ctrl-S`, `F1`, `Shift-Tab`.
pub fn key_label(binding: &Binding) -> String {
    let name = match binding.code {
        KeyCode::Char(' ') => "Space".to_owned(),
        KeyCode::Char(c) if binding.mods.intersects(CTRL | ALT) => c.to_ascii_uppercase().to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::BackTab => "Shift-Tab".to_owned(),
        KeyCode::PageUp => "PgUp".to_owned(),
        KeyCode::PageDown => "PgDn".to_owned(),
        other => format!("{other}"),
    };
    match (binding.mods.contains(CTRL), binding.mods.contains(ALT)) {
        (true, _) => format!("Ctrl-{name}"),
        (_, true) => format!("Alt-{name}"),
        _ => name,
    }
}

/// The key for `action` in a form field, as help writes it (empty when none is bound), for the
/// messages that name the key to press next.
pub fn form_key(action: Action) -> String {
    key_for(action, Context::Text).unwrap_or_default()
}

/// The first key bound to `action` in `context`, for the footer.
pub fn key_for(action: Action, context: Context) -> Option<String> {
    bindings().iter().find(|b| b.action == action && b.scope.covers(context)).map(key_label)
}

/// Every key bound to `action` in `context`, as the sentence that names them: `Ctrl-C or
/// Ctrl-Q` (empty when none is bound).
pub fn keys_for(action: Action, context: Context) -> String {
    let mut keys: Vec<String> =
        bindings().iter().filter(|b| b.action == action && b.scope.covers(context)).map(key_label).collect();
    keys.dedup();
    match keys.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventState;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent { code, modifiers, kind: KeyEventKind::Press, state: KeyEventState::NONE }
    }

    #[test]
    fn the_table() {
        use Action::*;
        use Context::*;
        let cases: &[(KeyCode, KeyModifiers, Context, Option<Msg>)] = &[
            (KeyCode::Char('s'), CTRL, Text, Some(Msg::Action(Submit))),
            (KeyCode::Char('S'), CTRL | KeyModifiers::SHIFT, History, Some(Msg::Action(Submit))),
            (KeyCode::Char('c'), CTRL, Text, Some(Msg::Action(Quit))),
            (KeyCode::Char('q'), CTRL, History, Some(Msg::Action(Quit))),
            (KeyCode::Tab, NONE, Text, Some(Msg::Action(NextField))),
            (KeyCode::BackTab, KeyModifiers::SHIFT, Text, Some(Msg::Action(PrevField))),
            (KeyCode::F(2), NONE, History, Some(Msg::Action(ShowForm))),
            (KeyCode::F(3), NONE, Text, Some(Msg::Action(ShowHistory))),
            (KeyCode::F(1), NONE, Text, Some(Msg::Action(Action::Help))),
            (KeyCode::Char('n'), CTRL, Section, Some(Msg::Action(AddRow))),
            (KeyCode::Char(' '), NONE, Checkbox, Some(Msg::Action(Toggle))),
            (KeyCode::Char('?'), NONE, History, Some(Msg::Action(Action::Help))),
            (KeyCode::Char('?'), NONE, Context::Help, Some(Msg::Action(Close))),
            (KeyCode::Esc, NONE, Context::Help, Some(Msg::Action(Close))),
            (KeyCode::Char('a'), NONE, Confirm, Some(Msg::Action(Action::AllowDuplicate))),
            (KeyCode::Enter, NONE, Confirm, Some(Msg::Action(Close))),
            (KeyCode::Char('x'), CTRL, Text, Some(Msg::Action(AddContact))),
            (KeyCode::Char('x'), CTRL, Button, Some(Msg::Action(AddContact))),
            (KeyCode::Char('r'), KeyModifiers::ALT, Text, Some(Msg::Action(Rename))),
            (KeyCode::Tab, NONE, Confirm, None),
            (KeyCode::Down, NONE, Picker, Some(Msg::Action(Down))),
            (KeyCode::Enter, NONE, Picker, Some(Msg::Action(Activate))),
            (KeyCode::Char('h'), NONE, Picker, Some(Msg::Edit(press(KeyCode::Char('h'), NONE).into()))),
            (KeyCode::Right, NONE, Suggest, Some(Msg::Action(AcceptSuggestion))),
            (KeyCode::Right, NONE, Text, Some(Msg::Edit(press(KeyCode::Right, NONE).into()))),
            (KeyCode::Up, KeyModifiers::ALT, Text, Some(Msg::Action(MoveUp))),
            (KeyCode::Char('e'), NONE, History, Some(Msg::Action(EditLead))),
            (KeyCode::Char('e'), NONE, Text, Some(Msg::Edit(press(KeyCode::Char('e'), NONE).into()))),
            (KeyCode::Char('j'), NONE, History, Some(Msg::Action(Down))),
            (KeyCode::Up, NONE, Text, Some(Msg::Action(Up))),
            (KeyCode::Enter, NONE, Button, Some(Msg::Action(Activate))),
            // Printable keys type in text fields, never trigger commands there.
            (KeyCode::Char('?'), NONE, Text, Some(Msg::Edit(press(KeyCode::Char('?'), NONE).into()))),
            (KeyCode::Char('j'), NONE, Text, Some(Msg::Edit(press(KeyCode::Char('j'), NONE).into()))),
            (KeyCode::Char('x'), NONE, History, Some(Msg::Action(Export))),
            (KeyCode::Char('z'), NONE, History, Some(Msg::Edit(press(KeyCode::Char('z'), NONE).into()))),
            (KeyCode::Char('5'), NONE, Button, Some(Msg::Edit(press(KeyCode::Char('5'), NONE).into()))),
            (KeyCode::Char('z'), NONE, Confirm, None),
            (KeyCode::Char('/'), NONE, History, Some(Msg::Action(Action::Search))),
            (
                KeyCode::Char('x'),
                NONE,
                Context::Search,
                Some(Msg::Edit(press(KeyCode::Char('x'), NONE).into())),
            ),
            (KeyCode::Esc, NONE, Context::Search, Some(Msg::Action(Close))),
            (KeyCode::Char(' '), NONE, Button, Some(Msg::Edit(press(KeyCode::Char(' '), NONE).into()))),
        ];
        // A `Msg` is not comparable (it carries typed errors); a key's is an action or an
        // edit, whose debug form says all of it.
        for (code, mods, context, expected) in cases {
            assert_eq!(
                format!("{:?}", map_key(&press(*code, *mods), *context)),
                format!("{expected:?}"),
                "{code:?} {mods:?} in {context:?}"
            );
        }
    }

    #[test]
    fn releases_are_ignored() {
        let mut release = press(KeyCode::Char('s'), CTRL);
        release.kind = KeyEventKind::Release;
        assert!(map_key(&release, Context::Text).is_none());
    }

    #[test]
    fn labels() {
        assert_eq!(key_for(Action::Submit, Context::Text).as_deref(), Some("Ctrl-S"));
        assert_eq!(key_for(Action::PrevField, Context::Text).as_deref(), Some("Shift-Tab"));
        assert_eq!(key_for(Action::Toggle, Context::Checkbox).as_deref(), Some("Space"));
        assert_eq!(key_for(Action::Toggle, Context::Text), None);
    }

    #[test]
    fn no_binding_is_shadowed_entirely() {
        for (i, b) in BINDINGS.iter().enumerate() {
            let earlier = &BINDINGS[..i];
            let shadowed = Context::ALL
                .into_iter()
                .filter(|c| b.scope.covers(*c))
                .all(|c| earlier.iter().any(|e| e.code == b.code && e.mods == b.mods && e.scope.covers(c)));
            assert!(!shadowed, "binding {} ({}) can never fire", key_label(b), b.help);
        }
    }
}
