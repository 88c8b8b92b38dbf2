//! Imports run one way: domain <- policy <- app <- http / adapters <- lambda.
//!
//! Reads every `crate::<module>` path in `src/` (`use` lines and paths
//! written inline) and refuses one that reaches a module its layer may not
//! see. Test modules (`#[cfg(test)] mod ...`, which end each file) may reach
//! anything for their set-up. The table is docs/architecture.md's rule.
//!
//! Inside a module the same holds one level down: no two of its submodules
//! reach each other, directly or through their siblings (`crate::` and
//! `super::` paths both count).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `klaxon_core` and the modules it may import.
/// A module always sees itself. Keep this in step with docs/architecture.md.
const ALLOWED: &[(&str, &[&str])] = &[
    // Pure text and counters: they import nothing of Klaxon's.
    ("escape", &[]),
    ("metrics", &[]),
    // The retry policy: pure apart from its sleep.
    ("retry", &[]),
    // Token signatures on ring: imports nothing of Klaxon's.
    ("jwt", &[]),
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
    ("webhook", &["domain", "config", "escape", "jwt"]),
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
            "retry",
            "jwt",
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
            "retry",
            "jwt",
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
            "retry",
            "jwt",
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
            "retry",
            "jwt",
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

/// The source without comments and without inline test modules (an
/// out-of-line one is its own file, read like any other). Code after an
/// inline test module is read as any other.
fn code(src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out = String::new();
    // In an inline test module: the braces still open, once it has opened.
    let mut test: Option<(i64, bool)> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        // Blank, not dropped, so line numbers stay the file's.
        if let Some((depth, opened)) = test.as_mut() {
            *depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            *opened |= *depth > 0;
            if *opened && *depth <= 0 {
                test = None;
            }
            out.push('\n');
            continue;
        }
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
            test = Some((0, false));
            out.push('\n');
            continue;
        }
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
/// `roots` maps each name `lib.rs` re-exports to the module it comes from,
/// so `crate::App` counts as `crate::app`.
fn refused(
    table: &BTreeMap<&'static str, BTreeSet<&'static str>>,
    roots: &BTreeMap<String, String>,
    from: &str,
    src: &str,
) -> Vec<String> {
    let Some(allowed) = table.get(from) else {
        return vec![format!("module {from} is not in the layering table")];
    };
    imports(&code(src))
        .into_iter()
        .map(|(line, to)| (line, roots.get(&to).cloned().unwrap_or(to)))
        .filter(|(_, to)| to != from && table.contains_key(to.as_str()))
        .filter(|(_, to)| !allowed.contains(to.as_str()))
        .map(|(line, to)| format!("line {line}: {from} may not import {to}"))
        .collect()
}

/// A source file's module path: `http/responder/writes.rs` is
/// `["http", "responder", "writes"]`, `http/mod.rs` is `["http"]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .map(|s| s.trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// Every module path a `crate::` or `super::` path in `code` names, from
/// the file of module `from`, groups (`super::{a::X, b::{c, d}}`) included.
/// Each is as long as written; the caller finds the module it lands in.
fn module_paths(from: &[String], code: &str) -> Vec<Vec<String>> {
    fn segments(s: &str) -> (Vec<String>, &str) {
        let mut out = Vec::new();
        let mut rest = s;
        loop {
            let name = ident(rest);
            if name.is_empty() {
                return (out, rest);
            }
            out.push(name.to_owned());
            rest = &rest[name.len()..];
            match rest.strip_prefix("::") {
                Some(r) if !r.starts_with('{') => rest = r,
                Some(r) => return (out, r),
                None => return (out, rest),
            }
        }
    }
    /// The items of the group `s` opens (after its `{`), each as a path.
    fn group(base: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    item(base, &s[start..i], out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    item(base, &s[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    fn item(base: &[String], s: &str, out: &mut Vec<Vec<String>>) {
        let s = s.trim_start();
        let (segs, rest) = segments(s);
        let mut path = base.to_vec();
        // `super::super::x` climbs twice; `self` stays.
        for seg in segs {
            match seg.as_str() {
                "self" => {}
                "super" => {
                    path.pop();
                }
                _ => path.push(seg),
            }
        }
        if s[..s.len() - rest.len()].ends_with("::") || rest.starts_with('{') {
            group(&path, rest.trim_start_matches('{'), out);
        } else {
            out.push(path);
        }
    }
    let mut out = Vec::new();
    for (root, base) in [
        ("crate::", Vec::new()),
        ("super::", from[..from.len().saturating_sub(1)].to_vec()),
        ("self::", from.to_vec()),
    ] {
        let mut at = 0;
        while let Some(found) = code[at..].find(root) {
            let start = at + found;
            at = start + root.len();
            let before = code[..start].chars().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let rest = &code[at..];
            match rest.strip_prefix('{') {
                Some(g) => group(&base, g, &mut out),
                None => item(&base, rest, &mut out),
            }
        }
    }
    out
}

/// What each module re-exports: `(module, name)` to the path it stands
/// for, read from its `pub use` lines (`pub use incident::{Incident, ..}`
/// in `domain/mod.rs` makes `crate::domain::Incident` mean
/// `crate::domain::incident::Incident`).
type Exports = BTreeMap<(Vec<String>, String), Vec<String>>;

fn exports(files: &[(Vec<String>, String)]) -> Exports {
    let mut out = Exports::new();
    for (from, src) in files {
        let mut at = 0;
        while let Some(found) = src[at..].find("pub use ") {
            let start = at + found + "pub use ".len();
            let end = src[start..].find(';').map_or(src.len(), |e| start + e);
            at = end;
            let stmt = src[start..end].trim();
            let stmt = if ["crate::", "super::", "self::"]
                .iter()
                .any(|r| stmt.starts_with(r))
            {
                stmt.to_owned()
            } else {
                format!("self::{stmt}")
            };
            for path in module_paths(from, &stmt) {
                if let Some(name) = path.last()
                    && path.len() > 1
                {
                    out.insert((from.clone(), name.clone()), path);
                }
            }
        }
    }
    out
}

/// The module a path lands in, following re-exports to the file that
/// defines the item.
fn resolve(
    modules: &BTreeSet<&Vec<String>>,
    exports: &Exports,
    mut path: Vec<String>,
) -> Option<Vec<String>> {
    for _ in 0..16 {
        let module = (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains(p))?;
        let Some(name) = path.get(module.len()) else {
            return Some(module);
        };
        match exports.get(&(module.clone(), name.clone())) {
            Some(target) if *target != path[..=module.len()] => {
                let mut next = target.clone();
                next.extend(path[module.len() + 1..].iter().cloned());
                path = next;
            }
            _ => return Some(module),
        }
    }
    None
}

/// Submodules that reach each other in a circle, each said as
/// `parent: a -> b -> a`. `files` holds each file's module path and code.
fn sibling_cycles(files: &[(Vec<String>, String)]) -> Vec<String> {
    let modules: BTreeSet<&Vec<String>> = files.iter().map(|(m, _)| m).collect();
    // Which child of `parent` holds `m`, if one does.
    let child = |parent: &[String], m: &[String]| -> Option<Vec<String>> {
        (m.len() > parent.len() && m.starts_with(parent)).then(|| m[..=parent.len()].to_vec())
    };
    let exports = exports(files);
    let mut edges: BTreeSet<(Vec<String>, Vec<String>)> = BTreeSet::new();
    for (from, src) in files {
        for path in module_paths(from, src) {
            if let Some(to) = resolve(&modules, &exports, path) {
                edges.insert((from.clone(), to));
            }
        }
    }
    let parents: BTreeSet<Vec<String>> = modules
        .iter()
        .filter(|m| !m.is_empty())
        .map(|m| m[..m.len() - 1].to_vec())
        .collect();
    let mut out = Vec::new();
    for parent in parents {
        let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (a, b) in &edges {
            if let (Some(a), Some(b)) = (child(&parent, a), child(&parent, b))
                && a != b
            {
                graph.entry(a).or_default().insert(b);
            }
        }
        for start in graph.keys() {
            // A walk back to `start` is a circle; each is reported from its least member.
            let mut todo = vec![vec![start.clone()]];
            let mut seen = BTreeSet::new();
            while let Some(walk) = todo.pop() {
                let last = walk.last().expect("a walk has a start");
                for next in graph.get(last).into_iter().flatten() {
                    if next == start {
                        let names: Vec<String> = walk
                            .iter()
                            .chain([start])
                            .map(|m| m.last().cloned().unwrap_or_default())
                            .collect();
                        out.push(format!("{}: {}", parent.join("::"), names.join(" -> ")));
                    } else if next > start && seen.insert(next.clone()) {
                        let mut longer = walk.clone();
                        longer.push(next.clone());
                        todo.push(longer);
                    }
                }
            }
        }
    }
    out
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
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read lib.rs");
    let roots: BTreeMap<String, String> = exports(&[(Vec::new(), code(&lib))])
        .into_iter()
        .map(|((_, name), path)| (name, path[0].clone()))
        .collect();
    assert!(roots.contains_key("App"), "read lib.rs's re-exports");
    let mut problems = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let Some(from) = module_of(rel) else { continue };
        let text = std::fs::read_to_string(&file).expect("read source");
        for p in refused(&table, &roots, &from, &text) {
            problems.push(format!("{}: {p}", rel.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "imports against the layering (docs/architecture.md):\n{}",
        problems.join("\n")
    );
}

/// No two submodules of a module reach each other, directly or through
/// their siblings: the responder API's routes once imported each other.
#[test]
fn no_submodules_import_each_other_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    let files: Vec<(Vec<String>, String)> = paths
        .iter()
        .map(|file| {
            let rel = file.strip_prefix(&src).expect("under src");
            let text = std::fs::read_to_string(file).expect("read source");
            (module_path(rel), code(&text))
        })
        .collect();
    let cycles = sibling_cycles(&files);
    assert!(
        cycles.is_empty(),
        "submodules that import each other:\n{}",
        cycles.join("\n")
    );
}

/// The circle check finds a circle in each form it can be written, and
/// passes what only runs one way.
#[test]
fn a_circle_of_submodules_is_found() {
    let file = |path: &str, src: &str| {
        (
            path.split('/').map(str::to_owned).collect::<Vec<_>>(),
            src.to_owned(),
        )
    };
    let cases: &[(&[(&str, &str)], usize)] = &[
        (
            &[
                ("http", ""),
                ("http/api", "use super::respond::list;\n"),
                ("http/respond", "use super::api::authorize;\n"),
            ],
            1,
        ),
        (
            &[
                ("http", ""),
                ("http/api", "use crate::http::{respond::list, ApiError};\n"),
                ("http/respond", "fn f() { crate::http::api::authorize() }\n"),
            ],
            1,
        ),
        (
            &[
                ("app", ""),
                ("app/a", "use super::{b::X, c};\n"),
                ("app/b", "use crate::app::c::Y;\n"),
                ("app/c", "use super::a;\n"),
            ],
            1,
        ),
        // Through the parent's re-exports: `super::Incident` is `incident`.
        (
            &[
                (
                    "domain",
                    "pub use event::{DomainEvent, EventKind};\npub use incident::{Incident, DeadlineKind};\n",
                ),
                ("domain/event", "use super::{DeadlineKind, Incident};\n"),
                ("domain/incident", "use super::DomainEvent;\n"),
            ],
            1,
        ),
        (
            &[
                (
                    "domain",
                    "pub use event::DomainEvent;\npub use incident::Incident;\n",
                ),
                ("domain/event", "fn f(i: &crate::domain::Incident) {}\n"),
                (
                    "domain/incident",
                    "fn f(e: crate::domain::DomainEvent) {}\n",
                ),
            ],
            1,
        ),
        // Re-exports chained through a submodule's own `mod.rs`.
        (
            &[
                (
                    "domain",
                    "mod response;\npub use response::{Task, Change};\npub use incident::Incident;\n",
                ),
                (
                    "domain/response",
                    "pub use tasks::Task;\npub use crate::domain::incident::Change;\n",
                ),
                ("domain/response/tasks", "use crate::domain::Change;\n"),
                ("domain/incident", "use super::Task;\n"),
            ],
            1,
        ),
        // `super::super::` and `self::` paths count too.
        (
            &[
                ("domain", ""),
                ("domain/response", "mod tasks;\n"),
                (
                    "domain/response/tasks",
                    "use super::super::incident::Incident;\n",
                ),
                (
                    "domain/incident",
                    "use crate::domain::response::tasks::Task;\n",
                ),
            ],
            1,
        ),
        (
            &[
                ("app", "use self::a::X;\n"),
                ("app/a", "use self::inner::Y;\n"),
                ("app/a/inner", "use crate::app::b::Z;\n"),
                ("app/b", "use self::c;\n"),
            ],
            0,
        ),
        (
            &[
                ("app", ""),
                ("app/a", "fn f() { self::inner::g() }\n"),
                ("app/a/inner", "use super::super::b::Z;\n"),
                ("app/b", "use crate::app::a::inner::g;\n"),
            ],
            1,
        ),
        (
            &[
                ("http", "use responder::reads;\n"),
                ("http/responder", ""),
                (
                    "http/responder/reads",
                    "use super::caller::authorize;\nuse crate::http::ApiError;\n",
                ),
                ("http/responder/caller", "use crate::http::ApiError;\n"),
            ],
            0,
        ),
    ];
    for (files, want) in cases {
        let files: Vec<_> = files.iter().map(|(p, s)| file(p, s)).collect();
        let got = sibling_cycles(&files);
        assert_eq!(got.len(), *want, "{files:?} gave {got:?}");
    }
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
    let roots: BTreeMap<String, String> = [("App".to_owned(), "app".to_owned())].into();
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
            "pub limiter: Option<crate::http::reports::ClientLimiter>,\n",
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
        // A root re-export does not launder an upward import.
        ("domain", "use crate::App;\n", 1),
        ("domain", "fn f(a: &crate::App) {}\n", 1),
        ("app", "use crate::App;\n", 0),
        // Code after an inline test module is still read.
        (
            "domain",
            "#[cfg(test)]\nmod tests {\n    fn f() { let _ = \"{}\"; }\n}\n\nuse crate::policy::Policy;\n",
            1,
        ),
        (
            "domain",
            "#[cfg(test)]\n#[allow(unused)]\nmod tests {\n    mod inner {\n        use crate::app::App;\n    }\n}\n",
            0,
        ),
    ];
    for (from, src, want) in cases {
        let got = refused(&table, &roots, from, src);
        assert_eq!(got.len(), *want, "{from}: {src:?} gave {got:?}");
    }
}
