//! The records of `history.jsonl` (documented in `docs/history-format.md`) and how they fold into
//! the leads a person sees. A lead is one `submitted` record followed by any number of `outcome`
//! records with the same `local_id`; the last outcome wins.

use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::change::{Change, ChangeEntry, ChangeId, ChangeStatus};
use super::leads::Leads;
use crate::api::types::{CreateLead, LeadId, Variables};
use crate::api::{ApiError, ErrorKind};

/// The schema version written on every record. Readers accept this and every older version.
pub const SCHEMA_VERSION: u32 = 1;

/// The id a lead has from the moment it is written to the history, before the server knows it.
/// A UUIDv7: unique across instances and sortable by creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LocalId(pub uuid::Uuid);

impl LocalId {
    /// A fresh id.
    pub fn new() -> Self {
        LocalId(uuid::Uuid::now_v7())
    }
}

impl Default for LocalId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for LocalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One line of the history file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Schema version of this line.
    pub v: u32,
    /// The lead this record is about.
    pub local_id: LocalId,
    /// When this record was written.
    pub at: Timestamp,
    /// The run that wrote it, which holds the lead while it is open (see [`super::owner`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<super::RunId>,
    /// What happened.
    #[serde(flatten)]
    pub event: Event,
}

/// What a record says about its lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The lead was accepted from the form or the command line and is about to be sent.
    Submitted {
        /// Exactly what is sent to `POST /user/lead`.
        request: CreateLead,
        /// Where it was entered: `tui` or `cli`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        origin: Option<String>,
    },
    /// A send attempt ended.
    Outcome {
        /// The lead's status after this attempt.
        status: Status,
        /// The server's lead id, once created.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lead_id: Option<LeadId>,
        /// The campaign's name, when the server said it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        campaign_name: Option<String>,
        /// Why it did not succeed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<LeadError>,
        /// The server's answer (the lead object), for the detail view.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response: Option<Value>,
    },
    /// A change of the created lead (a fix, or taking it back) is about to be sent.
    Change {
        /// The change's id, which its `changed` records name.
        change_id: ChangeId,
        /// What is asked of the server.
        change: Change,
    },
    /// A change's request ended.
    Changed {
        /// The change.
        change_id: ChangeId,
        /// Where it stands now.
        status: ChangeStatus,
        /// Why it did not succeed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<LeadError>,
    },
    /// The status the server reported for the lead (`scheduled`, `completed`, ...), as it came.
    ServerStatus {
        /// The server's word.
        status: String,
    },
}

/// Where a lead stands, locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Written to the history; the request has not ended yet.
    #[default]
    Pending,
    /// The server created it and gave it an id.
    Created,
    /// The API refused it; fix and resend.
    Rejected,
    /// It could not be sent and will not be retried by itself.
    Failed,
    /// Waiting to be sent again.
    Queued,
    /// Sent, but whether the server created it is not known yet.
    Unknown,
}

impl Status {
    /// All statuses, for filters and help.
    pub const ALL: [Status; 6] =
        [Status::Pending, Status::Created, Status::Rejected, Status::Failed, Status::Queued, Status::Unknown];

    /// The word used in the file, on screen and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Created => "created",
            Status::Rejected => "rejected",
            Status::Failed => "failed",
            Status::Queued => "queued",
            Status::Unknown => "unknown",
        }
    }

    /// Whether the lead still waits for the server.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Pending | Status::Queued | Status::Unknown)
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            let all: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
            format!("`{s}` is not a status; use one of {}", all.join(", "))
        })
    }
}

/// Why a lead did not succeed, as kept in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadError {
    /// The class of failure.
    pub kind: ErrorKind,
    /// A sentence for a person.
    pub message: String,
    /// The HTTP status, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Field errors as the server keyed them (`phone_number`, `secondary_contacts.0.phone_number`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub fields: IndexMap<String, Vec<String>>,
}

impl From<&ApiError> for LeadError {
    fn from(error: &ApiError) -> Self {
        use crate::sanitize::cleaned;
        let (message, http_status, fields) = match error {
            ApiError::Rejected { status, message, errors } => {
                let fields = errors.iter().map(|(k, v)| (cleaned(k), v.iter().map(|m| cleaned(m)).collect()));
                (cleaned(message), Some(*status), fields.collect())
            }
            other => (cleaned(&other.to_string()), None, IndexMap::new()),
        };
        LeadError { kind: error.kind(), message, http_status, fields }
    }
}

