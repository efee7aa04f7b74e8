//! The history pane's state: every lead the history knows, newest first on screen, and the
//! selection. Leads are matched by local id, so a late answer can only ever update its own row.
//!
//! What is listed under a filter is worked out by a [`FilterPass`]: here in a short history, on
//! a worker in a long one (the view hands it out with [`HistoryView::take_pass`] and takes its answer in
//! [`HistoryView::filtered`]; until then it lists what it listed before).

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexSet;

use crate::history::leads::{Leads, Peek};
use crate::history::query::{Filter, Prepared, search_key};
use crate::history::search_index::SearchIndex;
use crate::history::{LeadEntry, LocalId, Status};
use crate::matching::Query;

use super::TextInput;
use super::filter_pass::{Candidates, FilterPass};

/// The leads and where the user is looking.
#[derive(Debug, Clone, Default)]
pub struct HistoryView {
    /// Whether a server status refresh is under way.
    pub refreshing: bool,
    /// Whether the refresh under way came by itself (its answer needs no word when it works).
    pub refreshing_quietly: bool,
    /// When the server statuses were last refreshed.
    pub statuses_at: Option<jiff::Timestamp>,
    /// Whether any lead has a status from the server (refreshed now, or kept in the history).
    pub server_statuses: bool,
    /// How far the history file has been read.
    pub(super) end: u64,
    /// A tail read is under way; `Some(true)` when the file changed again meanwhile.
    pub(super) tail_reading: Option<bool>,
    /// Leads in submission order (oldest first), most of them packed; the screen shows them
    /// reversed.
    entries: Leads,
    /// The selected row, counted from the newest (0).
    pub selected: usize,
    /// The first row drawn; kept by `App::update` so the selection stays in view.
    pub offset: usize,
    /// Whether the history file has been read.
    pub loaded: bool,
    /// Problems found in the file while reading it.
    pub problems: Vec<String>,
    /// Variable names used in each campaign, oldest use first, for suggestions.
    keys_by_campaign: HashMap<u64, IndexSet<String>>,
    /// What the list is narrowed to.
    pub filter: Filter,
    /// The `/` search being typed, while it is open.
    pub search_input: Option<TextInput>,
    /// With a filter: indices into `entries` of the matching leads, newest first (shared with a
    /// pass that narrows them).
    visible: Option<Arc<Vec<usize>>>,
    /// Each lead's search fields (its folded search text, phone, status, campaign), built with
    /// the loaded history: a keystroke in the search is one substring test per lead. Leads at and
    /// past its end, and those in `stale`, are (re)made before the next pass.
    search: SearchIndex,
    /// Leads that changed since their search fields were made.
    stale: Vec<usize>,
    /// The filter `visible` was made with (prepared), while it is in force: what the rows show
    /// as matched.
    listed_with: Option<Prepared>,
    /// Whether no lead changed since `visible` was made: a search that only narrows then looks
    /// only at what is listed.
    listed_fresh: bool,
    /// Each lead's [`contact_key`] (0 when the lead changed since): finding the leads of a phone
    /// in a campaign (the duplicate guard, look-ups) reads 8 bytes per lead, not every lead.
    contact_keys: Vec<u64>,
    /// Passes made so far: each new one's generation.
    generation: u64,
    /// The pass on a worker whose answer is awaited.
    pending: Option<Pending>,
    /// A pass made but not handed out yet.
    to_start: Option<FilterPass>,
    /// From how many leads the passes go to a worker.
    worker_from: WorkerFrom,
}

/// A pass on a worker, as the view remembers it until its answer comes.
#[derive(Debug, Clone)]
struct Pending {
    generation: u64,
    /// Held while the answer is wanted: dropping it (a newer pass, no filter) stops the pass.
    _wanted: Arc<()>,
    /// Its filter, to show as matched with its answer.
    filter: Prepared,
    /// How many leads there were when it was made: leads added since are judged on its answer.
    upto: usize,
    /// Whether no lead changed since it was made (so its answer may be narrowed later).
    fresh: bool,
}

/// From how many leads in the history every pass runs on a worker rather than in `update`. Below
/// it a pass is done within a frame and the list changes with the key; above it even a pass over
/// the leads listed can take more (a word that skips letters asks nucleo about each: ≈ 13 ms for
/// 37,000 leads listed of a million), and the keys must not wait for it.
#[derive(Debug, Clone, Copy)]
struct WorkerFrom(usize);

