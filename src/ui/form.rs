//! The form pane: one row per field, the focused one marked, phone numbers checked live beside
//! them, and the rows scrolled (by the model) so the focused field is always in view.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::text_field::{self, ellipsize};
use super::theme;
use crate::lead::{self, PhoneError};
use crate::model::form::VarRow;
use crate::model::screen::{FormLine, form_lines};
use crate::model::{App, Focus, Hit, TextInput};

const LABEL: usize = 12;

/// One line of the form.
struct Row {
    focus: Option<Focus>,
    spans: Vec<Span<'static>>,
    /// The cursor's column in this row, when it holds the focused text field.
    cursor: Option<u16>,
    /// Where a click goes: from each column on, this field (a variable row has two).
    hits: Vec<(u16, Focus)>,
}

impl Row {
    fn new(focus: Option<Focus>, spans: Vec<Span<'static>>, cursor: Option<u16>) -> Row {
        Row { focus, spans, cursor, hits: focus.map(|f| vec![(0, f)]).unwrap_or_default() }
    }
}

/// Draws the form into `area` (border included).
pub fn draw(app: &App, frame: &mut Frame, area: Rect, block: Block<'_>) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 10 || inner.height == 0 {
        return;
    }
    let rows = rows(app, inner.width as usize);
    let campaign_row = rows.iter().position(|r| r.focus == Some(Focus::Campaign));
    let height = inner.height as usize;
    // Kept by the model so the focused field is in view (`App::keep_in_view`).
    let offset = app.form_offset;
    for (i, row) in rows.into_iter().skip(offset).take(height).enumerate() {
        let y = inner.y + i as u16;
        let line_area = Rect { y, height: 1, ..inner };
        if let Some(col) = row.cursor {
            frame.set_cursor_position(Position { x: inner.x + col.min(inner.width - 1), y });
        }
        frame.render_widget(Paragraph::new(Line::from(row.spans)), line_area);
    }
    if let Some(row) = campaign_row.filter(|r| (offset..offset + height).contains(r)) {
        super::picker::draw(app, frame, inner, inner.y + (row - offset) as u16);
    }
}

/// What a click at (`col`, `row`) inside the form pane's `area` (border included) lands on,
/// given the scroll the last frame was drawn with.
pub fn hit(app: &App, area: Rect, col: u16, row: u16) -> Option<Hit> {
    let inner = Block::bordered().inner(area);
    if !inner.contains(Position { x: col, y: row }) {
        return None;
    }
    let rows = rows(app, inner.width as usize);
    let offset = app.form_offset;
    if let Some(campaign) = rows.iter().position(|r| r.focus == Some(Focus::Campaign))
        && campaign >= offset
        && let Some(index) = super::picker::hit(app, inner, inner.y + (campaign - offset) as u16, col, row)
    {
        return Some(Hit::PickerItem(index));
    }
    let line = rows.get(offset + (row - inner.y) as usize)?;
    let x = col - inner.x;
    line.hits.iter().rev().find(|(from, _)| *from <= x).map(|(_, focus)| Hit::Field(*focus))
}

/// The form's rows, one per line the model lays out ([`form_lines`]), so the two agree on where
/// each field is.
fn rows(app: &App, width: usize) -> Vec<Row> {
    let form = &app.entry.form;
    let input_width = (width.saturating_sub(LABEL + 2) / 2).clamp(12, 34);
    let add = crate::keymap::form_key(crate::model::Action::AddContact);
    let row = |line: FormLine| match line {
        FormLine::Campaign => text_row(
            app,
            Focus::Campaign,
            label_span(app, Focus::Campaign, "Campaign"),
            &form.campaign,
            input_width.min(14),
            "name or id",
            campaign_hint(app, width.saturating_sub(LABEL + input_width.min(14) + 1)),
        ),
        FormLine::Duplicates => {
            let focused = app.focus == Focus::AllowDuplicate;
            let check = if form.allow_duplicate { "[x]" } else { "[ ]" };
            Row::new(
                Some(Focus::AllowDuplicate),
                vec![
                    label_span(app, Focus::AllowDuplicate, "Duplicates"),
                    Span::styled(check, if focused { theme::control_focused() } else { Style::new() }),
                    Span::styled(" allow this phone twice in the campaign", theme::hint()),
                ],
                None,
            )
        }
        FormLine::Phone => phone_row(app, Focus::Phone, "Phone", &form.phone, input_width, width),
        FormLine::Variables { focusable } => section_row(
            app,
            Focus::Variables,
            "Variables",
            focusable,
            "none · Ctrl-N adds a row",
            "empty values are not sent; the default applies",
        ),
        FormLine::Var(i) => {
            var_row(app, &form.variables, i, (Focus::VarKey(i), Focus::VarValue(i)), 2, width)
        }
        FormLine::Secondary => {
            let hint = if form.secondary.is_empty() {
                format!("none · {add} adds a contact")
            } else {
                format!("called in this order after the primary · {add} adds")
            };
            section_row(app, Focus::Secondary, "Secondary", true, &hint, "")
        }
        FormLine::SecPhone(c) => {
            let label = format!("{}. Phone", c + 1);
            phone_row(app, Focus::SecPhone(c), &label, &form.secondary[c].phone, input_width, width)
        }
        FormLine::SecVar(c, r) => {
            let focuses = (Focus::SecVarKey(c, r), Focus::SecVarValue(c, r));
            var_row(app, &form.secondary[c].variables, r, focuses, 4, width)
        }
        FormLine::Gap => Row::new(None, vec![], None),
        FormLine::Submit => {
            let focused = app.focus == Focus::Submit;
            Row::new(
                Some(Focus::Submit),
                vec![
                    Span::raw(format!("{:<LABEL$}", marker(app, Focus::Submit))),
                    Span::styled(
                        if app.entry.editing.is_some() { "[ Save changes ]" } else { "[ Send lead ]" },
                        if focused { theme::control_focused() } else { theme::heading() },
                    ),
                    Span::styled(
                        if app.entry.editing.is_some() {
                            "  Ctrl-S saves what changed on the server"
                        } else {
                            "  Ctrl-S sends from anywhere"
                        },
                        theme::hint(),
                    ),
                ],
                None,
            )
        }
    };
    form_lines(form).map(row).collect()
}

