//! The outbox: leads waiting their turn, for a retry, or for a key, and the leads of other runs.
//! [`Outbox`] keeps each lead's [`Delivery`] and answers what the sending side needs to know
//! (what may start, when to wake, what waits); the `App` methods here start requests as
//! `crate::delivery::MAX_CONCURRENT` allows and take over the leads of runs that have ended
//! (looking each up first: a request may have reached the server before that run ended).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::{App, Effect, Level};
use crate::api::ErrorKind;
use crate::delivery::MAX_CONCURRENT;
use crate::delivery::engine::{Command, Delivery, Event, Phase, Rules, Step};
use crate::history::{Claim, Claimed, LeadEntry, LocalId, Outcome, RunId, Status};

/// The sending side's state.
#[derive(Debug)]
pub struct Outbox {
    /// Leads on their way, by local id: saving, sending, waiting, or saving the result.
    pub in_flight: HashMap<LocalId, Delivery>,
    /// Open leads held by another run that is still at work, with that run.
    pub elsewhere: HashMap<LocalId, RunId>,
    /// Open leads being taken over right now.
    claiming: HashSet<LocalId>,
    /// Runs whose end is awaited, to take over their leads then.
    watching: HashSet<RunId>,
    /// This process's run (none: it takes nothing over).
    pub run: Option<RunId>,
    /// The sending rules' timing.
    pub rules: Rules,
}

impl Outbox {
    /// An empty outbox for `run`.
    pub fn new(run: Option<RunId>, rules: Rules) -> Self {
        Outbox {
            in_flight: HashMap::new(),
            elsewhere: HashMap::new(),
            claiming: HashSet::new(),
            watching: HashSet::new(),
            run,
            rules,
        }
    }

    /// Feeds `event` to the lead's delivery; `None` when the lead is not on its way here.
    pub fn on(&mut self, id: LocalId, event: Event, now: Instant) -> Option<Command> {
        Some(self.in_flight.get_mut(&id)?.on(event, now))
    }

    /// Leads whose work is under way or about to start; with a refused key (`paused`), what is
    /// ready waits for a key and is not counted.
    pub fn busy_count(&self, paused: bool) -> usize {
        self.in_flight
            .values()
            .filter(|d| d.is_busy() && !(paused && matches!(d.phase, Phase::Ready(_))))
            .count()
    }

    /// Leads whose wait is over at `now`.
    fn waits_over(&self, now: Instant) -> Vec<LocalId> {
        self.in_flight
            .iter()
            .filter(|(_, d)| matches!(d.phase, Phase::Waiting { until, .. } if until <= now))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Ready leads that may start now, oldest first, as free request slots allow.
    fn may_start(&self) -> Vec<LocalId> {
        let active = self.in_flight.values().filter(|d| d.holds_slot()).count();
        let mut ready: Vec<LocalId> = self
            .in_flight
            .iter()
            .filter(|(_, d)| matches!(d.phase, Phase::Ready(_)))
            .map(|(id, _)| *id)
            .collect();
        ready.sort_unstable();
        ready.truncate(MAX_CONCURRENT.saturating_sub(active));
        ready
    }

    /// When to wake next, from `now` (see [`App::next_wake`]).
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        const SPINNER: Duration = Duration::from_millis(120);
        const COUNTDOWN: Duration = Duration::from_secs(1);
        let mut wake: Option<Instant> = None;
        let mut at = |t: Instant| wake = Some(wake.map_or(t, |w| w.min(t)));
        for delivery in self.in_flight.values() {
            match &delivery.phase {
                Phase::Waiting { until, .. } => {
                    at((*until).max(now));
                    // The row counts down in seconds ([`countdown`]): wake when it changes.
                    let left = until.saturating_duration_since(now);
                    at(now + COUNTDOWN.min(left));
                }
                _ if delivery.is_busy() => at(now + SPINNER),
                _ => {}
            }
        }
        wake
    }

    /// How long until a waiting lead goes again (while it settles, until it may be sent again).
    pub fn wait_left(&self, id: &LocalId, now: Instant) -> Option<Duration> {
        let delivery = self.in_flight.get(id)?;
        match delivery.phase {
            Phase::Waiting { next: Step::LookUp, .. } if delivery.settle_at.is_some() => {
                delivery.settling_left(now)
            }
            Phase::Waiting { until, .. } => Some(until.saturating_duration_since(now)),
            _ => None,
        }
    }

    /// Of `entries`, the open leads no one here holds or is taking over, as claims; they are
    /// marked as being taken over.
    fn claims<'a>(&mut self, entries: impl IntoIterator<Item = &'a LeadEntry>) -> Vec<Claim> {
        let Some(run) = self.run else { return vec![] };
        let claims: Vec<Claim> = entries
            .into_iter()
            .filter(|e| {
                e.status.is_open()
                    && e.owner != Some(run)
                    && !self.in_flight.contains_key(&e.local_id)
                    && !self.claiming.contains(&e.local_id)
                    && self.elsewhere.get(&e.local_id).is_none_or(|held| e.owner != Some(*held))
            })
            .map(|e| Claim { local_id: e.local_id, owner: e.owner, status: e.status })
            .collect();
        self.claiming.extend(claims.iter().map(|c| c.local_id));
        claims
    }

    /// Leaves a lead to the live run that holds it; `true` when that run's end must now be
    /// awaited (it was not yet).
    fn held_by(&mut self, id: LocalId, run: RunId) -> bool {
        self.claiming.remove(&id);
        self.elsewhere.insert(id, run);
        self.watching.insert(run)
    }

    /// A run has ended: the leads it held, no longer anyone's.
    fn ended(&mut self, run: RunId) -> Vec<LocalId> {
        self.watching.remove(&run);
        let held: Vec<LocalId> =
            self.elsewhere.iter().filter(|(_, r)| **r == run).map(|(id, _)| *id).collect();
        for id in &held {
            self.elsewhere.remove(id);
        }
        held
    }
}

