//! The history pane: leads newest first, drawn row by row for only the rows that fit, with the
//! selected lead's outcome spelled out underneath.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::text_field::ellipsize;
use super::theme;
use crate::history::{LeadEntry, Status};
use crate::model::{App, Focus, Hit};

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
const TIME_W: u16 = 11;
const DETAIL_H: u16 = 3;
const STATUS_W: u16 = 10;
const PHONE_W: u16 = 16;

/// Draws the history pane into `area` (border included).
pub fn draw(app: &App, frame: &mut Frame, area: Rect, block: Block<'_>) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let view = &app.history;
    if view.is_empty() {
        let text = if view.loaded {
            "No leads yet. Leads you send appear here, newest first."
        } else {
            "Reading the history…"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme::hint())).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(DETAIL_H)]).areas(inner);
    draw_table(app, frame, table_area);
    draw_detail(app, frame, detail_area);
}

fn draw_table(app: &App, frame: &mut Frame, area: Rect) {
    let view = &app.history;
    let visible = area.height.saturating_sub(1) as usize;
    let selected = view.selected.min(view.len().saturating_sub(1));
    let mut offset = view.offset.get();
    if selected < offset {
        offset = selected;
    } else if visible > 0 && selected >= offset + visible {
        offset = selected + 1 - visible;
    }
    view.offset.set(offset);

    // Time, status and phone have fixed widths; name and campaign share the rest, 3:2.
    let rest = area.width.saturating_sub(TIME_W + STATUS_W + PHONE_W + 4);
    let name_w = rest * 3 / 5;
    let campaign_w = rest - name_w;
    let widths = [TIME_W, STATUS_W, PHONE_W, name_w, campaign_w].map(Constraint::Length);
    let rows = (offset..(offset + visible).min(view.len())).filter_map(|i| {
        let entry = view.row(i)?;
        let row = Row::new(vec![
            Span::raw(time(app, entry)),
            status_span(app, entry),
            Span::raw(entry.request.phone_number.clone()),
            Span::raw(ellipsize(entry.display_name(), name_w as usize)),
            Span::raw(ellipsize(&campaign(entry), campaign_w as usize)),
        ]);
        Some(if i == selected { row.style(theme::selected_row(app.focus == Focus::History)) } else { row })
    });
    let header = Row::new(["Time", "Status", "Phone", "Name", "Campaign"]).style(theme::heading());
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}

/// The history row a click on screen row `row` lands on, as last drawn.
pub fn hit(app: &App, area: Rect, row: u16) -> Option<Hit> {
    let inner = Block::bordered().inner(area);
    // The table's first line is its heading.
    let line = row.checked_sub(inner.y + 1)? as usize;
    let table_rows = inner.height.saturating_sub(DETAIL_H + 1) as usize;
    let index = app.history.offset.get() + line;
    (line < table_rows && index < app.history.len()).then_some(Hit::HistoryRow(index))
}

fn draw_detail(app: &App, frame: &mut Frame, area: Rect) {
    let Some(entry) = app.history.row(app.history.selected) else { return };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", entry.status.as_str()), theme::status(entry.status)),
        Span::raw(entry.request.phone_number.clone()),
        Span::styled(
            entry.lead_id.as_ref().map(|id| format!("  lead #{id}")).unwrap_or_default(),
            theme::hint(),
        ),
        Span::styled(format!("  {} variable(s)", entry.request.variables.len()), theme::hint()),
        Span::styled(
            match entry.request.secondary_contacts.len() {
                0 => String::new(),
                n => format!(", {n} secondary"),
            },
            theme::hint(),
        ),
    ])];
    if let Some(error) = &entry.error {
        let mut text = error.message.clone();
        for (field, messages) in &error.fields {
            // Laravel's message repeats the first field error; say each thing once.
            let new: Vec<&str> =
                messages.iter().map(String::as_str).filter(|m| !error.message.starts_with(m)).collect();
            if !new.is_empty() {
                text.push_str(&format!(" · {field}: {}", new.join(" ")));
            }
        }
        lines.push(Line::from(Span::styled(text, theme::error())));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn time(app: &App, entry: &LeadEntry) -> String {
    entry.submitted_at.to_zoned_datetime(app.time_zone.clone()).strftime("%m-%d %H:%M").to_string()
}

fn status_span(app: &App, entry: &LeadEntry) -> Span<'static> {
    let text = if let Some(phase) = app.in_flight.get(&entry.local_id) {
        format!("{} {}", SPINNER[app.spinner % SPINNER.len()], phase.label())
    } else {
        let mark = match entry.status {
            Status::Created => "✓",
            Status::Rejected | Status::Failed => "✗",
            _ => "·",
        };
        format!("{mark} {}", entry.status.as_str())
    };
    Span::styled(text, theme::status(entry.status))
}

fn campaign(entry: &LeadEntry) -> String {
    match &entry.campaign_name {
        Some(name) => name.clone(),
        None => format!("#{}", entry.request.campaign_id),
    }
}
