//! The review of rows pasted as a block: how the columns were read, each row's phone, name and
//! what became of it (ready, invalid and why, held back and why, then sending, created, refused),
//! the progress once sent, and the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Row, Table};

use super::text_field::ellipsize;
use super::theme;
use crate::history::Status;
use crate::model::App;
use crate::model::import_review::{ImportReview, ReviewRow};

/// Draws the review over `area`.
pub fn draw(app: &App, review: &ImportReview, frame: &mut Frame, area: Rect) {
    let popup = Rect {
        x: area.x + area.width.saturating_sub(area.width.min(110)) / 2,
        y: area.y + 1,
        width: area.width.min(110),
        height: area.height.saturating_sub(2),
    };
    let (created, ended, sent) = app.review_progress(review);
    let mut title = format!(" {} rows pasted", review.rows.len());
    if sent > 0 {
        let rate = review.sent_at.map(|at| app.now.duration_since(at).as_secs_f64()).filter(|s| *s > 0.5);
        let rate = rate.map(|s| format!(", {:.1}/s", ended as f64 / s)).unwrap_or_default();
        title.push_str(&format!(" · {ended} of {sent} done ({created} created{rate})"));
    }
    title.push_str(" · Ctrl-S send the ready ones · e fix a row · Del drop · Esc close ");
    let block =
        Block::bordered().border_type(BorderType::Double).title(title).border_style(theme::border_focused());
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [reading, table] = Layout::vertical([Constraint::Length(1), Constraint::Min(2)]).areas(inner);
    let how = if review.mapping.header { "by the header" } else { "guessed, no header" };
    let text = format!("Columns ({how}): {}", review.mapping.describe());
    frame.render_widget(
        Paragraph::new(Span::styled(ellipsize(&text, inner.width as usize), theme::hint())),
        reading,
    );
    let visible = table.height.saturating_sub(1) as usize;
    let offset = review.selected.saturating_sub(visible.saturating_sub(1));
    const LINE_W: u16 = 5;
    const PHONE_W: u16 = 17;
    const NAME_W: u16 = 22;
    let rest = table.width.saturating_sub(LINE_W + PHONE_W + NAME_W + 3);
    let rows = review.rows.iter().enumerate().skip(offset).take(visible).map(|(i, row)| {
        let (text, style) = state(app, row);
        let phone = row.checked.as_ref().map_or(row.phone_typed.as_str(), |r| r.phone_number.as_str());
        let name = row
            .checked
            .as_ref()
            .ok()
            .and_then(|r| r.variables.get("customer_name").or_else(|| r.variables.values().next()))
            .unwrap_or("");
        let cells = vec![
            Line::raw(row.line.to_string()),
            Line::raw(crate::sanitize::cleaned(&ellipsize(phone, PHONE_W as usize))),
            Line::raw(crate::sanitize::cleaned(&ellipsize(name, NAME_W as usize))),
            Line::from(Span::styled(crate::sanitize::cleaned(&ellipsize(&text, rest as usize)), style)),
        ];
        let row_widget = Row::new(cells);
        if i == review.selected { row_widget.style(theme::selected_row(true)) } else { row_widget }
    });
    let header = Row::new(["Line", "Phone", "Name", "State"]).style(theme::heading());
    let widths = [LINE_W, PHONE_W, NAME_W, rest].map(Constraint::Length);
    frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), table);
}

/// What a row's state column says, and its style.
fn state(app: &App, row: &ReviewRow) -> (String, ratatui::style::Style) {
    if let Some(entry) = row.local_id.and_then(|id| app.history.get(&id)) {
        let open = app.outbox.in_flight.contains_key(&entry.local_id);
        return match entry.status {
            Status::Created => (
                format!("✓ created #{}", entry.lead_id.as_deref().unwrap_or("?")),
                theme::status(Status::Created),
            ),
            _ if open => ("⠋ sending".to_owned(), ratatui::style::Style::new()),
            status => {
                let why = entry.error.as_ref().map(|e| format!(": {}", e.message)).unwrap_or_default();
                (format!("✗ {}{why}", status.as_str()), theme::error())
            }
        };
    }
    match (&row.checked, &row.held) {
        (Err(why), _) => (format!("✗ {why}"), theme::error()),
        (Ok(_), Some(why)) => (format!("held: {why}"), theme::error()),
        (Ok(_), None) => ("ready".to_owned(), theme::hint()),
    }
}
