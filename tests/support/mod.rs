//! A harness that runs the real `autocalls-tui` binary in a pseudo-terminal and reads its screen
//! the way a person would: the bytes the app writes go through a `vt100` terminal emulator, and
//! the tests wait for text to show up on the emulated screen. Nothing here sleeps for a fixed time
//! to let the app catch up: every wait polls the screen (every 20 ms) until a condition holds or
//! a timeout passes, and every failure carries a dump of the screen.
//!
//! Each test gets its own [`Dirs`]: every place the app keeps files (XDG data, config, state and
//! cache dirs, and `HOME`) is inside one temporary directory, so tests never see each other's or
//! the developer's files.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, ChildKiller, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

pub mod capture;
pub mod command;
pub mod event_loop;
pub mod live;
pub mod pty_read;
pub mod steps;

/// The emulated terminal's width.
pub const COLS: u16 = 100;
/// The emulated terminal's height.
pub const ROWS: u16 = 30;
/// How long to wait for anything to appear. Generous: the debug binary is slow to start, the
/// first phone number parsed loads the numbering metadata, and CI machines are busy.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How often waits look at the screen (or a file) again.
pub const POLL: Duration = Duration::from_millis(20);

/// Keys as a terminal sends them.
pub mod keys {
    /// Tab: next field.
    pub const TAB: &str = "\t";
    /// Shift-Tab: previous field.
    pub const BACKTAB: &str = "\x1b[Z";
    /// Enter.
    pub const ENTER: &str = "\r";
    /// Escape. Sent on its own, it may be read as the start of a sequence; wait for its effect.
    pub const ESC: &str = "\x1b";
    /// Backspace (DEL, as xterm sends it).
    pub const BACKSPACE: &str = "\x7f";
    /// Ctrl-S: submit.
    pub const CTRL_S: &str = "\x13";
    /// Ctrl-Q: quit.
    pub const CTRL_Q: &str = "\x11";
    /// Ctrl-C: quit.
    pub const CTRL_C: &str = "\x03";
    /// Ctrl-N: add a row.
    pub const CTRL_N: &str = "\x0e";
    /// Ctrl-D: remove a row.
    pub const CTRL_D: &str = "\x04";
    /// Ctrl-X: add a secondary contact (or go to a blank one) from anywhere in the form.
    pub const CTRL_X: &str = "\x18";
    /// F1: help.
    pub const F1: &str = "\x1bOP";
    /// F2: the form.
    pub const F2: &str = "\x1bOQ";
    /// F3: the history.
    pub const F3: &str = "\x1bOR";
    /// Arrow up.
    pub const UP: &str = "\x1b[A";
    /// Arrow down.
    pub const DOWN: &str = "\x1b[B";
}

/// A test's error: a message printed as it is (with its screen dump) when a test function
/// returns it, instead of the escaped one-line `Debug` of a `String`. `?` turns the harness's
/// `String` errors into it.
pub struct Failure(pub String);

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure(message)
    }
}

/// What test functions return.
pub type TestResult = Result<(), Failure>;

/// A temporary home for one test: every directory the app may write to lives inside it.
pub struct Dirs {
    root: tempfile::TempDir,
}

impl Dirs {
    /// Fresh, empty directories.
    pub fn new() -> Dirs {
        let root = tempfile::Builder::new().prefix("autocalls-e2e-").tempdir().expect("creating a temp dir");
        let dirs = Dirs { root };
        for dir in [dirs.home(), dirs.data(), dirs.config(), dirs.state(), dirs.cache()] {
            std::fs::create_dir_all(&dir).expect("creating a test dir");
        }
        dirs
    }

    /// The temp dir itself (also the app's working directory).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `HOME`.
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// `XDG_DATA_HOME`.
    pub fn data(&self) -> PathBuf {
        self.root().join("data")
    }

    /// `XDG_CONFIG_HOME`.
    pub fn config(&self) -> PathBuf {
        self.root().join("config")
    }

    /// `XDG_STATE_HOME`.
    pub fn state(&self) -> PathBuf {
        self.root().join("state")
    }

    /// `XDG_CACHE_HOME`.
    pub fn cache(&self) -> PathBuf {
        self.root().join("cache")
    }

    /// The app's data dir (where the history lives).
    pub fn app_data(&self) -> PathBuf {
        self.data().join("autocalls-tui")
    }

    /// The history file of `--sandbox` runs.
    pub fn sandbox_history(&self) -> PathBuf {
        self.app_data().join("sandbox-history.jsonl")
    }

