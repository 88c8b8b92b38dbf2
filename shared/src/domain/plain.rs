//! What a one-line name or label may hold: no control characters, and none
//! that break a line or turn text around where people read it (an SMS, a
//! chat message, a terminal, the console), so one name cannot be shown as
//! another ("\u{202e}moc.elpmaxe@nimda" reads as admin@example.com).

/// Line and paragraph separators, and the bidirectional embeddings,
/// overrides and isolates.
pub fn steers_text(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `s` is one line of plain text.
pub fn is_one_line(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || steers_text(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_table() {
        let cases = [
            ("Ada Lovelace", true),
            ("ana@example.com", true),
            ("José Ñúñez 山田", true),
            ("שלום", true),
            ("\u{202e}moc.elpmaxe@nimda", false),
            ("a\u{2066}b", false),
            ("two\nlines", false),
            ("tab\there", false),
            ("esc\u{1b}[31m", false),
            ("para\u{2029}graph", false),
        ];
        for (s, want) in cases {
            assert_eq!(is_one_line(s), want, "{s:?}");
        }
    }
}
