//! Everything about one lead: where it stands, the request as sent, the server's answer and
//! errors, its secondary contacts, and every attempt with its time.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::theme;
use crate::history::LeadEntry;
use crate::model::{App, CallsView, DetailView, StoryState};

/// Draws the detail view over `area`.
pub fn draw(app: &App, view: &DetailView, frame: &mut Frame, area: Rect) {
    let Some(entry) = app.history.get(&view.local_id) else { return };
    let popup = Rect {
        x: area.x + area.width.saturating_sub(area.width.min(100)) / 2,
        y: area.y + 1,
        width: area.width.min(100),
        height: area.height.saturating_sub(2),
    };
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(format!(
            " Lead {} · Esc closes{} · e edit as new{} ",
            entry.request.phone_number,
            if crate::model::fix::why_not_changed(entry).is_none() {
                " · f fix · Del take back"
            } else {
                ""
            },
            if matches!(entry.status, crate::history::Status::Failed | crate::history::Status::Rejected) {
                " · r retry"
            } else {
                ""
            }
        ))
        .border_style(theme::border_focused());
    frame.render_widget(Clear, popup);
    let lines = lines(app, view, entry);
    // Rows the lines take once wrapped, to stop scrolling at the end.
    let width = usize::from(popup.width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let room = usize::from(popup.height.saturating_sub(2));
    view.max_scroll.set(u16::try_from(rows.saturating_sub(room)).unwrap_or(u16::MAX));
    let scroll = view.scroll.min(view.max_scroll.get());
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((scroll, 0)),
        popup,
    );
}

fn field(name: &str, value: String) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{name:<14}"), theme::heading()), Span::raw(value)])
}

fn lines(app: &App, view: &DetailView, entry: &LeadEntry) -> Vec<Line<'static>> {
    let time = |t: jiff::Timestamp| {
        t.to_zoned_datetime(app.time_zone.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string()
    };
    let campaign = match (app.catalog.campaign(entry.request.campaign_id), &entry.campaign_name) {
        (Some(c), _) => format!("{} (#{})", c.name, c.id),
        (None, Some(name)) => format!("{name} (#{})", entry.request.campaign_id),
        (None, None) => format!("#{}", entry.request.campaign_id),
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(format!("{:<14}", "Status"), theme::heading()),
            if entry.is_deleted() {
                Span::styled("deleted (taken back)".to_owned(), theme::error())
            } else {
                Span::styled(entry.status.as_str().to_owned(), theme::status(entry.status))
            },
            Span::raw(entry.server_status.as_ref().map(|s| format!("   server: {s}")).unwrap_or_default()),
        ]),
        field("Phone", entry.request.phone_number.to_string()),
        field("Campaign", campaign),
        field(
            "Server id",
            entry.lead_id.clone().map(|id| format!("#{id}")).unwrap_or_else(|| "none yet".into()),
        ),
        field("Local id", entry.local_id.to_string()),
        field("Submitted", time(entry.submitted_at)),
        field(
            "Duplicates",
            if entry.request.allow_dupplicate { "allowed".into() } else { "not allowed".into() },
        ),
        Line::from(""),
        Line::from(Span::styled("Variables", theme::heading())),
    ];
    if entry.request.variables.is_empty() {
        out.push(Line::from(Span::styled("  none (the assistant's defaults apply)", theme::hint())));
    }
    for (k, v) in &entry.request.variables {
        out.push(Line::from(format!("  {k} = {v}")));
    }
    if !entry.request.secondary_contacts.is_empty() {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled("Secondary contacts, called in this order", theme::heading())));
        for (i, contact) in entry.request.secondary_contacts.iter().enumerate() {
            out.push(Line::from(format!("  {}. {}", i + 1, contact.phone_number)));
            for (k, v) in &contact.variables {
                out.push(Line::from(format!("       {k} = {v}")));
            }
        }
    }
    if let Some(error) = &entry.error {
        out.push(Line::from(""));
        let status = error.http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
        out.push(Line::from(Span::styled(format!("Error{status}: {}", error.message), theme::error())));
        for (field, messages) in &error.fields {
            out.push(Line::from(Span::styled(format!("  {field}: {}", messages.join(" ")), theme::error())));
        }
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("Attempts", theme::heading())));
    let story = view.story.as_ref().filter(|s| s.local_id == entry.local_id).map(|s| &s.state);
    let read = match story {
        Some(StoryState::Read(read)) => Some(read),
        Some(StoryState::Failed(why)) => {
            let text = format!("  could not be read from the history file: {why}");
            out.push(Line::from(Span::styled(text, theme::error())));
            None
        }
        Some(StoryState::Reading) | None => {
            out.push(Line::from(Span::styled("  reading the history file…", theme::hint())));
            None
        }
    };
    if read.is_some_and(|r| r.attempts.is_empty()) {
        out.push(Line::from(Span::styled("  none ended yet", theme::hint())));
    }
    for attempt in read.iter().flat_map(|r| &r.attempts) {
        let why = attempt.error.as_ref().map(|e| format!(": {e}")).unwrap_or_default();
        // A `pending` record marks a send about to start (again, or by a run taking it over).
        let what = match attempt.status {
            crate::history::Status::Pending => "sending",
            status => status.as_str(),
        };
        out.push(Line::from(format!("  {}  {what}{why}", time(attempt.at))));
    }
    if !entry.changes().is_empty() {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled("Changes on the server", theme::heading())));
    }
    for change in entry.changes() {
        let what = match &change.change {
            crate::history::Change::Update(update) => format!("fix: {}", update.summary()),
            crate::history::Change::Delete => "taken back (delete)".to_owned(),
        };
        let status = match change.status {
            crate::history::ChangeStatus::Done => "done".to_owned(),
            crate::history::ChangeStatus::Gone => "gone already".to_owned(),
            crate::history::ChangeStatus::Pending => "on its way".to_owned(),
            other => other.as_str().to_owned(),
        };
        let why = change.error.as_ref().map(|e| format!(": {}", e.message)).unwrap_or_default();
        let text = crate::sanitize::cleaned(&format!("  {}  {what} · {status}{why}", time(change.at)));
        let style = match change.status {
            crate::history::ChangeStatus::Rejected | crate::history::ChangeStatus::Failed => theme::error(),
            _ => ratatui::style::Style::new(),
        };
        out.push(Line::from(Span::styled(text, style)));
    }
    out.push(Line::from(""));
    let fixed = entry.changes().iter().any(|c| {
        matches!(c.change, crate::history::Change::Update(_))
            && c.status == crate::history::ChangeStatus::Done
    });
    let heading = if fixed { "The lead as it now is (sent, then fixed)" } else { "Request as sent" };
    out.push(Line::from(Span::styled(heading, theme::heading())));
    let request = serde_json::to_string_pretty(&entry.request).unwrap_or_default();
    out.extend(request.lines().map(|l| Line::from(format!("  {l}"))));
    if let Some(response) = read.and_then(|r| r.response.as_ref()) {
        out.push(Line::from(""));
        let heading = if fixed { "Server's answer when it created the lead" } else { "Server's answer" };
        out.push(Line::from(Span::styled(heading, theme::heading())));
        let value: serde_json::Value = serde_json::from_str(response).unwrap_or_default();
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        out.extend(text.lines().map(|l| Line::from(format!("  {}", crate::sanitize::clean(l)))));
    }
    // Last: transcripts are long, and scrolling down is how they are read.
    calls(&mut out, view, &time);
    out
}

