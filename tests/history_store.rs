//! The history store against real files in temporary folders: permissions, round trips, the
//! repairs a crash makes necessary, and several processes writing at once. Writers killed in the
//! middle of their appends are in `history_crash.rs`.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autocalls_tui::api::types::CreateLead;
use autocalls_tui::history::store::{DamageReason, Tail};
use autocalls_tui::history::{HistoryError, HistoryStore, LocalId, Outcome, Record, Status, fold};
use support::capture::contains_bytes;

/// Set in a child process started by the multi-process tests: the history file to write to.
const CHILD_PATH: &str = "HISTORY_CHILD_PATH";
/// The child's writer number, written into its records.
const CHILD_ID: &str = "HISTORY_CHILD_ID";
/// How many records the child appends.
const CHILD_COUNT: &str = "HISTORY_CHILD_COUNT";

fn lead(phone: &str, vars: &[(&str, &str)]) -> CreateLead {
    CreateLead {
        phone_number: phone.into(),
        campaign_id: 42,
        variables: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        allow_dupplicate: false,
        secondary_contacts: Vec::new(),
    }
}

fn submitted(phone: &str) -> Record {
    Record::submitted(LocalId::new(), lead(phone, &[("customer_name", "Zoë")]), "tui")
}

/// A store in a fresh temp dir, with `n` records already appended.
fn store_with(n: usize) -> (tempfile::TempDir, HistoryStore, Vec<Record>) {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(dir.path().join("history.jsonl")).unwrap();
    let records: Vec<Record> = (0..n).map(|i| submitted(&format!("+1415555010{i}"))).collect();
    for r in &records {
        store.append(r).unwrap();
    }
    (dir, store, records)
}

fn raw_append(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn submitted_and_outcome_records_round_trip_and_fold() {
    let (_dir, store, _) = store_with(0);
    let id = LocalId::new();
    let sub = Record::submitted(id, lead("+14155550100", &[("customer_name", "Zoë \"Z\"\n")]), "cli");
    let out = Record::outcome(
        id,
        Outcome { status: Status::Created, lead_id: Some("981".into()), ..Outcome::default() },
    );
    store.append(&sub).unwrap();
    store.append(&out).unwrap();

    let bytes = std::fs::read(store.path()).unwrap();
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), 2, "one line per record");
    assert!(bytes.ends_with(b"\n"));
    let loaded = store.load().unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.records, vec![sub.clone(), out]);
    let (leads, orphans) = fold(loaded.records);
    assert!(orphans.is_empty());
    assert_eq!(leads.len(), 1);
    assert_eq!(leads[0].local_id, id);
    assert_eq!(leads[0].status, Status::Created);
    assert_eq!(leads[0].lead_id.as_deref(), Some("981"));
    // Stored as sent (the records above compared equal); `fold` cleans control characters.
    assert_eq!(leads[0].display_name(), "Zoë \"Z\" ");
}

#[test]
fn file_is_created_0600_in_new_folders_0700() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("nested").join("history.jsonl");
    let store = HistoryStore::open(&path).unwrap();
    assert_eq!(store.path(), path);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("data")), 0o700);
    assert_eq!(mode(&dir.path().join("data/nested")), 0o700);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert!(store.load().unwrap().records.is_empty());
}

#[test]
fn open_fails_with_a_message_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), b"").unwrap();
    let err = HistoryStore::open(dir.path().join("blocker/history.jsonl")).unwrap_err();
    assert!(matches!(err, HistoryError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("blocker"), "{err}");

    let err = HistoryStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, HistoryError::NotAFile { .. }), "{err:?}");
}

