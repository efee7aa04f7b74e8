//! The API key prompt: the key is never drawn, only a dot per character.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{text_field, theme};
use crate::model::{App, KeyPrompt};

/// Draws the prompt centred over `area`, the terminal cursor in the masked field.
pub fn draw(app: &App, prompt: &KeyPrompt, frame: &mut Frame, area: Rect) {
    let popup = super::centered(area, 72, 12);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(" Autocalls API key ")
        .border_style(theme::border_focused());
    let inner = block.inner(popup);
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let field_width = inner.width.saturating_sub(6);
    let masked = text_field::draw_masked(&prompt.input, field_width, theme::input_focused());
    let mut lines = vec![
        Line::from("Paste the key from the Autocalls dashboard (API keys)."),
        Line::from(Span::styled(config_hint(app), theme::hint())),
        Line::from(""),
        Line::from(vec![Span::raw("Key  "), masked.span]),
        Line::from(""),
    ];
    match (&prompt.problem, prompt.checking) {
        (_, true) => lines.push(Line::from(Span::styled("Checking the key…", theme::hint()))),
        (Some(problem), false) => {
            lines.push(Line::from(Span::styled(format!("✗ {problem}"), theme::error())));
        }
        (None, false) => lines.push(Line::from("")),
    }
    lines.push(Line::from(""));
    let mut keys = vec![Span::styled("Enter", theme::key()), Span::raw(" use this key   ")];
    if prompt.offer_sandbox {
        keys.extend([Span::styled("Ctrl-O", theme::key()), Span::raw(" try the sandbox instead   ")]);
    }
    keys.extend([Span::styled("Esc", theme::key()), Span::raw(" later")]);
    lines.push(Line::from(keys));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    let y = inner.y + 3;
    if y < inner.bottom() {
        frame.set_cursor_position(Position { x: inner.x + 5 + masked.cursor, y });
    }
}

fn config_hint(app: &App) -> &'static str {
    match app.target {
        crate::model::Target::Sandbox => "The sandbox needs no key.",
        crate::model::Target::Live(_) => "It is checked, then saved in config.toml (mode 0600).",
    }
}
