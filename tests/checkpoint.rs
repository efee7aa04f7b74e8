//! The checkpoint beside the history (`history.jsonl.checkpoint`): a start that finds it valid
//! reads the leads from it and parses only what was appended after, and gets exactly what reading
//! the whole history gives; one that finds it stale, damaged, cut short, for another file, or a
//! link, reads the history whole (and writes a new one), losing nothing. Real files in temp dirs.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

#[path = "../benches/support/mod.rs"]
mod synthetic;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use autocalls_tui::api::types::{CreateLead, UpdateLead};
use autocalls_tui::history::search_index::SearchIndex;
use autocalls_tui::history::{
    Change, ChangeId, ChangeStatus, Event, Folded, HistoryStore, LocalId, Record, Status,
};
use autocalls_tui::model::history_view::LoadedLeads;

/// A history of `leads` generated leads at `dir/history.jsonl`, a store on it that keeps a
/// checkpoint from the first byte.
fn history(dir: &Path, leads: usize) -> HistoryStore {
    let path = dir.join("history.jsonl");
    synthetic::write_history(&path, leads).unwrap();
    HistoryStore::open(path).unwrap().with_checkpoint_min(0)
}

/// The leads, orphans and reports of the history read whole, from a copy with no checkpoint.
fn read_whole(store: &HistoryStore) -> Folded {
    let copy = tempfile::tempdir().unwrap();
    let path = copy.path().join("history.jsonl");
    std::fs::copy(store.path(), &path).unwrap();
    let folded = HistoryStore::read_only(path).load_leads().unwrap();
    assert_eq!(folded.loaded.checkpoint, 0, "the copy has no checkpoint");
    folded
}

/// The same leads and orphans, the same end and the same damage found (line by line).
fn assert_same(got: &Folded, want: &Folded) {
    assert_eq!(got.leads.len(), want.leads.len());
    let leads = got.leads.clone().into_vec();
    for (a, b) in leads.iter().zip(&want.leads.clone().into_vec()) {
        assert_eq!(a, b);
    }
    assert_eq!(got.orphans, want.orphans);
    assert_eq!(got.loaded.end, want.loaded.end);
    // The lookups the load hands on: each lead found by its local id, and the search index
    // (read from the checkpoint and brought up to date with what came after) as if made from
    // the leads.
    for (i, lead) in leads.iter().enumerate() {
        assert_eq!(got.leads.position(&lead.local_id), Some(i));
    }
    if got.loaded.checkpoint > 0 {
        let search = got.search.as_ref().expect("a checkpoint brings the search index");
        assert!(*search == SearchIndex::of(&got.leads), "the search index is the leads' own");
    }
    let lines =
        |f: &Folded| f.loaded.damaged.iter().map(|d| (d.line, d.len, d.reason.clone())).collect::<Vec<_>>();
    assert_eq!(lines(got), lines(want));
}

fn append_raw(path: &Path, bytes: &[u8]) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(bytes).unwrap();
}

fn record(local_id: LocalId, event: Event) -> Record {
    Record { v: 1, local_id, at: "2025-12-02T09:00:00Z".parse().unwrap(), run: None, event }
}

/// Records of every kind about leads already in the history: a fix and its end, a take-back, a
/// server status, a new outcome; and a new lead.
fn later_records(store: &HistoryStore, folded: &Folded) -> Vec<Record> {
    let leads = folded.leads.clone().into_vec();
    let created = leads.iter().filter(|l| l.status == Status::Created).take(3).collect::<Vec<_>>();
    let change_id = ChangeId::new();
    let fix = UpdateLead { phone_number: Some("+14155550199".into()), ..UpdateLead::default() };
    let open = leads.iter().rev().find(|l| l.status.is_open()).unwrap();
    let fresh = LocalId::new();
    let mut request = open.request.clone();
    request.phone_number = "+4930123456".into();
    let records = vec![
        record(created[0].local_id, Event::Change { change_id, change: Change::Update(fix) }),
        record(created[0].local_id, Event::Changed { change_id, status: ChangeStatus::Done, error: None }),
        record(created[1].local_id, Event::Change { change_id: ChangeId::new(), change: Change::Delete }),
        record(created[2].local_id, Event::ServerStatus { status: "completed".into() }),
        record(
            open.local_id,
            Event::Outcome {
                status: Status::Created,
                lead_id: Some("777".into()),
                campaign_name: Some("Hannover Standbesucher".into()),
                error: None,
                response: None,
            },
        ),
        Record::submitted(fresh, request, "tui"),
    ];
    for r in &records {
        store.append(r).unwrap();
    }
    records
}