impl Default for WorkerFrom {
    fn default() -> Self {
        WorkerFrom(50_000)
    }
}

impl HistoryView {
    /// How many leads are listed (those matching the filter).
    pub fn len(&self) -> usize {
        self.visible.as_ref().map_or(self.entries.len(), |visible| visible.len())
    }

    /// Whether none are listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many leads the history holds, filter or not.
    pub fn total(&self) -> usize {
        self.entries.len()
    }

    /// The lead on screen row `row` (0 = the newest listed).
    pub fn row(&self, row: usize) -> Option<&LeadEntry> {
        let index = match &self.visible {
            Some(visible) => *visible.get(row)?,
            None => self.entries.len().checked_sub(row + 1)?,
        };
        self.entries.get(index)
    }

    /// The selected lead.
    pub fn selected_entry(&self) -> Option<&LeadEntry> {
        self.row(self.selected)
    }

    /// What is listed, in the order shown, to read off the UI task (an export): a copy of the
    /// leads' slots (the packed ones share their bytes) and of the rows.
    pub fn listed(&self) -> Listed {
        Listed { leads: self.entries.clone(), rows: self.visible.clone() }
    }

    /// Re-applies the filter when there is one (after leads changed).
    pub fn refilter_if_filtered(&mut self) {
        if self.is_filtered() {
            self.refilter();
        }
    }

    /// Whether a filter narrows the list (or is being applied by a pass on a worker).
    pub fn is_filtered(&self) -> bool {
        self.visible.is_some() || self.pending.is_some()
    }

    /// Lists only the leads matching `self.filter` (all when it is empty), keeping the selection
    /// on the lead it was on when that lead still matches. A pass over many leads is handed out
    /// ([`take_pass`](Self::take_pass)) and the list changes with its answer; an older pass still
    /// out is no longer wanted.
    pub fn refilter(&mut self) {
        self.pending = None;
        self.to_start = None;
        if self.filter.is_empty() {
            let keep = self.selected_entry().map(|e| e.local_id);
            self.visible = None;
            self.listed_with = None;
            self.selected = keep.and_then(|id| self.row_of(&id)).unwrap_or(0);
            return;
        }
        let filter = self.filter.prepare();
        // A search that only grew (same quick filters, no lead changed) narrows what is listed.
        let narrows = self.listed_fresh && self.listed_with.as_ref().is_some_and(|last| filter.narrows(last));
        let candidates = match &self.visible {
            Some(visible) if narrows => Candidates::Listed(Arc::clone(visible)),
            _ => Candidates::All(self.entries.len()),
        };
        self.index_up_to_date();
        self.generation += 1;
        let wanted = Arc::new(());
        let pass = FilterPass::new(self.generation, self.search.clone(), candidates, filter, &wanted);
        if self.entries.len() < self.worker_from.0 {
            let rows = pass.matching(0..pass.len()).unwrap_or_default();
            self.show(rows, pass.into_filter(), true);
        } else {
            let (upto, filter) = (self.entries.len(), pass.filter().clone());
            self.pending =
                Some(Pending { generation: self.generation, _wanted: wanted, filter, upto, fresh: true });
            self.to_start = Some(pass);
        }
    }

    /// The pass to run on a worker, once: its answer goes to [`filtered`](Self::filtered).
    pub fn take_pass(&mut self) -> Option<FilterPass> {
        self.to_start.take()
    }

    /// A pass on a worker answered: when it is the newest, its rows are listed (with the leads
    /// added since that pass), keeping the selection on its lead. An older pass's answer, or a
    /// pass that stopped early, changes nothing.
    pub fn filtered(&mut self, generation: u64, rows: Option<Vec<usize>>) {
        let Some(mut rows) = rows else { return };
        if self.pending.as_ref().is_none_or(|p| p.generation != generation) {
            return;
        }
        let Some(pending) = self.pending.take() else { return };
        // Newest first, as `push` lists them.
        let added = (pending.upto..self.entries.len()).rev().filter(|&i| {
            let entry = &self.entries[i];
            pending.filter.matches(entry, &search_key(entry))
        });
        let added: Vec<usize> = added.collect();
        rows.splice(0..0, added);
        self.show(rows, pending.filter, pending.fresh);
    }

