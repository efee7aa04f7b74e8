//! Drawing: `&App` in, cells out. Nothing here changes the state or decides anything; it only
//! lays out what the model holds. One file per pane or widget, every style in `theme`.

mod detail;
mod footer;
mod form;
mod header;
mod help;
mod history;
mod import_review;
mod key_prompt;
mod picker;
mod prompt;
mod server_view;
pub mod text_field;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use crate::model::screen::{self, FOOTER_ROWS, HEADER_ROWS, MIN_BODY_ROWS, TAB_ROWS};
use crate::model::{App, Focus, Hit, Overlay};

/// Where each part of the screen is, for drawing and for placing mouse clicks.
struct Areas {
    header: Rect,
    tabs: Option<Rect>,
    form: Option<Rect>,
    history: Option<Rect>,
    footer: Rect,
}

fn areas(app: &App, area: Rect) -> Areas {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(MIN_BODY_ROWS),
        Constraint::Length(FOOTER_ROWS),
    ])
    .areas(area);
    if app.is_narrow() {
        let [tabs, pane] = Layout::vertical([Constraint::Length(TAB_ROWS), Constraint::Min(1)]).areas(body);
        let history = app.focus == Focus::History;
        Areas {
            header,
            tabs: Some(tabs),
            form: (!history).then_some(pane),
            history: history.then_some(pane),
            footer,
        }
    } else {
        // The form is where the typing happens: on a wide screen it takes what its hints need.
        let form_width = screen::form_width(body.width);
        let [left, right] =
            Layout::horizontal([Constraint::Length(form_width), Constraint::Min(1)]).areas(body);
        Areas { header, tabs: None, form: Some(left), history: Some(right), footer }
    }
}

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame) {
    let areas = areas(app, frame.area());
    header::draw(app, frame, areas.header);
    let history_focused = app.focus == Focus::History;
    if let Some(tabs) = areas.tabs {
        draw_tabs(app, frame, tabs);
    }
    if let Some(area) = areas.form {
        let title = match &app.entry.editing {
            Some(editing) => {
                format!("Editing lead #{} · Esc leaves it", crate::sanitize::cleaned(&editing.lead_id))
            }
            None if app.review_edit.is_some() => {
                "Fixing a pasted row · Ctrl-S puts it back · Esc leaves it".to_owned()
            }
            None => "New lead".to_owned(),
        };
        form::draw(app, frame, area, pane_block(&title, !history_focused));
    }
    if let Some(area) = areas.history {
        history::draw(app, frame, area, pane_block(&history::title(app), history_focused));
    }
    footer::draw(app, frame, areas.footer);
    match &app.overlay {
        Some(Overlay::Help { scroll }) => help::draw(frame, frame.area(), *scroll),
        Some(Overlay::Duplicate(prompt)) => prompt::draw(app, prompt, frame, frame.area()),
        Some(Overlay::Detail(view)) => detail::draw(app, view, frame, frame.area()),
        Some(Overlay::Key(prompt)) => key_prompt::draw(app, prompt, frame, frame.area()),
        Some(Overlay::TakeBack(local_id)) => prompt::draw_take_back(app, *local_id, frame, frame.area()),
        Some(Overlay::Campaign(prompt)) => prompt::draw_campaign_run(prompt, frame, frame.area()),
        Some(Overlay::Import(review)) => import_review::draw(app, review, frame, frame.area()),
        None => {}
    }
}

/// What a click at (`col`, `row`) on a screen of `size` lands on, as last drawn.
pub fn hit_test(app: &App, size: Rect, col: u16, row: u16) -> Option<Hit> {
    let areas = areas(app, size);
    let at = Position { x: col, y: row };
    if let Some(tabs) = areas.tabs.filter(|t| t.contains(at)) {
        return Some(if col - tabs.x < FORM_TAB_WIDTH { Hit::FormTab } else { Hit::HistoryPane });
    }
    if let Some(area) = areas.form.filter(|a| a.contains(at)) {
        return form::hit(app, area, col, row);
    }
    if let Some(area) = areas.history.filter(|a| a.contains(at)) {
        return Some(history::hit(app, area, row).unwrap_or(Hit::HistoryPane));
    }
    None
}

/// Whether (`col`, `row`) is over the history pane (for the mouse wheel).
pub fn over_history(app: &App, size: Rect, col: u16, row: u16) -> bool {
    areas(app, size).history.is_some_and(|a| a.contains(Position { x: col, y: row }))
}

/// The width of the Form tab, ` Form F2 ` and a space.
const FORM_TAB_WIDTH: u16 = 10;

/// A `width` x `height` box centred in `area` (shrunk to fit), for overlays.
pub(crate) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
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
    let count = if app.history.loaded { format!(" ({})", app.history.total()) } else { String::new() };
    let line = Line::from(vec![
        tab("Form F2", !history),
        Span::raw(" "),
        tab(&format!("History F3{count}"), history),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AppOptions, Msg};

    /// The model scrolls with the pane sizes of `model::screen`; the panes drawn here are those
    /// sizes, at every terminal size (narrow, wide, too small).
    #[test]
    fn the_model_and_the_drawing_agree_on_the_pane_sizes() {
        let (mut app, _) = App::new(AppOptions::default());
        for width in [0, 9, 12, 20, 40, 80, 119, 120, 121, 160, 250, 400] {
            for height in 0..=60 {
                app.update(Msg::Resize { width, height });
                let screen = Rect::new(0, 0, width, height);
                app.focus = Focus::Phone;
                let form = areas(&app, screen).form.map(|a| Block::bordered().inner(a));
                let form = form.map(|a| (a.width, a.height));
                assert_eq!(form, Some(screen::form_inside(app.size)), "form at {width}x{height}");
                app.focus = Focus::History;
                let pane = areas(&app, screen).history.map(|a| Block::bordered().inner(a));
                for bar in [false, true] {
                    app.history.search_input = bar.then(crate::model::TextInput::default);
                    let table = pane.map(|inner| history::table_area(&app, inner).height);
                    assert_eq!(
                        table,
                        Some(screen::table_rows(app.size, bar)),
                        "history table at {width}x{height}, bar {bar}"
                    );
                }
                app.history.search_input = None;
            }
        }
    }
}
