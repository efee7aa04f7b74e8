use super::*;
use crate::api::types::CreateLead;
use crate::history::Outcome;
use crate::model::Msg;

fn lead(n: u32, name: &str) -> LeadEntry {
    let request = CreateLead {
        phone_number: format!("+1415{n:07}").into(),
        campaign_id: u64::from(n % 3),
        variables: [("customer_name", name)].into(),
        allow_dupplicate: false,
        secondary_contacts: vec![],
    };
    let mut e =
        LeadEntry::new(LocalId(uuid::Uuid::from_u128(n.into())), jiff::Timestamp::UNIX_EPOCH, request);
    let status = if n.is_multiple_of(7) { Status::Failed } else { Status::Created };
    e.apply(Outcome { status, ..Outcome::default() }, jiff::Timestamp::UNIX_EPOCH);
    e
}

fn listed(view: &HistoryView) -> Vec<LocalId> {
    (0..view.len()).map(|r| view.row(r).unwrap().local_id).collect()
}

/// Runs the pass the view handed out, if any, as the runtime does (split across threads), and
/// gives the view its answer. Whether there was one.
fn run_pass(view: &mut HistoryView) -> bool {
    let Some(pass) = view.take_pass() else { return false };
    let Msg::Filtered { generation, rows } = crate::runtime::run_pass(&pass) else {
        unreachable!("a pass answers Filtered")
    };
    view.filtered(generation, rows);
    true
}

/// A history long enough that a pass goes to a worker, which splits it across threads: what it
/// lists is exactly what one pass over every lead lists, in the same order, when searching from
/// scratch and when narrowing; and the selection follows its lead.
#[test]
fn a_long_pass_split_across_threads_lists_what_one_pass_lists() {
    let names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov"];
    let entries: Vec<LeadEntry> = (0..120_000u32).map(|n| lead(n, names[n as usize % names.len()])).collect();
    let mut view = HistoryView::default();
    view.load(entries.clone().into(), vec![], |_| false);
    let expect =
        |filter: &Filter| -> Vec<LocalId> { filter.apply(&entries).iter().map(|e| e.local_id).collect() };
    for search in ["a", "ali", "alan t", "+14150", "+141500011", "zzz"] {
        view.filter = Filter { search: Some(search.into()), ..Filter::default() };
        view.refilter();
        let long = view.to_start.as_ref().map(FilterPass::len);
        run_pass(&mut view);
        assert_eq!(listed(&view), expect(&view.filter), "{search}");
        // In a history this long every pass goes to the worker, narrowed or over every lead.
        assert!(long.is_some(), "{search}");
        if matches!(search, "a" | "+14150") {
            assert_eq!(long, Some(120_000), "{search}");
        }
    }
    // Selected: a lead in the middle; a filter it passes keeps it selected.
    view.filter = Filter::default();
    view.refilter();
    assert!(!run_pass(&mut view), "no filter, no pass");
    view.selected = 50_000;
    let chosen = view.selected_entry().unwrap();
    assert_eq!(chosen.status, Status::Created);
    let chosen = chosen.local_id;
    view.filter = Filter { status: Some(Status::Created), ..Filter::default() };
    view.refilter();
    assert!(run_pass(&mut view), "a full pass over 120,000 leads goes to the worker");
    assert_eq!(listed(&view), expect(&view.filter));
    assert_eq!(view.selected_entry().map(|e| e.local_id), Some(chosen), "the selection stays on its lead");
    assert!(view.selected < 50_000, "fewer rows above it now");
}

/// While a pass is on a worker the view lists what it listed before; leads that change meanwhile
/// are judged by the next pass, and leads added meanwhile by the answer.
#[test]
fn a_pass_on_a_worker_takes_in_what_changed_while_it_ran() {
    let names = ["Ada Lovelace", "Grace Hopper"];
    let mut entries: Vec<LeadEntry> = (0..40u32).map(|n| lead(n, names[n as usize % 2])).collect();
    let mut view = HistoryView::default();
    view.set_worker_from(0);
    view.load(entries.clone().into(), vec![], |_| false);
    view.filter = Filter { search: Some("ada".into()), ..Filter::default() };
    view.refilter();
    assert_eq!(view.len(), 40, "nothing listed differently until the answer");
    assert!(view.is_filtered());
    let pass = view.take_pass().unwrap();
    // A lead is added and one changes (its name now matches) while the pass runs.
    let added = lead(100, "Ada Byron");
    view.push(added.clone());
    entries.push(added);
    view.get_mut(&LocalId(uuid::Uuid::from_u128(1))).unwrap().request.variables =
        [("customer_name", "Ada King")].into();
    entries[1].request.variables = [("customer_name", "Ada King")].into();
    let Msg::Filtered { generation, rows } = crate::runtime::run_pass(&pass) else { unreachable!() };
    view.filtered(generation, rows);
    let expect = |filter: &Filter, entries: &[LeadEntry]| -> Vec<LocalId> {
        filter.apply(entries).iter().map(|e| e.local_id).collect()
    };
    let mut shown = expect(&view.filter, &entries);
    shown.retain(|id| *id != LocalId(uuid::Uuid::from_u128(1)));
    assert_eq!(listed(&view), shown, "the added lead on top; the changed one not yet");
    // The change is taken in by the next pass, made from scratch (not narrowed from the rows of
    // a pass that read the lead before it changed).
    view.filter.search = Some("ada k".into());
    view.refilter();
    assert!(run_pass(&mut view));
    assert_eq!(listed(&view), expect(&view.filter, &entries));
    assert_eq!(view.len(), 1);
}

/// The names by campaign made in one pass from the newest are those noting each lead in turn
/// makes: each campaign's names ordered by their last use, oldest first; the same pass gives
/// every lead's contact key and the open leads in order.
#[test]
fn names_by_campaign_in_one_pass_are_those_noted_lead_by_lead() {
    let names = ["customer_name", "company_name", "email", "notes", "preferred_time"];
    let entries: Vec<LeadEntry> = (0..400u32)
        .map(|n| {
            let mut entry = lead(n, "x");
            entry.request.campaign_id = u64::from(n % 3);
            // Names in changing orders and numbers, so uses come back in another order.
            entry.request.variables =
                (0..(n % 4) + 1).map(|k| (names[((n / 3 + k * (n % 5 + 1)) % 5) as usize], "v")).collect();
            entry
        })
        .collect();
    let mut entries = entries;
    // Some still open (pending): neither packed nor settled.
    for n in [3, 150, 399] {
        entries[n].status = Status::Pending;
    }
    let mut noted = HashMap::new();
    entries.iter().for_each(|e| note_keys(&mut noted, e));
    let contact_keys: Vec<u64> = entries.iter().map(contact_key).collect();
    let open: Vec<LocalId> = [3, 150, 399].map(|n| entries[n].local_id).to_vec();
    // Read from the leads made, and from the same leads packed.
    let packed = Leads::from(entries.clone()).pack();
    assert!(packed.packed() > 300, "{packed:?}");
    for leads in [Leads::from(entries), packed] {
        let scanned = scan(&leads);
        // The same pass reads each lead's contact key and whether it is open, oldest first.
        assert_eq!(scanned.contact_keys, contact_keys);
        assert_eq!(scanned.open, open);
        let made = scanned.keys_by_campaign;
        assert_eq!(made.len(), 3);
        for (campaign, keys) in &noted {
            let made: Vec<&String> = made[campaign].iter().collect();
            assert_eq!(made, keys.iter().collect::<Vec<_>>(), "campaign {campaign}");
        }
    }
}
