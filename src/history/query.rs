//! The query side of the history: filtering leads by what a person would search for, and the
//! export shapes (`history --json`, `--csv` in the dashboard's import layout).

use indexmap::IndexSet;
use serde::Serialize;

use super::record::{LeadEntry, LeadError, Status};
use crate::api::types::{SecondaryContact, Variables};
use crate::lead::Region;
use crate::matching::{Query, SearchText};

/// What to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Words to find in the phone, any variable value, the secondary contacts' phones, the
    /// campaign's name or `#id`, the status, or the server's lead id, by the rules of
    /// [`crate::matching`].
    pub search: Option<String>,
    /// Only this status.
    pub status: Option<Status>,
    /// Only this campaign.
    pub campaign: Option<u64>,
    /// How numbers searched for the national way are read (`0170 …` in DE); not a filter itself.
    pub region: Option<Region>,
}

impl Filter {
    /// Whether `entry` passes.
    pub fn matches(&self, entry: &LeadEntry) -> bool {
        self.prepare().matches(entry, &search_key(entry))
    }

    /// The matching leads, newest first. A lead's search text is made only when there is a
    /// search (`history` with no `--search` lists 100,000 leads without folding any).
    pub fn apply<'a>(&self, entries: &'a [LeadEntry]) -> Vec<&'a LeadEntry> {
        let prepared = self.prepare();
        let mut key = String::new();
        let mut passes = |e: &LeadEntry| {
            prepared.matches_with(e.status, e.request.campaign_id, || {
                key = search_key(e);
                (&e.request.phone_number, &key)
            })
        };
        entries.iter().rev().filter(|e| passes(e)).collect()
    }

    /// Whether it keeps every lead (no search, no status, no campaign).
    pub fn is_empty(&self) -> bool {
        self.search.as_deref().is_none_or(|s| s.trim().is_empty())
            && self.status.is_none()
            && self.campaign.is_none()
    }

    /// The filter made ready for a pass over many leads: the search read once.
    pub fn prepare(&self) -> Prepared {
        let query = Query::new(self.search.as_deref().unwrap_or(""), self.region);
        Prepared { query, status: self.status, campaign: self.campaign }
    }
}

/// A [`Filter`] ready to test many leads quickly.
#[derive(Debug, Clone)]
pub struct Prepared {
    query: Query,
    status: Option<Status>,
    campaign: Option<u64>,
}

impl Prepared {
    /// Whether `entry` passes, given its [`search_key`].
    pub fn matches(&self, entry: &LeadEntry, key: &str) -> bool {
        self.matches_with(entry.status, entry.request.campaign_id, || (&entry.request.phone_number, key))
    }

    /// Whether a lead with this status and campaign passes, `text` giving its phone and
    /// [`search_key`] only when the search needs them (what
    /// [`SearchIndex`](super::search_index::SearchIndex) keeps of each lead).
    pub fn matches_with<'a>(
        &self,
        status: Status,
        campaign: u64,
        text: impl FnOnce() -> (&'a str, &'a str),
    ) -> bool {
        if self.status.is_some_and(|s| s != status) || self.campaign.is_some_and(|c| c != campaign) {
            return false;
        }
        if self.query.is_empty() {
            return true;
        }
        let (phone, key) = text();
        self.query.matches(key, phone, status.as_str())
    }

    /// What a lead's campaign gives every lead in it: `None` when the campaign is filtered out,
    /// else which words of the search (bits by place, see [`Query::found_in`]) its `key` holds
    /// (its [`campaign_search_key`]).
    pub fn campaign_found(&self, campaign: u64, key: &str) -> Option<u64> {
        if self.campaign.is_some_and(|c| c != campaign) {
            return None;
        }
        Some(if self.query.is_empty() { 0 } else { self.query.found_in(key) })
    }

    /// Whether a lead with this status, in a campaign with this `key` that passed with `found`
    /// ([`campaign_found`](Self::campaign_found)), passes; `text` gives its phone and
    /// [`own_search_key`] only when the search needs them.
    pub fn matches_beside<'a>(
        &self,
        status: Status,
        (key, found): (&str, u64),
        text: impl FnOnce() -> (&'a str, &'a str),
    ) -> bool {
        if self.status.is_some_and(|s| s != status) {
            return false;
        }
        if self.query.is_empty() {
            return true;
        }
        let (phone, own) = text();
        self.query.matches_beside(own, phone, status.as_str(), key, found)
    }

    /// Whether every lead this filter keeps is kept by `earlier` too (the same quick filters, a
    /// search that grew: see [`Query::narrows`]), so a pass need only look at what `earlier` kept.
    pub fn narrows(&self, earlier: &Prepared) -> bool {
        self.status == earlier.status
            && self.campaign == earlier.campaign
            && self.query.narrows(&earlier.query)
    }

    /// The search, to show what it matched.
    pub fn query(&self) -> &Query {
        &self.query
    }
}

