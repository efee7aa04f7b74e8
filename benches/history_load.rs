//! Loading the history: what the background task does at start (`HistoryStore::load_each` into
//! a `Folder`, then the lookups of `LoadedLeads`), the same from a checkpoint (`load_leads` that
//! finds one valid), its parts alone, what the UI task does with
//! the result (`App::update(Msg::HistoryLoaded)`, which blocks drawing and typing while it
//! runs), and reading one lead's story from the file when the detail view opens.
//!
//! `cargo bench --bench history_load` (10k and 100k leads; `AUTOCALLS_BENCH_1M=1` adds 1M).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::hint::black_box;
use std::time::Duration;

use autocalls_tui::history::{Folder, HistoryStore, fold};
use autocalls_tui::model::Msg;
use autocalls_tui::model::history_view::LoadedLeads;
use criterion::{BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("history");
    group.sampling_mode(SamplingMode::Flat);
    for n in support::sizes() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("autocalls-tui").join("sandbox-history.jsonl");
        let written = support::write_history(&path, n).expect("writing the history");
        eprintln!(
            "history of {} leads: {} records, {:.1} MB",
            support::label(n),
            written.records,
            written.bytes as f64 / 1e6
        );
        let store = HistoryStore::open(&path).expect("opening the history");
        let big = n >= 1_000_000;
        group.sample_size(10);
        group.measurement_time(if big { Duration::from_secs(60) } else { Duration::from_secs(15) });
        group.throughput(Throughput::Elements(n as u64));
        let id = |what: &str| BenchmarkId::new(what, support::label(n));

        // The whole background load, as `runtime::start(Effect::LoadHistory)` runs it.
        group.bench_function(id("background_load"), |b| {
            b.iter_with_large_drop(|| {
                let mut folder = Folder::default();
                store.load_each(&mut |record| folder.add(record)).expect("loading");
                LoadedLeads::from(folder.finish().0)
            });
        });
        // The same when a checkpoint covers the history (every start after the first): decoding
        // it, then the lookups.
        let warm = HistoryStore::open(&path).expect("opening the history").with_checkpoint_min(0);
        warm.load_leads().expect("writing the checkpoint");
        group.bench_function(id("background_load_checkpoint"), |b| {
            b.iter_with_large_drop(|| {
                let folded = warm.load_leads().expect("loading");
                assert!(folded.loaded.checkpoint > 0, "the checkpoint was used");
                LoadedLeads::new(folded.leads, folded.search)
            });
        });
        group.bench_function(id("checkpoint_read"), |b| {
            b.iter_with_large_drop(|| warm.load_leads().expect("loading"));
        });
        // Reading, judging and parsing every line.
        group.bench_function(id("load"), |b| b.iter_with_large_drop(|| store.load().expect("loading")));
        // Folding records into leads.
        let records = store.load().expect("loading").records;
        group.bench_function(id("fold"), |b| b.iter_batched(|| records.clone(), fold, BatchSize::LargeInput));
        drop(records);
        // The lookups (index, variable names per campaign, search text), on the same thread.
        let entries = fold(store.load().expect("loading").records).0;
        group.bench_function(id("lookups"), |b| {
            b.iter_batched(|| entries.clone(), LoadedLeads::from, BatchSize::LargeInput);
        });
        // Taking the leads in on the UI task.
        let loaded = LoadedLeads::from(entries.clone());
        group.bench_function(id("app_update_history_loaded"), |b| {
            b.iter_batched(
                || (support::app(160, 48), loaded.clone()),
                |(mut app, entries)| {
                    black_box(app.update(Msg::HistoryLoaded { entries, problems: Vec::new(), end: 0 }));
                    app
                },
                BatchSize::LargeInput,
            );
        });
        // The detail view's read of a lead's attempts and answer: one pass over the file.
        let newest = entries.last().expect("leads").local_id;
        group.bench_function(id("story"), |b| b.iter(|| store.story(black_box(newest)).expect("reading")));
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
