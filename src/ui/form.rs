//! The form pane: one row per field, the focused one marked, phone numbers checked live beside
//! them, and the rows scrolled so the focused field is always in view.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::text_field::{self, ellipsize};
use super::theme;
use crate::lead::{self, PhoneError};
use crate::model::form::VarRow;
use crate::model::{App, Focus, TextInput};

const LABEL: usize = 12;

/// One line of the form.
struct Row {
    focus: Option<Focus>,
    spans: Vec<Span<'static>>,
    /// The cursor's column in this row, when it holds the focused text field.
    cursor: Option<u16>,
}

/// Draws the form into `area` (border included).
pub fn draw(app: &App, frame: &mut Frame, area: Rect, block: Block<'_>) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 10 || inner.height == 0 {
        return;
    }
    let rows = rows(app, inner.width as usize);
    let focused_row = rows.iter().position(|r| r.focus == Some(app.focus));
    let height = inner.height as usize;
    let mut offset = app.form_offset.get().min(rows.len().saturating_sub(1));
    if let Some(row) = focused_row {
        if row < offset {
            offset = row;
        } else if row >= offset + height {
            offset = row + 1 - height;
        }
    }
    app.form_offset.set(offset);
    for (i, row) in rows.into_iter().skip(offset).take(height).enumerate() {
        let y = inner.y + i as u16;
        let line_area = Rect { y, height: 1, ..inner };
        if let Some(col) = row.cursor {
            frame.set_cursor_position(Position { x: inner.x + col.min(inner.width - 1), y });
        }
        frame.render_widget(Paragraph::new(Line::from(row.spans)), line_area);
    }
}

fn rows(app: &App, width: usize) -> Vec<Row> {
    let form = &app.form;
    let mut rows = Vec::new();
    let input_width = (width.saturating_sub(LABEL + 2) / 2).clamp(12, 30);

    rows.push(phone_row(app, Focus::Phone, "Phone", &form.phone, input_width, width));
    rows.push(text_row(
        app,
        Focus::Campaign,
        label_span(app, Focus::Campaign, "Campaign"),
        &form.campaign,
        input_width.min(14),
        "campaign id",
        hint_or_error(app, Focus::Campaign, "the id shown in the dashboard"),
    ));
    let focused = app.focus == Focus::AllowDuplicate;
    let check = if form.allow_duplicate { "[x]" } else { "[ ]" };
    rows.push(Row {
        focus: Some(Focus::AllowDuplicate),
        spans: vec![
            label_span(app, Focus::AllowDuplicate, "Duplicates"),
            Span::styled(check, if focused { theme::control_focused() } else { Style::new() }),
            Span::styled(" allow this phone twice in the campaign", theme::hint()),
        ],
        cursor: None,
    });

    rows.push(section_row(
        app,
        Focus::Variables,
        "Variables",
        form.variables.is_empty(),
        "none · Ctrl-N adds a row",
        "empty values are not sent: the assistant's default applies",
    ));
    for (i, row) in form.variables.iter().enumerate() {
        rows.push(var_row(app, row, Focus::VarKey(i), Focus::VarValue(i), 2, width));
    }

    rows.push(section_row(
        app,
        Focus::Secondary,
        "Secondary",
        true,
        if form.secondary.is_empty() {
            "none · Ctrl-N adds a contact"
        } else {
            "called in this order after the primary · Ctrl-N adds"
        },
        "",
    ));
    for (c, contact) in form.secondary.iter().enumerate() {
        let label = format!("{}. Phone", c + 1);
        rows.push(phone_row(app, Focus::SecPhone(c), &label, &contact.phone, input_width, width));
        for (r, row) in contact.variables.iter().enumerate() {
            rows.push(var_row(app, row, Focus::SecVarKey(c, r), Focus::SecVarValue(c, r), 4, width));
        }
    }

    rows.push(Row { focus: None, spans: vec![], cursor: None });
    let focused = app.focus == Focus::Submit;
    rows.push(Row {
        focus: Some(Focus::Submit),
        spans: vec![
            Span::raw(format!("{:<LABEL$}", marker(app, Focus::Submit))),
            Span::styled("[ Send lead ]", if focused { theme::control_focused() } else { theme::heading() }),
            Span::styled("  Ctrl-S sends from anywhere", theme::hint()),
        ],
        cursor: None,
    });
    rows
}

fn marker(app: &App, focus: Focus) -> &'static str {
    if app.focus == focus { "▸" } else { " " }
}

