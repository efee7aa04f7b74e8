//! The release binary, as a person runs it: `autocalls-tui --sandbox` in a 120x40 pseudo-terminal
//! whose every directory (XDG data, config, state, cache, `HOME`) is a temporary one holding a
//! generated `autocalls-tui/sandbox-history.jsonl`. Measured, for an empty history, 100,000 and
//! (with `AUTOCALLS_BENCH_1M=1`) 1,000,000 leads:
//!
//! - **first frame**: from spawning the process to the first bytes that put the header
//!   (`autocalls-tui`) on the emulated screen;
//! - **history shown**: from spawning to the pane title `History · N` (the load is done and
//!   drawn);
//! - **resident memory** (`VmRSS` in `/proc/<pid>/status`) once the history is shown, and the
//!   peak (`VmHWM`);
//! - **idle**, over 5 s with nothing happening: bytes the app wrote to the terminal, CPU time
//!   (`utime + stime` of `/proc/<pid>/stat`) and context switches of all its threads;
//! - **keystroke echo**: a character typed into the Phone field until the screen shows it, and a
//!   character typed into the history search (`/`) until the search bar shows it (the list is
//!   filtered in the same frame).
//!
//! - **`history --json` and `history --csv`** after each run (a checkpoint beside the history),
//!   written to a file: from spawning to exit;
//! - **a start with no checkpoint** (the first after the history was written by another app or
//!   version): each run starts the app once in a fresh home (which writes the checkpoint), quits,
//!   and measures the second start, the one every later start is like;
//! - **first frames side by side**: the app (empty history), ATAC (another ratatui app, installed
//!   by `benches/perf.sh` into `target/tmp/atac`, or `AUTOCALLS_ATAC_BIN`), and the floor: a shell
//!   that prints the marker and nothing else, which is what the harness itself costs (spawn,
//!   `exec`, the pty, the emulator). Interleaved, 20 rounds: the app's and ATAC's times net of
//!   the floor are compared.
//!
//! Times are taken on the reader thread (`support/pty.rs`) when the chunk of output that satisfied
//! the condition arrived, not when a poller noticed. `cargo bench --bench pty_harness`; runs per size:
//! `AUTOCALLS_PERF_RUNS` (default 5). Another binary: `AUTOCALLS_TUI_BIN=path`. Under
//! `cargo test --benches` it does nothing (it needs the release binary).
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

#[path = "support/pty.rs"]
mod pty;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use portable_pty::CommandBuilder;
use pty::{App, Check, ProbeId, clock_ticks_per_second, context_switches, cpu_ticks, lock, status_mb};

const COLS: u16 = 120;
const ROWS: u16 = 40;
/// The form pane's width at 120 columns (the wide layout splits the screen in halves).
const LEFT: u16 = COLS / 2;
/// Characters typed into the Phone field per round (then erased): 15 echoes a round.
const PHONE_TYPED: &str = "+49 170 1234567";
/// Searches typed into the history search, one echo measured per character.
const SEARCHES: &[&str] = &["lovelace", "4155", "hannover"];
/// Phone echoes wanted per run.
const PHONE_SAMPLES: usize = 50;
/// Pause between keys, so each is measured from an idle app (a person types slower still).
const KEY_GAP: Duration = Duration::from_millis(15);
const IDLE: Duration = Duration::from_secs(5);

/// The form pane's Phone row (left half of the screen), as text.
fn phone_row(screen: &vt100::Screen) -> String {
    screen.rows(0, LEFT).find(|r| r.contains("Phone")).unwrap_or_default()
}

/// The Phone row and the cursor: a typed space changes only the cursor.
fn phone_state(screen: &vt100::Screen) -> (String, (u16, u16)) {
    (phone_row(screen), screen.cursor_position())
}

/// The history pane (right half of the screen), as text.
fn right_pane(screen: &vt100::Screen) -> String {
    screen.rows(LEFT, COLS - LEFT).collect::<Vec<_>>().join("\n")
}

/// The history pane's title once loaded, at this width: `History · N`.
fn loaded_title(leads: usize) -> String {
    format!("History · {leads}")
}

/// A temporary home: every directory the app uses, and the history in place.
struct Home {
    root: tempfile::TempDir,
}

