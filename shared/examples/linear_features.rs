//! Prints, for every labelled report of the sets that are not held out
//! (`shared/tests/corpus/*.jsonl` but `heldout*`), the second reader's
//! features as `assess` reads them and the rules' verdict beside them, one
//! JSON object per line, for `infra/train_linear.py`:
//! `cargo run -p klaxon-core --example linear_features > features.jsonl`
//! With `--held-out` it prints the held-out sets instead, and only them, for
//! measuring a trained model (`infra/measure_linear.py`); the
//! trainer refuses them.

use klaxon_core::domain::SourceSignal;
use klaxon_core::policy::{Facts, Policy, second};
use serde::Deserialize;
use std::io::Write as _;

#[derive(Deserialize)]
struct Case {
    id: String,
    title: String,
    #[serde(default)]
    description: Option<String>,
    accept: Vec<String>,
    class: String,
    #[serde(default)]
    signal: Option<SourceSignal>,
    #[serde(default)]
    cvss: Option<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let held_out = std::env::args().any(|a| a == "--held-out");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".jsonl") && n.starts_with("heldout") == held_out)
        .collect();
    names.sort();
    let policy = Policy::builtin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for name in names {
        for line in std::fs::read_to_string(format!("{dir}/{name}"))?.lines() {
            if line.trim().is_empty() {
                continue;
            }
            let c: Case = serde_json::from_str(line)?;
            let mut texts = vec![("title", c.title.as_str())];
            if let Some(d) = &c.description {
                texts.push(("description", d.as_str()));
            }
            let (features, rules) = policy.reader_features(&Facts {
                texts,
                cvss: c.cvss.as_deref(),
                signal: c.signal.as_ref(),
                ..Facts::default()
            });
            let row = serde_json::json!({
                "set": name, "id": c.id, "accept": c.accept, "class": c.class,
                "rules": {
                    "severity": rules.severity.to_string(), "class": rules.class.to_string(),
                    "triage": rules.needs_triage,
                    "floor": second::floor(&rules).map(|s| s.to_string()),
                },
                "features": features.into_iter().map(|(k, v)| (k, serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            });
            writeln!(out, "{row}")?;
        }
    }
    Ok(())
}
