//! Key bindings from the config file's `[keys]` table: a command's name and the key(s) it
//! should have, e.g. `submit = "Ctrl-Enter"` or `quit = ["Ctrl-Q", "F10"]`. The new keys replace
//! the command's default ones in the same places. Mistakes are reported, never ignored: an
//! unknown command, a key that cannot be read, a plain key where it would be typed into a field,
//! a key another command already has there.

use std::sync::OnceLock;

use crossterm::event::{KeyCode, KeyModifiers};

use super::{BINDINGS, Binding, Context, key_label};
use crate::model::Action;

static INSTALLED: OnceLock<Vec<Binding>> = OnceLock::new();

/// The bindings in force: the defaults, or the remapped ones once installed.
pub fn bindings() -> &'static [Binding] {
    INSTALLED.get().map(Vec::as_slice).unwrap_or(BINDINGS)
}

/// Puts remapped bindings in force for the rest of the run (once; later calls are ignored).
pub fn install(bindings: Vec<Binding>) {
    let _ = INSTALLED.set(bindings);
}

/// The commands that can be remapped, by their config name.
pub const COMMANDS: &[(&str, Action)] = &[
    ("submit", Action::Submit),
    ("quit", Action::Quit),
    ("help", Action::Help),
    ("show_form", Action::ShowForm),
    ("show_history", Action::ShowHistory),
    ("next_field", Action::NextField),
    ("previous_field", Action::PrevField),
    ("add_row", Action::AddRow),
    ("remove_row", Action::RemoveRow),
    ("move_up", Action::MoveUp),
    ("move_down", Action::MoveDown),
    ("copy_primary_variables", Action::CopyPrimaryVars),
    ("add_contact", Action::AddContact),
    ("rename_variable", Action::Rename),
    ("clear_form", Action::ClearForm),
    ("restore_form", Action::RestoreForm),
    ("reset_layout", Action::ResetLayout),
    ("api_key", Action::EnterKey),
    ("search", Action::Search),
    ("edit_lead", Action::EditLead),
    ("fix_lead", Action::FixLead),
    ("retry", Action::Retry),
    ("cancel_lead", Action::CancelLead),
    ("take_back", Action::TakeBack),
    ("start_stop_campaign", Action::CampaignRun),
    ("server_leads", Action::ServerView),
    ("refresh_status", Action::RefreshStatus),
    ("export", Action::Export),
    ("filter_status", Action::CycleStatus),
    ("filter_campaign", Action::CycleCampaign),
];

