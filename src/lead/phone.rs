//! Phone numbers as people write them: `+1 (415) 555-0100`, `0170 1234567` in Germany,
//! `00 49 170 1234567`, `011 1 415 555 0100` from the US, a pasted `tel:` link, `Mobile: +49 …`,
//! full-width digits. Read into the one form the API accepts (E.164), or refused with a reason
//! short enough to stand beside the field.
//!
//! The text is read here, character by character, into a `+` and digits; only that plain form is
//! handed to the `phonenumber` crate (libphonenumber's metadata), which knows the country codes,
//! international and national prefixes and which numbers exist. Reading the text ourselves keeps
//! the crate's lenient extraction (letters read as keypad digits, text dropped around a number)
//! from turning a typo into some other person's number.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use phonenumber::metadata::{DATABASE, Descriptor, Metadata};

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
    /// `+` country code and subscriber number, digits only: 7 to 15 ASCII digits.
    pub e164: String,
    /// The region the number belongs to, when the metadata knows it (`None` for global services).
    pub region: Option<String>,
}

/// Why a typed phone number cannot be sent, in words a person can act on. Each message fits in
/// about 35 columns, beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing typed.
    #[error("phone number is required")]
    Empty,
    /// No digits that look like a number, or symbols a phone number cannot have.
    #[error("not a phone number")]
    NotANumber,
    /// A national number without a region to read it in.
    #[error("add +country code, or set a region")]
    NeedsRegion,
    /// The digits after `+` are no country's code.
    #[error("unknown country code")]
    UnknownCountryCode,
    /// Fewer digits than any number in that country (or E.164) has.
    #[error("too short")]
    TooShort,
    /// More digits than any number in that country (or E.164) has.
    #[error("too long")]
    TooLong,
    /// The right length, but not a number that can exist in that region (a region like `DE`, or
    /// `+1` when the country code is shared and the digits fit none of its regions).
    #[error("not a valid {0} number")]
    InvalidForRegion(String),
    /// An extension (`x12`, `ext. 12`, `;ext=12`): E.164 has no room for one.
    #[error("the API cannot dial extensions")]
    Extension,
    /// Letters mixed into the digits (`O` for `0`, `1-800-FLOWERS`): never guessed.
    #[error("letters in the number")]
    Letters,
    /// National digits that begin with the country code and are a number with and without it.
    #[error("ambiguous: add + and country code")]
    Ambiguous,
    /// More after the number than a word: a second number, or digits after other text.
    #[error("remove the text after the number")]
    TrailingText,
}

/// The fewest and most digits (country code included) the API takes as E.164.
const E164_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// Reads a phone number in any human format (`+1 (415) 555-0100`, `0170 1234567` with region DE,
/// `00 49 170 1234567`, `011 1 415 555 0100` with region US, a `tel:` link, `Mobile: +49 …`) and
/// returns its E.164 form, or why it is not valid. A `+` number is read the same whatever the
/// region; the region only reads numbers written without one.
pub fn parse_phone(input: &str, region: Option<Region>) -> Result<Phone, PhoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let (number, context) = split_tel_uri(trimmed)?;
    let (plus, mut digits) = scan(number)?;
    let plus = match context {
        Some(code) if !plus => {
            digits.insert_str(0, &code);
            true
        }
        _ => plus,
    };
    let region_meta = region.and_then(|r| DATABASE.by_id(r.0.as_ref()));
    if plus {
        return read(&format!("+{digits}"), None, region);
    }
    if let Some(rest) = after_idd(region_meta, &digits) {
        return read(&format!("+{rest}"), None, region);
    }
    let (Some(read_in), Some(meta)) = (region, region_meta) else {
        return Err(PhoneError::NeedsRegion);
    };
    // National digits that begin like the region's country code: `250 123 456` is a Rwandan
    // number (the crate would cut `250` off), `49 170 1234567` a German one with its code. When
    // both readings are numbers, which one was meant cannot be known.
    let code = meta.country_code().to_string();
    if digits.starts_with(&code) {
        let whole = read(&format!("+{code}{digits}"), None, region);
        let with_code = read(&format!("+{digits}"), None, region);
        match (whole, with_code) {
            (Ok(whole), Ok(with_code)) if whole != with_code => return Err(PhoneError::Ambiguous),
            (Ok(phone), _) | (_, Ok(phone)) => return Ok(phone),
            _ => {}
        }
    }
    read(&digits, Some(read_in), region)
}

