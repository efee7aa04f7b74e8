//! The outbox: leads waiting their turn, for a retry, or for a key. It starts as many requests
//! as `crate::delivery::MAX_CONCURRENT` allows, wakes queued leads when their wait is over, and
//! at start resumes the leads a previous run left open (looking each up first: a request may have
//! reached the server before that run ended).

use std::time::{Duration, Instant};

use super::delivery::{Phase, Step};
use super::{App, Effect, Level};
use crate::api::ErrorKind;
use crate::delivery::MAX_CONCURRENT;
use crate::history::{LeadError, LocalId, Outcome, Status};

impl App {
    /// Starts what may start: queued leads whose wait is over, then ready ones, oldest first,
    /// while request slots are free. Nothing starts while the key is refused, and after a quit
    /// was asked for only what was ready still goes.
    pub(super) fn pump(&mut self) -> Vec<Effect> {
        let now = self.now;
        // After a quit was asked for, what waits stays for the next start; what is ready goes.
        if !self.quit_pending {
            for phase in self.in_flight.values_mut() {
                if let Phase::Waiting { until, next, tries } = *phase
                    && until <= now
                {
                    *phase = Phase::Ready { next, tries };
                }
            }
        }
        if self.key_problem.is_some() {
            // Nothing starts with a refused key: what was ready waits for a key that works.
            for phase in self.in_flight.values_mut() {
                if let Phase::Ready { next, tries } = *phase {
                    *phase = Phase::Paused { next, tries };
                }
            }
            return vec![];
        }
        let active = self
            .in_flight
            .values()
            .filter(|p| matches!(p, Phase::Sending { .. } | Phase::LookingUp { .. }))
            .count();
        let mut ready: Vec<LocalId> = self
            .in_flight
            .iter()
            .filter(|(_, p)| matches!(p, Phase::Ready { .. }))
            .map(|(id, _)| *id)
            .collect();
        ready.sort_unstable();
        let mut effects = Vec::new();
        for id in ready.into_iter().take(MAX_CONCURRENT.saturating_sub(active)) {
            let (Some(Phase::Ready { next, tries }), Some(entry)) =
                (self.in_flight.get(&id).cloned(), self.history.get(&id))
            else {
                continue;
            };
            let request = entry.request.clone();
            match next {
                Step::Send => {
                    self.in_flight.insert(id, Phase::Sending { tries: tries + 1 });
                    effects.push(Effect::Send { local_id: id, request });
                }
                Step::LookUp => {
                    let since = entry.submitted_at;
                    let taken = self.history.lead_ids_for(&request.phone_number, request.campaign_id, id);
                    self.in_flight.insert(id, Phase::LookingUp { tries });
                    effects.push(Effect::LookUp { local_id: id, request, since, taken });
                }
            }
        }
        effects
    }

    /// When the runtime must wake the app next, from `now`: the spinner while requests run, the
    /// countdown of queued leads once a second, and the end of the earliest wait. `None` when
    /// nothing changes by itself (no timer at all).
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        const SPINNER: Duration = Duration::from_millis(120);
        const COUNTDOWN: Duration = Duration::from_secs(1);
        let mut wake: Option<Instant> = None;
        let mut at = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        for phase in self.in_flight.values() {
            match phase {
                Phase::Waiting { until, .. } => {
                    at((*until).max(now));
                    // The row counts whole seconds under a minute, whole minutes above: wake
                    // only when what it shows changes.
                    let left = until.saturating_duration_since(now);
                    if left > Duration::from_secs(60) {
                        let shown_minutes = left.as_secs().div_ceil(60);
                        at(*until - Duration::from_secs((shown_minutes - 1) * 60));
                    } else {
                        at(now + COUNTDOWN.min(left));
                    }
                }
                p if p.is_busy() => at(now + SPINNER),
                _ => {}
            }
        }
        wake
    }

    /// Leads on their way right now, for the header.
    pub fn sending_count(&self) -> usize {
        self.in_flight.values().filter(|p| p.is_busy()).count()
    }

    /// Leads waiting (for their turn, a retry or a key), for the header.
    pub fn queued_count(&self) -> usize {
        self.in_flight.values().filter(|p| !p.is_busy()).count()
    }

    /// How long until a queued lead goes again, for its row.
    pub fn wait_left(&self, id: &LocalId) -> Option<Duration> {
        match self.in_flight.get(id)? {
            Phase::Waiting { until, .. } => Some(until.saturating_duration_since(self.now)),
            _ => None,
        }
    }

    /// Takes over the leads a previous run left open (`candidates`, as the file had them): each
    /// is looked up before anything is sent again. Leads written very recently may belong to
    /// another instance still sending them; they are looked at only once they have been quiet
    /// for `resume_after` (90 s unless configured).
    pub(super) fn resume_open_leads(&mut self, candidates: Vec<LocalId>) {
        if !self.owns_outbox {
            return;
        }
        let now = self.clock;
        let open: Vec<(LocalId, jiff::Timestamp)> = candidates
            .iter()
            .filter_map(|id| self.history.get(id))
            .filter(|e| e.status.is_open() && !self.in_flight.contains_key(&e.local_id))
            .map(|e| (e.local_id, e.updated_at))
            .collect();
        for (id, updated) in &open {
            let quiet = std::time::Duration::try_from(now.duration_since(*updated)).unwrap_or_default();
            let phase = match self.resume_after.checked_sub(quiet) {
                Some(left) if !left.is_zero() => {
                    Phase::Waiting { until: self.now + left, next: Step::LookUp, tries: 0 }
                }
                _ => Phase::Ready { next: Step::LookUp, tries: 0 },
            };
            self.in_flight.insert(*id, phase);
        }
        if !open.is_empty() && self.notice.as_ref().is_none_or(|n| n.level == Level::Info) {
            let n = open.len();
            self.notify(
                Level::Info,
                format!("Resuming {n} lead{} left open last time", if n == 1 { "" } else { "s" }),
            );
        }
    }

    /// Cancels the selected lead while it only waits (queued, or unknown between checks): it is
    /// recorded as failed and never sent by itself again.
    pub(super) fn cancel_selected(&mut self) -> Vec<Effect> {
        let Some(entry) = self.history.selected_entry() else { return vec![] };
        let id = entry.local_id;
        let phone = entry.request.phone_number.clone();
        match self.in_flight.get(&id) {
            Some(phase) if !phase.is_busy() => {
                let message = match entry.status {
                    Status::Unknown => "cancelled by you; it may have been created: check the dashboard",
                    _ => "cancelled by you before it was sent",
                };
                let error = LeadError {
                    kind: ErrorKind::Cancelled,
                    message: message.to_owned(),
                    http_status: None,
                    fields: Default::default(),
                };
                self.in_flight.remove(&id);
                let outcome = Outcome { status: Status::Failed, error: Some(error), ..Outcome::default() };
                self.notify(Level::Info, format!("Cancelled {phone}"));
                self.save_result_public(id, outcome)
            }
            Some(_) => {
                self.notify(Level::Info, format!("{phone} is being sent right now; it cannot be cancelled"));
                vec![]
            }
            None => {
                self.notify(Level::Info, "Only queued leads can be cancelled");
                vec![]
            }
        }
    }
}
