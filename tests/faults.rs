//! Delivery that never loses or duplicates a lead, proved on loopback: a real in-process sandbox
//! behind a fault-injecting proxy (`faults/proxy.rs`) that loses, breaks, replaces or holds the
//! answers to `POST /api/user/lead`, refuses connections, or rate-limits. For every fault, one
//! submission must end as exactly one lead on the server, and the history must say `created` with
//! that lead's id:
//! - through the TUI's real event loop (`runtime::run` on a `TestBackend`, keys from a channel);
//! - through `autocalls-tui create` (the real binary), which gives up after a few tries and then
//!   leaves the lead open in the history;
//! - through the real binary in a pseudo-terminal, killed with SIGKILL while its create request
//!   is held, then started again: it must look the lead up, not send it again.
//!
//! The loop and CLI cases send with `allow_dupplicate: true`, so a second create *would* make a
//! second lead on the sandbox (instead of being refused as a duplicate): counting leads counts
//! sends. The proxy logs each request, so the tests also check how many creates were tried, that
//! the server saw exactly the ones the proxy forwarded (`create_requests()`), that a create whose
//! outcome was unknown was only sent again after a look-up that got an answer, and that a `429`
//! was waited out.
//!
//! The rig all three share, and the table of faults the loop and the CLI both run, are in
//! `faults/rig.rs`; each way of sending has its own file (`faults/tui.rs`, `faults/cli.rs`,
//! `faults/killed.rs`). All of it is one test binary, `faults`.
//!
//! Some cases guard defects this suite found: a second lead for the same phone taken for the
//! first by the look-up, resends without a pause against a failing server, and a 429 on a
//! look-up not waited out.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

#[path = "faults/changes.rs"]
mod changes;
#[path = "faults/cli.rs"]
mod cli;
#[path = "faults/killed.rs"]
mod killed;
#[path = "faults/proxy.rs"]
mod proxy;
#[path = "faults/rig.rs"]
mod rig;
mod support;
#[path = "faults/tui.rs"]
mod tui;