/// Reads `text` (`+` and digits, or national digits with `read_in` set) with the `phonenumber`
/// crate and checks the number; `region` is the one the user set, to name it in a reason.
fn read(text: &str, read_in: Option<Region>, region: Option<Region>) -> Result<Phone, PhoneError> {
    let digit_count = text.trim_start_matches('+').len();
    let number = phonenumber::parse(read_in.map(|r| r.0), text).map_err(|e| match e {
        phonenumber::ParseError::InvalidCountryCode => PhoneError::UnknownCountryCode,
        phonenumber::ParseError::TooLong => PhoneError::TooLong,
        phonenumber::ParseError::MalformedInteger(_) if digit_count > *E164_DIGITS.end() => {
            PhoneError::TooLong
        }
        phonenumber::ParseError::MalformedInteger(_) => PhoneError::NotANumber,
        // There were digits (`scan` saw them), just too few for the parser to try.
        _ => PhoneError::TooShort,
    })?;
    if number.extension().is_some() {
        return Err(PhoneError::Extension);
    }
    let code = number.code().value();
    let national = number.national().to_string();
    let Some(all) = DATABASE.by_code(&code) else {
        return Err(PhoneError::UnknownCountryCode);
    };
    let home = home(&all, &national);
    let e164 = format!("+{code}{national}");
    if e164.len() - 1 > *E164_DIGITS.end() {
        return Err(PhoneError::TooLong);
    }
    if !number.is_valid() {
        let checked = home.map_or_else(|| all.clone(), |m| vec![m]);
        let reason = diagnose(&national, &checked);
        return Err(reason.unwrap_or_else(|| PhoneError::InvalidForRegion(region_name(code, home, region))));
    }
    if e164.len() - 1 < *E164_DIGITS.start() {
        return Err(PhoneError::TooShort);
    }
    Ok(Phone { e164, region: home.map(Metadata::id).filter(|id| *id != "001").map(str::to_owned) })
}

/// The start of a number typed into a search, as the digits an E.164 number would begin with
/// (country code first, no `+`), when how it is written says where the number begins: `+49 170`,
/// `0049 170` and, with region DE, `0170` (the national prefix) all give `49170`. `None` when
/// nothing says so (`170 12` may be any part of a number) or nothing follows the mark. A trunk
/// zero written in brackets after the country code (`+49 (0)170`) is left out, as when dialling.
pub fn search_prefix(typed: &str, region: Option<Region>) -> Option<String> {
    let typed = typed.trim().replace("(0)", "");
    let digits: String = typed.chars().filter_map(digit_value).map(char::from).collect();
    if typed.starts_with(is_plus) {
        return (!digits.is_empty()).then_some(digits);
    }
    let meta = region.and_then(|r| DATABASE.by_id(r.0.as_ref()));
    if let Some(rest) = after_idd(meta, &digits) {
        return Some(rest.to_owned());
    }
    let meta = meta?;
    let rest = digits.strip_prefix(meta.national_prefix()?).filter(|rest| !rest.is_empty())?;
    Some(format!("{}{rest}", meta.country_code()))
}

/// Loads libphonenumber's metadata now (it is read lazily on first use, which takes a moment),
/// so the first number typed is checked without a pause. Meant for a background thread.
pub fn warm_up() {
    let _ = parse_phone("+14155550100", None);
}

/// Splits a `tel:` URI (RFC 3966) into the number and the country code of its `phone-context`.
/// An `ext` or `isub` parameter cannot be dialled in E.164; other parameters are ignored.
fn split_tel_uri(text: &str) -> Result<(&str, Option<String>), PhoneError> {
    let is_uri = text.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("tel:"));
    let text = if is_uri { &text[4..] } else { text };
    let Some((number, params)) = text.split_once(';').filter(|(_, p)| is_uri || p.contains('=')) else {
        return Ok((text, None));
    };
    let mut context = None;
    for param in params.split(';') {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        match key.trim().to_ascii_lowercase().as_str() {
            "ext" | "isub" => return Err(PhoneError::Extension),
            "phone-context" if value.starts_with('+') => {
                context = Some(value.chars().filter_map(digit_value).map(char::from).collect::<String>());
            }
            _ => {}
        }
    }
    Ok((number, context))
}

