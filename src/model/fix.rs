//! Fixing a lead the server created: `f` in the history (or its detail view) opens it in the form
//! as "editing lead #ID"; Ctrl-S sends only what changed (`PUT /user/leads/{id}`: the phone and
//! the campaign when changed, the variables that differ, which the server merges). The `change`
//! record is written before the request, which the runtime sends by the change rules, as it does
//! for taking a lead back. Esc leaves the lead as it is and gives back what was being typed.
//!
//! A change left open (the server could not be reached, or its answer was lost) is sent again a
//! while later, and by the next start: a `PUT` sets the same values however often it arrives, and a
//! `DELETE` whose outcome is unknown is looked up first.

use std::time::{Duration, Instant};

use super::{App, Effect, Focus, Form, Level};
use crate::api::types::{CreateLead, LeadId, UpdateLead};
use crate::delivery::change::Target;
use crate::history::{Change, ChangeId, ChangeStatus, Event, LeadEntry, LocalId, Record, Status};

/// How long a change left open waits before it is sent again while the app runs.
pub const RETRY_OPEN_CHANGE: Duration = Duration::from_secs(30);

/// The lead the form is editing.
#[derive(Debug, Clone, PartialEq)]
pub struct Editing {
    /// The lead in the history.
    pub local_id: LocalId,
    /// Its id on the server.
    pub lead_id: LeadId,
    /// The lead as the server holds it: what the changes are counted from.
    pub before: CreateLead,
    /// What the form held before, given back when the editing ends.
    pub previous: Option<Box<Form>>,
    /// The form as the lead opened in it: what differs is a change not saved yet.
    pub opened: crate::lead::LeadDraft,
    /// Leaving with unsaved changes was warned of once: the next Esc or quit goes through.
    pub warned: bool,
}

/// A change on its way or waiting to be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeTurn {
    /// Its request is under way.
    Running,
    /// Left open: sent again at this time.
    Due(Instant),
}

/// Why `entry` cannot be changed now, if it cannot.
pub fn why_not_changed(entry: &LeadEntry) -> Option<&'static str> {
    if entry.is_deleted() {
        Some("it was taken back already")
    } else if entry.status != Status::Created || entry.lead_id.is_none() {
        Some("only a lead the server created can be changed")
    } else if entry.changes().iter().any(|c| c.status.is_open()) {
        Some("a change of it is still on its way")
    } else {
        None
    }
}

impl App {
    /// Opens the selected lead in the form to fix it.
    pub(super) fn ask_fix(&mut self) {
        let Some(entry) = self.history.selected_entry() else {
            self.notify(Level::Info, "No lead to fix: select one in the history (F3)");
            return;
        };
        if let Some(why_not) = why_not_changed(entry) {
            let phone = entry.request.phone_number.clone();
            self.notify(Level::Info, format!("{phone}: {why_not}"));
            return;
        }
        let (local_id, before) = (entry.local_id, entry.request.clone());
        let lead_id = LeadId::from(entry.lead_id.as_deref().unwrap_or_default());
        // The fix the server refused last comes back, to correct and send again: nothing typed is
        // lost to a refusal.
        let refused = entry.changes().last().filter(|c| c.status == ChangeStatus::Rejected).and_then(|c| {
            match &c.change {
                Change::Update(update) => Some((update.clone(), c.error.as_ref().map(|e| e.message.clone()))),
                Change::Delete => None,
            }
        });
        let mut shown = before.clone();
        if let Some((update, _)) = &refused {
            update.apply_to(&mut shown);
        }
        let previous = match self.entry.editing.take() {
            Some(editing) => editing.previous,
            None => self.entry.form.has_content().then(|| {
                let mut kept = self.entry.form.clone();
                kept.errors.clear();
                Box::new(kept)
            }),
        };
        self.entry.form = Form::from_request(&shown);
        self.entry.picker = None;
        self.entry.loaded_form = None;
        let opened = self.entry.form.draft();
        self.entry.editing =
            Some(Editing { local_id, lead_id: lead_id.clone(), before, previous, opened, warned: false });
        self.set_focus(Focus::Phone);
        let mut text =
            format!("Editing lead #{lead_id}: Ctrl-S saves what you change, Esc leaves it as it is");
        if let Some((_, why)) = refused {
            let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
            text.push_str(&format!(". The change the server refused is filled in{why}"));
        }
        self.notify(Level::Info, text);
    }

