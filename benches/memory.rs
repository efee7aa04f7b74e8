//! Where the memory goes when the history loads: a counting allocator measures the heap that the
//! loaded records, the folded leads and the app holding them keep, and the peak while loading.
//! Complements the resident size the PTY harness reads from `/proc` (which adds the binary, the
//! runtime's threads and the allocator's slack).
//!
//! `cargo bench --bench memory` (10k and 100k; `AUTOCALLS_BENCH_1M=1` adds 1M).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use autocalls_tui::history::{HistoryStore, fold};
use autocalls_tui::model::Msg;

/// The system allocator, counting the bytes live now and the most live at once.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

fn grew(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a new peak at the current level.
fn reset_peak() {
    PEAK.store(live(), Ordering::Relaxed);
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let sizes = support::sizes();
    let mut breakdown = Vec::new();
    println!(
        "{:>6} | {:>9} | {:>13} | {:>13} | {:>13} | {:>16} | {:>16} | {:>12}",
        "leads",
        "file",
        "records held",
        "leads held",
        "app holds",
        "peak load+fold",
        "peak streamed",
        "app / lead"
    );
    println!("{}", "-".repeat(123));
    for n in sizes {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("autocalls-tui").join("sandbox-history.jsonl");
        let written = support::write_history(&path, n).expect("writing the history");
        let store = HistoryStore::open(&path).expect("opening the history");

        // What the app does: fold while reading (no records held).
        let streamed_base = live();
        reset_peak();
        let mut folder = autocalls_tui::history::Folder::default();
        store.load_each(&mut |r| folder.add(r)).expect("loading");
        let streamed = folder.finish();
        let peak_streamed = PEAK.load(Ordering::Relaxed) - streamed_base;
        drop(streamed);

        let base = live();
        reset_peak();
        let loaded = store.load().expect("loading");
        let records = live() - base;
        let (entries, orphans) = fold(loaded.records);
        drop(orphans);
        let peak_load = PEAK.load(Ordering::Relaxed) - base;
        let leads = live() - base;

        // The same leads packed as the app holds them (a copy, measured alone).
        let packed_base = live();
        let packed = autocalls_tui::history::leads::Leads::from(entries.clone()).pack();
        let packed_bytes = live() - packed_base;
        drop(packed);

        let app_base = live();
        let mut app = support::app(160, 48);
        let app_empty = live() - app_base;
        app.update(Msg::HistoryLoaded { entries: entries.into(), problems: Vec::new(), end: 0 });
        // The leads handed over were counted in `leads`; the app packs them and frees the rest.
        let app_total = (live() + leads).saturating_sub(app_base);
        let per = |bytes: usize| bytes / n.max(1);
        breakdown.push((n, per(leads), per(packed_bytes), per(app_total - app_empty)));
        println!(
            "{:>6} | {:>9} | {:>13} | {:>13} | {:>13} | {:>16} | {:>16} | {:>9} B",
            support::label(n),
            mb(written.bytes as usize),
            mb(records),
            mb(leads),
            mb(app_total),
            mb(peak_load),
            mb(peak_streamed),
            (app_total - app_empty) / n.max(1),
        );
        drop(app);
    }
    println!(
        "records held: after HistoryStore::load; leads held: after fold (records consumed); app \
         holds: App after Msg::HistoryLoaded; peak load+fold: most heap live during load then fold \
         (includes the file's bytes); peak streamed: the same when folding while reading, as the \
         app does (HistoryStore::load_each with a Folder)."
    );
    println!();
    println!("{:>6} | {:>16} | {:>16} | {:>24}", "leads", "made (fold)", "packed", "app holds (all told)");
    println!("{}", "-".repeat(72));
    for (n, made, packed, app) in breakdown {
        println!("{:>6} | {:>14} B | {:>14} B | {:>22} B", support::label(n), made, packed, app);
    }
    println!(
        "Heap bytes per lead: made, as the fold makes them (`LeadEntry`); packed, as the app \
         keeps settled leads (`Leads::pack`: the bytes, and each lead's slot); app holds: the \
         packed leads with every lookup (search index, index by local id, contact hashes)."
    );
}
