//! One lead's way to the server as a pure state machine: [`Delivery::on`] takes what happened
//! and the time, and answers with the one [`Command`] to carry out next. The TUI model turns the
//! commands into effects; `autocalls-tui create` carries them out in a short loop. Neither holds
//! a sending rule of its own, so both send, look up, wait and record by the same rules.
//!
//! The rule that keeps a slow server from getting a lead twice: after a send whose outcome is
//! unknown, the server may still be working on it. The lead is looked up at once and then again,
//! spread over a settling time, counted from the end of the request, longer than the server may
//! still be working on it ([`Rules::settle`]), and sent again only when a look-up made after that
//! time says it is absent.
//! Every way into a second send (a timeout, a reset, a 5xx, an unreadable answer, a web page
//! instead of JSON followed by a new key, a lead taken over from a run that ended) goes through
//! that rule.

use std::time::{Duration, Instant};

use super::{DEFAULT_RETRY_AFTER, MAX_BACKOFF, backoff};
use crate::api::ApiError;
use crate::api::types::{Created, Lead};
use crate::history::{LeadError, Outcome, Status};

/// The longest pause between two look-ups while a lead settles.
const MAX_CHECK_GAP: Duration = Duration::from_secs(15);

/// The timing a delivery follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// How long after a send ended (the server got it by then, if at all) the server may still
    /// create the lead: two request timeouts (40 s with the default 20 s).
    pub settle: Duration,
}

impl Rules {
    /// The rules for a client whose requests give up after `request_timeout`.
    pub fn for_timeout(request_timeout: Duration) -> Self {
        Rules { settle: request_timeout.saturating_mul(2) }
    }
}

/// What a lead waiting its turn will do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Send the create request.
    Send,
    /// Look the lead up on the server first (its last outcome is unknown).
    LookUp,
}

/// Where a lead on its way is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Its `submitted` record is being written; nothing is sent before that ends.
    Saving,
    /// Waiting for a free request slot.
    Ready(Step),
    /// The create request is under way.
    Sending,
    /// The lead is being looked up on the server.
    LookingUp,
    /// A record is being written; then the lead goes on as `then` says.
    Recording {
        /// What the record says.
        outcome: Box<Outcome>,
        /// Where the lead goes once it is written.
        then: Box<Phase>,
    },
    /// Waits until `until` (a backoff, the server's Retry-After, or the next look-up while the
    /// lead settles).
    Waiting {
        /// When it may go.
        until: Instant,
        /// What it will do then.
        next: Step,
    },
    /// The key was refused: waits for a key that works.
    Paused(Step),
    /// Settled: created, refused, or given up; nothing more to do.
    Done,
}

/// What happened to a lead, fed to [`Delivery::on`].
#[derive(Debug)]
pub enum Event {
    /// The record asked for (the `submitted` one, or a [`Command::Record`]) was written, or not.
    Saved {
        /// Whether it is on disk.
        ok: bool,
    },
    /// A request slot is free.
    Go,
    /// A wait may be over (it is, when its time has come).
    WaitOver,
    /// A working key was set.
    KeyWorks,
    /// The create request ended.
    Sent(Result<Created, ApiError>),
    /// The look-up ended: the lead the server holds for this submission, or none.
    LookedUp(Result<Option<Lead>, ApiError>),
}

/// What the driver must do next for the lead.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Nothing (the event did not fit the phase: late or repeated).
    Nothing,
    /// Wait for a request slot, then answer [`Event::Go`].
    Queue,
    /// Send the create request, then answer [`Event::Sent`].
    Send,
    /// Look the lead up, then answer [`Event::LookedUp`].
    LookUp,
    /// Append this outcome to the history, then answer [`Event::Saved`].
    Record(Box<Outcome>),
    /// Wait until then, then answer [`Event::WaitOver`].
    Wait(Instant),
    /// Wait for a working key, then answer [`Event::KeyWorks`].
    NeedKey,
    /// Nothing more: the lead is settled (its last record says how).
    Finished,
}

/// One lead's delivery: its phase and what it has learnt on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Where it is.
    pub phase: Phase,
    /// Create requests sent by this delivery.
    pub tries: u32,
    /// Look-ups since the last send, to space them out.
    checks: u32,
    /// While a send's outcome is unknown: until when the server may still create it. A look-up
    /// after this moment that finds nothing proves the lead absent.
    pub settle_at: Option<Instant>,
    /// The last record in the history is the `submitted` one and nothing was sent after it: the
    /// first send needs no record of its own (the `submitted` record says a send may be under way).
    fresh: bool,
    /// Whether the lead may have been sent before the send under way (by this run or another):
    /// then a refusal for an existing phone may be about this very lead.
    sent_before: bool,
    /// A re-send was refused because the campaign already holds the phone: the look-up decides
    /// whether that lead is this one.
    refusal: Option<Box<ApiError>>,
    /// When the look-up under way began: only one that began once the lead settled proves it
    /// absent (one that began before may have been answered before the server created it).
    asked_at: Option<Instant>,
    /// Spreads the retries of different leads apart.
    salt: u64,
    rules: Rules,
}

