//! The one place where text from outside (the server, the history file, the cache, a paste) is
//! made safe to draw: control characters, escape sequences and bidirectional overrides are removed
//! so that a hostile string can neither move the cursor nor reorder what the user reads.

use std::borrow::Cow;

/// Removes C0 and C1 control characters (whole escape sequences where one starts), DEL, and the
/// Unicode bidirectional controls. Tabs and newlines become a single space so a line stays a line.
/// Idempotent: cleaning a cleaned string changes nothing.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_cleaning) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape_sequence(&mut chars),
            // A CSI introduced by the single C1 character.
            '\u{9b}' => skip_until(&mut chars, |c| ('\u{40}'..='\u{7e}').contains(&c)),
            // OSC, DCS, SOS, PM, APC: strings ended by ST or BEL.
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if needs_cleaning(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`clean`], into an owned string: for values stored in the model.
pub fn cleaned(text: &str) -> String {
    clean(text).into_owned()
}

fn needs_cleaning(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The characters that change the display order of text (Trojan Source, CVE-2021-42574), and the
/// invisible marks that do the same more quietly.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

fn skip_escape_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_until(chars, |c| ('\u{40}'..='\u{7e}').contains(&c));
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        // Two-character sequences (ESC 7, ESC c, ESC ( B's first part, ...): drop the next one.
        Some(c) if !c.is_control() => {
            chars.next();
        }
        _ => {}
    }
}

fn skip_until(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, end: impl Fn(char) -> bool) {
    for c in chars.by_ref() {
        if end(c) {
            break;
        }
    }
}

/// Skips an OSC-like string up to BEL, ST (`ESC \`) or the C1 ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(clean("Jürgen Müller +49"), Cow::Borrowed("Jürgen Müller +49")));
    }

    #[test]
    fn escape_sequences_are_removed_whole() {
        assert_eq!(clean("a\u{1b}[31mred\u{1b}[0m b"), "ared b");
        assert_eq!(clean("x\u{1b}]0;pwned title\u{7}y"), "xy");
        assert_eq!(clean("x\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\y"), "xlinky");
        assert_eq!(clean("\u{9b}2Jcleared"), "cleared");
    }

    #[test]
    fn bidi_overrides_and_controls_are_removed() {
        assert_eq!(clean("abc\u{202e}fed\u{202c}"), "abcfed");
        assert_eq!(clean("a\u{0}b\u{7f}c\u{85}d"), "abcd");
        assert_eq!(clean("line1\r\nline2\tend"), "line1 line2 end");
    }

    proptest! {
        #[test]
        fn cleaning_is_idempotent_and_leaves_no_controls(s in any::<String>()) {
            let once = clean(&s).into_owned();
            prop_assert!(!once.chars().any(needs_cleaning));
            prop_assert_eq!(clean(&once).into_owned(), once);
        }

        #[test]
        fn printable_text_survives(s in "[a-zA-Z0-9 äöüßéñ中文+()-]{0,40}") {
            prop_assert_eq!(clean(&s).into_owned(), s);
        }
    }
}
