//! The domain of one lead: phone numbers as people write them, the draft a person fills in, the
//! checks that keep a bad lead from leaving, and the request the API receives. Shared by the form
//! and by `autocalls-tui create`, so both refuse the same things for the same reasons.

use std::fmt;

use indexmap::IndexMap;

use crate::api::types::{CreateLead, SecondaryContact, Variables};

mod phone;
pub use phone::*;

/// Where in a lead a problem is, so the form can put the message beside the right field and the
/// command line can name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldPath {
    /// The primary phone number.
    Phone,
    /// The campaign id.
    Campaign,
    /// The key of the primary's variable row `n`.
    VarKey(usize),
    /// The phone of secondary contact `n`.
    SecondaryPhone(usize),
    /// The key of variable row `row` of secondary contact `contact`.
    SecondaryVarKey { contact: usize, row: usize },
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Phone => write!(f, "phone"),
            FieldPath::Campaign => write!(f, "campaign"),
            FieldPath::VarKey(n) => write!(f, "variable {}", n + 1),
            FieldPath::SecondaryPhone(n) => write!(f, "secondary contact {}", n + 1),
            FieldPath::SecondaryVarKey { contact, row } => {
                write!(f, "secondary contact {} variable {}", contact + 1, row + 1)
            }
        }
    }
}

/// One problem found in a draft: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field at fault.
    pub field: FieldPath,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A lead as typed: raw text, not yet checked. The form and the command line both produce one;
/// the TUI keeps the one being typed as its draft file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct LeadDraft {
    /// The phone as typed.
    pub phone: String,
    /// The campaign id as typed.
    pub campaign: String,
    /// Whether the API may accept this phone twice in the campaign.
    pub allow_duplicate: bool,
    /// Variable rows in order, as typed.
    pub variables: Vec<(String, String)>,
    /// Secondary contacts in the order they will be called.
    pub secondary: Vec<SecondaryDraft>,
}

/// A secondary contact as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SecondaryDraft {
    /// The phone as typed.
    pub phone: String,
    /// Variable rows in order, as typed.
    pub variables: Vec<(String, String)>,
}

/// Checks a draft and builds the request, or lists every problem, first field first.
pub fn validate(draft: &LeadDraft, region: Option<Region>) -> Result<CreateLead, Vec<FieldError>> {
    let mut errors = Vec::new();
    let phone = check_phone(&draft.phone, region, FieldPath::Phone, &mut errors);
    let campaign_id = match parse_campaign_id(&draft.campaign) {
        Ok(id) => Some(id),
        Err(message) => {
            errors.push(FieldError { field: FieldPath::Campaign, message });
            None
        }
    };
    let variables = check_variables(&draft.variables, FieldPath::VarKey, &mut errors);
    let secondary_contacts: Vec<SecondaryContact> = draft
        .secondary
        .iter()
        .enumerate()
        .filter_map(|(contact, s)| {
            let phone = check_phone(&s.phone, region, FieldPath::SecondaryPhone(contact), &mut errors);
            let variables =
                check_variables(&s.variables, |row| FieldPath::SecondaryVarKey { contact, row }, &mut errors);
            Some(SecondaryContact { phone_number: phone?.e164.into(), variables })
        })
        .collect();
    match (phone, campaign_id) {
        (Some(phone), Some(campaign_id)) if errors.is_empty() => Ok(CreateLead {
            phone_number: phone.e164.into(),
            campaign_id,
            variables,
            allow_dupplicate: draft.allow_duplicate,
            secondary_contacts,
        }),
        _ => Err(errors),
    }
}

/// Reads a campaign id: a positive whole number, `#` allowed in front.
pub fn parse_campaign_id(text: &str) -> Result<u64, String> {
    let t = text.trim().trim_start_matches('#');
    if t.is_empty() {
        return Err("campaign is required".into());
    }
    match t.parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("`{}` is not a campaign id (a number)", text.trim())),
        Ok(id) => Ok(id),
    }
}

fn check_phone(
    text: &str,
    region: Option<Region>,
    field: FieldPath,
    errors: &mut Vec<FieldError>,
) -> Option<Phone> {
    parse_phone(text, region).map_err(|e| errors.push(FieldError { field, message: e.to_string() })).ok()
}

