//! The leads the app holds, most of them packed: a lead that is settled (not on its way, no fix
//! or delete asked for) is kept as the bytes a checkpoint holds it in, about a third of the
//! memory of a [`LeadEntry`], and made into one only when it is looked at (a row drawn, the
//! selection, a change). What lists and look-ups ask of every lead (its status, campaign, phone,
//! server id) is read from the bytes without making it ([`Leads::peek`]).
//!
//! A lead once made is kept made (the rows on screen, those changed), so `&LeadEntry` can be
//! handed out from `&self`. Changing a lead ([`Leads::get_mut`]) leaves its old bytes unused.
//!
//! Leads are found by local id ([`Leads::position`]) through a hash table of positions alone
//! (4 bytes a lead and a control byte), each hashed from the id where the lead lies: a
//! `HashMap<LocalId, usize>` beside them took 25 bytes a slot, 52 MB at a million leads.

use std::cell::OnceCell;
use std::sync::Arc;

use hashbrown::HashTable;
use indexmap::IndexMap;

use super::record::{LeadEntry, LocalId};
pub use super::store::checkpoint::Peek;
use super::store::checkpoint::{WORDS, lead_at, peek_at, peek_with_names, put_lead, words_of};

/// Packed leads per block of bytes.
const BLOCK: usize = 1024;
/// The `block` of a lead that is not packed.
const UNPACKED: u32 = u32::MAX;

/// Leads in submission order (oldest first), by position; a lead's local id never changes (it
/// is what finds it), and two leads never share one (the first is kept: see [`Leads::push`]).
#[derive(Clone, Default)]
pub struct Leads {
    slots: Vec<Slot>,
    /// The packed leads' bytes, [`BLOCK`] leads each.
    blocks: Vec<Arc<[u8]>>,
    /// The words the packed leads refer to (campaign and variable names, error messages, server
    /// statuses: see [`words_of`]).
    words: Arc<[Arc<str>]>,
    /// Each lead's position, by its local id.
    by_id: ById,
}

/// The table of positions by local id, and the seed its hashes are made with (per table, so a
/// history written to collide cannot be).
#[derive(Clone)]
struct ById {
    table: HashTable<u32>,
    seed: u64,
}

impl Default for ById {
    fn default() -> ById {
        ById::new(0)
    }
}

impl ById {
    fn new(len: usize) -> ById {
        use std::hash::BuildHasher;
        let seed = std::collections::hash_map::RandomState::new().hash_one(len);
        ById { table: HashTable::with_capacity(len), seed }
    }

