//! The help overlay: every key, grouped by where it works, generated from the key map.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme;
use crate::keymap::{self, Scope};

const COLUMNS: [&[Scope]; 2] = [
    &[Scope::Global, Scope::NotText, Scope::Form, Scope::Picker, Scope::Suggest, Scope::Checkbox],
    &[Scope::History, Scope::Search, Scope::Detail, Scope::Confirm, Scope::KeyPrompt, Scope::Help],
];

/// Draws the overlay centred over `area`, scrolled by `scroll` rows when it does not fit.
pub fn draw(frame: &mut Frame, area: Rect, scroll: u16) {
    let columns: Vec<Vec<Line>> = COLUMNS.iter().map(|scopes| column(scopes)).collect();
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0) as u16;
    let two_columns = area.width >= 76;
    let width = if two_columns { area.width.min(80) } else { area.width.min(40) };
    let height =
        if two_columns { tallest + 2 } else { columns.iter().map(|c| c.len() as u16).sum::<u16>() + 2 };
    let popup = super::centered(area, width, height);
    let content = height.saturating_sub(2);
    let visible = popup.height.saturating_sub(2);
    let scroll = scroll.min(content.saturating_sub(visible));
    let more = if scroll + visible < content { " · ↓ more " } else { " " };
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(format!(" Keys · Esc closes{more}"))
        .border_style(theme::border_focused());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    if two_columns {
        let halves =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).split(inner);
        for (lines, half) in columns.into_iter().zip(halves.iter()) {
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), *half);
        }
    } else {
        frame.render_widget(Paragraph::new(columns.concat()).scroll((scroll, 0)), inner);
    }
}

/// One column of the overlay: each scope's heading and its keys, keys with the same action and
/// words on one line (`Up / k`).
fn column(scopes: &[Scope]) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for &scope in scopes {
        lines.push(Line::from(Span::styled(scope.title(), theme::heading())));
        let mut seen: Vec<(crate::model::Action, &str, Vec<String>)> = Vec::new();
        for b in keymap::bindings().iter().filter(|b| b.scope == scope) {
            match seen.iter_mut().find(|(a, h, _)| *a == b.action && *h == b.help) {
                Some((_, _, keys)) => keys.push(keymap::key_label(b)),
                None => seen.push((b.action, b.help, vec![keymap::key_label(b)])),
            }
        }
        for (_, help, keys) in seen {
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<16}", keys.join(" / ")), theme::key()),
                Span::raw(help.to_owned()),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.pop();
    lines
}