    /// The history file of live runs.
    pub fn history(&self) -> PathBuf {
        self.app_data().join("history.jsonl")
    }

    /// A command for the real binary with this isolated environment.
    pub fn command(&self, args: &[&str]) -> CommandBuilder {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_autocalls-tui"));
        cmd.args(args);
        cmd.cwd(self.root());
        cmd.env("HOME", self.home());
        cmd.env("XDG_DATA_HOME", self.data());
        cmd.env("XDG_CONFIG_HOME", self.config());
        cmd.env("XDG_STATE_HOME", self.state());
        cmd.env("XDG_CACHE_HOME", self.cache());
        cmd.env("TERM", "xterm-256color");
        cmd.env("RUST_BACKTRACE", "1");
        for var in ["AUTOCALLS_API_KEY", "AUTOCALLS_BASE_URL", "COLUMNS", "LINES", "NO_COLOR", "RUST_LOG"] {
            cmd.env_remove(var);
        }
        cmd
    }
}

impl Dirs {
    /// Like [`Dirs::command`], then sets each of `vars` in the app's environment (after the
    /// removals, so `AUTOCALLS_API_KEY` and `AUTOCALLS_BASE_URL` can be given on purpose).
    pub fn command_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> CommandBuilder {
        let mut cmd = self.command(args);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd
    }
}

impl Default for Dirs {
    fn default() -> Self {
        Dirs::new()
    }
}

/// State shared with the reader thread.
struct Shared {
    parser: Mutex<vt100::Parser>,
    /// Every byte the app wrote, for failure reports.
    raw: Mutex<Vec<u8>>,
    /// Set when the app's side of the terminal closed (it exited).
    eof: AtomicBool,
    /// How many bytes of `raw` the emulator has taken in; changed only with `parser` locked.
    processed: AtomicUsize,
}

/// The real binary running in a pseudo-terminal (100x30 unless spawned with another size).
pub struct Tui {
    shared: Arc<Shared>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn Child + Send + Sync>,
    killer: Box<dyn ChildKiller + Send + Sync>,
    reader: Option<JoinHandle<()>>,
    exit: Option<ExitStatus>,
    // Kept open so the terminal outlives the app and its final state can be inspected.
    master: Box<dyn MasterPty + Send>,
}

impl Tui {
    /// Starts `autocalls-tui ARGS` in a fresh pseudo-terminal with `dirs` as its every directory.
    pub fn spawn(args: &[&str], dirs: &Dirs) -> Tui {
        Tui::spawn_command(dirs.command(args))
    }

    /// Starts a prepared command in a fresh pseudo-terminal.
    pub fn spawn_command(cmd: CommandBuilder) -> Tui {
        Tui::spawn_command_sized(cmd, ROWS, COLS)
    }

    /// Starts a prepared command in a fresh pseudo-terminal of `rows` x `cols` (the emulated
    /// screen has the same size).
    pub fn spawn_command_sized(cmd: CommandBuilder, rows: u16, cols: u16) -> Tui {
        let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
        let pair = native_pty_system().openpty(size).expect("opening a pty");
        let child = pair.slave.spawn_command(cmd).expect("starting autocalls-tui");
        // Our copy of the app's side must close, or reading would never end when the app exits.
        drop(pair.slave);
        let killer = child.clone_killer();
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let shared = Arc::new(Shared {
            parser: Mutex::new(vt100::Parser::new(nonzero(rows), nonzero(cols), 0)),
            raw: Mutex::new(Vec::new()),
            eof: AtomicBool::new(false),
            processed: AtomicUsize::new(0),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            let writer = Arc::clone(&writer);
            std::thread::Builder::new()
                .name("pty-reader".into())
                .spawn(move || pump(&mut *reader, &shared, &writer))
                .expect("starting the pty reader")
        };
        Tui { shared, writer, child, killer, reader: Some(thread), exit: None, master: pair.master }
    }

    /// Types `text` (keys as a terminal sends them; see [`keys`]).
    pub fn send(&self, text: &str) {
        self.send_bytes(text.as_bytes());
    }

    /// Writes raw bytes to the app's terminal input. Panics, with the screen, if it cannot (the
    /// terminal is gone).
    pub fn send_bytes(&self, bytes: &[u8]) {
        let written = {
            let mut writer = lock(&self.writer);
            writer.write_all(bytes).and_then(|()| writer.flush())
        };
        if let Err(e) = written {
            panic!("{}", self.failure(&format!("typing {:?} failed: {e}", String::from_utf8_lossy(bytes))));
        }
    }

    /// Pastes `text` the way a terminal does when the app asked for bracketed paste.
    pub fn paste(&self, text: &str) {
        self.send(&format!("\x1b[200~{text}\x1b[201~"));
    }

    /// The screen's text, rows joined by newlines, trailing blanks trimmed.
    pub fn screen(&self) -> String {
        lock(&self.shared.parser).screen().contents()
    }

    /// Runs `f` on the emulated screen (for colours, cursor, modes).
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(lock(&self.shared.parser).screen())
    }

