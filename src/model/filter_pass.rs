//! A filter pass over the leads, as a value. The history view makes one whenever what it lists
//! must be worked out again. In a short history it runs it itself; in a long one it hands it to
//! the runtime as [`Effect::Filter`](super::Effect::Filter), the runtime runs it on a worker and
//! answers [`Msg::Filtered`](super::Msg::Filtered) with its generation, and the view takes only
//! the answer of its newest pass. Nothing here starts a thread.

use std::ops::Range;
use std::sync::{Arc, Weak};

use crate::history::query::Prepared;
use crate::history::search_index::SearchIndex;

/// Candidates a pass looks at between two checks that it is still wanted.
const CHECK_EVERY: usize = 4096;

/// A pass, with what it reads: a copy of the search index as it was when the pass was made (its
/// chunks shared with the view), the leads to look at and the filter.
#[derive(Clone)]
pub struct FilterPass {
    /// Which pass this is; the view counts them, and takes only the answer of its newest.
    pub generation: u64,
    index: SearchIndex,
    candidates: Candidates,
    filter: Prepared,
    /// Alive while the view waits for this pass: a newer pass (or no filter) drops it, and the
    /// pass stops early.
    wanted: Weak<()>,
}

/// The leads a pass looks at, newest first: all of them, or those listed before (when the search
/// only grew).
#[derive(Debug, Clone)]
pub(super) enum Candidates {
    /// The first `n` leads (all there were).
    All(usize),
    /// These, as listed (indices, newest first).
    Listed(Arc<Vec<usize>>),
}

impl FilterPass {
    /// A pass for as long as `wanted` lives.
    pub(super) fn new(
        generation: u64,
        index: SearchIndex,
        candidates: Candidates,
        filter: Prepared,
        wanted: &Arc<()>,
    ) -> FilterPass {
        FilterPass { generation, index, candidates, filter, wanted: Arc::downgrade(wanted) }
    }

    /// How many leads it looks at.
    pub fn len(&self) -> usize {
        match &self.candidates {
            Candidates::All(n) => *n,
            Candidates::Listed(listed) => listed.len(),
        }
    }

    /// Whether it looks at none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the view still waits for this pass.
    pub fn is_wanted(&self) -> bool {
        self.wanted.strong_count() > 0
    }

    /// The candidates at positions `part` (0 is the newest) that pass, as indices into the
    /// leads, newest first; `None` once the view no longer wants the pass (looked at every few
    /// thousand leads). Parts run one after the other, or at once on several threads, give the
    /// same rows when joined in order.
    pub fn matching(&self, part: Range<usize>) -> Option<Vec<usize>> {
        let len = self.len();
        let (from, to) = (part.start.min(len), part.end.min(len));
        // What the filter asks of each campaign, found once for the part.
        let sieve = self.index.sieve(&self.filter);
        let passes = |&i: &usize| sieve.matches(i);
        let mut out = Vec::new();
        for start in (from..to).step_by(CHECK_EVERY) {
            if !self.is_wanted() {
                return None;
            }
            let end = (start + CHECK_EVERY).min(to);
            match &self.candidates {
                Candidates::All(n) => {
                    sieve.push_matching_rev(n - end..n - start, &mut out);
                }
                Candidates::Listed(listed) => out.extend(listed[start..end].iter().copied().filter(passes)),
            }
        }
        Some(out)
    }

    /// Its filter.
    pub(super) fn filter(&self) -> &Prepared {
        &self.filter
    }

    /// Its filter back, once it has run.
    pub(super) fn into_filter(self) -> Prepared {
        self.filter
    }

    /// The message that answers this pass: `rows` from [`matching`](Self::matching) over all of
    /// it, in order (`None` when it stopped early).
    pub fn answer(&self, rows: Option<Vec<usize>>) -> super::Msg {
        super::Msg::Filtered { generation: self.generation, rows }
    }
}

impl std::fmt::Debug for FilterPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterPass")
            .field("generation", &self.generation)
            .field("candidates", &self.len())
            .field("wanted", &self.is_wanted())
            .finish_non_exhaustive()
    }
}

/// Passes are told apart by their generation (what a test of the model compares).
impl PartialEq for FilterPass {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation && self.len() == other.len()
    }
}
