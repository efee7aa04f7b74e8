//! Filtering the history as the user types a search: the history focused (F3), the search bar
//! open (`/`), then one key through the real key map into `App::update`, which re-filters every
//! lead (a pass over 50,000 leads or more is handed out and run as the runtime runs it, its
//! answer taken in: the time is the key's until the list shows it). Each sample types the
//! measured key on a search that already holds the characters before it, then (untimed) takes
//! it back with Backspace, so every sample sees the same state.
//!
//! The goal: every keystroke filters within one 60 Hz frame (16 ms) at 100,000 leads.
//! `cargo bench --bench filter` (10k and 100k; `AUTOCALLS_BENCH_1M=1` adds 1M).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::time::{Duration, Instant};

use autocalls_tui::model::App;
use criterion::{BenchmarkId, Criterion, Throughput};
use crossterm::event::KeyCode;

/// Searches people type, and the key measured: the last character of each.
const QUERIES: &[(&str, &str)] = &[
    // The first key of a search: a broad one, most leads match `a` somewhere.
    ("first_key", "a"),
    // A name, five keys in: few matches.
    ("name_5th_key", "lovel"),
    // Digits of a phone number, written as people write them.
    ("phone_6th_key", "415 55"),
    // A campaign's name.
    ("campaign_4th_key", "hann"),
    // Nothing matches: every field of every lead is looked at.
    ("no_match_4th_key", "zqxj"),
];

/// An app with `n` leads, the history focused and the search bar open with `prefix` typed.
fn searching(n: usize, prefix: &str) -> App {
    let mut app = support::loaded_app(160, 48, support::entries(n));
    support::press(&mut app, KeyCode::F(3));
    support::press(&mut app, KeyCode::Char('/'));
    support::type_text(&mut app, prefix);
    app
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter_keystroke");
    for n in support::sizes() {
        group.sample_size(if n >= 1_000_000 { 10 } else { 30 });
        group.measurement_time(Duration::from_secs(if n >= 100_000 { 10 } else { 5 }));
        group.throughput(Throughput::Elements(n as u64));
        for (name, query) in QUERIES {
            let split = query.char_indices().last().map_or(0, |(i, _)| i);
            let (prefix, key) = query.split_at(split);
            let key = key.chars().next().expect("a key");
            let mut app = searching(n, prefix);
            let id = BenchmarkId::new(*name, support::label(n));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        support::press(&mut app, KeyCode::Char(key));
                        total += start.elapsed();
                        support::press(&mut app, KeyCode::Backspace);
                    }
                    total
                });
            });
            print_matches(&mut app, key, query);
        }
        // Backspace in a search of two words, the last one long enough to skip letters: the
        // search no longer only grew, so every lead is looked at again (as after a paste).
        let query = "hannover standbsucher";
        let mut app = searching(n, query);
        group.bench_function(BenchmarkId::new("two_words_backspace", support::label(n)), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    support::press(&mut app, KeyCode::Backspace);
                    total += start.elapsed();
                    support::press(&mut app, KeyCode::Char('r'));
                }
                total
            });
        });
        support::press(&mut app, KeyCode::Backspace);
        eprintln!(
            "  search {:?} lists {} of {} leads",
            &query[..query.len() - 1],
            app.history.len(),
            app.history.total()
        );
        // A quick filter: `t` shows only the next status present (every lead looked at once).
        let mut app = support::loaded_app(160, 48, support::entries(n));
        support::press(&mut app, KeyCode::F(3));
        group.bench_function(BenchmarkId::new("status_filter_key", support::label(n)), |b| {
            b.iter(|| support::press(&mut app, KeyCode::Char('t')));
        });
    }
    group.finish();
}

/// Says how many leads the measured search lists, so the numbers can be read in context.
fn print_matches(app: &mut App, key: char, query: &str) {
    support::press(app, KeyCode::Char(key));
    eprintln!("  search {query:?} lists {} of {} leads", app.history.len(), app.history.total());
    support::press(app, KeyCode::Backspace);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
