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
    // The rest, as short phrases joined by dots: account, reachability, leads on their way.
    let mut parts: Vec<String> = Vec::new();
    if let Some(account) = &app.account {
        parts.push(account.clone());
    }
    match app.connection {
        Connection::Unknown => {}
        Connection::Online => parts.push("online".into()),
        Connection::Offline => parts.push("OFFLINE".into()),
    }
    match (app.sending_count(), app.queued_count()) {
        (0, 0) => {}
        (sending, 0) => parts.push(format!("{sending} sending")),
        (0, queued) => parts.push(format!("{queued} queued")),
        (sending, queued) => parts.push(format!("{sending} sending, {queued} queued")),
    }
    let mut spans = vec![Span::styled(" autocalls-tui ", theme::heading()), target];
    if !parts.is_empty() {
        spans.push(Span::raw(format!(" {}", parts.join(" · "))));
    }
    if app.key_problem.is_some() {
        let lead = if parts.is_empty() { " " } else { " · " };
        spans.push(Span::styled(format!("{lead}KEY NEEDED (F4) "), theme::error()));
    }
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line).style(theme::header()), area);
}