/// Reads `+` and digits out of a number written for people: separators are dropped, a label
/// before it (`Mobile:`) and a word after it (`(work)`) are allowed, anything that could change
/// which number is meant is refused. Returns whether it began with `+`, and the ASCII digits.
fn scan(text: &str) -> Result<(bool, String), PhoneError> {
    let start = text.find(|c| is_plus(c) || digit_value(c).is_some()).ok_or(PhoneError::NotANumber)?;
    let label = &text[..start];
    if label.chars().any(|c| !(c.is_alphabetic() || is_separator(c) || ":#,".contains(c))) {
        return Err(PhoneError::NotANumber);
    }
    if label.chars().next_back().is_some_and(char::is_alphabetic) {
        return Err(PhoneError::Letters);
    }
    let rest = &text[start..];
    let plus = rest.starts_with(is_plus);
    let mut digits = String::new();
    let mut end = rest.len();
    let mut last_digit_end = 0;
    for (i, c) in rest.char_indices().skip(usize::from(plus)) {
        if let Some(d) = digit_value(c) {
            digits.push(char::from(d));
            last_digit_end = i + c.len_utf8();
        } else if !is_separator(c) {
            end = i;
            break;
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::NotANumber);
    }
    let tail = &rest[end..];
    if tail.is_empty() {
        return Ok((plus, digits));
    }
    let gap = &rest[last_digit_end..end];
    let word_break = gap.chars().any(|c| c.is_whitespace() || c == '(');
    if is_extension(tail.trim_start()) {
        Err(PhoneError::Extension)
    } else if tail.starts_with(char::is_alphabetic) && !word_break {
        Err(PhoneError::Letters)
    } else if tail.chars().any(|c| is_plus(c) || digit_value(c).is_some()) {
        let first_word = tail.trim_start().split(char::is_whitespace).next().unwrap_or("");
        let mixed = first_word.chars().any(char::is_alphabetic)
            && first_word.chars().any(|c| digit_value(c).is_some());
        Err(if mixed { PhoneError::Letters } else { PhoneError::TrailingText })
    } else {
        Ok((plus, digits))
    }
}

/// Whether `tail` is an extension: `x12`, `ext. 12`, `extension: 12`, `#12`.
fn is_extension(tail: &str) -> bool {
    let lower = tail.to_lowercase();
    let Some(rest) = ["extension", "extn", "ext", "x", "#"].iter().find_map(|m| lower.strip_prefix(m)) else {
        return false;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || ".:=".contains(c)).trim_end();
    let rest = rest.trim_end_matches('#');
    !rest.is_empty() && rest.chars().all(|c| digit_value(c).is_some() || c.is_whitespace())
}

/// A decimal digit in any script people type or paste numbers in (ASCII, full-width,
/// Arabic-Indic, Devanagari, …), as its ASCII character.
fn digit_value(c: char) -> Option<u8> {
    const ZEROS: [u32; 24] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6,
        0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x19D0, 0xA9D0, 0xFF10,
    ];
    let code = u32::from(c);
    ZEROS.iter().find(|&&zero| (zero..zero + 10).contains(&code)).map(|zero| b'0' + (code - zero) as u8)
}

/// `+`, also full-width and small, as pasted from East Asian text.
fn is_plus(c: char) -> bool {
    matches!(c, '+' | '\u{FF0B}' | '\u{FE62}')
}

