//! What the app knows of the account: campaigns (for the picker and for names) and the outbound
//! assistants' call variables (for name suggestions). Loaded from the cache first so an offline
//! start still offers them, then refreshed from the server.

use indexmap::IndexSet;
use jiff::Timestamp;

use super::{App, Effect, Focus, Level};
use crate::api::ApiError;
use crate::api::types::{Assistant, Campaign};
use crate::matching::Query;
use crate::sanitize::cleaned;

/// Where the campaign list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// Not known yet.
    #[default]
    Nothing,
    /// The cache, fetched at that time.
    Cache(Timestamp),
    /// The server, just now.
    Server,
}

/// Campaigns and variable names, cleaned for display.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// The account's campaigns.
    pub campaigns: Vec<Campaign>,
    /// Where they came from.
    pub source: Source,
    /// Why the last fetch failed, while it has.
    pub fetch_error: Option<String>,
    /// The outbound assistants' variable names, in first-seen order.
    pub variable_names: IndexSet<String>,
    assistants_from_server: bool,
}

impl Catalog {
    /// The campaign with this id.
    pub fn campaign(&self, id: u64) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    fn set_campaigns(&mut self, campaigns: Vec<Campaign>, source: Source) {
        self.campaigns = campaigns
            .into_iter()
            .map(|c| Campaign { name: cleaned(&c.name), status: c.status.map(|s| cleaned(&s)), ..c })
            .collect();
        self.source = source;
    }

    fn set_assistants(&mut self, assistants: &[Assistant]) {
        self.variable_names = assistants
            .iter()
            .flat_map(|a| a.variables.keys())
            .map(|k| cleaned(k).trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect();
    }
}

/// The open campaign list: which entry is highlighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Picker {
    /// Index into the filtered matches.
    pub selected: usize,
}

impl App {
    /// Campaigns matching what is typed in the campaign field, best first: by name (every word,
    /// in any order, by the rules of [`crate::matching`]) or by id (from its start, the exact id
    /// first); all of them, in their order, when the field is empty.
    pub fn campaign_matches(&self) -> Vec<&Campaign> {
        let query = self.campaign_query();
        let mut ranked: Vec<(u32, &Campaign)> =
            self.catalog.campaigns.iter().filter_map(|c| Some((query.rank(&c.name, c.id)?, c))).collect();
        // Stable: equal scores keep the list's order.
        ranked.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        ranked.into_iter().map(|(_, c)| c).collect()
    }

    /// What is typed in the campaign field, read as a search (a `#` before an id is left out).
    pub fn campaign_query(&self) -> Query {
        Query::new(self.entry.form.campaign.text().trim().trim_start_matches('#'), None)
    }

    pub(super) fn cache_loaded(
        &mut self,
        campaigns: Option<(Vec<Campaign>, Timestamp)>,
        assistants: Option<(Vec<Assistant>, Timestamp)>,
        problems: Vec<String>,
    ) -> Vec<Effect> {
        if let Some((campaigns, at)) = campaigns
            && self.catalog.source == Source::Nothing
        {
            self.catalog.set_campaigns(campaigns, Source::Cache(at));
        }
        if let Some((assistants, _)) = assistants
            && !self.catalog.assistants_from_server
        {
            self.catalog.set_assistants(&assistants);
        }
        if let Some(problem) = problems.first() {
            self.notify(Level::Error, problem.clone());
        }
        self.prefill_if_empty();
        vec![]
    }

    pub(super) fn campaigns_fetched(&mut self, result: Result<Vec<Campaign>, ApiError>) -> Vec<Effect> {
        // The first answer of the day says whether the server is there.
        self.connection = match &result {
            Err(ApiError::Unreachable(_)) => super::Connection::Offline,
            _ => super::Connection::Online,
        };
        match result {
            Ok(campaigns) => {
                self.catalog.fetch_error = None;
                self.catalog.set_campaigns(campaigns.clone(), Source::Server);
                self.clamp_picker();
                vec![Effect::SaveCampaigns(campaigns)]
            }
            Err(e) => {
                self.catalog.fetch_error = Some(e.to_string());
                vec![]
            }
        }
    }

    pub(super) fn assistants_fetched(&mut self, result: Result<Vec<Assistant>, ApiError>) -> Vec<Effect> {
        let Ok(assistants) = result else { return vec![] };
        self.catalog.set_assistants(&assistants);
        self.catalog.assistants_from_server = true;
        self.prefill_if_empty();
        vec![Effect::SaveAssistants(assistants)]
    }

    /// The campaign id the form holds, when it is one.
    pub fn form_campaign_id(&self) -> Option<u64> {
        crate::lead::parse_campaign_id(self.entry.form.campaign.text()).ok()
    }

    /// Variable names worth offering in this campaign: names used before in it (newest habits
    /// first), then the assistants' names.
    pub fn suggested_keys(&self, campaign: Option<u64>) -> Vec<&str> {
        let mut keys: IndexSet<&str> = IndexSet::new();
        if let Some(used) = campaign.and_then(|c| self.history.keys_used_in(c)) {
            keys.extend(used.iter().rev().map(String::as_str));
        }
        keys.extend(self.catalog.variable_names.iter().map(String::as_str));
        keys.into_iter().collect()
    }

