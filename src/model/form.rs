//! The lead form: its fields, the order Tab walks them in, and the draft it produces.

use std::collections::HashMap;

use crate::lead::{FieldError, FieldPath, LeadDraft, SecondaryDraft};

use super::input::TextInput;

/// Where the keyboard focus is. `History` is the history pane; the rest are form fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Focus {
    /// The primary phone number.
    Phone,
    /// The campaign id.
    Campaign,
    /// The Allow duplicate checkbox.
    AllowDuplicate,
    /// The Variables section itself (a stop only while it has no rows).
    Variables,
    /// The key of variable row `n`.
    VarKey(usize),
    /// The value of variable row `n`.
    VarValue(usize),
    /// The Secondary contacts section header.
    Secondary,
    /// The phone of secondary contact `n`.
    SecPhone(usize),
    /// A variable key of a secondary contact.
    SecVarKey(usize, usize),
    /// A variable value of a secondary contact.
    SecVarValue(usize, usize),
    /// The Submit button.
    Submit,
    /// The history pane.
    History,
}

impl Focus {
    /// Whether typing goes into a text field here.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Focus::Phone
                | Focus::Campaign
                | Focus::VarKey(_)
                | Focus::VarValue(_)
                | Focus::SecPhone(_)
                | Focus::SecVarKey(..)
                | Focus::SecVarValue(..)
        )
    }

    /// Whether the focus is in a removable row (a variable row or a secondary contact).
    pub fn is_row(self) -> bool {
        matches!(
            self,
            Focus::VarKey(_)
                | Focus::VarValue(_)
                | Focus::SecPhone(_)
                | Focus::SecVarKey(..)
                | Focus::SecVarValue(..)
        )
    }

    /// The field a validation error about `path` belongs to.
    pub fn of_path(path: FieldPath) -> Focus {
        match path {
            FieldPath::Phone => Focus::Phone,
            FieldPath::Campaign => Focus::Campaign,
            FieldPath::VarKey(i) => Focus::VarKey(i),
            FieldPath::SecondaryPhone(i) => Focus::SecPhone(i),
            FieldPath::SecondaryVarKey { contact, row } => Focus::SecVarKey(contact, row),
        }
    }
}

/// One variable row: a key and a value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarRow {
    /// The variable's name.
    pub key: TextInput,
    /// Its value; empty means "not sent, the assistant's default applies".
    pub value: TextInput,
}

impl ContactForm {
    /// Whether nothing of it is typed: no phone and no value (names alone are layout).
    pub fn is_blank(&self) -> bool {
        self.phone.is_blank() && self.variables.iter().all(|r| r.value.is_blank())
    }
}

impl VarRow {
    /// A row with `key` filled in and no value.
    pub fn with_key(key: &str) -> Self {
        VarRow { key: TextInput::with_text(key), value: TextInput::default() }
    }
}

/// One secondary contact in the form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactForm {
    /// Its phone number as typed.
    pub phone: TextInput,
    /// Its own variable rows.
    pub variables: Vec<VarRow>,
}

/// Everything the user is typing for the next lead.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Form {
    /// The primary phone.
    pub phone: TextInput,
    /// The campaign id.
    pub campaign: TextInput,
    /// Send `allow_dupplicate: true`.
    pub allow_duplicate: bool,
    /// The primary's variable rows.
    pub variables: Vec<VarRow>,
    /// Secondary contacts, in calling order.
    pub secondary: Vec<ContactForm>,
    /// Messages from the last failed submit, by field; a field's message goes when it is edited.
    pub errors: HashMap<Focus, String>,
}

impl Form {
    /// An empty form with the campaign filled in.
    pub fn new(campaign: Option<u64>) -> Self {
        Form {
            campaign: campaign.map(|c| TextInput::with_text(&c.to_string())).unwrap_or_default(),
            ..Form::default()
        }
    }

