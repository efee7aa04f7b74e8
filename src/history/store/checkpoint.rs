//! The checkpoint beside the history (`<history file name>.checkpoint`, mode 0600): the leads as
//! folded from the history's first bytes, in a binary form read at disk speed, with where those
//! bytes end. A start that finds it valid decodes it and parses only the records written after.
//!
//! It is a cache, never the record. It is used only when everything it was made from is still
//! there: the same file (device and inode), at least as long, with the same bytes at its start
//! and just before the offset it covers (a CRC-32 of up to 64 KiB each), written by this very
//! version of the app, every block's CRC-32 right. Anything else (missing, damaged, cut short,
//! another file, another version) and the history is read whole, as without one, and a new
//! checkpoint is written. The history is append-only and its middle is never rewritten (see
//! `repair.rs`), so bytes that were covered do not change under it; an edit by hand that keeps
//! the file, its length and both probes is the one change it cannot see (`rm` the checkpoint
//! after editing the history by hand).
//!
//! # Layout
//! `MAGIC`, then blocks, each `len: u32, crc32: u32, bytes[len]` (little-endian). The first block
//! is the head: format, app version, what is covered, the lead count, the campaign names, the
//! damaged lines and orphan records found in the covered bytes. Each further block holds up to
//! [`BLOCK`] leads, then their chunk of the search index (its text, and each lead's campaign,
//! text length, phone length and status), so a start neither folds nor lowercases them. Numbers are LEB128 varints unless said; strings are a varint length and
//! UTF-8 bytes.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use compact_str::CompactString;
use indexmap::IndexMap;
use jiff::Timestamp;

use super::scan::{Bad, DamageReason};
use crate::api::ErrorKind;
use crate::api::types::{CreateLead, LeadId, SecondaryContact, Variables};
use crate::history::change::{ChangeEntry, ChangeId};
use crate::history::leads::{Leads, Placed};
use crate::history::owner::RunId;
use crate::history::record::{LeadEntry, LeadError, LocalId, Record, Status};
use crate::history::search_index::{CHUNK_LEADS, Row, SearchIndex};

const MAGIC: &[u8; 8] = b"ACTUICP\n";
/// Bumped with any change of the layout below.
const FORMAT: u32 = 2;
/// How many bytes of the history each probe reads.
const PROBE: u64 = 64 * 1024;
/// Leads per block: one chunk of the search index each.
const BLOCK: usize = CHUNK_LEADS;
/// Blocks are written out once this big.
const FLUSH: usize = 1 << 20;

/// What a checkpoint covers: the history's first `end` bytes, `lines` lines, of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Cover {
    dev: u64,
    ino: u64,
    /// The offset the leads are folded up to (a line's end).
    pub end: u64,
    /// How many lines come before `end`.
    pub lines: u64,
    head: u32,
    tail: u32,
}

impl Cover {
    /// The cover of `file`'s first `end` bytes, `lines` lines.
    pub fn of(file: &File, end: u64, lines: u64) -> io::Result<Cover> {
        let meta = file.metadata()?;
        let probe = PROBE.min(end);
        Ok(Cover {
            dev: meta.dev(),
            ino: meta.ino(),
            end,
            lines,
            head: crc_at(file, 0, probe)?,
            tail: crc_at(file, end - probe, probe)?,
        })
    }

    /// Whether `file` still holds what this covers.
    fn holds(&self, file: &File) -> bool {
        let Ok(meta) = file.metadata() else { return false };
        meta.dev() == self.dev
            && meta.ino() == self.ino
            && meta.len() >= self.end
            && Cover::of(file, self.end, self.lines).is_ok_and(|now| now == *self)
    }
}

fn crc_at(file: &File, at: u64, len: u64) -> io::Result<u32> {
    let mut bytes = vec![0; usize::try_from(len).unwrap_or(0)];
    file.read_exact_at(&mut bytes, at)?;
    Ok(crc32fast::hash(&bytes))
}

/// What a checkpoint holds: the fold of the covered bytes, and the leads' search index.
#[derive(Debug, Default)]
pub(super) struct Folded<L = Leads, O = Vec<Record>, D = Vec<Bad>, S = SearchIndex> {
    pub leads: L,
    pub orphans: O,
    pub damaged: D,
    pub search: S,
}

