//! Imports run one way: domain <- policy <- app <- http / adapters <- lambda.
//!
//! Reads every `crate::<module>` path in `src/` (`use` lines and paths
//! written inline) and refuses one that reaches a module its layer may not
//! see. Test modules (`#[cfg(test)] mod ...`, which end each file) may reach
//! anything for their set-up. The table is docs/architecture.md's rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `klaxon_core` and the modules it may import.
/// A module always sees itself. Keep this in step with docs/architecture.md.
const ALLOWED: &[(&str, &[&str])] = &[
    // Pure text and counters: they import nothing of Klaxon's.
    ("escape", &[]),
    ("metrics", &[]),
    // The rules: pure.
    ("domain", &["escape"]),
    // The plans' tables and clocks, over the domain.
    ("policy", &["domain", "escape"]),
    // The traits the use cases need, and their data.
    ("ports", &["domain"]),
    // Signed ack-link tokens.
    ("ack", &["domain"]),
    // Rendering: messages and the post-incident documents.
    ("messages", &["domain", "policy", "ports", "escape"]),
    ("documents", &["domain", "policy", "ports", "escape"]),
    // Typed configuration, read once at start-up.
    ("config", &["domain", "policy", "ports", "ack", "messages"]),
    // Signature checks and payload normalisers: pure.
    ("webhook", &["domain", "config", "escape"]),
    // The use cases.
    (
        "app",
        &[
            "domain",
            "policy",
            "ports",
            "ack",
            "messages",
            "documents",
            "config",
            "webhook",
            "escape",
            "metrics",
        ],
    ),
    // The edges: HTTP in, services out. Neither sees the other.
    (
        "http",
        &[
            "app",
            "domain",
            "policy",
            "ports",
            "ack",
            "messages",
            "documents",
            "config",
            "webhook",
            "escape",
            "metrics",
        ],
    ),
    (
        "adapters",
        &[
            "app",
            "domain",
            "policy",
            "ports",
            "ack",
            "messages",
            "documents",
            "config",
            "webhook",
            "escape",
            "metrics",
        ],
    ),
    // The Lambda glue wires everything.
    (
        "lambda",
        &[
            "http",
            "adapters",
            "app",
            "domain",
            "policy",
            "ports",
            "ack",
            "messages",
            "documents",
            "config",
            "webhook",
            "escape",
            "metrics",
        ],
    ),
];

fn table() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    ALLOWED
        .iter()
        .map(|(m, deps)| (*m, deps.iter().copied().collect()))
        .collect()
}

/// The top-level module a source file belongs to (`None` for `lib.rs`).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// The source without comments and without a trailing inline test module
/// (an out-of-line one is its own file, read like any other).
fn code(src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines[i + 1..]
                .iter()
                .map(|l| l.trim_start())
                .find(|l| !l.is_empty() && !l.starts_with("#["))
                .is_some_and(|l| {
                    (l.starts_with("mod ") || l.starts_with("pub mod "))
                        && l.trim_end().ends_with('{')
                })
        {
            break;
        }
        // Blank, not dropped, so line numbers stay the file's.
        if t.starts_with("//") {
            out.push('\n');
            continue;
        }
        // A trailing comment cannot hold a path the compiler reads.
        let line = match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every top-level module named by a `crate::` path in `code`, with its line.
fn imports(code: &str) -> Vec<(usize, String)> {
    let line_at = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        from = at + "crate::".len();
        // `my_crate::` is another name; `$crate::` in a macro is this crate.
        if code[..at]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let rest = &code[from..];
        let Some(group) = rest.strip_prefix('{') else {
            let name = ident(rest);
            if !name.is_empty() {
                out.push((line_at(at), name.to_owned()));
            }
            continue;
        };
        // `use crate::{a::X, b}`, over several lines: each item's first segment.
        let mut depth = 0;
        let mut item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if item_start && !c.is_whitespace() => {
                    item_start = false;
                    let name = ident(&group[i..]);
                    if !name.is_empty() {
                        out.push((line_at(from + 1 + i), name.to_owned()));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The imports in `src` (a file of module `from`) that the table refuses.
fn refused(
    table: &BTreeMap<&'static str, BTreeSet<&'static str>>,
    from: &str,
    src: &str,
) -> Vec<String> {
    let Some(allowed) = table.get(from) else {
        return vec![format!("module {from} is not in the layering table")];
    };
    imports(&code(src))
        .into_iter()
        .filter(|(_, to)| to != from && table.contains_key(to.as_str()))
        .filter(|(_, to)| !allowed.contains(to.as_str()))
        .map(|(line, to)| format!("line {line}: {from} may not import {to}"))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// No file in `src/` imports against the layering.
#[test]
fn imports_follow_the_layering() {
    let table = table();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found the sources");
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(from) = module_of(rel) else { continue };
        let text = std::fs::read_to_string(&file).expect("read source");
        for p in refused(&table, &from, &text) {
            problems.push(format!("{}: {p}", rel.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layering (docs/architecture.md):\n{}",
        problems.join("\n")
    );
}

/// Every module in `src/` has a row, so a new one must be placed.
#[test]
fn every_module_is_in_the_table() {
    let table = table();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in std::fs::read_dir(&src).expect("read src") {
        let rel = entry.expect("dir entry").file_name();
        if let Some(m) = module_of(Path::new(&rel)) {
            assert!(table.contains_key(m.as_str()), "{m} has no row");
        }
    }
}

/// The table itself runs one way: no module reaches itself through others.
#[test]
fn the_table_has_no_cycle() {
    let table = table();
    for start in table.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = table[start].iter().copied().collect();
        while let Some(m) = todo.pop() {
            assert_ne!(m, *start, "{start} reaches itself");
            if seen.insert(m) {
                todo.extend(table.get(m).into_iter().flatten().copied());
            }
        }
    }
}

/// The check refuses a wrong-way import, in each form it can be written,
/// and lets the right-way ones and test set-up through.
#[test]
fn a_wrong_way_import_is_refused() {
    let table = table();
    let cases: &[(&str, &str, usize)] = &[
        ("domain", "use crate::policy::Policy;\n", 1),
        ("domain", "use crate::{escape::markdown, policy};\n", 1),
        (
            "domain",
            "use crate::{\n    escape,\n    app::App,\n};\n",
            1,
        ),
        ("domain", "fn f(p: &crate::policy::Policy) {}\n", 1),
        ("webhook", "use crate::app::intake::Repeat;\n", 1),
        (
            "app",
            "pub limiter: Option<crate::http::reports::ReportLimiter>,\n",
            1,
        ),
        ("ports", "pub use crate::messages::Message;\n", 1),
        ("http", "use crate::adapters::local::FileNotifier;\n", 1),
        ("policy", "use crate::domain::Incident;\n", 0),
        ("app", "use crate::{domain::Incident, policy};\n", 0),
        (
            "domain",
            "// see crate::policy::clocks\nuse super::Incident;\n",
            0,
        ),
        (
            "domain",
            "macro_rules! m { () => { $crate::policy::x() } }\n",
            1,
        ),
        ("domain", "use other_crate::policy;\n", 0),
        (
            "domain",
            "fn f() {}\n\n#[cfg(test)]\nmod tests {\n    use crate::policy::Policy;\n}\n",
            0,
        ),
        (
            "domain",
            "#[cfg(test)]\n#[path = \"t.rs\"]\nmod tests;\nuse crate::policy::Policy;\n",
            1,
        ),
    ];
    for (from, src, want) in cases {
        let got = refused(&table, from, src);
        assert_eq!(got.len(), *want, "{from}: {src:?} gave {got:?}");
    }
}