    /// Every place the focus can be, top to bottom as drawn: the campaign's settings (Campaign,
    /// Allow duplicate) above the lead's own fields, then Send and the history.
    pub fn stops(&self) -> Vec<Focus> {
        let mut stops = vec![Focus::Campaign, Focus::AllowDuplicate, Focus::Phone, Focus::Variables];
        for i in 0..self.variables.len() {
            stops.extend([Focus::VarKey(i), Focus::VarValue(i)]);
        }
        stops.push(Focus::Secondary);
        for (c, contact) in self.secondary.iter().enumerate() {
            stops.push(Focus::SecPhone(c));
            for r in 0..contact.variables.len() {
                stops.extend([Focus::SecVarKey(c, r), Focus::SecVarValue(c, r)]);
            }
        }
        stops.extend([Focus::Submit, Focus::History]);
        stops
    }

    /// Where Tab stops: what a person fills for each lead. Phone, each variable *value*, each
    /// secondary contact's phone and values, Send, the history. Until a campaign is set, Campaign
    /// and Allow duplicate come after Phone; once it is, they are off the path (Shift-Tab from
    /// Phone, a click). Variable names are never on it: they change only on purpose.
    pub fn tab_path(&self, campaign_set: bool) -> Vec<Focus> {
        let mut path = vec![Focus::Phone];
        if !campaign_set {
            path.extend([Focus::Campaign, Focus::AllowDuplicate]);
        }
        path.extend(self.stops().into_iter().filter(|f| {
            matches!(
                f,
                Focus::VarValue(_)
                    | Focus::SecPhone(_)
                    | Focus::SecVarValue(..)
                    | Focus::Submit
                    | Focus::History
            )
        }));
        path
    }

    /// The stop Tab (`step` 1) or Shift-Tab (`step` -1) goes to from `from`.
    pub fn step(&self, from: Focus, step: isize, campaign_set: bool) -> Focus {
        let path = self.tab_path(campaign_set);
        if step > 0 && campaign_set && from == Focus::Campaign {
            return Focus::AllowDuplicate;
        }
        if step < 0 && campaign_set {
            // Backwards from Phone the campaign's settings come first, then the path wraps.
            match from {
                Focus::Phone => return Focus::AllowDuplicate,
                Focus::AllowDuplicate => return Focus::Campaign,
                Focus::Campaign => return *path.last().unwrap_or(&Focus::Phone),
                _ => {}
            }
        }
        if let Some(at) = path.iter().position(|f| *f == from) {
            return path[(at as isize + step).rem_euclid(path.len() as isize) as usize];
        }
        // Off the path (a name, a section header, the campaign's settings, a stop that went
        // away): the nearest stop of the path in that direction, as drawn.
        let stops = self.stops();
        let anchor = match from {
            Focus::VarKey(_) | Focus::VarValue(_) => Focus::Secondary,
            Focus::SecPhone(_) | Focus::SecVarKey(..) | Focus::SecVarValue(..) => Focus::Submit,
            other => other,
        };
        let at = stops.iter().position(|f| *f == from).or_else(|| stops.iter().position(|f| *f == anchor));
        let at = at.unwrap_or(0);
        let walk: Box<dyn Iterator<Item = &Focus>> = if step > 0 {
            Box::new(stops[at..].iter().chain(stops[..at].iter()).skip(1))
        } else {
            Box::new(stops[..at].iter().rev().chain(stops[at..].iter().rev()))
        };
        walk.copied().find(|f| path.contains(f)).unwrap_or(Focus::Phone)
    }

    /// The field Up (`step` -1) or Down (1) goes to: the next line as drawn that holds a field,
    /// in the same column on variable rows (names stay names, values stay values); it stops at
    /// the top and the bottom, and never opens a list.
    pub fn line_step(&self, from: Focus, step: isize) -> Focus {
        let names = matches!(from, Focus::VarKey(_) | Focus::SecVarKey(..));
        let lines: Vec<Focus> = self
            .stops()
            .into_iter()
            .filter(|f| match f {
                Focus::Variables | Focus::Secondary | Focus::History => false,
                Focus::VarKey(_) | Focus::SecVarKey(..) => names,
                Focus::VarValue(_) | Focus::SecVarValue(..) => !names,
                _ => true,
            })
            .collect();
        let same_line = |f: &Focus| match (*f, from) {
            (Focus::VarKey(a), Focus::VarValue(b)) | (Focus::VarValue(a), Focus::VarKey(b)) => a == b,
            (Focus::SecVarKey(a, b), Focus::SecVarValue(c, d))
            | (Focus::SecVarValue(a, b), Focus::SecVarKey(c, d)) => (a, b) == (c, d),
            (f, from) => f == from,
        };
        let Some(at) = lines.iter().position(same_line) else {
            return self.step(from, step, true);
        };
        let to = (at as isize + step).clamp(0, lines.len() as isize - 1) as usize;
        lines[to]
    }