#[test]
fn torn_tail_is_cut_and_kept_aside_then_appends_work() {
    let (_dir, store, records) = store_with(2);
    let good_len = std::fs::metadata(store.path()).unwrap().len();
    let torn = br#"{"v":1,"local_id":"0196a3c2-7d1e-7000-8000-0000000000"#;
    raw_append(store.path(), torn);

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, records);
    let tail = loaded.torn_tail.expect("torn tail reported");
    assert_eq!((tail.line, tail.len, tail.left_in_place), (3, torn.len(), false));
    assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
    assert!(loaded.problems[0].contains("line 3"), "{}", loaded.problems[0]);
    assert!(loaded.problems[0].contains(".damaged"), "{}", loaded.problems[0]);
    assert_eq!(std::fs::metadata(store.path()).unwrap().len(), good_len, "tail cut off");
    assert_eq!(loaded.end, good_len, "read_tail continues where the cut tail was");
    let side = std::fs::read(store.damaged_path()).unwrap();
    assert!(contains_bytes(&side, torn), "torn bytes kept in the side file");
    assert_eq!(mode(store.damaged_path()), 0o600);

    let third = submitted("+14155550199");
    store.append(&third).unwrap();
    let again = store.load().unwrap();
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    assert_eq!(again.records, [records, vec![third]].concat());
}

#[test]
fn nul_run_at_the_end_is_cut() {
    let (_dir, store, records) = store_with(2);
    let good_len = std::fs::metadata(store.path()).unwrap().len();
    raw_append(store.path(), &[0u8; 4096]);

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, records);
    assert_eq!(loaded.torn_tail.map(|t| t.len), Some(4096));
    assert_eq!(std::fs::metadata(store.path()).unwrap().len(), good_len);
    assert!(contains_bytes(&std::fs::read(store.damaged_path()).unwrap(), &[0u8; 4096]));

    let third = submitted("+14155550199");
    store.append(&third).unwrap();
    assert_eq!(store.load().unwrap().records, [records, vec![third]].concat());
}

#[test]
fn append_after_an_unrepaired_torn_tail_starts_a_new_line() {
    let (_dir, store, records) = store_with(1);
    raw_append(store.path(), br#"{"v":1,"local_"#);
    let next = submitted("+14155550198");
    store.append(&next).unwrap(); // no load in between: another instance crashed meanwhile

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, [records, vec![next]].concat());
    assert_eq!(loaded.damaged.len(), 1);
    assert_eq!(loaded.damaged[0].line, 2);
}

#[test]
fn bad_utf8_in_a_middle_line_is_skipped_and_kept() {
    let (_dir, store, records) = store_with(1);
    let bad = b"{\"v\":1,\"type\":\"submitted\",\"x\":\"\xff\xfe\"}";
    raw_append(store.path(), &[&bad[..], b"\n"].concat());
    let after = submitted("+14155550197");
    store.append(&after).unwrap();

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, [records, vec![after]].concat());
    assert_eq!(loaded.damaged.len(), 1);
    assert_eq!(loaded.damaged[0].line, 2);
    assert_eq!(loaded.damaged[0].reason, DamageReason::NotUtf8);
    assert!(loaded.problems.iter().any(|p| p.contains("line 2") && p.contains("UTF-8")));
    assert!(contains_bytes(&std::fs::read(store.damaged_path()).unwrap(), bad));
}

#[test]
fn damaged_middle_line_is_reported_every_time_but_copied_once() {
    let (_dir, store, mut records) = store_with(2);
    raw_append(store.path(), b"{\"v\":1, this is not json\n\n   \n");
    let after = submitted("+14155550196");
    store.append(&after).unwrap();
    records.push(after);
    let before = std::fs::read(store.path()).unwrap();

    for round in 0..3 {
        let loaded = store.load().unwrap();
        assert_eq!(loaded.records, records, "records around the damage are kept");
        assert_eq!(loaded.damaged.len(), 1, "blank lines are not damage");
        assert_eq!(loaded.damaged[0].line, 3);
        assert!(matches!(loaded.damaged[0].reason, DamageReason::NotJson(_)));
        assert_eq!(loaded.damaged[0].newly_copied, round == 0);
        assert_eq!(loaded.problems.len(), 1, "{:?}", loaded.problems);
        assert!(loaded.problems[0].contains("line 3 of"), "{}", loaded.problems[0]);
    }
    assert_eq!(std::fs::read(store.path()).unwrap(), before, "the middle is never rewritten");
    let side = String::from_utf8(std::fs::read(store.damaged_path()).unwrap()).unwrap();
    assert_eq!(side.matches("this is not json").count(), 1, "copied once:\n{side}");
}

