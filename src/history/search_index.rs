//! What a filter pass reads of each lead, packed: its phone and folded search text back to back
//! in one buffer per thousand leads, its status and campaign beside them. The chunks are shared,
//! so a copy of the index (what a pass on a worker takes with it) costs one reference per chunk,
//! and changing a lead while a copy is out copies only that lead's chunk.

use std::sync::Arc;

use super::query::{Prepared, search_key};
use super::record::{LeadEntry, Status};

/// Leads per chunk: small enough that copying one on a change is quick (≈ 100 KB of text), large
/// enough that a copy of the whole index is a few hundred references at a million leads.
const CHUNK: usize = 1024;

/// Each lead's search fields, in submission order (oldest first), by position.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SearchIndex {
    /// Every chunk holds [`CHUNK`] leads but the last.
    chunks: Vec<Arc<Chunk>>,
    len: usize,
}

#[derive(Clone, Default, PartialEq, Eq)]
struct Chunk {
    /// Each lead's phone, then its [`search_key`], lead after lead.
    text: String,
    rows: Vec<Row>,
}

/// Where a lead's fields are in its chunk's text (it begins where the row before ends), and what
/// the quick filters compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) campaign: u64,
    pub(crate) end: usize,
    pub(crate) phone_len: u32,
    pub(crate) status: Status,
}

/// Leads per chunk, for the checkpoint, which keeps one chunk per block of leads.
pub(crate) const CHUNK_LEADS: usize = CHUNK;

impl SearchIndex {
    /// The fields of `entries`, oldest first.
    pub fn new(entries: &[LeadEntry]) -> SearchIndex {
        let mut index = SearchIndex::default();
        entries.iter().for_each(|e| index.push(e));
        index
    }

    /// The fields of `leads`, oldest first (those packed are made one by one, none kept).
    pub fn of(leads: &super::leads::Leads) -> SearchIndex {
        let mut index = SearchIndex::default();
        (0..leads.len()).for_each(|i| {
            leads.with(i, |lead| index.push(lead));
        });
        index
    }

    /// How many leads it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds the next lead.
    pub fn push(&mut self, entry: &LeadEntry) {
        let chunk = match self.chunks.last_mut() {
            Some(last) if last.rows.len() < CHUNK => last,
            _ => {
                // A full chunk gives back what it reserved while growing; it changes rarely after.
                if let Some(full) = self.chunks.last_mut().and_then(Arc::get_mut) {
                    full.text.shrink_to_fit();
                    full.rows.shrink_to_fit();
                }
                self.chunks.push(Arc::default());
                let Some(last) = self.chunks.last_mut() else { return };
                last
            }
        };
        Arc::make_mut(chunk).push(entry);
        self.len += 1;
    }

    /// Each chunk's text and rows, oldest first (what the checkpoint keeps).
    pub(crate) fn chunks(&self) -> impl Iterator<Item = (&str, &[Row])> {
        self.chunks.iter().map(|chunk| (chunk.text.as_str(), chunk.rows.as_slice()))
    }

    /// Adds a chunk as [`chunks`](Self::chunks) gave it; `None` (and nothing added) when it
    /// could not have come from there: after a chunk that is not full, rows whose text does not
    /// follow on or lie in `text`, or more rows than a chunk holds.
    pub(crate) fn push_chunk(&mut self, text: String, rows: Vec<Row>) -> Option<()> {
        let follows = self.chunks.last().is_none_or(|last| last.rows.len() == CHUNK);
        let mut start = 0usize;
        for row in &rows {
            let phone_end = start.checked_add(row.phone_len as usize)?;
            let fits = |at: usize| text.is_char_boundary(at);
            if row.end < phone_end || row.end > text.len() || !fits(phone_end) || !fits(row.end) {
                return None;
            }
            start = row.end;
        }
        if !follows || rows.is_empty() || rows.len() > CHUNK || start != text.len() {
            return None;
        }
        self.len += rows.len();
        self.chunks.push(Arc::new(Chunk { text, rows }));
        Some(())
    }

    /// Makes lead `i`'s fields again, after it changed.
    pub fn set(&mut self, i: usize, entry: &LeadEntry) {
        if let Some(chunk) = self.chunks.get_mut(i / CHUNK)
            && i % CHUNK < chunk.rows.len()
        {
            Arc::make_mut(chunk).set(i % CHUNK, entry);
        }
    }

