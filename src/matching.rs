//! Matching what a person types, as they type it: the campaign picker and the history search
//! share these rules, built on helix's fuzzy matcher (`nucleo-matcher`): its tables fold case and
//! accents, its matcher finds the letters a word skips, scores matches and says which characters
//! matched.
//!
//! # The rules
//! - **Case and accents do not count.** Text and search are folded alike (`ruck`, `RÜCK` and
//!   `rück` all find "Rückrufe").
//! - **Words.** The search splits at spaces; every word must match, in any order, each on its own
//!   (`hannover rück`).
//! - **A word's first three characters must appear as typed**, one after the other. From the
//!   fourth on, a word may skip characters of the text (`lovlace` finds "Lovelace"), but only
//!   inside one field: a word never takes its letters from two (a name and a campaign). So a
//!   short word never floods the list with scattered letters (`hann` does not find "Hartmann"),
//!   and a word that grows only ever narrows what it found.
//! - **Numbers.** Words written like a phone number (digits and `+ - ( ) . /`) are read together
//!   with the spaces between them (`0170 12`, `+49 170`, `(415) 555`) and never fuzzily. With
//!   three digits or more they find those digits in a phone number whatever its punctuation
//!   (`415 55` finds +14155550100), or the text as written (`2025` in a campaign's name).
//!   Written as the start of a number (`+49 170`, `0049 170`, or the national way with a
//!   region: `0170` in DE) they also find the numbers that begin so (+49 170…). With fewer
//!   digits they are a word matched as written, never skipping (`+1`, `55`).
//! - **In the picker** a word of digits also finds the campaigns whose id begins with it
//!   (`12`: #12, #120); the exact id ranks first, then ids that begin so, then the better
//!   nucleo score.

use std::cell::RefCell;

use memchr::memmem::Finder;
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String, chars};

use crate::lead::{Region, search_prefix};

/// Characters of a word that must appear as typed before the rest may skip characters.
const HEAD: usize = 3;
/// Digits a number needs to be matched by its digits.
const MIN_DIGITS: usize = 3;
/// Ends a field of a search text.
const FIELD: u8 = 0x1f;
/// Begins a phone number in a search text.
const PHONE: u8 = 0x1e;
/// A picker score that puts a campaign whose id begins with the typed digits before any name.
const ID_PREFIX: u32 = 1 << 16;

/// What a person typed into a search, read once and then tested against many texts.
#[derive(Debug, Clone, Default)]
pub struct Query {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    // Boxed: a finder is large (its tables), and a query is made once per key.
    Word(Box<Word>),
    /// A word with `ae`, `oe` or `ue`, as Germans write ä, ö, ü without them: it matches as
    /// typed or with the vowel alone (which is how a folded `ä` reads), so `kaethe` finds Käthe.
    Either(Box<Word>, Box<Word>),
    Number(Box<Number>),
}

/// The word with `ae`, `oe`, `ue` written as the vowel alone (how the folded umlaut reads), when
/// it has any.
fn without_umlaut_digraphs(folded: &str) -> Option<String> {
    let short = folded.replace("ae", "a").replace("oe", "o").replace("ue", "u");
    (short != folded).then_some(short)
}

/// One word, folded.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    /// What must appear as typed: the head, or all of the word when it may not skip.
    exact: Finder<'static>,
    /// The whole word for nucleo, when it is longer than what must appear as typed.
    skipping: Option<Utf32String>,
    /// Whether it can be in a phone number as written (`+` and digits).
    in_phone: bool,
}

/// Words written like a phone number.
#[derive(Debug, Clone)]
struct Number {
    /// As written (folded, one space between words).
    written: Finder<'static>,
    /// Its digits, to find anywhere in a number; `None` when it begins with `+` (which says
    /// where the number begins).
    digits: Option<Finder<'static>>,
    /// The start of a number it says it is (`+`, `00`, a national prefix), as the E.164 digits,
    /// after a `+`: found only where a number begins.
    start: Option<Finder<'static>>,
}