#[test]
fn older_versions_are_read_and_newer_ones_kept_aside() {
    let (_dir, store, records) = store_with(1);
    let mut old = serde_json::to_value(submitted("+14155550195")).unwrap();
    old["v"] = 0.into();
    old["from_the_future"] = "unknown fields are ignored".into();
    let mut newer = serde_json::to_value(submitted("+14155550194")).unwrap();
    newer["v"] = 99.into();
    let newer_line = serde_json::to_string(&newer).unwrap();
    // The newer record is the last line, without `\n`: whole, so it must not be cut off.
    raw_append(store.path(), format!("{old}\n{newer_line}").as_bytes());

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records.len(), 2);
    assert_eq!(loaded.records[0], records[0]);
    assert_eq!(loaded.records[1].v, 0);
    assert!(loaded.torn_tail.is_none());
    assert!(loaded.newline_added);
    assert_eq!(loaded.damaged[0].reason, DamageReason::NewerVersion(99));
    assert!(loaded.problems[0].contains("newer"), "{}", loaded.problems[0]);
    let bytes = std::fs::read(store.path()).unwrap();
    assert!(bytes.ends_with(format!("{newer_line}\n").as_bytes()), "kept in place");
}

#[test]
fn loose_permissions_are_reported_not_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    std::fs::OpenOptions::new().create_new(true).write(true).mode(0o644).open(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = HistoryStore::open(&path).unwrap();
    store.append(&submitted("+14155550100")).unwrap();

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records.len(), 1);
    assert_eq!(loaded.loose_mode, Some(0o644));
    assert_eq!(loaded.problems.len(), 1);
    assert!(loaded.problems[0].contains("chmod 600"), "{}", loaded.problems[0]);
    assert_eq!(mode(&path), 0o644, "left as it was");
}

#[test]
fn valid_last_line_without_newline_is_kept_and_appends_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    let first = submitted("+14155550100");
    std::fs::OpenOptions::new()
        .create_new(true)
        .write(true)
        .mode(0o600)
        .open(&path)
        .unwrap()
        .write_all(serde_json::to_string(&first).unwrap().as_bytes())
        .unwrap();
    let store = HistoryStore::open(&path).unwrap();

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, vec![first.clone()]);
    assert!(loaded.newline_added && loaded.torn_tail.is_none());
    assert!(std::fs::read(&path).unwrap().ends_with(b"}\n"));
    assert_eq!(loaded.end, std::fs::metadata(&path).unwrap().len(), "after the added newline");
    let second = submitted("+14155550101");
    store.append(&second).unwrap();
    let again = store.load().unwrap();
    assert!(again.problems.is_empty() && again.damaged.is_empty());
    assert_eq!(again.records, vec![first, second]);
}

#[test]
fn hundred_thousand_records_load_quickly() {
    let (_dir, store, _) = store_with(0);
    let mut bytes = Vec::new();
    for i in 0..100_000 {
        let r = submitted(&format!("+1415{i:07}"));
        serde_json::to_writer(&mut bytes, &r).unwrap();
        bytes.push(b'\n');
    }
    raw_append(store.path(), &bytes);
    let start = Instant::now();
    let loaded = store.load().unwrap();
    let took = start.elapsed();
    assert_eq!(loaded.records.len(), 100_000);
    let (leads, _) = fold(loaded.records);
    assert_eq!(leads[99_999].request.phone_number, "+14150099999");
    // Generous for unoptimised test builds on a busy machine; per-line IO would be far slower.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    eprintln!("loaded 100,000 records ({} MB) in {took:?}", bytes.len() / 1_000_000);
}

/// Not a test on its own: the body of the child processes the multi-process tests start. It
/// appends `HISTORY_CHILD_COUNT` records tagged with its writer id, printing `ACK n` after each
/// append returned (so the parent knows which records were acknowledged).
#[test]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_PATH) else {
        return;
    };
    let writer = std::env::var(CHILD_ID).unwrap();
    let count: usize = std::env::var(CHILD_COUNT).unwrap().parse().unwrap();
    let store = HistoryStore::open(PathBuf::from(path)).unwrap();
    let padding = "x".repeat(6000); // lines bigger than a pipe buffer or a page
    let mut stdout = std::io::stdout().lock();
    for seq in 0..count {
        let seq_text = seq.to_string();
        let vars = [("writer", writer.as_str()), ("seq", seq_text.as_str()), ("pad", &padding)];
        let record = Record::submitted(LocalId::new(), lead("+14155550100", &vars), "cli");
        store.append(&record).unwrap();
        writeln!(stdout, "ACK {seq}").unwrap();
        stdout.flush().unwrap();
    }
}

