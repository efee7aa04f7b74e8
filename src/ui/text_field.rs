//! Draws a one-line text field from a [`TextInput`]: the part around the cursor that fits, by
//! display width (so wide characters and accents line up), and where the terminal cursor goes.
//! Text is measured by grapheme cluster, as ratatui draws it: a character with a combining mark
//! or an emoji presentation selector (`0\u{fe0f}`) is one cell group, never split.

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

use crate::model::TextInput;

/// A field drawn into `width` cells: its span, and the cursor's column inside it when focused.
pub struct DrawnField {
    /// The visible text, padded to the width.
    pub span: Span<'static>,
    /// Placeholder shown instead of empty text.
    pub placeholder: bool,
    /// The cursor's column from the field's left edge.
    pub cursor: u16,
}

/// Lays out `input` in `width` cells. When the text is longer than the field, the window slides
/// so the cursor stays visible.
pub fn draw(input: &TextInput, width: u16, style: Style, placeholder: (&str, Style)) -> DrawnField {
    let width = width as usize;
    if width == 0 {
        return DrawnField { span: Span::raw(""), placeholder: false, cursor: 0 };
    }
    if input.text().is_empty() {
        let text = fit(placeholder.0, width);
        let pad = width - text.1;
        return DrawnField {
            span: Span::styled(format!("{}{}", text.0, " ".repeat(pad)), style.patch(placeholder.1)),
            placeholder: true,
            cursor: 0,
        };
    }
    // Each grapheme, its width, and how many characters (the cursor's unit) it holds.
    let graphemes: Vec<(&str, usize, usize)> =
        input.text().graphemes(true).map(|g| (g, g.width(), g.chars().count())).collect();
    // The grapheme the cursor is before (after the one it is inside of, if any).
    let mut cursor = graphemes.len();
    let mut chars = 0;
    for (i, g) in graphemes.iter().enumerate() {
        if chars >= input.cursor() {
            cursor = i;
            break;
        }
        chars += g.2;
    }
    // Start where the text before the cursor (plus the cursor cell) just fits.
    let mut start = cursor;
    let mut used = 1;
    while start > 0 && used + graphemes[start - 1].1 <= width {
        start -= 1;
        used += graphemes[start].1;
    }
    let cursor_col: usize = graphemes[start..cursor].iter().map(|g| g.1).sum();
    let mut text = String::new();
    let mut shown = 0;
    for &(g, w, _) in &graphemes[start..] {
        if shown + w > width {
            break;
        }
        text.push_str(g);
        shown += w;
    }
    text.push_str(&" ".repeat(width - shown));
    DrawnField { span: Span::styled(text, style), placeholder: false, cursor: cursor_col as u16 }
}

/// Lays out a secret field: one dot per character, never the characters themselves.
pub fn draw_masked(input: &TextInput, width: u16, style: Style) -> DrawnField {
    let dots = TextInput::with_text(&"•".repeat(input.text().chars().count()));
    let shown = dots.text().chars().count();
    let mut drawn = draw(&dots, width, style, ("", Style::new()));
    // Put the cursor where it really is among the dots.
    let back = shown.saturating_sub(input.cursor()) as u16;
    drawn.cursor = drawn.cursor.saturating_sub(back);
    drawn
}

/// The longest prefix of `text` that fits in `width` cells, and its width.
pub fn fit(text: &str, width: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w > width {
            break;
        }
        out.push_str(g);
        used += w;
    }
    (out, used)
}

/// `text` cut to `width` cells with an ellipsis when it does not fit.
pub fn ellipsize(text: &str, width: usize) -> String {
    let (fitted, used) = fit(text, width);
    if fitted.len() == text.len() || width == 0 {
        return fitted;
    }
    let (mut shorter, _) = fit(text, width.saturating_sub(1));
    let _ = used;
    shorter.push('…');
    shorter
}

/// `text` cut to `width` cells as [`ellipsize`] cuts it, as spans in `style` with the grapheme
/// clusters at `marks` (indices into `text`, sorted) patched with [`theme::matched`].
pub fn marked(text: &str, width: usize, marks: &[usize], style: Style) -> Vec<Span<'static>> {
    let shown = ellipsize(text, width);
    if marks.is_empty() {
        return vec![Span::styled(shown, style)];
    }
    let cut = shown != text;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let count = shown.graphemes(true).count();
    for (i, g) in shown.graphemes(true).enumerate() {
        let mark = !(cut && i + 1 == count) && marks.binary_search(&i).is_ok();
        let style = if mark { style.patch(super::theme::matched()) } else { style };
        match spans.last_mut() {
            Some(last) if last.style == style => last.content.to_mut().push_str(g),
            _ => spans.push(Span::styled(g.to_owned(), style)),
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn long_text_slides_to_keep_the_cursor_visible() {
        let input = TextInput::with_text("0123456789abcdef");
        let drawn = draw(&input, 8, Style::new(), ("", Style::new()));
        assert_eq!(drawn.span.content, "9abcdef ");
        assert_eq!(drawn.cursor, 7);
    }

    #[test]
    fn a_character_with_an_emoji_selector_is_measured_as_drawn() {
        // `0` + VS16 is one grapheme two cells wide; counted per character it was one.
        let input = TextInput::with_text("0\u{fe0f}");
        let drawn = draw(&input, 2, Style::new(), ("", Style::new()));
        assert!(unicode_width::UnicodeWidthStr::width(drawn.span.content.as_ref()) <= 2, "{:?}", drawn.span);
        assert_eq!(fit("a0\u{fe0f}b", 3).1, 3);
    }

    #[test]
    fn wide_characters_count_two_cells() {
        let input = TextInput::with_text("中文字");
        let drawn = draw(&input, 10, Style::new(), ("", Style::new()));
        assert_eq!(drawn.cursor, 6);
        assert_eq!(ellipsize("中文字", 5), "中文…");
        assert_eq!(ellipsize("abc", 3), "abc");
    }

    proptest! {
        #[test]
        fn the_cursor_is_always_inside_the_field(text in "\\PC{0,40}", width in 1u16..30) {
            let input = TextInput::with_text(&text);
            let drawn = draw(&input, width, Style::new(), ("type", Style::new()));
            prop_assert!(drawn.cursor < width.max(1));
            prop_assert!(unicode_width::UnicodeWidthStr::width(drawn.span.content.as_ref()) <= width as usize);
        }
    }
}
