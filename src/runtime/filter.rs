//! Running the model's long filter passes, on a blocking worker: a pass over many leads is split
//! across the cores but one (scoped threads, joined in order), and one the model no longer wants (a newer
//! key came) stops early. The answer is `Msg::Filtered` with the pass's generation.

use crate::model::{FilterPass, Msg};

/// Below this many candidates, one thread filters: starting others costs more than it saves.
const SPLIT_FROM: usize = 50_000;

/// Runs `pass` and answers it (at a million leads a full pass is ≈ 25 ms on one core).
pub fn run_pass(pass: &FilterPass) -> Msg {
    let len = pass.len();
    let parts = if len < SPLIT_FROM { 1 } else { cores().min(len / (SPLIT_FROM / 2)) };
    let part = len.div_ceil(parts.max(1)).max(1);
    // Part `p` of the candidates, in their order.
    let range = move |p: usize| p * part..((p + 1) * part).min(len);
    if parts <= 1 {
        return pass.answer(pass.matching(0..len));
    }
    let rows = std::thread::scope(|scope| {
        let rest: Vec<_> = (1..parts).map(|p| scope.spawn(move || pass.matching(range(p)))).collect();
        let mut rows = pass.matching(range(0));
        for handle in rest {
            let more = handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            rows = rows.zip(more).map(|(mut rows, more)| {
                rows.extend(more);
                rows
            });
        }
        rows
    });
    pass.answer(rows)
}

/// How many threads a long filter pass may use: all cores but one, which is left to the task
/// that reads keys and draws (on two cores, a pass on both held the next key's echo back by
/// 10-20 ms while it ran), and at most four.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get).saturating_sub(1).clamp(1, 4)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::CreateLead;
    use crate::history::query::Filter;
    use crate::history::{LeadEntry, LocalId};
    use crate::model::HistoryView;

    /// A pass the view no longer waits for (a newer key made another) stops without rows; the
    /// newer one answers with them.
    #[test]
    fn a_pass_no_longer_wanted_stops_and_the_newer_one_answers() {
        let entries: Vec<LeadEntry> = (0..60_000u32)
            .map(|n| {
                let request = CreateLead {
                    phone_number: format!("+1415{n:07}").into(),
                    campaign_id: 12,
                    variables: [("customer_name", if n.is_multiple_of(2) { "Ada" } else { "Grace" })].into(),
                    allow_dupplicate: false,
                    secondary_contacts: vec![],
                };
                LeadEntry::new(LocalId(uuid::Uuid::from_u128(n.into())), jiff::Timestamp::UNIX_EPOCH, request)
            })
            .collect();
        let mut view = HistoryView::default();
        view.load(entries.into(), vec![], |_| false);
        view.filter = Filter { search: Some("grace".into()), ..Filter::default() };
        view.refilter();
        let older = view.take_pass().expect("a long pass goes to a worker");
        view.filter.search = Some("ada".into());
        view.refilter();
        let newer = view.take_pass().expect("and so does the next");
        assert!(!older.is_wanted() && newer.is_wanted());
        let gen_older = older.generation;
        assert!(
            matches!(run_pass(&older), Msg::Filtered { generation, rows: None } if generation == gen_older)
        );
        let Msg::Filtered { generation, rows } = run_pass(&newer) else { unreachable!() };
        assert_eq!(generation, newer.generation);
        assert_eq!(rows.as_ref().map(Vec::len), Some(30_000));
        view.filtered(older.generation, Some(vec![]));
        assert_eq!(view.len(), 60_000, "an older answer is not taken");
        view.filtered(generation, rows);
        assert_eq!(view.len(), 30_000);
        assert_eq!(view.row(0).map(|e| e.local_id), Some(LocalId(uuid::Uuid::from_u128(59_998))));
    }
}
