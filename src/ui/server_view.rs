//! The history pane showing the campaign's leads on the server: when each was created, its
//! status, phone and name, and whether it is yours (in this history), with the search and the
//! status filter on top and the selected lead's variables underneath.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use super::text_field::ellipsize;
use super::theme;
use crate::model::server_view::ServerView;
use crate::model::{App, Focus};

/// The pane's title.
pub fn title(app: &App, view: &ServerView) -> String {
    let name =
        app.catalog.campaign(view.campaign).map_or_else(|| format!("#{}", view.campaign), |c| c.name.clone());
    let mut title = format!("{} on the server", crate::sanitize::cleaned(&name));
    match (view.total, view.text.is_some()) {
        (Some(total), false) => title.push_str(&format!(" · {} of {total} read", view.leads.len())),
        (Some(_), true) => {
            title.push_str(&format!(" · {} match among {} read", view.listed().len(), view.leads.len()));
        }
        (None, _) => {}
    }
    if view.loading {
        title.push_str(" · asking…");
    }
    title
}

/// Draws the view inside the pane (`inner`, border excluded).
pub fn draw(app: &App, view: &ServerView, frame: &mut Frame, inner: Rect) {
    let [bar, table, detail] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(2)]).areas(inner);
    draw_bar(app, view, frame, bar);
    let listed = view.listed();
    if listed.is_empty() {
        let text = match (&view.error, view.loading) {
            (Some(why), _) => format!("The server could not be asked: {why}. s asks again."),
            (None, true) => "Asking the server…".to_owned(),
            (None, false) => "No lead on the server matches.".to_owned(),
        };
        let style = if view.error.is_some() { theme::error() } else { theme::hint() };
        let rest = Rect { height: inner.bottom().saturating_sub(table.y), ..table };
        let text = crate::sanitize::cleaned(&text);
        frame.render_widget(Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: true }), rest);
        return;
    }
    let visible = table.height.saturating_sub(1) as usize;
    let selected = view.selected.min(listed.len() - 1);
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    const CREATED_W: u16 = 11;
    const STATUS_W: u16 = 12;
    const PHONE_W: u16 = 16;
    const YOURS_W: u16 = 5;
    let name_w = table.width.saturating_sub(CREATED_W + STATUS_W + PHONE_W + YOURS_W + 4);
    let rows = listed.iter().enumerate().skip(offset).take(visible).map(|(row, &i)| {
        let lead = &view.leads[i];
        let created = lead.created_at.as_deref().map(|raw| {
            crate::delivery::parse_server_time(raw).map_or_else(
                || ellipsize(raw, CREATED_W as usize),
                |t| t.to_zoned_datetime(app.time_zone.clone()).strftime("%m-%d %H:%M").to_string(),
            )
        });
        let status = lead.status.as_deref().unwrap_or("?");
        let phone = lead.phone_number.as_deref().unwrap_or("?");
        let yours = if view.is_yours(lead).is_some() { "yours" } else { "" };
        let cells = vec![
            Line::raw(created.unwrap_or_default()),
            Line::raw(crate::sanitize::cleaned(&ellipsize(status, STATUS_W as usize))),
            Line::raw(crate::sanitize::cleaned(&ellipsize(phone, PHONE_W as usize))),
            Line::from(Span::styled(yours, theme::heading())),
            Line::raw(crate::sanitize::cleaned(&ellipsize(&name(lead), name_w as usize))),
        ];
        let row_widget = Row::new(cells);
        if row == selected {
            row_widget.style(theme::selected_row(app.focus == Focus::History))
        } else {
            row_widget
        }
    });
    let header = Row::new(["Created", "Status", "Phone", "Yours", "Name"]).style(theme::heading());
    let widths = [CREATED_W, STATUS_W, PHONE_W, YOURS_W, name_w].map(Constraint::Length);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), table);
    if let Some(lead) = view.selected_lead() {
        let vars = lead
            .variables
            .as_ref()
            .and_then(|v| v.as_object())
            .map(|vars| {
                vars.iter()
                    .map(|(k, v)| format!("{k} = {}", v.as_str().unwrap_or(&v.to_string())))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let mut spans = vec![Span::styled(format!("lead #{}  ", lead.id), theme::hint())];
        spans.push(Span::raw(crate::sanitize::cleaned(&vars.join(" · "))));
        if view.is_yours(lead).is_some() {
            spans.push(Span::styled("  · Enter: its detail", theme::hint()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).wrap(Wrap { trim: true }), detail);
    }
}

/// The search, the status filter, and the keys that change them.
fn draw_bar(app: &App, view: &ServerView, frame: &mut Frame, area: Rect) {
    let mut spans = vec![Span::styled("/", theme::key())];
    let mut cursor = None;
    if let Some(input) = &app.history.search_input {
        let drawn = super::text_field::draw(
            input,
            (area.width / 2).max(10),
            theme::input_focused(),
            ("phone digits, or a name", theme::placeholder()),
        );
        cursor = Some(area.x + 1 + drawn.cursor);
        spans.push(drawn.span);
    } else {
        let search = view.phone.as_deref().or(view.text.as_deref()).unwrap_or("");
        spans.push(Span::raw(crate::sanitize::cleaned(search)));
    }
    let status = view.status.unwrap_or("all");
    spans.push(Span::styled(format!("  t status: {status}"), theme::heading()));
    spans.push(Span::styled("  v back to your history", theme::hint()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if let Some(x) = cursor {
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// The lead's name: `customer_name`, else `name`, else its first variable's value.
fn name(lead: &crate::api::types::Lead) -> String {
    let Some(vars) = lead.variables.as_ref().and_then(|v| v.as_object()) else { return String::new() };
    ["customer_name", "name"]
        .iter()
        .find_map(|k| vars.get(*k).and_then(|v| v.as_str()))
        .or_else(|| vars.values().find_map(|v| v.as_str()))
        .unwrap_or("")
        .to_owned()
}
