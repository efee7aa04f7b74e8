//! Changes asked of the server for a lead it already has: a fix (`PUT /user/leads/{id}` with what
//! changed) or taking it back (`DELETE`). Each is written to the history before its request
//! starts (a `change` record) and again when the request ends (`changed`), as a create is; the
//! last `changed` of a change wins. A fix that succeeded is applied to the lead as the list shows
//! it; a delete that succeeded (or found the lead gone) marks it deleted.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::record::{LeadEntry, LeadError};
use crate::api::types::UpdateLead;

/// The id of one change, from the moment it is written. A UUIDv7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChangeId(pub uuid::Uuid);

impl ChangeId {
    /// A fresh id.
    pub fn new() -> Self {
        ChangeId(uuid::Uuid::now_v7())
    }
}

impl Default for ChangeId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for ChangeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What is asked of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// `PUT /user/leads/{id}` with only what changed.
    Update(UpdateLead),
    /// `DELETE /user/leads/{id}`.
    Delete,
}

/// Where a change stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    /// Written; its request has not ended (or is about to be sent again).
    #[default]
    Pending,
    /// The server did it.
    Done,
    /// A delete found the lead gone already (`404`): deleted all the same.
    Gone,
    /// The server refused it (a lead on a call cannot be deleted, a bad phone, ...).
    Rejected,
    /// Waiting to be sent again (nothing reached the server).
    Queued,
    /// Sent, but whether the server did it is not known yet.
    Unknown,
    /// It will not be tried again by itself.
    Failed,
}

impl ChangeStatus {
    /// The word used in the file and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Pending => "pending",
            ChangeStatus::Done => "done",
            ChangeStatus::Gone => "gone",
            ChangeStatus::Rejected => "rejected",
            ChangeStatus::Queued => "queued",
            ChangeStatus::Unknown => "unknown",
            ChangeStatus::Failed => "failed",
        }
    }

    /// Whether the change still waits for the server.
    pub fn is_open(self) -> bool {
        matches!(self, ChangeStatus::Pending | ChangeStatus::Queued | ChangeStatus::Unknown)
    }
}

/// One change of a lead, as the history knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    /// Its id.
    pub id: ChangeId,
    /// When it was asked for.
    pub at: Timestamp,
    /// What was asked.
    pub change: Change,
    /// Where it stands.
    pub status: ChangeStatus,
    /// Why, when it did not succeed.
    pub error: Option<LeadError>,
    /// How many of its requests have ended.
    pub attempts: u32,
}