/// Keeps rows that have a key and a value. A row with a key and no value is left out so the
/// assistant's default applies; a blank row is ignored; a value without a key, or a key used
/// twice, is an error.
fn check_variables(
    rows: &[(String, String)],
    field: impl Fn(usize) -> FieldPath,
    errors: &mut Vec<FieldError>,
) -> Variables {
    let mut seen = IndexMap::new();
    let mut out = Variables::new();
    for (i, (key, value)) in rows.iter().enumerate() {
        let key = key.trim();
        let error = if key.is_empty() && !value.trim().is_empty() {
            Some("variable name is empty".to_owned())
        } else if let Err(message) = check_var_name(key) {
            Some(message)
        } else if !key.is_empty() && seen.insert(key.to_owned(), i).is_some() {
            Some(format!("`{key}` is already used above"))
        } else {
            None
        };
        if let Some(message) = error {
            errors.push(FieldError { field: field(i), message });
        } else if !key.is_empty() && !value.trim().is_empty() {
            out.insert(key, value.trim());
        }
    }
    out
}

/// Whether `name` can be a call variable's name: letters, digits, `_`, `-` and `.`, as the
/// assistants' names are (`customer_name`, `company.size`). Anything else (a space, an `@`, a
/// `+`) is almost always a value typed one field off, so it is refused, not sent. An empty name
/// passes here: blank rows are the caller's concern.
pub fn check_var_name(name: &str) -> Result<(), String> {
    let name = name.trim();
    match name.chars().find(|c| !(c.is_alphanumeric() || "_-.".contains(*c))) {
        None => Ok(()),
        Some(bad) => {
            let what = match bad {
                ' ' => "a space".to_owned(),
                c if c.is_control() => "a control character".to_owned(),
                c => format!("`{c}`"),
            };
            Err(format!(
                "`{}` is not a variable name: it has {what} (names use letters, digits, _ - .)",
                crate::sanitize::cleaned(name)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_characters_no_variable_name_has_is_refused() {
        for bad in ["bad key", "booth_hallw@example.de", "+49 30 1234503", "a/b", "tab\tname"] {
            let draft = LeadDraft {
                phone: "+14155550100".into(),
                campaign: "12".into(),
                variables: vec![(bad.into(), "1".into())],
                ..Default::default()
            };
            let errors = validate(&draft, None).unwrap_err();
            assert_eq!(errors[0].field, FieldPath::VarKey(0), "{bad:?}");
            assert!(errors[0].message.contains("not a variable name"), "{bad:?}: {}", errors[0].message);
        }
        for good in ["customer_name", "company.size", "e-mail", "Straße", "x1"] {
            assert_eq!(check_var_name(good), Ok(()), "{good}");
        }
        let draft = LeadDraft {
            phone: "+14155550100".into(),
            campaign: "12".into(),
            variables: vec![("bad key".into(), "".into())],
            ..Default::default()
        };
        assert!(validate(&draft, None).is_err(), "a bad name is refused even with no value");
    }

    #[test]
    fn a_valid_draft_becomes_the_request() {
        let draft = LeadDraft {
            phone: "+1 415 555 0100".into(),
            campaign: "#12".into(),
            allow_duplicate: true,
            variables: vec![
                ("customer_name".into(), " Ada ".into()),
                ("email".into(), "".into()),
                ("".into(), "".into()),
            ],
            secondary: vec![SecondaryDraft {
                phone: "+44 20 7946 0958".into(),
                variables: vec![("customer_name".into(), "Bob".into())],
            }],
        };
        let req = validate(&draft, None).unwrap();
        assert_eq!(req.phone_number, "+14155550100");
        assert_eq!(req.campaign_id, 12);
        assert!(req.allow_dupplicate);
        assert_eq!(req.variables.len(), 1, "the empty value is left to the assistant's default");
        assert_eq!(req.variables["customer_name"], "Ada");
        assert_eq!(req.secondary_contacts[0].phone_number, "+442079460958");
        assert_eq!(req.secondary_contacts[0].variables["customer_name"], "Bob");
    }

    #[test]
    fn every_problem_is_listed_in_field_order() {
        let draft = LeadDraft {
            phone: "12".into(),
            campaign: "abc".into(),
            variables: vec![("".into(), "x".into()), ("a".into(), "1".into()), ("a".into(), "2".into())],
            secondary: vec![SecondaryDraft { phone: "".into(), variables: vec![] }],
            ..Default::default()
        };
        let fields: Vec<FieldPath> = validate(&draft, None).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                FieldPath::Phone,
                FieldPath::Campaign,
                FieldPath::VarKey(0),
                FieldPath::VarKey(2),
                FieldPath::SecondaryPhone(0)
            ]
        );
    }
}
