//! The outbox: leads waiting their turn, for a retry, or for a key. It starts as many requests
//! as `crate::delivery::MAX_CONCURRENT` allows, wakes queued leads when their wait is over, and
//! at start resumes the leads a previous run left open (looking each up first: a request may have
//! reached the server before that run ended).

use std::time::{Duration, Instant};

use super::{App, Effect, Level};
use crate::api::ErrorKind;
use crate::delivery::MAX_CONCURRENT;
use crate::delivery::engine::{Delivery, Event, Phase, Step};
use crate::history::{Claim, Claimed, LeadError, LocalId, Outcome, RunId, Status};

impl App {
    /// Starts what may start: queued leads whose wait is over, then ready ones, oldest first,
    /// while request slots are free. Nothing starts while the key is refused, and after a quit
    /// was asked for only what was ready still goes.
    pub(super) fn pump(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        // After a quit was asked for, what waits stays for the next start; what is ready goes.
        if !self.quit_pending {
            let now = self.now;
            let over: Vec<LocalId> = self
                .in_flight
                .iter()
                .filter(|(_, d)| matches!(d.phase, Phase::Waiting { until, .. } if until <= now))
                .map(|(id, _)| *id)
                .collect();
            for id in over {
                effects.extend(self.feed(id, Event::WaitOver));
            }
        }
        // Nothing starts with a refused key: what is ready waits for a key that works.
        if self.key_problem.is_some() {
            return effects;
        }
        let active = self.in_flight.values().filter(|d| d.holds_slot()).count();
        let mut ready: Vec<LocalId> = self
            .in_flight
            .iter()
            .filter(|(_, d)| matches!(d.phase, Phase::Ready(_)))
            .map(|(id, _)| *id)
            .collect();
        ready.sort_unstable();
        for id in ready.into_iter().take(MAX_CONCURRENT.saturating_sub(active)) {
            effects.extend(self.feed(id, Event::Go));
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
        for delivery in self.in_flight.values() {
            match &delivery.phase {
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
                _ if delivery.is_busy() => at(now + SPINNER),
                _ => {}
            }
        }
        wake
    }

    /// Leads on their way right now, for the header.
    pub fn sending_count(&self) -> usize {
        self.busy_count()
    }

    /// Leads waiting (for their turn, a retry or a key), for the header.
    pub fn queued_count(&self) -> usize {
        self.in_flight.len() - self.busy_count()
    }

    /// How long until a queued lead goes again, for its row.
    pub fn wait_left(&self, id: &LocalId) -> Option<Duration> {
        let delivery = self.in_flight.get(id)?;
        match delivery.phase {
            // While it settles, the time until it may be sent again.
            Phase::Waiting { next: Step::LookUp, .. } if delivery.settle_at.is_some() => {
                delivery.settling_left(self.now)
            }
            Phase::Waiting { until, .. } => Some(until.saturating_duration_since(self.now)),
            _ => None,
        }
    }

    /// Asks to take over those of `candidates` that are open and held by no one here: the store
    /// decides under its lock (see `HistoryStore::claim`), so two windows never both take one.
    pub(super) fn claim_open(&mut self, candidates: impl IntoIterator<Item = LocalId>) -> Vec<Effect> {
        let Some(run) = self.run else { return vec![] };
        let claims: Vec<Claim> = candidates
            .into_iter()
            .filter_map(|id| self.history.get(&id))
            .filter(|e| {
                e.status.is_open()
                    && e.owner != Some(run)
                    && !self.in_flight.contains_key(&e.local_id)
                    && !self.claiming.contains(&e.local_id)
                    && self.elsewhere.get(&e.local_id).is_none_or(|held| e.owner != Some(*held))
            })
            .map(|e| Claim { local_id: e.local_id, owner: e.owner, status: e.status })
            .collect();
        if claims.is_empty() {
            return vec![];
        }
        self.claiming.extend(claims.iter().map(|c| c.local_id));
        vec![Effect::Claim { claims, from: self.history_end }]
    }

    /// The store answered a claim: leads taken over are looked up first (a request may have
    /// reached the server before their run ended), and settle from their last record on; leads
    /// whose run is alive are left to it, and its end is awaited.
    pub(super) fn claimed(
        &mut self,
        result: Result<Vec<(LocalId, Claimed)>, crate::history::HistoryError>,
    ) -> Vec<Effect> {
        let results = match result {
            Ok(results) => results,
            Err(reason) => {
                self.claiming.clear();
                self.notify(Level::Error, format!("Open leads could not be taken over: {reason}"));
                return vec![];
            }
        };
        let mut effects = Vec::new();
        let mut taken = 0;
        for (id, claimed) in results {
            self.claiming.remove(&id);
            match claimed {
                Claimed::Taken => {
                    let Some(entry) = self.history.get_mut(&id) else { continue };
                    if !entry.status.is_open() || self.in_flight.contains_key(&id) {
                        continue;
                    }
                    entry.owner = self.run;
                    self.elsewhere.remove(&id);
                    let quiet =
                        Duration::try_from(self.clock.duration_since(entry.updated_at)).unwrap_or_default();
                    let delivery = Delivery::resumed(
                        entry.status,
                        quiet,
                        self.now,
                        super::delivery::salt(id),
                        self.rules,
                    );
                    self.in_flight.insert(id, delivery);
                    taken += 1;
                }
                Claimed::Alive(run) => {
                    self.elsewhere.insert(id, run);
                    if self.watching.insert(run) {
                        effects.push(Effect::WatchOwner(run));
                    }
                }
                // Its new records come with the next read of the file.
                Claimed::Moved => {}
            }
        }
        if taken > 0 && self.notice.as_ref().is_none_or(|n| n.level == Level::Info) {
            self.notify(
                Level::Info,
                format!(
                    "Resuming {taken} lead{} left open by a run that ended",
                    if taken == 1 { "" } else { "s" }
                ),
            );
        }
        effects
    }

    /// A run that held open leads has ended: they are taken over now.
    pub(super) fn owner_gone(&mut self, run: RunId) -> Vec<Effect> {
        self.watching.remove(&run);
        let held: Vec<LocalId> =
            self.elsewhere.iter().filter(|(_, r)| **r == run).map(|(id, _)| *id).collect();
        for id in &held {
            self.elsewhere.remove(id);
        }
        self.claim_open(held)
    }

    /// Cancels the selected lead while it only waits (queued, or unknown between checks): it is
    /// recorded as failed and never sent by itself again.
    pub(super) fn cancel_selected(&mut self) -> Vec<Effect> {
        let Some(entry) = self.history.selected_entry() else { return vec![] };
        let id = entry.local_id;
        let phone = entry.request.phone_number.clone();
        match self.in_flight.get(&id) {
            Some(delivery) if delivery.may_cancel() => {
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
                let outcome = Outcome { status: Status::Failed, error: Some(error), ..Outcome::default() };
                self.notify(Level::Info, format!("Cancelled {phone}"));
                self.finish_waiting(id, outcome)
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
