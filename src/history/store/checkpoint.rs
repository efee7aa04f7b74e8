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
//! is the head: format, app version, what is covered, the lead count, the words the leads share
//! (see [`WORDS`]), the search index's campaigns, the damaged lines and orphan records found in the
//! covered bytes. Each further block holds up to [`BLOCK`] leads, then their chunk of the search
//! index (its text, and each lead's campaign by its place in the head's list of the index's
//! campaigns, text length, phone length and status), so a start neither folds nor lowercases them.
//! Numbers are LEB128 varints unless said; strings are a varint length and UTF-8 bytes; a word is
//! its place in the head's table from 1, or 0 and the string; a time is its seconds (zigzag) and
//! its fraction of a second in the coarsest unit that holds it (a lead's update time as the seconds
//! after its submission).

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
const FORMAT: u32 = 3;
/// How many bytes of the history each probe reads.
const PROBE: u64 = 64 * 1024;
/// Leads per block: one chunk of the search index each.
const BLOCK: usize = CHUNK_LEADS;
/// Blocks are written out once this big.
const FLUSH: usize = 1 << 20;
/// The most words a table holds: strings many leads share (campaign and variable names, error
/// messages, server statuses) are written once in it and by their place in each lead, which
/// spells out only what is its own. Past this many, words are spelled out where they are used.
pub(in crate::history) const WORDS: usize = 1 << 16;

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
    // The packed leads' words first, in their order: their bytes are copied as they are.
    let leads = folded.leads;
    let mut words: IndexMap<&str, ()> = leads.words().iter().map(|word| (&**word, ())).collect();
    for i in (0..leads.len()).filter(|&i| leads.packed_bytes(i).is_none()) {
        words_of(&leads[i], |word| {
            if words.len() < WORDS {
                words.insert(word, ());
            }
        });
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
    put(&mut b, words.len() as u64);
    for word in words.keys() {
        put_str(&mut b, word);
    }
    put(&mut b, folded.search.campaigns().len() as u64);
    for (id, name) in folded.search.campaigns() {
        put(&mut b, id);
        put_opt_word(&mut b, name, &words);
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
                None => put_lead(&mut b, &leads[i], &words)?,
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

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

fn put_time(b: &mut Vec<u8>, at: Timestamp) {
    put(b, zigzag(at.as_second()));
    put_fraction(b, at.subsec_nanosecond());
}

/// `at` as the seconds after `from` (a lead's update after its submission: a byte or two).
fn put_time_after(b: &mut Vec<u8>, from: Timestamp, at: Timestamp) {
    put(b, zigzag(at.as_second() - from.as_second()));
    put_fraction(b, at.subsec_nanosecond());
}

/// Nanoseconds in the coarsest unit that holds them: the low two bits say which (1 ms, 2 µs,
/// 0 ns), the rest is the count (zigzag). Whole milliseconds take two bytes, not five.
fn put_fraction(b: &mut Vec<u8>, nanos: i32) {
    let nanos = i64::from(nanos);
    let (count, unit) = match nanos {
        n if n % 1_000_000 == 0 => (n / 1_000_000, 1),
        n if n % 1_000 == 0 => (n / 1_000, 2),
        n => (n, 0),
    };
    put(b, zigzag(count) << 2 | unit);
}

fn put_word(b: &mut Vec<u8>, word: &str, words: &IndexMap<&str, ()>) {
    if let Some(i) = words.get_index_of(word) {
        put(b, i as u64 + 1);
    } else {
        b.push(0);
        put_str(b, word);
    }
}

/// 0 for none, 1 and the string, or its place in `words` from 2.
fn put_opt_word(b: &mut Vec<u8>, word: Option<&str>, words: &IndexMap<&str, ()>) {
    let Some(word) = word else { return b.push(0) };
    if let Some(i) = words.get_index_of(word) {
        put(b, i as u64 + 2);
    } else {
        b.push(1);
        put_str(b, word);
    }
}

/// Hands `f` the strings of `lead` that many leads share: what [`put_lead`] writes as words.
pub(in crate::history) fn words_of<'a>(lead: &'a LeadEntry, mut f: impl FnMut(&'a str)) {
    if let Some(name) = &lead.campaign_name {
        f(name);
    }
    lead.request.variables.keys().for_each(&mut f);
    for contact in &lead.request.secondary_contacts {
        contact.variables.keys().for_each(&mut f);
    }
    if let Some(status) = &lead.server_status {
        f(status);
    }
    let errors =
        lead.error.as_deref().into_iter().chain(lead.changes().iter().filter_map(|c| c.error.as_ref()));
    for error in errors {
        f(&error.message);
        for (field, messages) in &error.fields {
            f(field);
            messages.iter().for_each(|message| f(message));
        }
    }
}

fn put_variables(b: &mut Vec<u8>, variables: &Variables, words: &IndexMap<&str, ()>) {
    put(b, variables.len() as u64);
    for (name, value) in variables.iter() {
        put_word(b, name, words);
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

fn put_error(b: &mut Vec<u8>, error: Option<&LeadError>, words: &IndexMap<&str, ()>) {
    let Some(error) = error else { return b.push(0) };
    b.push(1);
    b.push(kind_code(error.kind));
    put_word(b, &error.message, words);
    put(b, error.http_status.map_or(0, |s| u64::from(s) + 1));
    put(b, error.fields.len() as u64);
    for (field, messages) in &error.fields {
        put_word(b, field, words);
        put(b, messages.len() as u64);
        for message in messages {
            put_word(b, message, words);
        }
    }
}

/// A chunk of the search index: its text, then each row (its text's length after the row
/// before, not its end, which keeps the numbers small).
fn put_search(b: &mut Vec<u8>, text: &str, rows: &[Row]) {
    put_str(b, text);
    let mut start = 0;
    for row in rows {
        put(b, u64::from(row.campaign));
        put(b, u64::from(row.end - start));
        put(b, u64::from(row.phone_len));
        b.push(row.status as u8);
        start = row.end;
    }
}

/// Appends `lead` to `b` as a checkpoint holds it (the strings in `words` by their places: see
/// [`words_of`]); also how [`crate::history::leads::Leads`] packs a lead in memory. Its local
/// id comes first, as it is: [`Leads`] reads it there.
pub(in crate::history) fn put_lead(
    b: &mut Vec<u8>,
    lead: &LeadEntry,
    words: &IndexMap<&str, ()>,
) -> io::Result<()> {
    b.extend_from_slice(lead.local_id.0.as_bytes());
    put_time(b, lead.submitted_at);
    put_time_after(b, lead.submitted_at, lead.updated_at);
    let request = &lead.request;
    put_str(b, &request.phone_number);
    put(b, request.campaign_id);
    put_variables(b, &request.variables, words);
    b.push(u8::from(request.allow_dupplicate));
    put(b, request.secondary_contacts.len() as u64);
    for contact in &request.secondary_contacts {
        put_str(b, &contact.phone_number);
        put_variables(b, &contact.variables, words);
    }
    b.push(lead.status as u8);
    put(b, u64::from(lead.attempts));
    put_opt_str(b, lead.lead_id.as_deref());
    put_opt_word(b, lead.campaign_name.as_deref(), words);
    put_error(b, lead.error.as_deref(), words);
    put_opt_word(b, lead.server_status.as_deref(), words);
    put(b, lead.owner.map_or(0, RunId::bits));
    let changes = lead.changes();
    put(b, changes.len() as u64);
    for change in changes {
        b.extend_from_slice(change.id.0.as_bytes());
        put_time(b, change.at);
        put_bytes(b, &serde_json::to_vec(&change.change).map_err(io::Error::other)?);
        put_bytes(b, &serde_json::to_vec(&change.status).map_err(io::Error::other)?);
        put_error(b, change.error.as_ref(), words);
        put(b, u64::from(change.attempts));
    }
    Ok(())
}

// ---- decoding: `None` at the first thing that is not as written

/// The lead [`put_lead`] wrote at the start of `bytes`, with `words` the table it was written
/// with.
pub(in crate::history) fn lead_at(bytes: &[u8], words: &[Arc<str>]) -> Option<LeadEntry> {
    Dec(bytes).lead(words)
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

    /// Whether the lead is settled: not on its way, no fix or delete asked for. Only a settled
    /// lead is held packed (nothing will change it but a new record).
    pub fn is_settled(&self) -> bool {
        !self.status.is_open() && !self.changes
    }
}

/// The [`Peek`] of the lead [`put_lead`] wrote at the start of `bytes`, and how many bytes
/// it takes. Everything [`lead_at`] checks of a lead without changes is checked, with `words`
/// the table it was written with: a lead that peeks reads back.
pub(in crate::history) fn peek_at<'a>(bytes: &'a [u8], words: &'a [Arc<str>]) -> Option<(Peek<'a>, usize)> {
    peek_with_names(bytes, words, |_| {})
}

/// The same, handing `names` the names of the lead's variables in order on the way.
pub(in crate::history) fn peek_with_names<'a>(
    bytes: &'a [u8],
    words: &'a [Arc<str>],
    names: impl FnMut(&'a str),
) -> Option<(Peek<'a>, usize)> {
    let mut d = Dec(bytes);
    let peek = d.peek(words, names)?;
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
    let words = (0..d.num()?).map(|_| d.str().map(Arc::<str>::from)).collect::<Option<Vec<_>>>()?;
    let campaigns =
        (0..d.num()?).map(|_| Some((d.num()?, d.opt_word_shared(&words)?))).collect::<Option<Vec<_>>>()?;
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
            .map(|part| scope.spawn(|| decode_blocks(part, &words, bytes.len())))
            .collect();
        threads.into_iter().map(|t| t.join().ok().flatten()).collect()
    });
    let mut blocks = Vec::with_capacity(pieces.len());
    let mut search = SearchIndex::with_campaigns(campaigns);
    for part in decoded {
        for (block, (text, rows)) in part? {
            blocks.push(block);
            search.push_chunk(text, rows)?;
        }
    }
    let leads = Leads::from_blocks(words.into(), blocks);
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
fn decode_blocks(blocks: &[(u32, &[u8])], words: &[Arc<str>], limit: usize) -> Option<Decoded> {
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
            let (peek, len) = peek_at(d.0, words)?;
            if peek.is_settled() {
                d.take(len)?;
                placed.push(Placed::Packed(u32::try_from(block.len() - at - start).ok()?));
            } else {
                placed.push(Placed::Made(Box::new(d.lead(words)?)));
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

/// The start of a lead's bytes ([`Dec::head`]): one reading of it for every reader, so what
/// one reads the others read alike.
struct Head<'a> {
    local_id: LocalId,
    submitted_at: Timestamp,
    updated_at: Timestamp,
    phone: &'a str,
    campaign_id: u64,
}

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
        let second = unzigzag(self.num()?);
        Timestamp::new(second, self.fraction()?).ok()
    }

    fn time_after(&mut self, from: Timestamp) -> Option<Timestamp> {
        let second = from.as_second().checked_add(unzigzag(self.num()?))?;
        Timestamp::new(second, self.fraction()?).ok()
    }

    fn fraction(&mut self) -> Option<i32> {
        let n = self.num()?;
        let count = unzigzag(n >> 2);
        let nanos = match n & 3 {
            1 => count.checked_mul(1_000_000)?,
            2 => count.checked_mul(1_000)?,
            0 => count,
            _ => return None,
        };
        i32::try_from(nanos).ok()
    }

    /// A word: its place in `words` from 1, or 0 and the string.
    fn word<'w>(&mut self, words: &'w [Arc<str>]) -> Option<&'w str>
    where
        'a: 'w,
    {
        match self.usize()? {
            0 => self.str(),
            i => words.get(i - 1).map(|word| &**word),
        }
    }

    /// What [`put_opt_word`] wrote.
    fn opt_word<'w>(&mut self, words: &'w [Arc<str>]) -> Option<Option<&'w str>>
    where
        'a: 'w,
    {
        match self.usize()? {
            0 => Some(None),
            1 => self.str().map(Some),
            i => words.get(i - 2).map(|word| Some(&**word)),
        }
    }

    /// The same, shared with the table when it is there.
    fn opt_word_shared(&mut self, words: &[Arc<str>]) -> Option<Option<Arc<str>>> {
        match self.usize()? {
            0 => Some(None),
            1 => self.str().map(|word| Some(Arc::from(word))),
            i => words.get(i - 2).map(|word| Some(Arc::clone(word))),
        }
    }

    fn uuid(&mut self) -> Option<uuid::Uuid> {
        Some(uuid::Uuid::from_bytes(self.array()?))
    }

    fn variables(&mut self, words: &[Arc<str>]) -> Option<Variables> {
        let n = self.usize()?;
        let mut variables = Variables::with_capacity(n.min(self.0.len()));
        for _ in 0..n {
            let name = CompactString::from(self.word(words)?);
            variables.insert(name, self.compact()?);
        }
        Some(variables)
    }

    /// A chunk of the search index of `n` leads, as [`put_search`] wrote it.
    fn search(&mut self, n: usize) -> Option<(String, Vec<Row>)> {
        let text = self.str()?.to_owned();
        let mut rows = Vec::with_capacity(n.min(self.0.len()));
        let mut end = 0u32;
        for _ in 0..n {
            let campaign = self.u32()?;
            end = end.checked_add(self.u32()?)?;
            let phone_len = u16::try_from(self.num()?).ok()?;
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

    fn error(&mut self, words: &[Arc<str>]) -> Option<Option<LeadError>> {
        match self.byte()? {
            0 => return Some(None),
            1 => {}
            _ => return None,
        }
        let kind = *KINDS.get(usize::from(self.byte()?))?;
        let message = self.word(words)?.to_owned();
        let http_status = match self.num()? {
            0 => None,
            n => Some(u16::try_from(n - 1).ok()?),
        };
        let mut fields = IndexMap::new();
        for _ in 0..self.num()? {
            let field = self.word(words)?.to_owned();
            let messages =
                (0..self.num()?).map(|_| self.word(words).map(str::to_owned)).collect::<Option<_>>()?;
            fields.insert(field, messages);
        }
        Some(Some(LeadError { kind, message, http_status, fields }))
    }

    /// What [`error`](Self::error) reads, checked the same, made of nothing.
    fn skip_error(&mut self, words: &[Arc<str>]) -> Option<()> {
        match self.byte()? {
            0 => return Some(()),
            1 => {}
            _ => return None,
        }
        KINDS.get(usize::from(self.byte()?))?;
        self.word(words)?;
        if self.num()?.checked_sub(1).is_some_and(|status| status > u64::from(u16::MAX)) {
            return None;
        }
        for _ in 0..self.num()? {
            self.word(words)?;
            for _ in 0..self.num()? {
                self.word(words)?;
            }
        }
        Some(())
    }

    /// What every reader of a lead reads first, as [`put_lead`] wrote it: its ids, times, phone.
    fn head(&mut self) -> Option<Head<'a>> {
        let local_id = LocalId(self.uuid()?);
        let submitted_at = self.time()?;
        let updated_at = self.time_after(submitted_at)?;
        let phone = self.str()?;
        let campaign_id = self.num()?;
        Some(Head { local_id, submitted_at, updated_at, phone, campaign_id })
    }

    /// What [`lead`](Self::lead) reads, skipping what a [`Peek`] does not hold but the names
    /// of its variables, handed to `names`.
    fn peek(&mut self, words: &'a [Arc<str>], mut names: impl FnMut(&'a str)) -> Option<Peek<'a>> {
        let Head { local_id, phone, campaign_id, .. } = self.head()?;
        for _ in 0..self.num()? {
            names(self.word(words)?);
            self.str()?;
        }
        if self.byte()? > 1 {
            return None;
        }
        for _ in 0..self.num()? {
            self.str()?;
            self.skip_variables(words)?;
        }
        let status = *Status::ALL.get(usize::from(self.byte()?))?;
        self.u32()?;
        let lead_id = self.opt_str()?;
        self.opt_word(words)?;
        self.skip_error(words)?;
        let server_status = self.opt_word(words)?;
        self.num()?;
        let changes = self.num()? > 0;
        Some(Peek { local_id, phone, campaign_id, status, lead_id, server_status, changes })
    }

    fn skip_variables(&mut self, words: &[Arc<str>]) -> Option<()> {
        for _ in 0..self.num()? {
            self.word(words)?;
            self.str()?;
        }
        Some(())
    }

    fn lead(&mut self, words: &[Arc<str>]) -> Option<LeadEntry> {
        let Head { local_id, submitted_at, updated_at, phone, campaign_id } = self.head()?;
        let phone_number = CompactString::from(phone);
        let variables = self.variables(words)?;
        let allow_dupplicate = match self.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let secondary_contacts = (0..self.num()?)
            .map(|_| {
                Some(SecondaryContact { phone_number: self.compact()?, variables: self.variables(words)? })
            })
            .collect::<Option<Vec<_>>>()?;
        let status = *Status::ALL.get(usize::from(self.byte()?))?;
        let attempts = self.u32()?;
        let lead_id = self.opt_str()?.map(LeadId::from);
        let campaign_name = self.opt_word_shared(words)?;
        let error = self.error(words)?.map(Box::new);
        let server_status = self.opt_word(words)?.map(Box::from);
        let owner = RunId::from_bits(self.num()?);
        let changes = (0..self.num()?)
            .map(|_| {
                Some(ChangeEntry {
                    id: ChangeId(self.uuid()?),
                    at: self.time()?,
                    change: serde_json::from_slice(self.bytes()?).ok()?,
                    status: serde_json::from_slice(self.bytes()?).ok()?,
                    error: self.error(words)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_back_as_written_whatever_their_fraction() {
        let at = |s: i64, ns: i32| Timestamp::new(s, ns).unwrap();
        let times = [
            at(1_780_000_000, 0),
            at(1_780_000_000, 624_000_000),
            at(1_780_000_000, 624_001_000),
            at(1_780_000_000, 624_001_007),
            at(0, 1),
            at(-1, -999_999_999),
            at(-86_400, -5_000_000),
            Timestamp::MIN,
            Timestamp::MAX,
        ];
        for from in times {
            for to in times {
                let mut b = Vec::new();
                put_time(&mut b, from);
                put_time_after(&mut b, from, to);
                let mut d = Dec(&b);
                assert_eq!(d.time(), Some(from));
                assert_eq!(d.time_after(from), Some(to), "{to} after {from}");
                assert_eq!(d.end(), Some(()));
            }
        }
        // A lead's two times, written at seconds and milliseconds: 9 bytes, not 24.
        let mut b = Vec::new();
        put_time(&mut b, times[0]);
        put_time_after(&mut b, times[0], times[1].checked_add(jiff::SignedDuration::from_secs(2)).unwrap());
        assert_eq!(b.len(), 9);
    }

    #[test]
    fn words_are_found_in_the_table_or_spelled_out() {
        let words: IndexMap<&str, ()> = [("customer_name", ()), ("created", ())].into_iter().collect();
        let table: Vec<Arc<str>> = words.keys().map(|&w| Arc::from(w)).collect();
        let mut b = Vec::new();
        put_word(&mut b, "customer_name", &words);
        put_word(&mut b, "not in it", &words);
        put_opt_word(&mut b, None, &words);
        put_opt_word(&mut b, Some("created"), &words);
        put_opt_word(&mut b, Some("spelled"), &words);
        let mut d = Dec(&b);
        assert_eq!(d.word(&table), Some("customer_name"));
        assert_eq!(d.word(&table), Some("not in it"));
        assert_eq!(d.opt_word(&table), Some(None));
        assert_eq!(d.opt_word(&table), Some(Some("created")));
        assert_eq!(d.opt_word(&table), Some(Some("spelled")));
        assert_eq!(d.end(), Some(()));
        // A place past the table is damage, not a word.
        assert_eq!(Dec(&[3]).word(&table), None);
        assert_eq!(Dec(&[4]).opt_word(&table), None);
    }
}