    /// Ctrl-S while editing: writes the `change` record and sends what changed.
    pub(super) fn submit_fix(&mut self) -> Vec<Effect> {
        let Some(editing) = self.entry.editing.clone() else { return vec![] };
        let id = &editing.lead_id;
        let Some(after) = self.checked_form("Not saved") else { return vec![] };
        let update = UpdateLead::between(&editing.before, &after);
        let kept_as_is = if after.secondary_contacts == editing.before.secondary_contacts {
            ""
        } else {
            " (secondary contacts cannot be changed once a lead is created: they stay as they were)"
        };
        if update.is_empty() {
            self.notify(
                Level::Info,
                format!("Nothing changed in lead #{id}{kept_as_is}; Esc leaves it as it is"),
            );
            return vec![];
        }
        // Moved onto a phone the campaign already holds: the server would refuse it, or keep two.
        if (update.phone_number.is_some() || update.campaign_id.is_some()) && !self.entry.form.allow_duplicate
        {
            let (phone, campaign) = (after.phone_number.as_str(), after.campaign_id);
            let here = self
                .history
                .lead_ids_for(phone, campaign, editing.local_id)
                .into_iter()
                .find(|other| other.as_str() != id.as_str());
            let theirs = match self.team.known(&(phone.to_owned(), campaign), self.now) {
                Some(super::team::Known::Present(lead)) if lead.id != *id => Some(lead.id.to_string()),
                _ => None,
            };
            if let Some(other) = here.map(|i| i.to_string()).or(theirs) {
                self.set_focus(Focus::Phone);
                self.notify(
                    Level::Error,
                    format!("Not saved: campaign #{campaign} already holds {phone} as lead #{other}"),
                );
                return vec![];
            }
        }
        let clock = self.clock;
        let Some(entry) = self.history.get_mut(&editing.local_id) else { return vec![] };
        if let Some(why_not) = why_not_changed(entry) {
            self.notify(Level::Error, format!("Not saved: {why_not}"));
            return vec![];
        }
        let change_id = ChangeId::new();
        let change = Change::Update(update.clone());
        entry.begin_change(change_id, change.clone(), clock);
        let target = Target {
            id: id.clone(),
            phone: entry.request.phone_number.to_string(),
            campaign: entry.request.campaign_id,
        };
        let record = change_record(editing.local_id, change_id, change.clone(), clock);
        self.end_editing();
        self.notify(Level::Info, format!("Saving lead #{id}: {}{kept_as_is}…", update.summary()));
        self.history.refilter_if_filtered();
        self.changes_running.insert(change_id, (editing.local_id, ChangeTurn::Running));
        vec![Effect::Change { local_id: editing.local_id, change_id, change, target, record, resumed: None }]
    }

    /// Whether leaving the editing now would lose changes, warning of it the first time (the
    /// second time it goes through): `leave` says how to leave anyway.
    pub(super) fn warn_unsaved_fix(&mut self, leave: &str) -> bool {
        let draft = self.entry.form.draft();
        let Some(editing) = &mut self.entry.editing else { return false };
        if editing.warned || draft == editing.opened {
            return false;
        }
        editing.warned = true;
        let id = editing.lead_id.clone();
        let save = crate::keymap::form_key(super::Action::Submit);
        self.notify(
            Level::Error,
            format!("Your changes to lead #{id} are not saved: {save} saves them, {leave}"),
        );
        true
    }

    /// Esc while editing: the lead stays as it is (changes not saved are warned of first).
    pub(super) fn cancel_fix(&mut self) {
        if self.warn_unsaved_fix("Esc again leaves them") {
            return;
        }
        let Some(editing) = &self.entry.editing else { return };
        let id = editing.lead_id.clone();
        self.end_editing();
        self.notify(Level::Info, format!("Lead #{id} left as it is; nothing was sent"));
    }

    /// Leaves editing: the form goes back to what was typed before (or empty).
    fn end_editing(&mut self) {
        let Some(editing) = self.entry.editing.take() else { return };
        if let Some(previous) = editing.previous {
            self.entry.form = *previous;
        } else {
            self.entry.form.clear_for_next();
            self.prefill_rows();
        }
        self.entry.form.errors.clear();
        self.entry.picker = None;
        self.set_focus(Focus::Phone);
    }

