//! The campaign list that opens under the campaign field: `name (#id)` and status, filtered by
//! what is typed, the highlighted entry reversed.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::text_field::marked;
use super::theme;
use crate::model::App;

const MAX_ROWS: usize = 6;
const LEFT: u16 = 11;
/// The narrowest the list is drawn, borders included, however short the names.
const MIN_WIDTH: u16 = 30;

/// Where the list goes: under the campaign row at `field_y`, inside the form's `inner` area, as
/// wide as its longest entry needs when there is room, and which match is its first row.
fn placement(app: &App, inner: Rect, field_y: u16) -> Option<(Rect, usize, usize)> {
    let picker = app.entry.picker?;
    let matches = app.campaign_matches();
    let count = matches.len();
    let rows = count.clamp(1, MAX_ROWS);
    let y = field_y + 1;
    let height = (rows as u16 + 2).min(inner.bottom().saturating_sub(y));
    if height < 3 {
        return None;
    }
    let x = inner.x + LEFT.min(inner.width / 3);
    let needed =
        matches.iter().map(|c| entry_width(&c.name, c.id, c.status.as_deref())).max().unwrap_or(0) + 2;
    let width = inner.right().saturating_sub(x).min(u16::try_from(needed).unwrap_or(u16::MAX).max(MIN_WIDTH));
    let first = picker.selected.saturating_sub(height as usize - 3);
    Some((Rect { x, y, width, height }, first, count))
}

/// The cells `name (#id) status` takes.
fn entry_width(name: &str, id: u64, status: Option<&str>) -> usize {
    let status = status.map_or(0, |s| s.width() + 1);
    name.width() + format!(" (#{id})").len() + status
}

/// Draws the open list (nothing when it is closed or there is no room), with the characters the
/// typed search matched in each name highlighted.
pub fn draw(app: &App, frame: &mut Frame, inner: Rect, field_y: u16) {
    let Some((area, first, count)) = placement(app, inner, field_y) else { return };
    let selected = app.entry.picker.map(|p| p.selected).unwrap_or(0);
    let matches = app.campaign_matches();
    let query = app.campaign_query();
    let visible = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = if matches.is_empty() {
        vec![Line::from(Span::styled("no campaign matches; a number is used as the id", theme::hint()))]
    } else {
        matches
            .iter()
            .enumerate()
            .skip(first)
            .take(visible)
            .map(|(i, c)| {
                let status = c.status.as_deref().unwrap_or("");
                let id = format!(" (#{})", c.id);
                let room = width.saturating_sub(status.width() + 1);
                let style = if i == selected { theme::control_focused() } else { Style::new() };
                let mut spans = marked(&c.name, room.saturating_sub(id.len()), &query.marks(&c.name), style);
                let used: usize = spans.iter().map(|s| s.content.width()).sum::<usize>() + id.len();
                spans.push(Span::styled(
                    format!("{id}{:pad$} {status}", "", pad = room.saturating_sub(used)),
                    style,
                ));
                Line::from(spans)
            })
            .collect()
    };
    let title = format!(" {count} campaign{} ", if count == 1 { "" } else { "s" });
    let block =
        Block::bordered().border_type(BorderType::Rounded).title(title).border_style(theme::border_focused());
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Which match a click at (`col`, `row`) lands on, when the list is open there.
pub fn hit(app: &App, inner: Rect, field_y: u16, col: u16, row: u16) -> Option<usize> {
    let (area, first, count) = placement(app, inner, field_y)?;
    if !area.contains(Position { x: col, y: row }) {
        return None;
    }
    let index = first + row.checked_sub(area.y + 1)? as usize;
    (row < area.bottom() - 1 && index < count).then_some(index)
}