    /// The text field at `focus`, if it is one.
    pub fn field_mut(&mut self, focus: Focus) -> Option<&mut TextInput> {
        match focus {
            Focus::Phone => Some(&mut self.phone),
            Focus::Campaign => Some(&mut self.campaign),
            Focus::VarKey(i) => self.variables.get_mut(i).map(|r| &mut r.key),
            Focus::VarValue(i) => self.variables.get_mut(i).map(|r| &mut r.value),
            Focus::SecPhone(c) => self.secondary.get_mut(c).map(|s| &mut s.phone),
            Focus::SecVarKey(c, r) => {
                self.secondary.get_mut(c).and_then(|s| s.variables.get_mut(r)).map(|r| &mut r.key)
            }
            Focus::SecVarValue(c, r) => {
                self.secondary.get_mut(c).and_then(|s| s.variables.get_mut(r)).map(|r| &mut r.value)
            }
            _ => None,
        }
    }

    /// The text field at `focus`, read-only.
    pub fn field(&self, focus: Focus) -> Option<&TextInput> {
        match focus {
            Focus::Phone => Some(&self.phone),
            Focus::Campaign => Some(&self.campaign),
            Focus::VarKey(i) => self.variables.get(i).map(|r| &r.key),
            Focus::VarValue(i) => self.variables.get(i).map(|r| &r.value),
            Focus::SecPhone(c) => self.secondary.get(c).map(|s| &s.phone),
            Focus::SecVarKey(c, r) => self.secondary.get(c).and_then(|s| s.variables.get(r)).map(|r| &r.key),
            Focus::SecVarValue(c, r) => {
                self.secondary.get(c).and_then(|s| s.variables.get(r)).map(|r| &r.value)
            }
            _ => None,
        }
    }

    /// Adds a secondary contact at the end, with a row (no value) for each of `names`, and
    /// returns its phone to focus.
    pub fn add_contact(&mut self, names: &[String]) -> Focus {
        let variables = names.iter().map(|n| VarRow::with_key(n)).collect();
        self.secondary.push(ContactForm { phone: TextInput::default(), variables });
        Focus::SecPhone(self.secondary.len() - 1)
    }

    /// Adds a row to the list `focus` is in (or nearest to) and returns the field to focus, or
    /// `None` when the focus is in no form field: a variable row below the focused one (the
    /// primary's, or a contact's, also from the contact's phone), a primary variable at the end
    /// from the fields above the variables, a contact from the Secondary header or from Send.
    pub fn add_row(&mut self, focus: Focus) -> Option<Focus> {
        match focus {
            Focus::Variables
            | Focus::VarKey(_)
            | Focus::VarValue(_)
            | Focus::Phone
            | Focus::Campaign
            | Focus::AllowDuplicate => {
                let at = match focus {
                    Focus::VarKey(i) | Focus::VarValue(i) => i + 1,
                    _ => self.variables.len(),
                };
                self.variables.insert(at, VarRow::default());
                Some(Focus::VarKey(at))
            }
            Focus::Secondary | Focus::Submit => Some(self.add_contact(&[])),
            // On a contact, its own variable list is the focused list.
            Focus::SecPhone(c) => {
                self.secondary.get_mut(c)?.variables.insert(0, VarRow::default());
                Some(Focus::SecVarKey(c, 0))
            }
            Focus::SecVarKey(c, r) | Focus::SecVarValue(c, r) => {
                self.secondary.get_mut(c)?.variables.insert(r + 1, VarRow::default());
                Some(Focus::SecVarKey(c, r + 1))
            }
            _ => None,
        }
    }

