//! What a filter pass reads of each lead, packed: its phone and folded search text back to back
//! in one buffer per thousand leads, its status and campaign beside them. What a lead's campaign
//! adds to its search (the name and `#id`) is kept once per campaign, and a pass looks at it
//! once per campaign, not per lead. The chunks are shared, so a copy of the index (what a pass
//! on a worker takes with it) costs one reference per chunk, and changing a lead while a copy is
//! out copies only that lead's chunk.

use std::collections::HashMap;
use std::sync::Arc;

use super::query::{Prepared, campaign_search_key, own_search_key};
use super::record::{LeadEntry, Status};

/// Leads per chunk: small enough that copying one on a change is quick (≈ 100 KB of text), large
/// enough that a copy of the whole index is a few hundred references at a million leads.
const CHUNK: usize = 1024;

/// Each lead's search fields, in submission order (oldest first), by position.
#[derive(Clone, Default)]
pub struct SearchIndex {
    /// Every chunk holds [`CHUNK`] leads but the last.
    chunks: Vec<Arc<Chunk>>,
    len: usize,
    campaigns: Arc<Campaigns>,
}

#[derive(Clone, Default, PartialEq, Eq)]
struct Chunk {
    /// Each lead's phone, then its [`own_search_key`], lead after lead.
    text: String,
    rows: Vec<Row>,
}

/// The campaigns the leads are in, each id with a name it was known by once (a lead's campaign
/// name comes with the server's answer), and what they add to a lead's search.
#[derive(Clone, Default)]
struct Campaigns {
    list: Vec<Campaign>,
    /// Places in `list` by campaign id (an id has one name or two, rarely more).
    by_id: HashMap<u64, Vec<u32>>,
}

#[derive(Clone)]
struct Campaign {
    id: u64,
    name: Option<Arc<str>>,
    /// Its [`campaign_search_key`].
    key: String,
}

/// Where a lead's fields are in its chunk's text (it begins where the row before ends), and what
/// the quick filters compare: 12 bytes a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Row {
    /// Its campaign's place in the index's campaigns.
    pub(crate) campaign: u32,
    pub(crate) end: u32,
    pub(crate) phone_len: u16,
    pub(crate) status: Status,
}

/// Leads per chunk, for the checkpoint, which keeps one chunk per block of leads.
pub(crate) const CHUNK_LEADS: usize = CHUNK;

impl Campaigns {
    /// The place of campaign `id` known as `name`.
    fn find(&self, id: u64, name: Option<&str>) -> Option<u32> {
        let places = self.by_id.get(&id)?;
        places
            .iter()
            .copied()
            .find(|&at| self.list.get(at as usize).is_some_and(|c| c.name.as_deref() == name))
    }

