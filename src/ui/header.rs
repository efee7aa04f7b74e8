//! The header line: the app, which API it talks to (SANDBOX is impossible to miss), whether the
//! server answered lately, and how many leads are on their way.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::model::{App, Connection, Target};

/// Draws the header into its one-line area.
pub fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let target = match &app.target {
        Target::Sandbox => Span::styled(" SANDBOX ", theme::sandbox_banner()),
        Target::Live(host) => Span::styled(format!(" LIVE {host} "), theme::live_banner()),
    };
    let connection = match app.connection {
        Connection::Unknown => "",
        Connection::Online => " online",
        Connection::Offline => " OFFLINE",
    };
    let sending = app.in_flight.len();
    let queued = app.queued_count();
    let mut counts = String::new();
    if sending > 0 {
        counts.push_str(&format!(" · {sending} sending"));
    }
    if queued > 0 {
        counts.push_str(&format!(" · {queued} queued"));
    }
    let line = Line::from(vec![
        Span::styled(" autocalls-tui ", theme::heading()),
        target,
        Span::raw(connection),
        Span::raw(counts),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme::header()), area);
}