fn label_span(app: &App, focus: Focus, label: &str) -> Span<'static> {
    let style = if app.focus == focus { theme::label_focused() } else { theme::label() };
    let text = format!("{}{}", marker(app, focus), label);
    Span::styled(format!("{:<LABEL$}", ellipsize(&text, LABEL - 1)), style)
}

fn hint_or_error(app: &App, focus: Focus, hint: &str) -> Span<'static> {
    match app.form.errors.get(&focus) {
        Some(error) => Span::styled(format!(" ✗ {error}"), theme::error()),
        None => Span::styled(format!(" {hint}"), theme::hint()),
    }
}

fn text_row(
    app: &App,
    focus: Focus,
    label: Span<'static>,
    input: &TextInput,
    input_width: usize,
    placeholder: &str,
    hint: Span<'static>,
) -> Row {
    let focused = app.focus == focus;
    let style = if focused { theme::input_focused() } else { theme::input() };
    let drawn = text_field::draw(input, input_width as u16, style, (placeholder, theme::placeholder()));
    let cursor = focused.then(|| (label.width() as u16) + drawn.cursor);
    Row { focus: Some(focus), spans: vec![label, drawn.span, hint], cursor }
}

fn phone_row(
    app: &App,
    focus: Focus,
    label: &str,
    input: &TextInput,
    input_width: usize,
    width: usize,
) -> Row {
    let hint_width = width.saturating_sub(LABEL + input_width + 1);
    let hint = match (app.form.errors.get(&focus), input.is_blank()) {
        (Some(error), _) => {
            Span::styled(format!(" ✗ {}", ellipsize(error, hint_width.saturating_sub(3))), theme::error())
        }
        (None, true) => Span::styled(" +country code, or a national number", theme::hint()),
        (None, false) => match lead::parse_phone(input.text(), app.region) {
            Ok(phone) => {
                Span::styled(format!(" ✓ {} {}", phone.e164, phone.region.unwrap_or_default()), theme::ok())
            }
            Err(PhoneError::Empty) => Span::raw(""),
            Err(e) => Span::styled(
                format!(" ✗ {}", ellipsize(&e.to_string(), hint_width.saturating_sub(3))),
                theme::error(),
            ),
        },
    };
    text_row(app, focus, label_span(app, focus, label), input, input_width, "e.g. +1 415 555 0100", hint)
}

fn section_row(app: &App, focus: Focus, label: &str, focusable: bool, empty_hint: &str, hint: &str) -> Row {
    let text = if focusable { empty_hint } else { hint };
    Row {
        focus: focusable.then_some(focus),
        spans: vec![label_span(app, focus, label), Span::styled(text.to_owned(), theme::hint())],
        cursor: None,
    }
}

fn var_row(
    app: &App,
    row: &VarRow,
    key_focus: Focus,
    value_focus: Focus,
    indent: usize,
    width: usize,
) -> Row {
    let key_width = 16.min(width.saturating_sub(indent + 10) / 2).max(6);
    let value_width = (width.saturating_sub(indent + key_width + 3 + 10)).clamp(6, 30);
    let key_focused = app.focus == key_focus;
    let value_focused = app.focus == value_focus;
    let marker = if key_focused || value_focused { "▸" } else { " " };
    let lead = Span::raw(format!("{marker}{}", " ".repeat(indent.saturating_sub(1))));
    let key = text_field::draw(
        &row.key,
        key_width as u16,
        if key_focused { theme::input_focused() } else { theme::input() },
        ("name", theme::placeholder()),
    );
    let value = text_field::draw(
        &row.value,
        value_width as u16,
        if value_focused { theme::input_focused() } else { theme::input() },
        ("value", theme::placeholder()),
    );
    let note = match (app.form.errors.get(&key_focus), row.key.is_blank(), row.value.is_blank()) {
        (Some(error), _, _) => Span::styled(format!(" ✗ {error}"), theme::error()),
        (None, false, true) => Span::styled(" default", theme::hint()),
        _ => Span::raw(""),
    };
    let cursor = if key_focused {
        Some(indent as u16 + key.cursor)
    } else if value_focused {
        Some((indent + key_width + 3) as u16 + value.cursor)
    } else {
        None
    };
    Row {
        // Either half of the row being focused makes this the focused row.
        focus: Some(if value_focused { value_focus } else { key_focus }),
        spans: vec![lead, key.span, Span::styled(" = ", theme::hint()), value.span, note],
        cursor,
    }
}
