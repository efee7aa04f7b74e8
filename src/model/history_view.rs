//! The history pane's state: every lead the history knows, newest first on screen, and the
//! selection. Leads are matched by local id, so a late answer can only ever update its own row.

use std::cell::Cell;
use std::collections::HashMap;

use indexmap::IndexSet;

use crate::history::query::{Filter, Prepared, search_key};
use crate::history::{LeadEntry, LocalId, Status};
use crate::matching::Query;

use super::TextInput;

/// The leads and where the user is looking.
#[derive(Debug, Clone, Default)]
pub struct HistoryView {
    /// Leads in submission order (oldest first); the screen shows them reversed.
    entries: Vec<LeadEntry>,
    index: HashMap<LocalId, usize>,
    /// The selected row, counted from the newest (0).
    pub selected: usize,
    /// The first row drawn; kept by the drawing code so the selection stays in view.
    pub offset: Cell<usize>,
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
    /// With a filter: indices into `entries` of the matching leads, newest first.
    visible: Option<Vec<usize>>,
    /// Each lead's lowercased search text, built with the loaded history (or when first searched)
    /// and dropped when the lead changes: a keystroke in the search is one substring test per
    /// lead.
    search_keys: Vec<Option<Box<str>>>,
    /// The filter `visible` was made with (prepared), while it is in force: what the rows show
    /// as matched.
    listed_with: Option<Prepared>,
    /// Whether no lead changed since `visible` was made: a search that only narrows then looks
    /// only at what is listed.
    listed_fresh: bool,
    /// Each lead's [`contact_key`] (0 when the lead changed since): finding the leads of a phone
    /// in a campaign (the duplicate guard, look-ups) reads 8 bytes per lead, not every lead.
    contact_keys: Vec<u64>,
}