    /// Adds campaign `id` known as `name` last; its place.
    fn add(&mut self, id: u64, name: Option<Arc<str>>) -> u32 {
        let at = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.by_id.entry(id).or_default().push(at);
        let key = campaign_search_key(id, name.as_deref());
        self.list.push(Campaign { id, name, key });
        at
    }
}

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

    /// An empty index whose rows refer to `campaigns` by place (what
    /// [`campaigns`](Self::campaigns) gave), for [`push_chunk`](Self::push_chunk).
    pub(crate) fn with_campaigns(
        campaigns: impl IntoIterator<Item = (u64, Option<Arc<str>>)>,
    ) -> SearchIndex {
        let mut all = Campaigns::default();
        for (id, name) in campaigns {
            all.add(id, name);
        }
        SearchIndex { campaigns: Arc::new(all), ..SearchIndex::default() }
    }

    /// The campaigns the rows refer to, by place (what the checkpoint keeps).
    pub(crate) fn campaigns(&self) -> impl ExactSizeIterator<Item = (u64, Option<&str>)> {
        self.campaigns.list.iter().map(|c| (c.id, c.name.as_deref()))
    }

    /// How many leads it holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The place of `entry`'s campaign, added when new.
    fn campaign_of(&mut self, entry: &LeadEntry) -> u32 {
        let (id, name) = (entry.request.campaign_id, entry.campaign_name.as_ref());
        self.campaigns
            .find(id, name.map(|name| &**name))
            .unwrap_or_else(|| Arc::make_mut(&mut self.campaigns).add(id, name.cloned()))
    }

    /// Adds the next lead.
    pub fn push(&mut self, entry: &LeadEntry) {
        if self.chunks.last().is_none_or(|last| last.rows.len() >= CHUNK) {
            // A full chunk gives back what it reserved while growing; it changes rarely after.
            if let Some(full) = self.chunks.last_mut().and_then(Arc::get_mut) {
                full.text.shrink_to_fit();
                full.rows.shrink_to_fit();
            }
            self.chunks.push(Arc::default());
        }
        let campaign = self.campaign_of(entry);
        let Some(last) = self.chunks.last_mut() else { return };
        let last = Arc::make_mut(last);
        let (phone_len, end) = write(&mut last.text, entry);
        last.rows.push(Row { campaign, end, phone_len, status: entry.status });
        self.len += 1;
    }

    /// Each chunk's text and rows, oldest first (what the checkpoint keeps).
    pub(crate) fn chunks(&self) -> impl Iterator<Item = (&str, &[Row])> {
        self.chunks.iter().map(|chunk| (chunk.text.as_str(), chunk.rows.as_slice()))
    }

    /// Adds a chunk as [`chunks`](Self::chunks) gave it; `None` (and nothing added) when it
    /// could not have come from there: after a chunk that is not full, rows whose text does not
    /// follow on or lie in `text`, a campaign it does not hold, or more rows than a chunk holds.
    pub(crate) fn push_chunk(&mut self, text: String, rows: Vec<Row>) -> Option<()> {
        let follows = self.chunks.last().is_none_or(|last| last.rows.len() == CHUNK);
        let mut start = 0usize;
        for row in &rows {
            let (end, phone_end) = (row.end as usize, start.checked_add(usize::from(row.phone_len))?);
            let fits = |at: usize| text.is_char_boundary(at);
            let known = (row.campaign as usize) < self.campaigns.list.len();
            if end < phone_end || end > text.len() || !fits(phone_end) || !fits(end) || !known {
                return None;
            }
            start = end;
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
        let r = i % CHUNK;
        if self.chunks.get(i / CHUNK).is_none_or(|chunk| r >= chunk.rows.len()) {
            return;
        }
        let campaign = self.campaign_of(entry);
        let mut text = String::new();
        let (phone_len, _) = write(&mut text, entry);
        let row = Row { campaign, end: 0, phone_len, status: entry.status };
        Arc::make_mut(&mut self.chunks[i / CHUNK]).set(r, &text, row);
    }

    /// `filter` made ready for a pass over this index: what it asks of each campaign, found
    /// once.
    pub fn sieve<'a>(&'a self, filter: &'a Prepared) -> Sieve<'a> {
        let campaigns = self.campaigns.list.iter().map(|c| filter.campaign_found(c.id, &c.key)).collect();
        Sieve { index: self, filter, campaigns }
    }
}

/// A filter made ready for a pass over a [`SearchIndex`] ([`SearchIndex::sieve`]).
pub struct Sieve<'a> {
    index: &'a SearchIndex,
    filter: &'a Prepared,
    /// For each campaign by place: `None` when filtered out, else the words its fields hold.
    campaigns: Vec<Option<u64>>,
}

