use proptest::prelude::*;

use super::*;

fn de() -> Option<Region> {
    Some("DE".parse().unwrap())
}

/// A record's search text with these fields and secondary phone numbers.
fn text(fields: &[&str], phones: &[&str]) -> String {
    let mut text = SearchText::default();
    phones.iter().for_each(|p| text.phone(p));
    fields.iter().for_each(|f| text.field(f));
    text.finish()
}

fn finds(search: &str, fields: &[&str]) -> bool {
    Query::new(search, None).matches(&text(fields, &[]), "+14155550100", "created")
}

const FAIR: &str = "Hannover Messe 2025 – Rückrufe Standbesucher";

#[test]
fn case_and_accents_do_not_count() {
    for search in ["ruck", "rück", "RÜCK", "Rueck", "rückrufe", "RUCKRUFE"] {
        assert!(finds(search, &[FAIR]), "{search}");
    }
    assert!(finds("müller", &["Mueller GmbH", "Jörg Müller"]));
    assert!(finds("muller", &["Jörg MÜLLER"]));
}

/// Seen: `/kaethe` missed Käthe and `juergens` missed Bäcker-Jürgens: ae, oe, ue are how
/// umlauts are typed without them.
#[test]
fn umlauts_typed_as_ae_oe_ue_are_found() {
    assert!(finds("kaethe", &["Käthe Schröder"]));
    assert!(finds("schroeder", &["Käthe Schröder"]));
    assert!(finds("juergens", &["Ursula Bäcker-Jürgens"]));
    assert!(finds("mueller", &["Jörg Müller"]));
    assert!(finds("mueller", &["Jörg Mueller"]), "and still as written");
    assert!(!finds("kaethe", &["Karl Ernst"]));
    let grown = Query::new("kaeth", None);
    assert!(grown.narrows(&Query::new("kae", None)));
    assert!(
        !Query::new("kae", None).narrows(&Query::new("ka", None)),
        "a word that gains a digraph is searched again"
    );
}

#[test]
fn every_word_must_match_in_any_order() {
    assert!(finds("hannover rück", &[FAIR]));
    assert!(finds("rück hannover", &[FAIR]));
    assert!(finds("ada hannover", &["Ada Lovelace", FAIR]), "words may match different fields");
    assert!(!finds("hannover babbage", &["Ada Lovelace", FAIR]));
}

#[test]
fn from_the_fourth_character_a_word_may_skip_characters_within_one_field() {
    assert!(finds("lovlace", &["Ada Lovelace"]));
    assert!(finds("standbsucher", &[FAIR]));
    assert!(!finds("lvelace", &["Ada Lovelace"]), "the first three as typed");
    assert!(!finds("hann", &["Hartmann"]), "no `han` in it");
    assert!(!finds("lovegrace", &["Ada Lovelace", "Grace Hopper"]), "not across two fields");
    assert!(!finds("adl", &["Ada Lovelace"]), "a short word never skips");
}

#[test]
fn phone_like_words_match_digits_never_scattered() {
    let lead = |search: &str, region: Option<Region>| {
        Query::new(search, region).matches(&text(&["Ada"], &[]), "+491701234505", "created")
    };
    assert!(lead("170 1234505", None));
    assert!(lead("170-123", None), "punctuation does not count");
    assert!(lead("0170 1234505", de()), "national, read through the region");
    assert!(lead("0170/12", de()));
    assert!(!lead("0170 1234505", None), "without a region a leading 0 is a digit");
    assert!(lead("+49 170", None) && lead("0049 170", None), "the start of a number");
    assert!(!lead("+170", None), "a `+` says where the number begins");
    assert!(!lead("1705", None), "digits in order but apart are no match");
    assert!(!lead("0170 1234506", de()));
}

