//! The history store when writers die: child processes append records and are killed with SIGKILL
//! at random moments, round after round on the same file. After every kill `load` must find each
//! record a child acknowledged, exactly once and in order, repair what the kill left (at most one
//! torn line), and appends must work again after the repair.
//!
//! A kill lands in the middle of a `write` only now and then (the write is a small part of an
//! append), so in some rounds the test also leaves a torn line itself, as such a kill would: the
//! repairs are then checked in every run, and real torn lines are counted apart.
//!
//! The random choices come from a seed printed at the start of each test (shown when it fails):
//! `HISTORY_CRASH_SEED=<seed> cargo test --test history_crash` makes the same choices again, though
//! where exactly a kill lands still depends on timing.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use autocalls_tui::api::types::CreateLead;
use autocalls_tui::history::store::DamageReason;
use autocalls_tui::history::{Event, HistoryStore, LocalId, Record};

/// Set in a child process: the history file to append to.
const CHILD_PATH: &str = "HISTORY_CRASH_PATH";
/// The child's writer number, written into its records.
const CHILD_WRITER: &str = "HISTORY_CRASH_WRITER";
/// The round the child belongs to, written into its records.
const CHILD_ROUND: &str = "HISTORY_CRASH_ROUND";
/// How many records the child appends.
const CHILD_COUNT: &str = "HISTORY_CRASH_COUNT";
/// Replays the random choices of an earlier run.
const SEED: &str = "HISTORY_CRASH_SEED";

/// Padding in every record: lines longer than a page, so a kill can cut a write short.
const PAD: usize = 6000;
/// The writer number of the records the test appends itself after each round's repair.
const PARENT: usize = 9;
/// How many records a child that is to be killed may append: far more than it gets to.
const UNTIL_KILLED: usize = 5_000;
/// The most acknowledgements awaited before a kill.
const MAX_ACKS: usize = 200;
/// The most extra time before a kill, in microseconds, so that it can land in the middle of a
/// write rather than right after an acknowledgement.
const MAX_EXTRA_US: usize = 3_000;

/// What a record is: who wrote it, in which round, and its number among that writer's records
/// of that round.
type Tag = (usize, usize, usize);

fn record((writer, round, seq): Tag) -> Record {
    let vars =
        [("writer", writer), ("round", round), ("seq", seq)].map(|(k, v)| (k.to_owned(), v.to_string()));
    let request = CreateLead {
        phone_number: "+14155550100".into(),
        campaign_id: 42,
        variables: vars.into_iter().chain([("pad".to_owned(), "x".repeat(PAD))]).collect(),
        allow_dupplicate: false,
        secondary_contacts: Vec::new(),
    };
    Record::submitted(LocalId::new(), request, "cli")
}

fn tag(record: &Record) -> Tag {
    let Event::Submitted { request, .. } = &record.event else {
        panic!("only submitted records are written: {record:?}");
    };
    let vars = &request.variables;
    assert_eq!(vars["pad"].len(), PAD, "record intact");
    let number = |name: &str| vars[name].parse().unwrap();
    (number("writer"), number("round"), number("seq"))
}

/// Appends the first bytes of a record's line, under the store's lock, as a writer killed in the
/// middle of its write leaves them. Returns how many, or `None` (and writes nothing) when the
/// file does not end with a whole line: the kill already tore one.
fn tear(path: &Path, rng: &mut Rng, tag: Tag) -> Option<usize> {
    let line = serde_json::to_vec(&record(tag)).unwrap();
    let cut = 1 + rng.up_to(line.len() - 2); // never the whole JSON value: that would be a record
    let mut file = OpenOptions::new().read(true).append(true).open(path).unwrap();
    file.lock().unwrap();
    let len = file.metadata().unwrap().len();
    let mut last = [b'\n'];
    if len > 0 {
        file.read_exact_at(&mut last, len - 1).unwrap();
    }
    if last[0] != b'\n' {
        return None;
    }
    file.write_all(&line[..cut]).unwrap();
    Some(cut)
}