fn spawn_writer(path: &Path, writer: usize, count: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env(CHILD_PATH, path)
        .env(CHILD_ID, writer.to_string())
        .env(CHILD_COUNT, count.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Per writer, the `seq` variables of its records, in file order.
fn seqs_by_writer(records: &[Record], writers: usize) -> Vec<Vec<usize>> {
    let (leads, _) = fold(records.to_vec());
    let mut seqs = vec![Vec::new(); writers];
    for lead in leads {
        let vars = &lead.request.variables;
        assert_eq!(vars["pad"].len(), 6000, "record intact");
        seqs[vars["writer"].parse::<usize>().unwrap()].push(vars["seq"].parse().unwrap());
    }
    seqs
}

#[test]
fn concurrent_writer_processes_lose_and_mix_nothing() {
    let (_dir, store, _) = store_with(0);
    let (writers, count) = (3, 300);
    let children: Vec<_> = (0..writers).map(|w| spawn_writer(store.path(), w, count)).collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stdout));
    }

    let loaded = store.load().unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.records.len(), writers * count);
    let bytes = std::fs::read(store.path()).unwrap();
    assert_eq!(bytes.iter().filter(|&&b| b == b'\n').count(), writers * count, "no blank lines");
    for seqs in seqs_by_writer(&loaded.records, writers) {
        assert_eq!(seqs, (0..count).collect::<Vec<_>>(), "each writer's records, all, in order");
    }
}

