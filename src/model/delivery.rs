//! A lead's way from the form to the server and back into the history: one
//! [`Delivery`](crate::delivery::engine::Delivery) per local id, fed the answers as they come,
//! whose commands become effects here. Saved to disk first, then sent, then its result saved,
//! and only then reported. Answers that do not fit the phase their lead is in (late, repeated,
//! or for another lead) change nothing.

use jiff::Timestamp;

use super::{Action, App, Connection, Effect, Focus, Level, Overlay};
use crate::api::types::{CreateLead, Created, Lead};
use crate::api::{ApiError, ErrorKind};
use crate::delivery::engine::{Command, Delivery, Event, Phase};
use crate::history::{HistoryError, LeadEntry, LocalId, Outcome, Record, Status};
use crate::lead;

/// The duplicate guard's question: this phone was already created in this campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicatePrompt {
    /// The lead waiting for the answer.
    pub request: CreateLead,
    /// When the earlier lead was submitted.
    pub created_at: Timestamp,
    /// The earlier lead's server id.
    pub lead_id: Option<crate::api::types::LeadId>,
    /// Whether the earlier lead is someone else's (the server has it, this history does not).
    pub theirs: bool,
}

impl App {
    /// Validates the form; when it is good, asks first if the phone was already created in this
    /// campaign (unless duplicates are allowed), then records the lead and clears the form at
    /// once. The request starts only once the record is on disk (see `appended`).
    pub(super) fn submit(&mut self) -> Vec<Effect> {
        if self.entry.editing.is_some() {
            return self.submit_fix();
        }
        if self.review_edit.is_some() {
            self.put_row_back();
            return vec![];
        }
        let Some(request) = self.checked_form("Not sent") else { return vec![] };
        // Created before, or still on its way (its outcome not known yet): asked either way.
        let phone = request.phone_number.to_string();
        if !request.allow_dupplicate
            && let Some(earlier) = match self.history.created_with(&phone, request.campaign_id) {
                Some(created) => Some(created),
                None => self.history.open_with(&phone, request.campaign_id),
            }
        {
            let prompt = DuplicatePrompt {
                created_at: earlier.submitted_at,
                lead_id: earlier.lead_id.clone(),
                request,
                theirs: false,
            };
            self.open_overlay(Overlay::Duplicate(Box::new(prompt)));
            return vec![];
        }
        // The team's: the server holds the phone though this history does not.
        if !request.allow_dupplicate
            && let Some(super::team::Known::Present(lead)) =
                self.team.known(&(request.phone_number.to_string(), request.campaign_id), self.now)
        {
            let created_at = lead.created_at.as_deref().and_then(crate::delivery::parse_server_time);
            let prompt = DuplicatePrompt {
                created_at: created_at.unwrap_or(self.clock),
                lead_id: Some(lead.id.clone()),
                request,
                theirs: true,
            };
            self.open_overlay(Overlay::Duplicate(Box::new(prompt)));
            return vec![];
        }
        self.send_new(request)
    }

    /// The form as a lead, checked; when a field is wrong, it gets the focus and the notice
    /// says why, after `refused` ("Not sent").
    pub(super) fn checked_form(&mut self, refused: &str) -> Option<CreateLead> {
        match lead::validate(&self.entry.form.draft_to_send(), self.region) {
            Ok(request) => Some(request),
            Err(errors) => {
                self.entry.form.set_errors(&errors);
                let first = &errors[0];
                self.set_focus(Focus::of_path(first.field));
                self.notify(Level::Error, format!("{refused}: {first}"));
                None
            }
        }
    }

    /// The duplicate guard's answer: send as it is, send with Allow duplicate on, or stop (the
    /// form is left as it was).
    pub(super) fn answer_duplicate(&mut self, action: Action) -> Vec<Effect> {
        let Some(Overlay::Duplicate(prompt)) = self.overlay.take() else { return vec![] };
        let mut request = prompt.request;
        match action {
            Action::Activate => self.send_new(request),
            Action::AllowDuplicate => {
                request.allow_dupplicate = true;
                self.send_new(request)
            }
            _ => {
                self.notify(Level::Info, "Not sent; the form is as you left it");
                vec![]
            }
        }
    }

    /// Records a checked lead and clears the form for the next one.
    fn send_new(&mut self, request: CreateLead) -> Vec<Effect> {
        let (local_id, effect) = self.enqueue(request, "tui");
        // Kept until the record is on disk: if it cannot be written, the lead goes back into the
        // form instead of living only in memory.
        self.entry.unsaved_forms.insert(local_id, Box::new(self.entry.form.clone()));
        self.entry.form.clear_for_next();
        self.prefill_rows();
        self.set_focus(Focus::Phone);
        vec![effect]
    }

