//! Chat: the text of an AWS Chatbot custom notification, which Slack and
//! Microsoft Teams render as their own markup (`textType: client-markdown`).
//!
//! Slack reads `<…>` as a control sequence: `<!channel>`, `<!here>`,
//! `<@U…>` mentions and `<https://…|text>` links, so `&`, `<` and `>` are
//! written as the entities Slack asks for. Teams reads Markdown links and
//! images, so `[` and `]` are backslash-escaped. A bare `@channel`, `@here`
//! or `@everyone` gets a word joiner after the `@`, so no client turns it
//! into a mention. Control characters other than line breaks and tabs
//! become spaces. Emphasis marks are left alone: they style, they do not
//! link, ping or hide anything.

/// Words that notify a whole channel when a client links them.
const BROADCASTS: [&str; 3] = ["channel", "here", "everyone"];

/// `s` escaped for a chat notification.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        push(&mut out, c, &s[i + c.len_utf8()..]);
    }
    out
}

/// [`text`], at most `limit` characters, cut (with `…`) between escapes,
/// never inside one.
pub fn fit(s: &str, limit: usize) -> String {
    let full = text(s);
    if full.chars().count() <= limit {
        return full;
    }
    let mut out = String::new();
    let mut count = 0;
    for (i, c) in s.char_indices() {
        let mut piece = String::new();
        push(&mut piece, c, &s[i + c.len_utf8()..]);
        let n = piece.chars().count();
        if count + n + 1 > limit {
            break;
        }
        out.push_str(&piece);
        count += n;
    }
    out.push('…');
    out
}

/// Appends `c`, escaped; `rest` is the text after it.
fn push(out: &mut String, c: char, rest: &str) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '[' | ']' => {
            out.push('\\');
            out.push(c);
        }
        '@' if BROADCASTS.iter().any(|w| {
            rest.get(..w.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(w))
        }) =>
        {
            out.push('@');
            out.push('\u{2060}');
        }
        '\n' | '\t' => out.push(c),
        c if c.is_control() => out.push(' '),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_table() {
        let cases = [
            ("plain text, 3 > 2", "plain text, 3 &gt; 2"),
            ("<!channel> wake up", "&lt;!channel&gt; wake up"),
            ("<!here|here>", "&lt;!here|here&gt;"),
            ("<@U024BE7LH>", "&lt;@U024BE7LH&gt;"),
            ("<!subteam^S123>", "&lt;!subteam^S123&gt;"),
            (
                "<https://evil.example|Klaxon login>",
                "&lt;https://evil.example|Klaxon login&gt;",
            ),
            (
                "[Klaxon login](https://evil.example)",
                "\\[Klaxon login\\](https://evil.example)",
            ),
            (
                "![x](https://evil.example/p.png)",
                "!\\[x\\](https://evil.example/p.png)",
            ),
            ("AT&T &lt;", "AT&amp;T &amp;lt;"),
            (
                "@channel @Here @everyone!",
                "@\u{2060}channel @\u{2060}Here @\u{2060}everyone!",
            ),
            ("mail alice@example.com", "mail alice@example.com"),
            ("@", "@"),
            ("line\nnext\ttab", "line\nnext\ttab"),
            ("nul\0 esc\u{1b}[2J cr\r", "nul  esc \\[2J cr "),
            ("*bold* _it_", "*bold* _it_"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(text(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn fit_cuts_between_escapes() {
        assert_eq!(fit("short <", 10), "short &lt;");
        assert_eq!(fit("abc<<<", 8), "abc&lt;…");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("[x]", 3), "\\[…");
        for limit in 1..20 {
            let got = fit("a<b>&c[d]@here", limit);
            assert!(got.chars().count() <= limit, "{limit}: {got}");
            assert!(
                !got.contains("&l…") && !got.contains("&a…") && !got.contains("&g…"),
                "{got}"
            );
        }
    }
}
