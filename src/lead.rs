//! The domain of one lead: phone numbers as people write them, the draft a person fills in, the
//! checks that keep a bad lead from leaving, and the request the API receives. Shared by the form
//! and by `autocalls-tui create`, so both refuse the same things for the same reasons.

use std::fmt;
use std::str::FromStr;

use indexmap::IndexMap;
use phonenumber::country;

use crate::api::types::{CreateLead, SecondaryContact};

/// An ISO 3166 two-letter region used to read phone numbers typed without a `+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        match country::Id::from_str(&upper) {
            Ok(id) if upper.len() == 2 => Ok(Region(id)),
            _ => Err(format!("`{s}` is not a region: use two letters from ISO 3166, like US, DE or GB")),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

/// A phone number that passed the checks, in the only form the API accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// `+` country code and subscriber number, digits only.
    pub e164: String,
    /// The region the number belongs to, when the metadata knows it (`None` for global services).
    pub region: Option<String>,
}

/// Why a typed phone number cannot be sent, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing typed.
    #[error("phone number is required")]
    Empty,
    /// No digits that look like a number.
    #[error("not a phone number")]
    NotANumber,
    /// A national number without a region to read it in.
    #[error("add + and the country code, or set a region")]
    NeedsRegion,
    /// The digits after `+` are no country's code.
    #[error("unknown country code")]
    UnknownCountryCode,
    /// Fewer digits than any number in that country has.
    #[error("too short")]
    TooShort,
    /// More digits than any number in that country has.
    #[error("too long")]
    TooLong,
    /// The right length, but not a number that can exist in that region.
    #[error("not a valid {0} number")]
    InvalidForRegion(String),
}

/// Reads a phone number in any human format (`+1 (415) 555-0100`, `0170 1234567` with region DE,
/// `00 49 170 1234567`, a `tel:` link) and returns its E.164 form, or why it is not valid.
pub fn parse_phone(input: &str, region: Option<Region>) -> Result<Phone, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let text = trimmed.strip_prefix("tel:").or_else(|| trimmed.strip_prefix("TEL:")).unwrap_or(trimmed);
    if !text.chars().any(|c| c.is_ascii_digit()) {
        return Err(PhoneError::NotANumber);
    }
    let international = text.starts_with('+') || text.starts_with("00");
    let text = match (international, text.strip_prefix("00")) {
        // Without a region the parser cannot know `00` is an international prefix.
        (true, Some(rest)) if region.is_none() => format!("+{rest}"),
        _ => text.to_owned(),
    };
    if !international && region.is_none() {
        return Err(PhoneError::NeedsRegion);
    }
    let number = phonenumber::parse(region.map(|r| r.0), &text).map_err(|e| match e {
        phonenumber::ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
        phonenumber::ParseError::TooShortAfterIdd | phonenumber::ParseError::TooShortNsn => {
            PhoneError::TooShort
        }
        phonenumber::ParseError::TooLong => PhoneError::TooLong,
        _ => PhoneError::NotANumber,
    })?;
    let country = number.country().id();
    if !number.is_valid() {
        let known_code = phonenumber::metadata::DATABASE.by_code(&number.code().value()).is_some();
        return Err(match country {
            _ if !known_code => PhoneError::UnknownCountryCode,
            Some(id) => PhoneError::InvalidForRegion(id.as_ref().to_owned()),
            None => PhoneError::InvalidForRegion(format!("+{}", number.code().value())),
        });
    }
    Ok(Phone {
        e164: number.format().mode(phonenumber::Mode::E164).to_string(),
        region: country.map(|id| id.as_ref().to_owned()),
    })
}

/// Loads libphonenumber's metadata now (it is read lazily on first use, which takes a moment),
/// so the first number typed is checked without a pause. Meant for a background thread.
pub fn warm_up() {
    let _ = parse_phone("+14155550100", None);
}

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

/// A lead as typed: raw text, not yet checked. The form and the command line both produce one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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
            Some(SecondaryContact { phone_number: phone?.e164, variables })
        })
        .collect();
    match (phone, campaign_id) {
        (Some(phone), Some(campaign_id)) if errors.is_empty() => Ok(CreateLead {
            phone_number: phone.e164,
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
) -> IndexMap<String, String> {
    let mut seen = IndexMap::new();
    let mut out = IndexMap::new();
    for (i, (key, value)) in rows.iter().enumerate() {
        let key = key.trim();
        let error = if key.is_empty() && !value.trim().is_empty() {
            Some("variable name is empty".to_owned())
        } else if !key.is_empty() && seen.insert(key.to_owned(), i).is_some() {
            Some(format!("`{key}` is already used above"))
        } else {
            None
        };
        if let Some(message) = error {
            errors.push(FieldError { field: field(i), message });
        } else if !key.is_empty() && !value.trim().is_empty() {
            out.insert(key.to_owned(), value.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn de() -> Option<Region> {
        Some("de".parse().unwrap())
    }

    #[test]
    fn human_formats_become_e164() {
        let us = parse_phone("+1 (415) 555-0100", None).unwrap();
        assert_eq!(us.e164, "+14155550100");
        assert_eq!(us.region.as_deref(), Some("US"));
        assert_eq!(parse_phone("0170 1234567", de()).unwrap().e164, "+491701234567");
        assert_eq!(parse_phone("00 49 170 1234567", None).unwrap().e164, "+491701234567");
        assert_eq!(parse_phone("00 49 170 1234567", de()).unwrap().e164, "+491701234567");
        assert_eq!(parse_phone("tel:+1-415-555-0100", None).unwrap().e164, "+14155550100");
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(parse_phone("  ", None), Err(PhoneError::Empty));
        assert_eq!(parse_phone("call me", None), Err(PhoneError::NotANumber));
        assert_eq!(parse_phone("0170 1234567", None), Err(PhoneError::NeedsRegion));
        assert_eq!(parse_phone("+999 1234567", None), Err(PhoneError::UnknownCountryCode));
        assert_eq!(parse_phone("+49 1", None), Err(PhoneError::TooShort));
        assert!(matches!(parse_phone("+1 415 000 0000", None), Err(PhoneError::InvalidForRegion(_))));
    }

    #[test]
    fn regions_are_two_letters() {
        assert_eq!("gb".parse::<Region>().unwrap().to_string(), "GB");
        assert!("Germany".parse::<Region>().is_err());
        assert!("ZZ".parse::<Region>().is_err());
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

    proptest! {
        #[test]
        fn e164_numbers_reparse_to_themselves(n in 2_000_000u64..9_999_999) {
            // US numbers with a valid area code and exchange.
            let e164 = format!("+1415{n:07}");
            let phone = parse_phone(&e164, None).unwrap();
            prop_assert_eq!(&phone.e164, &e164);
            let spaced = format!("+1 (415) {}-{}", &e164[5..8], &e164[8..]);
            prop_assert_eq!(parse_phone(&spaced, None).unwrap(), phone);
        }

        #[test]
        fn no_input_panics(s in any::<String>(), region in proptest::option::of("(US|DE|GB|FR)")) {
            let region = region.map(|r| r.parse::<Region>().unwrap());
            let _ = parse_phone(&s, region);
        }
    }
}