/// What [`write`] takes: the same, borrowed.
pub(super) type Borrowed<'a> = Folded<&'a Leads, &'a [Record], &'a [Bad], &'a SearchIndex>;

/// Reads the checkpoint at `path` if it still covers `history`; `None` if there is none or it
/// cannot be used (the reason is logged).
pub(super) fn read(path: &Path, history: &File) -> Option<(Cover, Folded)> {
    let bytes = match crate::files::read(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(e) => {
            tracing::info!("history checkpoint not read: {e}");
            return None;
        }
    };
    let read = decode(&bytes).filter(|(cover, _)| cover.holds(history));
    if read.is_none() {
        tracing::info!(
            "history checkpoint {} is stale or damaged; the history is read whole",
            path.display()
        );
    }
    read
}

/// Writes a checkpoint of `folded` covering `cover` at `path`, through a temporary file renamed
/// into place, so a reader sees the old one or the new one whole.
pub(super) fn write(path: &Path, cover: &Cover, folded: &Borrowed<'_>) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or(path.as_os_str()).to_owned();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    let written = encode(io::BufWriter::with_capacity(FLUSH, file), cover, folded)
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

// ---- encoding

fn encode(mut out: impl Write, cover: &Cover, folded: &Borrowed<'_>) -> io::Result<()> {
    out.write_all(MAGIC)?;
    // The packed leads' names first, in their order: their bytes are copied as they are.
    let leads = folded.leads;
    let mut names: IndexMap<&str, ()> = leads.names().iter().map(|name| (&**name, ())).collect();
    for i in (0..leads.len()).filter(|&i| leads.packed_bytes(i).is_none()) {
        if let Some(name) = &leads[i].campaign_name {
            names.insert(name, ());
        }
    }
    let mut b = Vec::with_capacity(FLUSH + FLUSH / 4);
    b.extend_from_slice(&FORMAT.to_le_bytes());
    put_str(&mut b, env!("CARGO_PKG_VERSION"));
    for n in [cover.dev, cover.ino, cover.end, cover.lines] {
        put(&mut b, n);
    }
    b.extend_from_slice(&cover.head.to_le_bytes());
    b.extend_from_slice(&cover.tail.to_le_bytes());
    put(&mut b, folded.leads.len() as u64);
    put(&mut b, names.len() as u64);
    for name in names.keys() {
        put_str(&mut b, name);
    }
    put(&mut b, folded.damaged.len() as u64);
    for bad in folded.damaged {
        put(&mut b, bad.line as u64);
        put(&mut b, bad.start as u64);
        put_bytes(&mut b, &bad.text);
        put_reason(&mut b, &bad.reason);
    }
    put(&mut b, folded.orphans.len() as u64);
    for orphan in folded.orphans {
        put_bytes(&mut b, &serde_json::to_vec(orphan).map_err(io::Error::other)?);
    }
    block(&mut out, &mut b)?;
    if folded.search.len() != folded.leads.len() {
        return Err(io::Error::other("the search index does not hold every lead"));
    }
    let starts = (0..leads.len()).step_by(BLOCK);
    for (start, (text, rows)) in starts.zip(folded.search.chunks()) {
        let end = (start + BLOCK).min(leads.len());
        put(&mut b, (end - start) as u64);
        for i in start..end {
            match leads.packed_bytes(i) {
                Some(bytes) => b.extend_from_slice(bytes),
                None => put_lead(&mut b, &leads[i], &names)?,
            }
        }
        put_search(&mut b, text, rows);
        block(&mut out, &mut b)?;
    }
    out.flush()
}

/// Writes `bytes` as one block, and empties it.
fn block(out: &mut impl Write, bytes: &mut Vec<u8>) -> io::Result<()> {
    let len = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&crc32fast::hash(bytes).to_le_bytes())?;
    out.write_all(bytes)?;
    bytes.clear();
    Ok(())
}

fn put(b: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        b.push((n as u8) | 0x80);
        n >>= 7;
    }
    b.push(n as u8);
}

fn put_bytes(b: &mut Vec<u8>, bytes: &[u8]) {
    put(b, bytes.len() as u64);
    b.extend_from_slice(bytes);
}

fn put_str(b: &mut Vec<u8>, text: &str) {
    put_bytes(b, text.as_bytes());
}

fn put_opt_str(b: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => b.push(0),
        Some(text) => {
            b.push(1);
            put_str(b, text);
        }
    }
}