/// Not a test on its own: the body of the child processes. It appends `HISTORY_CRASH_COUNT`
/// records, printing `ACK n` after each append returned: from then on record `n` must survive.
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_PATH) else {
        return;
    };
    let number = |name: &str| std::env::var(name).unwrap().parse::<usize>().unwrap();
    let (writer, round, count) = (number(CHILD_WRITER), number(CHILD_ROUND), number(CHILD_COUNT));
    let store = HistoryStore::open(PathBuf::from(path)).unwrap();
    let mut stdout = std::io::stdout().lock();
    for seq in 0..count {
        store.append(&record((writer, round, seq))).unwrap();
        writeln!(stdout, "ACK {seq}").unwrap();
        stdout.flush().unwrap();
    }
}

/// xorshift64*: a few lines instead of a dependency, and the same choices again from a seed.
struct Rng(u64);

impl Rng {
    /// Seeded from `HISTORY_CRASH_SEED`, or from the clock; the seed is printed either way.
    fn new(test: &str) -> Rng {
        let seed = if let Ok(seed) = std::env::var(SEED) {
            seed.parse().expect("HISTORY_CRASH_SEED is a number")
        } else {
            let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap();
            since.as_secs() ^ (u64::from(since.subsec_nanos()) << 32) ^ u64::from(std::process::id())
        };
        eprintln!("{test}: seed {seed}; run again with {SEED}={seed}");
        // One step of splitmix64, so that close seeds give unrelated sequences; never 0.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)).max(1))
    }

    /// A number from `0` to `max`, both included.
    fn up_to(&mut self, max: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % (max as u64 + 1)) as usize
    }
}

/// A child process appending records, and what it acknowledged so far. Dropping it kills it, so a
/// failing test leaves no writer behind.
struct Writer {
    child: Child,
    out: BufReader<ChildStdout>,
    acked: usize,
}

