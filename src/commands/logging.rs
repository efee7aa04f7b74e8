//! Logs go to a daily file in the state directory, never to the terminal (the TUI owns it).

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// How many log lines may wait for the writer thread (beyond it lines are dropped, as before).
const LOG_QUEUE_LINES: usize = 4096;

/// Starts logging to `<state dir>/autocalls-tui.<date>.log`. Keep the guard alive for the run:
/// dropping it flushes the log. Logging that cannot start is not an error for the user.
pub fn init(state_dir: &Path, level: &str) -> Option<WorkerGuard> {
    crate::config::create_private_dir(state_dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("autocalls-tui")
        .filename_suffix("log")
        .max_log_files(14)
        .build(state_dir)
        .ok()?;
    // The default queue holds 128,000 lines: 4 MB of slots, each written when the queue is made,
    // which took a millisecond of page faults before the first frame. A few thousand lines are
    // more than a burst of this app ever queues before the writer thread catches up.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(appender);
    let filter =
        EnvFilter::try_new(format!("autocalls_tui={level},warn")).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init().ok()?;
    Some(guard)
}
