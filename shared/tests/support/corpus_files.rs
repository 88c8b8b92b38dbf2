//! The tuning sets' files (`tests/corpus/tune*.jsonl`), in name order: what
//! the nearest-class fallback learns from. Shared by the corpus test and
//! `examples/train_nearest.rs`; the held-out sets are never read here.

pub fn tuning_sets() -> std::io::Result<Vec<(String, String)>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("tune") && n.ends_with(".jsonl"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(format!("{dir}/{n}"))?;
            Ok((n, text))
        })
        .collect()
}