    /// A local id's hash: ids are mostly random already (UUID v7), so a mix with the seed does.
    fn hash(seed: u64, id: &LocalId) -> u64 {
        let (high, low) = id.0.as_u64_pair();
        let mut x = high.rotate_left(29) ^ low ^ seed;
        // The finaliser of MurmurHash3: every bit of the id moves every bit of the hash.
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

#[derive(Clone)]
struct Slot {
    /// The lead, once made (always, for one not packed).
    lead: OnceCell<Box<LeadEntry>>,
    /// Where its bytes are: a block and the offset in it ([`UNPACKED`]: none).
    block: u32,
    at: u32,
}

impl Slot {
    fn made(lead: LeadEntry) -> Slot {
        Slot { lead: OnceCell::from(Box::new(lead)), block: UNPACKED, at: 0 }
    }

    /// Made, not packed, and settled ([`Peek::is_settled`]).
    fn packable(&self) -> bool {
        self.block == UNPACKED && self.lead.get().is_some_and(|lead| Peek::of(lead).is_settled())
    }
}

impl Leads {
    /// The same leads, with those made and settled packed: on every core, each part dropping
    /// the leads it packed (the caller hands what was freed back to the system: see the loader).
    pub fn pack(self) -> Leads {
        // A load from a checkpoint leaves few made (the open ones, those changed since): kept so.
        let to_pack = self.slots.iter().filter(|slot| slot.packable()).count();
        if to_pack == 0 || to_pack < BLOCK && to_pack * 8 < self.len() {
            return self;
        }
        let Leads { slots, mut blocks, words, by_id } = self;
        // The words already referred to keep their places; those of the leads to pack follow.
        let mut table: IndexMap<Arc<str>, ()> = words.iter().map(|word| (Arc::clone(word), ())).collect();
        for lead in slots.iter().filter(|slot| slot.block == UNPACKED).filter_map(|slot| slot.lead.get()) {
            words_of(lead, |word| {
                if table.len() < WORDS && !table.contains_key(word) {
                    table.insert(Arc::from(word), ());
                }
            });
        }
        let by_word: IndexMap<&str, ()> = table.keys().map(|word| (&**word, ())).collect();
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
        let per_part = slots.len().div_ceil(cores).max(BLOCK);
        let mut parts = Vec::new();
        let mut rest = slots;
        while rest.len() > per_part {
            let tail = rest.split_off(per_part);
            parts.push(rest);
            rest = tail;
        }
        parts.push(rest);
        let packed: Vec<Part> = std::thread::scope(|scope| {
            let threads: Vec<_> =
                parts.into_iter().map(|part| scope.spawn(|| pack_part(part, &by_word))).collect();
            threads.into_iter().map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let mut all = Vec::new();
        for (mut part, new, part_blocks) in packed {
            let first = u32::try_from(blocks.len()).unwrap_or(UNPACKED);
            new.into_iter().for_each(|i| part[i].block += first);
            all.append(&mut part);
            blocks.extend(part_blocks);
        }
        // The leads kept their places: the table of positions holds.
        Leads { slots: all, blocks, words: table.into_keys().collect::<Vec<_>>().into(), by_id }
    }

    /// Leads packed in `blocks` as a checkpoint holds them (with its table of `words`).
    pub(in crate::history) fn from_blocks(
        words: Arc<[Arc<str>]>,
        blocks: Vec<(Arc<[u8]>, Vec<Placed>)>,
    ) -> Leads {
        let mut leads = Leads { words, ..Leads::default() };
        leads.slots.reserve(blocks.iter().map(|(_, placed)| placed.len()).sum());
        for (bytes, placed) in blocks {
            let block = u32::try_from(leads.blocks.len()).unwrap_or(UNPACKED);
            leads.slots.extend(placed.into_iter().map(|placed| match placed {
                Placed::Packed(at) => Slot { lead: OnceCell::new(), block, at },
                Placed::Made(lead) => Slot { lead: OnceCell::from(lead), block: UNPACKED, at: 0 },
            }));
            leads.blocks.push(bytes);
        }
        leads.by_id = ById::new(leads.len());
        (0..leads.len()).for_each(|i| {
            leads.note(i);
        });
        leads
    }

    /// The position of the lead with local id `id`.
    pub fn position(&self, id: &LocalId) -> Option<usize> {
        let hash = ById::hash(self.by_id.seed, id);
        let same = |&at: &u32| id_at(&self.slots, &self.blocks, at as usize).as_ref() == Some(id);
        self.by_id.table.find(hash, same).map(|&at| at as usize)
    }

    /// Whether a lead with local id `id` is held.
    pub fn contains(&self, id: &LocalId) -> bool {
        self.position(id).is_some()
    }

    /// Puts lead `i` in the table of positions; false (and not put) when a lead with its id is
    /// there already.
    fn note(&mut self, i: usize) -> bool {
        let Leads { slots, blocks, by_id, .. } = self;
        let (Some(id), Ok(at)) = (id_at(slots, blocks, i), u32::try_from(i)) else { return false };
        let seed = by_id.seed;
        let id_of = |&at: &u32| id_at(slots, blocks, at as usize);
        let rehash = |at: &u32| id_of(at).map_or(0, |id| ById::hash(seed, &id));
        match by_id.table.entry(ById::hash(seed, &id), |at| id_of(at) == Some(id), rehash) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(place) => {
                place.insert(at);
                true
            }
        }
    }

    /// The words the packed leads' bytes refer to, by place from 1.
    pub(in crate::history) fn words(&self) -> &[Arc<str>] {
        &self.words
    }

    /// The bytes of lead `i` when it is packed and unchanged (made to be looked at or not).
    pub(in crate::history) fn packed_bytes(&self, i: usize) -> Option<&[u8]> {
        let slot = self.slots.get(i).filter(|slot| slot.block != UNPACKED)?;
        let bytes = self.bytes(slot);
        let (_, len) = peek_at(bytes, &self.words)?;
        bytes.get(..len)
    }

    /// What lists ask of lead `i` ([`peek`](Self::peek)), handing `names` the names of its
    /// variables in order on the way, without making it: one reading for both.
    pub fn peek_with_names<'a>(&'a self, i: usize, names: impl FnMut(&'a str)) -> Option<Peek<'a>> {
        let slot = self.slots.get(i)?;
        match slot.lead.get() {
            Some(lead) => {
                lead.request.variables.keys().for_each(names);
                Some(Peek::of(lead))
            }
            None => Some(
                peek_with_names(self.bytes(slot), &self.words, names)
                    .map_or_else(|| damaged(i), |(peek, _)| peek),
            ),
        }
    }

    /// Lead `i`'s local id (the first bytes of a packed one).
    pub fn local_id(&self, i: usize) -> Option<LocalId> {
        id_at(&self.slots, &self.blocks, i)
    }

    /// Every lead, made (those packed are made one by one; none is kept).
    pub fn into_vec(self) -> Vec<LeadEntry> {
        let Leads { slots, blocks, words, .. } = self;
        let bytes = Leads { slots: Vec::new(), blocks, words, by_id: ById::default() };
        let made = |Slot { lead, block, at }: Slot| match lead.into_inner() {
            Some(lead) => *lead,
            None => bytes.unpack(&Slot { lead: OnceCell::new(), block, at }),
        };
        slots.into_iter().map(made).collect()
    }

    /// Frees what the slots hold beyond their number.
    pub fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
    }

    /// How many leads.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many are packed (not made).
    pub fn packed(&self) -> usize {
        self.slots.iter().filter(|slot| slot.lead.get().is_none()).count()
    }

    /// Lead `i`, made if it was packed (and kept made).
    pub fn get(&self, i: usize) -> Option<&LeadEntry> {
        let slot = self.slots.get(i)?;
        Some(slot.lead.get_or_init(|| Box::new(self.unpack(slot))))
    }

    /// Lead `i`, to change it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut LeadEntry> {
        let slot = self.slots.get(i)?;
        if slot.lead.get().is_none() {
            let lead = self.unpack(slot);
            let _ = self.slots[i].lead.set(Box::new(lead));
        }
        let slot = &mut self.slots[i];
        slot.block = UNPACKED;
        slot.lead.get_mut().map(|lead| &mut **lead)
    }

    /// Puts `lead` in place of lead `i` (found by its id from now on, if no other lead has it).
    pub fn set(&mut self, i: usize, lead: LeadEntry) {
        let Some(old) = self.local_id(i) else { return };
        let new = lead.local_id;
        self.slots[i] = Slot::made(lead);
        if old != new {
            let hash = ById::hash(self.by_id.seed, &old);
            if let Ok(entry) = self.by_id.table.find_entry(hash, |&at| at as usize == i) {
                entry.remove();
            }
            self.note(i);
        }
    }

    /// Adds `lead` last; false (and not added) when a lead with its local id is held already.
    pub fn push(&mut self, lead: LeadEntry) -> bool {
        self.slots.push(Slot::made(lead));
        let added = self.note(self.slots.len() - 1);
        if !added {
            self.slots.pop();
        }
        added
    }

    /// What lists ask of lead `i`, without making it.
    pub fn peek(&self, i: usize) -> Option<Peek<'_>> {
        let slot = self.slots.get(i)?;
        match slot.lead.get() {
            Some(lead) => Some(Peek::of(lead)),
            None => Some(peek_at(self.bytes(slot), &self.words).map_or_else(|| damaged(i), |(peek, _)| peek)),
        }
    }

    /// Every lead's [`Peek`], oldest first.
    pub fn peeks(&self) -> impl ExactSizeIterator<Item = Peek<'_>> + DoubleEndedIterator + '_ {
        (0..self.len()).map(|i| self.peek(i).unwrap_or_else(|| damaged(i)))
    }

    /// `f` of lead `i`, made for it alone when packed (not kept made): for looking at many.
    pub fn with<R>(&self, i: usize, f: impl FnOnce(&LeadEntry) -> R) -> Option<R> {
        let slot = self.slots.get(i)?;
        Some(match slot.lead.get() {
            Some(lead) => f(lead),
            None => f(&self.unpack(slot)),
        })
    }

    /// A copy of lead `i`, not kept made.
    pub fn cloned(&self, i: usize) -> Option<LeadEntry> {
        self.with(i, LeadEntry::clone)
    }

    /// The leads `keep` keeps, by local id, made (the others are never made).
    pub fn into_kept(self, keep: impl Fn(&LocalId) -> bool) -> Vec<LeadEntry> {
        (0..self.len())
            .filter(|&i| self.peek(i).is_some_and(|peek| keep(&peek.local_id)))
            .filter_map(|i| self.cloned(i))
            .collect()
    }

    fn bytes(&self, slot: &Slot) -> &[u8] {
        bytes_of(&self.blocks, slot)
    }

    fn unpack(&self, slot: &Slot) -> LeadEntry {
        lead_at(self.bytes(slot), &self.words).unwrap_or_else(|| damaged(slot.at as usize))
    }
}

fn bytes_of<'a>(blocks: &'a [Arc<[u8]>], slot: &Slot) -> &'a [u8] {
    let block = usize::try_from(slot.block).ok().and_then(|b| blocks.get(b));
    block.and_then(|b| b.get(slot.at as usize..)).unwrap_or_default()
}