impl Query {
    /// Reads `text` by the rules above; `region` reads numbers written the national way.
    pub fn new(text: &str, region: Option<Region>) -> Query {
        let mut parts = Vec::new();
        let mut run: Vec<&str> = Vec::new();
        for word in text.split_whitespace() {
            if is_phone_like(word) {
                run.push(word);
            } else {
                end_number(&mut run, &mut parts, region);
                let typed = Word::new(word, true);
                parts.push(match without_umlaut_digraphs(&typed.text) {
                    Some(short) => Part::Either(Box::new(typed), Box::new(Word::new(&short, true))),
                    None => Part::Word(Box::new(typed)),
                });
            }
        }
        end_number(&mut run, &mut parts, region);
        Query { parts }
    }

    /// Whether nothing was typed (everything matches).
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Whether everything this query matches is matched by `earlier` too, so a search that grew
    /// from `earlier` need only look at what `earlier` found. True when each word of `earlier`
    /// is, in order, the start of the same kind of word here (the last one typed on, more words
    /// after it).
    pub fn narrows(&self, earlier: &Query) -> bool {
        earlier.parts.len() <= self.parts.len()
            && earlier.parts.iter().zip(&self.parts).all(|(old, new)| match (old, new) {
                (Part::Word(old), Part::Word(new)) => old.narrowed_by(new),
                (Part::Either(old, old_short), Part::Either(new, new_short)) => {
                    old.narrowed_by(new) && old_short.narrowed_by(new_short)
                }
                (Part::Number(old), Part::Number(new)) => {
                    new.written.needle().starts_with(old.written.needle())
                        && narrower(&new.digits, &old.digits)
                        && narrower(&new.start, &old.start)
                }
                _ => false,
            })
    }

    /// Whether a record matches: `text` is its [`SearchText`]; `phone` (a phone number) and
    /// `word` (a status, say) are fields every record has and holds already, kept outside it.
    pub fn matches(&self, text: &str, phone: &str, word: &str) -> bool {
        self.matches_beside(text, phone, word, "", 0)
    }

    /// The same, with `shared` a text the record shares with many (its campaign's), in which
    /// the words whose bits are set in `found` (by place, of the first 64: see [`found_in`])
    /// were found already; the words past 64 are looked for in it here.
    ///
    /// [`found_in`]: Query::found_in
    pub fn matches_beside(&self, text: &str, phone: &str, word: &str, shared: &str, found: u64) -> bool {
        self.parts.iter().enumerate().all(|(i, part)| {
            let in_shared = if i < 64 { found >> i & 1 == 1 } else { part.is_in_record(shared, "", "") };
            in_shared || part.is_in_record(text, phone, word)
        })
    }

    /// Which words (by place, of the first 64) are in `text`, a [`SearchText`] of fields many
    /// records share: a word found there is found in each of them.
    pub fn found_in(&self, text: &str) -> u64 {
        let found =
            self.parts.iter().take(64).enumerate().filter(|(_, part)| part.is_in_record(text, "", ""));
        found.fold(0, |bits, (i, _)| bits | 1 << i)
    }

    /// How well a campaign matches, for the picker (higher is better); `None` when it does not.
    pub fn rank(&self, name: &str, id: u64) -> Option<u32> {
        let folded = fold(name);
        let id = id.to_string();
        self.parts.iter().try_fold(0, |score, part| {
            let digits = part.digits_only();
            let by_id = match digits {
                Some(d) if id == d => 2 * ID_PREFIX,
                Some(d) if id.starts_with(d) => ID_PREFIX,
                _ => 0,
            };
            let by_name = match part {
                Part::Word(w) if w.is_in(&folded) => Some(w.score(&folded)),
                Part::Either(w, short) => {
                    [w, short].into_iter().filter(|w| w.is_in(&folded)).map(|w| w.score(&folded)).max()
                }
                Part::Number(n) if n.written.find(folded.as_bytes()).is_some() => Some(0),
                _ => None,
            };
            match (by_id, by_name) {
                (0, None) => None,
                (by_id, by_name) => Some(score + by_id.max(by_name.unwrap_or(0))),
            }
        })
    }