/// Characters people put between digits, including invisible ones that come with a paste. Line
/// breaks are not: two lines are two numbers.
fn is_separator(c: char) -> bool {
    (c.is_whitespace() && c != '\n' && c != '\r')
        || matches!(c, '-' | '.' | '(' | ')' | '[' | ']' | '/' | '~' | '\u{2010}'..='\u{2015}' | '\u{2212}')
        || matches!(c, '\u{FF08}' | '\u{FF09}' | '\u{FF0D}' | '\u{FF0E}' | '\u{FF0F}' | '\u{30FC}')
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}')
        || matches!(c, '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// The digits after an international prefix: `region`'s (`011` in the US), or `00`, which is the
/// international prefix nearly everywhere and begins no national number. Read here rather than by
/// the crate, which would then strip the region's national prefix from the other country's number.
fn after_idd<'a>(region: Option<&Metadata>, digits: &'a str) -> Option<&'a str> {
    let idd = region.and_then(|m| m.international_prefix()).and_then(|re| re.find(digits));
    let rest = match idd {
        Some(m) if m.start() == 0 => &digits[m.end()..],
        _ => digits.strip_prefix("00")?,
    };
    (!rest.is_empty() && !rest.starts_with('0')).then_some(rest)
}

/// The region of a country code a national number belongs to, the way libphonenumber picks it:
/// the only one, else the first whose leading digits it begins with, or whose numbers it is one
/// of. (The crate's own `country().id()` drops Italy's leading zero and finds no region for
/// `+39 02 …`.)
fn home<'m>(all: &[&'m Metadata], national: &str) -> Option<&'m Metadata> {
    if let [only] = all {
        return Some(only);
    }
    all.iter().copied().find(|m| match m.leading_digits() {
        Some(re) => re.find(national).is_some_and(|found| found.start() == 0),
        None => m.descriptors().general().is_match(national) && dialable(m).any(|d| d.is_match(national)),
    })
}

/// How to name where a number is not valid: its region (the code's only one, or the one its digits
/// point to), else the region the user set if it has this code, else the code (`+1`, `+800`).
fn region_name(code: u16, home: Option<&Metadata>, region: Option<Region>) -> String {
    let regions = DATABASE.region(&code).unwrap_or_default();
    let set = region.map(|r| r.to_string()).filter(|r| regions.contains(&r.as_str()));
    match (home.map(Metadata::id).filter(|id| *id != "001"), set) {
        (Some(id), _) => id.to_owned(),
        (None, Some(set)) => set,
        (None, None) => format!("+{code}"),
    }
}

/// The kinds of number one can call; their descriptors carry the possible lengths.
fn dialable(meta: &Metadata) -> impl Iterator<Item = &Descriptor> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
}

