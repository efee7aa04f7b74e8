//! Looking back at everything the app wrote and left behind: every byte of its terminal output
//! (replayed frame by frame through a fresh emulator that records the requests a screen does not
//! show: window titles, clipboard writes, other OSC strings) and every file under a directory.

use std::path::{Path, PathBuf};

use super::{Dirs, Failure, Tui, lock, nonzero};

impl Tui {
    /// Every byte the app has written to its terminal so far.
    pub fn raw_bytes(&self) -> Vec<u8> {
        lock(&self.shared.raw).clone()
    }
}

impl Dirs {
    /// The real binary as a plain process (no terminal, output captured) with this isolated
    /// environment, like [`Dirs::command`], then `vars` set.
    pub fn process(&self, args: &[&str], vars: &[(&str, &str)]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autocalls-tui"));
        cmd.args(args)
            .current_dir(self.root())
            .env("HOME", self.home())
            .env("XDG_DATA_HOME", self.data())
            .env("XDG_CONFIG_HOME", self.config())
            .env("XDG_STATE_HOME", self.state())
            .env("XDG_CACHE_HOME", self.cache())
            .env("RUST_BACKTRACE", "1");
        for var in ["AUTOCALLS_API_KEY", "AUTOCALLS_BASE_URL", "COLUMNS", "LINES", "NO_COLOR", "RUST_LOG"] {
            cmd.env_remove(var);
        }
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs the real binary as [`Dirs::process`] prepares it, to its end, and gives its exit
    /// status and output.
    pub fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Result<std::process::Output, Failure> {
        self.process(args, vars).output().map_err(|e| Failure(format!("running autocalls-tui {args:?}: {e}")))
    }
}

/// What a terminal was asked to do besides drawing cells.
#[derive(Debug, Default, Clone)]
pub struct Requests {
    /// Window titles set (`OSC 0` / `OSC 2`).
    pub titles: Vec<String>,
    /// Icon names set (`OSC 0` / `OSC 1`).
    pub icon_names: Vec<String>,
    /// Clipboard writes (`OSC 52`), as `(selection, base64 data)`.
    pub clipboard_writes: Vec<(String, String)>,
    /// Clipboard reads (`OSC 52 ; ?`).
    pub clipboard_reads: usize,
    /// Other OSC strings (hyperlinks, colours, ...), each as its parameters.
    pub other_osc: Vec<String>,
    /// Resize requests (`CSI 8 ; rows ; cols t`).
    pub resizes: Vec<(u16, u16)>,
    /// Bells (a BEL outside a string).
    pub bells: usize,
}

impl Requests {
    /// Whether the terminal was asked for anything that outlives or escapes the screen.
    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
            && self.icon_names.is_empty()
            && self.clipboard_writes.is_empty()
            && self.clipboard_reads == 0
            && self.other_osc.is_empty()
            && self.resizes.is_empty()
    }
}

impl vt100::Callbacks for Requests {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }

    fn resize(&mut self, _: &mut vt100::Screen, request: (u16, u16)) {
        self.resizes.push(request);
    }

    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, icon_name: &[u8]) {
        self.icon_names.push(String::from_utf8_lossy(icon_name).into_owned());
    }

    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(String::from_utf8_lossy(title).into_owned());
    }

    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, ty: &[u8], data: &[u8]) {
        self.clipboard_writes
            .push((String::from_utf8_lossy(ty).into_owned(), String::from_utf8_lossy(data).into_owned()));
    }

    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, _ty: &[u8]) {
        self.clipboard_reads += 1;
    }

    fn unhandled_osc(&mut self, _: &mut vt100::Screen, params: &[&[u8]]) {
        let params: Vec<String> = params.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect();
        self.other_osc.push(params.join(";"));
    }
}

/// The app's whole output replayed through a fresh emulator of `rows` x `cols`.
pub struct Replay {
    /// What the terminal was asked to do besides drawing.
    pub requests: Requests,
    /// The screen's text at the end of every frame (and at the very end), in order.
    pub frames: Vec<String>,
    /// The emulator after the last byte, for cell colours.
    pub parser: vt100::Parser<Requests>,
}

/// Replays `raw` and keeps the screen's text after every frame: ratatui ends each frame by hiding
/// the cursor (`ESC [ ? 25 l`) or showing it (`ESC [ ? 25 h`, then its position).
pub fn replay(raw: &[u8], rows: u16, cols: u16) -> Replay {
    const ENDS: [&[u8]; 2] = [b"\x1b[?25l", b"\x1b[?25h"];
    let mut parser = vt100::Parser::new_with_callbacks(nonzero(rows), nonzero(cols), 0, Requests::default());
    let mut frames = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < raw.len() {
        if let Some(end) = ENDS.iter().find(|end| raw[i..].starts_with(end)) {
            let stop = i + end.len();
            parser.process(&raw[start..stop]);
            frames.push(parser.screen().contents());
            start = stop;
            i = stop;
        } else {
            i += 1;
        }
    }
    parser.process(&raw[start..]);
    frames.push(parser.screen().contents());
    let requests = parser.callbacks().clone();
    Replay { requests, frames, parser }
}

/// Every regular file under `dir` (recursively) with its bytes, sorted by path. A missing `dir`
/// gives none.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(path),
                Ok(t) if t.is_file() => {
                    if let Ok(bytes) = std::fs::read(&path) {
                        out.push((path, bytes));
                    }
                }
                _ => {}
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Where `needle` first occurs in `haystack`, as bytes; an empty needle is found nowhere.
pub fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether `haystack` holds `needle` as bytes (an empty needle, never).
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    find_bytes(haystack, needle).is_some()
}