    /// The screen's rows, all of them, trailing blanks trimmed.
    pub fn rows(&self) -> Vec<String> {
        let cols = self.size().1;
        self.with_screen(|s| s.rows(0, cols).map(|r| r.trim_end().to_owned()).collect())
    }

    /// The emulated screen's size: (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        self.with_screen(|s| {
            let (rows, cols) = s.size();
            (rows.get(), cols.get())
        })
    }

    /// Runs `f` on the emulated screen if the app has finished drawing a frame on it, or gives
    /// `None` while a frame is half written (the app's output can reach the terminal in pieces).
    /// ratatui ends every frame by hiding the cursor (`ESC [ ? 25 l`) or by showing and placing
    /// it (`ESC [ ? 25 h ESC [ row ; col H`); nothing else writes those.
    pub fn with_settled_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> Option<T> {
        let parser = lock(&self.shared.parser);
        // With the emulator locked, `processed` is exactly what the screen shows.
        let processed = self.shared.processed.load(Ordering::SeqCst);
        let ended = {
            let raw = lock(&self.shared.raw);
            ends_a_frame(&raw[..processed.min(raw.len())])
        };
        ended.then(|| f(parser.screen()))
    }

    /// The screen's text once a frame is complete (see [`Tui::with_settled_screen`]).
    pub fn settled_screen(&self) -> Option<String> {
        self.with_settled_screen(vt100::Screen::contents)
    }

    /// Whether the app's screen is the alternate screen.
    pub fn alternate_screen(&self) -> bool {
        self.with_screen(vt100::Screen::alternate_screen)
    }

    /// The screen framed with row numbers, for failure messages.
    pub fn dump(&self) -> String {
        let (rows, cols) = self.size();
        let mut out =
            format!("┌── screen ({cols}x{rows}) {}\n", "─".repeat((cols as usize).saturating_sub(18)));
        for (i, line) in self.rows().iter().enumerate() {
            out.push_str(&format!("{i:>2}│{line}\n"));
        }
        out.push_str(&format!("└{}", "─".repeat(cols as usize + 2)));
        out
    }

    /// The last `n` bytes the app wrote, escaped, for diagnosing drawing problems.
    pub fn raw_tail(&self, n: usize) -> String {
        let raw = lock(&self.shared.raw);
        let tail = &raw[raw.len().saturating_sub(n)..];
        String::from_utf8_lossy(tail).escape_debug().to_string()
    }

    /// Waits until `text` is on the screen.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(&format!("{text:?} on the screen"), timeout, |screen| screen.contains(text))
    }

    /// Waits until `text` is no longer on the screen.
    pub fn wait_gone(&mut self, text: &str, timeout: Duration) -> Result<(), String> {
        self.wait_until(&format!("{text:?} gone from the screen"), timeout, |screen| !screen.contains(text))
    }

    /// Waits until `check` holds for the screen's text. `what` says what was awaited, for the
    /// failure message.
    pub fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&str) -> bool,
    ) -> Result<(), String> {
        let start = Instant::now();
        loop {
            // Read the flag before the screen: when it is set, the screen already holds the
            // app's last words, so a miss after it is final.
            let ended = self.shared.eof.load(Ordering::SeqCst);
            if check(&self.screen()) {
                return Ok(());
            }
            if ended {
                let status = self.try_status();
                return Err(self.failure(&format!("waiting for {what}: the app exited ({status})")));
            }
            if start.elapsed() >= timeout {
                return Err(self.failure(&format!("waiting for {what}: nothing after {timeout:?}")));
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits for the app to exit and for its last output to reach the screen.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.exit.clone() {
                break status;
            }
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.exit = Some(status.clone());
                    break status;
                }
                Ok(None) => {}
                Err(e) => return Err(self.failure(&format!("waiting for the app to exit: {e}"))),
            }
            if start.elapsed() >= timeout {
                return Err(self.failure(&format!("the app still runs after {timeout:?}")));
            }
            std::thread::sleep(POLL);
        };
        // The app is gone; the terminal reports end of file once its output is all read.
        while !self.shared.eof.load(Ordering::SeqCst) {
            if start.elapsed() >= timeout {
                return Err(self.failure(&format!("the app exited ({status}) but its output never ended")));
            }
            std::thread::sleep(POLL);
        }
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        Ok(status)
    }

    /// Kills the app with SIGKILL, as a crash or `kill -9` would (nothing is cleaned up, the
    /// terminal is not restored), and waits until it is gone and its output has ended.
    pub fn kill_hard(&mut self, timeout: Duration) -> Result<ExitStatus, String> {
        let pid = self.child.process_id().ok_or_else(|| self.failure("the app has no process id"))?;
        let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        match killed {
            Ok(status) if status.success() => self.wait_exit(timeout),
            Ok(status) => Err(self.failure(&format!("kill -KILL {pid} failed: {status}"))),
            Err(e) => Err(self.failure(&format!("running kill -KILL {pid}: {e}"))),
        }
    }

    /// Whether the terminal is back in cooked mode (canonical input and echo on), as a shell
    /// expects it after the app. `None` when the platform cannot tell.
    pub fn cooked_mode(&self) -> Option<bool> {
        let termios = self.master.get_termios()?;
        // The flags' `Debug` names each set flag (`LocalFlags(ECHOKE | ECHOE | ECHO | ...)`);
        // reading it spares a dependency on `nix` or `libc` for two bits.
        let flags = format!("{:?}", termios.local_flags);
        let set: Vec<&str> = flags.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).collect();
        Some(set.contains(&"ICANON") && set.contains(&"ECHO"))
    }

    fn try_status(&mut self) -> String {
        if let Some(status) = &self.exit {
            return status.to_string();
        }
        // The app closed the terminal; give it a moment to be reaped.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.exit = Some(status.clone());
                return status.to_string();
            }
            std::thread::sleep(POLL);
        }
        "exit status unknown".to_owned()
    }

    /// Waits for the footer's "Created <phone> (lead #N)" and returns N.
    pub fn wait_created(&mut self, e164: &str, timeout: Duration) -> Result<String, String> {
        let created = format!("Created {e164} (lead #");
        self.wait_for(&created, timeout)?;
        let screen = self.screen();
        let id = screen.split(&created).nth(1).and_then(|rest| rest.split(')').next());
        match id.filter(|id| !id.is_empty() && *id != "?") {
            Some(id) => Ok(id.to_owned()),
            None => Err(self.failure("the footer names no lead id")),
        }
    }

    /// A failure message: what went wrong, the screen, and the end of the raw output.
    pub fn failure(&self, what: &str) -> String {
        format!("{what}\n{}\nlast bytes written by the app: \"{}\"", self.dump(), self.raw_tail(600))
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if self.exit.is_none() && !matches!(self.child.try_wait(), Ok(Some(_))) {
            let _ = self.killer.kill();
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(POLL);
            }
        }
        // The reader thread ends on its own when the terminal closes; never block on it here.
    }
}

