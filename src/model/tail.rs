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
        if let Some(again) = &mut self.tail_reading {
            *again = true;
            vec![]
        } else {
            self.tail_reading = Some(false);
            vec![Effect::ReadTail(self.history_end)]
        }
    }

    pub(super) fn tail_read(&mut self, result: Result<Tail, String>) -> Vec<Effect> {
        let again = self.tail_reading.take() == Some(true);
        match result {
            Ok(tail) if tail.reset => return vec![Effect::LoadHistory],
            Ok(tail) => {
                self.history_end = self.history_end.max(tail.end);
                let added = self.merge(tail.records);
                if let Some(problem) = tail.problems.first() {
                    self.notify(Level::Error, problem.clone());
                } else if added > 0 {
                    let s = if added == 1 { "" } else { "s" };
                    self.notify(Level::Info, format!("{added} lead{s} added by another window"));
                }
            }
            Err(reason) => self.notify(Level::Error, format!("The history could not be re-read: {reason}")),
        }
        if again { self.history_changed() } else { vec![] }
    }

    /// Applies records from the file that this instance has not applied yet; returns how many
    /// new leads appeared. A record is ours (already applied) when its lead is on its way here,
    /// or when the lead was updated at or after the record's time.
    fn merge(&mut self, records: Vec<crate::history::Record>) -> usize {
        let mut added = 0;
        for mut record in records {
            record.sanitize();
            // A lead this instance is working on right now has its own records in hand.
            if self.in_flight.get(&record.local_id).is_some_and(super::delivery::Phase::is_busy) {
                continue;
            }
            let known = self.history.get(&record.local_id).map(|e| e.updated_at);
            match (record.event, known) {
                (Event::Submitted { request, .. }, None) => {
                    self.history.push(LeadEntry::new(record.local_id, record.at, request));
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
                (Event::Outcome { .. }, None) => {}
            }
        }
        // A lead this instance was only waiting on, finished by another instance: let it go.
        let finished: Vec<_> = self
            .in_flight
            .iter()
            .filter(|(id, phase)| {
                !phase.is_busy() && self.history.get(id).is_some_and(|e| !e.status.is_open())
            })
            .map(|(id, _)| *id)
            .collect();
        for id in finished {
            self.in_flight.remove(&id);
        }
        self.history.refilter_if_filtered();
        added
    }
}