impl Delivery {
    /// A lead whose `submitted` record is being written.
    pub fn submitted(salt: u64, rules: Rules) -> Self {
        Delivery {
            phase: Phase::Saving,
            tries: 0,
            checks: 0,
            settle_at: None,
            fresh: true,
            sent_before: false,
            refusal: None,
            asked_at: None,
            salt,
            rules,
        }
    }

    /// A lead another run left open, taken over: looked up first. `status` is where the history
    /// left it. A lead last recorded as `queued` had nothing under way (every send is recorded
    /// before it starts); a `pending` or `unknown` one may have had a request under way when its
    /// run ended. Whatever that run sent reached the server before now (the run has ended), so
    /// the lead settles from now on.
    pub fn resumed(status: Status, now: Instant, salt: u64, rules: Rules) -> Self {
        let settle_at = (status != Status::Queued).then(|| now + rules.settle);
        Delivery {
            phase: Phase::Ready(Step::LookUp),
            settle_at,
            fresh: false,
            sent_before: true,
            ..Self::submitted(salt, rules)
        }
    }

    /// Takes in what happened at `now` and says what to do next.
    pub fn on(&mut self, event: Event, now: Instant) -> Command {
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        self.phase = match (phase, event) {
            (Phase::Saving, Event::Saved { ok }) => {
                if ok {
                    Phase::Ready(Step::Send)
                } else {
                    Phase::Done
                }
            }
            (Phase::Recording { then, .. }, Event::Saved { .. }) => *then,
            (Phase::Ready(Step::Send), Event::Go) => {
                self.tries += 1;
                self.checks = 0;
                if std::mem::take(&mut self.fresh) {
                    Phase::Sending
                } else {
                    // On disk before it starts: a run that ends mid-request leaves a lead that
                    // the next one knows to let settle.
                    let outcome = Outcome { status: Status::Pending, ..Outcome::default() };
                    Phase::Recording { outcome: Box::new(outcome), then: Box::new(Phase::Sending) }
                }
            }
            (Phase::Ready(Step::LookUp), Event::Go) => {
                self.checks += 1;
                self.asked_at = Some(now);
                Phase::LookingUp
            }
            (Phase::Waiting { until, next }, Event::WaitOver) if until <= now => Phase::Ready(next),
            (Phase::Paused(step), Event::KeyWorks) => Phase::Ready(step),
            (Phase::Sending, Event::Sent(result)) => self.sent(result, now),
            (Phase::LookingUp, Event::LookedUp(result)) => self.looked_up(result, now),
            (phase, _) => {
                self.phase = phase;
                return Command::Nothing;
            }
        };
        self.command()
    }

    /// The command the current phase asks for.
    pub fn command(&self) -> Command {
        match &self.phase {
            Phase::Saving => Command::Nothing,
            Phase::Ready(_) => Command::Queue,
            Phase::Sending => Command::Send,
            Phase::LookingUp => Command::LookUp,
            Phase::Recording { outcome, .. } => Command::Record(outcome.clone()),
            Phase::Waiting { until, .. } => Command::Wait(*until),
            Phase::Paused(_) => Command::NeedKey,
            Phase::Done => Command::Finished,
        }
    }

    /// Ends a lead that only waits (the user cancelled it) with `outcome`: written, then done. A
    /// lead with a request or a record under way is left as it is.
    pub fn finish_with(&mut self, outcome: Outcome) -> Command {
        if !self.may_cancel() {
            return Command::Nothing;
        }
        self.phase = record(outcome, Phase::Done);
        self.command()
    }

    /// Whether the user may cancel it: it only waits (for its turn, a time or a key).
    pub fn may_cancel(&self) -> bool {
        matches!(self.phase, Phase::Ready(_) | Phase::Waiting { .. } | Phase::Paused(_))
    }

    /// Whether the lead takes one of the request slots: a request is under way, or about to
    /// start once its record is written.
    pub fn holds_slot(&self) -> bool {
        match &self.phase {
            Phase::Sending | Phase::LookingUp => true,
            Phase::Recording { then, .. } => **then == Phase::Sending,
            _ => false,
        }
    }

    /// How long until the lead may be sent again while it settles, for the user.
    pub fn settling_left(&self, now: Instant) -> Option<Duration> {
        self.settle_at.map(|at| at.saturating_duration_since(now))
    }