/// Lead `i`'s local id, read where it lies (the first bytes of a packed one).
fn id_at(slots: &[Slot], blocks: &[Arc<[u8]>], i: usize) -> Option<LocalId> {
    let slot = slots.get(i)?;
    if let Some(lead) = slot.lead.get() {
        return Some(lead.local_id);
    }
    let bytes = bytes_of(blocks, slot).first_chunk::<16>().unwrap_or_else(|| damaged(i));
    Some(LocalId(uuid::Uuid::from_bytes(*bytes)))
}

/// The bytes were written by [`pack_part`] in this very process: not reading them back is a
/// bug, never a file's damage.
fn damaged(at: usize) -> ! {
    panic!("a packed lead ({at}) does not read back")
}

/// A part's slots, those of them newly packed, and the blocks these point into (from 0).
type Part = (Vec<Slot>, Vec<usize>, Vec<Arc<[u8]>>);

/// Where a lead of a checkpoint's block lies: packed at an offset in the block's bytes, or made.
pub(in crate::history) enum Placed {
    Packed(u32),
    Made(Box<LeadEntry>),
}

/// Packs the made, settled leads of `part` into new blocks numbered from 0.
fn pack_part(part: Vec<Slot>, words: &IndexMap<&str, ()>) -> Part {
    let mut slots = Vec::with_capacity(part.len());
    let mut new = Vec::new();
    let mut blocks = Vec::new();
    let mut bytes = Vec::new();
    let mut in_block = 0;
    for slot in part {
        let at = u32::try_from(bytes.len()).ok().filter(|&at| at < u32::MAX / 2);
        let (Some(at), true) = (at, slot.packable()) else {
            slots.push(slot);
            continue;
        };
        let Some(lead) = slot.lead.into_inner() else { continue };
        if put_lead(&mut bytes, &lead, words).is_err() {
            bytes.truncate(at as usize);
            slots.push(Slot::made(*lead));
            continue;
        }
        let block = u32::try_from(blocks.len()).unwrap_or(UNPACKED);
        new.push(slots.len());
        slots.push(Slot { lead: OnceCell::new(), block, at });
        in_block += 1;
        if in_block == BLOCK {
            blocks.push(Arc::from(std::mem::take(&mut bytes)));
            in_block = 0;
        }
    }
    if !bytes.is_empty() {
        blocks.push(Arc::from(bytes));
    }
    (slots, new, blocks)
}