fn put_time(b: &mut Vec<u8>, at: Timestamp) {
    b.extend_from_slice(&at.as_second().to_le_bytes());
    b.extend_from_slice(&at.subsec_nanosecond().to_le_bytes());
}

fn put_variables(b: &mut Vec<u8>, variables: &Variables) {
    put(b, variables.len() as u64);
    for (name, value) in variables.iter() {
        put_str(b, name);
        put_str(b, value);
    }
}

fn put_reason(b: &mut Vec<u8>, reason: &DamageReason) {
    match reason {
        DamageReason::NulBytes => b.push(0),
        DamageReason::NotUtf8 => b.push(1),
        DamageReason::NotJson(text) => {
            b.push(2);
            put_str(b, text);
        }
        DamageReason::NotARecord(text) => {
            b.push(3);
            put_str(b, text);
        }
        DamageReason::NewerVersion(v) => {
            b.push(4);
            put(b, *v);
        }
    }
}

fn kind_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Invalid => 0,
        ErrorKind::Rejected => 1,
        ErrorKind::Auth => 2,
        ErrorKind::RateLimited => 3,
        ErrorKind::Unreachable => 4,
        ErrorKind::UnknownOutcome => 5,
        ErrorKind::Storage => 6,
        ErrorKind::Cancelled => 7,
    }
}

const KINDS: [ErrorKind; 8] = [
    ErrorKind::Invalid,
    ErrorKind::Rejected,
    ErrorKind::Auth,
    ErrorKind::RateLimited,
    ErrorKind::Unreachable,
    ErrorKind::UnknownOutcome,
    ErrorKind::Storage,
    ErrorKind::Cancelled,
];

fn put_error(b: &mut Vec<u8>, error: Option<&LeadError>) {
    let Some(error) = error else { return b.push(0) };
    b.push(1);
    b.push(kind_code(error.kind));
    put_str(b, &error.message);
    put(b, error.http_status.map_or(0, |s| u64::from(s) + 1));
    put(b, error.fields.len() as u64);
    for (field, messages) in &error.fields {
        put_str(b, field);
        put(b, messages.len() as u64);
        for message in messages {
            put_str(b, message);
        }
    }
}

/// A chunk of the search index: its text, then each row (its text's length after the row
/// before, not its end, which keeps the numbers small).
fn put_search(b: &mut Vec<u8>, text: &str, rows: &[Row]) {
    put_str(b, text);
    let mut start = 0;
    for row in rows {
        put(b, row.campaign);
        put(b, (row.end - start) as u64);
        put(b, u64::from(row.phone_len));
        b.push(row.status as u8);
        start = row.end;
    }
}

/// Appends `lead` to `b` as a checkpoint holds it (the campaign name as its 1-based place in
/// `names`, 0 for none); also how [`crate::history::leads::Leads`] packs a lead in memory.
pub(in crate::history) fn put_lead(
    b: &mut Vec<u8>,
    lead: &LeadEntry,
    names: &IndexMap<&str, ()>,
) -> io::Result<()> {
    b.extend_from_slice(lead.local_id.0.as_bytes());
    put_time(b, lead.submitted_at);
    put_time(b, lead.updated_at);
    let request = &lead.request;
    put_str(b, &request.phone_number);
    put(b, request.campaign_id);
    put_variables(b, &request.variables);
    b.push(u8::from(request.allow_dupplicate));
    put(b, request.secondary_contacts.len() as u64);
    for contact in &request.secondary_contacts {
        put_str(b, &contact.phone_number);
        put_variables(b, &contact.variables);
    }
    b.push(lead.status as u8);
    put(b, u64::from(lead.attempts));
    put_opt_str(b, lead.lead_id.as_deref());
    let name = lead.campaign_name.as_deref().and_then(|n| names.get_index_of(n));
    put(b, name.map_or(0, |i| i as u64 + 1));
    put_error(b, lead.error.as_deref());
    put_opt_str(b, lead.server_status.as_deref());
    put(b, lead.owner.map_or(0, RunId::bits));
    let changes = lead.changes();
    put(b, changes.len() as u64);
    for change in changes {
        b.extend_from_slice(change.id.0.as_bytes());
        put_time(b, change.at);
        put_bytes(b, &serde_json::to_vec(&change.change).map_err(io::Error::other)?);
        put_bytes(b, &serde_json::to_vec(&change.status).map_err(io::Error::other)?);
        put_error(b, change.error.as_ref());
        put(b, u64::from(change.attempts));
    }
    Ok(())
}

