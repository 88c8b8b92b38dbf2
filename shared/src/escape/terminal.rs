//! The terminal: what `klaxon` prints never drives the terminal. A NUL, an
//! ESC (colours, cursor moves, clearing the screen), an OSC (retitling the
//! window, writing the clipboard, hyperlinks), a carriage return that
//! overwrites a line, or a C1 control (U+009B is a one-character CSI)
//! typed into a report or a note is shown as a visible escape instead.

/// Text for a person: line feeds and tabs stay; every other control
/// character is written as `\x1b` (C0 and DEL) or `\u{9b}` (C1).
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// JSON for a person's terminal (`--json`): the same document, with every
/// control character a JSON string escape (`\u009b`). JSON puts control
/// characters only inside strings, where the escape means the same
/// character, so the document a program parses is unchanged.
pub fn json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_table() {
        let cases = [
            (
                "plain, ünïcode ✓\n\tindented",
                "plain, ünïcode ✓\n\tindented",
            ),
            ("nul\0byte", "nul\\x00byte"),
            ("\u{1b}[2J\u{1b}[31mred", "\\x1b[2J\\x1b[31mred"),
            ("\u{1b}]0;pwned\u{7}title", "\\x1b]0;pwned\\x07title"),
            (
                "\u{1b}]52;c;Y3VybCBldmls\u{1b}\\",
                "\\x1b]52;c;Y3VybCBldmls\\x1b\\",
            ),
            ("fake\rreal", "fake\\x0dreal"),
            ("del\u{7f}", "del\\x7f"),
            (
                "csi\u{9b}2J osc\u{9d}0;x\u{9c}",
                "csi\\u{9b}2J osc\\u{9d}0;x\\u{9c}",
            ),
            ("", ""),
        ];
        for (raw, want) in cases {
            let got = text(raw);
            assert_eq!(got, want, "{raw:?}");
            assert!(
                !got.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{got:?}"
            );
        }
    }

    #[test]
    fn json_stays_the_same_document() {
        let v = serde_json::json!({
            "note": "esc\u{1b}[2J csi\u{9b}2J del\u{7f} nul\u{0} bell\u{7}",
            "ok": "plain ✓",
        });
        for doc in [
            v.to_string(),
            serde_json::to_string_pretty(&v).expect("json"),
        ] {
            let safe = json(&doc);
            assert!(
                !safe.chars().any(|c| c.is_control() && c != '\n'),
                "{safe:?}"
            );
            let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
            assert_eq!(back, v);
        }
    }
}