/// Why an invalid national number is invalid, when its length says so: shorter or longer than
/// every number of the country, or than every number that begins with the same digits (`+49 170
/// 12` is too short for a German mobile). `None` when the length is not the problem.
fn diagnose(national: &str, metas: &[&Metadata]) -> Option<PhoneError> {
    let n = national.len();
    let descriptors: Vec<&Descriptor> = metas.iter().flat_map(|m| dialable(m)).collect();
    let mut all: Vec<usize> =
        descriptors.iter().flat_map(|d| d.possible_length()).map(|&l| usize::from(l)).collect();
    all.sort_unstable();
    let (&min, &max) = (all.first()?, all.last()?);
    if n < min {
        return Some(PhoneError::TooShort);
    }
    if n > max {
        return Some(PhoneError::TooLong);
    }
    let lengths = |d: &Descriptor| -> Vec<usize> {
        match d.possible_length() {
            [] => all.clone(),
            own => own.iter().map(|&l| usize::from(l)).collect(),
        }
    };
    // A longer number of some kind begins with these digits: try filling the rest with each digit
    // repeated, and with the rest of the kind's example.
    let completes = |d: &Descriptor, len: usize| {
        let example = d.example().filter(|e| e.len() == len).map(|e| e[n..].to_owned());
        (b'0'..=b'9')
            .map(|c| char::from(c).to_string().repeat(len - n))
            .chain(example)
            .any(|fill| d.is_match(&format!("{national}{fill}")))
    };
    if descriptors.iter().any(|d| lengths(d).into_iter().any(|len| len > n && completes(d, len))) {
        return Some(PhoneError::TooShort);
    }
    if descriptors.iter().any(|d| lengths(d).into_iter().any(|len| len < n && d.is_match(&national[..len]))) {
        return Some(PhoneError::TooLong);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn de() -> Option<Region> {
        Some("de".parse().unwrap())
    }

    fn us() -> Option<Region> {
        Some("us".parse().unwrap())
    }

    fn e164(input: &str, region: Option<Region>) -> String {
        parse_phone(input, region).unwrap_or_else(|e| panic!("{input:?}: {e}")).e164
    }

    #[test]
    fn the_start_of_a_number_typed_for_a_search_reads_internationally() {
        assert_eq!(search_prefix("0170 12", de()).as_deref(), Some("4917012"));
        assert_eq!(search_prefix("+49 170", None).as_deref(), Some("49170"));
        assert_eq!(search_prefix("+49 (0)170", None).as_deref(), Some("49170"));
        assert_eq!(search_prefix("0049 170", None).as_deref(), Some("49170"));
        assert_eq!(search_prefix("011 49 170", us()).as_deref(), Some("49170"));
        assert_eq!(search_prefix("1 415 555", us()).as_deref(), Some("1415555"), "US national prefix");
        assert_eq!(search_prefix("170 12", de()), None, "no mark of where the number begins");
        assert_eq!(search_prefix("0170 12", None), None, "a national prefix needs a region");
        assert_eq!(search_prefix("0", de()), None, "nothing after the mark");
    }

    #[test]
    fn human_formats_become_e164() {
        let us_number = parse_phone("+1 (415) 555-0100", None).unwrap();
        assert_eq!(us_number.e164, "+14155550100");
        assert_eq!(us_number.region.as_deref(), Some("US"));
        assert_eq!(e164("0170 1234567", de()), "+491701234567");
        assert_eq!(e164("00 49 170 1234567", None), "+491701234567");
        assert_eq!(e164("00 49 170 1234567", de()), "+491701234567");
        assert_eq!(e164("00 49 170 1234567", us()), "+491701234567");
        assert_eq!(e164("011 1 415 555 0100", us()), "+14155550100");
        assert_eq!(e164("011 49 170 1234567", us()), "+491701234567");
        assert_eq!(e164("(415) 555-0100", us()), "+14155550100");
        assert_eq!(e164("415.555.0100", us()), "+14155550100");
        assert_eq!(e164("+49 (0)170 1234567", None), "+491701234567");
        assert_eq!(e164("0049 (0) 170/1234567", None), "+491701234567");
        assert_eq!(e164("+39 06 1234 5678", None), "+390612345678");
    }

    #[test]
    fn the_region_is_found_where_the_crate_loses_it() {
        let it = |s: &str| parse_phone(s, Some("IT".parse().unwrap())).unwrap();
        // The crate drops the leading zero before looking for the region of a shared code.
        assert_eq!(it("02 1234 5678").region.as_deref(), Some("IT"));
        assert_eq!(parse_phone("+39 02 1234 5678", None).unwrap().region.as_deref(), Some("IT"));
        // National numbers that begin like the country code are not cut after it.
        assert_eq!(it("393 123 4567").e164, "+393931234567");
        assert_eq!(e164("250 123 456", Some("RW".parse().unwrap())), "+250250123456");
        // ... unless the code was meant: a national number written with its code but no `+`.
        assert_eq!(e164("33 6 12 34 56 78", Some("FR".parse().unwrap())), "+33612345678");
        assert_eq!(e164("1 415 555 0100", us()), "+14155550100");
        // Both are numbers in Germany: +49 170 1234567, and +49 4917 01234567.
        assert_eq!(parse_phone("49 170 1234567", de()), Err(PhoneError::Ambiguous));
    }

    #[test]
    fn pasted_text_is_read_when_it_is_unambiguous() {
        assert_eq!(e164("tel:+1-415-555-0100", None), "+14155550100");
        assert_eq!(e164("TEL:+1-415-555-0100", None), "+14155550100");
        assert_eq!(e164("tel:03-331-6005;phone-context=+64", None), "+6433316005");
        assert_eq!(e164("Mobile: +49 170 1234567", None), "+491701234567");
        assert_eq!(e164("Tel. 0170 1234567", de()), "+491701234567");
        assert_eq!(e164("+49 170 1234567 (mobile)", None), "+491701234567");
        assert_eq!(e164("\u{202A}+1 415\u{00A0}555 0100\u{202C}", None), "+14155550100");
        assert_eq!(e164("＋４９ １７０ １２３４５６７", None), "+491701234567");
        assert_eq!(e164("+٤٩ ١٧٠ ١٢٣٤٥٦٧", None), "+491701234567");
    }

    #[test]
    fn pasted_text_that_could_mean_another_number_is_refused() {
        let refused = |s: &str, r| parse_phone(s, r).unwrap_err();
        assert_eq!(refused("tel:+1-415-555-0100;ext=12", None), PhoneError::Extension);
        assert_eq!(refused("+1 415 555 0100 x12", None), PhoneError::Extension);
        assert_eq!(refused("+1 415 555 0100 ext. 12", None), PhoneError::Extension);
        assert_eq!(refused("+49 17O 1234567", None), PhoneError::Letters);
        assert_eq!(refused("+49 170 I234567", None), PhoneError::Letters);
        assert_eq!(refused("1-800-FLOWERS", us()), PhoneError::Letters);
        assert_eq!(refused("Mobile+49 170 1234567", None), PhoneError::Letters);
        assert_eq!(refused("+1 415 555 0100 / +1 415 555 0101", None), PhoneError::TrailingText);
        assert_eq!(refused("+1 415 555 0100 or 0101", None), PhoneError::TrailingText);
        assert_eq!(refused("+1 415 555 0100\n+1 415 555 0101", None), PhoneError::TrailingText);
        assert_eq!(refused("someletters1110@gmail.com", us()), PhoneError::Letters);
        assert_eq!(refused("*31# 0170 1234567", de()), PhoneError::NotANumber);
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(parse_phone("  ", None), Err(PhoneError::Empty));
        assert_eq!(parse_phone("call me", None), Err(PhoneError::NotANumber));
        assert_eq!(parse_phone("0170 1234567", None), Err(PhoneError::NeedsRegion));
        assert_eq!(parse_phone("011 1 415 555 0100", None), Err(PhoneError::NeedsRegion));
        assert_eq!(parse_phone("+999 1234567", None), Err(PhoneError::UnknownCountryCode));
        assert_eq!(parse_phone("+0 1234567", None), Err(PhoneError::UnknownCountryCode));
        assert_eq!(parse_phone("+49 1", None), Err(PhoneError::TooShort));
        assert_eq!(parse_phone("+1 415 555", None), Err(PhoneError::TooShort));
        assert_eq!(parse_phone("+49 170 12", None), Err(PhoneError::TooShort));
        assert_eq!(parse_phone("0170 12", de()), Err(PhoneError::TooShort));
        assert_eq!(parse_phone("+1 415 555 01000", None), Err(PhoneError::TooLong));
        assert_eq!(parse_phone("+49 170 123456789", None), Err(PhoneError::TooLong));
        assert_eq!(parse_phone("+1 415 000 0000", None), Err(PhoneError::InvalidForRegion("+1".into())));
        assert_eq!(parse_phone("(415) 000-0000", us()), Err(PhoneError::InvalidForRegion("US".into())));
        assert_eq!(parse_phone("+49 110 12345678", None), Err(PhoneError::InvalidForRegion("DE".into())));
    }

    #[test]
    fn messages_fit_beside_the_field() {
        let errors = [
            PhoneError::Empty,
            PhoneError::NotANumber,
            PhoneError::NeedsRegion,
            PhoneError::UnknownCountryCode,
            PhoneError::TooShort,
            PhoneError::TooLong,
            PhoneError::InvalidForRegion("+999".into()),
            PhoneError::Extension,
            PhoneError::Letters,
            PhoneError::Ambiguous,
            PhoneError::TrailingText,
        ];
        for e in errors {
            assert!(e.to_string().chars().count() <= 35, "{e}");
        }
    }

    #[test]
    fn regions_are_two_letters() {
        assert_eq!("gb".parse::<Region>().unwrap().to_string(), "GB");
        assert!("Germany".parse::<Region>().is_err());
        assert!("ZZ".parse::<Region>().is_err());
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
    }
}
