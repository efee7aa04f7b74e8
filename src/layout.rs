//! The rows a campaign's leads use: which variables, in which order, and how many secondary
//! contacts with which rows. A campaign does not say which assistant calls it, so the app learns
//! its layout from what is entered there (and from the campaign's leads on the server) instead of
//! offering every assistant's names everywhere.

use indexmap::IndexSet;
use serde::{Deserialize, Serialize};

use crate::api::types::Lead;

/// A campaign's rows, as the form should offer them for its next lead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The primary's variable names, in the order they are shown and Tab walks them.
    #[serde(default)]
    pub variables: Vec<String>,
    /// One entry per secondary contact the form starts with: that contact's variable names.
    #[serde(default)]
    pub contacts: Vec<Vec<String>>,
}

impl Layout {
    /// The layout the form had when a lead was sent from it: every named row (also those left
    /// empty, which the person keeps for the next lead), and each contact that had a phone.
    pub fn of_form(variables: &[String], contacts: &[(bool, Vec<String>)]) -> Layout {
        Layout {
            variables: variables.iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect(),
            contacts: contacts
                .iter()
                .filter(|(has_phone, _)| *has_phone)
                .map(|(_, rows)| rows.iter().map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect())
                .collect(),
        }
    }

    /// The variable names a campaign's leads on the server carry, newest lead first, each name
    /// once in the order first seen. `None` when they carry none (nothing learnt).
    pub fn of_server_leads(leads: &[Lead]) -> Option<Layout> {
        let mut names: IndexSet<String> = IndexSet::new();
        for lead in leads {
            if let Some(serde_json::Value::Object(map)) = &lead.variables {
                names.extend(
                    map.keys()
                        .map(|k| crate::sanitize::cleaned(k).trim().to_owned())
                        .filter(|k| !k.is_empty() && crate::lead::check_var_name(k).is_ok()),
                );
            }
        }
        (!names.is_empty()).then(|| Layout { variables: names.into_iter().collect(), contacts: vec![] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_layout_keeps_order_and_empty_rows_but_not_blank_names_or_phoneless_contacts() {
        let layout = Layout::of_form(
            &["email".into(), " ".into(), "customer_name".into()],
            &[(true, vec!["customer_name".into()]), (false, vec!["x".into()])],
        );
        assert_eq!(layout.variables, ["email", "customer_name"]);
        assert_eq!(layout.contacts, [vec!["customer_name".to_owned()]]);
    }

    #[test]
    fn server_leads_give_their_names_newest_first() {
        let lead =
            |vars: serde_json::Value| Lead { id: "1".into(), variables: Some(vars), ..Lead::default() };
        let leads = [
            lead(serde_json::json!({"customer_name": "A", "budget": "1"})),
            lead(serde_json::json!({"email": "a@b", "customer_name": "B", "bad name": "x"})),
        ];
        let layout = Layout::of_server_leads(&leads).unwrap();
        assert_eq!(layout.variables, ["customer_name", "budget", "email"]);
        assert_eq!(Layout::of_server_leads(&[lead(serde_json::json!({}))]), None);
    }
}