    /// The completion offered for the focused variable name field: the first suggested name that
    /// starts with what is typed and is not used by another row of the same list.
    pub fn key_suggestion(&self) -> Option<&str> {
        let rows = match self.focus {
            Focus::VarKey(_) => &self.entry.form.variables,
            Focus::SecVarKey(c, _) => &self.entry.form.secondary.get(c)?.variables,
            _ => return None,
        };
        let field = self.entry.form.field(self.focus)?;
        if field.cursor() != field.text().chars().count() {
            return None;
        }
        let typed = field.text().to_lowercase();
        let (Focus::VarKey(row) | Focus::SecVarKey(_, row)) = self.focus else { return None };
        let taken = |k: &str| rows.iter().enumerate().any(|(i, r)| i != row && r.key.text().trim() == k);
        self.suggested_keys(self.form_campaign_id())
            .into_iter()
            .find(|k| k.to_lowercase().starts_with(&typed) && k.len() > typed.len() && !taken(k))
    }

    pub(super) fn accept_suggestion(&mut self) {
        let Some(suggestion) = self.key_suggestion().map(str::to_owned) else { return };
        if let Some(field) = self.entry.form.field_mut(self.focus) {
            field.set_text(&suggestion);
            self.entry.form.errors.remove(&self.focus);
        }
    }

    /// Pre-fills the rows once the names are known, unless the user has rows already.
    fn prefill_if_empty(&mut self) {
        if self.entry.form.variables.is_empty() && self.form_campaign_id().is_some() {
            self.prefill_rows();
        }
    }

    /// Opens the campaign list when there is one to show.
    pub(super) fn open_picker(&mut self) {
        if !self.catalog.campaigns.is_empty() {
            self.entry.picker = Some(Picker::default());
            self.clamp_picker();
        }
    }

    fn clamp_picker(&mut self) {
        let count = self.campaign_matches().len();
        if let Some(picker) = &mut self.entry.picker {
            picker.selected = picker.selected.min(count.saturating_sub(1));
        }
    }

    /// Moves the highlight in the campaign list.
    pub(super) fn move_picker(&mut self, delta: isize) {
        let count = self.campaign_matches().len();
        if let Some(picker) = &mut self.entry.picker
            && count > 0
        {
            picker.selected = (picker.selected as isize + delta).rem_euclid(count as isize) as usize;
        }
    }

    /// Takes the highlighted campaign (or the one at `index`) into the field.
    pub(super) fn take_campaign(&mut self, index: Option<usize>) {
        let Some(picker) = self.entry.picker else { return };
        let Some(id) = self.campaign_matches().get(index.unwrap_or(picker.selected)).map(|c| c.id) else {
            return;
        };
        self.entry.form.campaign.set_text(&id.to_string());
        self.entry.form.errors.remove(&Focus::Campaign);
        self.entry.picker = None;
        if self.entry.campaign_on_enter != Some(id) {
            self.entry.campaign_on_enter = Some(id);
            self.prefill_rows();
        }
    }

    /// Leaving the campaign field: a name typed there takes the highlighted match; a number stays
    /// as typed (so an id works even when the list could not be loaded).
    pub(super) fn leave_campaign(&mut self) {
        let typed_name = self.form_campaign_id().is_none() && !self.entry.form.campaign.is_blank();
        if typed_name && let Some(before) = self.entry.campaign_on_enter {
            // Words typed over a chosen campaign and left (often a value typed one field off)
            // never switch it: the campaign stays, and the notice says so. Enter or a click picks.
            let typed = self.entry.form.campaign.text().trim().to_owned();
            self.entry.form.campaign.set_text(&before.to_string());
            self.entry.picker = None;
            self.notify(
                Level::Error,
                format!(
                    "Campaign kept as #{before}: “{typed}” was not taken (Enter in the list picks a campaign)"
                ),
            );
            return;
        }
        if self.entry.picker.is_some() && typed_name {
            self.take_campaign(None);
        }
        self.entry.picker = None;
        let chosen = self.form_campaign_id();
        if chosen.is_some() && chosen != self.entry.campaign_on_enter {
            self.entry.campaign_on_enter = chosen;
            self.prefill_rows();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AppOptions;

    /// The names the picker lists for `typed`, in order.
    fn listed(typed: &str) -> Vec<String> {
        let (mut app, _) = App::new(AppOptions::default());
        let campaign = |id, name: &str| Campaign { id, name: name.into(), status: None };
        app.catalog.set_campaigns(
            vec![
                campaign(3, "Druckerei Rundruck"),
                campaign(120, "Winter Promo"),
                campaign(12, "Hannover Messe 2025 – Rückrufe Standbesucher"),
                campaign(7, "Webinar 12 Follow-up"),
            ],
            Source::Server,
        );
        app.entry.form.campaign.set_text(typed);
        app.campaign_matches().iter().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn names_match_without_case_or_accents_by_every_word() {
        let fair = "Hannover Messe 2025 – Rückrufe Standbesucher";
        for typed in ["ruck", "rück", "RÜCK", "hannover rück", "rück HANNOVER", "messe 2025"] {
            assert!(listed(typed).contains(&fair.to_owned()), "{typed}");
        }
        assert!(listed("hannover winter").is_empty(), "every word must match one name");
        assert_eq!(listed("standbsucher"), [fair], "from the fourth letter a word may skip");
    }

    #[test]
    fn an_id_matches_from_its_start_the_exact_one_first() {
        assert_eq!(
            listed("12"),
            ["Hannover Messe 2025 – Rückrufe Standbesucher", "Winter Promo", "Webinar 12 Follow-up"]
        );
        assert_eq!(listed("#120"), ["Winter Promo"]);
        assert!(listed("21").is_empty(), "an id from its start (`12` does not end with it)");
    }

    #[test]
    fn the_best_match_comes_first() {
        // `ruck` begins a word in the fair's name, and is inside one in the printer's.
        assert_eq!(listed("ruck"), ["Hannover Messe 2025 – Rückrufe Standbesucher", "Druckerei Rundruck"]);
        assert_eq!(listed("").len(), 4, "all, in their order, when nothing is typed");
    }
}
