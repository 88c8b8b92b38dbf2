//! Writes `shared/policy/nearest.tsv`: the word-stem counts the severity
//! engine's fallback uses, learnt from the tuning corpus only
//! (`shared/tests/corpus/tune*.jsonl`), never the held-out sets.
//! `cargo run -p klaxon-core --example train_nearest`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("tune") && n.ends_with(".jsonl"))
        .collect();
    names.sort();
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| Ok((n.clone(), std::fs::read_to_string(format!("{dir}/{n}"))?)))
        .collect::<Result<_, std::io::Error>>()?;
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let tsv = klaxon_core::policy::nearest::train_jsonl(&files)?;
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/policy/nearest.tsv");
    std::fs::write(out, tsv)?;
    println!("wrote {out} from {}", names.join(", "));
    Ok(())
}