    /// Whether lead `i` passes `filter` (false past the end).
    pub fn matches(&self, i: usize, filter: &Prepared) -> bool {
        self.chunks.get(i / CHUNK).is_some_and(|chunk| chunk.matches(i % CHUNK, filter))
    }

    /// Adds to `out` the leads in `range` that pass `filter`, the newest (the highest index)
    /// first: a pass over all leads, a chunk at a time.
    pub fn push_matching_rev(&self, range: std::ops::Range<usize>, filter: &Prepared, out: &mut Vec<usize>) {
        let mut end = range.end.min(self.len);
        while end > range.start {
            let base = (end - 1) / CHUNK * CHUNK;
            let start = range.start.max(base);
            if let Some(chunk) = self.chunks.get(base / CHUNK) {
                out.extend(
                    (start - base..end - base).rev().filter(|&r| chunk.matches(r, filter)).map(|r| base + r),
                );
            }
            end = start;
        }
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("len", &self.len).finish_non_exhaustive()
    }
}

impl Chunk {
    /// Where row `r`'s text begins.
    fn start(&self, r: usize) -> usize {
        r.checked_sub(1).and_then(|before| self.rows.get(before)).map_or(0, |row| row.end)
    }

    fn push(&mut self, entry: &LeadEntry) {
        let phone_len = write(&mut self.text, entry);
        let (campaign, status) = (entry.request.campaign_id, entry.status);
        self.rows.push(Row { campaign, end: self.text.len(), phone_len, status });
    }

    fn set(&mut self, r: usize, entry: &LeadEntry) {
        let (start, end) = (self.start(r), self.rows[r].end);
        let mut text = String::new();
        let phone_len = write(&mut text, entry);
        self.text.replace_range(start..end, &text);
        let new_end = start + text.len();
        let row = Row { campaign: entry.request.campaign_id, end: new_end, phone_len, status: entry.status };
        self.rows[r] = row;
        // The rows after it move by as much as its text grew or shrank.
        for row in &mut self.rows[r + 1..] {
            row.end = row.end - end + new_end;
        }
    }

    fn matches(&self, r: usize, filter: &Prepared) -> bool {
        let Some(row) = self.rows.get(r) else { return false };
        // The text is read only for a search (not for a status or campaign alone).
        filter.matches_with(row.status, row.campaign, || {
            let start = self.start(r);
            let phone_end = start + row.phone_len as usize;
            let field = |range| self.text.get(range).unwrap_or_default();
            (field(start..phone_end), field(phone_end..row.end))
        })
    }
}