/// One record as `append` writes it, newline included.
fn line_of(record: &Record) -> Vec<u8> {
    [serde_json::to_vec(record).unwrap(), b"\n".to_vec()].concat()
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn read_tail_returns_what_other_writers_appended_once() {
    let (_dir, store, _) = store_with(2);
    let loaded = store.load().unwrap();
    assert_eq!(loaded.end, file_len(store.path()));
    assert_eq!(store.read_tail(loaded.end).unwrap(), Tail { end: loaded.end, ..Tail::default() });

    let other = HistoryStore::open(store.path()).unwrap();
    let new = vec![submitted("+14155550180"), submitted("+14155550181")];
    new.iter().for_each(|r| other.append(r).unwrap());
    let tail = store.read_tail(loaded.end).unwrap();
    assert_eq!(tail, Tail { records: new, end: file_len(store.path()), ..Tail::default() });

    let out = spawn_writer(store.path(), 0, 3).wait_with_output().unwrap();
    assert!(out.status.success(), "child failed: {}", String::from_utf8_lossy(&out.stdout));
    let from_child = store.read_tail(tail.end).unwrap();
    assert!(from_child.problems.is_empty() && !from_child.reset, "{from_child:?}");
    assert_eq!(seqs_by_writer(&from_child.records, 1), [vec![0, 1, 2]]);
    assert_eq!(from_child.end, file_len(store.path()));
    let again = store.read_tail(from_child.end).unwrap();
    assert_eq!(again, Tail { end: from_child.end, ..Tail::default() }, "nothing twice");
}

#[test]
fn read_tail_waits_for_the_newline_of_a_half_written_line() {
    let (_dir, store, _) = store_with(1);
    let end = store.load().unwrap().end;
    let (done, next) = (submitted("+14155550181"), submitted("+14155550182"));
    store.append(&done).unwrap();
    let line = line_of(&next);
    let (first, rest) = line.split_at(40);
    raw_append(store.path(), first); // a writer that does not lock, or crashed mid-line
    let tail = store.read_tail(end).unwrap();
    let stop = file_len(store.path()) - 40;
    assert_eq!(tail, Tail { records: vec![done], end: stop, ..Tail::default() }, "torn: not yet");
    raw_append(store.path(), &rest[..rest.len() - 1]);
    assert_eq!(store.read_tail(stop).unwrap(), Tail { end: stop, ..Tail::default() }, "no \\n: not yet");
    raw_append(store.path(), b"\n");
    let tail = store.read_tail(stop).unwrap();
    assert_eq!(tail, Tail { records: vec![next], end: file_len(store.path()), ..Tail::default() });
}

#[test]
fn read_tail_continues_after_a_last_line_that_got_no_newline() {
    // `load` counts a whole last line as read even when adding its `\n` failed; the next append
    // then writes that `\n` first.
    let (_dir, store, _) = store_with(1);
    let unterminated = line_of(&submitted("+14155550187"));
    raw_append(store.path(), &unterminated[..unterminated.len() - 1]);
    let end = file_len(store.path());
    let next = submitted("+14155550188");
    store.append(&next).unwrap();
    let tail = store.read_tail(end).unwrap();
    assert_eq!(tail, Tail { records: vec![next], end: file_len(store.path()), ..Tail::default() });
}

#[test]
fn read_tail_asks_for_a_reload_when_the_file_was_truncated_or_replaced() {
    let (_dir, store, records) = store_with(3);
    let end = store.load().unwrap().end;
    let reset = |t: Tail| assert_eq!(t, Tail { end, reset: true, ..Tail::default() });

    // Replaced by a longer file in which no line ends at `end`.
    let long = Record::submitted(LocalId::new(), lead("+14155550183", &[("pad", &"y".repeat(2000))]), "cli");
    let replacement = store.path().with_extension("new");
    std::fs::write(&replacement, line_of(&long)).unwrap();
    std::fs::rename(&replacement, store.path()).unwrap();
    reset(store.read_tail(end).unwrap());

    // Replaced by a shorter one (a repair or a restored backup elsewhere), then truncated.
    std::fs::write(&replacement, line_of(&records[0])).unwrap();
    std::fs::rename(&replacement, store.path()).unwrap();
    reset(store.read_tail(end).unwrap());
    std::fs::OpenOptions::new().write(true).open(store.path()).unwrap().set_len(0).unwrap();
    reset(store.read_tail(end).unwrap());
    assert!(!store.read_tail(0).unwrap().reset, "from the start is always fine");
}

#[test]
fn read_tail_reports_a_damaged_line_once_and_keeps_the_lines_around_it() {
    let (_dir, store, _) = store_with(1);
    let end = store.load().unwrap().end;
    let (before, after) = (submitted("+14155550184"), submitted("+14155550185"));
    store.append(&before).unwrap();
    let damaged_at = file_len(store.path());
    raw_append(store.path(), b"{\"v\":1, not json\n\n");
    store.append(&after).unwrap();
    let bytes = std::fs::read(store.path()).unwrap();

    let tail = store.read_tail(end).unwrap();
    assert_eq!(tail.records, vec![before, after]);
    assert_eq!((tail.end, tail.reset), (bytes.len() as u64, false));
    assert_eq!(tail.problems.len(), 1, "blank lines are not damage: {:?}", tail.problems);
    let problem = &tail.problems[0];
    assert!(problem.contains(&format!("byte {damaged_at} of")), "{problem}");
    assert!(problem.contains("not valid JSON"), "{problem}");
    assert_eq!(std::fs::read(store.path()).unwrap(), bytes, "not repaired here");
    assert!(!store.damaged_path().exists(), "not copied aside here");
    assert_eq!(store.read_tail(tail.end).unwrap(), Tail { end: tail.end, ..Tail::default() });
}

#[test]
fn read_tail_seeks_past_what_was_read() {
    // A sparse file of 64 GiB: reading what comes before `from` would take minutes or fail.
    let (_dir, store, _) = store_with(0);
    let from = 64 << 30;
    let file = std::fs::OpenOptions::new().write(true).open(store.path()).unwrap();
    file.set_len(from).unwrap();
    std::os::unix::fs::FileExt::write_at(&file, b"\n", from - 1).unwrap();
    let new = submitted("+14155550186");
    store.append(&new).unwrap();
    let start = Instant::now();
    let tail = store.read_tail(from).unwrap();
    assert_eq!(tail, Tail { records: vec![new], end: file_len(store.path()), ..Tail::default() });
    assert!(start.elapsed() < Duration::from_secs(5), "took {:?}", start.elapsed());
}

#[test]
fn folding_while_reading_gives_the_same_leads_and_repairs() {
    let (_dir, store, _) = store_with(5);
    let first = LocalId::new();
    store
        .append(&Record::submitted(first, lead("+14155550150", &[("customer_name", "Ada")]), "tui"))
        .unwrap();
    store
        .append(&Record::outcome(
            first,
            Outcome { status: Status::Created, lead_id: Some("9".into()), ..Outcome::default() },
        ))
        .unwrap();
    // A torn tail, as after a crash: both ways repair it the same.
    std::fs::OpenOptions::new()
        .append(true)
        .open(store.path())
        .unwrap()
        .write_all(b"{\"v\":1,\"loc")
        .unwrap();
    let mut folder = autocalls_tui::history::Folder::default();
    let streamed = store.load_each(&mut |r| folder.add(r)).unwrap();
    assert!(streamed.records.is_empty(), "nothing is kept as records");
    assert!(streamed.torn_tail.is_some());
    let (leads, orphans) = folder.finish();
    let again = store.load().unwrap();
    assert_eq!(again.end, streamed.end);
    let (expected, _) = fold(again.records);
    assert_eq!(leads, expected);
    assert!(orphans.is_empty());
    assert_eq!(leads.len(), 6);
    assert_eq!(leads[5].lead_id.as_deref(), Some("9"));
}

/// The detail view's story is read back from the file: every outcome of that lead in order, the
/// server's latest answer, nothing of another lead even when its records name this one, and
/// damaged lines passed over.
#[test]
fn a_leads_story_is_read_back_from_the_file() {
    let (_dir, store, records) = store_with(2);
    let (ours, other) = (records[0].local_id, records[1].local_id);
    let failed = Outcome {
        status: Status::Queued,
        error: Some(autocalls_tui::history::LeadError {
            kind: autocalls_tui::api::ErrorKind::Unreachable,
            message: "connection refused".into(),
            http_status: None,
            fields: Default::default(),
        }),
        ..Outcome::default()
    };
    store.append(&Record::outcome(ours, failed)).unwrap();
    // Another lead whose records hold our id's text: found by the byte search, then skipped.
    let mentions = lead("+14155550199", &[("notes", &format!("see {ours}"))]);
    store.append(&Record::submitted(LocalId::new(), mentions, "cli")).unwrap();
    let their_answer = serde_json::json!({"id": 7, "note": ours.to_string()});
    let theirs = Outcome {
        status: Status::Created,
        lead_id: Some("7".into()),
        response: Some(their_answer.clone()),
        ..Outcome::default()
    };
    store.append(&Record::outcome(other, theirs)).unwrap();
    // Ours: the server's first answer, then its newer one; the story keeps the newer.
    let early = serde_json::json!({"id": 1001, "status": "scheduled"});
    let unknown = Outcome { status: Status::Unknown, response: Some(early), ..Outcome::default() };
    store.append(&Record::outcome(ours, unknown)).unwrap();
    raw_append(store.path(), format!("{{\"v\":1,\"local_id\":\"{ours}\",\"type\":\"outc\n").as_bytes());
    let answer = serde_json::json!({"id": 1001, "status": "created"});
    let created = Outcome {
        status: Status::Created,
        lead_id: Some("1001".into()),
        response: Some(answer.clone()),
        ..Outcome::default()
    };
    store.append(&Record::outcome(ours, created)).unwrap();

    let story = store.story(ours).unwrap();
    let seen: Vec<_> = story.attempts.iter().map(|a| (a.status, a.error.as_deref())).collect();
    assert_eq!(
        seen,
        [(Status::Queued, Some("connection refused")), (Status::Unknown, None), (Status::Created, None)]
    );
    let response: serde_json::Value = serde_json::from_str(story.response.as_deref().unwrap()).unwrap();
    assert_eq!(response, answer);

    let theirs = store.story(other).unwrap();
    assert_eq!(theirs.attempts.len(), 1);
    let response: serde_json::Value = serde_json::from_str(theirs.response.as_deref().unwrap()).unwrap();
    assert_eq!(response, their_answer);
    assert_eq!(store.story(LocalId::new()).unwrap(), Default::default(), "a lead the file does not know");
}

/// The file is read in pieces (1 MiB): lines cut by a piece's end, a line longer than a piece,
/// and damage in a later piece all come out as in one read.
#[test]
fn a_history_larger_than_a_read_loads_whole() {
    let (_dir, store, mut records) = store_with(0);
    let long = "x".repeat(1_500_000);
    for i in 0..4000 {
        let mut record = submitted(&format!("+1415555{:04}", i % 10_000));
        if i == 2000 {
            record = Record::submitted(LocalId::new(), lead("+14155550000", &[("notes", &long)]), "tui");
        }
        store.append(&record).unwrap();
        records.push(record);
    }
    raw_append(store.path(), b"{\"v\":1,\"damaged\n");
    let last = submitted("+14155559999");
    store.append(&last).unwrap();
    records.push(last);
    let size = std::fs::metadata(store.path()).unwrap().len();
    assert!(size > 2 << 20, "several pieces: {size} bytes");

    let loaded = store.load().unwrap();
    assert_eq!(loaded.records, records);
    assert_eq!(loaded.end, size);
    assert_eq!(loaded.damaged.len(), 1, "{:?}", loaded.problems);
    assert_eq!(loaded.damaged[0].line, 4001);
}

/// Seen: a `history.jsonl` that is a symbolic link was followed silently: records went to the
/// link's target, whose own lines were reported as damaged. A link is refused, with the path,
/// and its target is left untouched.
#[test]
fn a_history_that_is_a_symbolic_link_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "not a history\n").unwrap();
    let history = dir.path().join("history.jsonl");
    std::os::unix::fs::symlink(&target, &history).unwrap();
    let refused = match HistoryStore::open(&history) {
        Err(e) => e.to_string(),
        Ok(store) => match store.load() {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a link was read as the history"),
        },
    };
    assert!(refused.contains("symbolic link") && refused.contains("history.jsonl"), "{refused}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not a history\n", "the target is untouched");
    // A link to a folder, or a dangling one, is refused the same way.
    std::fs::remove_file(&history).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &history).unwrap();
    let refused = HistoryStore::open(&history).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("symbolic link"), "{refused}");
    assert!(!dir.path().join("nowhere").exists(), "nothing created at the link's target");
}