impl App {
    /// Starts what may start: queued leads whose wait is over, then ready ones, oldest first,
    /// while request slots are free. Nothing starts while the key is refused, and after a quit
    /// was asked for only what was ready still goes.
    pub(super) fn pump(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        // After a quit was asked for, what waits stays for the next start; what is ready goes.
        if !self.quit_pending {
            for id in self.outbox.waits_over(self.now) {
                effects.extend(self.feed(id, Event::WaitOver));
            }
        }
        // Nothing starts with a refused key: what is ready waits for a key that works.
        if self.key_problem.is_some() {
            return effects;
        }
        for id in self.outbox.may_start() {
            effects.extend(self.feed(id, Event::Go));
        }
        effects
    }

    /// When the runtime must wake the app next, from `now`: the spinner while requests run, the
    /// countdown of queued leads once a second, and the end of the earliest wait. `None` when
    /// nothing changes by itself (no timer at all).
    pub fn next_wake(&self, now: Instant) -> Option<Instant> {
        let outbox = self.outbox.next_wake(now);
        let team = self.team.next_wake(now);
        let refresh = self.status_refresh.and_then(|(_, next)| next);
        let changes = self.next_change_wake(now);
        outbox.into_iter().chain(team).chain(refresh).chain(changes).min()
    }

    /// Leads on their way right now, for the header.
    pub fn sending_count(&self) -> usize {
        self.busy_count()
    }

    /// Leads waiting (for their turn, a retry or a key), for the header.
    pub fn queued_count(&self) -> usize {
        self.outbox.in_flight.len() - self.busy_count()
    }

    /// How long until a queued lead goes again, for its row.
    pub fn wait_left(&self, id: &LocalId) -> Option<Duration> {
        self.outbox.wait_left(id, self.now)
    }

    /// Asks to take over those of `candidates` that are open and held by no one here: the store
    /// decides under its lock (see `HistoryStore::claim`), so two windows never both take one.
    pub(super) fn claim_open(&mut self, candidates: impl IntoIterator<Item = LocalId>) -> Vec<Effect> {
        let history = &self.history;
        let claims = self.outbox.claims(candidates.into_iter().filter_map(|id| history.get(&id)));
        if claims.is_empty() {
            return vec![];
        }
        vec![Effect::Claim { claims, from: self.history.end }]
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
                self.outbox.claiming.clear();
                self.notify(Level::Error, format!("Open leads could not be taken over: {reason}"));
                return vec![];
            }
        };
        let mut effects = Vec::new();
        let mut taken = 0;
        for (id, claimed) in results {
            match claimed {
                Claimed::Taken => {
                    self.outbox.claiming.remove(&id);
                    let Some(entry) = self.history.get_mut(&id) else { continue };
                    if !entry.status.is_open() || self.outbox.in_flight.contains_key(&id) {
                        continue;
                    }
                    entry.owner = self.outbox.run;
                    self.outbox.elsewhere.remove(&id);
                    let delivery = Delivery::resumed(
                        entry.status,
                        self.now,
                        super::delivery::salt(id),
                        self.outbox.rules,
                    );
                    self.outbox.in_flight.insert(id, delivery);
                    taken += 1;
                }
                Claimed::Alive(run) => {
                    if self.outbox.held_by(id, run) {
                        effects.push(Effect::WatchOwner(run));
                    }
                }
                // Its new records come with the next read of the file.
                Claimed::Moved => {
                    self.outbox.claiming.remove(&id);
                }
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
        let held = self.outbox.ended(run);
        self.claim_open(held)
    }

    /// Cancels the selected lead while it only waits (queued, or unknown between checks): it is
    /// recorded as failed and never sent by itself again.
    pub(super) fn cancel_selected(&mut self) -> Vec<Effect> {
        let Some(entry) = self.history.selected_entry() else { return vec![] };
        let id = entry.local_id;
        let phone = entry.request.phone_number.clone();
        match self.outbox.in_flight.get(&id) {
            Some(delivery) if delivery.may_cancel() => {
                let message = match entry.status {
                    Status::Unknown => "cancelled by you; it may have been created: check the dashboard",
                    _ => "cancelled by you before it was sent",
                };
                self.notify(Level::Info, format!("Cancelled {phone}"));
                self.finish_waiting(id, Outcome::failed(ErrorKind::Cancelled, message))
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

/// A wait as a row shows it, in seconds rounded up: `45s`, `1:20`, `59:59`, and `1h` for the
/// longest wait there is (an hour). Seen: `2m` with 80 s left, a minute rounded up.
pub fn countdown(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}:{:02}", secs / 60, secs % 60),
        _ => format!("{}h", secs.div_ceil(3600)),
    }
}
