//! Browsing the history: the `/` search and quick filters, the detail view, retrying a lead as
//! it was, asking the server where created leads stand, and exporting what is listed.

use std::collections::HashMap;

use jiff::Timestamp;

use super::{App, DetailView, Effect, Level, Overlay, TextInput};
use crate::api::ApiError;
use crate::history::query::Filter;
use crate::history::{LocalId, Record, Status, Story};

/// The detail view's attempts and server answer for one lead, read from the history file (the
/// leads in memory do not keep them).
#[derive(Debug, Clone, PartialEq)]
pub struct StoryView {
    /// The lead.
    pub local_id: LocalId,
    /// The lead's `updated_at` the last read was asked for at: when the lead changes, the story
    /// is read again.
    pub as_of: Timestamp,
    /// What is known.
    pub state: StoryState,
}

/// How far the read of a story is.
#[derive(Debug, Clone, PartialEq)]
pub enum StoryState {
    /// Being read (for the first time: a re-read keeps showing what was read before).
    Reading,
    /// Read.
    Read(Story),
    /// The file could not be read; the reason.
    Failed(String),
}

impl App {
    /// Opens the search bar over the history.
    pub(super) fn open_search(&mut self) {
        let text = self.history.filter.search.clone().unwrap_or_default();
        self.history.search_input = Some(TextInput::with_text(&text));
    }

    /// The search text changed: list what matches, as it is typed.
    pub(super) fn search_changed(&mut self) {
        let text = self.history.search_input.as_ref().map(|i| i.text().trim().to_owned()).unwrap_or_default();
        if self.server_view.is_some() {
            let effects = self.server_search_changed(&text);
            self.queued.extend(effects);
            return;
        }
        self.history.filter.search = (!text.is_empty()).then_some(text);
        self.history.refilter();
    }

    /// Closes the search bar; `keep` leaves its filter on, else it is cleared.
    pub(super) fn close_search(&mut self, keep: bool) {
        self.history.search_input = None;
        if !keep {
            self.history.filter.search = None;
            self.history.refilter();
        }
    }

    /// Esc in the history: clears any filter.
    pub(super) fn clear_filters(&mut self) {
        self.history.filter = Filter { region: self.region, ..Filter::default() };
        self.history.refilter();
    }

    /// Shows only the next status present in the history, then all again.
    pub(super) fn cycle_status(&mut self) {
        // One pass, newest first (where the rare open statuses are), until all are seen.
        let mut seen = [false; Status::ALL.len()];
        for peek in self.history.peeks().rev() {
            seen[peek.status as usize] = true;
            if seen.iter().all(|s| *s) {
                break;
            }
        }
        let present: Vec<Status> = Status::ALL.into_iter().filter(|s| seen[*s as usize]).collect();
        self.history.filter.status = next_in(&present, self.history.filter.status);
        self.history.refilter();
    }

    /// Shows only the next campaign present in the history, then all again.
    pub(super) fn cycle_campaign(&mut self) {
        // A history has few campaigns: each is noted once, not every lead's.
        let present: std::collections::HashSet<u64> =
            self.history.peeks().map(|peek| peek.campaign_id).collect();
        let mut present: Vec<u64> = present.into_iter().collect();
        present.sort_unstable();
        self.history.filter.campaign = next_in(&present, self.history.filter.campaign);
        self.history.refilter();
    }

    /// Opens the selected lead's detail view.
    pub(super) fn open_detail(&mut self) {
        if let Some(entry) = self.history.selected_entry() {
            // Its calls are the server's to say, for a lead the server has.
            let calls =
                (entry.status == crate::history::Status::Created && entry.lead_id.is_some()).then(|| {
                    Effect::FetchCalls {
                        local_id: entry.local_id,
                        phone: entry.request.phone_number.to_string(),
                        campaign: entry.request.campaign_id,
                    }
                });
            let view = DetailView {
                local_id: entry.local_id,
                scroll: 0,
                story: None,
                calls: calls.as_ref().map(|_| super::CallsView::Loading),
                max_scroll: std::cell::Cell::new(u16::MAX),
            };
            self.overlay = Some(Overlay::Detail(Box::new(view)));
            self.queued.extend(calls);
        }
    }