impl Home {
    fn new(history: Option<&Path>) -> Home {
        let root = tempfile::Builder::new().prefix("autocalls-perf-").tempdir().expect("a temp dir");
        let home = Home { root };
        for dir in ["home", "data", "config", "state", "cache"] {
            std::fs::create_dir_all(home.root.path().join(dir)).expect("a dir");
        }
        let target = home.root.path().join("data/autocalls-tui/sandbox-history.jsonl");
        match history {
            // `copy` keeps the file's mode (0600); the folder is made private as the app makes it.
            Some(source) => {
                std::fs::create_dir_all(target.parent().expect("a parent")).expect("the data dir");
                set_mode(target.parent().expect("a parent"), 0o700);
                std::fs::copy(source, &target).expect("copying the history");
                // On the disk before the app starts, so no writeback competes with its start.
                std::fs::File::open(&target).and_then(|f| f.sync_all()).expect("syncing the history");
            }
            None => {
                support::write_history(&target, 0).expect("an empty history");
            }
        }
        home
    }

    /// The app in a pty, in this home.
    fn command(&self, binary: &Path) -> CommandBuilder {
        let mut cmd = CommandBuilder::new(binary);
        cmd.arg("--sandbox");
        cmd.cwd(self.root.path());
        self.env().into_iter().for_each(|(var, value)| cmd.env(var, value));
        Self::CLEARED.into_iter().for_each(|var| cmd.env_remove(var));
        cmd
    }

    /// A command line of the app (`history --json`), in this home, its output to `out`.
    fn cli(&self, binary: &Path, args: &[&str], out: std::fs::File) -> std::process::Command {
        let mut cmd = std::process::Command::new(binary);
        cmd.arg("--sandbox").args(args).current_dir(self.root.path()).envs(self.env());
        Self::CLEARED.into_iter().for_each(|var| {
            cmd.env_remove(var);
        });
        cmd.stdout(out).stderr(std::process::Stdio::null());
        cmd
    }

    const CLEARED: [&str; 6] =
        ["AUTOCALLS_API_KEY", "AUTOCALLS_BASE_URL", "COLUMNS", "LINES", "NO_COLOR", "RUST_LOG"];

