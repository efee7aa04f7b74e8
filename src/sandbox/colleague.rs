//! A colleague who enters leads into the fair campaign from another machine now and then, so the
//! app can be seen telling the user that a phone is already in the campaign though this history
//! never had it. The leads are the sandbox's own, made as a create would make them.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::SandboxState;
use super::validate::NewLead;

/// The campaign the colleague works in.
pub const CAMPAIGN: u64 = 12;

/// Who the colleague meets, in turn: a name and a German mobile number.
const CARDS: &[(&str, &str)] = &[
    ("Katrin Vogel", "+4917012345610"),
    ("Mehmet Aydın", "+4917012345611"),
    ("Sophie Lambert", "+4917012345612"),
    ("Jonas Becker", "+4917012345613"),
    ("Aiko Tanaka", "+4917012345614"),
    ("Lars Nilsson", "+4917012345615"),
];

/// Starts the colleague: a lead every `every`, each card once (a card already in the campaign,
/// from an earlier run, is skipped).
pub(crate) fn work(state: SandboxState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut cards = CARDS.iter();
        loop {
            tokio::time::sleep(every).await;
            let mut store = state.lock();
            let next = cards.by_ref().find(|(_, phone)| {
                !store.leads.iter().any(|l| l.campaign_id == CAMPAIGN && l.phone_number == *phone)
            });
            let Some(&(name, phone)) = next else { return };
            let mut variables = Map::new();
            variables.insert("customer_name".into(), json!(name));
            variables.insert("source".into(), Value::from("colleague"));
            store.add(NewLead {
                phone_number: phone.to_owned(),
                campaign_id: CAMPAIGN,
                variables,
                allow_duplicate: false,
                secondary: Vec::new(),
            });
        }
    })
}
