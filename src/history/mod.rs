//! The local history: what the user entered and what became of it. `record` is the file's
//! format and the fold into leads; `store` puts lines on disk and reads them back.

pub mod change;
pub mod leads;
pub mod owner;
pub mod query;
pub mod record;
pub mod search_index;
pub mod store;

pub use change::{Change, ChangeEntry, ChangeId, ChangeStatus};
pub use owner::{RunId, RunLock};
pub use record::{
    Attempt, Event, Finished, Folder, LeadEntry, LeadError, LocalId, Outcome, Record, Status, fold,
};
pub use store::{Claim, Claimed, Folded, HistoryError, HistoryStore, Loaded, Story};