    /// Lists `rows`, found with `filter`, keeping the selection on its lead when it is listed.
    fn show(&mut self, rows: Vec<usize>, filter: Prepared, fresh: bool) {
        let keep = self.selected_entry().map(|e| e.local_id);
        self.visible = Some(Arc::new(rows));
        self.listed_with = Some(filter);
        self.listed_fresh = fresh;
        self.selected = keep.and_then(|id| self.row_of(&id)).unwrap_or(0);
    }

    /// Makes the search fields of leads that changed or were added since they were last made.
    fn index_up_to_date(&mut self) {
        self.stale.sort_unstable();
        self.stale.dedup();
        for i in self.stale.drain(..) {
            if let Some(entry) = self.entries.get(i) {
                self.search.set(i, entry);
            }
        }
        for i in self.search.len()..self.entries.len() {
            self.search.push(&self.entries[i]);
        }
    }

    /// Lets passes go to a worker from a history of `leads` on (tests make a short one's go too).
    pub fn set_worker_from(&mut self, leads: usize) {
        self.worker_from = WorkerFrom(leads);
    }

    /// The search the list is narrowed by, to show what matched in each row.
    pub fn query(&self) -> Option<&Query> {
        self.listed_with.as_ref().map(Prepared::query).filter(|q| !q.is_empty())
    }

    /// The screen row of lead `id`, when it is listed.
    pub fn row_of(&self, id: &LocalId) -> Option<usize> {
        let i = self.entries.position(id)?;
        match &self.visible {
            None => self.entries.len().checked_sub(i + 1),
            // Listed newest first: indices go down.
            Some(visible) => visible.binary_search_by(|probe| i.cmp(probe)).ok(),
        }
    }

    /// The lead with this local id.
    pub fn get(&self, id: &LocalId) -> Option<&LeadEntry> {
        self.entries.position(id).map(|i| &self.entries[i])
    }

    /// The lead with this local id, to change it.
    pub fn get_mut(&mut self, id: &LocalId) -> Option<&mut LeadEntry> {
        let i = self.entries.position(id)?;
        self.changed(i);
        Some(&mut self.entries[i])
    }

    /// Lead `i` may change: its search fields are made again before the next pass.
    fn changed(&mut self, i: usize) {
        if i < self.search.len() {
            self.stale.push(i);
            // The same leads change again and again (each answer about a lead): kept short.
            if self.stale.len() > self.entries.len().max(64) {
                self.stale.sort_unstable();
                self.stale.dedup();
            }
        }
        if let Some(key) = self.contact_keys.get_mut(i) {
            *key = 0;
        }
        self.listed_fresh = false;
        if let Some(pending) = &mut self.pending {
            pending.fresh = false;
        }
    }

    /// What lists ask of every lead, oldest first, read without making the packed ones.
    pub fn peeks(&self) -> impl ExactSizeIterator<Item = Peek<'_>> + DoubleEndedIterator + '_ {
        self.entries.peeks()
    }

    /// Adds a newly submitted lead on top, keeping the selection on the lead it was on.
    pub fn push(&mut self, entry: LeadEntry) {
        if self.entries.contains(&entry.local_id) {
            return;
        }
        note_keys(&mut self.keys_by_campaign, &entry);
        let matches = self.filter.matches(&entry);
        self.contact_keys.resize(self.entries.len(), 0);
        self.contact_keys.push(contact_key(&entry));
        if self.search.len() == self.entries.len() {
            self.search.push(&entry);
        }
        // Not held (checked above): always added.
        self.entries.push(entry);
        if let Some(visible) = &mut self.visible {
            if !matches {
                return;
            }
            Arc::make_mut(visible).insert(0, self.entries.len() - 1);
        }
        if self.len() > 1 && self.selected > 0 {
            self.selected += 1;
        }
    }