/// Everything a search looks in beyond the lead's phone and status (which every lead holds and
/// are searched where they are), folded once: every variable value, the contacts' phones and
/// values, the campaign's name and `#id`, the server's lead id. See [`SearchText`].
pub fn search_key(entry: &LeadEntry) -> String {
    let mut text = SearchText::default();
    own_fields(entry, &mut text);
    campaign_fields(entry.request.campaign_id, entry.campaign_name.as_deref(), &mut text);
    text.finish()
}

/// What [`search_key`] holds that is the lead's own: all of it but its campaign's fields (which
/// the search index keeps once per campaign).
pub(crate) fn own_search_key(entry: &LeadEntry) -> String {
    let mut text = SearchText::default();
    own_fields(entry, &mut text);
    text.finish()
}

/// What [`search_key`] holds of the campaign `id`, known as `name`: the name and `#id`.
pub(crate) fn campaign_search_key(id: u64, name: Option<&str>) -> String {
    let mut text = SearchText::default();
    campaign_fields(id, name, &mut text);
    text.finish()
}

fn own_fields(entry: &LeadEntry, text: &mut SearchText) {
    let request = &entry.request;
    request.variables.values().for_each(|v| text.field(v));
    for contact in &request.secondary_contacts {
        text.phone(&contact.phone_number);
        contact.variables.values().for_each(|v| text.field(v));
    }
    if let Some(id) = &entry.lead_id {
        text.field(id);
    }
}

fn campaign_fields(id: u64, name: Option<&str>, text: &mut SearchText) {
    if let Some(name) = name {
        text.field(name);
    }
    text.field(&format!("#{id}"));
}

/// One lead in `history --json`.
#[derive(Debug, Serialize)]
pub struct LeadJson<'a> {
    /// The local id.
    pub local_id: String,
    /// Local status.
    pub status: &'static str,
    /// E.164 phone.
    pub phone_number: &'a str,
    /// Campaign id.
    pub campaign_id: u64,
    /// Campaign name, when known.
    pub campaign_name: Option<&'a str>,
    /// Variables as sent.
    pub variables: &'a Variables,
    /// Secondary contacts as sent.
    pub secondary_contacts: &'a [SecondaryContact],
    /// Whether duplicates were allowed.
    pub allow_duplicate: bool,
    /// The server's id, or null.
    pub lead_id: Option<&'a str>,
    /// Submission time (RFC 3339, UTC).
    pub submitted_at: String,
    /// Time of the latest record.
    pub updated_at: String,
    /// The latest error, or null.
    pub error: Option<&'a LeadError>,
    /// Attempts that have ended.
    pub attempts: u32,
    /// Whether it was taken back (deleted on the server).
    pub deleted: bool,
    /// The status the server last reported, or null.
    pub server_status: Option<&'a str>,
    /// How many fixes and deletes were asked for it.
    pub changes: usize,
}

impl<'a> From<&'a LeadEntry> for LeadJson<'a> {
    fn from(e: &'a LeadEntry) -> Self {
        LeadJson {
            local_id: e.local_id.to_string(),
            status: e.status.as_str(),
            phone_number: &e.request.phone_number,
            campaign_id: e.request.campaign_id,
            campaign_name: e.campaign_name.as_deref(),
            variables: &e.request.variables,
            secondary_contacts: &e.request.secondary_contacts,
            allow_duplicate: e.request.allow_dupplicate,
            lead_id: e.lead_id.as_deref(),
            submitted_at: e.submitted_at.to_string(),
            updated_at: e.updated_at.to_string(),
            error: e.error.as_deref(),
            attempts: e.attempts,
            deleted: e.is_deleted(),
            server_status: e.server_status.as_deref(),
            changes: e.changes().len(),
        }
    }
}