    /// Removes the row `focus` is in and returns where the focus goes, or `None` when the focus is
    /// in no removable row.
    pub fn remove_row(&mut self, focus: Focus) -> Option<Focus> {
        match focus {
            Focus::VarKey(i) | Focus::VarValue(i) if i < self.variables.len() => {
                self.variables.remove(i);
                Some(match self.variables.len() {
                    0 => Focus::Variables,
                    n => Focus::VarKey(i.min(n - 1)),
                })
            }
            Focus::SecPhone(c) if c < self.secondary.len() => {
                self.secondary.remove(c);
                Some(match self.secondary.len() {
                    0 => Focus::Secondary,
                    n => Focus::SecPhone(c.min(n - 1)),
                })
            }
            Focus::SecVarKey(c, r) | Focus::SecVarValue(c, r) => {
                let rows = &mut self.secondary.get_mut(c)?.variables;
                if r >= rows.len() {
                    return None;
                }
                rows.remove(r);
                Some(match rows.len() {
                    0 => Focus::SecPhone(c),
                    n => Focus::SecVarKey(c, r.min(n - 1)),
                })
            }
            _ => None,
        }
    }

    /// The form with `draft`'s content (a draft kept from the last run), cursors at the ends.
    pub fn from_draft(draft: &LeadDraft) -> Form {
        fn rows(rows: &[(String, String)]) -> Vec<VarRow> {
            rows.iter()
                .map(|(k, v)| VarRow { key: TextInput::with_text(k), value: TextInput::with_text(v) })
                .collect()
        }
        Form {
            phone: TextInput::with_text(&draft.phone),
            campaign: TextInput::with_text(&draft.campaign),
            allow_duplicate: draft.allow_duplicate,
            variables: rows(&draft.variables),
            secondary: draft
                .secondary
                .iter()
                .map(|s| ContactForm { phone: TextInput::with_text(&s.phone), variables: rows(&s.variables) })
                .collect(),
            errors: HashMap::new(),
        }
    }

    /// Whether anything of a lead is typed: a phone or a value, the primary's or a contact's.
    /// The campaign and the names alone are not a lead (they stay for the next one).
    pub fn has_content(&self) -> bool {
        !self.phone.is_blank()
            || self.variables.iter().any(|r| !r.value.is_blank())
            || self.secondary.iter().any(|c| !c.is_blank())
    }

    /// The form's content to check and send: as [`Form::draft`], without the blank contacts at
    /// the end (the ones a campaign's layout puts there and this lead does not use).
    pub fn draft_to_send(&self) -> LeadDraft {
        let mut draft = self.draft();
        let used = self.secondary.iter().rposition(|c| !c.is_blank()).map_or(0, |last| last + 1);
        draft.secondary.truncate(used);
        draft
    }

    /// The form's content as plain text, as typed.
    pub fn draft(&self) -> LeadDraft {
        fn rows(rows: &[VarRow]) -> Vec<(String, String)> {
            rows.iter().map(|r| (r.key.text().to_owned(), r.value.text().to_owned())).collect()
        }
        LeadDraft {
            phone: self.phone.text().to_owned(),
            campaign: self.campaign.text().to_owned(),
            allow_duplicate: self.allow_duplicate,
            variables: rows(&self.variables),
            secondary: self
                .secondary
                .iter()
                .map(|s| SecondaryDraft { phone: s.phone.text().to_owned(), variables: rows(&s.variables) })
                .collect(),
        }
    }

    /// Shows validation errors beside their fields.
    pub fn set_errors(&mut self, errors: &[FieldError]) {
        self.errors.clear();
        for e in errors {
            self.errors.entry(Focus::of_path(e.field)).or_insert_with(|| e.message.clone());
        }
    }

    /// Empties the form for the next lead: the campaign and the variable names stay, values go,
    /// secondary contacts go, Allow duplicate goes off.
    pub fn clear_for_next(&mut self) {
        self.phone.clear();
        self.allow_duplicate = false;
        for row in &mut self.variables {
            row.value.clear();
        }
        self.variables.retain(|r| !r.key.is_blank());
        self.secondary.clear();
        self.errors.clear();
    }
}