    /// Takes in what the file holds, with its lookups already built: nothing here grows with the
    /// history but the leads held before (submitted while the file was being read, or all of
    /// them when the file is read again after it was replaced). Of a lead in both, the newer
    /// state is kept. A lead only held here stays at the first read (it was submitted meanwhile);
    /// at a later one (the file was deleted or replaced) only while `on_its_way` says this
    /// window is still sending it: the file is the record, and a row it no longer has goes.
    /// Returns the leads the file had still open.
    pub fn load(
        &mut self,
        loaded: LoadedLeads,
        problems: Vec<String>,
        on_its_way: impl Fn(&LocalId) -> bool,
    ) -> Vec<LocalId> {
        let again = self.loaded;
        let held = std::mem::take(&mut self.entries);
        let mut session = held.into_kept(|id| !again || on_its_way(id));
        // Kept in the order they were submitted, after the file's (which are older, or the file
        // would hold them): a lead typed now is never listed below one from before.
        session.sort_by_key(|entry| entry.submitted_at);
        let open;
        LoadedLeads {
            entries: self.entries,
            keys_by_campaign: self.keys_by_campaign,
            search: self.search,
            contact_keys: self.contact_keys,
            open,
        } = loaded;
        self.stale.clear();
        for entry in session {
            match self.entries.position(&entry.local_id) {
                Some(i) if entry.updated_at <= self.entries[i].updated_at => {}
                Some(i) => {
                    self.entries.set(i, entry);
                    self.changed(i);
                }
                None => {
                    note_keys(&mut self.keys_by_campaign, &entry);
                    // Not held (`position` is none): always added.
                    self.entries.push(entry);
                }
            }
        }
        self.listed_fresh = false;
        self.selected = 0;
        self.loaded = true;
        self.server_statuses = self.entries.peeks().any(|peek| peek.server_status.is_some());
        self.problems = problems;
        // A pass on its way looked at the leads held before: it is made again too.
        self.refilter_if_filtered();
        open
    }

    /// The newest lead created with this phone in this campaign.
    pub fn created_with(&mut self, phone: &str, campaign: u64) -> Option<&LeadEntry> {
        let found = self.with_contact(phone, campaign);
        // A lead taken back is no longer in the campaign.
        let newest = found
            .into_iter()
            .rev()
            .find(|&i| self.entries[i].status == Status::Created && !self.entries[i].is_deleted());
        newest.map(|i| &self.entries[i])
    }

    /// The newest lead with this phone and campaign still on its way (sent, its outcome not
    /// known yet): a second one sent now may be refused, or make two.
    pub fn open_with(&mut self, phone: &str, campaign: u64) -> Option<&LeadEntry> {
        let found = self.with_contact(phone, campaign);
        let newest = found.into_iter().rev().find(|&i| self.entries[i].status.is_open());
        newest.map(|i| &self.entries[i])
    }

    /// The server ids that leads other than `except` with this phone and campaign already have.
    pub fn lead_ids_for(
        &mut self,
        phone: &str,
        campaign: u64,
        except: LocalId,
    ) -> Vec<crate::api::types::LeadId> {
        self.with_contact(phone, campaign)
            .into_iter()
            .map(|i| &self.entries[i])
            .filter(|e| e.local_id != except)
            .filter_map(|e| e.lead_id.clone())
            .collect()
    }

    /// The leads with this phone in this campaign, oldest first.
    fn with_contact(&mut self, phone: &str, campaign: u64) -> Vec<usize> {
        self.contact_keys.resize(self.entries.len(), 0);
        for (i, key) in self.contact_keys.iter_mut().enumerate() {
            if *key == 0 {
                *key = self.entries.peek(i).map_or(0, |peek| key_of(peek.campaign_id, peek.phone));
            }
        }
        let wanted = key_of(campaign, phone);
        let same = |i: usize| {
            self.entries.peek(i).is_some_and(|peek| peek.campaign_id == campaign && peek.phone == phone)
        };
        (0..self.contact_keys.len()).filter(|&i| self.contact_keys[i] == wanted && same(i)).collect()
    }

    /// Variable names used before in `campaign`, oldest first.
    pub fn keys_used_in(&self, campaign: u64) -> Option<&IndexSet<String>> {
        self.keys_by_campaign.get(&campaign)
    }

    /// Moves the selection by `delta` rows, staying in range.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }

    /// Selects the first (newest) or last (oldest) row.
    pub fn jump(&mut self, to_top: bool) {
        self.selected = if to_top { 0 } else { self.len().saturating_sub(1) };
    }
}

/// The leads listed, in the order shown ([`HistoryView::listed`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    leads: Leads,
    /// With a filter: the matching leads' indices, newest first; else all, newest first.
    rows: Option<Arc<Vec<usize>>>,
}

