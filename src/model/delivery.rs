//! A lead's way from the form to the server and back into the history, as a phase per local id:
//! saved to disk first, then sent, then its result saved, and only then reported. Answers that do
//! not match the phase their lead is in (late, repeated, or for another lead) change nothing.

use std::time::Instant;

use jiff::Timestamp;

use super::{Action, App, Connection, Effect, Focus, Level, Overlay};
use crate::api::types::{CreateLead, Created, Lead};
use crate::api::{ApiError, ErrorKind};
use crate::delivery::{self, Next as DeliveryNext};
use crate::history::{LeadEntry, LeadError, LocalId, Outcome, Record, Status};
use crate::lead;

/// What a lead waiting its turn will do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the create request.
    Send,
    /// Look the lead up on the server first (its last outcome is unknown).
    LookUp,
}

/// Where a lead on its way is. `tries` counts the create requests sent so far.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Its `submitted` record is being written; nothing is sent before that ends.
    Saving,
    /// Waiting for a free request slot.
    Ready {
        /// What it will do.
        next: Step,
        /// Sends so far.
        tries: u32,
    },
    /// The create request is under way.
    Sending {
        /// Sends so far, this one included.
        tries: u32,
    },
    /// The lead is being looked up on the server.
    LookingUp {
        /// Sends so far.
        tries: u32,
    },
    /// An answer came; its record is being written before the user is told. Then the lead
    /// goes on as `after` says, or is settled when there is nothing after.
    SavingResult {
        /// What the answer means.
        outcome: Box<Outcome>,
        /// Where the lead goes next.
        after: Option<Box<Phase>>,
    },
    /// Queued: waits until `until` (connection failure backoff, or the server's Retry-After).
    Waiting {
        /// When it may go.
        until: Instant,
        /// What it will do then.
        next: Step,
        /// Sends so far.
        tries: u32,
    },
    /// The key was refused: waits for a key that works.
    Paused {
        /// What it will do then.
        next: Step,
        /// Sends so far.
        tries: u32,
    },
}

