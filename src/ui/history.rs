//! The history pane: leads newest first, drawn row by row for only the rows that fit, with the
//! selected lead's outcome spelled out underneath.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::text_field::{ellipsize, marked};
use super::theme;
use crate::history::{LeadEntry, Status};
use crate::model::screen::{DETAIL_ROWS, MIN_TABLE_ROWS};
use crate::model::{App, Focus, Hit};

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
const TIME_W: u16 = 11;
/// Wide enough for every status (`⠋ looking up`); a row counting down (`↻ unknown 59:59`) widens
/// it while it is on screen.
const STATUS_W: u16 = 12;
const PHONE_W: u16 = 16;
const SERVER_W: u16 = 11;

/// The pane's title: how many leads, how many listed, and when the server was last asked.
pub fn title(app: &App) -> String {
    if let Some(view) = &app.server_view {
        return super::server_view::title(app, view);
    }
    let view = &app.history;
    let mut title = match (view.loaded, view.is_filtered()) {
        (false, _) => "History · reading…".to_owned(),
        (true, false) => format!("History · {}", view.total()),
        (true, true) => format!("History · {} of {}", view.len(), view.total()),
    };
    if app.history.refreshing {
        title.push_str(" · asking the server…");
    } else if let Some(at) = app.history.statuses_at {
        let at = at.to_zoned_datetime(app.time_zone.clone()).strftime("%H:%M");
        title.push_str(&format!(" · server status {at}"));
    }
    title
}

/// The pane's parts: the filter bar (while there is a filter), the table, the selected lead.
fn layout(app: &App, inner: Rect) -> (Option<Rect>, Rect, Rect) {
    let bar = app.history.search_input.is_some() || app.history.is_filtered();
    let [bar_area, table, detail] = Layout::vertical([
        Constraint::Length(u16::from(bar)),
        Constraint::Min(MIN_TABLE_ROWS),
        Constraint::Length(DETAIL_ROWS),
    ])
    .areas(inner);
    (bar.then_some(bar_area), table, detail)
}

/// The table's area in the pane's inside `inner`.
#[cfg(test)]
pub(super) fn table_area(app: &App, inner: Rect) -> Rect {
    layout(app, inner).1
}

/// Draws the history pane into `area` (border included).
pub fn draw(app: &App, frame: &mut Frame, area: Rect, block: Block<'_>) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(view) = &app.server_view {
        super::server_view::draw(app, view, frame, inner);
        return;
    }
    let view = &app.history;
    let (bar, table_area, detail_area) = layout(app, inner);
    if let Some(bar) = bar {
        draw_filter_bar(app, frame, bar);
    }
    if view.is_empty() {
        let text = match (view.loaded, view.is_filtered()) {
            (false, _) => "Reading the history…",
            (true, true) => "No lead matches. Esc clears the filter.",
            (true, false) => "No leads yet. Leads you send appear here, newest first.",
        };
        let rest = Rect { height: inner.bottom().saturating_sub(table_area.y), ..table_area };
        frame
            .render_widget(Paragraph::new(Span::styled(text, theme::hint())).wrap(Wrap { trim: true }), rest);
        return;
    }
    draw_table(app, frame, table_area);
    draw_detail(app, frame, detail_area);
}