// ---- decoding: `None` at the first thing that is not as written

/// The lead [`put_lead`] wrote at the start of `bytes`, with `names` the table it was written
/// with.
pub(in crate::history) fn lead_at(bytes: &[u8], names: &[Arc<str>]) -> Option<LeadEntry> {
    Dec(bytes).lead(names)
}

/// The campaign of the lead [`put_lead`] wrote at the start of `bytes`, handing `f` the names
/// of its variables in order.
pub(in crate::history) fn keys_at<'a>(bytes: &'a [u8], mut f: impl FnMut(&'a str)) -> Option<u64> {
    let mut d = Dec(bytes);
    d.take(16 + 2 * 12)?;
    d.bytes()?;
    let campaign = d.num()?;
    for _ in 0..d.num()? {
        f(d.str()?);
        d.bytes()?;
    }
    Some(campaign)
}

/// What lists and look-ups ask of a lead, read where it lies, without making the lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek<'a> {
    /// The local id.
    pub local_id: LocalId,
    /// The primary phone (E.164).
    pub phone: &'a str,
    /// The campaign.
    pub campaign_id: u64,
    /// Where it stands.
    pub status: Status,
    /// The server's id, once created.
    pub lead_id: Option<&'a str>,
    /// The status the server last reported.
    pub server_status: Option<&'a str>,
    /// Whether fixes or deletes were asked for it.
    pub changes: bool,
}

impl<'a> Peek<'a> {
    /// The same of a lead at hand.
    pub fn of(lead: &'a LeadEntry) -> Peek<'a> {
        Peek {
            local_id: lead.local_id,
            phone: &lead.request.phone_number,
            campaign_id: lead.request.campaign_id,
            status: lead.status,
            lead_id: lead.lead_id.as_deref(),
            server_status: lead.server_status.as_deref(),
            changes: !lead.changes().is_empty(),
        }
    }
}

/// The [`Peek`] of the lead [`put_lead`] wrote at the start of `bytes`, and how many bytes
/// it takes. Everything [`lead_at`] checks of a lead without changes is checked, with `names`
/// the number of names in its table: a lead that peeks reads back.
pub(in crate::history) fn peek_at(bytes: &[u8], names: usize) -> Option<(Peek<'_>, usize)> {
    let mut d = Dec(bytes);
    let peek = d.peek(names)?;
    Some((peek, bytes.len() - d.0.len()))
}

fn decode(bytes: &[u8]) -> Option<(Cover, Folded)> {
    let mut blocks = Blocks { rest: bytes.strip_prefix(MAGIC)? };
    let mut d = Dec(blocks.next()?);
    if u32::from_le_bytes(d.array()?) != FORMAT || d.str()? != env!("CARGO_PKG_VERSION") {
        return None;
    }
    let cover = Cover {
        dev: d.num()?,
        ino: d.num()?,
        end: d.num()?,
        lines: d.num()?,
        head: u32::from_le_bytes(d.array()?),
        tail: u32::from_le_bytes(d.array()?),
    };
    let count = usize::try_from(d.num()?).ok()?;
    let names = (0..d.num()?).map(|_| d.str().map(Arc::<str>::from)).collect::<Option<Vec<_>>>()?;
    let damaged = (0..d.num()?)
        .map(|_| {
            Some(Bad { line: d.usize()?, start: d.usize()?, text: d.bytes()?.to_vec(), reason: d.reason()? })
        })
        .collect::<Option<Vec<_>>>()?;
    let orphans =
        (0..d.num()?).map(|_| serde_json::from_slice(d.bytes()?).ok()).collect::<Option<Vec<Record>>>()?;
    d.end()?;
    // Bounded by the bytes there: a damaged count cannot ask for more than the file holds.
    let mut pieces = Vec::new();
    while !blocks.rest.is_empty() {
        pieces.push(blocks.next_unchecked()?);
    }
    // The blocks are independent: checked and decoded on every core (a million leads are a
    // thousand blocks), then put together in order.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
    let per_thread = pieces.len().div_ceil(cores).max(1);
    let decoded: Vec<Option<Decoded>> = std::thread::scope(|scope| {
        let threads: Vec<_> = pieces
            .chunks(per_thread)
            .map(|part| scope.spawn(|| decode_blocks(part, &names, bytes.len())))
            .collect();
        threads.into_iter().map(|t| t.join().ok().flatten()).collect()
    });
    let mut blocks = Vec::with_capacity(pieces.len());
    let mut search = SearchIndex::default();
    for part in decoded {
        for (block, (text, rows)) in part? {
            blocks.push(block);
            search.push_chunk(text, rows)?;
        }
    }
    let leads = Leads::from_blocks(names.into(), blocks);
    if leads.len() != count || search.len() != count {
        return None;
    }
    Some((cover, Folded { leads, orphans, damaged, search }))
}

/// Each block's leads (their bytes, and where each lies or the lead made), and its chunk of the
/// search index.
type Decoded = Vec<((Arc<[u8]>, Vec<Placed>), (String, Vec<Row>))>;

/// Checks `blocks` (each its CRC and bytes), in order, and reads where each lead lies: the
/// settled ones stay packed in a copy of their bytes (checked as [`peek_at`] does, so they read
/// back), those still open or with changes are made (the outbox and the fixes take them on).
fn decode_blocks(blocks: &[(u32, &[u8])], names: &[Arc<str>], limit: usize) -> Option<Decoded> {
    let mut decoded = Vec::with_capacity(blocks.len());
    for &(crc, block) in blocks {
        if crc32fast::hash(block) != crc {
            return None;
        }
        let mut d = Dec(block);
        let n = d.usize()?;
        let start = block.len() - d.0.len();
        let mut placed = Vec::with_capacity(n.min(limit / 32));
        for _ in 0..n {
            let at = d.0.len();
            let (peek, len) = peek_at(d.0, names.len())?;
            if peek.status.is_open() || peek.changes {
                placed.push(Placed::Made(Box::new(d.lead(names)?)));
            } else {
                d.take(len)?;
                placed.push(Placed::Packed(u32::try_from(block.len() - at - start).ok()?));
            }
        }
        let end = block.len() - d.0.len();
        let search = d.search(n)?;
        d.end()?;
        decoded.push(((Arc::from(&block[start..end]), placed), search));
    }
    Some(decoded)
}

/// The blocks after the magic, each checked against its CRC.
struct Blocks<'a> {
    rest: &'a [u8],
}

