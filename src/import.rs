//! Many leads at once: rows read from CSV, TSV or XLSX (or pasted from a spreadsheet), their
//! columns mapped to a lead's fields by the header's names (the dashboard's import layout:
//! `phone_number`, one column per variable, `secondary_phone_1…N`, and the usual other names
//! for them), and every row checked as the form checks one lead, before anything is sent.
//! Duplicates within the block are marked here; those in the history and on the server by the
//! caller, which knows them.

use std::collections::HashMap;

use crate::api::types::CreateLead;
use crate::lead::{self, LeadDraft, Region, SecondaryDraft};

/// Where a column goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The lead's phone.
    Phone,
    /// The phone of secondary contact N (from 1).
    Secondary(usize),
    /// A call variable of this name.
    Variable(String),
    /// Left out (no header name, or one that means nothing to a lead).
    Skip,
}

/// The rows of a file or a paste, as text cells, each with its line number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    /// The rows, header included when there is one: (line in the file, cells).
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Why a file could not be read as rows.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Not text, and not a workbook either.
    #[error("not a CSV, TSV or XLSX file: {0}")]
    Format(String),
    /// The workbook could not be read.
    #[error("the workbook could not be read: {0}")]
    Workbook(String),
}

/// Reads `bytes`: an XLSX workbook (its first sheet) when it is a zip file, else text split as
/// CSV, TSV or semicolon-separated, whichever the first line uses most.
pub fn read(bytes: &[u8]) -> Result<Table, ReadError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ReadError::Format(format!("not UTF-8 text ({e})")))?;
    Ok(read_text(text))
}

/// Splits text as CSV, TSV or semicolon-separated (the delimiter the first line uses most;
/// spreadsheets copy rows as tab-separated). Blank lines are left out.
pub fn read_text(text: &str) -> Table {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b'\t', b',', b';']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .filter(|d| first.as_bytes().contains(d))
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // The reader's own line count leaves blank lines out: counted here from the byte offsets.
    let (mut counted_to, mut line) = (0usize, 1usize);
    for record in reader.records() {
        let Ok(record) = record else { continue };
        let mut at =
            record.position().map_or(counted_to, |p| usize::try_from(p.byte()).unwrap_or(counted_to));
        // The position may be that of the blank lines before the record.
        while matches!(text.as_bytes().get(at), Some(b'\n' | b'\r')) {
            at += 1;
        }
        if at > counted_to {
            line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted_to..at]).count();
            counted_to = at;
        }
        let line = line;
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        rows.push((line, cells));
    }
    Table { rows }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, ReadError> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| ReadError::Workbook(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| ReadError::Workbook("it has no sheet".into()))?
        .map_err(|e: calamine::XlsxError| ReadError::Workbook(e.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            (first_row + i + 1, cells.iter().map(|c| c.to_string().trim().to_owned()).collect())
        })
        .filter(|(_, cells): &(usize, Vec<String>)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(Table { rows })
}

/// The column a header name stands for: the dashboard's names, and those people use.
pub fn column_for(header: &str) -> Column {
    let name = header.trim();
    let key: String = name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
    if let Some(n) = key
        .strip_prefix("secondaryphone")
        .or_else(|| key.strip_prefix("secondaryphonenumber"))
        .or_else(|| key.strip_prefix("secondary"))
    {
        let n = n.trim_start_matches("number");
        return Column::Secondary(n.parse().unwrap_or(1).max(1));
    }
    let variable = |v: &str| Column::Variable(v.to_owned());
    match key.as_str() {
        "" => Column::Skip,
        "phonenumber" | "phone" | "telephone" | "tel" | "telefon" | "telefonnummer" | "mobile" | "mobil"
        | "mobilephone" | "cell" | "cellphone" | "handy" | "number" | "phoneno" => Column::Phone,
        "name" | "customername" | "fullname" | "contact" | "contactname" | "kunde" | "customer" => {
            variable("customer_name")
        }
        "email" | "mail" | "emailaddress" => variable("email"),
        "company" | "companyname" | "firma" | "organisation" | "organization" | "unternehmen" => {
            variable("company_name")
        }
        // Anything else is a variable of that name, written as a variable name is.
        _ => {
            let var: String = name
                .trim()
                .chars()
                .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .collect::<String>()
                .split('_')
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            if var.is_empty() { Column::Skip } else { Column::Variable(var) }
        }
    }
}