impl Writer {
    fn spawn(path: &Path, writer: usize, round: usize, count: usize) -> Writer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_PATH, path)
            .env(CHILD_WRITER, writer.to_string())
            .env(CHILD_ROUND, round.to_string())
            .env(CHILD_COUNT, count.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        Writer { child, out, acked: 0 }
    }

    /// Reads one line of the child's output, counting it if it is an acknowledgement; false at
    /// the end. A line the kill cut short acknowledges nothing.
    fn read_line(&mut self) -> bool {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        if !line.ends_with('\n') {
            return false;
        }
        // libtest may print `test crash_child ... ` on the same line first.
        if let Some(seq) = line.rsplit_once("ACK ").and_then(|(_, n)| n.trim().parse::<usize>().ok()) {
            assert_eq!(seq, self.acked, "acknowledged in order");
            self.acked += 1;
        }
        true
    }

    /// Waits for `acks` acknowledgements, sometimes a random moment more so that the kill lands
    /// in the middle of an append, then kills the child with SIGKILL. Returns how many records it
    /// acknowledged, counting those it printed before it died.
    fn kill_after(mut self, acks: usize, rng: &mut Rng) -> usize {
        while self.acked < acks {
            assert!(self.read_line(), "the writer ended after {} acknowledgements", self.acked);
        }
        if rng.up_to(1) == 1 {
            std::thread::sleep(Duration::from_micros(rng.up_to(MAX_EXTRA_US) as u64));
        }
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(status.signal(), Some(9), "killed, not ended by itself: {status}");
        while self.read_line() {}
        self.acked
    }

    /// Waits for the child to finish and returns how many records it acknowledged.
    fn finish(mut self) -> usize {
        while self.read_line() {}
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the writer failed: {status}");
        self.acked
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the history file must hold after the rounds so far, and what the kills left to repair.
#[derive(Default)]
struct History {
    tags: Vec<Tag>,
    /// Torn last lines, which `load` cut off into the side file.
    torn_tails: usize,
    /// Torn lines another writer appended after before `load` ran: damaged lines left in place.
    torn_middles: usize,
    /// Of the torn lines, those that a kill left (the others the test wrote itself).
    torn_by_kills: usize,
    /// Rounds whose killed writer had written a record it did not live to acknowledge.
    unacknowledged: usize,
}

impl History {
    /// Loads the history after `round` and checks it: the records of earlier rounds and of the
    /// test, unchanged, each once, in order; then this round's records, whose tags it returns in
    /// file order. Besides, at most one line torn by the kill, and the one the test tore itself
    /// (`faked`, its length), each repaired: cut off when last, else skipped and copied aside.
    fn load_round(&mut self, store: &HistoryStore, round: usize, faked: Option<usize>) -> Vec<Tag> {
        let loaded = store.load().unwrap();
        let tags: Vec<Tag> = loaded.records.iter().map(tag).collect();
        let known = self.tags.len();
        assert!(tags.len() >= known, "round {round}: {} records, {known} before it", tags.len());
        if let Some(i) = (0..known).find(|&i| tags[i] != self.tags[i]) {
            panic!("round {round}: record {i} is {:?}, was {:?}", tags[i], self.tags[i]);
        }
        let new = tags[known..].to_vec();
        assert!(new.iter().all(|t| t.1 == round && t.0 != PARENT), "round {round}: {new:?}");

        // Damaged lines stay in place and are reported by every load; only the last can be new.
        let damaged = &loaded.damaged;
        assert!(damaged.len() >= self.torn_middles, "round {round}: damaged lines stay");
        for (i, line) in damaged.iter().enumerate() {
            assert!(matches!(line.reason, DamageReason::NotJson(_)), "round {round}: {line:?}");
            assert_eq!(line.newly_copied, i >= self.torn_middles, "round {round}: copied aside once");
        }
        if let Some(tail) = &loaded.torn_tail {
            assert!(!tail.left_in_place, "round {round}: {:?}", loaded.problems);
        }
        let torn: Vec<usize> = damaged[self.torn_middles..]
            .iter()
            .map(|d| d.len)
            .chain(loaded.torn_tail.iter().map(|t| t.len))
            .collect();
        if let Some(cut) = faked {
            assert!(
                torn.contains(&cut),
                "round {round}: the {cut} bytes torn by the test: {:?}",
                loaded.problems
            );
        }
        let by_kill = torn.len() - usize::from(faked.is_some());
        assert!(by_kill <= 1, "round {round}: a kill tears one line at most: {:?}", loaded.problems);
        let torn_tail = usize::from(loaded.torn_tail.is_some());
        // One sentence per damaged line (there are fewer than 20) and one for a torn tail.
        assert_eq!(loaded.problems.len(), damaged.len() + torn_tail, "round {round}: {:?}", loaded.problems);
        assert_eq!(loaded.end, std::fs::metadata(store.path()).unwrap().len());
        self.torn_tails += torn_tail;
        self.torn_middles = damaged.len();
        self.torn_by_kills += by_kill;
        new
    }

    /// Checks what `round` left of the writer that was `killed` after it `acked` records: each of
    /// them, and maybe the next few (written, then killed before it said so), once, in order.
    fn check_killed(&mut self, round: usize, new: &[Tag], killed: usize, acked: usize) {
        let written = seqs(new, killed);
        assert_eq!(written, (0..written.len()).collect::<Vec<_>>(), "round {round}: each once, in order");
        assert!(written.len() >= acked, "round {round}: {acked} acknowledged, {} found", written.len());
        self.unacknowledged += usize::from(written.len() > acked);
    }

    /// Ends `round` with its records, then appends one of the test's own: after a repair the
    /// next append must work, and the next load must find it.
    fn end_round(&mut self, store: &HistoryStore, round: usize, new: Vec<Tag>) {
        self.tags.extend(new);
        let own = (PARENT, round, 0);
        store.append(&record(own)).unwrap();
        self.tags.push(own);
    }

    /// After the last round: every record, nothing new to repair, and the side file holds one
    /// entry per torn line and nothing else.
    fn check_all(&self, store: &HistoryStore) {
        let loaded = store.load().unwrap();
        assert_eq!(loaded.records.iter().map(tag).collect::<Vec<_>>(), self.tags);
        assert!(loaded.torn_tail.is_none() && !loaded.newline_added, "{:?}", loaded.problems);
        assert_eq!(loaded.damaged.len(), self.torn_middles);
        let side = std::fs::read(store.damaged_path()).unwrap_or_default();
        let side = String::from_utf8_lossy(&side);
        let entries = |kind: &str| side.matches(&format!("#autocalls-tui-damaged kind={kind} ")).count();
        assert_eq!(entries("torn-tail"), self.torn_tails, "{side}");
        assert_eq!(entries("middle"), self.torn_middles, "{side}");
        assert_eq!(side.matches("#autocalls-tui-damaged ").count(), self.torn_tails + self.torn_middles);
    }
}

/// The `seq`s of `writer`'s records among `tags`, in file order.
fn seqs(tags: &[Tag], writer: usize) -> Vec<usize> {
    tags.iter().filter(|t| t.0 == writer).map(|t| t.2).collect()
}

/// Whether the test tears a line itself this round (a third of them).
fn fake_a_tear(rng: &mut Rng) -> bool {
    rng.up_to(2) == 0
}

#[test]
fn writers_killed_at_random_moments_keep_every_acknowledged_record() {
    let mut rng = Rng::new("writers_killed_at_random_moments_keep_every_acknowledged_record");
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path().join("history.jsonl")).unwrap();
    let mut history = History::default();
    let (start, rounds) = (Instant::now(), 25);
    let mut acked_in_all = 0;
    for round in 0..rounds {
        let acked =
            Writer::spawn(store.path(), 0, round, UNTIL_KILLED).kill_after(rng.up_to(MAX_ACKS), &mut rng);
        let faked =
            if fake_a_tear(&mut rng) { tear(store.path(), &mut rng, (0, round, UNTIL_KILLED)) } else { None };
        let new = history.load_round(&store, round, faked);
        assert_eq!(history.torn_middles, 0, "round {round}: `load` cut the torn last line off");
        assert_eq!(new.len(), seqs(&new, 0).len(), "round {round}: one writer: {new:?}");
        history.check_killed(round, &new, 0, acked);
        acked_in_all += acked;
        history.end_round(&store, round, new);
    }
    history.check_all(&store);
    eprintln!(
        "{rounds} kills, {acked_in_all} records acknowledged, {} unacknowledged written, {} torn tails \
         ({} by kills), in {:?}",
        history.unacknowledged,
        history.torn_tails,
        history.torn_by_kills,
        start.elapsed()
    );
}