/// Reads a key as written in help and the footer: `Ctrl-S`, `Alt-Up`, `F5`, `Shift-Tab`, `x`,
/// `Enter`, `Esc`, `PgDn`, `Space`.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = text.trim();
    loop {
        let lower = rest.to_ascii_lowercase();
        if let Some(r) = lower.strip_prefix("ctrl-").or_else(|| lower.strip_prefix("ctrl+")) {
            mods |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = lower.strip_prefix("alt-").or_else(|| lower.strip_prefix("alt+")) {
            mods |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else {
            break;
        }
    }
    let named = match rest.to_ascii_lowercase().as_str() {
        "enter" => Some(KeyCode::Enter),
        "esc" | "escape" => Some(KeyCode::Esc),
        "tab" => Some(KeyCode::Tab),
        "shift-tab" | "backtab" => Some(KeyCode::BackTab),
        "space" => Some(KeyCode::Char(' ')),
        "up" => Some(KeyCode::Up),
        "down" => Some(KeyCode::Down),
        "left" => Some(KeyCode::Left),
        "right" => Some(KeyCode::Right),
        "home" => Some(KeyCode::Home),
        "end" => Some(KeyCode::End),
        "pgup" | "pageup" => Some(KeyCode::PageUp),
        "pgdn" | "pagedown" => Some(KeyCode::PageDown),
        "delete" | "del" => Some(KeyCode::Delete),
        "backspace" => Some(KeyCode::Backspace),
        f if f.len() > 1
            && f.starts_with('f')
            && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
        {
            f[1..].parse().ok().map(KeyCode::F)
        }
        _ => None,
    };
    let code = match (named, rest.chars().count()) {
        (Some(code), _) => code,
        (None, 1) => {
            let c = rest.chars().next().unwrap_or(' ');
            let chorded = mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            KeyCode::Char(if chorded { c.to_ascii_lowercase() } else { c })
        }
        _ => return Err(format!("`{text}` is not a key (try Ctrl-S, Alt-Up, F5, x)")),
    };
    Ok((code, mods))
}

/// Builds the bindings with `overrides` (command name → keys) applied.
pub fn remap(overrides: &[(String, Vec<String>)]) -> Result<Vec<Binding>, String> {
    let mut bindings: Vec<Binding> = BINDINGS.to_vec();
    for (name, keys) in overrides {
        let Some(&(_, action)) = COMMANDS.iter().find(|(n, _)| n == name) else {
            let names: Vec<&str> = COMMANDS.iter().map(|(n, _)| *n).collect();
            return Err(format!("[keys] `{name}` is not a command; the commands are: {}", names.join(", ")));
        };
        if keys.is_empty() {
            return Err(format!(
                "[keys] {name}: give at least one key (an empty list leaves it no key at all)"
            ));
        }
        // Every place the command works by default, each once: a new key works in all of them
        // (quit from the form and the history as well as from a question).
        let mut templates: Vec<Binding> = Vec::new();
        for b in bindings.iter().filter(|b| b.action == action) {
            if !templates.iter().any(|t| t.scope == b.scope) {
                templates.push(*b);
            }
        }
        if templates.is_empty() {
            return Err(format!("[keys] `{name}` has no key"));
        }
        bindings.retain(|b| b.action != action);
        for key in keys {
            let (code, mods) = parse_key(key).map_err(|e| format!("[keys] {name}: {e}"))?;
            for template in &templates {
                let new = Binding { code, mods, ..*template };
                let typed = matches!(code, KeyCode::Char(_)) && (mods - KeyModifiers::SHIFT).is_empty();
                if typed && [Context::Text, Context::Search].iter().any(|c| new.scope.covers(*c)) {
                    return Err(format!(
                        "[keys] {name}: `{key}` would be typed into fields; use Ctrl-, Alt- or an F-key"
                    ));
                }
                let clash = bindings.iter().find(|b| {
                    b.action != action
                        && b.code == code
                        && b.mods == mods
                        && Context::ALL.iter().any(|c| b.scope.covers(*c) && new.scope.covers(*c))
                });
                if let Some(other) = clash {
                    return Err(format!(
                        "[keys] {name}: `{}` already means \"{}\"",
                        key_label(&new),
                        other.help
                    ));
                }
                // Placed first so it wins over broader defaults with the same key elsewhere.
                let same = |b: &Binding| {
                    b.code == code && b.mods == mods && b.scope == new.scope && b.action == action
                };
                if !bindings.iter().any(same) {
                    bindings.insert(0, new);
                }
            }
        }
    }
    Ok(bindings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Context;

    #[test]
    fn the_example_config_names_every_command() {
        let example = include_str!("../../assets/config.example.toml");
        for (name, _) in COMMANDS {
            assert!(example.contains(name), "assets/config.example.toml does not name `{name}`");
        }
    }

    #[test]
    fn keys_read_as_they_are_shown() {
        assert_eq!(parse_key("Ctrl-S"), Ok((KeyCode::Char('s'), KeyModifiers::CONTROL)));
        assert_eq!(parse_key("alt+up"), Ok((KeyCode::Up, KeyModifiers::ALT)));
        assert_eq!(parse_key("F10"), Ok((KeyCode::F(10), KeyModifiers::NONE)));
        assert_eq!(parse_key("Shift-Tab"), Ok((KeyCode::BackTab, KeyModifiers::NONE)));
        assert_eq!(parse_key("x"), Ok((KeyCode::Char('x'), KeyModifiers::NONE)));
        assert!(parse_key("Hyper-Q").is_err());
        assert!(parse_key("F13").is_err());
    }

    #[test]
    fn a_remapped_command_answers_to_its_new_key_only() {
        let bindings = remap(&[("submit".into(), vec!["F9".into()])]).unwrap();
        let find = |code, mods| {
            bindings
                .iter()
                .find(|b| b.code == code && b.mods == mods && b.scope.covers(Context::Text))
                .map(|b| b.action)
        };
        assert_eq!(find(KeyCode::F(9), KeyModifiers::NONE), Some(Action::Submit));
        assert_eq!(find(KeyCode::Char('s'), KeyModifiers::CONTROL), None);
    }

    /// Seen: `quit = "F10"` (or the example's `quit = ["Ctrl-Q", "Ctrl-C"]`) left quit only in
    /// the questions' scope: neither key quit from the form or the history.
    #[test]
    fn a_remapped_command_works_everywhere_its_default_did() {
        for keys in [vec!["F10".to_owned()], vec!["Ctrl-Q".to_owned(), "Ctrl-C".to_owned()]] {
            let bindings = remap(&[("quit".into(), keys.clone())]).unwrap();
            let (code, mods) = parse_key(&keys[0]).unwrap();
            for context in [Context::Text, Context::History, Context::Confirm, Context::KeyPrompt] {
                let found = bindings
                    .iter()
                    .find(|b| b.code == code && b.mods == mods && b.scope.covers(context))
                    .map(|b| b.action);
                assert_eq!(found, Some(Action::Quit), "{keys:?} in {context:?}");
            }
        }
        // So a key already meaning quit anywhere is a clash for another command.
        let clash = remap(&[("quit".into(), vec!["F9".into()]), ("submit".into(), vec!["F9".into()])]);
        assert!(clash.unwrap_err().contains("already means"));
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(remap(&[("quit".into(), vec![])]).unwrap_err().contains("at least one key"));
        let err = |name: &str, key: &str| remap(&[(name.into(), vec![key.into()])]).unwrap_err();
        assert!(err("sumbit", "F9").contains("not a command"));
        assert!(err("submit", "Hyper-Q").contains("not a key"));
        assert!(err("add_row", "n").contains("typed into fields"));
        assert!(err("submit", "Ctrl-N").contains("add a row"));
        // A plain key is fine where nothing is typed.
        assert!(remap(&[("export".into(), vec!["E".into()])]).is_ok());
    }
}
