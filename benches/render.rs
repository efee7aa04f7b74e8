//! Drawing a whole frame, `autocalls_tui::ui::draw` through `Terminal::draw` into a ratatui
//! `TestBackend` (so ratatui's diff against the previous frame is included, as in the app), with
//! 100,000 leads loaded: the history focused, the form focused, a search open. Plus the path of a
//! typed character without the terminal: the key through the key map into `App::update`, then
//! the frame that shows it.
//!
//! `cargo bench --bench render`.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::time::{Duration, Instant};

use autocalls_tui::model::App;
use autocalls_tui::ui;
use criterion::{BenchmarkId, Criterion};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Draws `app` once.
fn draw(terminal: &mut Terminal<TestBackend>, app: &App) {
    terminal.draw(|frame| ui::draw(app, frame)).expect("drawing into a TestBackend");
}

fn terminal(width: u16, height: u16) -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(width, height)).expect("a test terminal")
}

/// The leads for the 100k runs (1k under `cargo test --benches`).
fn leads() -> usize {
    if support::benchmarking() { 100_000 } else { 1_000 }
}

/// Measures drawing `app`: after a full clear (every cell written, as after a resize or on the
/// first frame) or over the previous identical frame (only the diff, which is empty).
fn bench_frames(c: &mut Criterion, app: &App, width: u16, height: u16, name: &str) {
    let mut group = c.benchmark_group(format!("frame_{width}x{height}"));
    group.measurement_time(Duration::from_secs(5));
    let mut term = terminal(width, height);
    draw(&mut term, app);
    group.bench_function(BenchmarkId::new("full_repaint", name), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                term.clear().expect("clearing");
                let start = Instant::now();
                draw(&mut term, app);
                total += start.elapsed();
            }
            total
        });
    });
    group.bench_function(BenchmarkId::new("redraw_unchanged", name), |b| b.iter(|| draw(&mut term, app)));
    group.finish();
}

fn bench(c: &mut Criterion) {
    let n = leads();
    let label = support::label(n);
    let entries = support::entries(n);
    for (width, height) in [(160, 48), (120, 40)] {
        let empty = support::app(width, height);
        bench_frames(c, &empty, width, height, "empty_form_focused");

        let mut app = support::loaded_app(width, height, entries.clone());
        bench_frames(c, &app, width, height, &format!("{label}_form_focused"));
        support::press(&mut app, KeyCode::F(3));
        bench_frames(c, &app, width, height, &format!("{label}_history_focused"));
        support::press(&mut app, KeyCode::PageDown);
        support::press(&mut app, KeyCode::PageDown);
        bench_frames(c, &app, width, height, &format!("{label}_history_scrolled"));
        support::press(&mut app, KeyCode::Char('/'));
        support::type_text(&mut app, "lovel");
        bench_frames(c, &app, width, height, &format!("{label}_history_search_open"));
    }

    // A typed character, from key to frame, in the form's Phone field and in the history search.
    let mut group = c.benchmark_group("keystroke_to_frame_160x48");
    group.measurement_time(Duration::from_secs(10));
    let mut app = support::loaded_app(160, 48, entries.clone());
    support::type_text(&mut app, "+49 170 123");
    group.bench_function(BenchmarkId::new("phone_field", &label), |b| {
        keystroke(b, &mut app, '4');
    });
    let empty_app = &mut support::app(160, 48);
    support::type_text(empty_app, "+49 170 123");
    group.bench_function(BenchmarkId::new("phone_field", "empty"), |b| {
        keystroke(b, empty_app, '4');
    });
    let mut app = support::loaded_app(160, 48, entries);
    support::press(&mut app, KeyCode::F(3));
    support::press(&mut app, KeyCode::Char('/'));
    support::type_text(&mut app, "love");
    group.bench_function(BenchmarkId::new("history_search", &label), |b| {
        keystroke(b, &mut app, 'l');
    });
    group.finish();
}

/// Times pressing `key` and drawing the frame that shows it; Backspace and its frame, untimed,
/// put the state back.
fn keystroke(b: &mut criterion::Bencher<'_>, app: &mut App, key: char) {
    let mut term = terminal(app.size.0, app.size.1);
    draw(&mut term, app);
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            support::press(app, KeyCode::Char(key));
            draw(&mut term, app);
            total += start.elapsed();
            support::press(app, KeyCode::Backspace);
            draw(&mut term, app);
        }
        total
    });
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