#[test]
fn secondary_numbers_match_in_any_format() {
    let key = text(&["Ada"], &["+493012345678"]);
    let found = |search: &str| Query::new(search, de()).matches(&key, "+14155550100", "created");
    assert!(found("+493012345678"), "E.164");
    assert!(found("+49 30 1234 5678"), "international with spaces");
    assert!(found("030 12345678"), "national with the region");
    assert!(found("3012345"), "digits");
    assert!(!found("030 12345679"));
}

#[test]
fn a_number_also_finds_its_text_and_a_short_one_is_a_word() {
    assert!(finds("hannover 2025", &[FAIR]));
    assert!(finds("+1", &[]) && finds("55", &[]), "as written in the lead's phone");
    assert!(finds("crea", &[]), "the status");
}

#[test]
fn the_picker_ranks_ids_then_scores() {
    let query = Query::new("12", None);
    assert_eq!(query.rank("Trade fair", 12), Some(2 * ID_PREFIX));
    assert_eq!(query.rank("Trade fair", 120), Some(ID_PREFIX));
    assert_eq!(query.rank("Trade fair", 312), None, "an id from its start");
    assert!(query.rank("Call back 12 times", 7).is_some(), "or in the name");
    let query = Query::new("ruck", None);
    let tight = query.rank("Rückrufe", 1).unwrap();
    let loose = query.rank("Rundruckerei", 2).unwrap();
    assert!(tight > loose, "a word's start beats its middle: {tight} {loose}");
}

#[test]
fn marks_are_the_matched_characters_as_drawn() {
    assert_eq!(Query::new("rück", None).marks("Die Rückrufe"), vec![4, 5, 6, 7]);
    assert_eq!(Query::new("lovlace", None).marks("Lovelace"), vec![0, 1, 2, 4, 5, 6, 7]);
    // A combining accent is part of its letter's cluster.
    assert_eq!(Query::new("ruck", None).marks("Ru\u{308}ck"), vec![0, 1, 2, 3]);
    assert!(Query::new("zzz", None).marks("Rückrufe").is_empty());
    assert_eq!(Query::new("0170 12", de()).phone_marks("+491701234505"), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(Query::new("555 01", None).phone_marks("+14155550100"), vec![5, 6, 7, 8, 9]);
}

#[test]
fn a_word_typed_on_narrows_a_kind_that_changes_does_not() {
    let q = |s: &str| Query::new(s, de());
    assert!(q("han").narrows(&q("ha")));
    assert!(q("hann").narrows(&q("han")), "a head of three keeps what it found");
    assert!(q("hann mes").narrows(&q("hann")));
    assert!(q("0170 12").narrows(&q("0170 1")));
    assert!(!q("017").narrows(&q("01")), "a word became a number");
    assert!(!q("han").narrows(&q("hax")));
    assert!(!q("ha").narrows(&q("han")));
    // A word of signs that may not skip, typed on into one that may: found where it was not.
    let (old, new) = (q("1+1+"), q("1+1+a"));
    let key = text(&["1+1 +a"], &[]);
    assert!(new.matches(&key, "", "") && !old.matches(&key, "", ""));
    assert!(!new.narrows(&old));
}

fn field() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[abü01 +(]{0,8}").unwrap()
}

proptest! {
    /// Whatever the text, a search that narrows an earlier one finds nothing the earlier missed:
    /// the list may be narrowed instead of searched again.
    #[test]
    fn a_narrowing_search_finds_nothing_the_earlier_missed(
        fields in proptest::collection::vec(field(), 0..4),
        phones in proptest::collection::vec("[0-9]{1,6}", 0..2),
        phone in "\\+[0-9]{1,6}",
        earlier in "[abü01 +(]{0,6}",
        more in "[abü01 +(]{1,3}",
    ) {
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
        let key = text(&fields, &phones);
        let (old, new) = (Query::new(&earlier, de()), Query::new(&format!("{earlier}{more}"), de()));
        if new.narrows(&old) && new.matches(&key, &phone, "created") {
            prop_assert!(old.matches(&key, &phone, "created"));
        }
    }
}