/// Seen: `history` refused to list a read-only history (it opened the file to append, and
/// created a missing one). Read-only, a store writes nothing: a missing history has no leads and
/// is not created, a file with a damaged line and a torn tail is read, its problems reported and
/// its bytes left exactly as they were, and no side file is made.
#[test]
fn a_store_opened_to_read_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for missing in [dir.path().join("history.jsonl"), dir.path().join("none").join("history.jsonl")] {
        let loaded = HistoryStore::read_only(&missing).load().unwrap();
        assert!(loaded.records.is_empty() && loaded.problems.is_empty());
        assert!(!missing.exists() && !dir.path().join("none").exists(), "nothing created");
    }

    let (_dir, store, records) = store_with(2);
    raw_append(store.path(), b"{not json}\n");
    let third = submitted("+14155550177");
    raw_append(store.path(), &line_of(&third));
    raw_append(store.path(), br#"{"v":1,"local_id":"0196a3"#);
    let before = std::fs::read(store.path()).unwrap();
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o400)).unwrap();

    let reader = HistoryStore::read_only(store.path());
    let loaded = reader.load().unwrap();
    assert_eq!(loaded.records, [records, vec![third]].concat());
    assert_eq!(loaded.damaged.len(), 1);
    assert!(loaded.torn_tail.is_some_and(|t| t.line == 5 && t.left_in_place));
    assert!(loaded.problems.iter().any(|p| p.contains("line 3")), "{:?}", loaded.problems);
    assert!(
        loaded.problems.iter().any(|p| p.contains("line 5") && p.contains("cut short")),
        "{:?}",
        loaded.problems
    );
    assert_eq!(std::fs::read(store.path()).unwrap(), before, "not a byte changed");
    assert!(!store.damaged_path().exists(), "no side file");
    // A writer's load repairs as before once it may write.
    std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(store.load().unwrap().torn_tail.is_some_and(|t| !t.left_in_place));
}