/// The search and quick filters in force, with the search being typed and its cursor.
fn draw_filter_bar(app: &App, frame: &mut Frame, area: Rect) {
    let filter = &app.history.filter;
    let mut spans = vec![Span::styled("/", theme::key())];
    let mut cursor = None;
    match &app.history.search_input {
        Some(input) => {
            let width = (area.width / 2).max(10);
            let drawn = super::text_field::draw(
                input,
                width,
                theme::input_focused(),
                ("search", theme::placeholder()),
            );
            cursor = Some(area.x + 1 + drawn.cursor);
            spans.push(drawn.span);
        }
        None => spans.push(Span::raw(filter.search.clone().unwrap_or_default())),
    }
    if let Some(status) = filter.status {
        spans.push(Span::styled(format!("  status: {}", status.as_str()), theme::heading()));
    }
    if let Some(campaign) = filter.campaign {
        spans.push(Span::styled(format!("  campaign: #{campaign}"), theme::heading()));
    }
    spans.push(Span::styled("  Esc clears", theme::hint()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if let Some(x) = cursor {
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

fn draw_table(app: &App, frame: &mut Frame, area: Rect) {
    let view = &app.history;
    let visible = area.height.saturating_sub(1) as usize;
    let selected = view.selected.min(view.len().saturating_sub(1));
    // Kept by the model so the selection is in view.
    let offset = view.offset;

    // Time, status and phone have fixed widths; name and campaign share the rest, 3:2. The
    // server's status gets a column once it has been asked.
    let server_w = if app.history.server_statuses { SERVER_W } else { 0 };
    let columns = if server_w > 0 { 5 } else { 4 };
    let shown = offset..(offset + visible).min(view.len());
    let statuses: Vec<Span<'static>> =
        shown.clone().filter_map(|i| view.row(i)).map(|entry| status_span(app, entry)).collect();
    let status_w = statuses.iter().map(|s| s.width() as u16).fold(STATUS_W, u16::max);
    let rest = area.width.saturating_sub(TIME_W + status_w + PHONE_W + server_w + columns);
    let name_w = rest * 3 / 5;
    let campaign_w = rest - name_w;
    let mut widths = vec![TIME_W, status_w, PHONE_W];
    if server_w > 0 {
        widths.push(server_w);
    }
    widths.extend([name_w, campaign_w]);
    // What the search matched is highlighted in the phone, the name and the campaign.
    let query = view.query();
    let mut statuses = statuses.into_iter();
    let rows = shown.filter_map(|i| {
        let entry = view.row(i)?;
        let status = statuses.next().unwrap_or_default();
        let phone = &entry.request.phone_number;
        let name = entry.display_name();
        let (phone_marks, name_marks) =
            query.map(|q| (q.phone_marks(phone), q.marks(name))).unwrap_or_default();
        let mut cells = vec![
            Line::raw(time(app, entry)),
            Line::from(status),
            Line::from(marked(phone, PHONE_W as usize, &phone_marks, Style::new())),
        ];
        if server_w > 0 {
            cells.push(Line::raw(ellipsize(entry.server_status.as_deref().unwrap_or(""), server_w as usize)));
        }
        cells.push(Line::from(marked(name, name_w as usize, &name_marks, Style::new())));
        let campaign = campaign(app, entry);
        let campaign_marks = query.map(|q| q.marks(&campaign)).unwrap_or_default();
        cells.push(Line::from(marked(&campaign, campaign_w as usize, &campaign_marks, Style::new())));
        let row = Row::new(cells);
        Some(if i == selected { row.style(theme::selected_row(app.focus == Focus::History)) } else { row })
    });
    let mut headings = vec!["Time", "Status", "Phone"];
    if server_w > 0 {
        headings.push("Server");
    }
    headings.extend(["Name", "Campaign"]);
    let header = Row::new(headings).style(theme::heading());
    let widths = widths.into_iter().map(Constraint::Length);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}

/// The history row a click on screen row `row` lands on, as last drawn.
pub fn hit(app: &App, area: Rect, row: u16) -> Option<Hit> {
    if app.server_view.is_some() {
        return Some(Hit::HistoryPane);
    }
    let (_, table, _) = layout(app, Block::bordered().inner(area));
    // The table's first line is its heading.
    let line = row.checked_sub(table.y + 1)? as usize;
    let index = app.history.offset + line;
    (line < table.height.saturating_sub(1) as usize && index < app.history.len())
        .then_some(Hit::HistoryRow(index))
}

fn draw_detail(app: &App, frame: &mut Frame, area: Rect) {
    let Some(entry) = app.history.selected_entry() else { return };
    let mut lines = vec![Line::from(vec![
        if entry.is_deleted() {
            Span::styled("deleted ", theme::error())
        } else {
            Span::styled(format!("{} ", entry.status.as_str()), theme::status(entry.status))
        },
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
    if app.outbox.elsewhere.contains_key(&entry.local_id) {
        lines.push(Line::from(Span::styled(
            "Being sent by another window (or a running `create`); this one takes it over if that one ends.",
            theme::hint(),
        )));
    }
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
    let text = if let Some(left) = app.wait_left(&entry.local_id) {
        // A queued lead counts down to its next try.
        format!("↻ {} {}", entry.status.as_str(), crate::model::countdown(left))
    } else if app.outbox.elsewhere.contains_key(&entry.local_id) {
        // Another window (or a `create`) is sending it: this one keeps its hands off.
        "⇄ elsewhere".to_owned()
    } else if let Some(delivery) = app.outbox.in_flight.get(&entry.local_id) {
        // With a refused key, what is ready to go waits for a key like the rest.
        let paused = app.key_problem.is_some() && matches!(delivery.phase, crate::model::Phase::Ready(_));
        let mark = if delivery.is_busy() && !paused { SPINNER[app.spinner % SPINNER.len()] } else { "·" };
        format!("{mark} {}", if paused { "needs key" } else { delivery.label() })
    } else if entry.is_deleted() {
        "✗ deleted".to_owned()
    } else if let Some(open) = entry.changes().iter().rev().find(|c| c.status.is_open()) {
        let what = match open.change {
            crate::history::Change::Delete => "taking back",
            crate::history::Change::Update(_) => "saving fix",
        };
        format!("{} {what}", SPINNER[app.spinner % SPINNER.len()])
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

fn campaign(app: &App, entry: &LeadEntry) -> String {
    match (&entry.campaign_name, app.catalog.campaign(entry.request.campaign_id)) {
        (Some(name), _) => name.to_string(),
        (None, Some(c)) => c.name.clone(),
        (None, None) => format!("#{}", entry.request.campaign_id),
    }
}
