//! `sha256sum -c` manifests: one `<digest>  <name>` line per item, whatever
//! the name holds.
//!
//! The rule is GNU coreutils' own: a name with a backslash, a line feed or
//! a carriage return has them written `\\`, `\n` and `\r`, and its line
//! starts with a backslash, which tells `sha256sum -c` to unescape it. So a
//! newline in an evidence name cannot add a line, and the name checked is
//! the name recorded.

/// The manifest line (with its `\n`) for a file `name` with `sha256`.
pub fn line(sha256: &str, name: &str) -> String {
    if !name.contains(['\\', '\n', '\r']) {
        return format!("{sha256}  {name}\n");
    }
    let mut escaped = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            c => escaped.push(c),
        }
    }
    format!("\\{sha256}  {escaped}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";

    /// The expected lines are what GNU `sha256sum` 9.1 prints for files of
    /// those names.
    #[test]
    fn line_table() {
        let cases = [
            ("cloudtrail.json", format!("{SHA}  cloudtrail.json\n")),
            ("with space.log", format!("{SHA}  with space.log\n")),
            ("a\nb", format!("\\{SHA}  a\\nb\n")),
            ("c\rd", format!("\\{SHA}  c\\rd\n")),
            ("e\\f", format!("\\{SHA}  e\\\\f\n")),
            (
                "x\n0000000000000000000000000000000000000000000000000000000000000000  /etc/passwd",
                format!(
                    "\\{SHA}  x\\n0000000000000000000000000000000000000000000000000000000000000000  /etc/passwd\n"
                ),
            ),
        ];
        for (name, want) in cases {
            let got = line(SHA, name);
            assert_eq!(got, want, "{name:?}");
            assert_eq!(got.matches('\n').count(), 1, "one line: {got:?}");
        }
    }
}