/// The recipe README and docs/history-format.md give for reading the side file, run as written
/// on a side file the store made from a line carrying escape sequences (a screen clear, a window
/// title): it shows the entries and writes no control byte to the terminal. Seen: the old recipe
/// (`grep -A1` alone) printed the raw escape bytes.
#[test]
fn the_documented_way_to_read_the_side_file_prints_no_control_bytes() {
    let (_dir, store, _) = store_with(1);
    raw_append(store.path(), b"{\"v\":1,\"x\":\"\x1b[2J\x1b]0;pwned\x07\t\r\"\n");
    let loaded = store.load().unwrap();
    assert_eq!(loaded.damaged.len(), 1);
    let side = std::fs::read(store.damaged_path()).unwrap();
    assert!(contains_bytes(&side, b"\x1b[2J"), "the side file keeps the bytes as they were");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in ["README.md", "docs/history-format.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let recipes: Vec<&str> = text
            .split('`')
            .filter(|part| part.contains("history.jsonl.damaged") && part.starts_with("grep"))
            .collect();
        assert_eq!(recipes.len(), 1, "{doc}: one recipe for the side file: {recipes:?}");
        let out = Command::new("sh")
            .arg("-c")
            .arg(recipes[0])
            .current_dir(store.path().parent().unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{doc}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(contains_bytes(&out.stdout, b"#autocalls-tui-damaged kind=middle line=2"), "{doc}");
        assert!(contains_bytes(&out.stdout, b"pwned"), "{doc}: the bad line is shown");
        let control = out.stdout.iter().find(|&&b| (b < 0x20 && b != b'\n') || b == 0x7f);
        assert_eq!(control, None, "{doc}: a control byte reaches the terminal");
    }
}

/// A history written before changes (fixes, deletes, server statuses) were recorded, kept as
/// the app wrote it then: it loads unchanged, every line a record that writes back the same.
#[test]
fn a_history_from_before_changes_loads_unchanged() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/history-before-changes.jsonl");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    std::fs::copy(&fixture, &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loaded = HistoryStore::open(&path).unwrap().load().unwrap();
    assert!(loaded.problems.is_empty() && loaded.damaged.is_empty(), "{:?}", loaded.problems);
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert_eq!(loaded.records.len(), text.lines().count());
    for (record, line) in loaded.records.iter().zip(text.lines()) {
        assert_eq!(serde_json::to_string(record).unwrap(), line, "written back as read");
    }
    let (leads, orphans) = fold(loaded.records);
    assert!(orphans.is_empty());
    let statuses: Vec<Status> = leads.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [Status::Created, Status::Rejected, Status::Rejected, Status::Queued]);
    assert_eq!(leads[0].display_name(), "Ada Lovelace");
    assert_eq!(leads[0].lead_id.as_deref(), Some("1001"));
    assert_eq!(leads[0].request.secondary_contacts.len(), 1);
    assert!(leads.iter().all(|l| l.changes().is_empty() && !l.is_deleted()));
    assert_eq!(std::fs::read(&path).unwrap(), std::fs::read(&fixture).unwrap(), "the file is not touched");
}

/// Seen: a FIFO in the side file's place hung the load (and with it create, and the TUI with a
/// lead in hand) on `open`, waiting for a reader, with the history's lock held. Now the load
/// goes on: the damaged line is reported as not copied, the FIFO left as it is.
#[test]
fn a_fifo_in_the_side_files_place_hangs_nothing() {
    let (_dir, store, records) = store_with(1);
    raw_append(store.path(), b"{not json}\n");
    let name = std::ffi::CString::new(store.damaged_path().as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path that lives across the call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = store.clone();
    std::thread::spawn(move || tx.send(reader.load()).unwrap());
    let loaded = rx.recv_timeout(Duration::from_secs(10)).expect("the load ends").unwrap();
    assert_eq!(loaded.records, records);
    assert!(
        loaded.problems.iter().any(|p| p.contains("could not copy") && p.contains("not a regular file")),
        "{:?}",
        loaded.problems
    );
    // Appends are not held up either.
    store.append(&submitted("+14155550199")).unwrap();
}