impl Listed {
    /// How many.
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(self.leads.len(), |rows| rows.len())
    }

    /// Whether none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `f` of each, in the order shown (packed leads made one at a time, none kept).
    pub fn each(&self, mut f: impl FnMut(&LeadEntry)) {
        let mut one = |i: usize| {
            self.leads.with(i, &mut f);
        };
        match &self.rows {
            Some(rows) => rows.iter().copied().for_each(&mut one),
            None => (0..self.leads.len()).rev().for_each(&mut one),
        }
    }
}

/// Leads read from the history file with their lookups (by local id, variable names by
/// campaign, search text), built on the thread that read them so that taking them in costs the
/// UI task nothing that grows with the history, and the first search is as quick as the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedLeads {
    entries: Leads,
    keys_by_campaign: HashMap<u64, IndexSet<String>>,
    search: SearchIndex,
    contact_keys: Vec<u64>,
    /// The leads still open (pending, queued, unknown), for the outbox to take over.
    open: Vec<LocalId>,
}

impl LoadedLeads {
    /// How many leads.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl From<Vec<LeadEntry>> for LoadedLeads {
    /// Leads in submission order (oldest first).
    fn from(entries: Vec<LeadEntry>) -> Self {
        LoadedLeads::new(entries.into(), None)
    }
}

impl LoadedLeads {
    /// Leads in submission order (oldest first), with what the load made of their lookups
    /// already (their search index); the rest is made here, reading the packed leads where they
    /// lie. Last, the leads made and settled are packed.
    pub fn new(entries: Leads, search: Option<SearchIndex>) -> Self {
        let search = search.filter(|search| search.len() == entries.len());
        let search = search.unwrap_or_else(|| SearchIndex::of(&entries));
        let Scanned { keys_by_campaign, contact_keys, open } = scan(&entries);
        let entries = entries.pack();
        LoadedLeads { entries, keys_by_campaign, search, contact_keys, open }
    }
}

/// What [`LoadedLeads::new`] reads of every lead, in one reading of each.
struct Scanned {
    /// What [`note_keys`] for every lead in turn makes (each campaign's names, oldest last use
    /// first).
    keys_by_campaign: HashMap<u64, IndexSet<String>>,
    /// Each lead's [`contact_key`], oldest first.
    contact_keys: Vec<u64>,
    /// The leads still open, oldest first.
    open: Vec<LocalId>,
}

/// One pass from the newest, which copies each variable name once (a name's first sight from the
/// newest end is its last use), reading each lead where it lies.
fn scan(entries: &Leads) -> Scanned {
    let mut map: HashMap<u64, IndexSet<String>> = HashMap::new();
    let mut contact_keys = Vec::with_capacity(entries.len());
    let mut open = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for i in (0..entries.len()).rev() {
        names.clear();
        let Some(peek) = entries.peek_with_names(i, |key| names.push(key)) else { continue };
        contact_keys.push(key_of(peek.campaign_id, peek.phone));
        if peek.status.is_open() {
            open.push(peek.local_id);
        }
        let keys = map.entry(peek.campaign_id).or_default();
        for key in names.iter().rev() {
            if !keys.contains(*key) {
                keys.insert((*key).to_owned());
            }
        }
    }
    map.values_mut().for_each(IndexSet::reverse);
    contact_keys.reverse();
    open.reverse();
    Scanned { keys_by_campaign: map, contact_keys, open }
}

/// A hash of the lead's campaign and phone, never 0 (which marks a key to make again).
fn contact_key(entry: &LeadEntry) -> u64 {
    key_of(entry.request.campaign_id, &entry.request.phone_number)
}

fn key_of(campaign: u64, phone: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    (campaign, phone).hash(&mut hasher);
    hasher.finish().max(1)
}

/// Records the variable names `entry` used in its campaign; a name used again moves to the end,
/// so the end is the newest habit.
fn note_keys(map: &mut HashMap<u64, IndexSet<String>>, entry: &LeadEntry) {
    let keys = map.entry(entry.request.campaign_id).or_default();
    for key in entry.request.variables.keys() {
        // Names are cleaned where records enter the app; a known one moves without a copy.
        let owned = keys.shift_take(key).unwrap_or_else(|| key.to_owned());
        keys.insert(owned);
    }
}

#[cfg(test)]
#[path = "history_view_tests.rs"]
mod tests;