    /// The characters of `text` (as indices of its grapheme clusters, as drawn) that the words
    /// match when `text` is taken as one field, to highlight them.
    pub fn marks(&self, text: &str) -> Vec<usize> {
        let folded = fold(text);
        let mut marks = Vec::new();
        for part in &self.parts {
            match part {
                Part::Word(w) if w.is_in(&folded) => w.mark(&folded, &mut marks),
                Part::Either(w, short) => {
                    if let Some(w) = [w, short].into_iter().find(|w| w.is_in(&folded)) {
                        w.mark(&folded, &mut marks);
                    }
                }
                Part::Number(n) => mark_found(&n.written, &folded, &mut marks),
                Part::Word(_) => {}
            }
        }
        marks.sort_unstable();
        marks.dedup();
        marks
    }

    /// The characters of a phone number as written (`+14155550100`) that the search matches, as
    /// character indices: the digits a number found, a short word of digits as written.
    pub fn phone_marks(&self, phone: &str) -> Vec<usize> {
        // Where each digit is in `phone`, and the digits alone.
        let (at, digits): (Vec<usize>, String) =
            phone.chars().enumerate().filter(|(_, c)| c.is_ascii_digit()).unzip();
        let mut marks = Vec::new();
        for part in &self.parts {
            match part {
                Part::Word(w) if w.skipping.is_none() => mark_found(&w.exact, phone, &mut marks),
                Part::Word(_) | Part::Either(..) => {}
                Part::Number(n) => {
                    let mut found = Vec::new();
                    if let Some(finder) = &n.digits {
                        mark_found(finder, &digits, &mut found);
                    }
                    if let Some(start) =
                        n.start.as_ref().filter(|s| digits.as_bytes().starts_with(&s.needle()[2..]))
                    {
                        found.extend(0..start.needle().len() - 2);
                    }
                    marks.extend(found.into_iter().filter_map(|i| at.get(i).copied()));
                }
            }
        }
        marks.sort_unstable();
        marks.dedup();
        marks
    }
}

impl Part {
    /// Whether the part is in a record: its search text, its phone, or `word`.
    fn is_in_record(&self, text: &str, phone: &str, word: &str) -> bool {
        match self {
            Part::Word(w) => w.is_in_record(text, phone, word),
            Part::Either(w, short) => {
                w.is_in_record(text, phone, word) || short.is_in_record(text, phone, word)
            }
            Part::Number(n) => n.is_in(text) || n.is_in_phone(phone),
        }
    }

    /// The digits, when the part is nothing else (an id typed into the picker).
    fn digits_only(&self) -> Option<&str> {
        let text = match self {
            Part::Word(w) => w.text.as_str(),
            Part::Either(..) => return None,
            Part::Number(n) => std::str::from_utf8(n.written.needle()).ok()?,
        };
        text.bytes().all(|b| b.is_ascii_digit()).then_some(text)
    }
}

/// Ends a run of words written like a phone number: one number when it has digits enough, else
/// each word as written.
fn end_number(run: &mut Vec<&str>, parts: &mut Vec<Part>, region: Option<Region>) {
    if run.is_empty() {
        return;
    }
    let written = fold(&run.join(" "));
    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= MIN_DIGITS {
        let start = search_prefix(&written, region).map(|s| finder(&format!("{}+{s}", PHONE as char)));
        let digits = (!written.starts_with('+')).then(|| finder(&digits));
        parts.push(Part::Number(Box::new(Number { written: finder(&written), digits, start })));
    } else {
        parts.extend(run.iter().map(|w| Part::Word(Box::new(Word::new(w, false)))));
    }
    run.clear();
}

/// Whether a word is written like (a piece of) a phone number.
fn is_phone_like(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().all(|b| b.is_ascii_digit() || b"+-()./".contains(&b))
}