/// How the table's columns are read, and whether its first row is their header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// One per column, in order.
    pub columns: Vec<Column>,
    /// The first row names the columns (it is not a lead).
    pub header: bool,
}

impl Mapping {
    /// From the header when the first row has one (a cell naming the phone column, and no cell
    /// that is a phone number); otherwise guessed from the content: the column most of whose
    /// cells are phone numbers is the phone, one with `@` in most cells the e-mail, the first
    /// other one with text the name, and the rest `column_N`.
    pub fn of(table: &Table, region: Option<Region>) -> Mapping {
        let Some((_, first)) = table.rows.first() else { return Mapping { columns: vec![], header: false } };
        let is_phone = |cell: &str| {
            cell.chars().filter(char::is_ascii_digit).count() >= 6 && lead::parse_phone(cell, region).is_ok()
        };
        let named: Vec<Column> = first.iter().map(|h| column_for(h)).collect();
        if named.contains(&Column::Phone) && !first.iter().any(|c| is_phone(c)) {
            return Mapping { columns: named, header: true };
        }
        let width = table.rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        let sample: Vec<&Vec<String>> = table.rows.iter().take(50).map(|(_, r)| r).collect();
        let share = |col: usize, test: &dyn Fn(&str) -> bool| {
            sample.iter().filter(|r| r.get(col).is_some_and(|c| test(c))).count()
        };
        let phone = (0..width).max_by_key(|&c| share(c, &is_phone)).filter(|&c| share(c, &is_phone) > 0);
        let email = (0..width)
            .filter(|&c| Some(c) != phone)
            .find(|&c| share(c, &|s: &str| s.contains('@')) * 2 > sample.len());
        let mut name_taken = false;
        let columns = (0..width)
            .map(|c| {
                if Some(c) == phone {
                    Column::Phone
                } else if Some(c) == email {
                    Column::Variable("email".into())
                } else if !name_taken && share(c, &|s: &str| s.chars().any(char::is_alphabetic)) > 0 {
                    name_taken = true;
                    Column::Variable("customer_name".into())
                } else {
                    Column::Variable(format!("column_{}", c + 1))
                }
            })
            .collect();
        Mapping { columns, header: false }
    }

