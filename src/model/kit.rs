//! The model tests' kit: typing, acting, answering and letting records reach the disk, as the
//! runtime would, written once for every model test file.

use ratatui_textarea::{Input, Key};

use super::{Action, App, Effect, Msg, Phase};
use crate::api::types::{CampaignRef, Created, Lead};
use crate::history::{Event, LocalId};

/// Types `text` key by key into wherever the focus is; returns every effect that followed.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.update(Msg::Edit(Input { key: Key::Char(c), ..Input::default() })))
        .collect()
}

/// Does what a key bound to `action` does.
pub fn act(app: &mut App, action: Action) -> Vec<Effect> {
    app.update(Msg::Action(action))
}

/// The server's answer to a create: lead `id` in campaign 12, "Hannover Messe".
pub fn created(id: &str) -> Created {
    Created {
        lead: Lead {
            id: id.into(),
            campaign: Some(CampaignRef { id: 12, name: "Hannover Messe".into() }),
            ..Lead::default()
        },
        message: None,
    }
}

/// Lets every record among `effects` reach the disk, as the runtime would; returns them with
/// all that follows.
pub fn written(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut all = Vec::new();
    for effect in effects {
        if let Effect::Append(record) = &effect {
            let submitted = matches!(record.event, Event::Submitted { .. });
            let more = app.update(Msg::Appended { local_id: record.local_id, submitted, result: Ok(()) });
            all.push(effect);
            all.extend(written(app, more));
        } else {
            all.push(effect);
        }
    }
    all
}

/// Feeds `msg` and lets every record that follows reach the disk.
pub fn step(app: &mut App, msg: Msg) -> Vec<Effect> {
    let effects = app.update(msg);
    written(app, effects)
}

/// Where a lead on its way is.
pub fn phase(app: &App, id: LocalId) -> Option<&Phase> {
    app.outbox.in_flight.get(&id).map(|d| &d.phase)
}

/// How many create requests `effects` start.
pub fn sends(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| matches!(e, Effect::Send { .. })).count()
}

/// An app for campaign 12 with an empty history read, the phone focused.
pub fn ready_app() -> super::App {
    let (mut app, _) =
        super::App::new(super::AppOptions { campaign: Some(12), ..super::AppOptions::default() });
    app.update(Msg::HistoryLoaded { entries: vec![].into(), problems: vec![], end: 0 });
    app.focus = super::Focus::Phone;
    app
}
