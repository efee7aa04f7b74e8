//! Reading the app's side of a pseudo-terminal as a terminal does, written once for the test
//! harness (`tests/support/mod.rs`) and the PTY benchmark (`benches/support/pty.rs`, which
//! includes this file by path): the app's output chunk by chunk until its side closes, and the
//! answer to a cursor position request.

use std::io::Read;

/// A cursor position request (`ESC [ 6 n`), which a terminal answers with [`cursor_report`].
pub const CURSOR_REQUEST: &[u8] = b"\x1b[6n";

/// Reads `reader` into `buf` and hands each chunk to `take` until the app's side of the terminal
/// closes (end of file, or an error: EIO once the app has exited). A read interrupted by a
/// signal is tried again.
pub fn read_until_closed(reader: &mut dyn Read, buf: &mut [u8], mut take: impl FnMut(&[u8])) {
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO: the app's side of the terminal closed.
            Err(_) => break,
        };
        take(&buf[..n]);
    }
}

/// What a terminal answers to a [`CURSOR_REQUEST`]: where the cursor is, row and column from 1.
pub fn cursor_report(screen: &vt100::Screen) -> String {
    let (row, col) = screen.cursor_position();
    format!("\x1b[{};{}R", row + 1, col + 1)
}