    /// What the mapping reads, for a person: `phone ← A, customer_name ← B, …`.
    pub fn describe(&self) -> String {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let letter = column_letter(i);
                match c {
                    Column::Phone => Some(format!("phone ← {letter}")),
                    Column::Secondary(n) => Some(format!("secondary phone {n} ← {letter}")),
                    Column::Variable(v) => Some(format!("{v} ← {letter}")),
                    Column::Skip => None,
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `A`, `B`, … `Z`, `AA`, as spreadsheets name columns.
fn column_letter(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// One data row, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its line in the file.
    pub line: usize,
    /// The phone as written.
    pub phone_typed: String,
    /// The lead it makes, or why it makes none.
    pub checked: Result<CreateLead, String>,
    /// The line of an earlier row with the same phone (and campaign), when there is one.
    pub same_as: Option<usize>,
    /// The row as a lead typed in the form, for fixing it there (an invalid one too).
    pub draft: LeadDraft,
}

/// Checks every data row as the form checks a lead, for `campaign`; duplicates within the block
/// are marked (unless `allow_duplicate`).
pub fn check(
    table: &Table,
    mapping: &Mapping,
    campaign: u64,
    allow_duplicate: bool,
    region: Option<Region>,
) -> Vec<Row> {
    let data = table.rows.iter().skip(usize::from(mapping.header));
    let mut seen: HashMap<String, usize> = HashMap::new();
    data.map(|(line, cells)| {
        let mut draft = LeadDraft {
            phone: String::new(),
            campaign: campaign.to_string(),
            allow_duplicate,
            variables: Vec::new(),
            secondary: Vec::new(),
        };
        let mut secondary: Vec<(usize, String)> = Vec::new();
        for (cell, column) in cells.iter().zip(&mapping.columns) {
            match column {
                Column::Phone => draft.phone = cell.clone(),
                Column::Secondary(n) if !cell.is_empty() => secondary.push((*n, cell.clone())),
                // An empty value is not sent: the assistant's default applies, as in the form.
                Column::Variable(name) if !cell.is_empty() => {
                    draft.variables.push((name.clone(), cell.clone()));
                }
                _ => {}
            }
        }
        secondary.sort_by_key(|(n, _)| *n);
        draft.secondary =
            secondary.into_iter().map(|(_, phone)| SecondaryDraft { phone, variables: Vec::new() }).collect();
        let phone_typed = draft.phone.clone();
        let digits_only = !phone_typed.is_empty() && phone_typed.chars().all(|c| c.is_ascii_digit());
        let checked = lead::validate(&draft, region).map_err(|errors| {
            let mut why = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            // A spreadsheet keeps a phone typed as a number without its `+` (and leading 0).
            if digits_only {
                why.push_str(" (a phone stored as a number loses its +: store it as text, e.g. +49…)");
            }
            why
        });
        let same_as = match &checked {
            Ok(request) if !allow_duplicate => {
                let earlier = seen.get(request.phone_number.as_str()).copied();
                seen.entry(request.phone_number.to_string()).or_insert(*line);
                earlier
            }
            _ => None,
        };
        Row { line: *line, phone_typed, checked, same_as, draft }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboards_layout_and_peoples_names_are_understood() {
        assert_eq!(column_for("phone_number"), Column::Phone);
        assert_eq!(column_for("Phone"), Column::Phone);
        assert_eq!(column_for("Telefon"), Column::Phone);
        assert_eq!(column_for("secondary_phone_2"), Column::Secondary(2));
        assert_eq!(column_for("Name"), Column::Variable("customer_name".into()));
        assert_eq!(column_for("E-Mail"), Column::Variable("email".into()));
        assert_eq!(column_for("Company"), Column::Variable("company_name".into()));
        assert_eq!(column_for("Booth hall"), Column::Variable("booth_hall".into()));
        assert_eq!(column_for(""), Column::Skip);
    }

    #[test]
    fn tabs_commas_and_semicolons_are_told_apart_and_quotes_kept() {
        let tsv = read_text("phone\tname\n+14155550100\tAda Lovelace\n");
        assert_eq!(tsv.rows[1].1, ["+14155550100", "Ada Lovelace"]);
        let csv = read_text("\u{feff}phone,name\n\"+14155550100\",\"Lovelace, Ada\"\n\n+14155550101,Grace\n");
        assert_eq!(csv.rows.len(), 3, "the blank line is left out");
        assert_eq!(csv.rows[1].1, ["+14155550100", "Lovelace, Ada"]);
        assert_eq!(csv.rows[2].0, 4, "line numbers are the file's");
        let semi = read_text("phone;name\n+14155550100;Ada\n");
        assert_eq!(semi.rows[1].1, ["+14155550100", "Ada"]);
    }

    #[test]
    fn rows_are_checked_as_the_form_checks_a_lead_and_repeats_are_marked() {
        let table = read_text(
            "phone_number,customer_name,email,secondary_phone_1\n\
             +14155550100,Ada,ada@example.com,+14155550199\n\
             not a phone,Grace,,\n\
             +1 415 555 0100,Ada again,,\n\
             +4930123456,Max,,\n",
        );
        let mapping = Mapping::of(&table, None);
        assert!(mapping.header);
        let rows = check(&table, &mapping, 12, false, None);
        assert_eq!(rows.len(), 4);
        let first = rows[0].checked.as_ref().unwrap();
        assert_eq!(first.phone_number, "+14155550100");
        assert_eq!(first.variables.get("email"), Some("ada@example.com"));
        assert_eq!(first.secondary_contacts[0].phone_number, "+14155550199");
        assert!(rows[1].checked.is_err(), "{:?}", rows[1]);
        assert_eq!(rows[2].same_as, Some(2), "the same phone as the row on line 2");
        assert!(rows[3].checked.is_ok());
        // Allowed: no repeat is marked.
        assert!(check(&table, &mapping, 12, true, None).iter().all(|r| r.same_as.is_none()));
    }

    #[test]
    fn without_a_header_the_columns_are_guessed_from_the_content() {
        let table = read_text(
            "Ada Lovelace\t+14155550100\tada@example.com\nGrace Hopper\t+14155550101\tgrace@example.com\n",
        );
        let mapping = Mapping::of(&table, None);
        assert!(!mapping.header);
        assert_eq!(
            mapping.columns,
            [Column::Variable("customer_name".into()), Column::Phone, Column::Variable("email".into())]
        );
        assert_eq!(mapping.describe(), "customer_name ← A, phone ← B, email ← C");
        assert_eq!(check(&table, &mapping, 12, false, None).len(), 2, "no row taken for a header");
    }
}