    fn env(&self) -> [(&'static str, PathBuf); 6] {
        let root = self.root.path();
        [
            ("HOME", root.join("home")),
            ("XDG_DATA_HOME", root.join("data")),
            ("XDG_CONFIG_HOME", root.join("config")),
            ("XDG_STATE_HOME", root.join("state")),
            ("XDG_CACHE_HOME", root.join("cache")),
            ("TERM", PathBuf::from("xterm-256color")),
        ]
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A generated history of `leads` leads, kept between runs under Cargo's temporary target dir.
fn history_file(leads: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("perf-histories");
    let name = format!("leads-{leads}-v{}", support::GENERATOR_VERSION);
    let path = dir.join(&name).join("sandbox-history.jsonl");
    if !path.exists() {
        let partial = dir.join(format!("{name}.partial/sandbox-history.jsonl"));
        let _ = std::fs::remove_dir_all(partial.parent().expect("a parent"));
        let start = Instant::now();
        let written = support::write_history(&partial, leads).expect("writing the history");
        eprintln!(
            "generated {} leads: {} records, {:.0} MB in {:.1} s",
            support::label(leads),
            written.records,
            written.bytes as f64 / 1e6,
            start.elapsed().as_secs_f64()
        );
        std::fs::rename(partial.parent().expect("a parent"), path.parent().expect("a parent"))
            .expect("keeping the history");
    }
    path
}

/// What one run measured.
#[derive(Debug, Default, Clone)]
struct Run {
    first_frame: Duration,
    shown: Duration,
    rss_loaded: f64,
    hwm: f64,
    rss_end: f64,
    /// The start before, with no checkpoint: history shown, resident size.
    cold: Option<(Duration, f64)>,
    /// `history --json` and `history --csv` after the run, from spawning to exit.
    exports: Option<(Duration, Duration)>,
    idle: Option<(u64, f64, u64)>,
    phone_echo: Vec<Duration>,
    search_echo: Vec<Duration>,
}

/// A start with no checkpoint: until the history is shown, then its resident size; quits.
fn cold_run(binary: &Path, home: &Home, leads: usize) -> (Duration, f64) {
    let title = loaded_title(leads);
    let shown: Check = Box::new(move |s: &vt100::Screen| right_pane(s).contains(&title));
    let app = App::spawn(home.command(binary), ROWS, COLS, vec![shown]);
    let load_timeout = Duration::from_secs(60 + (leads / 1_000) as u64);
    let shown = app.wait(ProbeId(0), "the history shown", load_timeout) - app.spawned;
    app.settle(Duration::from_millis(500), Duration::from_secs(10));
    let rss = status_mb(app.pid, "VmRSS");
    app.quit();
    (shown, rss)
}

/// `history --json`, then `history --csv`, each written to a file in the home (a checkpoint
/// beside the history, as after any start of the app): from spawning to exit.
fn export_run(binary: &Path, home: &Home) -> (Duration, Duration) {
    let time = |flag: &str| {
        let out =
            std::fs::File::create(home.root.path().join(format!("history{flag}"))).expect("an output file");
        let start = Instant::now();
        let status = home.cli(binary, &["history", flag], out).status().expect("running `history`");
        let took = start.elapsed();
        assert!(status.success(), "history {flag}: {status}");
        took
    };
    (time("--json"), time("--csv"))
}

/// Rounds of first frames side by side.
const FIRST_FRAME_ROUNDS: usize = 20;

/// The first frames of the floor (a shell printing the marker), ATAC (if installed) and the app
/// on an empty history, interleaved so that a busy moment of the machine falls on all three.
fn first_frames(binary: &Path, atac: Option<&Path>) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let marker = |text: &'static str| -> Check {
        Box::new(move |s: &vt100::Screen| s.rows(0, COLS).any(|r| r.contains(text)))
    };
    let (mut floor, mut theirs, mut ours) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..FIRST_FRAME_ROUNDS {
        let home = Home::new(None);
        let mut sh = CommandBuilder::new("/bin/sh");
        sh.args(["-c", "printf '\\033[1;1Hautocalls-tui'; exec sleep 10"]);
        sh.cwd(home.root.path());
        let app = App::spawn(sh, ROWS, COLS, vec![marker("autocalls-tui")]);
        floor.push(ms(&(app.wait(ProbeId(0), "the floor's marker", Duration::from_secs(10)) - app.spawned)));
        app.kill();
        if let Some(atac) = atac {
            // ATAC keeps its collections and log in this folder, which must exist.
            std::fs::create_dir_all(home.root.path().join("atac")).expect("ATAC's folder");
            let mut cmd = home.command(atac);
            cmd.get_argv_mut().truncate(1);
            cmd.args(["--directory", &home.root.path().join("atac").display().to_string()]);
            let app = App::spawn(cmd, ROWS, COLS, vec![marker(ATAC_MARKER)]);
            theirs.push(ms(
                &(app.wait(ProbeId(0), "ATAC's first frame", Duration::from_secs(10)) - app.spawned)
            ));
            app.kill();
        }
        let app = App::spawn(home.command(binary), ROWS, COLS, vec![marker("autocalls-tui")]);
        ours.push(ms(&(app.wait(ProbeId(0), "the first frame", Duration::from_secs(10)) - app.spawned)));
        app.quit();
    }
    (floor, theirs, ours)
}

/// What ATAC's first frame shows (its collections pane's title).
const ATAC_MARKER: &str = "Collections";

/// ATAC's binary: `AUTOCALLS_ATAC_BIN`, or where `benches/perf.sh` installs it.
fn atac_binary() -> Option<PathBuf> {
    let path = std::env::var_os("AUTOCALLS_ATAC_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("atac/bin/atac"));
    path.exists().then_some(path)
}

fn one_run(binary: &Path, home: &Home, leads: usize, measure_idle: bool, ticks: u64) -> Run {
    let mut run = Run::default();
    let title = loaded_title(leads);
    let header: Check =
        Box::new(|s: &vt100::Screen| s.rows(0, COLS).next().is_some_and(|r| r.contains("autocalls-tui")));
    let shown: Check = Box::new(move |s: &vt100::Screen| right_pane(s).contains(&title));
    let app = App::spawn(home.command(binary), ROWS, COLS, vec![header, shown]);
    run.first_frame = app.wait(ProbeId(0), "the first frame", Duration::from_secs(30)) - app.spawned;
    let load_timeout = Duration::from_secs(60 + (leads / 1_000) as u64);
    run.shown = app.wait(ProbeId(1), "the history shown", load_timeout) - app.spawned;
    app.settle(Duration::from_millis(500), Duration::from_secs(10));
    run.rss_loaded = status_mb(app.pid, "VmRSS");
    run.hwm = status_mb(app.pid, "VmHWM");

    if measure_idle {
        app.settle(Duration::from_secs(1), Duration::from_secs(10));
        let (bytes, cpu, switches) = (app.bytes(), cpu_ticks(app.pid), context_switches(app.pid));
        let before = app.screen();
        std::thread::sleep(IDLE);
        let written = app.bytes() - bytes;
        run.idle = Some((
            written,
            (cpu_ticks(app.pid) - cpu) as f64 * 1000.0 / ticks as f64,
            // Summed over the threads alive: one that ended meanwhile takes its count with it.
            context_switches(app.pid).saturating_sub(switches),
        ));
        if written > 0 {
            // Say what changed on a screen that should have stayed still.
            let after = app.screen();
            let changed: Vec<String> = before
                .lines()
                .zip(after.lines())
                .filter(|(b, a)| b != a)
                .map(|(b, a)| format!("  before: {}\n  after:  {}", b.trim_end(), a.trim_end()))
                .collect();
            let recent = lock(&app.shared.state).recent.clone();
            let idle_bytes = &recent[recent.len().saturating_sub(written as usize)..];
            eprintln!(
                "idle: {written} bytes written: \"{}\"; rows that changed:\n{}",
                String::from_utf8_lossy(idle_bytes).escape_debug(),
                changed.join("\n")
            );
        }
    }

    // Phone echo: type into the (focused) Phone field, one key at a time; erase; again.
    let empty_row = {
        let state = lock(&app.shared.state);
        phone_row(state.parser.screen())
    };
    while run.phone_echo.len() < PHONE_SAMPLES {
        let mut typed = String::new();
        for c in PHONE_TYPED.chars() {
            let before = {
                let state = lock(&app.shared.state);
                phone_state(state.parser.screen())
            };
            typed.push(c);
            let want = typed.clone();
            let check: Check = Box::new(move |s: &vt100::Screen| {
                let now = phone_state(s);
                now != before && now.0.contains(&want)
            });
            let echo = app
                .time("a typed phone character", Duration::from_secs(10), check, || app.send(&c.to_string()));
            run.phone_echo.push(echo);
            std::thread::sleep(KEY_GAP);
        }
        app.send(&"\x7f".repeat(PHONE_TYPED.chars().count()));
        let empty = empty_row.clone();
        app.wait_screen("the Phone field empty again", Duration::from_secs(10), move |s| {
            phone_row(s) == empty
        });
        std::thread::sleep(KEY_GAP);
    }

    // Search echo: F3, `/`, then each character of a search until the bar shows it.
    app.send("\x1bOR");
    app.wait_screen("the history focused", Duration::from_secs(10), |s| s.contents().contains("/ search"));
    for search in SEARCHES {
        app.send("/");
        app.wait_screen("the search bar", Duration::from_secs(10), |s| right_pane(s).contains("Esc clears"));
        std::thread::sleep(KEY_GAP);
        let mut typed = String::new();
        for c in search.chars() {
            typed.push(c);
            let want = format!("/{typed}");
            let check: Check = Box::new(move |s: &vt100::Screen| right_pane(s).contains(&want));
            let echo = app.time("a typed search character", Duration::from_secs(120), check, || {
                app.send(&c.to_string());
            });
            run.search_echo.push(echo);
            std::thread::sleep(KEY_GAP);
        }
        app.send("\x1b");
        app.wait_screen("the search closed", Duration::from_secs(120), |s| {
            !right_pane(s).contains("Esc clears")
        });
        std::thread::sleep(KEY_GAP);
    }
    run.rss_end = status_mb(app.pid, "VmRSS");
    app.quit();
    run
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    if xs.len() % 2 == 1 { xs[mid] } else { (xs[mid - 1] + xs[mid]) / 2.0 }
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (xs.len() - 1) as f64).round() as usize;
    xs[rank.min(xs.len() - 1)]
}

fn ms(d: &Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    if !support::benchmarking() {
        println!("pty_harness: skipped (it needs the release binary: cargo bench --bench pty_harness)");
        return;
    }
    let binary = std::env::var_os("AUTOCALLS_TUI_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_autocalls-tui")));
    let runs: usize = std::env::var("AUTOCALLS_PERF_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let mut sizes = vec![0, 100_000];
    if support::want_1m() {
        sizes.push(1_000_000);
    }
    let ticks = clock_ticks_per_second();
    eprintln!("binary: {} ({runs} runs per size, {COLS}x{ROWS})", binary.display());
    let atac = atac_binary();
    if atac.is_none() {
        eprintln!("ATAC is not installed (benches/perf.sh installs it): first frames without it");
    }
    let frames = first_frames(&binary, atac.as_deref());
    let mut rows = Vec::new();
    for &leads in &sizes {
        let source = (leads > 0).then(|| history_file(leads));
        let mut results = Vec::new();
        for i in 0..runs {
            // A fresh home each run: the app resolves the open leads at the end of the history
            // (appending their outcomes), and every run should start from the same file.
            let home = Home::new(source.as_deref());
            let cold = (leads > 0).then(|| cold_run(&binary, &home, leads));
            if cold.is_some() {
                let checkpoint = home.root.path().join("data/autocalls-tui/sandbox-history.jsonl.checkpoint");
                assert!(checkpoint.exists(), "the first start wrote a checkpoint");
            }
            let mut run = one_run(&binary, &home, leads, i == 0, ticks);
            run.cold = cold;
            run.exports = (leads > 0).then(|| export_run(&binary, &home));
            eprintln!(
                "{} run {}: first frame {:.1} ms, history shown {:.0} ms (without a checkpoint {:.0} ms), \
                 RSS {:.1} MB (peak {:.1}), phone echo median {:.2} ms, search echo median {:.2} ms, \
                 history --json {:.0} ms, --csv {:.0} ms",
                support::label(leads),
                i + 1,
                ms(&run.first_frame),
                ms(&run.shown),
                run.cold.map_or(f64::NAN, |c| ms(&c.0)),
                run.rss_loaded,
                run.hwm,
                median(run.phone_echo.iter().map(ms).collect()),
                median(run.search_echo.iter().map(ms).collect()),
                run.exports.map_or(f64::NAN, |e| ms(&e.0)),
                run.exports.map_or(f64::NAN, |e| ms(&e.1)),
            );
            results.push(run);
        }
        rows.push((leads, results));
    }
    print_table(&rows, runs);
    print_first_frames(&frames);
}