impl Sieve<'_> {
    /// Whether lead `i` passes (false past the end).
    pub fn matches(&self, i: usize) -> bool {
        self.index.chunks.get(i / CHUNK).is_some_and(|chunk| self.passes(chunk, i % CHUNK))
    }

    /// Adds to `out` the leads in `range` that pass, the newest (the highest index) first: a
    /// pass over all leads, a chunk at a time.
    pub fn push_matching_rev(&self, range: std::ops::Range<usize>, out: &mut Vec<usize>) {
        let mut end = range.end.min(self.index.len);
        while end > range.start {
            let base = (end - 1) / CHUNK * CHUNK;
            let start = range.start.max(base);
            if let Some(chunk) = self.index.chunks.get(base / CHUNK) {
                out.extend(
                    (start - base..end - base).rev().filter(|&r| self.passes(chunk, r)).map(|r| base + r),
                );
            }
            end = start;
        }
    }

    fn passes(&self, chunk: &Chunk, r: usize) -> bool {
        let Some(row) = chunk.rows.get(r) else { return false };
        let Some(&Some(found)) = self.campaigns.get(row.campaign as usize) else { return false };
        let key = self.index.campaigns.list.get(row.campaign as usize).map_or("", |c| c.key.as_str());
        // The text is read only for a search (not for a status or campaign alone).
        self.filter.matches_beside(row.status, (key, found), || {
            let start = chunk.start(r);
            let phone_end = start + usize::from(row.phone_len);
            let field = |range| chunk.text.get(range).unwrap_or_default();
            (field(start..phone_end), field(phone_end..row.end as usize))
        })
    }
}

impl PartialEq for SearchIndex {
    /// The same fields for each lead (the campaigns may be held in another order).
    fn eq(&self, other: &SearchIndex) -> bool {
        let campaign = |index: &SearchIndex, row: &Row| {
            index.campaigns.list.get(row.campaign as usize).map(|c| (c.id, c.name.clone()))
        };
        self.len == other.len
            && self.chunks.len() == other.chunks.len()
            && self.chunks.iter().zip(&other.chunks).all(|(a, b)| {
                a.text == b.text
                    && a.rows.len() == b.rows.len()
                    && a.rows.iter().zip(&b.rows).all(|(x, y)| {
                        (x.end, x.phone_len, x.status) == (y.end, y.phone_len, y.status)
                            && campaign(self, x) == campaign(other, y)
                    })
            })
    }
}

impl Eq for SearchIndex {}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("len", &self.len)
            .field("campaigns", &self.campaigns.list.len())
            .finish_non_exhaustive()
    }
}

impl Chunk {
    /// Where row `r`'s text begins.
    fn start(&self, r: usize) -> usize {
        r.checked_sub(1).and_then(|before| self.rows.get(before)).map_or(0, |row| row.end as usize)
    }

    /// Puts `text` (a lead's fields, its `row` made for it alone) in place of row `r`'s.
    fn set(&mut self, r: usize, text: &str, row: Row) {
        let (start, end) = (self.start(r), self.rows[r].end as usize);
        let Ok(new_end) = u32::try_from(start + text.len()) else { return };
        self.text.replace_range(start..end, text);
        self.rows[r] = Row { end: new_end, ..row };
        // The rows after it move by as much as its text grew or shrank.
        for row in &mut self.rows[r + 1..] {
            row.end = row.end - end as u32 + new_end;
        }
    }
}