    /// Puts a checked lead in the history and the outbox; gives its id and the effect that
    /// writes its `submitted` record (it is sent once that is on disk).
    pub(super) fn enqueue(&mut self, request: CreateLead, origin: &str) -> (LocalId, Effect) {
        let local_id = LocalId::new();
        let request_campaign = request.campaign_id;
        let record = Record::submitted(local_id, request.clone(), origin).stamped(self.clock);
        self.history.push(LeadEntry::new(local_id, record.at, request));
        self.outbox.in_flight.insert(local_id, Delivery::submitted(salt(local_id), self.outbox.rules));
        self.learn_layout(request_campaign);
        (local_id, Effect::Append(record))
    }

    /// A record reached the disk (or could not).
    pub(super) fn appended(
        &mut self,
        local_id: LocalId,
        submitted: bool,
        result: Result<(), HistoryError>,
    ) -> Vec<Effect> {
        let Some(delivery) = self.outbox.in_flight.get(&local_id) else { return vec![] };
        match (&delivery.phase, submitted) {
            (Phase::Saving, true) => {
                let ok = result.is_ok();
                self.saved_submission(local_id, result);
                self.feed(local_id, Event::Saved { ok })
            }
            (Phase::Recording { outcome, .. }, false) => {
                let outcome = outcome.as_ref().clone();
                // The campaign of a lead the server created is the one to start in next time (a
                // campaign id the server refused is not remembered).
                let created = outcome.status == Status::Created && result.is_ok();
                self.settle(local_id, outcome, result);
                let mut effects = self.feed(local_id, Event::Saved { ok: true });
                if created && let Some(entry) = self.history.get(&local_id) {
                    effects.push(Effect::RememberCampaign(entry.request.campaign_id));
                }
                effects
            }
            // Not the record this lead waits for.
            _ => vec![],
        }
    }

    /// Feeds what happened to a lead's delivery and carries out what it asks for next.
    pub(super) fn feed(&mut self, local_id: LocalId, event: Event) -> Vec<Effect> {
        let Some(command) = self.outbox.on(local_id, event, self.now) else { return vec![] };
        self.carry_out(local_id, command)
    }

    /// Turns a delivery's command into effects. Waiting for a slot, a time or a key needs none:
    /// `pump` and the key prompt give those.
    fn carry_out(&mut self, local_id: LocalId, command: Command) -> Vec<Effect> {
        match command {
            Command::Nothing | Command::Queue | Command::Wait(_) | Command::NeedKey => vec![],
            Command::Finished => {
                self.outbox.in_flight.remove(&local_id);
                vec![]
            }
            Command::Record(outcome) => {
                vec![Effect::Append(Record::outcome(local_id, *outcome).stamped(self.clock))]
            }
            Command::Send => match self.history.get(&local_id) {
                Some(entry) => vec![Effect::Send { local_id, request: entry.request.clone() }],
                None => vec![],
            },
            Command::LookUp => match self.history.get(&local_id) {
                Some(entry) => {
                    let request = entry.request.clone();
                    let since = entry.submitted_at;
                    let taken =
                        self.history.lead_ids_for(&request.phone_number, request.campaign_id, local_id);
                    vec![Effect::LookUp { local_id, request, since, taken }]
                }
                None => vec![],
            },
        }
    }

    fn saved_submission(&mut self, local_id: LocalId, result: Result<(), HistoryError>) {
        let typed = self.entry.unsaved_forms.remove(&local_id);
        let Err(reason) = result else { return };
        let message = format!("not sent: the history could not be written ({reason})");
        if let Some(entry) = self.history.get_mut(&local_id) {
            entry.apply(Outcome::failed(ErrorKind::Storage, message.clone()), self.clock);
        }
        let back = match typed {
            // Nothing typed since: the lead is back where it was typed.
            Some(form) if !self.entry.form.has_content() => {
                self.entry.form = *form;
                self.set_focus(Focus::Phone);
                " It is back in the form.".to_owned()
            }
            Some(form) => {
                self.entry.undo_form = Some(form);
                let undo = crate::keymap::form_key(Action::RestoreForm);
                format!(" {undo} brings it back into the form.")
            }
            None => String::new(),
        };
        self.notify(Level::Error, format!("Lead {message}.{back}"));
    }

    /// The API answered a create: the result is written before anyone is told, and the lead
    /// goes on as its delivery says.
    pub(super) fn sent(&mut self, local_id: LocalId, result: Result<Created, ApiError>) -> Vec<Effect> {
        // Not ours, or already answered: a late or repeated answer changes nothing.
        if !self.outbox.in_flight.get(&local_id).is_some_and(|d| d.phase == Phase::Sending) {
            return vec![];
        }
        self.note_reachability(&result);
        if let Err(error) = &result
            && error.is_auth()
        {
            self.key_refused(error);
        }
        self.feed(local_id, Event::Sent(result))
    }