impl Phase {
    /// A word for the history row.
    pub fn label(&self) -> &'static str {
        match self {
            Phase::Saving | Phase::SavingResult { .. } => "saving",
            Phase::Sending { .. } => "sending",
            Phase::LookingUp { .. } => "checking",
            Phase::Ready { .. } => "next",
            Phase::Waiting { next: Step::Send, .. } => "queued",
            Phase::Waiting { next: Step::LookUp, .. } => "unknown",
            Phase::Paused { .. } => "needs key",
        }
    }

    /// Whether work is under way or about to start (quitting waits for it); leads that wait for
    /// a retry or a key are resumed at the next start instead.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Phase::Saving
                | Phase::Ready { .. }
                | Phase::Sending { .. }
                | Phase::LookingUp { .. }
                | Phase::SavingResult { .. }
        )
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
        let request = match lead::validate(&self.form.draft_to_send(), self.region) {
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
                lead_id: earlier.lead_id.as_deref().map(String::from),
                request,
            };
            self.open_overlay(Overlay::Duplicate(Box::new(prompt)));
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
        let request_campaign = request.campaign_id;
        let record = Record::submitted(local_id, request.clone(), "tui").stamped(self.clock);
        self.history.push(LeadEntry::new(local_id, record.at, request));
        self.in_flight.insert(local_id, Phase::Saving);
        self.learn_layout(request_campaign);
        // Kept until the record is on disk: if it cannot be written, the lead goes back into the
        // form instead of living only in memory.
        self.unsaved_forms.insert(local_id, Box::new(self.form.clone()));
        self.form.clear_for_next();
        self.prefill_rows();
        self.set_focus(Focus::Phone);
        vec![Effect::Append(record)]
    }

    /// A record reached the disk (or could not).
    pub(super) fn appended(
        &mut self,
        local_id: LocalId,
        submitted: bool,
        result: Result<(), String>,
    ) -> Vec<Effect> {
        match (self.in_flight.remove(&local_id), submitted) {
            (Some(Phase::Saving), true) => self.saved_submission(local_id, result),
            (Some(Phase::SavingResult { outcome, after }), false) => {
                // The campaign of a lead the server created is the one to start in next time (a
                // campaign id the server refused is not remembered).
                let created = outcome.status == Status::Created && result.is_ok();
                self.settle(local_id, *outcome, result);
                if let Some(after) = after {
                    self.in_flight.insert(local_id, *after);
                }
                if created && let Some(entry) = self.history.get(&local_id) {
                    return vec![Effect::RememberCampaign(entry.request.campaign_id)];
                }
            }
            // Not the record this lead waits for: put its phase back as it was.
            (Some(phase), _) => {
                self.in_flight.insert(local_id, phase);
            }
            (None, _) => {}
        }
        vec![]
    }

    fn saved_submission(&mut self, local_id: LocalId, result: Result<(), String>) {
        let typed = self.unsaved_forms.remove(&local_id);
        match result {
            Ok(()) => {
                if self.history.get(&local_id).is_some() {
                    self.in_flight.insert(local_id, Phase::Ready { next: Step::Send, tries: 0 });
                }
            }
            Err(reason) => {
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
                    entry.apply(outcome, self.clock);
                }
                let back = match typed {
                    // Nothing typed since: the lead is back where it was typed.
                    Some(form) if !self.form.has_content() => {
                        self.form = *form;
                        self.set_focus(Focus::Phone);
                        " It is back in the form.".to_owned()
                    }
                    Some(form) => {
                        self.undo_form = Some(form);
                        let undo = crate::keymap::form_key(Action::RestoreForm);
                        format!(" {undo} brings it back into the form.")
                    }
                    None => String::new(),
                };
                self.notify(Level::Error, format!("Lead {message}.{back}"));
            }
        }
    }

    /// The API answered a create: the result is written before anyone is told, and the lead
    /// goes on as the failure allows (see `crate::delivery`).
    pub(super) fn sent(&mut self, local_id: LocalId, result: Result<Created, ApiError>) -> Vec<Effect> {
        let Some(&Phase::Sending { tries }) = self.in_flight.get(&local_id) else {
            // Not ours, or already answered: a late or repeated answer changes nothing.
            return vec![];
        };
        self.note_reachability(&result);
        let (outcome, after) = match &result {
            Ok(_) => (Outcome::from_result(&result), None),
            Err(error) => match delivery::next_after(error, tries, salt(local_id)) {
                DeliveryNext::RetryAfter(wait) => {
                    let until = self.now + wait;
                    (
                        Self::open_outcome(Status::Queued, error),
                        Some(Phase::Waiting { until, next: Step::Send, tries }),
                    )
                }
                DeliveryNext::LookUp => (
                    Self::open_outcome(Status::Unknown, error),
                    Some(Phase::Ready { next: Step::LookUp, tries }),
                ),
                DeliveryNext::NeedKey => {
                    self.key_refused(error);
                    (
                        Self::open_outcome(Status::Queued, error),
                        Some(Phase::Paused { next: Step::Send, tries }),
                    )
                }
                DeliveryNext::GiveUp => (Outcome::from_result(&result), None),
            },
        };
        self.save_result(local_id, outcome, after)
    }

    /// The server was searched for a lead whose outcome was unknown.
    pub(super) fn looked_up(
        &mut self,
        local_id: LocalId,
        result: Result<Option<Lead>, ApiError>,
    ) -> Vec<Effect> {
        let Some(&Phase::LookingUp { tries }) = self.in_flight.get(&local_id) else { return vec![] };
        self.note_reachability(&result);
        match result {
            // It exists: this submission created it; never send it again.
            Ok(Some(lead)) => {
                let outcome = Outcome::from_result(&Ok(Created { lead, message: None }));
                self.save_result(local_id, outcome, None)
            }
            // It does not: sending again cannot make a second one. After a failed send, not at
            // once: a server failing every request must not be hammered.
            Ok(None) if tries == 0 => {
                self.in_flight.insert(local_id, Phase::Ready { next: Step::Send, tries });
                vec![]
            }
            Ok(None) => {
                let until = self.now + delivery::backoff(tries, salt(local_id));
                self.in_flight.insert(local_id, Phase::Waiting { until, next: Step::Send, tries });
                vec![]
            }
            Err(error) => {
                let phase = match delivery::next_after(&error, tries.max(1), salt(local_id)) {
                    DeliveryNext::NeedKey => {
                        self.key_refused(&error);
                        Phase::Paused { next: Step::LookUp, tries }
                    }
                    // A 429 says how long; anything else waits the usual backoff.
                    DeliveryNext::RetryAfter(wait) => {
                        Phase::Waiting { until: self.now + wait, next: Step::LookUp, tries }
                    }
                    _ => {
                        let wait = delivery::backoff(tries.max(1), salt(local_id));
                        Phase::Waiting { until: self.now + wait, next: Step::LookUp, tries }
                    }
                };
                self.in_flight.insert(local_id, phase);
                vec![]
            }
        }
    }

    /// Records a final outcome for a lead that is not under way (cancelling).
    pub(super) fn save_result_public(&mut self, local_id: LocalId, outcome: Outcome) -> Vec<Effect> {
        self.save_result(local_id, outcome, None)
    }

    fn save_result(&mut self, local_id: LocalId, outcome: Outcome, after: Option<Phase>) -> Vec<Effect> {
        let record = Record::outcome(local_id, outcome.clone()).stamped(self.clock);
        let after = after.map(Box::new);
        self.in_flight.insert(local_id, Phase::SavingResult { outcome: Box::new(outcome), after });
        vec![Effect::Append(record)]
    }

    /// The outcome of an attempt that leaves the lead open (queued or unknown).
    fn open_outcome(status: Status, error: &ApiError) -> Outcome {
        Outcome { status, error: Some(LeadError::from(error)), ..Outcome::default() }
    }

    fn note_reachability<T>(&mut self, result: &Result<T, ApiError>) {
        self.connection = match result {
            Err(e) if e.kind() == ErrorKind::Unreachable => Connection::Offline,
            _ => Connection::Online,
        };
    }

    /// Applies a saved (or unsaveable) result to its row and tells the user.
    fn settle(&mut self, local_id: LocalId, outcome: Outcome, saved: Result<(), String>) {
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
            (Status::Created, _) => self.notify(
                Level::Info,
                format!("Created {phone} (lead #{})", outcome.lead_id.as_deref().unwrap_or("?")),
            ),
            (Status::Queued, Some(error)) => {
                self.notify(Level::Error, format!("{phone} queued, will retry: {}", error.message));
            }
            (Status::Unknown, Some(error)) => self.notify(
                Level::Error,
                format!("{phone}: {}; checking the server before sending again", error.message),
            ),
            (status, Some(error)) => {
                self.notify(Level::Error, format!("{phone} {}: {}", status.as_str(), error.message));
            }
            (status, None) => self.notify(Level::Info, format!("{phone} {}", status.as_str())),
        }
    }

    /// Quits now when nothing is on its way; otherwise waits for it, and a second request quits
    /// at once (what was saved stays in the history as pending).
    pub(super) fn request_quit(&mut self) {
        let n = self.in_flight.values().filter(|p| p.is_busy()).count();
        if n == 0 || self.quit_pending {
            self.quit = true;
            return;
        }
        self.quit_pending = true;
        self.notify(
            Level::Info,
            format!(
                "Finishing {n} lead{} on the way… press Ctrl-Q again to quit now (it stays pending in the history)",
                if n == 1 { "" } else { "s" }
            ),
        );
    }

    /// After a quit was asked for: quits once nothing is under way any more.
    pub(super) fn quit_if_settled(&mut self) {
        if self.quit_pending && !self.in_flight.values().any(Phase::is_busy) {
            self.quit = true;
        }
    }
}

/// Spreads the retries of different leads apart.
pub(super) fn salt(id: LocalId) -> u64 {
    id.0.as_u64_pair().1
}