/// Whether `output` ends where ratatui ends a frame: `ESC [ ? 25 l`, or `ESC [ ? 25 h` followed
/// by a cursor position `ESC [ row ; col H`.
fn ends_a_frame(output: &[u8]) -> bool {
    const HIDE: &[u8] = b"\x1b[?25l";
    const SHOW: &[u8] = b"\x1b[?25h";
    if output.ends_with(HIDE) {
        return true;
    }
    let Some(rest) = output.strip_suffix(b"H") else { return false };
    let digits = rest.iter().rev().take_while(|b| b.is_ascii_digit() || **b == b';').count();
    let Some(rest) = rest[..rest.len() - digits].strip_suffix(b"\x1b[") else { return false };
    digits > 0 && rest.ends_with(SHOW)
}

fn nonzero(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("a terminal size is never zero")
}

/// Locks `m`, and goes on with what a holder that panicked left: the panic fails its own test.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Moves the app's output into the emulator until the app's side closes. Answers cursor
/// position requests (`ESC [ 6 n`) the way a terminal would, in case the app asks.
fn pump(reader: &mut dyn Read, shared: &Shared, writer: &Mutex<Box<dyn Write + Send>>) {
    const DSR: &[u8] = pty_read::CURSOR_REQUEST;
    let mut buf = [0u8; 8192];
    let mut tail: Vec<u8> = Vec::new();
    pty_read::read_until_closed(reader, &mut buf, |chunk| {
        lock(&shared.raw).extend_from_slice(chunk);
        let mut parser = lock(&shared.parser);
        parser.process(chunk);
        shared.processed.fetch_add(chunk.len(), Ordering::SeqCst);
        // A request may straddle two reads: look at the end of the last one too.
        tail.extend_from_slice(chunk);
        let asks = tail.windows(DSR.len()).filter(|w| *w == DSR).count();
        if asks > 0 {
            let answer = pty_read::cursor_report(parser.screen()).repeat(asks);
            drop(parser);
            let _ = lock(writer).write_all(answer.as_bytes());
            tail.clear();
        } else {
            let keep = tail.len().saturating_sub(DSR.len() - 1);
            tail.drain(..keep);
        }
    });
    shared.eof.store(true, Ordering::SeqCst);
}

