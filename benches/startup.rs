//! What happens before the first frame, step by step, each timed once in a fresh process (the
//! costs that matter are first-call costs: certificates read, time zone found, pages faulted in),
//! the process started again and again and the medians printed. The steps follow
//! `commands::tui::run_once`: the async runtime, the in-process sandbox, the API client's checks,
//! the history file, the app, the first frame (into a `TestBackend`, so without the terminal's
//! write); then what the app does just after the first frame, on other threads: find the time
//! zone, and build the HTTP client (system root certificates) with the first request. The PTY
//! harness measures the whole, from `exec` to the header on screen.
//!
//! `cargo bench --bench startup` (`AUTOCALLS_STARTUP_RUNS`, default 15).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

mod support;

use std::time::{Duration, Instant};

use autocalls_tui::api::{ApiClient, ClientOptions};
use autocalls_tui::cache::{Cache, Remembered};
use autocalls_tui::history::HistoryStore;
use autocalls_tui::sandbox::{Sandbox, SandboxOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CHILD: &str = "AUTOCALLS_STARTUP_CHILD";
const STEPS: &[&str] = &[
    "tokio runtime (2 workers)",
    "sandbox started (bind, spawn)",
    "API client checked (ApiClient::new)",
    "history opened (HistoryStore::open)",
    "last campaign read (state.json, 20 bytes)",
    "App::new",
    "first frame drawn (TestBackend 120x40)",
    "after the first frame: time zone (TimeZone::system)",
    "after the first frame: first request, building the HTTP client",
];

/// Steps from this one on come after the first frame.
const AFTER_FRAME: usize = 7;

/// Runs the steps once and prints each one's microseconds on one line.
fn child() {
    // The folders a start finds, with the state file a previous run left: made before the clock.
    let dir = tempfile::tempdir().expect("a temp dir");
    let saved = Remembered { last_campaign: Some(12), ..Remembered::default() };
    Cache::for_target(dir.path().join("cache"), true).save_remembered(&saved).expect("state.json");
    let mut times = Vec::new();
    let mut lap = {
        let mut last = Instant::now();
        move |times: &mut Vec<u128>| {
            let now = Instant::now();
            times.push((now - last).as_micros());
            last = now;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    lap(&mut times);
    let sandbox = runtime.block_on(Sandbox::start(SandboxOptions::default())).expect("the sandbox");
    lap(&mut times);
    let client = ApiClient::new(ClientOptions {
        base_url: sandbox.base_url(),
        key: sandbox.key().to_owned().into(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
        max_answer: autocalls_tui::api::DEFAULT_MAX_ANSWER,
    })
    .expect("a client");
    lap(&mut times);
    let store = HistoryStore::open(dir.path().join("autocalls-tui/sandbox-history.jsonl")).expect("history");
    lap(&mut times);
    let cache = Cache::for_target(dir.path().join("cache"), true);
    let remembered = cache.load_remembered();
    lap(&mut times);
    let app = support::app(120, 40);
    lap(&mut times);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("a terminal");
    terminal.draw(|frame| autocalls_tui::ui::draw(&app, frame)).expect("a frame");
    lap(&mut times);
    let zone = jiff::tz::TimeZone::system();
    lap(&mut times);
    runtime.block_on(client.me()).expect("the sandbox answers");
    lap(&mut times);
    drop((client, store, zone, sandbox, remembered));
    let line: Vec<String> = times.iter().map(u128::to_string).collect();
    println!("{}", line.join(" "));
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let runs: usize = if support::benchmarking() {
        std::env::var("AUTOCALLS_STARTUP_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15)
    } else {
        1
    };
    let me = std::env::current_exe().expect("this program");
    let mut samples: Vec<Vec<u128>> = vec![Vec::new(); STEPS.len()];
    for _ in 0..runs {
        let out = std::process::Command::new(&me).env(CHILD, "1").output().expect("running a step child");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_default();
        for (i, value) in line.split_whitespace().filter_map(|v| v.parse::<u128>().ok()).enumerate() {
            if let Some(s) = samples.get_mut(i) {
                s.push(value);
            }
        }
    }
    println!("Steps at start, each once per process; medians of {runs} processes.");
    println!();
    println!("| step | median | min | max |");
    println!("|---|---|---|---|");
    let mut total = 0;
    for (i, (step, mut s)) in STEPS.iter().zip(samples).enumerate() {
        if i == AFTER_FRAME {
            println!("| sum of medians before the first frame | {:.2} ms | | |", total as f64 / 1000.0);
        }
        s.sort_unstable();
        let (median, min, max) = (
            s.get(s.len() / 2).copied().unwrap_or(0),
            s.first().copied().unwrap_or(0),
            s.last().copied().unwrap_or(0),
        );
        total += median;
        let ms = |us: u128| format!("{:.2} ms", us as f64 / 1000.0);
        println!("| {step} | {} | {} | {} |", ms(median), ms(min), ms(max));
    }
    println!("| sum of medians, all steps | {:.2} ms | | |", total as f64 / 1000.0);
}
