//! Markdown: free text shows as the text it is, never as markup. No link,
//! image, raw HTML, heading, list, table cell or code span can come from a
//! report; a bare URL stays visible text (renderers may still autolink it,
//! showing its real address).
//!
//! Backslash escapes are CommonMark's; `<` becomes `&lt;` instead, which
//! every renderer honours (some do not take `\<`).

/// Characters escaped wherever they stand: emphasis, code spans, links and
/// images (`[`), tables, strikethrough, math, and the escape itself.
const ALWAYS: &[char] = &['\\', '`', '*', '_', '[', ']', '|', '~', '$'];

/// Characters that only mean something first on a line: headings, block
/// quotes, list bullets, setext underlines.
const LINE_START: &[char] = &['#', '>', '-', '+', '='];

/// One line of free text, for a place inside a line (a table cell, after a
/// label, in bold). Line breaks and other control characters become spaces.
pub fn inline(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| {
            if is_break(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    line(&one_line)
}

/// A code span of text from outside (a CVSS vector, a sender's signal
/// kind): inside one nothing is markup but a backtick, which would end it,
/// so backticks become `'`; line breaks and control characters become
/// spaces. (Not for table cells: there `|` would split the cell.)
pub fn code(s: &str) -> String {
    let inner: String = s
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if is_break(c) || c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", inner.trim())
}

/// Free text of any number of lines, each escaped, joined by `\n`; for a
/// paragraph or, line by line, a block quote. Control characters other
/// than line breaks become spaces, and trailing spaces go (two would be a
/// hard break).
pub fn block(s: &str) -> String {
    lines(s).join("\n")
}

/// [`block`]'s lines.
pub fn lines(s: &str) -> Vec<String> {
    let s = s.replace("\r\n", "\n");
    // Like `str::lines`: a final line break ends the last line.
    let s = s.strip_suffix(is_break).unwrap_or(&s);
    s.split(is_break)
        .map(|l| {
            let l: String = l
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            line(l.trim_end())
        })
        .collect()
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Escapes one line that has no line breaks.
fn line(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let lead = s.len() - s.trim_start().len();
    out.push_str(&s[..lead]);
    let rest = &s[lead..];
    // An ordered-list marker: digits, then `.` or `)`.
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let mut first = true;
    for (i, c) in rest.char_indices() {
        let at_start = first && LINE_START.contains(&c);
        let list_marker = digits > 0 && i == digits && matches!(c, '.' | ')');
        first = false;
        if c == '<' {
            out.push_str("&lt;");
            continue;
        }
        if ALWAYS.contains(&c) || at_start || list_marker {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_table() {
        let cases = [
            ("plain words, 1.5 and a-b", "plain words, 1.5 and a-b"),
            (
                "[click](https://evil.example)",
                "\\[click\\](https://evil.example)",
            ),
            (
                "![x](https://evil.example/pixel.png)",
                "!\\[x\\](https://evil.example/pixel.png)",
            ),
            ("[a]: https://evil.example", "\\[a\\]: https://evil.example"),
            ("[^1]", "\\[^1\\]"),
            ("<https://evil.example>", "&lt;https://evil.example>"),
            (
                "<img src=x onerror=alert(1)>",
                "&lt;img src=x onerror=alert(1)>",
            ),
            (
                "**bold** _it_ ~~s~~ `code`",
                "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`code\\`",
            ),
            ("a | b", "a \\| b"),
            ("C:\\temp", "C:\\\\temp"),
            ("$x^2$", "\\$x^2\\$"),
            ("# heading", "\\# heading"),
            ("> quote", "\\> quote"),
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("===", "\\==="),
            ("1. item", "1\\. item"),
            ("12) item", "12\\) item"),
            ("  - indented", "  \\- indented"),
            ("issue #3 - fixed > before", "issue #3 - fixed > before"),
            ("one\ntwo\r\n# three", "one two  # three"),
            ("nul\0esc\u{1b}[31m", "nul esc \\[31m"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(inline(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn block_table() {
        let cases = [
            ("one line", "one line"),
            ("first\n# second\n- third", "first\n\\# second\n\\- third"),
            ("a\r\nb\rc\u{2028}d", "a\nb\nc\nd"),
            ("trailing  \nhard", "trailing\nhard"),
            ("x\n\n[link](u)", "x\n\n\\[link\\](u)"),
            ("2. second\n10. tenth", "2\\. second\n10\\. tenth"),
            ("bell\u{7} tab\there", "bell  tab here"),
        ];
        for (raw, want) in cases {
            assert_eq!(block(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn code_table() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L", "`CVSS:3.1/AV:N/AC:L`"),
            (
                "github:secret_scanning_alert",
                "`github:secret_scanning_alert`",
            ),
            ("x` [a](b) `y", "`x' [a](b) 'y`"),
            ("a\n\n# b", "`a  # b`"),
        ];
        for (raw, want) in cases {
            assert_eq!(code(raw), want, "{raw:?}");
        }
    }

    /// Escaping twice escapes the escapes: the output is for rendering,
    /// not for escaping again, and every callsite escapes raw text once.
    #[test]
    fn output_is_not_raw_text() {
        assert_eq!(inline(&inline("[x]")), "\\\\\\[x\\\\\\]");
    }
}
