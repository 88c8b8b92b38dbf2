//! The built-in policy's tables without their comment lines, indentation or
//! the spaces between a list's strings: the comments are for the team
//! editing a copy (`DEFAULT_POLICY` keeps them), and each Lambda carries
//! the parsed tables, not the prose. A comment line is left empty, so a
//! line number in a parse error still points at the source. A test in
//! `policy/mod.rs` checks that both parse to the same tables.

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in ["default.toml", "judgement.toml"] {
        let src = format!("policy/{name}");
        println!("cargo:rerun-if-changed={src}");
        let text = std::fs::read_to_string(&src).expect("the built-in policy file");
        // The tables hold no multi-line strings, so a line that starts
        // with '#' is always a comment; and no escaped quote, so `", "`
        // only ever sits between two strings.
        assert!(
            !text.contains("'''") && !text.contains("\"\"\"") && !text.contains("\\\""),
            "{src}: multi-line strings or escaped quotes would need a TOML-aware strip"
        );
        let stripped: String = text
            .lines()
            .map(|l| {
                let l = l.trim_start();
                if l.starts_with('#') {
                    String::new()
                } else {
                    l.replace("\", \"", "\",\"")
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(Path::new(&out).join(name), stripped + "\n").expect("OUT_DIR is writable");
    }
}
