//! The leads the app holds, most of them packed: a lead that is settled (not on its way, no fix
//! or delete asked for) is kept as the bytes a checkpoint holds it in, about a third of the
//! memory of a [`LeadEntry`], and made into one only when it is looked at (a row drawn, the
//! selection, a change). What lists and look-ups ask of every lead (its status, campaign, phone,
//! server id) is read from the bytes without making it ([`Leads::peek`]).
//!
//! A lead once made is kept made (the rows on screen, those changed), so `&LeadEntry` can be
//! handed out from `&self`. Changing a lead ([`Leads::get_mut`]) leaves its old bytes unused.

use std::cell::OnceCell;
use std::sync::Arc;

use indexmap::IndexMap;

use super::record::{LeadEntry, LocalId};
pub use super::store::checkpoint::Peek;
use super::store::checkpoint::{keys_at, lead_at, peek_at, put_lead};

/// Packed leads per block of bytes.
const BLOCK: usize = 1024;
/// The `block` of a lead that is not packed.
const UNPACKED: u32 = u32::MAX;

/// Leads in submission order (oldest first), by position.
#[derive(Clone, Default)]
pub struct Leads {
    slots: Vec<Slot>,
    /// The packed leads' bytes, [`BLOCK`] leads each.
    blocks: Vec<Arc<[u8]>>,
    /// The campaign names the packed leads refer to (by place, from 1).
    names: Arc<[Arc<str>]>,
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
}

impl Leads {
    /// The same leads, with those made and settled packed: on every core, each part dropping
    /// the leads it packed (the caller hands what was freed back to the system: see the loader).
    pub fn pack(self) -> Leads {
        // A load from a checkpoint leaves few made (the open ones, those changed since): kept so.
        let packable = |slot: &Slot| {
            slot.block == UNPACKED
                && slot.lead.get().is_some_and(|lead| !lead.status.is_open() && lead.changes().is_empty())
        };
        let to_pack = self.slots.iter().filter(|slot| packable(slot)).count();
        if to_pack == 0 || to_pack < BLOCK && to_pack * 8 < self.len() {
            return self;
        }
        let Leads { slots, mut blocks, names } = self;
        // The names already referred to keep their places; those of the leads to pack follow.
        let mut table: IndexMap<Arc<str>, ()> = names.iter().map(|name| (Arc::clone(name), ())).collect();
        for lead in slots.iter().filter(|slot| slot.block == UNPACKED).filter_map(|slot| slot.lead.get()) {
            if let Some(name) = lead.campaign_name.as_ref().filter(|name| !table.contains_key(*name)) {
                table.insert(Arc::clone(name), ());
            }
        }
        let by_name: IndexMap<&str, ()> = table.keys().map(|name| (&**name, ())).collect();
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
                parts.into_iter().map(|part| scope.spawn(|| pack_part(part, &by_name))).collect();
            threads.into_iter().map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let mut all = Vec::new();
        for (mut part, new, part_blocks) in packed {
            let first = u32::try_from(blocks.len()).unwrap_or(UNPACKED);
            new.into_iter().for_each(|i| part[i].block += first);
            all.append(&mut part);
            blocks.extend(part_blocks);
        }
        Leads { slots: all, blocks, names: table.into_keys().collect::<Vec<_>>().into() }
    }

    /// Leads packed in `blocks` as a checkpoint holds them (its campaign names are `names`).
    pub(in crate::history) fn from_blocks(
        names: Arc<[Arc<str>]>,
        blocks: Vec<(Arc<[u8]>, Vec<Placed>)>,
    ) -> Leads {
        let mut leads = Leads { names, ..Leads::default() };
        leads.slots.reserve(blocks.iter().map(|(_, placed)| placed.len()).sum());
        for (bytes, placed) in blocks {
            let block = u32::try_from(leads.blocks.len()).unwrap_or(UNPACKED);
            leads.slots.extend(placed.into_iter().map(|placed| match placed {
                Placed::Packed(at) => Slot { lead: OnceCell::new(), block, at },
                Placed::Made(lead) => Slot { lead: OnceCell::from(lead), block: UNPACKED, at: 0 },
            }));
            leads.blocks.push(bytes);
        }
        leads
    }