impl Word {
    fn new(typed: &str, may_skip: bool) -> Word {
        let text = fold(typed);
        let long = text.chars().nth(HEAD).is_some();
        let exact = match text.char_indices().nth(HEAD) {
            Some((end, _)) if may_skip => &text[..end],
            _ => &text,
        };
        let skipping = (long && may_skip).then(|| utf32(&text));
        let in_phone = text.bytes().all(|b| b == b'+' || b.is_ascii_digit());
        Word { exact: finder(exact), skipping, in_phone, text }
    }

    /// Whether a search grown from this word to `new` finds only what this one found.
    fn narrowed_by(&self, new: &Word) -> bool {
        new.text.starts_with(&self.text) && new.exact.needle().starts_with(self.exact.needle())
    }

    /// Whether the word is in a record: its search text, its phone (when it can be) or `word`.
    fn is_in_record(&self, text: &str, phone: &str, word: &str) -> bool {
        self.is_in(text) || (self.in_phone && self.is_in(phone)) || self.is_in(word)
    }

    /// Whether the word is in `hay` (folded; fields ended by [`FIELD`] or [`PHONE`]).
    fn is_in(&self, hay: &str) -> bool {
        let bytes = hay.as_bytes();
        let Some(skipping) = &self.skipping else { return self.exact.find(bytes).is_some() };
        // Each start of the head, then the next field: a later start in a field that failed
        // finds no more.
        let mut from = 0;
        while let Some(found) = self.exact.find(&bytes[from..]) {
            let at = from + found;
            if bytes[at..].starts_with(self.text.as_bytes()) {
                // As typed: no need to ask nucleo.
                return true;
            }
            let field_end = memchr::memchr2(FIELD, PHONE, &bytes[at..]).map_or(bytes.len(), |e| at + e);
            let field = &hay[at..field_end];
            if with_matcher(|m, buf| m.fuzzy_match_greedy(utf32_str(field, buf), skipping.slice(..)))
                .is_some()
            {
                return true;
            }
            from = field_end;
        }
        false
    }

    /// Nucleo's score of the word in `field` (folded), where it [`Word::is_in`] it.
    fn score(&self, field: &str) -> u32 {
        let needle = self.skipping.clone().unwrap_or_else(|| utf32(&self.text));
        with_matcher(|m, buf| m.fuzzy_match(utf32_str(field, buf), needle.slice(..))).map_or(0, u32::from)
    }

    /// Adds the characters of `field` (folded) the word matches to `marks`.
    fn mark(&self, field: &str, marks: &mut Vec<usize>) {
        let Some(skipping) = &self.skipping else { return mark_found(&self.exact, field, marks) };
        let mut indices = Vec::new();
        with_matcher(|m, buf| m.fuzzy_indices(utf32_str(field, buf), skipping.slice(..), &mut indices));
        marks.extend(indices.into_iter().map(|i| i as usize));
    }
}

impl Number {
    /// Whether the number is in a search text: as written, its digits anywhere, or the start it
    /// says where a phone number begins.
    fn is_in(&self, hay: &str) -> bool {
        let bytes = hay.as_bytes();
        self.written.find(bytes).is_some()
            || self.digits.as_ref().is_some_and(|d| d.find(bytes).is_some())
            || self.start.as_ref().is_some_and(|s| s.find(bytes).is_some())
    }

    /// Whether the number is in a phone number kept outside the search text (E.164 or not).
    fn is_in_phone(&self, phone: &str) -> bool {
        let digits: std::borrow::Cow<str> = match phone.strip_prefix('+') {
            Some(rest) if rest.bytes().all(|b| b.is_ascii_digit()) => rest.into(),
            _ => phone.chars().filter(char::is_ascii_digit).collect::<String>().into(),
        };
        let digits = digits.as_bytes();
        // The start's needle is the phone mark and `+` before the digits.
        self.digits.as_ref().is_some_and(|d| d.find(digits).is_some())
            || self.start.as_ref().is_some_and(|s| digits.starts_with(&s.needle()[2..]))
    }
}