impl Record {
    /// Cleans every string a person will read of control characters and bidirectional
    /// overrides (the file may have been edited by hand, or by something hostile). Called where
    /// records enter the app from the file.
    pub fn sanitize(&mut self) {
        use crate::sanitize::{clean, cleaned};
        use std::borrow::Cow;
        // Most strings are clean: they are only replaced when something was removed.
        fn is_clean(text: &str) -> bool {
            matches!(clean(text), Cow::Borrowed(_))
        }
        fn fix<T: AsRef<str> + From<String>>(text: &mut T) {
            if let Cow::Owned(clean) = clean(text.as_ref()) {
                *text = clean.into();
            }
        }
        fn vars(vars: &mut Variables) {
            if !vars.iter().all(|(k, v)| is_clean(k) && is_clean(v)) {
                *vars = vars.iter().map(|(k, v)| (cleaned(k), cleaned(v))).collect();
            }
        }
        fn error_fix(error: &mut LeadError) {
            fix(&mut error.message);
            let fields_clean = error.fields.iter().all(|(k, v)| is_clean(k) && v.iter().all(|m| is_clean(m)));
            if !fields_clean {
                error.fields = error
                    .fields
                    .iter()
                    .map(|(k, v)| (cleaned(k), v.iter().map(|m| cleaned(m)).collect()))
                    .collect();
            }
        }
        match &mut self.event {
            Event::Submitted { request, origin } => {
                fix(&mut request.phone_number);
                vars(&mut request.variables);
                for contact in &mut request.secondary_contacts {
                    fix(&mut contact.phone_number);
                    vars(&mut contact.variables);
                }
                origin.iter_mut().for_each(fix);
            }
            Event::Change { change, .. } => {
                if let Change::Update(update) = change {
                    update.phone_number.iter_mut().for_each(fix);
                    update.status.iter_mut().for_each(fix);
                    update.variables.iter_mut().for_each(vars);
                }
            }
            Event::ServerStatus { status } => fix(status),
            Event::Changed { error, .. } => error.iter_mut().for_each(error_fix),
            Event::Outcome { lead_id, campaign_name, error, .. } => {
                lead_id.iter_mut().for_each(fix);
                campaign_name.iter_mut().for_each(fix);
                error.iter_mut().for_each(error_fix);
            }
        }
    }

    /// The record as written at `at` (the model's clock) instead of the moment it was made.
    #[must_use]
    pub fn stamped(mut self, at: Timestamp) -> Self {
        self.at = at;
        self
    }

    /// A `submitted` record for a new lead.
    pub fn submitted(local_id: LocalId, request: CreateLead, origin: &str) -> Self {
        Record {
            v: SCHEMA_VERSION,
            local_id,
            at: Timestamp::now(),
            run: None,
            event: Event::Submitted { request, origin: Some(origin.to_owned()) },
        }
    }

    /// An `outcome` record.
    pub fn outcome(local_id: LocalId, outcome: Outcome) -> Self {
        Record {
            v: SCHEMA_VERSION,
            local_id,
            at: Timestamp::now(),
            run: None,
            event: Event::Outcome {
                status: outcome.status,
                lead_id: outcome.lead_id,
                campaign_name: outcome.campaign_name,
                error: outcome.error,
                response: outcome.response,
            },
        }
    }
}

/// The result of one attempt, ready to be stored and shown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// The new status.
    pub status: Status,
    /// The server's id, when created.
    pub lead_id: Option<LeadId>,
    /// The campaign's name, when the server said it.
    pub campaign_name: Option<String>,
    /// Why it did not succeed.
    pub error: Option<LeadError>,
    /// The server's lead object.
    pub response: Option<Value>,
}

impl Outcome {
    /// A lead that will not be sent by itself again, for a reason of the app's own (the history
    /// could not be written, the user cancelled it).
    pub fn failed(kind: ErrorKind, message: impl Into<String>) -> Self {
        let error = LeadError { kind, message: message.into(), http_status: None, fields: IndexMap::new() };
        Outcome { status: Status::Failed, error: Some(error), ..Outcome::default() }
    }

    /// The outcome of a create call: created with the server's id, or the error's class.
    pub fn from_result(result: &Result<crate::api::types::Created, ApiError>) -> Self {
        match result {
            Ok(created) => Outcome {
                status: Status::Created,
                lead_id: Some(crate::sanitize::cleaned(&created.lead.id).into()),
                campaign_name: created
                    .lead
                    .campaign
                    .as_ref()
                    .map(|c| crate::sanitize::cleaned(&c.name))
                    .filter(|n| !n.is_empty()),
                error: None,
                response: serde_json::to_value(&created.lead).ok(),
            },
            Err(e) => Outcome {
                status: match e {
                    ApiError::Rejected { .. } | ApiError::Auth(_) | ApiError::AuthUnsure(_) => {
                        Status::Rejected
                    }
                    _ => Status::Failed,
                },
                error: Some(LeadError::from(e)),
                ..Outcome::default()
            },
        }
    }
}

