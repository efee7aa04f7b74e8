//! Drawing: `&App` in, cells out. Nothing here changes the state or decides anything; it only
//! lays out what the model holds. One file per pane or widget, every style in `theme`.

mod footer;
mod form;
mod header;
mod help;
mod history;
pub mod text_field;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::model::{App, Focus, Overlay};

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let [header_area, body, footer_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(2)]).areas(area);
    header::draw(app, frame, header_area);
    let history_focused = app.focus == Focus::History;
    if app.is_narrow() {
        let [tabs, pane] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
        draw_tabs(app, frame, tabs);
        if history_focused {
            history::draw(app, frame, pane, pane_block("History", true));
        } else {
            form::draw(app, frame, pane, pane_block("New lead", true));
        }
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        form::draw(app, frame, left, pane_block("New lead", !history_focused));
        history::draw(app, frame, right, pane_block("History", history_focused));
    }
    footer::draw(app, frame, footer_area);
    if app.overlay == Some(Overlay::Help) {
        help::draw(frame, area);
    }
}

fn pane_block(title: &str, focused: bool) -> Block<'static> {
    let style = if focused { theme::border_focused() } else { theme::border() };
    Block::bordered()
        .border_type(if focused { BorderType::Thick } else { BorderType::Plain })
        .border_style(style)
        .title(Span::styled(format!(" {title} "), style))
}

fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let history = app.focus == Focus::History;
    let tab = |label: &str, active: bool| {
        let text = format!(" {label} ");
        if active { Span::styled(text, theme::control_focused()) } else { Span::styled(text, theme::hint()) }
    };
    let count = if app.history.loaded { format!(" ({})", app.history.len()) } else { String::new() };
    let line = Line::from(vec![
        tab("Form F2", !history),
        Span::raw(" "),
        tab(&format!("History F3{count}"), history),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
