//! The form's rows per campaign: what a campaign's leads use is remembered when a lead is sent
//! there, learnt from the campaign's leads on the server when nothing is remembered, and only
//! then guessed from the names the assistants define and the names used before.

use std::collections::HashMap;

use super::form::VarRow;
use super::{Action, App, Effect, Level};
use crate::api::ApiError;
use crate::api::types::Lead;
use crate::layout::Layout;

/// What the app knows of each campaign's rows.
#[derive(Debug, Clone, Default)]
pub struct Layouts {
    /// Learnt from the leads sent from this app, by campaign (remembered across runs).
    pub own: HashMap<u64, Layout>,
    /// Learnt from the campaign's leads on the server this run; `None` when they carry no
    /// variables, absent while not asked.
    pub server: HashMap<u64, Option<Layout>>,
}

impl App {
    /// The rows the next lead in `campaign` should offer: what was sent there before, else what
    /// its leads on the server carry, else the names used before here and the assistants'.
    pub fn layout_for(&self, campaign: u64) -> Layout {
        if let Some(own) = self.entry.layouts.own.get(&campaign) {
            return own.clone();
        }
        if let Some(Some(server)) = self.entry.layouts.server.get(&campaign) {
            return server.clone();
        }
        let variables = self.suggested_keys(Some(campaign)).into_iter().map(str::to_owned).collect();
        Layout { variables, contacts: vec![] }
    }

    /// Whether a variable name is one an assistant defines or the campaign's leads on the server
    /// carry; other names are marked in the form, not refused (an assistant list can be old).
    pub fn is_known_name(&self, name: &str) -> bool {
        let server =
            self.form_campaign_id().and_then(|c| self.entry.layouts.server.get(&c).cloned().flatten());
        self.catalog.variable_names.is_empty()
            || self.catalog.variable_names.contains(name)
            || server.is_some_and(|l| l.variables.iter().any(|v| v == name))
    }

    /// Whether the form's rows for `campaign` come from what was sent there (not a guess).
    pub fn layout_is_learnt(&self, campaign: u64) -> bool {
        self.entry.layouts.own.contains_key(&campaign)
            || matches!(self.entry.layouts.server.get(&campaign), Some(Some(_)))
    }

    /// Sets the form's rows to the campaign's layout, in its order. Nothing typed is lost: a row
    /// with a value keeps it (also when the layout lacks its name, then it stays below), and
    /// contacts are replaced only while they are all blank. Asks the server for the campaign's
    /// leads when nothing is remembered for it.
    pub(super) fn prefill_rows(&mut self) {
        let Some(campaign) = self.form_campaign_id() else { return };
        if !self.entry.layouts.own.contains_key(&campaign)
            && !self.entry.layouts.server.contains_key(&campaign)
        {
            // Asked once a run; the answer re-applies the rows while they are still untouched.
            self.entry.layouts.server.insert(campaign, None);
            self.queued.push(Effect::FetchLayout(campaign));
        }
        let layout = self.layout_for(campaign);
        let old = std::mem::take(&mut self.entry.form.variables);
        let mut rows: Vec<VarRow> = layout
            .variables
            .iter()
            .map(|name| {
                old.iter()
                    .find(|r| r.key.text().trim() == name)
                    .cloned()
                    .unwrap_or_else(|| VarRow::with_key(name))
            })
            .collect();
        for row in old {
            let kept = rows.iter().any(|r| r.key.text().trim() == row.key.text().trim());
            if !row.value.is_blank() && !kept {
                rows.push(row);
            }
        }
        self.entry.form.variables = rows;
        if self.entry.form.secondary.iter().all(super::form::ContactForm::is_blank) {
            self.entry.form.secondary.clear();
            for names in &layout.contacts {
                self.entry.form.add_contact(names);
            }
        }
    }

    /// The rows a new secondary contact gets: the campaign's contacts' rows, else those of the
    /// contact above it.
    pub(super) fn contact_rows(&self) -> Vec<String> {
        let n = self.entry.form.secondary.len();
        let from_layout = self.form_campaign_id().map(|c| self.layout_for(c)).and_then(|l| {
            let last = l.contacts.len().checked_sub(1)?;
            l.contacts.get(n.min(last)).cloned()
        });
        from_layout.unwrap_or_else(|| {
            self.entry
                .form
                .secondary
                .last()
                .map(|c| c.variables.iter().map(|r| r.key.text().trim().to_owned()).collect())
                .unwrap_or_default()
        })
    }

    /// A lead was sent from the form: its rows are this campaign's layout from now on.
    pub(super) fn learn_layout(&mut self, campaign: u64) {
        let names: Vec<String> = self.entry.form.variables.iter().map(|r| r.key.text().to_owned()).collect();
        let contacts: Vec<(bool, Vec<String>)> = self
            .entry
            .form
            .secondary
            .iter()
            .map(|c| (!c.phone.is_blank(), c.variables.iter().map(|r| r.key.text().to_owned()).collect()))
            .collect();
        let layout = Layout::of_form(&names, &contacts);
        if self.entry.layouts.own.get(&campaign) != Some(&layout) {
            self.entry.layouts.own.insert(campaign, layout.clone());
            self.queued.push(Effect::RememberLayout { campaign, layout: Some(layout) });
        }
    }

    /// The campaign's leads on the server answered: their names are its layout unless one is
    /// remembered; the form takes them while its rows are untouched.
    pub(super) fn layout_fetched(&mut self, campaign: u64, result: Result<Vec<Lead>, ApiError>) {
        let Ok(leads) = result else {
            // Asked again next time the campaign is chosen.
            self.entry.layouts.server.remove(&campaign);
            return;
        };
        let learnt = Layout::of_server_leads(&leads);
        let changed = learnt.is_some();
        self.entry.layouts.server.insert(campaign, learnt);
        let untouched = self.entry.form.variables.iter().all(|r| r.value.is_blank());
        if changed
            && untouched
            && self.form_campaign_id() == Some(campaign)
            && !self.entry.layouts.own.contains_key(&campaign)
        {
            self.prefill_rows();
        }
    }

    /// Forgets the rows remembered for the form's campaign and lays the form out again from the
    /// campaign's leads on the server and the assistants' names.
    pub(super) fn reset_layout(&mut self) {
        let Some(campaign) = self.form_campaign_id() else {
            self.notify(Level::Info, "Choose a campaign first: its rows are what this resets");
            return;
        };
        if self.entry.layouts.own.remove(&campaign).is_some() {
            self.queued.push(Effect::RememberLayout { campaign, layout: None });
        }
        self.entry.layouts.server.remove(&campaign);
        self.prefill_rows();
        let undo = crate::keymap::form_key(Action::RestoreForm);
        self.notify(
            Level::Info,
            format!("Rows reset for campaign {campaign}: from its leads on the server and the assistants ({undo} undoes)"),
        );
    }
}