/// A lead as the history knows it: its submission folded with its latest outcome.
///
/// Kept small, because a long history holds hundreds of thousands: what the list shows, searches
/// and sends again, and no more. Each attempt and the server's answer are read from the file
/// when the detail view asks ([`HistoryStore::story`](super::HistoryStore::story)).
#[derive(Debug, Clone, PartialEq)]
pub struct LeadEntry {
    /// The local id.
    pub local_id: LocalId,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// When the latest record about it was written.
    pub updated_at: Timestamp,
    /// What was (or will be) sent.
    pub request: CreateLead,
    /// Where it stands.
    pub status: Status,
    /// How many send attempts have ended.
    pub attempts: u32,
    /// The server's id, once created.
    pub lead_id: Option<LeadId>,
    /// The campaign's name, when known (shared by every lead of the campaign after a load).
    pub campaign_name: Option<Arc<str>>,
    /// The latest error, if the latest outcome was one.
    pub error: Option<Box<LeadError>>,
    /// The status the server last reported (`scheduled`, `completed`, ...), when refreshed.
    pub server_status: Option<Box<str>>,
    /// The run that wrote its latest record: while the lead is open, the one that holds it.
    pub owner: Option<super::RunId>,
    /// The fixes and deletes asked for it once created (see [`super::change`]); boxed, as most
    /// leads have none.
    pub changes: Option<Box<Vec<ChangeEntry>>>,
}

/// One ended send attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// When its outcome was recorded.
    pub at: Timestamp,
    /// What it ended as.
    pub status: Status,
    /// Why, when it did not succeed.
    pub error: Option<String>,
}

impl LeadEntry {
    /// A lead that was just submitted.
    pub fn new(local_id: LocalId, submitted_at: Timestamp, request: CreateLead) -> Self {
        LeadEntry {
            local_id,
            submitted_at,
            updated_at: submitted_at,
            request,
            status: Status::Pending,
            attempts: 0,
            lead_id: None,
            campaign_name: None,
            error: None,
            server_status: None,
            owner: None,
            changes: None,
        }
    }

    /// Applies one attempt's outcome.
    pub fn apply(&mut self, outcome: Outcome, at: Timestamp) {
        self.status = outcome.status;
        if let Some(id) = outcome.lead_id {
            self.lead_id = Some(id);
        }
        if let Some(name) = outcome.campaign_name
            && self.campaign_name.as_deref() != Some(name.as_str())
        {
            self.campaign_name = Some(name.into());
        }
        self.error = outcome.error.map(Box::new);
        self.updated_at = at;
        // `pending` marks a send about to start, not an attempt that ended.
        if outcome.status != Status::Pending {
            self.attempts += 1;
        }
    }

    /// Takes in a record about a change or the server's status (the kinds that come after the
    /// lead was created); false when it names a change this lead never had.
    pub fn take(&mut self, event: Event, at: Timestamp) -> bool {
        match event {
            Event::Change { change_id, change } => {
                self.begin_change(change_id, change, at);
                true
            }
            Event::Changed { change_id, status, error } => self.end_change(change_id, status, error, at),
            Event::ServerStatus { status } => {
                self.server_status = Some(status.into_boxed_str());
                self.updated_at = self.updated_at.max(at);
                true
            }
            Event::Submitted { .. } | Event::Outcome { .. } => false,
        }
    }

    /// The name shown in lists: the `customer_name` variable, else the first variable's value.
    pub fn display_name(&self) -> &str {
        let vars = &self.request.variables;
        vars.get("customer_name").or_else(|| vars.values().next()).unwrap_or("")
    }
}

/// Folds records, in file order, into leads in submission order. Outcomes whose lead was never
/// submitted (a damaged line lost it) are returned apart so they are not silently dropped.
pub fn fold(records: impl IntoIterator<Item = Record>) -> (Vec<LeadEntry>, Vec<Record>) {
    let mut folder = Folder::default();
    records.into_iter().for_each(|r| folder.add(r));
    folder.finish()
}