impl From<Vec<LeadEntry>> for Leads {
    /// `leads`, none packed (of two with one local id, the first).
    fn from(leads: Vec<LeadEntry>) -> Leads {
        let mut all = Leads { by_id: ById::new(leads.len()), ..Leads::default() };
        all.slots.reserve(leads.len());
        for lead in leads {
            all.push(lead);
        }
        all
    }
}

impl std::ops::Index<usize> for Leads {
    type Output = LeadEntry;

    fn index(&self, i: usize) -> &LeadEntry {
        self.get(i).unwrap_or_else(|| panic!("lead {i} of {}", self.len()))
    }
}

impl std::ops::IndexMut<usize> for Leads {
    fn index_mut(&mut self, i: usize) -> &mut LeadEntry {
        let len = self.len();
        self.get_mut(i).unwrap_or_else(|| panic!("lead {i} of {len}"))
    }
}

impl PartialEq for Leads {
    /// The same leads, packed or not.
    fn eq(&self, other: &Leads) -> bool {
        self.len() == other.len()
            && (0..self.len()).all(|i| self.with(i, |a| other.with(i, |b| a == b)).flatten() == Some(true))
    }
}

impl std::fmt::Debug for Leads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leads").field("len", &self.len()).field("packed", &self.packed()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::record::{Outcome, Status};

    fn lead(n: u128, status: Status) -> LeadEntry {
        let request: crate::api::types::CreateLead = serde_json::from_value(serde_json::json!({
            "phone_number": format!("+1415555{:04}", n % 10_000),
            "campaign_id": 7 + (n % 3) as u64,
            "variables": {"customer_name": format!("Lead {n}"), "note": "x".repeat((n % 40) as usize)},
        }))
        .unwrap();
        let at = jiff::Timestamp::from_second(1_780_000_000 + n as i64).unwrap();
        let mut lead = LeadEntry::new(LocalId(uuid::Uuid::from_u128(n)), at, request);
        if status != Status::Pending {
            let outcome = Outcome {
                status,
                lead_id: (status == Status::Created).then(|| format!("L{n}").into()),
                ..Outcome::default()
            };
            lead.apply(outcome, at);
            lead.campaign_name = Some(Arc::from(format!("Campaign {}", n % 3)));
        }
        lead
    }

    fn leads(n: u128) -> Vec<LeadEntry> {
        let statuses = [Status::Created, Status::Created, Status::Failed, Status::Pending];
        (0..n).map(|i| lead(i, statuses[(i % 4) as usize])).collect()
    }

    #[test]
    fn packed_leads_read_back_as_they_were_and_open_ones_stay_made() {
        let before = leads(2_500);
        let packed = Leads::from(before.clone()).pack();
        assert_eq!(packed.len(), before.len());
        // Every fourth is pending (open): not packed.
        assert_eq!(packed.packed(), 2_500 - 625);
        for (i, lead) in before.iter().enumerate() {
            assert_eq!(packed.peek(i), Some(Peek::of(lead)), "peek {i}");
            assert_eq!(packed.cloned(i).as_ref(), Some(lead), "lead {i}");
        }
        assert_eq!(packed.packed(), 2_500 - 625, "looking with `cloned` makes nothing");
        assert_eq!(packed.get(2_000), Some(&before[2_000]));
        assert_eq!(packed.packed(), 2_500 - 626, "a lead looked at stays made");
        assert!(packed == Leads::from(before));
    }

    #[test]
    fn a_packed_lead_changed_or_replaced_keeps_the_change() {
        let before = leads(10);
        let mut packed = Leads::from(before.clone()).pack();
        packed.get_mut(1).unwrap().server_status = Some("completed".into());
        packed.set(2, lead(98, Status::Created));
        packed.push(lead(100, Status::Pending));
        assert_eq!(packed.len(), 11);
        assert_eq!(packed[1].server_status.as_deref(), Some("completed"));
        assert_eq!(packed.peek(1).unwrap().server_status, Some("completed"));
        assert_eq!(packed[2].local_id, LocalId(uuid::Uuid::from_u128(98)));
        assert_eq!(packed[0], before[0]);
        let kept = packed.into_kept(|id| id.0.as_u128() % 2 == 0);
        let ids: Vec<u128> = kept.iter().map(|lead| lead.local_id.0.as_u128()).collect();
        assert_eq!(ids, [0, 98, 4, 6, 8, 100]);
    }

    #[test]
    fn every_lead_is_found_by_its_local_id_packed_or_made_and_an_id_is_held_once() {
        let before = leads(3_000);
        let mut packed = Leads::from(before.clone()).pack();
        assert!(packed.packed() > 2_000);
        for (i, lead) in before.iter().enumerate() {
            assert_eq!(packed.position(&lead.local_id), Some(i), "lead {i}");
        }
        assert_eq!(packed.position(&LocalId(uuid::Uuid::from_u128(3_000))), None);
        // An id held already is not added again; a new one is found where it was put.
        assert!(!packed.push(lead(7, Status::Created)));
        assert_eq!(packed.len(), 3_000);
        assert!(packed.push(lead(3_000, Status::Pending)));
        assert_eq!(packed.position(&LocalId(uuid::Uuid::from_u128(3_000))), Some(3_000));
        // A lead put in place of another is found by its own id, the other no longer.
        packed.set(5, lead(4_000, Status::Created));
        assert_eq!(packed.position(&LocalId(uuid::Uuid::from_u128(4_000))), Some(5));
        assert_eq!(packed.position(&LocalId(uuid::Uuid::from_u128(5))), None);
        assert_eq!(packed.position(&LocalId(uuid::Uuid::from_u128(6))), Some(6));
        // Two leads with one id: the first is kept.
        let twice = Leads::from(vec![lead(1, Status::Created), lead(1, Status::Failed)]);
        assert_eq!(twice.len(), 1);
        assert_eq!(twice[0].status, Status::Created);
    }

    #[test]
    fn words_past_the_table_are_spelled_out_and_read_back() {
        // Each lead a variable name and an error message of its own: more than the table holds.
        let before: Vec<LeadEntry> = (0..(WORDS as u128 + 2_000))
            .map(|n| {
                let mut lead = lead(n, Status::Failed);
                lead.request.variables.insert(format!("own_{n}"), "x");
                lead.error = Some(Box::new(crate::history::record::LeadError {
                    kind: crate::api::ErrorKind::Rejected,
                    message: format!("refused {n}"),
                    http_status: Some(422),
                    fields: [(format!("field_{n}"), vec!["taken".to_owned(), format!("as {n}")])]
                        .into_iter()
                        .collect(),
                }));
                lead
            })
            .collect();
        let packed = Leads::from(before.clone()).pack();
        assert_eq!(packed.words().len(), WORDS);
        assert_eq!(packed.packed(), before.len());
        for i in [0, WORDS / 2, WORDS, before.len() - 1] {
            assert_eq!(packed.cloned(i).as_ref(), Some(&before[i]), "lead {i}");
            assert_eq!(packed.peek(i), Some(Peek::of(&before[i])));
        }
    }

    #[test]
    fn a_lead_at_the_ends_of_time_packs_and_reads_back() {
        // Submitted at the first instant there is, updated at the last: the span between them
        // is wider than a time can hold.
        let mut old = lead(1, Status::Failed);
        old.submitted_at = jiff::Timestamp::MIN;
        old.updated_at = jiff::Timestamp::MAX;
        let before = vec![old, lead(2, Status::Created)];
        let packed = Leads::from(before.clone()).pack();
        assert_eq!(packed.packed(), 2);
        let mut names = Vec::new();
        let peek = packed.peek_with_names(0, |name| names.push(name.to_owned()));
        assert_eq!(peek, Some(Peek::of(&before[0])));
        assert_eq!(names, ["customer_name", "note"]);
        assert_eq!(packed.peek(0), Some(Peek::of(&before[0])));
        assert_eq!(packed.cloned(0).as_ref(), Some(&before[0]));
    }

    #[test]
    fn nothing_to_pack() {
        let packed = Leads::default().pack();
        assert!(packed.is_empty());
        assert_eq!(packed.get(0), None);
        assert_eq!(packed.peek(0), None);
    }
}
