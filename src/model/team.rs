//! The team's leads, asked while a phone is typed: once the phone is a valid number, a campaign is
//! set and the typing has paused, the server is asked (in the background, one request per phone
//! and campaign, answers kept a minute) whether the campaign already holds it, whoever entered
//! it. The form says so beside the phone, and the duplicate guard asks before such a lead is
//! sent, as it does for one from this history.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::{App, Effect};
use crate::api::ApiError;
use crate::api::types::Lead;

/// How long the phone must stay as it is before the server is asked.
pub const QUIET: Duration = Duration::from_millis(400);
/// How long an answer is taken as true.
pub const FRESH: Duration = Duration::from_secs(60);

/// A phone in a campaign: the E.164 number and the campaign id.
pub type Key = (String, u64);

/// What the server said of a phone in a campaign.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// Not in the campaign.
    Absent,
    /// In the campaign already: the newest such lead.
    Present(Box<Lead>),
}

/// The asking and the answers.
#[derive(Debug, Default)]
pub struct TeamCheck {
    /// Answers, with when they came.
    known: HashMap<Key, (Known, Instant)>,
    /// Asked, not answered yet.
    asking: HashSet<Key>,
    /// The phone typed now, and since when it has been as it is.
    typed: Option<(Key, Instant)>,
    /// The phone and campaign fields as last read, and what they made (parsing a phone costs;
    /// it is done again only when a field changed).
    read: Option<((String, String), Option<Key>)>,
}

impl TeamCheck {
    /// What is known of `key`, while fresh.
    pub fn known(&self, key: &Key, now: Instant) -> Option<&Known> {
        self.known.get(key).filter(|(_, at)| now.duration_since(*at) < FRESH).map(|(known, _)| known)
    }

    /// Marks `key` as asked; false when it is being asked already.
    pub fn ask(&mut self, key: Key) -> bool {
        self.asking.insert(key)
    }

    /// When to look again: once the typing has paused.
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        let (key, since) = self.typed.as_ref()?;
        let due = *since + QUIET;
        (!self.asking.contains(key) && self.known(key, now).is_none()).then_some(due.max(now))
    }
}

impl App {
    /// The phone and campaign typed now, when both are valid.
    pub fn typed_key(&self) -> Option<Key> {
        let campaign = self.form_campaign_id()?;
        let phone = crate::lead::parse_phone(self.entry.form.phone.text(), self.region).ok()?;
        Some((phone.e164, campaign))
    }

    /// What the server said of the phone typed now, while fresh.
    pub fn team_known(&self) -> Option<&Known> {
        let editing = self.entry.editing.as_ref().map(|e| &e.lead_id);
        // The lead being fixed is in its campaign, of course: not worth a warning.
        self.team
            .known(&self.typed_key()?, self.now)
            .filter(|known| !matches!(known, Known::Present(lead) if Some(&lead.id) == editing))
    }

    /// After every message: follows the phone being typed, and asks the server once it has
    /// paused on a valid number (unless the answer is known or on its way).
    pub(super) fn ask_team(&mut self) -> Option<Effect> {
        // Compared before anything is copied: this runs after every message, ticks included.
        let (phone, campaign) = (self.entry.form.phone.text(), self.entry.form.campaign.text());
        let key = match &self.team.read {
            Some(((p, c), key)) if p == phone && c == campaign => key.clone(),
            _ => {
                let fields = (phone.to_owned(), campaign.to_owned());
                let key = self.typed_key();
                self.team.read = Some((fields, key.clone()));
                key
            }
        };
        let now = self.now;
        let team = &mut self.team;
        match (&key, &team.typed) {
            (None, _) => team.typed = None,
            (Some(key), Some((typed, _))) if typed == key => {}
            (Some(key), _) => team.typed = Some((key.clone(), now)),
        }
        let (key, since) = team.typed.clone()?;
        if now.duration_since(since) < QUIET || team.asking.contains(&key) || team.known(&key, now).is_some()
        {
            return None;
        }
        team.asking.insert(key.clone());
        Some(Effect::CheckTeam { phone: key.0, campaign: key.1 })
    }

    /// The server's answer for a phone in a campaign. A failure is not kept: it is asked again
    /// when typed again.
    pub(super) fn team_said(&mut self, phone: String, campaign: u64, result: Result<Option<Lead>, ApiError>) {
        let key = (phone, campaign);
        self.team.asking.remove(&key);
        match result {
            Ok(found) => {
                let known = found.map_or(Known::Absent, |lead| Known::Present(Box::new(lead)));
                self.team.known.insert(key, (known, self.now));
            }
            Err(e) => tracing::debug!(error = %e, "the team check could not ask the server"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kit::type_text;
    use crate::model::{Action, Msg, Overlay};

    fn app() -> App {
        crate::model::kit::ready_app()
    }

    fn checks(effects: &[Effect]) -> Vec<(String, u64)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::CheckTeam { phone, campaign } => Some((phone.clone(), *campaign)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_server_is_asked_once_the_typing_pauses_on_a_valid_number() {
        let mut app = app();
        let mut asked = Vec::new();
        for c in "+1 415 555 0100".chars() {
            asked.extend(checks(&type_text(&mut app, &c.to_string())));
            app.now += Duration::from_millis(100);
        }
        assert!(asked.is_empty(), "not while typing: {asked:?}");
        let wake = app.next_wake(app.now).expect("a wake for the pause");
        assert!(wake <= app.now + QUIET);
        app.now += QUIET;
        assert_eq!(checks(&app.update(Msg::Tick)), [("+14155550100".to_owned(), 12)]);
        assert!(checks(&app.update(Msg::Tick)).is_empty(), "one request per phone");
        // The colleague's lead: said beside the phone, and the guard asks before sending.
        let lead = Lead {
            id: "1003".into(),
            created_at: Some("2026-12-02 04:40:05".into()),
            status: Some("created".into()),
            ..Lead::default()
        };
        app.update(Msg::TeamChecked { phone: "+14155550100".into(), campaign: 12, result: Ok(Some(lead)) });
        assert!(matches!(app.team_known(), Some(Known::Present(l)) if l.id == "1003"));
        let effects = app.update(Msg::Action(Action::Submit));
        assert!(effects.iter().all(|e| !matches!(e, Effect::Append(_))), "not sent: {effects:?}");
        let Some(Overlay::Duplicate(prompt)) = &app.overlay else { panic!("{:?}", app.overlay) };
        assert_eq!(prompt.lead_id.as_deref(), Some("1003"));
        // Fresh for a minute; asked again after.
        app.overlay = None;
        app.now += FRESH;
        assert!(app.team_known().is_none());
        assert_eq!(checks(&app.update(Msg::Tick)).len(), 1);
    }

    #[test]
    fn nothing_is_asked_for_an_invalid_number_or_without_a_campaign() {
        let mut app = app();
        type_text(&mut app, "+1 415");
        app.now += QUIET * 2;
        assert!(checks(&app.update(Msg::Tick)).is_empty());
        app.entry.form.campaign.set_text("");
        type_text(&mut app, " 555 0100");
        app.now += QUIET * 2;
        assert!(checks(&app.update(Msg::Tick)).is_empty());
        assert!(app.next_wake(app.now).is_none());
    }
}