/// Folds records one at a time, as they are read, so a long history is never held twice (once
/// as records, once as leads).
#[derive(Debug, Default)]
pub struct Folder {
    leads: Leads,
    orphans: Vec<Record>,
    /// Campaign names, one copy each, shared by the leads.
    names: HashSet<Arc<str>>,
    /// How many leads it resumed from (a checkpoint's), and which of those records changed
    /// since: what a checkpoint's search index must make again.
    resumed: usize,
    touched: Vec<usize>,
}

/// What a [`Folder`] ends with.
#[derive(Debug, Default)]
pub struct Finished {
    /// The leads in submission order (those of a checkpoint packed, as they were read).
    pub leads: Leads,
    /// Outcomes whose lead was never submitted.
    pub orphans: Vec<Record>,
    /// Which of the leads it resumed from changed since, in order, each once.
    pub touched: Vec<usize>,
}

impl Folder {
    /// Goes on from `leads` and `orphans`, the fold of the records before (a checkpoint's).
    pub fn resume(leads: Leads, orphans: Vec<Record>) -> Folder {
        // A checkpoint's leads share one copy of each campaign name already (its table of words
        // holds them, among others).
        let names = leads.words().iter().cloned().collect();
        let resumed = leads.len();
        Folder { leads, orphans, names, resumed, touched: Vec::new() }
    }

    /// Takes in the next record, in file order.
    pub fn add(&mut self, mut record: Record) {
        record.sanitize();
        let Folder { leads, orphans, names, resumed, touched } = self;
        let found = leads.position(&record.local_id);
        if let Some(i) = found {
            leads[i].owner = record.run;
            if i < *resumed && touched.last() != Some(&i) {
                touched.push(i);
            }
        }
        match record.event {
            Event::Submitted { request, .. } => {
                if let Some(i) = found {
                    // A retry: the same local id is sent again (maybe changed) and is open again.
                    leads[i].request = request;
                    leads[i].status = Status::Pending;
                    leads[i].updated_at = record.at;
                } else {
                    let mut lead = LeadEntry::new(record.local_id, record.at, request);
                    lead.owner = record.run;
                    // Not held (`found` is none): always added.
                    leads.push(lead);
                }
            }
            Event::Outcome { status, lead_id, campaign_name, error, response } => {
                match found {
                    Some(i) => {
                        // The server's answer is left in the file for the detail view.
                        let lead = &mut leads[i];
                        lead.apply(Outcome { status, lead_id, error, ..Outcome::default() }, record.at);
                        if let Some(name) = campaign_name {
                            lead.campaign_name = Some(if let Some(shared) = names.get(name.as_str()) {
                                Arc::clone(shared)
                            } else {
                                let shared: Arc<str> = name.into();
                                names.insert(Arc::clone(&shared));
                                shared
                            });
                        }
                    }
                    None => orphans.push(Record {
                        event: Event::Outcome { status, lead_id, campaign_name, error, response },
                        ..record
                    }),
                }
            }
            event @ (Event::Change { .. } | Event::Changed { .. } | Event::ServerStatus { .. }) => {
                let at = record.at;
                let taken = found.is_some_and(|i| leads[i].take(event.clone(), at));
                if !taken {
                    orphans.push(Record { event, ..record });
                }
            }
        }
    }

    /// The leads in submission order, and the outcomes whose lead was never submitted.
    pub fn finish(self) -> (Vec<LeadEntry>, Vec<Record>) {
        let Finished { leads, orphans, .. } = self.finish_all();
        (leads.into_vec(), orphans)
    }

    /// Everything it made: the leads, the orphans, the leads touched.
    pub fn finish_all(mut self) -> Finished {
        self.leads.shrink_to_fit();
        self.touched.sort_unstable();
        self.touched.dedup();
        Finished { leads: self.leads, orphans: self.orphans, touched: self.touched }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_numbered_as_listed() {
        // Code that counts statuses indexes by `status as usize`.
        for (i, status) in Status::ALL.into_iter().enumerate() {
            assert_eq!(status as usize, i, "{status:?}");
        }
    }

    #[test]
    fn a_hostile_history_line_is_cleaned_before_it_is_shown() {
        let line = r#"{"v":1,"local_id":"019ad0a4-5f1e-7c3a-9b1e-3f2d0c8e4a11","at":"2026-11-29T16:56:39Z","type":"submitted","request":{"phone_number":"+1415\u001b]0;pwned\u0007","campaign_id":1,"variables":{"customer_name":"Eve\u202e\u001b[2J"},"allow_dupplicate":false}}"#;
        let record: Record = serde_json::from_str(line).unwrap();
        let (leads, _) = fold([record]);
        assert_eq!(leads[0].request.phone_number, "+1415");
        assert_eq!(leads[0].display_name(), "Eve");
    }
}