    /// A word for the history row.
    pub fn label(&self) -> &'static str {
        match &self.phase {
            Phase::Saving | Phase::Recording { .. } => "saving",
            Phase::Sending => "sending",
            Phase::LookingUp => "checking",
            Phase::Ready(_) => "next",
            Phase::Waiting { next: Step::Send, .. } => "queued",
            Phase::Waiting { next: Step::LookUp, .. } => "unknown",
            Phase::Paused(_) => "needs key",
            Phase::Done => "done",
        }
    }

    /// Whether work is under way or about to start (quitting waits for it); leads that wait for
    /// a retry or a key are resumed at the next start instead.
    pub fn is_busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::Saving | Phase::Ready(_) | Phase::Sending | Phase::LookingUp | Phase::Recording { .. }
        )
    }

    /// Whether a request for this lead is under way.
    pub fn is_requesting(&self) -> bool {
        matches!(self.phase, Phase::Sending | Phase::LookingUp)
    }

    fn sent(&mut self, result: Result<Created, ApiError>, now: Instant) -> Phase {
        let error = match result {
            Ok(created) => return record(Outcome::from_result(&Ok(created)), Phase::Done),
            Err(error) => error,
        };
        let open = |status| Outcome { status, error: Some(LeadError::from(&error)), ..Outcome::default() };
        let sent_before = std::mem::replace(&mut self.sent_before, true);
        // Settled from the end of the request: whatever reached the server did so by now.
        let settle_at = now + self.rules.settle;
        match &error {
            ApiError::Unreachable(_) => {
                let until = now + backoff(self.tries, self.salt);
                record(open(Status::Queued), Phase::Waiting { until, next: Step::Send })
            }
            ApiError::RateLimited { retry_after } => {
                let until = now + retry_after.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_BACKOFF);
                record(open(Status::Queued), Phase::Waiting { until, next: Step::Send })
            }
            ApiError::Auth(_) => record(open(Status::Queued), Phase::Paused(Step::Send)),
            ApiError::AuthUnsure(_) => {
                self.settle_at = Some(settle_at);
                record(open(Status::Unknown), Phase::Paused(Step::LookUp))
            }
            ApiError::UnknownOutcome(_) => {
                self.settle_at = Some(settle_at);
                record(open(Status::Unknown), Phase::Ready(Step::LookUp))
            }
            // A send that is not the lead's first may have been beaten by its own earlier one:
            // the look-up says whether the lead the campaign holds is this one.
            ApiError::Rejected { .. } if error.is_already_taken() && sent_before => {
                self.refusal = Some(Box::new(error));
                Phase::Ready(Step::LookUp)
            }
            ApiError::Rejected { .. } | ApiError::Invalid(_) => {
                record(Outcome::from_result(&Err(error)), Phase::Done)
            }
        }
    }

    fn looked_up(&mut self, result: Result<Option<Lead>, ApiError>, now: Instant) -> Phase {
        let asked_at = self.asked_at.take().unwrap_or(now);
        match result {
            // It exists: this submission created it; it is never sent again.
            Ok(Some(lead)) => {
                self.settle_at = None;
                self.refusal = None;
                record(Outcome::from_result(&Ok(Created { lead, message: None })), Phase::Done)
            }
            Ok(None) => {
                if let Some(refusal) = self.refusal.take() {
                    return record(Outcome::from_result(&Err(*refusal)), Phase::Done);
                }
                match self.settle_at {
                    // Asked before the settling time was over: the server may still have been
                    // working on a send. Look again, and once more when the settling time is over.
                    Some(at) if asked_at < at && now < at => {
                        let gap = backoff(self.checks, self.salt).min(MAX_CHECK_GAP);
                        Phase::Waiting { until: (now + gap).min(at), next: Step::LookUp }
                    }
                    Some(at) if asked_at < at => Phase::Ready(Step::LookUp),
                    // Proven absent: sending again cannot make a second one.
                    _ => {
                        self.settle_at = None;
                        Phase::Ready(Step::Send)
                    }
                }
            }
            Err(error) if error.is_auth() => Phase::Paused(Step::LookUp),
            Err(ApiError::RateLimited { retry_after }) => {
                let until = now + retry_after.unwrap_or(DEFAULT_RETRY_AFTER).min(MAX_BACKOFF);
                Phase::Waiting { until, next: Step::LookUp }
            }
            Err(_) => Phase::Waiting { until: now + backoff(self.checks, self.salt), next: Step::LookUp },
        }
    }
}

/// Writes `outcome`, then goes on to `then`.
fn record(outcome: Outcome, then: Phase) -> Phase {
    Phase::Recording { outcome: Box::new(outcome), then: Box::new(then) }
}

#[cfg(test)]
mod tests;