    /// Takes note of the changes a history just loaded leaves open (by a run that ended): they
    /// are sent again at once.
    pub(super) fn note_open_changes(&mut self) {
        let now = self.now;
        let open: Vec<(ChangeId, LocalId)> = self
            .history
            .peeks()
            // A lead with changes is never packed: only those are made here.
            .filter(|peek| peek.lead_id.is_some() && peek.changes)
            .filter_map(|peek| self.history.get(&peek.local_id))
            .flat_map(|e| e.changes().iter().filter(|c| c.status.is_open()).map(|c| (c.id, e.local_id)))
            .collect();
        for (change_id, local_id) in open {
            self.changes_running.entry(change_id).or_insert((local_id, ChangeTurn::Due(now)));
        }
    }

    /// The changes left open whose time has come, sent again.
    pub(super) fn resume_changes(&mut self) -> Vec<Effect> {
        let now = self.now;
        let due: Vec<(ChangeId, LocalId)> = self
            .changes_running
            .iter()
            .filter(|(_, (_, turn))| matches!(turn, ChangeTurn::Due(at) if *at <= now))
            .map(|(change_id, (local_id, _))| (*change_id, *local_id))
            .collect();
        let clock = self.clock;
        let mut effects = Vec::new();
        for (change_id, local_id) in due {
            let found = self.history.get_mut(&local_id).and_then(|entry| {
                let id = entry.lead_id.clone()?;
                let change = entry.changes().iter().find(|c| c.id == change_id && c.status.is_open())?;
                let (change, status) = (change.change.clone(), change.status);
                let target = Target {
                    id,
                    phone: entry.request.phone_number.to_string(),
                    campaign: entry.request.campaign_id,
                };
                entry.begin_change(change_id, change.clone(), clock);
                Some((change, status, target))
            });
            let Some((change, status, target)) = found else {
                self.changes_running.remove(&change_id);
                continue;
            };
            self.changes_running.insert(change_id, (local_id, ChangeTurn::Running));
            let record = change_record(local_id, change_id, change.clone(), clock);
            effects.push(Effect::Change {
                local_id,
                change_id,
                change,
                target,
                record,
                resumed: Some(status),
            });
        }
        effects
    }

    /// When to wake for the changes: one left open is due again, or one under way turns the
    /// row's spinner.
    pub(super) fn next_change_wake(&self, now: Instant) -> Option<Instant> {
        const SPINNER: Duration = Duration::from_millis(120);
        self.changes_running
            .values()
            .map(|(_, turn)| match turn {
                ChangeTurn::Due(at) => (*at).max(now),
                ChangeTurn::Running => now + SPINNER,
            })
            .min()
    }
}