/// Writes `entry`'s phone and search text to `text`; returns the phone's length.
fn write(text: &mut String, entry: &LeadEntry) -> u32 {
    // No phone is four gigabytes long; one that was would be searched as empty.
    let phone = entry.request.phone_number.as_str();
    let (phone, len) = u32::try_from(phone.len()).map_or(("", 0), |len| (phone, len));
    text.push_str(phone);
    text.push_str(&search_key(entry));
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::CreateLead;
    use crate::history::LocalId;
    use crate::history::query::Filter;

    fn lead(n: u32, name: &str) -> LeadEntry {
        let request = CreateLead {
            phone_number: format!("+1415{n:07}").into(),
            campaign_id: u64::from(n % 3),
            variables: [("customer_name", name)].into(),
            allow_dupplicate: false,
            secondary_contacts: vec![],
        };
        LeadEntry::new(LocalId(uuid::Uuid::from_u128(n.into())), jiff::Timestamp::UNIX_EPOCH, request)
    }

    fn listed(index: &SearchIndex, filter: &Filter) -> Vec<usize> {
        let prepared = filter.prepare();
        let one_by_one: Vec<usize> = (0..index.len()).filter(|&i| index.matches(i, &prepared)).collect();
        // A pass a chunk at a time, newest first, in pieces that do not follow the chunks.
        let mut chunked = Vec::new();
        for piece in [0, 5, 1_023, 1_024, 1_700, index.len() + 3].windows(2).rev() {
            index.push_matching_rev(piece[0]..piece[1], &prepared, &mut chunked);
        }
        chunked.reverse();
        assert_eq!(chunked, one_by_one);
        one_by_one
    }

    fn expected(entries: &[LeadEntry], filter: &Filter) -> Vec<usize> {
        (0..entries.len()).filter(|&i| filter.matches(&entries[i])).collect()
    }

    /// Over several chunks, a lead changed in the middle (its text longer, then shorter, its
    /// status) is found as a lead is, its neighbours too, and a copy taken before keeps what it
    /// had.
    #[test]
    fn the_index_finds_what_the_leads_hold_through_changes_and_copies() {
        let names = ["Ada Lovelace", "Grace Hopper", "Alan Turing"];
        let mut entries: Vec<LeadEntry> = (0..2_500).map(|n| lead(n, names[n as usize % 3])).collect();
        let mut index = SearchIndex::new(&entries);
        assert_eq!(index.len(), 2_500);
        let searches = ["ada", "hopper", "+1415000102", "alan t", "#2", "created", "pending"];
        let check = |index: &SearchIndex, entries: &[LeadEntry]| {
            for search in searches {
                let filter = Filter { search: Some(search.into()), ..Filter::default() };
                assert_eq!(listed(index, &filter), expected(entries, &filter), "{search}");
            }
            let status = Filter { status: Some(Status::Created), campaign: Some(1), ..Filter::default() };
            assert_eq!(listed(index, &status), expected(entries, &status));
        };
        check(&index, &entries);

        let before = index.clone();
        let old = entries.clone();
        entries[1_500].request.variables = [("customer_name", "Barbara Liskov, a much longer name")].into();
        entries[1_500].status = Status::Created;
        index.set(1_500, &entries[1_500]);
        check(&index, &entries);
        entries[1_500].request.variables = [("customer_name", "B")].into();
        index.set(1_500, &entries[1_500]);
        check(&index, &entries);
        entries.push(lead(9_999, "Edsger Dijkstra"));
        index.push(&entries[2_500]);
        check(&index, &entries);
        check(&before, &old);
        assert!(!index.matches(2_501, &Filter::default().prepare()), "past the end");
    }

    /// What the checkpoint keeps of the index makes the same index again; rows that could not
    /// have come from it are refused whole.
    #[test]
    fn chunks_give_back_the_same_index_and_bad_ones_are_refused() {
        let names = ["Ada Lovelace", "Zoë Ünal", "Alan Turing"];
        let entries: Vec<LeadEntry> = (0..2_100).map(|n| lead(n, names[n as usize % 3])).collect();
        let index = SearchIndex::new(&entries);
        let mut again = SearchIndex::default();
        for (text, rows) in index.chunks() {
            again.push_chunk(text.to_owned(), rows.to_vec()).unwrap();
        }
        assert!(again == index);
        let filter = Filter { search: Some("zoe".into()), ..Filter::default() };
        assert_eq!(listed(&again, &filter), expected(&entries, &filter));

        let (text, rows) = index.chunks().next().unwrap();
        let refused = |text: &str, rows: Vec<Row>| SearchIndex::default().push_chunk(text.to_owned(), rows);
        let mut short = rows.to_vec();
        short.last_mut().unwrap().end += 1;
        assert_eq!(refused(text, short), None, "text past the end");
        let mut phone = rows.to_vec();
        phone[0].phone_len = u32::try_from(phone[0].end).unwrap() + 1;
        assert_eq!(refused(text, phone), None, "a phone longer than its text");
        let mut back = rows.to_vec();
        back[5].end = back[3].end - 1;
        assert_eq!(refused(text, back), None, "text that goes back");
        // "ö" folds to "o", but a row ending inside a two-byte character is cut from a damaged one.
        let wide = "+1ü";
        let inside = vec![Row { campaign: 1, end: 3, phone_len: 2, status: Status::Created }];
        assert_eq!(refused(wide, inside), None, "inside a character");
        assert_eq!(refused("", Vec::new()), None, "an empty chunk");
        let mut after_short = SearchIndex::default();
        let (last_text, last_rows) = index.chunks().last().unwrap();
        after_short.push_chunk(last_text.to_owned(), last_rows.to_vec()).unwrap();
        assert_eq!(after_short.push_chunk(text.to_owned(), rows.to_vec()), None, "after a short chunk");
        assert_eq!(after_short.len(), last_rows.len());
    }
}