    /// The campaign names the packed leads' bytes refer to, by place from 1.
    pub(in crate::history) fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    /// The bytes of lead `i` when it is packed and unchanged (made to be looked at or not).
    pub(in crate::history) fn packed_bytes(&self, i: usize) -> Option<&[u8]> {
        let slot = self.slots.get(i).filter(|slot| slot.block != UNPACKED)?;
        let bytes = self.bytes(slot);
        let (_, len) = peek_at(bytes, self.names.len())?;
        bytes.get(..len)
    }

    /// Lead `i`'s campaign, handing `f` the names of its variables in order, without making it.
    pub fn keys<'a>(&'a self, i: usize, f: impl FnMut(&'a str)) -> Option<u64> {
        let slot = self.slots.get(i)?;
        match slot.lead.get() {
            Some(lead) => {
                lead.request.variables.keys().for_each(f);
                Some(lead.request.campaign_id)
            }
            None => Some(keys_at(self.bytes(slot), f).unwrap_or_else(|| damaged(i))),
        }
    }

    /// Lead `i`'s local id (the first bytes of a packed one).
    pub fn local_id(&self, i: usize) -> Option<LocalId> {
        let slot = self.slots.get(i)?;
        if let Some(lead) = slot.lead.get() {
            return Some(lead.local_id);
        }
        let bytes = self.bytes(slot).first_chunk::<16>().unwrap_or_else(|| damaged(i));
        Some(LocalId(uuid::Uuid::from_bytes(*bytes)))
    }

    /// Every lead, made (those packed are made one by one; none is kept).
    pub fn into_vec(self) -> Vec<LeadEntry> {
        let Leads { slots, blocks, names } = self;
        let bytes = Leads { slots: Vec::new(), blocks, names };
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

    /// Puts `lead` in place of lead `i`.
    pub fn set(&mut self, i: usize, lead: LeadEntry) {
        if let Some(slot) = self.slots.get_mut(i) {
            *slot = Slot::made(lead);
        }
    }

    /// Adds `lead` last.
    pub fn push(&mut self, lead: LeadEntry) {
        self.slots.push(Slot::made(lead));
    }

    /// What lists ask of lead `i`, without making it.
    pub fn peek(&self, i: usize) -> Option<Peek<'_>> {
        let slot = self.slots.get(i)?;
        match slot.lead.get() {
            Some(lead) => Some(Peek::of(lead)),
            None => {
                Some(peek_at(self.bytes(slot), self.names.len()).map_or_else(|| damaged(i), |(peek, _)| peek))
            }
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
        let block = usize::try_from(slot.block).ok().and_then(|b| self.blocks.get(b));
        block.and_then(|b| b.get(slot.at as usize..)).unwrap_or_default()
    }

    fn unpack(&self, slot: &Slot) -> LeadEntry {
        lead_at(self.bytes(slot), &self.names).unwrap_or_else(|| damaged(slot.at as usize))
    }
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
fn pack_part(part: Vec<Slot>, names: &IndexMap<&str, ()>) -> Part {
    let mut slots = Vec::with_capacity(part.len());
    let mut new = Vec::new();
    let mut blocks = Vec::new();
    let mut bytes = Vec::new();
    let mut in_block = 0;
    for slot in part {
        let settled = slot.block == UNPACKED
            && slot.lead.get().is_some_and(|lead| !lead.status.is_open() && lead.changes().is_empty());
        let at = u32::try_from(bytes.len()).ok().filter(|&at| at < u32::MAX / 2);
        let (Some(at), true) = (at, settled) else {
            slots.push(slot);
            continue;
        };
        let Some(lead) = slot.lead.into_inner() else { continue };
        if put_lead(&mut bytes, &lead, names).is_err() {
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
    /// `leads`, none packed.
    fn from(leads: Vec<LeadEntry>) -> Leads {
        Leads { slots: leads.into_iter().map(Slot::made).collect(), ..Leads::default() }
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
    fn nothing_to_pack() {
        let packed = Leads::default().pack();
        assert!(packed.is_empty());
        assert_eq!(packed.get(0), None);
        assert_eq!(packed.peek(0), None);
    }
}