/// Writes leads as CSV in the Autocalls dashboard's import layout: `phone_number`, one column per
/// variable name found (in order of first use), then `secondary_phone_1` … `secondary_phone_N`.
///
/// `each` hands out the leads in order, and is called twice: once for the columns, once for the
/// rows (so leads made one at a time, as packed ones are, are never all held at once).
pub fn write_csv<W: std::io::Write>(each: impl Fn(&mut dyn FnMut(&LeadEntry)), out: W) -> csv::Result<()> {
    let mut names: IndexSet<String> = IndexSet::new();
    let mut secondary = 0;
    each(&mut |e| {
        for name in e.request.variables.keys() {
            if !names.contains(name) {
                names.insert(name.to_owned());
            }
        }
        secondary = secondary.max(e.request.secondary_contacts.len());
    });
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["phone_number".to_owned()];
    header.extend(names.iter().cloned());
    header.extend((1..=secondary).map(|i| format!("secondary_phone_{i}")));
    writer.write_record(&header)?;
    let mut written = Ok(());
    each(&mut |e| {
        if written.is_err() {
            return;
        }
        let mut row = vec![e.request.phone_number.as_str()];
        row.extend(names.iter().map(|n| e.request.variables.get(n).unwrap_or("")));
        row.extend(
            (0..secondary)
                .map(|i| e.request.secondary_contacts.get(i).map(|s| s.phone_number.as_str()).unwrap_or("")),
        );
        written = writer.write_record(&row);
    });
    written?;
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::CreateLead;
    use crate::history::LocalId;

    fn entry(phone: &str, campaign: u64, vars: &[(&str, &str)], secondary: &[&str]) -> LeadEntry {
        LeadEntry::new(
            LocalId::new(),
            jiff::Timestamp::UNIX_EPOCH,
            CreateLead {
                phone_number: phone.into(),
                campaign_id: campaign,
                variables: vars.iter().copied().collect(),
                allow_dupplicate: false,
                secondary_contacts: secondary
                    .iter()
                    .map(|p| SecondaryContact { phone_number: (*p).into(), variables: Variables::new() })
                    .collect(),
            },
        )
    }

    #[test]
    fn search_finds_phone_in_any_format_variables_and_campaign() {
        let mut ada = entry("+14155550100", 1, &[("customer_name", "Ada Lovelace")], &[]);
        ada.campaign_name = Some("Trade Fair".into());
        let f = |s: &str| Filter { search: Some(s.into()), ..Filter::default() };
        assert!(f("lovelace").matches(&ada));
        assert!(f("415 555").matches(&ada));
        assert!(f("4155550100").matches(&ada));
        assert!(f("(415) 555-0100").matches(&ada));
        assert!(f("+1415").matches(&ada), "the phone as written, not in the search text");
        assert!(f("+1").matches(&ada) && f("55").matches(&ada), "parts too short to be searched as digits");
        let with_contact = entry("+14155550100", 1, &[], &["+442079460958"]);
        assert!(f("+4420").matches(&with_contact), "a secondary contact's phone");
        assert!(f("trade").matches(&ada));
        assert!(f("#1").matches(&ada));
        assert!(f("pending").matches(&ada));
        assert!(!f("babbage").matches(&ada));
        assert!(!Filter { status: Some(Status::Created), ..Filter::default() }.matches(&ada));
        assert!(!Filter { campaign: Some(2), ..Filter::default() }.matches(&ada));
    }

    fn search(text: &str, region: Option<Region>) -> Filter {
        Filter { search: Some(text.into()), region, ..Filter::default() }
    }

    #[test]
    fn search_ignores_case_and_accents_and_takes_every_word_in_any_order() {
        let mut lead = entry("+14155550100", 12, &[("customer_name", "Jörg Müller")], &[]);
        lead.campaign_name = Some("Hannover Messe 2025 – Rückrufe Standbesucher".into());
        for text in
            ["ruck", "rück", "RÜCK", "muller", "MÜLLER", "hannover rück", "rück hannover", "müller 2025"]
        {
            assert!(search(text, None).matches(&lead), "{text}");
        }
        assert!(search("jörg messe #12", None).matches(&lead), "words from different fields");
        assert!(!search("hannover babbage", None).matches(&lead), "every word must match");
        assert!(!search("jorgmesse", None).matches(&lead), "one word does not take letters from two fields");
        assert!(search("standbsucher", None).matches(&lead), "from the fourth letter a word may skip");
    }

    #[test]
    fn a_number_typed_the_national_way_is_read_through_the_region() {
        let de: Option<Region> = Some("DE".parse().unwrap());
        let lead = entry("+491701234505", 1, &[("customer_name", "Ada")], &[]);
        assert!(search("0170 1234505", de).matches(&lead));
        assert!(search("0170/123", de).matches(&lead));
        assert!(search("170 1234505", None).matches(&lead), "digits anywhere, as before");
        assert!(!search("0170 1234505", None).matches(&lead), "no region: the 0 is a digit");
        assert!(!search("0171 1234505", de).matches(&lead));
        assert!(!search("1705", de).matches(&lead), "digits are never matched scattered");
    }

    #[test]
    fn secondary_numbers_are_found_in_any_format() {
        let de: Option<Region> = Some("DE".parse().unwrap());
        let lead = entry("+14155550100", 1, &[], &["+493012345678"]);
        for text in ["+493012345678", "+49 30 1234 5678", "030 1234 5678", "0049 30 12345678", "12345678"] {
            assert!(search(text, de).matches(&lead), "{text}");
        }
        assert!(!search("030 1234 5679", de).matches(&lead));
    }

    #[test]
    fn csv_uses_the_import_layout_and_quotes() {
        let a = entry(
            "+14155550100",
            1,
            &[("customer_name", "Doe, \"JD\" John"), ("email", "j@x")],
            &["+442079460958"],
        );
        let b = entry("+491701234567", 1, &[("company", "Müller\nGmbH")], &["+14155550101", "+14155550102"]);
        let mut out = Vec::new();
        write_csv(|f| [&a, &b].into_iter().for_each(f), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(
            header,
            ["phone_number", "customer_name", "email", "company", "secondary_phone_1", "secondary_phone_2"]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][1], "Doe, \"JD\" John");
        assert_eq!(&rows[1][3], "Müller\nGmbH");
        assert_eq!(&rows[1][5], "+14155550102");
        assert_eq!(&rows[0][5], "");
    }
}