#[test]
fn a_start_after_a_checkpoint_reads_only_what_came_after_and_gets_the_same_leads() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path(), 3_000);
    let first = store.load_leads().unwrap();
    assert_eq!(first.loaded.checkpoint, 0, "no checkpoint yet: read whole");
    let checkpoint = store.checkpoint_path().to_owned();
    assert_eq!(checkpoint, dir.path().join("history.jsonl.checkpoint"));
    let mode = std::fs::metadata(&checkpoint).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "private like the history");
    assert_same(&first, &read_whole(&store));

    let covered = first.loaded.end;
    later_records(&store, &first);
    let second = store.load_leads().unwrap();
    assert_eq!(second.loaded.checkpoint, covered, "the checkpoint stood for what it covered");
    let whole = read_whole(&store);
    assert_same(&second, &whole);
    assert_eq!(second.leads.len(), 3_001);
    // The settled leads the checkpoint held stay packed as they were read (not made); those
    // the later records changed, and the new one, are made.
    let packed = second.leads.packed();
    assert!(packed > 2_000 && packed < 3_000, "{packed} of 3001 packed");
    // What the loader hands the UI from it (the fold's index, the checkpoint's search index
    // brought up to date) is what the UI would make from the leads read whole.
    let handed = LoadedLeads::new(second.leads.clone(), second.search.clone());
    assert!(
        handed == LoadedLeads::from(whole.leads.clone().into_vec()),
        "the lookups handed on are the leads' own"
    );
    let taken_back =
        |l: &autocalls_tui::history::LeadEntry| l.changes().iter().any(|c| c.change == Change::Delete);
    let leads = second.leads.clone().into_vec();
    assert!(leads.iter().any(taken_back), "the take-back after the checkpoint");
    assert!(leads.iter().any(|l| l.server_status.as_deref() == Some("completed")));
    assert!(leads.iter().any(|l| l.lead_id.as_deref() == Some("777")));

    // A read-only store (the `history` command) uses it too, and writes none.
    let read_only = HistoryStore::read_only(store.path()).with_checkpoint_min(0);
    let before = std::fs::read(&checkpoint).unwrap();
    let third = read_only.load_leads().unwrap();
    assert_eq!(third.loaded.checkpoint, covered);
    assert_same(&third, &whole);
    assert_eq!(std::fs::read(&checkpoint).unwrap(), before);
}

#[test]
fn a_checkpoint_written_again_from_packed_leads_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path(), 3_000);
    let first = store.load_leads().unwrap();
    let leads = first.leads.clone().into_vec();
    // More than a mebibyte of records after the checkpoint, so the next start writes it again
    // from leads it read packed: new leads (one in a campaign the checkpoint never named), and
    // server statuses of old ones (packed leads made and changed).
    let template = leads.iter().find(|l| l.status == Status::Created).unwrap().request.clone();
    let mut written = 0;
    let mut n = 0u64;
    while written < 1_200_000 {
        let fresh = LocalId::new();
        let mut request = template.clone();
        request.phone_number = format!("+4930{n:07}").into();
        let submitted = Record::submitted(fresh, request, "tui");
        let outcome = record(
            fresh,
            Event::Outcome {
                status: Status::Created,
                lead_id: Some(format!("new-{n}").into()),
                campaign_name: Some(if n == 0 { "Neue Kampagne" } else { "Hannover Standbesucher" }.into()),
                error: None,
                response: None,
            },
        );
        let status = record(
            leads[n as usize % leads.len()].local_id,
            Event::ServerStatus { status: "completed".into() },
        );
        for r in [submitted, outcome, status] {
            written += serde_json::to_vec(&r).unwrap().len();
            store.append(&r).unwrap();
        }
        n += 1;
    }
    let checkpoint = store.checkpoint_path().to_owned();
    let before = std::fs::read(&checkpoint).unwrap();
    let second = store.load_leads().unwrap();
    assert_eq!(second.loaded.checkpoint, first.loaded.end, "read from the first checkpoint");
    assert_ne!(std::fs::read(&checkpoint).unwrap(), before, "written again, 1 MiB behind");
    let whole = read_whole(&store);
    assert_same(&second, &whole);
    let third = store.load_leads().unwrap();
    assert_eq!(third.loaded.checkpoint, second.loaded.end, "the new checkpoint covers it all");
    assert_same(&third, &whole);
    let names = third.leads.clone().into_vec();
    assert!(names.iter().any(|l| l.campaign_name.as_deref() == Some("Neue Kampagne")));
    assert!(third.leads.packed() > 2_000, "{:?}", third.leads);
}

