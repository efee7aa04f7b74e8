//! The duplicate guard's question, drawn over the panes until it is answered.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::theme;
use crate::keymap::{Context, key_for};
use crate::model::{Action, App, DuplicatePrompt};

fn key(action: Action) -> String {
    key_for(action, Context::Confirm).unwrap_or_default()
}

/// Draws the question centred over `area`.
pub fn draw(app: &App, prompt: &DuplicatePrompt, frame: &mut Frame, area: Rect) {
    let request = &prompt.request;
    let campaign = match app.catalog.campaign(request.campaign_id) {
        Some(c) => format!("{} (#{})", c.name, c.id),
        None => format!("#{}", request.campaign_id),
    };
    let when = prompt.created_at.to_zoned_datetime(app.time_zone.clone()).strftime("%Y-%m-%d %H:%M");
    let lead = prompt.lead_id.as_deref().map(|id| format!(" as lead #{id}")).unwrap_or_default();
    let whose = if prompt.theirs { ", by someone else (it is not in this history)" } else { "" };
    let lines = vec![
        Line::from(vec![
            Span::styled(request.phone_number.clone(), theme::heading()),
            Span::raw(if prompt.lead_id.is_none() && !prompt.theirs {
                format!(" was sent to {campaign} at {when} and is still on its way.")
            } else {
                format!(" was already created in {campaign} on {when}{lead}{whose}.")
            }),
        ]),
        Line::from(""),
        Line::from("Allow duplicate is off, so the API will probably refuse it."),
        Line::from(""),
        // The keys as the key map has them: Enter is not one that sends.
        Line::from(vec![
            Span::styled(key(Action::Activate), theme::key()),
            Span::raw(" send anyway   "),
            Span::styled(key(Action::AllowDuplicate), theme::key()),
            Span::raw(" allow duplicate and send   "),
            Span::styled(key(Action::Close), theme::key()),
            Span::raw(" or Enter: back to the form"),
        ]),
    ];
    let popup = super::centered(area, 72, 9);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(" Already in this campaign ")
        .border_style(theme::error());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), popup);
}

/// "Take this lead back?", centred over `area`.
pub fn draw_take_back(app: &App, local_id: crate::history::LocalId, frame: &mut Frame, area: Rect) {
    let Some(entry) = app.history.get(&local_id) else { return };
    let request = &entry.request;
    let campaign = match app.catalog.campaign(request.campaign_id) {
        Some(c) => format!("{} (#{})", c.name, c.id),
        None => format!("#{}", request.campaign_id),
    };
    let id = entry.lead_id.as_deref().unwrap_or("?");
    let yes = crate::keymap::keys_for(Action::Activate, Context::Confirm);
    let lines = vec![
        Line::from(vec![
            Span::raw(format!("Take back lead #{id}, ")),
            Span::styled(request.phone_number.to_string(), theme::heading()),
            Span::raw(format!(", in {campaign}?")),
        ]),
        Line::from(""),
        Line::from("It is deleted on the server, for everyone; a lead being called cannot be."),
        Line::from(""),
        Line::from(vec![
            Span::styled(yes, theme::key()),
            Span::raw(" take it back   "),
            Span::styled(key(Action::Close), theme::key()),
            Span::raw(" or Enter: keep it"),
        ]),
    ];
    let popup = super::centered(area, 72, 10);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(" Take the lead back ")
        .border_style(theme::error());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), popup);
}

/// "Start (or stop) this campaign?"
pub fn draw_campaign_run(prompt: &crate::model::campaign_run::CampaignPrompt, frame: &mut Frame, area: Rect) {
    let yes = crate::keymap::keys_for(Action::Activate, Context::Confirm);
    let (verb, what) = if prompt.start {
        ("Start", "The assistant starts calling the campaign's leads. A campaign needs leads to start.")
    } else {
        ("Stop", "Calls in progress are aborted; no lead is called until it is started again.")
    };
    let lines = vec![
        Line::from(vec![
            Span::raw(format!("{verb} campaign ")),
            Span::styled(crate::sanitize::cleaned(&prompt.name), theme::heading()),
            Span::raw(format!(" (#{})?", prompt.id)),
        ]),
        Line::from(""),
        Line::from(what),
        Line::from(""),
        Line::from(vec![
            Span::styled(yes, theme::key()),
            Span::raw(format!(" {}   ", verb.to_lowercase())),
            Span::styled(key(Action::Close), theme::key()),
            Span::raw(" or Enter: leave it"),
        ]),
    ];
    let popup = super::centered(area, 72, 10);
    let block = Block::bordered()
        .border_type(BorderType::Double)
        .title(format!(" {verb} the campaign "))
        .border_style(theme::error());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block), popup);
}
