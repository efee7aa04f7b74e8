//! Driving a program in a pseudo-terminal for the PTY harness: its output goes through a `vt100`
//! emulator on a reader thread, which tests armed conditions ("probes") after every chunk and
//! keeps the arrival time of the chunk that first made each one hold; plus what `/proc` says
//! about the process (CPU time, context switches, memory). Included by `pty_harness.rs` only.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

// Reading the terminal is the test harness's own code, included by path.
#[path = "../../tests/support/pty_read.rs"]
mod pty_read;

/// How many of the last bytes written are kept for diagnosis.
pub const RECENT: usize = 4096;

pub type Check = Box<dyn FnMut(&vt100::Screen) -> bool + Send>;

/// What the reader thread keeps.
pub struct State {
    pub parser: vt100::Parser,
    /// Bytes the app has written in all.
    pub bytes: u64,
    /// The last bytes written, for saying what an idle app wrote.
    pub recent: Vec<u8>,
    /// When the last chunk arrived.
    pub last_chunk: Instant,
    /// Conditions tested after every chunk until they hold, and when each first held.
    probes: Vec<Probe>,
    eof: bool,
}

struct Probe {
    check: Option<Check>,
    hit: Option<Instant>,
}

/// Which armed condition to wait for.
#[derive(Clone, Copy)]
pub struct ProbeId(pub usize);

pub struct Shared {
    pub state: Mutex<State>,
    changed: Condvar,
}

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The app running in a pseudo-terminal.
pub struct App {
    pub shared: Arc<Shared>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    pub pid: u32,
    pub spawned: Instant,
    _master: Box<dyn MasterPty + Send>,
}

impl App {
    /// Starts the binary; the `first` checks are armed before the process exists, so no output
    /// can slip by (their ids are 0, 1, ...).
    pub fn spawn(cmd: CommandBuilder, rows: u16, cols: u16, first: Vec<Check>) -> App {
        let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
        let pair = native_pty_system().openpty(size).expect("opening a pty");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                parser: vt100::Parser::new(rows.try_into().expect("rows"), cols.try_into().expect("cols"), 0),
                bytes: 0,
                recent: Vec::new(),
                last_chunk: Instant::now(),
                probes: first.into_iter().map(|check| Probe { check: Some(check), hit: None }).collect(),
                eof: false,
            }),
            changed: Condvar::new(),
        });
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            std::thread::spawn(move || pump(&mut *reader, &shared, &writer));
        }
        let spawned = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("starting autocalls-tui");
        drop(pair.slave);
        let pid = child.process_id().expect("the app's pid");
        App { shared, writer, child, pid, spawned, _master: pair.master }
    }

    pub fn send(&self, text: &str) {
        let mut writer = lock(&self.writer);
        writer.write_all(text.as_bytes()).and_then(|()| writer.flush()).expect("typing into the pty");
    }

    /// Arms `check`: it is tested on the screen after every chunk of output from now on.
    pub fn arm(&self, check: Check) -> ProbeId {
        let mut state = lock(&self.shared.state);
        state.probes.push(Probe { check: Some(check), hit: None });
        ProbeId(state.probes.len() - 1)
    }

    /// Waits for an armed check to hold and says when the output that made it hold arrived.
    pub fn wait(&self, id: ProbeId, what: &str, timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        let mut state = lock(&self.shared.state);
        loop {
            if let Some(at) = state.probes[id.0].hit {
                return at;
            }
            if state.eof {
                panic!("waiting for {what}: the app exited\n{}", state.parser.screen().contents());
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("waiting for {what}: nothing after {timeout:?}\n{}", state.parser.screen().contents());
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Arms `check`, does `act`, and returns how long after `act` began the check held.
    pub fn time(&self, what: &str, timeout: Duration, check: Check, act: impl FnOnce()) -> Duration {
        let id = self.arm(check);
        let start = Instant::now();
        act();
        self.wait(id, what, timeout) - start
    }

    /// Waits until `check` holds for the screen as it is now or after later output.
    pub fn wait_screen(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&vt100::Screen) -> bool + Send + 'static,
    ) {
        {
            let state = lock(&self.shared.state);
            if check(state.parser.screen()) {
                return;
            }
        }
        let id = self.arm(Box::new(check));
        // The screen may have changed between the look and arming: look once more.
        let now_holds = {
            let mut state = lock(&self.shared.state);
            let State { parser, probes, .. } = &mut *state;
            let probe = &mut probes[id.0];
            probe.hit.is_some() || probe.check.as_mut().is_some_and(|c| c(parser.screen()))
        };
        if !now_holds {
            self.wait(id, what, timeout);
        }
        lock(&self.shared.state).probes[id.0].check = None;
    }

    /// Waits until the app has written nothing for `quiet` (at most `timeout`).
    pub fn settle(&self, quiet: Duration, timeout: Duration) {
        let start = Instant::now();
        loop {
            let last = lock(&self.shared.state).last_chunk;
            if last.elapsed() >= quiet || start.elapsed() >= timeout {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The screen's text now.
    pub fn screen(&self) -> String {
        lock(&self.shared.state).parser.screen().contents()
    }

    pub fn bytes(&self) -> u64 {
        lock(&self.shared.state).bytes
    }

    /// Ends a program that has no key to quit (the floor's shell, ATAC).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Quits with Ctrl-Q, or kills the app if it does not leave within 10 s.
    pub fn quit(mut self) {
        self.send("\x11");
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("the app did not quit within 10 s; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Moves the app's output into the emulator, tests the armed check after each chunk, and answers
/// cursor position requests as a terminal would.
fn pump(reader: &mut dyn Read, shared: &Shared, writer: &Mutex<Box<dyn Write + Send>>) {
    let mut buf = [0u8; 16384];
    pty_read::read_until_closed(reader, &mut buf, |chunk| {
        let arrived = Instant::now();
        let mut state = lock(&shared.state);
        state.parser.process(chunk);
        state.bytes += chunk.len() as u64;
        state.recent.extend_from_slice(chunk);
        let excess = state.recent.len().saturating_sub(RECENT);
        state.recent.drain(..excess);
        state.last_chunk = arrived;
        let State { parser, probes, .. } = &mut *state;
        for probe in probes.iter_mut() {
            if probe.check.as_mut().is_some_and(|check| check(parser.screen())) {
                probe.hit = Some(arrived);
                probe.check = None;
            }
        }
        if chunk.windows(pty_read::CURSOR_REQUEST.len()).any(|w| w == pty_read::CURSOR_REQUEST) {
            let _ = lock(writer).write_all(pty_read::cursor_report(parser.screen()).as_bytes());
        }
        drop(state);
        shared.changed.notify_all();
    });
    lock(&shared.state).eof = true;
    shared.changed.notify_all();
}

/// CPU time (user + system, all threads) in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // After the command's `)`: state is field 3, utime 14 and stime 15 (1-based).
    field(11) + field(12)
}

/// Context switches of all the process's threads (a thread woken by a timer counts one).
pub fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return 0 };
    tasks
        .flatten()
        .map(|task| {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            status
                .lines()
                .filter(|l| {
                    l.starts_with("voluntary_ctxt_switches") || l.starts_with("nonvoluntary_ctxt_switches")
                })
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// A `kB` line of `/proc/<pid>/status`, in MB.
pub fn status_mb(pid: u32, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb * 1024.0 / 1e6)
}

pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100)
}