/// Writes `entry`'s phone and own search text to `text`; returns the phone's length and where
/// the text ends. No phone is 64 KB long and no chunk's text 4 GB: what would not fit is
/// searched as empty.
fn write(text: &mut String, entry: &LeadEntry) -> (u16, u32) {
    let before = text.len();
    let phone = entry.request.phone_number.as_str();
    let (phone, len) = u16::try_from(phone.len()).map_or(("", 0), |len| (phone, len));
    text.push_str(phone);
    text.push_str(&own_search_key(entry));
    if let Ok(end) = u32::try_from(text.len()) {
        (len, end)
    } else {
        text.truncate(before);
        (0, u32::try_from(before).unwrap_or(u32::MAX))
    }
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
        let mut lead =
            LeadEntry::new(LocalId(uuid::Uuid::from_u128(n.into())), jiff::Timestamp::UNIX_EPOCH, request);
        // Half of them know their campaign's name (the server's answer gave it).
        lead.campaign_name = n.is_multiple_of(2).then(|| Arc::from(format!("Winter drive {}", n % 3)));
        lead
    }

    fn listed(index: &SearchIndex, filter: &Filter) -> Vec<usize> {
        let prepared = filter.prepare();
        let sieve = index.sieve(&prepared);
        let one_by_one: Vec<usize> = (0..index.len()).filter(|&i| sieve.matches(i)).collect();
        // A pass a chunk at a time, newest first, in pieces that do not follow the chunks.
        let mut chunked = Vec::new();
        for piece in [0, 5, 1_023, 1_024, 1_700, index.len() + 3].windows(2).rev() {
            sieve.push_matching_rev(piece[0]..piece[1], &mut chunked);
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
        let many = "ada ".repeat(70) + "winter";
        let searches = [
            "ada",
            "hopper",
            "+1415000102",
            "alan t",
            "#2",
            "created",
            "pending",
            "winter",
            "drive 2 ada",
            "wintr hopp",
            "#1 winter",
            "spring",
            // More words than the bits of what a campaign's fields hold: the last found there.
            many.as_str(),
        ];
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
        entries[1_500].campaign_name = Some("Spring drive".into());
        index.set(1_500, &entries[1_500]);
        check(&index, &entries);
        entries[1_500].request.variables = [("customer_name", "B")].into();
        index.set(1_500, &entries[1_500]);
        check(&index, &entries);
        entries.push(lead(9_999, "Edsger Dijkstra"));
        index.push(&entries[2_500]);
        check(&index, &entries);
        check(&before, &old);
        assert!(!index.sieve(&Filter::default().prepare()).matches(2_501), "past the end");
    }

    /// What the checkpoint keeps of the index makes the same index again; rows that could not
    /// have come from it are refused whole.
    #[test]
    fn chunks_give_back_the_same_index_and_bad_ones_are_refused() {
        let names = ["Ada Lovelace", "Zoë Ünal", "Alan Turing"];
        let entries: Vec<LeadEntry> = (0..2_100).map(|n| lead(n, names[n as usize % 3])).collect();
        let index = SearchIndex::new(&entries);
        let campaigns = || index.campaigns().map(|(id, name)| (id, name.map(Arc::from))).collect::<Vec<_>>();
        assert_eq!(campaigns().len(), 6, "three campaigns, each with its name and without");
        let mut again = SearchIndex::with_campaigns(campaigns());
        for (text, rows) in index.chunks() {
            again.push_chunk(text.to_owned(), rows.to_vec()).unwrap();
        }
        assert!(again == index);
        let filter = Filter { search: Some("zoe".into()), ..Filter::default() };
        assert_eq!(listed(&again, &filter), expected(&entries, &filter));

        let (text, rows) = index.chunks().next().unwrap();
        let refused = |text: &str, rows: Vec<Row>| {
            SearchIndex::with_campaigns(campaigns()).push_chunk(text.to_owned(), rows)
        };
        assert_eq!(refused(text, rows.to_vec()), Some(()));
        let mut short = rows.to_vec();
        short.last_mut().unwrap().end += 1;
        assert_eq!(refused(text, short), None, "text past the end");
        let mut phone = rows.to_vec();
        phone[0].phone_len = u16::try_from(phone[0].end).unwrap() + 1;
        assert_eq!(refused(text, phone), None, "a phone longer than its text");
        let mut back = rows.to_vec();
        back[5].end = back[3].end - 1;
        assert_eq!(refused(text, back), None, "text that goes back");
        // "ö" folds to "o", but a row ending inside a two-byte character is cut from a damaged one.
        let wide = "+1ü";
        let inside = vec![Row { campaign: 1, end: 3, phone_len: 2, status: Status::Created }];
        assert_eq!(refused(wide, inside), None, "inside a character");
        let mut unknown = rows.to_vec();
        unknown[7].campaign = 6;
        assert_eq!(refused(text, unknown), None, "a campaign the index does not hold");
        assert_eq!(refused("", Vec::new()), None, "an empty chunk");
        let mut after_short = SearchIndex::with_campaigns(campaigns());
        let (last_text, last_rows) = index.chunks().last().unwrap();
        after_short.push_chunk(last_text.to_owned(), last_rows.to_vec()).unwrap();
        assert_eq!(after_short.push_chunk(text.to_owned(), rows.to_vec()), None, "after a short chunk");
        assert_eq!(after_short.len(), last_rows.len());
    }
}