#[test]
fn damage_and_repairs_are_reported_alike_with_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let store = history(dir.path(), 2_000);
    append_raw(store.path(), b"{\"v\":1,\"not a record\"}\n");
    let request = CreateLead {
        phone_number: "+14155550123".into(),
        campaign_id: 12,
        variables: [("customer_name", "Zoë")].into(),
        allow_dupplicate: false,
        secondary_contacts: Vec::new(),
    };
    let extra = Record::submitted(LocalId::new(), request, "tui");
    store.append(&extra).unwrap();
    let first = store.load_leads().unwrap();
    assert_eq!(first.loaded.damaged.len(), 1);
    // After the checkpoint: another damaged line, then a torn tail.
    append_raw(store.path(), b"\xff\xfe not utf-8\n");
    append_raw(store.path(), b"{\"v\":1,\"local_id\":\"0196");
    let whole_before_repair = {
        // Read whole (read-only, so the tail is reported, not cut) for the line numbers.
        let copy = tempfile::tempdir().unwrap();
        let path = copy.path().join("history.jsonl");
        std::fs::copy(store.path(), &path).unwrap();
        HistoryStore::read_only(path).load_leads().unwrap()
    };
    let second = store.load_leads().unwrap();
    assert_eq!(second.loaded.checkpoint, first.loaded.end);
    let lines = |f: &Folded| f.loaded.damaged.iter().map(|d| (d.line, d.reason.clone())).collect::<Vec<_>>();
    assert_eq!(lines(&second), lines(&whole_before_repair), "both damaged lines, numbered as in the file");
    let torn = second.loaded.torn_tail.as_ref().unwrap();
    assert_eq!(torn.line, whole_before_repair.loaded.torn_tail.as_ref().unwrap().line);
    assert!(!torn.left_in_place);
    assert_same(&second, &read_whole(&store));
    // The first damaged line is still said at every start, as it is still in the file.
    assert!(second.loaded.problems.iter().any(|p| p.contains(&format!("line {} of", lines(&first)[0].0))));
}

/// Each way a checkpoint can stop matching its history: the history is then read whole, what it
/// gives is what the history holds, and a fresh checkpoint is written.
#[test]
fn a_checkpoint_that_no_longer_matches_is_not_trusted() {
    type Spoil = fn(&HistoryStore, &Path);
    let cases: [(&str, Spoil); 8] = [
        ("a flipped byte in a block", |_, cp| flip(cp, 200)),
        ("cut short", |_, cp| {
            let len = std::fs::metadata(cp).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(cp).unwrap().set_len(len - 9).unwrap();
        }),
        ("empty", |_, cp| std::fs::write(cp, b"").unwrap()),
        ("the history replaced by a copy of itself (another file)", |store, _| {
            let copy = store.path().with_extension("copy");
            std::fs::copy(store.path(), &copy).unwrap();
            std::fs::rename(&copy, store.path()).unwrap();
        }),
        ("the history cut shorter than the checkpoint covers", |store, _| {
            let len = std::fs::metadata(store.path()).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(store.path()).unwrap().set_len(len / 2).unwrap();
        }),
        ("the history's first bytes changed in place", |store, _| flip(store.path(), 30)),
        ("the bytes just before the covered end changed in place", |store, _| {
            let len = std::fs::metadata(store.path()).unwrap().len();
            flip(store.path(), len - 20);
        }),
        ("a link to another history's checkpoint", |store, cp| {
            let other = tempfile::tempdir().unwrap().keep();
            let other_store = history(&other, 50);
            other_store.load_leads().unwrap();
            std::fs::remove_file(cp).unwrap();
            std::os::unix::fs::symlink(other_store.checkpoint_path(), cp).unwrap();
            let _ = store;
        }),
    ];
    for (what, spoil) in cases {
        let dir = tempfile::tempdir().unwrap();
        let store = history(dir.path(), 1_500);
        store.load_leads().unwrap();
        let checkpoint: PathBuf = store.checkpoint_path().to_owned();
        let before = std::fs::read(&checkpoint).unwrap();
        spoil(&store, &checkpoint);
        let got = store.load_leads().unwrap();
        assert_eq!(got.loaded.checkpoint, 0, "{what}: read whole");
        assert_same(&got, &read_whole(&store));
        if what.starts_with("a link") {
            assert!(
                std::fs::symlink_metadata(&checkpoint).unwrap().is_file(),
                "{what}: the link was replaced"
            );
        }
        let again = store.load_leads().unwrap();
        assert_eq!(again.loaded.checkpoint, got.loaded.end, "{what}: a new checkpoint was written");
        if what.starts_with("the history") {
            assert_ne!(std::fs::read(&checkpoint).unwrap(), before, "{what}");
        }
    }
}

/// Flips one byte of `path` at `at`, in place.
fn flip(path: &Path, at: u64) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at).unwrap();
    file.write_all_at(&[byte[0] ^ 0x20], at).unwrap();
}

#[test]
fn a_small_history_keeps_no_checkpoint_and_a_store_that_may_not_write_keeps_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.jsonl");
    synthetic::write_history(&path, 100).unwrap();
    HistoryStore::open(&path).unwrap().load_leads().unwrap();
    assert!(!dir.path().join("history.jsonl.checkpoint").exists(), "under a megabyte: none");
    HistoryStore::read_only(&path).with_checkpoint_min(0).load_leads().unwrap();
    assert!(!dir.path().join("history.jsonl.checkpoint").exists(), "read-only: none");
}