impl LeadEntry {
    /// The changes asked for this lead, oldest first.
    pub fn changes(&self) -> &[ChangeEntry] {
        self.changes.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Whether the lead was taken back: a delete the server did, or that found it gone.
    pub fn is_deleted(&self) -> bool {
        self.changes().iter().any(|c| {
            c.change == Change::Delete && matches!(c.status, ChangeStatus::Done | ChangeStatus::Gone)
        })
    }

    /// Takes in a `change` record: asked for at `at`.
    pub fn begin_change(&mut self, id: ChangeId, change: Change, at: Timestamp) {
        let list = self.changes.get_or_insert_with(Box::default);
        match list.iter_mut().find(|c| c.id == id) {
            // Written again: about to be sent again.
            Some(known) => known.status = ChangeStatus::Pending,
            None => list.push(ChangeEntry {
                id,
                at,
                change,
                status: ChangeStatus::Pending,
                error: None,
                attempts: 0,
            }),
        }
        self.updated_at = self.updated_at.max(at);
    }

    /// Takes in a `changed` record: the change's request ended as `status`. A fix done is
    /// applied to the lead as shown (its phone, campaign, and variables merged, as the server
    /// merges them). Returns false when no such change was asked (the record is an orphan).
    pub fn end_change(
        &mut self,
        id: ChangeId,
        status: ChangeStatus,
        error: Option<LeadError>,
        at: Timestamp,
    ) -> bool {
        let Some(change) = self.changes.as_mut().and_then(|list| list.iter_mut().find(|c| c.id == id)) else {
            return false;
        };
        let was_done = change.status == ChangeStatus::Done;
        change.status = status;
        change.error = error;
        if status != ChangeStatus::Pending {
            change.attempts += 1;
        }
        if let (Change::Update(update), ChangeStatus::Done, false) = (&change.change, status, was_done) {
            let update = update.clone();
            if update.campaign_id.is_some_and(|c| c != self.request.campaign_id) {
                // The old campaign's name no longer is this lead's.
                self.campaign_name = None;
            }
            update.apply_to(&mut self.request);
            if let Some(status) = update.status {
                self.server_status = Some(status.into_boxed_str());
            }
        }
        self.updated_at = self.updated_at.max(at);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::{CreateLead, Variables};
    use crate::history::{Event, LocalId, Record, fold};

    fn request() -> CreateLead {
        let mut variables = Variables::new();
        variables.insert("customer_name", "Ada Lovlace");
        variables.insert("email", "ada@example.com");
        CreateLead {
            phone_number: "+14155550100".into(),
            campaign_id: 12,
            variables,
            allow_dupplicate: false,
            secondary_contacts: vec![],
        }
    }

    fn record(local_id: LocalId, event: Event) -> Record {
        Record { v: crate::history::record::SCHEMA_VERSION, local_id, at: Timestamp::now(), run: None, event }
    }

    #[test]
    fn a_fix_done_shows_in_the_lead_and_a_delete_done_marks_it_deleted() {
        let id = LocalId::new();
        let (fix, delete) = (ChangeId::new(), ChangeId::new());
        let mut name = Variables::new();
        name.insert("customer_name", "Ada Lovelace");
        let update = UpdateLead { variables: Some(name), ..UpdateLead::default() };
        let records = vec![
            Record::submitted(id, request(), "cli"),
            record(id, Event::Change { change_id: fix, change: Change::Update(update.clone()) }),
            record(id, Event::Changed { change_id: fix, status: ChangeStatus::Unknown, error: None }),
        ];
        let (leads, orphans) = fold(records.clone());
        assert!(orphans.is_empty());
        assert_eq!(leads[0].display_name(), "Ada Lovlace", "not applied while unknown");
        assert_eq!(leads[0].changes()[0].status, ChangeStatus::Unknown);
        let mut more = records;
        more.push(record(id, Event::Changed { change_id: fix, status: ChangeStatus::Done, error: None }));
        more.push(record(id, Event::Change { change_id: delete, change: Change::Delete }));
        let (leads, _) = fold(more.clone());
        assert_eq!(leads[0].display_name(), "Ada Lovelace");
        assert_eq!(leads[0].request.variables.get("email"), Some("ada@example.com"), "merged, not replaced");
        assert!(!leads[0].is_deleted(), "a delete asked is not done");
        more.push(record(id, Event::Changed { change_id: delete, status: ChangeStatus::Gone, error: None }));
        let (leads, _) = fold(more.clone());
        assert!(leads[0].is_deleted());
        assert_eq!(leads[0].changes().len(), 2);
        // A `changed` for a change never asked is kept apart, not lost.
        more.push(record(
            id,
            Event::Changed { change_id: ChangeId::new(), status: ChangeStatus::Done, error: None },
        ));
        let (_, orphans) = fold(more);
        assert_eq!(orphans.len(), 1);
    }

    /// Seen: after a fix moved a lead to another campaign, the list still named the old one.
    #[test]
    fn a_lead_moved_to_another_campaign_forgets_the_old_campaigns_name() {
        let id = LocalId::new();
        let mut lead = crate::history::LeadEntry::new(id, Timestamp::now(), request());
        lead.campaign_name = Some("Hannover Messe".into());
        let change = ChangeId::new();
        let update = UpdateLead { campaign_id: Some(17), ..UpdateLead::default() };
        lead.begin_change(change, Change::Update(update), Timestamp::now());
        lead.end_change(change, ChangeStatus::Done, None, Timestamp::now());
        assert_eq!((lead.request.campaign_id, lead.campaign_name.as_deref()), (17, None));
    }

    #[test]
    fn the_records_read_back_as_documented() {
        let id = LocalId::new();
        let change_id = ChangeId(uuid::Uuid::from_u128(7));
        let mut vars = Variables::new();
        vars.insert("customer_name", "Ada");
        let fix = Change::Update(UpdateLead { variables: Some(vars), ..UpdateLead::default() });
        let line =
            serde_json::to_value(record(id, Event::Change { change_id, change: fix.clone() })).unwrap();
        assert_eq!(line["type"], "change");
        assert_eq!(line["change"], serde_json::json!({"update": {"variables": {"customer_name": "Ada"}}}));
        let line =
            serde_json::to_value(record(id, Event::Change { change_id, change: Change::Delete })).unwrap();
        assert_eq!(line["change"], "delete");
        let done = record(id, Event::Changed { change_id, status: ChangeStatus::Done, error: None });
        let line = serde_json::to_value(&done).unwrap();
        assert_eq!((line["type"].as_str(), line["status"].as_str()), (Some("changed"), Some("done")));
        let back: Record = serde_json::from_value(line).unwrap();
        assert_eq!(back, done);
        let seen = record(id, Event::ServerStatus { status: "completed".into() });
        let line = serde_json::to_value(&seen).unwrap();
        assert_eq!(
            (line["type"].as_str(), line["status"].as_str()),
            (Some("server_status"), Some("completed"))
        );
    }
}