/// A field as drawn: scrolled to the cursor while focused; otherwise from its start, cut with an
/// ellipsis, so a long value left behind can be checked at a glance.
fn field(
    input: &TextInput,
    width: usize,
    style: Style,
    placeholder: &str,
    focused: bool,
) -> text_field::DrawnField {
    if focused || input.text().is_empty() {
        return text_field::draw(input, width as u16, style, (placeholder, theme::placeholder()));
    }
    let text = ellipsize(input.text(), width);
    let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(text.as_str()));
    text_field::DrawnField {
        span: Span::styled(format!("{text}{}", " ".repeat(pad)), style),
        placeholder: false,
        cursor: 0,
    }
}

fn marker(app: &App, focus: Focus) -> &'static str {
    if app.focus == focus { "▸" } else { " " }
}

fn label_span(app: &App, focus: Focus, label: &str) -> Span<'static> {
    let style = if app.focus == focus { theme::label_focused() } else { theme::label() };
    let text = format!("{}{}", marker(app, focus), label);
    Span::styled(format!("{:<LABEL$}", ellipsize(&text, LABEL - 1)), style)
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
    let drawn = field(input, input_width, style, placeholder, focused);
    let cursor = focused.then(|| (label.width() as u16) + drawn.cursor);
    Row::new(Some(focus), vec![label, drawn.span, hint], cursor)
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
    let hint = match (app.entry.form.errors.get(&focus), input.is_blank()) {
        (Some(error), _) => {
            Span::styled(format!(" ✗ {}", ellipsize(error, hint_width.saturating_sub(3))), theme::error())
        }
        (None, true) => {
            Span::styled(ellipsize(" +country code, or a national number", hint_width), theme::hint())
        }
        (None, false) => match lead::parse_phone(input.text(), app.region) {
            // The team's: the campaign on the server holds this phone already.
            Ok(_)
                if focus == Focus::Phone
                    && let Some(crate::model::team::Known::Present(lead)) = app.team_known() =>
            {
                // The id first when it is narrow: it is what the dashboard finds the lead by.
                let full = crate::delivery::already_there(lead);
                let said = if full.chars().count() + 3 <= hint_width {
                    full
                } else {
                    let status =
                        lead.status.as_deref().map(|s| format!(" · {}", crate::sanitize::cleaned(s)));
                    format!(
                        "#{} already in campaign{}",
                        crate::sanitize::cleaned(&lead.id),
                        status.unwrap_or_default()
                    )
                };
                Span::styled(format!(" ⚠ {}", ellipsize(&said, hint_width.saturating_sub(3))), theme::error())
            }
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

/// Beside the campaign field: the chosen campaign's name and status, or what is known.
fn campaign_hint(app: &App, width: usize) -> Span<'static> {
    if let Some(error) = app.entry.form.errors.get(&Focus::Campaign) {
        return Span::styled(format!(" ✗ {}", ellipsize(error, width.saturating_sub(3))), theme::error());
    }
    let catalog = &app.catalog;
    let (text, style) = match app.form_campaign_id() {
        Some(id) => match catalog.campaign(id) {
            Some(c) => {
                let status = c.status.as_deref().map(|s| format!(" · {s}")).unwrap_or_default();
                (format!(" ✓ {}{status}", c.name), theme::ok())
            }
            None if catalog.campaigns.is_empty() => {
                (" the list is not loaded; the id is used as typed".into(), theme::hint())
            }
            None => (" ! not in your campaign list".into(), theme::error()),
        },
        None if app.entry.form.campaign.is_blank() && catalog.campaigns.is_empty() => {
            match (&catalog.fetch_error, &app.key_problem) {
                (_, Some(_)) => (" the list needs the API key (F4)".into(), theme::hint()),
                (Some(_), None) => (" offline: type the campaign id".into(), theme::hint()),
                (None, None) => (" loading campaigns…".into(), theme::hint()),
            }
        }
        None if catalog.campaigns.is_empty() => (" ✗ type the campaign id (a number)".into(), theme::error()),
        None => (" type to filter · Enter takes".into(), theme::hint()),
    };
    Span::styled(ellipsize(&text, width), style)
}

fn section_row(app: &App, focus: Focus, label: &str, focusable: bool, empty_hint: &str, hint: &str) -> Row {
    let text = if focusable { empty_hint } else { hint };
    Row::new(
        focusable.then_some(focus),
        vec![label_span(app, focus, label), Span::styled(text.to_owned(), theme::hint())],
        None,
    )
}

fn var_row(
    app: &App,
    rows: &[VarRow],
    i: usize,
    (key_focus, value_focus): (Focus, Focus),
    indent: usize,
    width: usize,
) -> Row {
    let row = &rows[i];
    let name = row.key.text().trim();
    let repeated = !name.is_empty() && rows[..i].iter().any(|r| r.key.text().trim() == name);
    // Wide enough for the longest name in the list (and the cursor), within reason.
    let longest = rows.iter().map(|r| unicode_width::UnicodeWidthStr::width(r.key.text())).max().unwrap_or(0);
    let key_width = (longest + 1).clamp(14, 24).min(width.saturating_sub(indent + 10) / 2).max(6);
    // Room kept after the value for the row's note (" ? unknown name", " ✗ name used above").
    let value_width = (width.saturating_sub(indent + key_width + 3 + 20)).clamp(6, 48);
    let key_focused = app.focus == key_focus;
    let value_focused = app.focus == value_focus;
    let marker = if key_focused || value_focused { "▸" } else { " " };
    let lead = Span::raw(format!("{marker}{}", " ".repeat(indent.saturating_sub(1))));
    let key_style = if key_focused { theme::input_focused() } else { theme::input() };
    let mut key = field(&row.key, key_width, key_style, "name", key_focused);
    let ghost = key_focused.then(|| app.key_suggestion()).flatten().and_then(|suggestion| {
        let typed = row.key.text();
        let rest: String = suggestion.chars().skip(typed.chars().count()).collect();
        let used = unicode_width::UnicodeWidthStr::width(typed);
        (used + unicode_width::UnicodeWidthStr::width(rest.as_str()) < key_width)
            .then_some((typed, rest, used))
    });
    let key_spans = match ghost {
        Some((typed, rest, used)) => {
            let pad = key_width - used - unicode_width::UnicodeWidthStr::width(rest.as_str());
            key.cursor = used as u16;
            vec![
                Span::styled(typed.to_owned(), key_style),
                Span::styled(rest, key_style.patch(theme::placeholder())),
                Span::styled(" ".repeat(pad), key_style),
            ]
        }
        None => vec![key.span.clone()],
    };
    let value_style = if value_focused { theme::input_focused() } else { theme::input() };
    let value = field(&row.value, value_width, value_style, "value", value_focused);
    let note = match (app.entry.form.errors.get(&key_focus), row.key.is_blank(), row.value.is_blank()) {
        (Some(error), _, _) => Span::styled(format!(" ✗ {error}"), theme::error()),
        // Said as it is typed, not only at Ctrl-S.
        (None, false, _) if lead::check_var_name(name).is_err() => {
            Span::styled(" ✗ not a name: letters, digits, _ - .", theme::error())
        }
        (None, true, false) => Span::styled(" ✗ needs a name", theme::error()),
        (None, false, _) if repeated => Span::styled(" ✗ name used above", theme::error()),
        (None, false, _) if !app.is_known_name(name) => Span::styled(" ? unknown name", theme::hint()),
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
    let mut spans = vec![lead];
    spans.extend(key_spans);
    spans.extend([Span::styled(" = ", theme::hint()), value.span, note]);
    Row {
        // Either half of the row being focused makes this the focused row.
        focus: Some(if value_focused { value_focus } else { key_focus }),
        spans,
        cursor,
        hits: vec![(0, key_focus), ((indent + key_width + 1) as u16, value_focus)],
    }
}