fn print_first_frames((floor, atac, ours): &(Vec<f64>, Vec<f64>, Vec<f64>)) {
    let (floor_ms, ours_ms) = (median(floor.clone()), median(ours.clone()));
    println!();
    println!("First frames, {FIRST_FRAME_ROUNDS} interleaved rounds (medians, p90 beside), {COLS}x{ROWS}:");
    println!();
    println!("| program | first frame | net of the floor |");
    println!("|---|---|---|");
    println!("| floor: `sh -c printf` | {floor_ms:.2} ms ({:.2}) | 0 |", percentile(floor.clone(), 90.0));
    println!(
        "| autocalls-tui (empty history) | {ours_ms:.2} ms ({:.2}) | {:.2} ms |",
        percentile(ours.clone(), 90.0),
        ours_ms - floor_ms
    );
    if !atac.is_empty() {
        let atac_ms = median(atac.clone());
        println!(
            "| ATAC | {atac_ms:.2} ms ({:.2}) | {:.2} ms |",
            percentile(atac.clone(), 90.0),
            atac_ms - floor_ms
        );
        println!();
        println!(
            "autocalls-tui / ATAC, net of the floor: {:.2}x",
            (ours_ms - floor_ms) / (atac_ms - floor_ms)
        );
    }
}

fn print_table(rows: &[(usize, Vec<Run>)], runs: usize) {
    println!();
    println!(
        "Medians over {runs} runs (echo: over every key of every run; p90 beside). {COLS}x{ROWS} pty, \
         release binary, --sandbox."
    );
    println!();
    println!(
        "| history | first frame | history shown | … without a checkpoint | RSS loaded | RSS peak | \
         RSS after searches | phone echo (p90) | search echo (p90) | idle 5 s: bytes / CPU / ctx switches | \
         history --json / --csv |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (leads, results) in rows {
        let col = |f: &dyn Fn(&Run) -> f64| median(results.iter().map(f).collect());
        let phone: Vec<f64> = results.iter().flat_map(|r| r.phone_echo.iter().map(ms)).collect();
        let search: Vec<f64> = results.iter().flat_map(|r| r.search_echo.iter().map(ms)).collect();
        let idle = results
            .iter()
            .find_map(|r| r.idle)
            .map_or("-".to_owned(), |(b, cpu, sw)| format!("{b} B / {cpu:.0} ms / {sw}"));
        println!(
            "| {} | {:.1} ms | {:.0} ms | {} | {:.1} MB | {:.1} MB | {:.1} MB | {:.2} ms ({:.2}) | {:.2} ms ({:.2}) | {} | {} |",
            support::label(*leads),
            col(&|r| ms(&r.first_frame)),
            col(&|r| ms(&r.shown)),
            if *leads == 0 {
                "-".to_owned()
            } else {
                format!("{:.0} ms", col(&|r| r.cold.map_or(f64::NAN, |c| ms(&c.0))))
            },
            col(&|r| r.rss_loaded),
            col(&|r| r.hwm),
            col(&|r| r.rss_end),
            median(phone.clone()),
            percentile(phone, 90.0),
            median(search.clone()),
            percentile(search, 90.0),
            idle,
            if *leads == 0 {
                "-".to_owned()
            } else {
                let export = |f: &dyn Fn(&(Duration, Duration)) -> Duration| {
                    col(&|r| r.exports.as_ref().map_or(f64::NAN, |e| ms(&f(e))))
                };
                format!("{:.0} ms / {:.0} ms", export(&|e| e.0), export(&|e| e.1))
            },
        );
    }
}