impl<'a> Blocks<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let (crc, block) = self.next_unchecked()?;
        (crc32fast::hash(block) == crc).then_some(block)
    }

    /// The next block and the CRC it should have, not checked yet.
    fn next_unchecked(&mut self) -> Option<(u32, &'a [u8])> {
        let (len, rest) = self.rest.split_first_chunk::<4>()?;
        let (crc, rest) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if rest.len() < len {
            return None;
        }
        let (block, rest) = rest.split_at(len);
        self.rest = rest;
        Some((u32::from_le_bytes(*crc), block))
    }
}

struct Dec<'a>(&'a [u8]);

impl<'a> Dec<'a> {
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (taken, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(taken)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.0.split_first_chunk::<N>()?;
        self.0 = rest;
        Some(*head)
    }

    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn num(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            n |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.num()?).ok()
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.num()?).ok()
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.usize()?;
        self.take(len)
    }

    fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn compact(&mut self) -> Option<CompactString> {
        self.str().map(CompactString::from)
    }

    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.str().map(Some),
            _ => None,
        }
    }

    fn time(&mut self) -> Option<Timestamp> {
        let second = i64::from_le_bytes(self.array()?);
        let nanosecond = i32::from_le_bytes(self.array()?);
        Timestamp::new(second, nanosecond).ok()
    }

    fn uuid(&mut self) -> Option<uuid::Uuid> {
        Some(uuid::Uuid::from_bytes(self.array()?))
    }

    fn variables(&mut self) -> Option<Variables> {
        let n = self.usize()?;
        let mut variables = Variables::with_capacity(n.min(self.0.len()));
        for _ in 0..n {
            let name = self.compact()?;
            variables.insert(name, self.compact()?);
        }
        Some(variables)
    }

    /// A chunk of the search index of `n` leads, as [`put_search`] wrote it.
    fn search(&mut self, n: usize) -> Option<(String, Vec<Row>)> {
        let text = self.str()?.to_owned();
        let mut rows = Vec::with_capacity(n.min(self.0.len()));
        let mut end = 0usize;
        for _ in 0..n {
            let campaign = self.num()?;
            end = end.checked_add(self.usize()?)?;
            let phone_len = self.u32()?;
            let status = *Status::ALL.get(usize::from(self.byte()?))?;
            rows.push(Row { campaign, end, phone_len, status });
        }
        Some((text, rows))
    }

    fn reason(&mut self) -> Option<DamageReason> {
        Some(match self.byte()? {
            0 => DamageReason::NulBytes,
            1 => DamageReason::NotUtf8,
            2 => DamageReason::NotJson(self.str()?.to_owned()),
            3 => DamageReason::NotARecord(self.str()?.to_owned()),
            4 => DamageReason::NewerVersion(self.num()?),
            _ => return None,
        })
    }

    fn error(&mut self) -> Option<Option<LeadError>> {
        match self.byte()? {
            0 => return Some(None),
            1 => {}
            _ => return None,
        }
        let kind = *KINDS.get(usize::from(self.byte()?))?;
        let message = self.str()?.to_owned();
        let http_status = match self.num()? {
            0 => None,
            n => Some(u16::try_from(n - 1).ok()?),
        };
        let mut fields = IndexMap::new();
        for _ in 0..self.num()? {
            let field = self.str()?.to_owned();
            let messages = (0..self.num()?).map(|_| self.str().map(str::to_owned)).collect::<Option<_>>()?;
            fields.insert(field, messages);
        }
        Some(Some(LeadError { kind, message, http_status, fields }))
    }

    /// What [`lead`](Self::lead) reads, skipping what a [`Peek`] does not hold.
    fn peek(&mut self, names: usize) -> Option<Peek<'a>> {
        let local_id = LocalId(self.uuid()?);
        self.time()?;
        self.time()?;
        let phone = self.str()?;
        let campaign_id = self.num()?;
        self.skip_variables()?;
        if self.byte()? > 1 {
            return None;
        }
        for _ in 0..self.num()? {
            self.str()?;
            self.skip_variables()?;
        }
        let status = *Status::ALL.get(usize::from(self.byte()?))?;
        self.u32()?;
        let lead_id = self.opt_str()?;
        if self.usize()? > names {
            return None;
        }
        self.error()?;
        let server_status = self.opt_str()?;
        self.num()?;
        let changes = self.num()? > 0;
        Some(Peek { local_id, phone, campaign_id, status, lead_id, server_status, changes })
    }

    fn skip_variables(&mut self) -> Option<()> {
        for _ in 0..self.num()? {
            self.str()?;
            self.str()?;
        }
        Some(())
    }

    fn lead(&mut self, names: &[Arc<str>]) -> Option<LeadEntry> {
        let local_id = LocalId(self.uuid()?);
        let submitted_at = self.time()?;
        let updated_at = self.time()?;
        let phone_number = self.compact()?;
        let campaign_id = self.num()?;
        let variables = self.variables()?;
        let allow_dupplicate = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let secondary_contacts = (0..self.num()?)
            .map(|_| Some(SecondaryContact { phone_number: self.compact()?, variables: self.variables()? }))
            .collect::<Option<Vec<_>>>()?;
        let status = *Status::ALL.get(usize::from(self.byte()?))?;
        let attempts = self.u32()?;
        let lead_id = self.opt_str()?.map(LeadId::from);
        let campaign_name = match self.usize()? {
            0 => None,
            i => Some(Arc::clone(names.get(i - 1)?)),
        };
        let error = self.error()?.map(Box::new);
        let server_status = self.opt_str()?.map(Box::from);
        let owner = RunId::from_bits(self.num()?);
        let changes = (0..self.num()?)
            .map(|_| {
                Some(ChangeEntry {
                    id: ChangeId(self.uuid()?),
                    at: self.time()?,
                    change: serde_json::from_slice(self.bytes()?).ok()?,
                    status: serde_json::from_slice(self.bytes()?).ok()?,
                    error: self.error()?,
                    attempts: self.u32()?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(LeadEntry {
            local_id,
            submitted_at,
            updated_at,
            request: CreateLead {
                phone_number,
                campaign_id,
                variables,
                allow_dupplicate,
                secondary_contacts,
            },
            status,
            attempts,
            lead_id,
            campaign_name,
            error,
            server_status,
            owner,
            changes: (!changes.is_empty()).then(|| Box::new(changes)),
        })
    }
}
