//! Writes `shared/policy/nearest.tsv`: the word-stem counts the severity
//! engine's fallback uses, learnt from the tuning corpus only
//! (`shared/tests/corpus/tune*.jsonl`), never the held-out sets.
//! `cargo run -p klaxon-core --example train_nearest`

#[path = "../tests/support/corpus_files.rs"]
mod corpus_files;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let texts = corpus_files::tuning_sets()?;
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let tsv = klaxon_core::policy::nearest::train_jsonl(&files)?;
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/policy/nearest.tsv");
    std::fs::write(out, tsv)?;
    let names: Vec<&str> = files.iter().map(|(n, _)| *n).collect();
    println!("wrote {out} from {}", names.join(", "));
    Ok(())
}