impl Tui {
    /// Resizes the terminal to `rows` x `cols`, as a person dragging the window's corner would:
    /// the emulated screen takes the new size, then the pseudo-terminal does (which sends the app
    /// `SIGWINCH`). Wait for the app's redraw afterwards; nothing here waits for it.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<(), String> {
        // With the emulator locked, no output is drawn at one size while the other is in force.
        let mut parser = lock(&self.shared.parser);
        parser.set_size(nonzero(rows), nonzero(cols));
        let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
        let resized = self.master.resize(size);
        drop(parser);
        resized.map_err(|e| self.failure(&format!("resizing the terminal to {cols}x{rows}: {e}")))
    }
}

/// The form row holding the focus marker `▸`, if any, without the pane's borders.
pub fn focused_line(screen: &str) -> Option<String> {
    let border = |c: char| matches!(c, '┃' | '│') || c.is_whitespace();
    screen.lines().find(|l| l.contains('▸')).map(|l| l.trim_matches(border).to_owned())
}

/// Where the focus is as a person sees it: the marked row and the cursor. Read from a completely
/// drawn frame only, so a half-drawn one is never taken for a move.
pub type FocusSignature = (Option<String>, (u16, u16), bool);

/// Waits for a completely drawn frame whose focus signature satisfies `check`.
pub fn wait_signature(
    tui: &Tui,
    what: &str,
    check: impl Fn(&FocusSignature) -> bool,
) -> Result<FocusSignature, Failure> {
    let start = Instant::now();
    loop {
        let signature =
            tui.with_settled_screen(|s| (focused_line(&s.contents()), s.cursor_position(), s.hide_cursor()));
        if let Some(signature) = signature.filter(|sig| check(sig)) {
            return Ok(signature);
        }
        if start.elapsed() >= TIMEOUT {
            return Err(Failure(tui.failure(&format!("waiting for {what}: nothing after {TIMEOUT:?}"))));
        }
        std::thread::sleep(POLL);
    }
}

/// Presses `key` (Tab, Shift-Tab, Down...) one field at a time until the focused row satisfies
/// `arrived`, waiting after each press for the focus to move. Gives up after a full round.
pub fn move_focus_until(tui: &mut Tui, key: &str, what: &str, arrived: impl Fn(&str) -> bool) -> TestResult {
    for _ in 0..40 {
        let before = wait_signature(tui, "a drawn frame", |_| true)?;
        if before.0.as_deref().is_some_and(&arrived) {
            return Ok(());
        }
        tui.send(key);
        wait_signature(tui, &format!("the focus to move towards {what}"), |now| *now != before)?;
    }
    Err(Failure(tui.failure(&format!("the focus never reached {what}"))))
}

/// Waits until the focus marker is on a row satisfying `check`.
pub fn wait_focus(tui: &mut Tui, what: &str, check: impl Fn(&str) -> bool) -> TestResult {
    tui.wait_until(&format!("the focus on {what}"), TIMEOUT, |s| focused_line(s).is_some_and(|l| check(&l)))?;
    Ok(())
}

/// The records of a history file, in order; none when it does not exist. A line that is not
/// JSON fails the test (the app writes whole lines only).
pub fn history_records(path: &Path) -> Vec<serde_json::Value> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: a line is not JSON ({e}): {line}", path.display()))
        })
        .collect()
}

/// Whether the history file at `path` holds a record with `"status":"<status>"` (an outcome's,
/// or that of a server's answer kept in one); not when it does not exist.
pub fn history_has(path: &Path, status: &str) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(&format!("\"status\":\"{status}\"")))
}