impl Form {
    /// Swaps the focused row (a variable row, a contact, or a contact's variable row) with its
    /// neighbour `delta` away, and returns where the focus follows it.
    pub fn move_row(&mut self, focus: Focus, delta: isize) -> Option<Focus> {
        fn swap<T>(list: &mut [T], at: usize, delta: isize) -> Option<usize> {
            let to = at.checked_add_signed(delta).filter(|&to| to < list.len())?;
            list.swap(at, to);
            Some(to)
        }
        match focus {
            Focus::VarKey(i) => swap(&mut self.variables, i, delta).map(Focus::VarKey),
            Focus::VarValue(i) => swap(&mut self.variables, i, delta).map(Focus::VarValue),
            Focus::SecPhone(c) => swap(&mut self.secondary, c, delta).map(Focus::SecPhone),
            Focus::SecVarKey(c, r) => {
                swap(&mut self.secondary.get_mut(c)?.variables, r, delta).map(|r| Focus::SecVarKey(c, r))
            }
            Focus::SecVarValue(c, r) => {
                swap(&mut self.secondary.get_mut(c)?.variables, r, delta).map(|r| Focus::SecVarValue(c, r))
            }
            _ => None,
        }
    }

    /// Copies the primary's variables into contact `contact`: names it lacks are added, and
    /// values it left empty are filled; what it already has is kept. Returns how many changed.
    pub fn copy_primary_vars(&mut self, contact: usize) -> usize {
        let pairs: Vec<(String, String)> = self
            .variables
            .iter()
            .filter(|r| !r.key.is_blank())
            .map(|r| (r.key.text().trim().to_owned(), r.value.text().to_owned()))
            .collect();
        let Some(target) = self.secondary.get_mut(contact) else { return 0 };
        let mut changed = 0;
        for (key, value) in pairs {
            match target.variables.iter_mut().find(|r| r.key.text().trim() == key) {
                Some(row) if row.value.is_blank() && !value.trim().is_empty() => {
                    row.value.set_text(&value);
                    changed += 1;
                }
                Some(_) => {}
                None => {
                    target.variables.push(VarRow {
                        key: TextInput::with_text(&key),
                        value: TextInput::with_text(&value),
                    });
                    changed += 1;
                }
            }
        }
        changed
    }

    /// Sets one row per pair in the list `focus` is in (the primary's variables, or a contact's):
    /// an existing name gets the value, a blank row is reused, else a row is added. Returns the
    /// list's rows touched, or `None` when the focus is in no variable list.
    pub fn set_pairs(&mut self, focus: Focus, pairs: &[(String, String)]) -> Option<usize> {
        let rows = match focus {
            Focus::Variables | Focus::VarKey(_) | Focus::VarValue(_) => &mut self.variables,
            Focus::SecPhone(c) | Focus::SecVarKey(c, _) | Focus::SecVarValue(c, _) => {
                &mut self.secondary.get_mut(c)?.variables
            }
            _ => return None,
        };
        for (key, value) in pairs {
            let existing = rows.iter().position(|r| r.key.text().trim() == key.as_str());
            let blank = || rows.iter().position(|r| r.key.is_blank() && r.value.is_blank());
            match existing.or_else(blank) {
                Some(i) => {
                    rows[i].key.set_text(key);
                    rows[i].value.set_text(value);
                }
                None => {
                    rows.push(VarRow { key: TextInput::with_text(key), value: TextInput::with_text(value) });
                }
            }
        }
        Some(pairs.len())
    }
}