/// The `change` record: written before each request of the change (again before a re-send).
fn change_record(local_id: LocalId, change_id: ChangeId, change: Change, at: jiff::Timestamp) -> Record {
    Record {
        v: crate::history::record::SCHEMA_VERSION,
        local_id,
        at,
        run: None,
        event: Event::Change { change_id, change },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{LeadError, Outcome};
    use crate::model::kit::{act, type_text};
    use crate::model::{Action, AppOptions, Msg};

    /// An app whose history holds lead #1001 (+14155550100 in campaign 12, customer_name Ada
    /// Lovlace), created, and the history selected.
    fn app_with_created() -> (App, LocalId) {
        let (mut app, _) = App::new(AppOptions { campaign: Some(12), ..AppOptions::default() });
        let request = CreateLead {
            phone_number: "+14155550100".into(),
            campaign_id: 12,
            variables: [("customer_name".to_owned(), "Ada Lovlace".to_owned())].into(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        let local_id = LocalId::new();
        let mut entry = LeadEntry::new(local_id, jiff::Timestamp::UNIX_EPOCH, request);
        let outcome = Outcome { status: Status::Created, lead_id: Some("1001".into()), ..Outcome::default() };
        entry.apply(outcome, jiff::Timestamp::UNIX_EPOCH);
        app.update(Msg::HistoryLoaded { entries: vec![entry].into(), problems: vec![], end: 0 });
        (app, local_id)
    }

    fn changes(effects: &[Effect]) -> Vec<(Change, Option<ChangeStatus>)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Change { change, resumed, .. } => Some((change.clone(), *resumed)),
                _ => None,
            })
            .collect()
    }

    fn set_name(app: &mut App, name: &str) {
        app.set_focus(Focus::VarValue(0));
        app.entry.form.variables[0].value.set_text("");
        type_text(app, name);
    }

    #[test]
    fn a_fix_sends_only_what_changed_and_the_list_shows_the_lead_as_it_now_is() {
        let (mut app, local_id) = app_with_created();
        // Something half typed in the form: it comes back after the fix.
        type_text(&mut app, "+49 170 1234567");
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        let editing = app.entry.editing.as_ref().expect("editing");
        assert_eq!(editing.lead_id.as_str(), "1001");
        assert_eq!(app.entry.form.phone.text(), "+14155550100");
        assert!(app.notice.as_ref().unwrap().text.contains("Editing lead #1001"), "{:?}", app.notice);
        assert_eq!(app.focus, Focus::Phone);

        // Saved untouched: nothing to send.
        assert!(changes(&act(&mut app, Action::Submit)).is_empty());
        assert!(app.notice.as_ref().unwrap().text.contains("Nothing changed"), "{:?}", app.notice);

        set_name(&mut app, "Ada Lovelace");
        let effects = act(&mut app, Action::Submit);
        let expected = UpdateLead {
            variables: Some([("customer_name".to_owned(), "Ada Lovelace".to_owned())].into()),
            ..UpdateLead::default()
        };
        assert_eq!(changes(&effects), [(Change::Update(expected.clone()), None)]);
        let Some(Effect::Change { change_id, record, target, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        assert_eq!(target.id.as_str(), "1001");
        assert_eq!(record.event, Event::Change { change_id: *change_id, change: Change::Update(expected) });
        // The form is back to what was being typed; the row says the fix is on its way.
        assert!(app.entry.editing.is_none());
        assert_eq!(app.entry.form.phone.text(), "+49 170 1234567");
        assert!(app.history.get(&local_id).unwrap().changes()[0].status.is_open());
        // Asked again while it is on its way: not twice.
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        assert!(app.entry.editing.is_none());

        app.update(Msg::change_ended(local_id, *change_id, ChangeStatus::Done, None));
        let entry = app.history.get(&local_id).unwrap();
        assert_eq!(entry.request.variables.get("customer_name"), Some("Ada Lovelace"));
        assert!(app.notice.as_ref().unwrap().text.contains("saved"), "{:?}", app.notice);
        assert!(app.changes_running.is_empty());
    }

    #[test]
    fn esc_leaves_the_lead_as_it_is_and_gives_the_form_back() {
        let (mut app, local_id) = app_with_created();
        type_text(&mut app, "+49 170 1234567");
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        set_name(&mut app, "Somebody else");
        app.set_focus(Focus::Phone);
        // Changes not saved: warned first, the fix still in the form.
        assert!(changes(&act(&mut app, Action::Close)).is_empty());
        assert!(app.entry.editing.is_some());
        assert!(app.notice.as_ref().unwrap().text.contains("not saved"), "{:?}", app.notice);
        // Quitting is warned of too (once): the second Esc leaves.
        assert!(changes(&act(&mut app, Action::Close)).is_empty());
        assert!(app.entry.editing.is_none());
        assert_eq!(app.entry.form.phone.text(), "+49 170 1234567");
        assert!(app.history.get(&local_id).unwrap().changes().is_empty());
        assert!(app.notice.as_ref().unwrap().text.contains("left as it is"));
    }

    #[test]
    fn quitting_with_a_fix_not_saved_is_warned_of_once() {
        let (mut app, _) = app_with_created();
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        // Untouched: nothing to lose, quits at once.
        act(&mut app, Action::Quit);
        assert!(app.should_quit());
        let (mut app, _) = app_with_created();
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        set_name(&mut app, "Ada Lovelace");
        act(&mut app, Action::Quit);
        assert!(!app.should_quit(), "warned first");
        assert!(app.notice.as_ref().unwrap().text.contains("quits without them"), "{:?}", app.notice);
        act(&mut app, Action::Quit);
        assert!(app.should_quit());
    }

    #[test]
    fn moving_a_lead_onto_a_phone_its_campaign_holds_is_refused() {
        let (mut app, _) = app_with_created();
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        app.entry.form.phone.set_text("+14155550199");
        // A colleague's lead has that phone in campaign 12.
        let theirs = crate::api::types::Lead { id: "2002".into(), ..Default::default() };
        app.update(Msg::TeamChecked { phone: "+14155550199".into(), campaign: 12, result: Ok(Some(theirs)) });
        assert!(changes(&act(&mut app, Action::Submit)).is_empty());
        assert!(app.notice.as_ref().unwrap().text.contains("#2002"), "{:?}", app.notice);
        assert!(app.entry.editing.is_some(), "the fix stays in the form to correct");
        // With Allow duplicate ticked, it goes.
        app.entry.form.allow_duplicate = true;
        assert_eq!(changes(&act(&mut app, Action::Submit)).len(), 1);
        let (mut app, local_id) = app_with_created();
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        // Its own lead is no warning: the team check finds the lead being fixed.
        app.entry.form.phone.set_text("+14155550100");
        let own = crate::api::types::Lead { id: "1001".into(), ..Default::default() };
        app.update(Msg::TeamChecked { phone: "+14155550100".into(), campaign: 12, result: Ok(Some(own)) });
        assert!(app.team_known().is_none());
        assert!(app.history.get(&local_id).unwrap().changes().is_empty());
    }

    #[test]
    fn a_refused_fix_comes_back_into_the_form_and_one_left_open_is_sent_again() {
        let (mut app, local_id) = app_with_created();
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        app.entry.form.phone.set_text("+1 415 555 0111");
        let effects = act(&mut app, Action::Submit);
        let Some(Effect::Change { change_id, change, .. }) = effects.first() else { panic!("{effects:?}") };
        let Change::Update(update) = change else { panic!("{change:?}") };
        assert_eq!(update.phone_number.as_deref(), Some("+14155550111"), "E.164, as created");
        assert_eq!(update.variables, None, "the variables did not change");
        let error = LeadError {
            kind: crate::api::ErrorKind::Rejected,
            message: "The phone number is invalid.".into(),
            http_status: Some(422),
            fields: Default::default(),
        };
        app.update(Msg::change_ended(local_id, *change_id, ChangeStatus::Rejected, Some(error)));
        assert!(app.notice.as_ref().unwrap().text.contains("not changed"), "{:?}", app.notice);
        assert_eq!(app.history.get(&local_id).unwrap().request.phone_number, "+14155550100");
        // f again: the refused change is in the form.
        app.set_focus(Focus::History);
        act(&mut app, Action::FixLead);
        assert_eq!(app.entry.form.phone.text(), "+14155550111");
        assert!(app.notice.as_ref().unwrap().text.contains("refused"), "{:?}", app.notice);

        // Sent again, and this time left open (no answer): due again after a while.
        app.entry.form.phone.set_text("+14155550122");
        let effects = act(&mut app, Action::Submit);
        let Some(Effect::Change { change_id, .. }) = effects.first() else { panic!("{effects:?}") };
        let change_id = *change_id;
        app.update(Msg::change_ended(local_id, change_id, ChangeStatus::Unknown, None));
        assert!(changes(&app.update(Msg::Tick)).is_empty(), "not at once");
        let wake = app.next_wake(app.now).expect("a wake for it");
        assert!(wake <= app.now + RETRY_OPEN_CHANGE);
        app.now += RETRY_OPEN_CHANGE;
        let again = changes(&app.update(Msg::Tick));
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!(again[0].1, Some(ChangeStatus::Unknown), "taken up again as it was left");
        assert!(changes(&app.update(Msg::Tick)).is_empty(), "once");
    }

    #[test]
    fn changes_a_finished_run_left_open_are_sent_again_at_start() {
        let (mut app, _) = App::new(AppOptions::default());
        let mut entry = {
            let (app, id) = app_with_created();
            app.history.get(&id).unwrap().clone()
        };
        let change_id = ChangeId::new();
        entry.begin_change(change_id, Change::Delete, jiff::Timestamp::UNIX_EPOCH);
        entry.end_change(change_id, ChangeStatus::Unknown, None, jiff::Timestamp::UNIX_EPOCH);
        let effects =
            app.update(Msg::HistoryLoaded { entries: vec![entry].into(), problems: vec![], end: 0 });
        assert_eq!(changes(&effects), [(Change::Delete, Some(ChangeStatus::Unknown))]);
        assert!(changes(&app.update(Msg::Tick)).is_empty(), "once");
    }
}