    /// The server was searched for a lead whose outcome was unknown.
    pub(super) fn looked_up(
        &mut self,
        local_id: LocalId,
        result: Result<Option<Lead>, ApiError>,
    ) -> Vec<Effect> {
        if !self.outbox.in_flight.get(&local_id).is_some_and(|d| d.phase == Phase::LookingUp) {
            return vec![];
        }
        self.note_reachability(&result);
        if let Err(error) = &result
            && error.is_auth()
        {
            self.key_refused(error);
        }
        self.feed(local_id, Event::LookedUp(result))
    }

    /// Records a final outcome for a lead that only waits (cancelling).
    pub(super) fn finish_waiting(&mut self, local_id: LocalId, outcome: Outcome) -> Vec<Effect> {
        let Some(delivery) = self.outbox.in_flight.get_mut(&local_id) else { return vec![] };
        let command = delivery.finish_with(outcome);
        self.carry_out(local_id, command)
    }

    fn note_reachability<T>(&mut self, result: &Result<T, ApiError>) {
        self.connection = match result {
            Err(e) if e.kind() == ErrorKind::Unreachable => Connection::Offline,
            _ => Connection::Online,
        };
    }

    /// Applies a saved (or unsaveable) result to its row and tells the user.
    fn settle(&mut self, local_id: LocalId, outcome: Outcome, saved: Result<(), HistoryError>) {
        let settling = self.outbox.in_flight.get(&local_id).and_then(|d| d.settling_left(self.now));
        let Some(entry) = self.history.get_mut(&local_id) else { return };
        entry.apply(outcome.clone(), self.clock);
        let phone = entry.request.phone_number.clone();
        self.history.refilter_if_filtered();
        if let Err(reason) = saved {
            self.notify(
                Level::Error,
                format!(
                    "{phone} {}, but the history could not be written: {reason}",
                    outcome.status.as_str()
                ),
            );
            return;
        }
        match (&outcome.status, &outcome.error) {
            // "Sending again" needs no word: the row says it.
            (Status::Pending, _) => {}
            (Status::Created, _) => {
                self.last_created = Some(local_id);
                let undo = crate::keymap::key_for(super::Action::TakeBack, super::Context::Text)
                    .map(|key| format!(" · {key} takes it back"))
                    .unwrap_or_default();
                self.notify(
                    Level::Info,
                    format!("Created {phone} (lead #{}){undo}", outcome.lead_id.as_deref().unwrap_or("?")),
                );
            }
            (Status::Queued, Some(error)) => {
                self.notify(Level::Error, format!("{phone} queued, will retry: {}", error.message));
            }
            (Status::Unknown, Some(error)) => {
                let wait = settling.map_or(String::new(), |left| {
                    format!(
                        "; the server may still be creating it, so it is looked up for {} s before it is sent again",
                        left.as_secs().max(1)
                    )
                });
                self.notify(Level::Error, format!("{phone}: {}{wait}", error.message));
            }
            (status, Some(error)) => {
                self.notify(Level::Error, format!("{phone} {}: {}", status.as_str(), error.message));
            }
            (status, None) => self.notify(Level::Info, format!("{phone} {}", status.as_str())),
        }
    }

    /// Quits now when nothing is on its way; otherwise waits for it, and a second request quits
    /// at once (what was saved stays in the history as pending).
    pub(super) fn request_quit(&mut self) {
        let quit = crate::keymap::keys_for(super::Action::Quit, self.context());
        if self.warn_unsaved_fix(&format!("{quit} again quits without them")) {
            return;
        }
        let n = self.busy_count();
        if n == 0 || self.quit_pending {
            self.quit = true;
            return;
        }
        self.quit_pending = true;
        let keys = crate::keymap::keys_for(super::Action::Quit, self.context());
        let (leads, them) = if n == 1 { ("lead", "it stays") } else { ("leads", "they stay") };
        self.notify(
            Level::Info,
            format!(
                "Finishing {n} {leads} on the way… {keys} again quits now ({them} open in the history; the next start finishes {})",
                if n == 1 { "it" } else { "them" }
            ),
        );
    }

    /// After a quit was asked for: quits once nothing is under way any more.
    pub(super) fn quit_if_settled(&mut self) {
        if self.quit_pending && self.busy_count() == 0 {
            self.quit = true;
        }
    }
}

impl App {
    /// Leads whose work is under way or about to start; with a refused key, what is ready waits
    /// for a key and is not counted.
    pub(super) fn busy_count(&self) -> usize {
        self.outbox.busy_count(self.key_problem.is_some())
    }
}

/// Spreads the retries of different leads apart.
pub(super) fn salt(id: LocalId) -> u64 {
    id.0.as_u64_pair().1
}
