//! A lead's way from the form to the server and back into the history, as a phase per local id:
//! saved to disk first, then sent, then its result saved, and only then reported. Answers that do
//! not match the phase their lead is in (late, repeated, or for another lead) change nothing.

use jiff::Timestamp;

use super::{Action, App, Connection, Effect, Focus, Level, Overlay};
use crate::api::types::{CreateLead, Created};
use crate::api::{ApiError, ErrorKind};
use crate::history::{LeadEntry, LeadError, LocalId, Outcome, Record, Status};
use crate::lead;

/// Where a lead on its way is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Its `submitted` record is being written; nothing is sent before that ends.
    Saving,
    /// The request is under way.
    Sending,
    /// The answer came; its record is being written before the user is told.
    SavingResult(Box<Outcome>),
}

impl Phase {
    /// A word for the history row.
    pub fn label(&self) -> &'static str {
        match self {
            Phase::Saving => "saving",
            Phase::Sending => "sending",
            Phase::SavingResult(_) => "saving",
        }
    }
}

/// The duplicate guard's question: this phone was already created in this campaign.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicatePrompt {
    /// The lead waiting for the answer.
    pub request: CreateLead,
    /// When the earlier lead was submitted.
    pub created_at: Timestamp,
    /// The earlier lead's server id.
    pub lead_id: Option<String>,
}

impl App {
    /// Validates the form; when it is good, asks first if the phone was already created in this
    /// campaign (unless duplicates are allowed), then records the lead and clears the form at
    /// once. The request starts only once the record is on disk (see `appended`).
    pub(super) fn submit(&mut self) -> Vec<Effect> {
        let request = match lead::validate(&self.form.draft(), self.region) {
            Ok(request) => request,
            Err(errors) => {
                self.form.set_errors(&errors);
                let first = &errors[0];
                self.set_focus(Focus::of_path(first.field));
                self.notify(Level::Error, format!("Not sent: {first}"));
                return vec![];
            }
        };
        if !request.allow_dupplicate
            && let Some(earlier) = self.history.created_with(&request.phone_number, request.campaign_id)
        {
            let prompt = DuplicatePrompt {
                created_at: earlier.submitted_at,
                lead_id: earlier.lead_id.clone(),
                request,
            };
            self.overlay = Some(Overlay::Duplicate(Box::new(prompt)));
            return vec![];
        }
        self.send_new(request)
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
        let local_id = LocalId::new();
        let campaign = request.campaign_id;
        let record = Record::submitted(local_id, request.clone(), "tui");
        self.history.push(LeadEntry::new(local_id, record.at, request));
        self.in_flight.insert(local_id, Phase::Saving);
        self.form.clear_for_next();
        self.set_focus(Focus::Phone);
        vec![Effect::Append(record), Effect::RememberCampaign(campaign)]
    }

    /// A record reached the disk (or could not).
    pub(super) fn appended(
        &mut self,
        local_id: LocalId,
        submitted: bool,
        result: Result<(), String>,
    ) -> Vec<Effect> {
        let effects = match (self.in_flight.get(&local_id), submitted) {
            (Some(Phase::Saving), true) => self.saved_submission(local_id, result),
            (Some(Phase::SavingResult(_)), false) => {
                let Some(Phase::SavingResult(outcome)) = self.in_flight.remove(&local_id) else {
                    unreachable!("matched just above")
                };
                self.settle(local_id, *outcome, result);
                vec![]
            }
            _ => vec![],
        };
        self.quit_if_settled();
        effects
    }

    fn saved_submission(&mut self, local_id: LocalId, result: Result<(), String>) -> Vec<Effect> {
        match result {
            Ok(()) => {
                let Some(entry) = self.history.get(&local_id) else {
                    self.in_flight.remove(&local_id);
                    return vec![];
                };
                let request = entry.request.clone();
                self.in_flight.insert(local_id, Phase::Sending);
                vec![Effect::Send { local_id, request }]
            }
            Err(reason) => {
                self.in_flight.remove(&local_id);
                let message = format!("not sent: the history could not be written ({reason})");
                if let Some(entry) = self.history.get_mut(&local_id) {
                    let error = LeadError {
                        kind: ErrorKind::Storage,
                        message: message.clone(),
                        http_status: None,
                        fields: Default::default(),
                    };
                    let outcome =
                        Outcome { status: Status::Failed, error: Some(error), ..Outcome::default() };
                    entry.apply(outcome, Timestamp::now());
                }
                self.notify(Level::Error, format!("Lead {message}"));
                vec![]
            }
        }
    }

    /// The API answered: the result is written before anyone is told.
    pub(super) fn sent(&mut self, local_id: LocalId, result: Result<Created, ApiError>) -> Vec<Effect> {
        if self.in_flight.get(&local_id) != Some(&Phase::Sending) {
            // Not ours, or already answered: a late or repeated answer changes nothing.
            return vec![];
        }
        self.connection = match &result {
            Err(e) if e.kind() == ErrorKind::Unreachable => Connection::Offline,
            _ => Connection::Online,
        };
        let outcome = Outcome::from_result(&result);
        self.in_flight.insert(local_id, Phase::SavingResult(Box::new(outcome.clone())));
        vec![Effect::Append(Record::outcome(local_id, outcome))]
    }

    /// Applies a saved (or unsaveable) result to its row and tells the user.
    fn settle(&mut self, local_id: LocalId, outcome: Outcome, saved: Result<(), String>) {
        let Some(entry) = self.history.get_mut(&local_id) else { return };
        entry.apply(outcome.clone(), Timestamp::now());
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
            (Status::Created, _) => self.notify(
                Level::Info,
                format!("Created {phone} (lead #{})", outcome.lead_id.as_deref().unwrap_or("?")),
            ),
            (status, Some(error)) => {
                self.notify(Level::Error, format!("{phone} {}: {}", status.as_str(), error.message))
            }
            (status, None) => self.notify(Level::Info, format!("{phone} {}", status.as_str())),
        }
    }

    /// Quits now when nothing is on its way; otherwise waits for it, and a second request quits
    /// at once (what was saved stays in the history as pending).
    pub(super) fn request_quit(&mut self) {
        if self.in_flight.is_empty() || self.quit_pending {
            self.quit = true;
            return;
        }
        self.quit_pending = true;
        let n = self.in_flight.len();
        self.notify(
            Level::Info,
            format!(
                "Finishing {n} lead{} on the way… press Ctrl-Q again to quit now (it stays pending in the history)",
                if n == 1 { "" } else { "s" }
            ),
        );
    }

    fn quit_if_settled(&mut self) {
        if self.quit_pending && self.in_flight.is_empty() {
            self.quit = true;
        }
    }
}
