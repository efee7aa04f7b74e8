//! Leads appended by another instance (another TUI, `autocalls-tui create`) while this one runs:
//! the runtime says the file changed, the model asks for what was appended since it last read,
//! and merges it. Its own records come back too and are recognised, so nothing is applied twice.

use super::{App, Effect, Level};
use crate::history::store::Tail;
use crate::history::{Event, LeadEntry, Outcome, Status};

impl App {
    /// The history file changed: read what was appended, one read at a time.
    pub(super) fn history_changed(&mut self) -> Vec<Effect> {
        if !self.history.loaded {
            return vec![];
        }
        if let Some(again) = &mut self.history.tail_reading {
            *again = true;
            vec![]
        } else {
            self.history.tail_reading = Some(false);
            vec![Effect::ReadTail(self.history.end)]
        }
    }

    pub(super) fn tail_read(&mut self, result: Result<Tail, crate::history::HistoryError>) -> Vec<Effect> {
        let again = self.history.tail_reading.take() == Some(true);
        match result {
            Ok(tail) if tail.reset => return vec![Effect::LoadHistory],
            Ok(tail) => {
                self.history.end = self.history.end.max(tail.end);
                let (added, touched) = self.merge(tail.records);
                if let Some(problem) = tail.problems.first() {
                    self.notify(Level::Error, problem.clone());
                } else if added > 0 {
                    let s = if added == 1 { "" } else { "s" };
                    self.notify(Level::Info, format!("{added} lead{s} added by another window"));
                }
                // Open leads another run wrote: taken over when their run has ended.
                let mut effects = self.claim_open(touched);
                if again {
                    effects.extend(self.history_changed());
                }
                return effects;
            }
            Err(reason) => self.notify(Level::Error, format!("The history could not be re-read: {reason}")),
        }
        if again { self.history_changed() } else { vec![] }
    }

    /// Applies records from the file that this instance has not applied yet; returns how many
    /// new leads appeared, and the leads that changed. A record is ours (already applied) when
    /// it names this run, when its lead is on its way here, or when the lead was updated at or
    /// after the record's time.
    fn merge(&mut self, records: Vec<crate::history::Record>) -> (usize, Vec<crate::history::LocalId>) {
        let mut added = 0;
        let mut touched = Vec::new();
        for mut record in records {
            record.sanitize();
            // A lead this instance is working on right now has its own records in hand.
            if (record.run.is_some() && record.run == self.outbox.run)
                || self.outbox.in_flight.contains_key(&record.local_id)
            {
                continue;
            }
            touched.push(record.local_id);
            if let Some(entry) = self.history.get_mut(&record.local_id) {
                entry.owner = record.run;
            }
            let known = self.history.get(&record.local_id).map(|e| e.updated_at);
            match (record.event, known) {
                (Event::Submitted { request, .. }, None) => {
                    let mut entry = LeadEntry::new(record.local_id, record.at, request);
                    entry.owner = record.run;
                    self.history.push(entry);
                    added += 1;
                }
                (_, Some(updated)) if record.at <= updated => {}
                (Event::Submitted { request, .. }, Some(_)) => {
                    if let Some(entry) = self.history.get_mut(&record.local_id) {
                        entry.request = request;
                        entry.status = Status::Pending;
                        entry.updated_at = record.at;
                    }
                }
                (Event::Outcome { status, lead_id, campaign_name, error, response }, Some(_)) => {
                    if let Some(entry) = self.history.get_mut(&record.local_id) {
                        entry.apply(Outcome { status, lead_id, campaign_name, error, response }, record.at);
                    }
                }
                (
                    event @ (Event::Change { .. } | Event::Changed { .. } | Event::ServerStatus { .. }),
                    Some(_),
                ) => {
                    if let Some(entry) = self.history.get_mut(&record.local_id) {
                        entry.take(event, record.at);
                    }
                }
                (_, None) => {}
            }
        }
        // A lead another run held and finished is no longer anyone's.
        let finished: Vec<_> = self
            .outbox
            .elsewhere
            .keys()
            .filter(|id| self.history.get(id).is_none_or(|e| !e.status.is_open()))
            .copied()
            .collect();
        for id in finished {
            self.outbox.elsewhere.remove(&id);
        }
        self.history.refilter_if_filtered();
        touched.dedup();
        (added, touched)
    }
}