impl HistoryView {
    /// How many leads are listed (those matching the filter).
    pub fn len(&self) -> usize {
        self.visible.as_ref().map_or(self.entries.len(), Vec::len)
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

    /// All leads, oldest first, to change them (statuses from the server).
    pub fn entries_mut(&mut self) -> &mut [LeadEntry] {
        self.search_keys.iter_mut().for_each(|k| *k = None);
        self.contact_keys.iter_mut().for_each(|k| *k = 0);
        self.listed_fresh = false;
        &mut self.entries
    }

    /// Re-applies the filter when there is one (after leads changed).
    pub fn refilter_if_filtered(&mut self) {
        if self.visible.is_some() {
            self.refilter();
        }
    }

    /// Whether a filter narrows the list.
    pub fn is_filtered(&self) -> bool {
        self.visible.is_some()
    }

    /// Lists only the leads matching `self.filter` (all when it is empty), keeping the selection
    /// on the lead it was on when that lead still matches.
    pub fn refilter(&mut self) {
        let keep = self.selected_entry().map(|e| e.local_id);
        if self.filter.is_empty() {
            self.visible = None;
            self.listed_with = None;
        } else {
            let prepared = self.filter.prepare();
            // A search that only grew (same quick filters, no lead changed) narrows what is listed.
            let narrows = self.listed_fresh
                && self.visible.is_some()
                && self.listed_with.as_ref().is_some_and(|last| prepared.narrows(last));
            let candidates = match (self.visible.take(), narrows) {
                (Some(visible), true) => Candidates::Listed(visible),
                _ => Candidates::All(self.entries.len()),
            };
            // Search text is made for the candidates that changed since it was last made.
            self.search_keys.resize(self.entries.len(), None);
            let (keys, entries) = (&mut self.search_keys, &self.entries);
            let mut fill = |i: usize| {
                keys[i].get_or_insert_with(|| search_key(&entries[i]).into_boxed_str());
            };
            match &candidates {
                Candidates::All(n) => (0..*n).for_each(&mut fill),
                Candidates::Listed(listed) => listed.iter().copied().for_each(&mut fill),
            }
            self.visible = Some(candidates.matching(&self.entries, &self.search_keys, &prepared));
            self.listed_with = Some(prepared);
            self.listed_fresh = true;
        }
        self.selected = keep.and_then(|id| self.row_of(&id)).unwrap_or(0);
    }

    /// The search the list is narrowed by, to show what matched in each row.
    pub fn query(&self) -> Option<&Query> {
        self.listed_with.as_ref().map(Prepared::query).filter(|q| !q.is_empty())
    }

    /// The screen row of lead `id`, when it is listed.
    fn row_of(&self, id: &LocalId) -> Option<usize> {
        let &i = self.index.get(id)?;
        match &self.visible {
            None => self.entries.len().checked_sub(i + 1),
            // Listed newest first: indices go down.
            Some(visible) => visible.binary_search_by(|probe| i.cmp(probe)).ok(),
        }
    }

    /// The lead with this local id.
    pub fn get(&self, id: &LocalId) -> Option<&LeadEntry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    /// The lead with this local id, to change it.
    pub fn get_mut(&mut self, id: &LocalId) -> Option<&mut LeadEntry> {
        let &i = self.index.get(id)?;
        self.changed(i);
        Some(&mut self.entries[i])
    }

    /// Lead `i` may change: its search text is rebuilt when next needed.
    fn changed(&mut self, i: usize) {
        if let Some(key) = self.search_keys.get_mut(i) {
            *key = None;
        }
        if let Some(key) = self.contact_keys.get_mut(i) {
            *key = 0;
        }
        self.listed_fresh = false;
    }

    /// All leads, oldest first.
    pub fn entries(&self) -> &[LeadEntry] {
        &self.entries
    }

    /// Adds a newly submitted lead on top, keeping the selection on the lead it was on.
    pub fn push(&mut self, entry: LeadEntry) {
        if self.index.contains_key(&entry.local_id) {
            return;
        }
        self.index.insert(entry.local_id, self.entries.len());
        note_keys(&mut self.keys_by_campaign, &entry);
        let matches = self.filter.matches(&entry);
        self.contact_keys.resize(self.entries.len(), 0);
        self.contact_keys.push(contact_key(&entry));
        self.entries.push(entry);
        if let Some(visible) = &mut self.visible {
            if !matches {
                return;
            }
            visible.insert(0, self.entries.len() - 1);
        }
        if self.len() > 1 && self.selected > 0 {
            self.selected += 1;
        }
    }

    /// Takes in what the file holds, with its lookups already built: nothing here grows with the
    /// history but the leads held before (submitted while the file was being read, or all of
    /// them when the file is read again after it was replaced). Of a lead in both, the newer
    /// state is kept; a lead only held here stays. Returns the leads the file had still open.
    pub fn load(&mut self, loaded: LoadedLeads, problems: Vec<String>) -> Vec<LocalId> {
        let session = std::mem::take(&mut self.entries);
        let open;
        LoadedLeads {
            entries: self.entries,
            index: self.index,
            keys_by_campaign: self.keys_by_campaign,
            search_keys: self.search_keys,
            contact_keys: self.contact_keys,
            open,
        } = loaded;
        for entry in session {
            match self.index.get(&entry.local_id) {
                Some(&i) if entry.updated_at <= self.entries[i].updated_at => {}
                Some(&i) => {
                    self.entries[i] = entry;
                    self.changed(i);
                }
                None => {
                    self.index.insert(entry.local_id, self.entries.len());
                    note_keys(&mut self.keys_by_campaign, &entry);
                    self.entries.push(entry);
                }
            }
        }
        self.listed_fresh = false;
        self.selected = 0;
        self.loaded = true;
        self.problems = problems;
        if self.visible.is_some() {
            self.refilter();
        }
        open
    }

    /// The newest lead created with this phone in this campaign.
    pub fn created_with(&mut self, phone: &str, campaign: u64) -> Option<&LeadEntry> {
        let found = self.with_contact(phone, campaign);
        let newest = found.into_iter().rev().find(|&i| self.entries[i].status == Status::Created);
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
        for (key, entry) in self.contact_keys.iter_mut().zip(&self.entries) {
            if *key == 0 {
                *key = contact_key(entry);
            }
        }
        let wanted = key_of(campaign, phone);
        let same = |i: usize| {
            let request = &self.entries[i].request;
            request.campaign_id == campaign && request.phone_number == phone
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

/// Leads read from the history file with their lookups (by local id, variable names by
/// campaign, search text), built on the thread that read them so that taking them in costs the
/// UI task nothing that grows with the history, and the first search is as quick as the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadedLeads {
    entries: Vec<LeadEntry>,
    index: HashMap<LocalId, usize>,
    keys_by_campaign: HashMap<u64, IndexSet<String>>,
    search_keys: Vec<Option<Box<str>>>,
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
        let index = entries.iter().enumerate().map(|(i, e)| (e.local_id, i)).collect();
        let mut keys_by_campaign = HashMap::new();
        for entry in &entries {
            note_keys(&mut keys_by_campaign, entry);
        }
        let search_keys = entries.iter().map(|e| Some(search_key(e).into_boxed_str())).collect();
        let contact_keys = entries.iter().map(contact_key).collect();
        let open = entries.iter().filter(|e| e.status.is_open()).map(|e| e.local_id).collect();
        LoadedLeads { entries, index, keys_by_campaign, search_keys, contact_keys, open }
    }
}

/// The leads a filter pass looks at, newest first: all of them, or those listed before (when the
/// search only grew).
enum Candidates {
    All(usize),
    Listed(Vec<usize>),
}

impl Candidates {
    /// Below this many, one thread filters: starting others costs more than it saves.
    const SPLIT_FROM: usize = 50_000;

    /// The candidates that match, newest first. A long pass is split across the cores (at a
    /// million leads a full pass is ≈ 25 ms on one).
    fn matching(&self, entries: &[LeadEntry], keys: &[Option<Box<str>>], prepared: &Prepared) -> Vec<usize> {
        let matches = |&i: &usize| keys[i].as_deref().is_some_and(|key| prepared.matches(&entries[i], key));
        let len = match self {
            Candidates::All(n) => *n,
            Candidates::Listed(listed) => listed.len(),
        };
        let parts = if len < Self::SPLIT_FROM { 1 } else { cores().min(len / (Self::SPLIT_FROM / 2)) };
        let part = len.div_ceil(parts.max(1)).max(1);
        // Part `p` of the candidates, in their order.
        let run = |p: usize| -> Vec<usize> {
            let (from, to) = (p * part, ((p + 1) * part).min(len));
            match self {
                Candidates::All(n) => (n - to..n - from).rev().filter(matches).collect(),
                Candidates::Listed(listed) => listed[from..to].iter().copied().filter(matches).collect(),
            }
        };
        if parts <= 1 {
            return run(0);
        }
        std::thread::scope(|scope| {
            let rest: Vec<_> = (1..parts).map(|p| scope.spawn(move || run(p))).collect();
            let mut out = run(0);
            for handle in rest {
                out.extend(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            out
        })
    }
}

/// How many threads a long filter pass may use.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(4))
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
mod tests {
    use super::*;
    use crate::api::types::CreateLead;
    use crate::history::Outcome;

    /// A history long enough that a pass is split across threads lists exactly what one pass
    /// over every lead lists, in the same order, when searching from scratch and when narrowing;
    /// and the selection follows its lead.
    #[test]
    fn a_long_pass_split_across_threads_lists_what_one_pass_lists() {
        let names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"];
        let entries: Vec<LeadEntry> = (0..120_000u32)
            .map(|n| {
                let request = CreateLead {
                    phone_number: format!("+1415{n:07}").into(),
                    campaign_id: u64::from(n % 3),
                    variables: [("customer_name", names[n as usize % names.len()])].into(),
                    allow_dupplicate: false,
                    secondary_contacts: vec![],
                };
                let mut e = LeadEntry::new(
                    LocalId(uuid::Uuid::from_u128(n.into())),
                    jiff::Timestamp::UNIX_EPOCH,
                    request,
                );
                let status = if n % 7 == 0 { Status::Failed } else { Status::Created };
                e.apply(Outcome { status, ..Outcome::default() }, jiff::Timestamp::UNIX_EPOCH);
                e
            })
            .collect();
        let mut view = HistoryView::default();
        view.load(entries.clone().into(), vec![]);
        let expect =
            |filter: &Filter| -> Vec<LocalId> { filter.apply(&entries).iter().map(|e| e.local_id).collect() };
        let listed = |view: &HistoryView| -> Vec<LocalId> {
            (0..view.len()).map(|r| view.row(r).unwrap().local_id).collect()
        };
        for search in ["a", "ali", "alan t", "+14150", "+141500011", "zzz"] {
            view.filter = Filter { search: Some(search.into()), ..Filter::default() };
            view.refilter();
            assert_eq!(listed(&view), expect(&view.filter), "{search}");
        }
        // Selected: a lead in the middle; a filter it passes keeps it selected.
        view.filter = Filter::default();
        view.refilter();
        view.selected = 50_000;
        let chosen = view.selected_entry().unwrap();
        assert_eq!(chosen.status, Status::Created);
        let chosen = chosen.local_id;
        view.filter = Filter { status: Some(Status::Created), ..Filter::default() };
        view.refilter();
        assert_eq!(listed(&view), expect(&view.filter));
        assert_eq!(
            view.selected_entry().map(|e| e.local_id),
            Some(chosen),
            "the selection stays on its lead"
        );
        assert!(view.selected < 50_000, "fewer rows above it now");
    }
}
