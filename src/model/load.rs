//! Loading a lead from the history back into the form (`e`), as a new lead to fix and send, with
//! the server's field errors (Laravel keys such as `secondary_contacts.0.phone_number`) put back
//! beside the fields they are about.

use super::form::{ContactForm, Form, VarRow};
use super::{App, Focus, Level, TextInput};
use crate::api::types::CreateLead;

impl Form {
    /// A form holding what `request` sent.
    pub fn from_request(request: &CreateLead) -> Form {
        let rows = |vars: &crate::api::types::Variables| {
            vars.iter()
                .map(|(k, v)| VarRow { key: TextInput::with_text(k), value: TextInput::with_text(v) })
                .collect()
        };
        Form {
            phone: TextInput::with_text(&request.phone_number),
            campaign: TextInput::with_text(&request.campaign_id.to_string()),
            allow_duplicate: request.allow_dupplicate,
            variables: rows(&request.variables),
            secondary: request
                .secondary_contacts
                .iter()
                .map(|s| ContactForm {
                    phone: TextInput::with_text(&s.phone_number),
                    variables: rows(&s.variables),
                })
                .collect(),
            errors: Default::default(),
        }
    }

    /// The field an API error key is about: `phone_number`, `campaign_id`, `allow_dupplicate`,
    /// `variables` / `variables.NAME`, `secondary_contacts.N[.phone_number|.variables[.NAME]]`.
    pub fn focus_for_api_field(&self, key: &str) -> Option<Focus> {
        let parts: Vec<&str> = key.split('.').collect();
        let var_row = |rows: &[VarRow], name: Option<&&str>| {
            name.and_then(|n| rows.iter().position(|r| r.key.text().trim() == *n)).unwrap_or(0)
        };
        match parts.as_slice() {
            ["phone_number", ..] => Some(Focus::Phone),
            ["campaign_id", ..] => Some(Focus::Campaign),
            ["allow_dupplicate", ..] => Some(Focus::AllowDuplicate),
            ["variables", rest @ ..] if !self.variables.is_empty() => {
                Some(Focus::VarKey(var_row(&self.variables, rest.first())))
            }
            ["variables", ..] => Some(Focus::Variables),
            ["secondary_contacts", n, rest @ ..] => {
                let c: usize = n.parse().ok().filter(|c| *c < self.secondary.len())?;
                let rows = &self.secondary[c].variables;
                match rest {
                    ["variables", name @ ..] if !rows.is_empty() => {
                        Some(Focus::SecVarKey(c, var_row(rows, name.first())))
                    }
                    _ => Some(Focus::SecPhone(c)),
                }
            }
            ["secondary_contacts", ..] => Some(Focus::Secondary),
            _ => None,
        }
    }
}

impl App {
    /// Puts the selected history lead into the form as a new lead. What the server said about
    /// its fields shows beside them, and the first such field gets the focus.
    pub(super) fn edit_selected(&mut self) {
        let Some(entry) = self.history.row(self.history.selected) else { return };
        let mut form = Form::from_request(&entry.request);
        let mut first = None;
        let mut unplaced = Vec::new();
        if let Some(error) = &entry.error {
            for (key, messages) in &error.fields {
                let text = messages.join(" ");
                match form.focus_for_api_field(key) {
                    Some(focus) => {
                        first.get_or_insert(focus);
                        form.errors.entry(focus).or_insert(text);
                    }
                    None => unplaced.push(format!("{key}: {text}")),
                }
            }
        }
        let summary = entry.error.as_ref().map(|e| e.message.clone());
        let kept = self.replace_form(form);
        self.set_focus(first.unwrap_or(Focus::Phone));
        let mut text = "Loaded into the form as a new lead (Ctrl-S sends it).".to_owned();
        match (summary, unplaced.is_empty()) {
            (Some(message), true) => text = format!("{text} The server said: {message}."),
            (Some(message), false) => {
                text = format!("{text} The server said: {message} ({}).", unplaced.join("; "));
            }
            (None, _) => {}
        }
        text.push_str(kept.as_deref().unwrap_or(""));
        self.notify(Level::Info, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::SecondaryContact;

    fn request() -> CreateLead {
        CreateLead {
            phone_number: "+14155550100".into(),
            campaign_id: 12,
            variables: [("customer_name".to_owned(), "Ada".to_owned()), ("email".to_owned(), "x".to_owned())]
                .into(),
            allow_dupplicate: false,
            secondary_contacts: vec![
                SecondaryContact { phone_number: "+1".into(), variables: Default::default() },
                SecondaryContact {
                    phone_number: "+2".into(),
                    variables: [("note".to_owned(), "n".to_owned())].into(),
                },
            ],
        }
    }

    #[test]
    fn laravel_keys_find_their_fields() {
        let form = Form::from_request(&request());
        let cases = [
            ("phone_number", Some(Focus::Phone)),
            ("campaign_id", Some(Focus::Campaign)),
            ("allow_dupplicate", Some(Focus::AllowDuplicate)),
            ("variables", Some(Focus::VarKey(0))),
            ("variables.email", Some(Focus::VarKey(1))),
            ("secondary_contacts", Some(Focus::Secondary)),
            ("secondary_contacts.0.phone_number", Some(Focus::SecPhone(0))),
            ("secondary_contacts.1", Some(Focus::SecPhone(1))),
            ("secondary_contacts.1.variables.note", Some(Focus::SecVarKey(1, 0))),
            ("secondary_contacts.0.variables", Some(Focus::SecPhone(0))),
            ("secondary_contacts.7.phone_number", None),
            ("something_else", None),
        ];
        for (key, expected) in cases {
            assert_eq!(form.focus_for_api_field(key), expected, "{key}");
        }
    }

    #[test]
    fn a_request_round_trips_through_the_form() {
        let form = Form::from_request(&request());
        let draft = form.draft();
        assert_eq!(draft.phone, "+14155550100");
        assert_eq!(draft.campaign, "12");
        assert_eq!(draft.variables[1], ("email".to_owned(), "x".to_owned()));
        assert_eq!(draft.secondary[1].variables[0], ("note".to_owned(), "n".to_owned()));
    }
}