#[test]
fn a_writer_killed_beside_another_loses_nothing_of_either() {
    let mut rng = Rng::new("a_writer_killed_beside_another_loses_nothing_of_either");
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path().join("history.jsonl")).unwrap();
    let mut history = History::default();
    let (start, rounds) = (Instant::now(), 15);
    for round in 0..rounds {
        let (killed, survivor) = if rng.up_to(1) == 0 { (0, 1) } else { (1, 0) };
        // The survivor usually still appends when the other is killed, and after.
        let acks = rng.up_to(MAX_ACKS / 2);
        let count = acks + 10 + rng.up_to(60);
        let doomed = Writer::spawn(store.path(), killed, round, UNTIL_KILLED);
        let living = Writer::spawn(store.path(), survivor, round, count);
        let acked = doomed.kill_after(acks, &mut rng);
        // Torn while the survivor may still append: then it becomes a damaged line in the middle.
        let faked = if fake_a_tear(&mut rng) {
            tear(store.path(), &mut rng, (killed, round, UNTIL_KILLED))
        } else {
            None
        };
        assert_eq!(living.finish(), count, "round {round}: the survivor acknowledged all");
        let new = history.load_round(&store, round, faked);
        assert_eq!(seqs(&new, survivor), (0..count).collect::<Vec<_>>(), "round {round}: the survivor's");
        assert_eq!(new.len(), count + seqs(&new, killed).len(), "round {round}: two writers: {new:?}");
        history.check_killed(round, &new, killed, acked);
        history.end_round(&store, round, new);
    }
    history.check_all(&store);
    eprintln!(
        "{rounds} kills beside a survivor, {} unacknowledged written, {} torn tails and {} torn lines \
         left in place ({} by kills), in {:?}",
        history.unacknowledged,
        history.torn_tails,
        history.torn_middles,
        history.torn_by_kills,
        start.elapsed()
    );
}