    /// Keeps the detail view's story as current as its lead: asks for a read when the view shows
    /// a lead whose story was not read, or that changed since (its records reach the file before
    /// the lead in memory changes, so the read finds them).
    pub(super) fn follow_story(&mut self) -> Option<Effect> {
        let Some(Overlay::Detail(view)) = &mut self.overlay else { return None };
        let entry = self.history.get(&view.local_id)?;
        let (local_id, as_of) = (entry.local_id, entry.updated_at);
        match &mut view.story {
            Some(story) if story.local_id == local_id => {
                if story.as_of == as_of {
                    return None;
                }
                story.as_of = as_of;
            }
            _ => view.story = Some(StoryView { local_id, as_of, state: StoryState::Reading }),
        }
        Some(Effect::ReadStory { local_id, as_of })
    }

    /// A story was read; kept when it is the newest read of the lead on view.
    pub(super) fn story_read(
        &mut self,
        local_id: LocalId,
        as_of: Timestamp,
        result: Result<Story, crate::history::HistoryError>,
    ) {
        if let Some(Overlay::Detail(view)) = &mut self.overlay
            && let Some(story) = &mut view.story
            && story.local_id == local_id
            && story.as_of == as_of
        {
            story.state = match result {
                Ok(read) => StoryState::Read(read),
                Err(e) => StoryState::Failed(e.to_string()),
            };
        }
    }

    /// Sends a failed or rejected lead again, as it was, under the same local id.
    pub(super) fn retry_selected(&mut self) -> Vec<Effect> {
        let target = match &self.overlay {
            Some(Overlay::Detail(view)) => self.history.get(&view.local_id),
            _ => self.history.selected_entry(),
        };
        let Some(entry) = target else { return vec![] };
        let (id, status, request) = (entry.local_id, entry.status, entry.request.clone());
        if !matches!(status, Status::Failed | Status::Rejected) || self.outbox.in_flight.contains_key(&id) {
            self.notify(
                Level::Info,
                format!("Only failed or rejected leads are retried; this one is {}", status.as_str()),
            );
            return vec![];
        }
        self.outbox.in_flight.insert(
            id,
            crate::delivery::engine::Delivery::submitted(super::delivery::salt(id), self.outbox.rules),
        );
        if let Some(entry) = self.history.get_mut(&id) {
            entry.status = Status::Pending;
        }
        self.notify(Level::Info, format!("Retrying {}", request.phone_number));
        vec![Effect::Append(Record::submitted(id, request, "tui").stamped(self.clock))]
    }

    /// The campaigns that hold a lead the server created, each once.
    fn created_campaigns(&self) -> Vec<u64> {
        let mut campaigns: Vec<u64> =
            self.history.peeks().filter(|peek| peek.lead_id.is_some()).map(|peek| peek.campaign_id).collect();
        campaigns.sort_unstable();
        campaigns.dedup();
        campaigns
    }

    /// Asks the server for the status of every created lead, campaign by campaign.
    pub(super) fn refresh_statuses(&mut self) -> Vec<Effect> {
        let campaigns = self.created_campaigns();
        if campaigns.is_empty() {
            self.notify(Level::Info, "No created leads to ask the server about");
            return vec![];
        }
        self.history.refreshing = true;
        self.history.refreshing_quietly = false;
        self.notify(Level::Info, "Asking the server where your leads stand…");
        vec![Effect::RefreshStatuses(campaigns)]
    }