/// The lead's calls as the server lists them: when, how it went, and what was said.
fn calls(out: &mut Vec<Line<'static>>, view: &DetailView, time: &dyn Fn(jiff::Timestamp) -> String) {
    let Some(calls) = &view.calls else { return };
    out.push(Line::from(""));
    out.push(Line::from(Span::styled("Calls", theme::heading())));
    let calls = match calls {
        CallsView::Loading => {
            out.push(Line::from(Span::styled("  asking the server…", theme::hint())));
            return;
        }
        CallsView::Failed(why) => {
            let text = crate::sanitize::cleaned(&format!("  could not be had: {why}"));
            out.push(Line::from(Span::styled(text, theme::error())));
            return;
        }
        CallsView::Loaded(calls) => calls,
    };
    if calls.is_empty() {
        out.push(Line::from(Span::styled(
            "  none yet: the campaign has not called this lead",
            theme::hint(),
        )));
    }
    for call in calls {
        let at = call
            .created_at
            .as_deref()
            .map(|raw| crate::delivery::parse_server_time(raw).map_or_else(|| raw.to_owned(), time));
        let mut parts = vec![at.unwrap_or_else(|| "time unknown".into())];
        parts.push(call.status.clone().unwrap_or_else(|| "status unknown".into()));
        if let Some(secs) = call.duration {
            parts.push(if secs >= 60 {
                format!("{}m {:02}s", secs / 60, secs % 60)
            } else {
                format!("{secs}s")
            });
        }
        if let Some(by) = &call.answered_by {
            parts.push(format!("answered by {by}"));
        }
        if let Some(assistant) = &call.assistant_name {
            parts.push(assistant.clone());
        }
        out.push(Line::from(crate::sanitize::cleaned(&format!("  {}", parts.join(" · ")))));
        if call.transcript.is_empty() {
            out.push(Line::from(Span::styled("      no transcript", theme::hint())));
        }
        for turn in &call.transcript {
            let who = if turn.sender.is_empty() { String::new() } else { format!("{}: ", turn.sender) };
            let text = crate::sanitize::cleaned(&format!("      {who}{}", turn.text));
            out.push(Line::from(text));
        }
    }
}
