//! A one-line text field. ratatui-textarea does the editing (word moves, kill and yank, undo);
//! this wrapper keeps it to one line, cleans what is pasted, and reports the cursor in characters
//! so drawing never has to count bytes.

use ratatui_textarea::{CursorMove, Input, Key, TextArea};

/// The text and cursor of one field.
#[derive(Debug, Clone, Default)]
pub struct TextInput {
    area: TextArea<'static>,
}

impl PartialEq for TextInput {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() && self.cursor() == other.cursor()
    }
}

impl TextInput {
    /// A field holding `text`, cursor at the end.
    pub fn with_text(text: &str) -> Self {
        let mut input = TextInput::default();
        input.set_text(text);
        input
    }

    /// The field's text.
    pub fn text(&self) -> &str {
        self.area.lines().first().map(String::as_str).unwrap_or("")
    }

    /// Whether nothing (or only spaces) is typed.
    pub fn is_blank(&self) -> bool {
        self.text().trim().is_empty()
    }

    /// The cursor position, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.area.cursor().1
    }

    /// Applies one editing key with the editor's Emacs-style bindings (Ctrl-A/E/K/W/Y, Alt-B/F,
    /// Ctrl-R redo), except Ctrl-U (kill to start) and Ctrl-Z (undo). Keys that would break the
    /// one-line shape (Enter, Tab, Up, Down) are ignored; the caller gives those other meanings.
    /// Returns whether the text changed.
    pub fn input(&mut self, input: Input) -> bool {
        match input.key {
            Key::Enter | Key::Tab | Key::Up | Key::Down | Key::PageUp | Key::PageDown => false,
            Key::Char('m' | 'j') if input.ctrl => false,
            Key::Char(c) if c.is_control() => false,
            // Readline habits over the editor's own: Ctrl-U kills to the start, Ctrl-Z undoes.
            Key::Char('u') if input.ctrl && !input.alt => self.area.delete_line_by_head(),
            Key::Char('z') if input.ctrl && !input.alt => self.area.undo(),
            _ => self.area.input(input),
        }
    }

    /// Inserts text at the cursor as one edit, cleaned of control characters; line breaks become
    /// spaces. Returns whether anything was inserted.
    pub fn insert(&mut self, text: &str) -> bool {
        let clean = crate::sanitize::clean(text);
        let clean = clean.trim_end();
        if clean.is_empty() {
            return false;
        }
        self.area.insert_str(clean)
    }

    /// Replaces the text, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        let clean = crate::sanitize::clean(text);
        let mut area = TextArea::new(vec![clean.into_owned()]);
        area.move_cursor(CursorMove::End);
        self.area = area;
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        self.area = TextArea::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(c: char) -> Input {
        Input { key: Key::Char(c), ..Input::default() }
    }

    fn special(key: Key) -> Input {
        Input { key, ..Input::default() }
    }

    #[test]
    fn typing_and_moving_count_characters_not_bytes() {
        let mut input = TextInput::default();
        for c in "Jürgen 中".chars() {
            input.input(key(c));
        }
        assert_eq!(input.text(), "Jürgen 中");
        assert_eq!(input.cursor(), 8);
        input.input(special(Key::Left));
        input.input(special(Key::Backspace));
        assert_eq!(input.text(), "Jürgen中");
        assert_eq!(input.cursor(), 6);
    }

    #[test]
    fn stays_one_line() {
        let mut input = TextInput::with_text("a");
        assert!(!input.input(special(Key::Enter)));
        assert!(!input.input(Input { key: Key::Char('m'), ctrl: true, ..Input::default() }));
        input.insert("b\nc\r\nd\u{1b}[31m");
        assert_eq!(input.text(), "ab c d");
    }

    #[test]
    fn undo_and_word_kill_come_from_the_editor() {
        let mut input = TextInput::with_text("Ada Lovelace");
        input.input(Input { key: Key::Char('w'), ctrl: true, ..Input::default() });
        assert_eq!(input.text(), "Ada ");
        input.input(Input { key: Key::Char('u'), ctrl: true, ..Input::default() });
        assert_eq!(input.text(), "");
        input.input(Input { key: Key::Char('z'), ctrl: true, ..Input::default() });
        assert_eq!(input.text(), "Ada ");
    }

    fn any_input() -> impl Strategy<Value = Input> {
        let keys = prop_oneof![
            any::<char>().prop_map(Key::Char),
            Just(Key::Backspace),
            Just(Key::Delete),
            Just(Key::Left),
            Just(Key::Right),
            Just(Key::Home),
            Just(Key::End),
            Just(Key::Enter),
            Just(Key::Tab),
        ];
        (keys, any::<bool>(), any::<bool>()).prop_map(|(key, ctrl, alt)| Input {
            key,
            ctrl,
            alt,
            shift: false,
        })
    }

    proptest! {
        #[test]
        fn any_editing_keeps_one_line_and_the_cursor_in_range(
            start in any::<String>(),
            inputs in proptest::collection::vec(any_input(), 0..60),
            paste in any::<String>(),
        ) {
            let mut input = TextInput::with_text(&start);
            for i in inputs {
                input.input(i);
                prop_assert!(input.cursor() <= input.text().chars().count());
            }
            input.insert(&paste);
            prop_assert!(!input.text().contains('\n'));
            prop_assert!(input.cursor() <= input.text().chars().count());
        }
    }
}