/// Whether a needle that may be absent finds only what `earlier` finds: absent, or present in
/// both and typed on from it (a needle that appeared finds what the earlier one did not look for).
fn narrower(new: &Option<Finder<'_>>, earlier: &Option<Finder<'_>>) -> bool {
    match (new, earlier) {
        (None, _) => true,
        (Some(new), Some(earlier)) => new.needle().starts_with(earlier.needle()),
        (Some(_), None) => false,
    }
}

/// Adds the characters of `hay` where `finder` finds its needle to `marks`, as char indices.
fn mark_found(finder: &Finder<'_>, hay: &str, marks: &mut Vec<usize>) {
    let len = std::str::from_utf8(finder.needle()).map_or(0, |n| n.chars().count());
    for at in finder.find_iter(hay.as_bytes()) {
        let start = hay[..at].chars().count();
        marks.extend(start..start + len);
    }
}

/// Builds the text a record is searched in: its fields folded once, each kept apart so that no
/// word matches across two, and phone numbers as `+` and digits, whatever their punctuation.
#[derive(Debug, Default)]
pub struct SearchText(String);

impl SearchText {
    /// Adds a field of text.
    pub fn field(&mut self, text: &str) {
        fold_into(text, &mut self.0);
        self.0.push(FIELD as char);
    }

    /// Adds a phone number.
    pub fn phone(&mut self, number: &str) {
        self.0.push(PHONE as char);
        self.0.push('+');
        self.0.extend(number.chars().filter(char::is_ascii_digit));
    }

    /// The text made.
    pub fn finish(self) -> String {
        self.0
    }
}

/// `text` folded as searches compare it: one character per grapheme cluster (as nucleo counts
/// them), lowercased and without accents by nucleo's tables; control characters (which mark
/// fields) become spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

fn fold_into(text: &str, out: &mut String) {
    let clean = |c: char| if c.is_control() { ' ' } else { c };
    if text.is_ascii() {
        out.extend(text.chars().map(|c| clean(c.to_ascii_lowercase())));
    } else {
        out.extend(chars::graphemes(text).map(|c| clean(chars::to_lower_case(chars::normalize(c)))));
    }
}

/// A folded text as nucleo takes it, owned.
fn utf32(folded: &str) -> Utf32String {
    if folded.is_ascii() {
        Utf32String::Ascii(folded.into())
    } else {
        Utf32String::Unicode(folded.chars().collect())
    }
}

/// A folded text as nucleo takes it, in `buf` when it is not ASCII. Not [`Utf32Str::new`]: that
/// would cut the folded text into grapheme clusters again, and two folded characters can make one.
fn utf32_str<'a>(folded: &'a str, buf: &'a mut Vec<char>) -> Utf32Str<'a> {
    if folded.is_ascii() {
        Utf32Str::Ascii(folded.as_bytes())
    } else {
        buf.clear();
        buf.extend(folded.chars());
        Utf32Str::Unicode(buf)
    }
}

fn finder(needle: &str) -> Finder<'static> {
    Finder::new(needle.as_bytes()).into_owned()
}

/// Runs `f` with this thread's matcher (its scratch memory is large: one per thread, made once)
/// and a buffer for texts that are not ASCII. Texts are folded already, so it neither folds case
/// nor accents again.
fn with_matcher<T>(f: impl FnOnce(&mut Matcher, &mut Vec<char>) -> T) -> T {
    thread_local! {
        static SCRATCH: RefCell<(Matcher, Vec<char>)> = RefCell::new({
            let mut config = Config::DEFAULT;
            config.ignore_case = false;
            config.normalize = false;
            (Matcher::new(config), Vec::new())
        });
    }
    SCRATCH.with_borrow_mut(|(matcher, buf)| f(matcher, buf))
}

#[cfg(test)]
mod tests;