/// Reads pasted text as variables: a JSON object, or lines of `name=value` (also `name: value`
/// or `name<Tab>value`, as copied from a spreadsheet). `None` when it is not that shape, so the
/// text is pasted as text.
pub fn parse_pairs(text: &str) -> Option<Vec<(String, String)>> {
    // Terminals often paste line ends as CR.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(trimmed).ok()?;
        return Some(
            map.into_iter()
                .map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (crate::sanitize::cleaned(k.trim()), crate::sanitize::cleaned(&value))
                })
                .filter(|(k, _)| !k.is_empty())
                .collect(),
        );
    }
    let lines: Vec<&str> = trimmed.lines().filter(|l| !l.trim().is_empty()).collect();
    // `name: value` only counts on several lines: one line with a colon is too often just text.
    let colon_ok = lines.len() > 1;
    let pairs: Option<Vec<(String, String)>> = lines
        .iter()
        .map(|line| {
            let (key, value) = ['\t', '=']
                .iter()
                .find_map(|sep| line.split_once(*sep))
                .or_else(|| line.split_once(": ").filter(|_| colon_ok))?;
            let key = key.trim();
            let is_name = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c));
            is_name.then(|| (key.to_owned(), crate::sanitize::cleaned(value.trim())))
        })
        .collect();
    pairs.filter(|p| !p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_pairs_in_every_shape() {
        let expected = vec![
            ("customer_name".to_owned(), "Ada Lovelace".to_owned()),
            ("email".to_owned(), "a@b.c".to_owned()),
        ];
        assert_eq!(parse_pairs("customer_name=Ada Lovelace\nemail = a@b.c\n").unwrap(), expected);
        assert_eq!(parse_pairs("customer_name: Ada Lovelace\r\nemail: a@b.c").unwrap(), expected);
        assert_eq!(parse_pairs("customer_name\tAda Lovelace\nemail\ta@b.c").unwrap(), expected);
        assert_eq!(parse_pairs("customer_name=Ada Lovelace\remail=a@b.c").unwrap(), expected, "CR line ends");
        assert_eq!(parse_pairs(r#"{"customer_name": "Ada Lovelace", "email": "a@b.c"}"#).unwrap(), expected);
        assert_eq!(
            parse_pairs(r#"{"age": 36, "vip": true, "note": null}"#).unwrap()[0],
            ("age".to_owned(), "36".to_owned())
        );
        assert_eq!(parse_pairs("url=https://x.test/?a=b").unwrap()[0].1, "https://x.test/?a=b");
    }

    #[test]
    fn plain_text_is_not_pairs() {
        for text in ["Ada Lovelace", "+49 170 1234567", "https://x.test/?a=b", "see: below", "", "{not json"]
        {
            assert_eq!(parse_pairs(text), None, "{text:?}");
        }
    }

    #[test]
    fn pairs_update_existing_names_and_fill_blank_rows() {
        let mut form =
            Form { variables: vec![VarRow::with_key("email"), VarRow::default()], ..Form::default() };
        let pairs = parse_pairs("customer_name=Ada\nemail=a@b.c\ncompany=ACME").unwrap();
        assert_eq!(form.set_pairs(Focus::VarValue(1), &pairs), Some(3));
        let rows: Vec<(&str, &str)> = form.variables.iter().map(|r| (r.key.text(), r.value.text())).collect();
        assert_eq!(rows, [("email", "a@b.c"), ("customer_name", "Ada"), ("company", "ACME")]);
        assert_eq!(form.set_pairs(Focus::Phone, &pairs), None);
    }

    #[test]
    fn rows_and_contacts_move_within_bounds() {
        let mut form = Form {
            variables: vec![VarRow::with_key("a"), VarRow::with_key("b")],
            secondary: vec![
                ContactForm::default(),
                ContactForm { phone: TextInput::with_text("+2"), variables: vec![] },
            ],
            ..Form::default()
        };
        assert_eq!(form.move_row(Focus::VarValue(1), -1), Some(Focus::VarValue(0)));
        assert_eq!(form.variables[0].key.text(), "b");
        assert_eq!(form.move_row(Focus::VarKey(0), -1), None);
        assert_eq!(form.move_row(Focus::SecPhone(1), -1), Some(Focus::SecPhone(0)));
        assert_eq!(form.secondary[0].phone.text(), "+2");
        assert_eq!(form.move_row(Focus::Phone, 1), None);
    }

    #[test]
    fn copying_the_primarys_variables_keeps_what_the_contact_has() {
        let mut form = Form {
            variables: vec![
                VarRow { key: TextInput::with_text("customer_name"), value: TextInput::with_text("Ada") },
                VarRow { key: TextInput::with_text("company"), value: TextInput::with_text("ACME") },
            ],
            secondary: vec![ContactForm {
                phone: TextInput::default(),
                variables: vec![VarRow {
                    key: TextInput::with_text("customer_name"),
                    value: TextInput::with_text("Bob"),
                }],
            }],
            ..Form::default()
        };
        assert_eq!(form.copy_primary_vars(0), 1);
        let rows: Vec<(&str, &str)> =
            form.secondary[0].variables.iter().map(|r| (r.key.text(), r.value.text())).collect();
        assert_eq!(rows, [("customer_name", "Bob"), ("company", "ACME")]);
    }
}