    /// With a refresh interval set: asks the server again once it is due (quietly, and only when
    /// there are created leads and no refresh is under way).
    pub(super) fn refresh_when_due(&mut self) -> Option<Effect> {
        let (every, next) = self.status_refresh?;
        if !self.history.loaded {
            return None;
        }
        let Some(due) = next else {
            self.status_refresh = Some((every, Some(self.now + every)));
            return None;
        };
        if self.now < due || self.history.refreshing {
            return None;
        }
        self.status_refresh = Some((every, Some(self.now + every)));
        let campaigns = self.created_campaigns();
        if campaigns.is_empty() {
            return None;
        }
        self.history.refreshing = true;
        self.history.refreshing_quietly = true;
        Some(Effect::RefreshStatuses(campaigns))
    }

    /// Takes in the server's statuses, and keeps in the history the ones that changed, so they
    /// survive a restart.
    pub(super) fn statuses_refreshed(
        &mut self,
        result: Result<HashMap<crate::api::types::LeadId, String>, ApiError>,
    ) -> Vec<Effect> {
        self.history.refreshing = false;
        let mut noted = Vec::new();
        match result {
            Ok(statuses) => {
                let mut matched = 0;
                let clock = self.clock;
                // Read from every lead as it lies; only those whose status changed are made.
                let mut changed = Vec::new();
                for peek in self.history.peeks() {
                    if let Some(status) = peek.lead_id.and_then(|id| statuses.get(id)) {
                        let status = crate::sanitize::cleaned(status);
                        if peek.server_status != Some(status.as_str()) {
                            changed.push((peek.local_id, status));
                        }
                        matched += 1;
                    }
                }
                for (local_id, status) in changed {
                    if let Some(entry) = self.history.get_mut(&local_id) {
                        entry.server_status = Some(status.as_str().into());
                    }
                    let event = crate::history::Event::ServerStatus { status };
                    noted.push(Record {
                        v: crate::history::record::SCHEMA_VERSION,
                        local_id,
                        at: clock,
                        run: None,
                        event,
                    });
                }
                self.history.statuses_at = Some(self.clock);
                self.history.server_statuses = true;
                self.history.refilter_if_filtered();
                if !self.history.refreshing_quietly {
                    self.notify(
                        Level::Info,
                        format!("Server status of {matched} lead{} refreshed", plural(matched)),
                    );
                }
            }
            // A refresh by itself that fails says nothing: the next one tries again, `s` says why.
            Err(e) if self.history.refreshing_quietly => tracing::debug!(error = %e, "status refresh failed"),
            Err(e) => self.notify(Level::Error, format!("Could not refresh the server status: {e}")),
        }
        if noted.is_empty() { vec![] } else { vec![Effect::Note(noted)] }
    }

    /// Writes what is listed, in the order shown, to a new CSV file in the export directory.
    pub(super) fn export(&mut self) -> Vec<Effect> {
        let Some(dir) = self.export_dir.clone() else { return vec![] };
        if self.history.is_empty() {
            self.notify(Level::Info, "Nothing to export");
            return vec![];
        }
        // Made one at a time on the worker that writes them: a copy of the slots, not the leads.
        let leads = self.history.listed();
        let stamp = self.clock.to_zoned_datetime(self.time_zone.clone()).strftime("%Y%m%d-%H%M%S");
        let path = dir.join(format!("leads-{stamp}.csv"));
        self.notify(Level::Info, format!("Exporting to {} …", path.display()));
        vec![Effect::Export { path, leads }]
    }

    pub(super) fn exported(&mut self, result: Result<(std::path::PathBuf, usize), super::ExportError>) {
        match result {
            Ok((path, n)) => {
                self.notify(Level::Info, format!("Exported {n} lead{} to {}", plural(n), path.display()));
            }
            Err(reason) => self.notify(Level::Error, format!("Export failed: {reason}")),
        }
    }
}

/// The item after `current` in `items`, `None` after the last (meaning "all").
fn next_in<T: Copy + PartialEq>(items: &[T], current: Option<T>) -> Option<T> {
    match current.and_then(|c| items.iter().position(|i| *i == c)) {
        Some(i) => items.get(i + 1).copied(),
        None => items.first().copied(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
