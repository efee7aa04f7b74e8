//! The footer: the latest notice, and the keys that work where the focus is, from the key map.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::keymap::{self, Context};
use crate::model::{Action, App, Level};

/// The actions worth a place in the footer, by context, most useful first.
fn shown_actions(context: Context) -> &'static [Action] {
    match context {
        Context::Text => &[
            Action::Submit,
            Action::NextField,
            Action::AddContact,
            Action::Rename,
            Action::RestoreForm,
            Action::AddRow,
            Action::RemoveRow,
            Action::CopyPrimaryVars,
            Action::ClearForm,
            Action::ShowHistory,
            Action::Help,
            Action::Quit,
        ],
        Context::Picker => &[
            Action::Activate,
            Action::Down,
            Action::Close,
            Action::CampaignRun,
            Action::NextField,
            Action::Help,
        ],
        Context::Suggest => &[
            Action::AcceptSuggestion,
            Action::Submit,
            Action::NextField,
            Action::AddRow,
            Action::RemoveRow,
            Action::Help,
        ],
        Context::Checkbox => &[Action::Toggle, Action::Submit, Action::NextField, Action::Help, Action::Quit],
        Context::Button => {
            &[Action::Activate, Action::AddContact, Action::NextField, Action::Help, Action::Quit]
        }
        Context::Section => &[Action::AddRow, Action::Submit, Action::NextField, Action::Help, Action::Quit],
        Context::History => &[
            Action::Activate,
            Action::FixLead,
            Action::ServerView,
            Action::Search,
            Action::EditLead,
            Action::Retry,
            Action::CancelLead,
            Action::RefreshStatus,
            Action::Export,
            Action::CycleStatus,
            Action::ShowForm,
            Action::Help,
        ],
        Context::Search => &[Action::Activate, Action::Close, Action::Down],
        Context::Detail => &[Action::Close, Action::Down, Action::FixLead, Action::EditLead, Action::Retry],
        Context::KeyPrompt => &[Action::Activate, Action::OpenSandbox, Action::Close, Action::Quit],
        Context::Help => &[Action::Down, Action::Close],
        Context::Confirm => &[Action::Activate, Action::AllowDuplicate, Action::Close],
    }
}

/// Draws the notice line and the keys line.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let notice = match &app.notice {
        Some(n) if n.level == Level::Error => {
            Line::from(Span::styled(format!(" ✗ {}", n.text), theme::error()))
        }
        Some(n) => Line::from(Span::raw(format!(" {}", n.text))),
        None => Line::from(""),
    };
    let context = app.context();
    let mut keys = vec![Span::raw(" ")];
    let mut used = 1;
    let review = matches!(app.overlay, Some(crate::model::Overlay::Import(_)));
    // A yes-or-no question (take back, start or stop a campaign) offers yes and no only.
    let question =
        matches!(app.overlay, Some(crate::model::Overlay::TakeBack(_) | crate::model::Overlay::Campaign(_)));
    let actions: &[Action] = if review {
        &[Action::Submit, Action::EditLead, Action::TakeBack, Action::Down, Action::Close]
    } else if question {
        &[Action::Activate, Action::Close]
    } else {
        shown_actions(context)
    };
    for action in actions.iter().filter(|a| review || app.is_available(**a)) {
        let mut found = keymap::bindings().iter().filter(|b| b.action == *action && b.scope.covers(context));
        let first = found.clone().next();
        // For a question, yes is `y` (not the duplicate guard's `s`), when it is bound.
        let yes = if question { found.find(|b| keymap::key_label(b) == "y") } else { None };
        let Some(binding) = yes.or(first) else {
            continue;
        };
        let label = keymap::key_label(binding);
        let help = match action {
            Action::Submit if review => "send the ready rows",
            Action::EditLead if review => "fix the row",
            Action::TakeBack if review => "drop the row",
            Action::Down if review => "next row",
            Action::Submit if app.entry.editing.is_some() => "save changes",
            Action::Submit if app.review_edit.is_some() => "put the row back",
            Action::Activate if question => "yes",
            Action::Close if question => "no",
            _ => binding.help,
        };
        let width = label.chars().count() + help.chars().count() + 3;
        if used + width > area.width as usize {
            break;
        }
        used += width;
        keys.push(Span::styled(label, theme::key()));
        keys.push(Span::styled(format!(" {help}  "), theme::hint()));
    }
    frame.render_widget(Paragraph::new(vec![notice, Line::from(keys)]), area);
}
