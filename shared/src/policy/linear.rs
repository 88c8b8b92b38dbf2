//! The second reader: a multinomial logistic regression over a report's
//! word stems and the facts the rules found. It is learnt
//! from the labelled tuning sets (never the held-out ones) by
//! `infra/train_linear.py` and committed as `shared/policy/linear.tsv`, so
//! the engine stays pure and needs no download. Where it is sure of a
//! severity the rules did not give, its severity stands (classify.rs says
//! when, and a person is paged to confirm a lowered one).

use super::nearest;
use super::text::Token;
use foldhash::{HashMap, HashMapExt as _};
use std::sync::LazyLock;

static BUILTIN: LazyLock<Option<Linear>> =
    LazyLock::new(|| Linear::parse(include_str!("../../policy/linear.tsv")).ok());

/// The built-in model; `None` only if the committed file is broken, which a
/// test refuses.
pub fn builtin() -> Option<&'static Linear> {
    BUILTIN.as_ref()
}

/// A report's features: each stem (marked "!" when negated; a title's
/// counts twice) and each fact the rules found ("f:"), with their weights.
/// Title stems apart and pairs of stems were tried and did no better. The
/// trainer reads them from here (`examples/linear_features.rs`), so
/// training and judging agree.
pub fn features(tokens: &[Token], facts: &[String]) -> Vec<(String, f64)> {
    let mut out: HashMap<String, f64> = HashMap::with_capacity(tokens.len() * 3);
    each_feature(tokens, facts, |f, w| {
        *out.entry(f.to_owned()).or_default() += w
    });
    let mut v: Vec<(String, f64)> = out.into_iter().collect();
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Calls `visit` with each feature as it occurs (a repeat is visited
/// again): one reused buffer for the keys.
fn each_feature(tokens: &[Token], facts: &[String], mut visit: impl FnMut(&str, f64)) {
    let mut buf = String::with_capacity(64);
    for t in tokens {
        let s = t.stem.as_str();
        if !nearest::counted(s) {
            continue;
        }
        buf.clear();
        if t.negated {
            buf.push('!');
        }
        buf.push_str(s);
        visit(&buf, nearest::weight(t));
    }
    for f in facts {
        buf.clear();
        buf.push_str("f:");
        buf.push_str(f);
        visit(&buf, 1.0);
    }
}

#[derive(Debug)]
pub struct Linear {
    /// Class ids, or "sevN" for reports labelled with no class.
    pub classes: Vec<String>,
    bias: Vec<f64>,
    /// feature -> (class index, weight), only the weights kept.
    weights: HashMap<String, Vec<(u16, f32)>>,
    /// The same by what a report's features are made of, so judging one
    /// builds no key: a counted stem said plainly, a negated one by its
    /// stem, a fact by its name.
    plain: HashMap<String, Vec<(u16, f32)>>,
    negated: HashMap<String, Vec<(u16, f32)>>,
    facts: HashMap<String, Vec<(u16, f32)>>,
}

/// What the model reads a report as.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// Probability per class, in `classes` order.
    pub probs: Vec<f64>,
    /// How many of the report's features the model has weights for: with
    /// none, the probabilities are only the labelled sets' proportions.
    pub known: usize,
}

impl Linear {
    pub fn parse(tsv: &str) -> Result<Self, String> {
        let mut classes = Vec::new();
        let mut bias = Vec::new();
        let mut weights = HashMap::new();
        for (n, line) in tsv.lines().enumerate() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, rest) = line
                .split_once('\t')
                .ok_or_else(|| format!("linear model line {}: no tab", n + 1))?;
            match key {
                "classes" => classes = rest.split(',').map(str::to_owned).collect(),
                "bias" => {
                    bias = rest
                        .split(',')
                        .map(|b| b.parse::<f64>())
                        .collect::<Result<_, _>>()
                        .map_err(|e| format!("linear model line {}: {e}", n + 1))?
                }
                feature => {
                    let mut ws = Vec::new();
                    for cw in rest.split(' ') {
                        let (c, w) = cw
                            .split_once(':')
                            .ok_or_else(|| format!("linear model line {}: {cw}", n + 1))?;
                        let c: u16 = c
                            .parse()
                            .map_err(|e| format!("linear model line {}: {e}", n + 1))?;
                        if usize::from(c) >= classes.len() {
                            return Err(format!("linear model line {}: class {c}", n + 1));
                        }
                        // Written in tenths, as whole numbers.
                        let w: i16 = w
                            .parse()
                            .map_err(|e| format!("linear model line {}: {e}", n + 1))?;
                        ws.push((c, f32::from(w) / 10.0));
                    }
                    weights.insert(feature.to_owned(), ws);
                }
            }
        }
        if classes.is_empty() || bias.len() != classes.len() {
            return Err("linear model: classes and bias must be given, one bias per class".into());
        }
        let (mut plain, mut negated, mut facts) = (HashMap::new(), HashMap::new(), HashMap::new());
        for (key, ws) in &weights {
            // Only keys `each_feature` could build from a stem or a fact.
            if let Some(stem) = key.strip_prefix('!') {
                if nearest::counted(stem) {
                    negated.insert(stem.to_owned(), ws.clone());
                }
            } else if nearest::counted(key) {
                plain.insert(key.clone(), ws.clone());
            }
            if let Some(fact) = key.strip_prefix("f:") {
                facts.insert(fact.to_owned(), ws.clone());
            }
        }
        Ok(Self {
            classes,
            bias,
            weights,
            plain,
            negated,
            facts,
        })
    }

    /// The probability of each class for a report's tokens and facts.
    /// The same features in the same order as `each_feature`, so the
    /// sums are the same to the bit.
    pub fn read_report(&self, tokens: &[Token], facts: &[String]) -> Reading {
        let mut z = self.bias.clone();
        let mut known = 0;
        for t in tokens {
            let by = if t.negated {
                &self.negated
            } else {
                &self.plain
            };
            known += usize::from(add(&mut z, by.get(t.stem.as_str()), nearest::weight(t)));
        }
        for f in facts {
            known += usize::from(add(&mut z, self.facts.get(f.as_str()), 1.0));
        }
        self.softmax(z, known)
    }

    /// The probability of each class (softmax of the linear scores).
    pub fn read(&self, features: &[(String, f64)]) -> Reading {
        let mut z = self.bias.clone();
        let mut known = 0;
        for (f, x) in features {
            known += usize::from(add(&mut z, self.weights.get(f.as_str()), *x));
        }
        self.softmax(z, known)
    }

    fn softmax(&self, z: Vec<f64>, known: usize) -> Reading {
        let top = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = z.iter().map(|v| (v - top).exp()).collect();
        let sum: f64 = e.iter().sum();
        Reading {
            probs: e.into_iter().map(|v| v / sum).collect(),
            known,
        }
    }

    /// The features of a report that pushed class `c` up most.
    pub fn evidence_of(
        &self,
        tokens: &[Token],
        facts: &[String],
        c: usize,
        n: usize,
    ) -> Vec<String> {
        self.evidence(&features(tokens, facts), c, n)
    }

    /// The features that pushed class `c` up most, for the reason.
    pub fn evidence(&self, features: &[(String, f64)], c: usize, n: usize) -> Vec<String> {
        let mut pushed: Vec<(f64, &str)> = features
            .iter()
            .filter_map(|(f, x)| {
                let w = self
                    .weights
                    .get(f.as_str())?
                    .iter()
                    .find(|(k, _)| usize::from(*k) == c)?
                    .1;
                (w > 0.0).then_some((f64::from(w) * x, f.as_str()))
            })
            .collect();
        pushed.sort_by(|a, b| b.0.total_cmp(&a.0));
        pushed
            .into_iter()
            .take(n)
            .map(|(_, f)| format!("\"{f}\""))
            .collect()
    }
}

/// Adds a feature's weights, if the model knows it; whether it does.
fn add(z: &mut [f64], ws: Option<&Vec<(u16, f32)>>, x: f64) -> bool {
    let Some(ws) = ws else {
        return false;
    };
    for &(c, w) in ws {
        z[usize::from(c)] += f64::from(w) * x;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::text;

    fn feats(title: &str, body: &str, facts: &[&str]) -> Vec<(String, f64)> {
        let facts: Vec<String> = facts.iter().map(|s| (*s).to_owned()).collect();
        features(&text::tokenize(&[title, body]), &facts)
    }

    fn has(f: &[(String, f64)], k: &str) -> Option<f64> {
        f.iter().find(|(x, _)| x == k).map(|(_, w)| *w)
    }

    /// Stems (a title's twice), negation marks within a clause, and facts.
    #[test]
    fn features_table() {
        let f = feats(
            "Root account used",
            "No sign of exfiltration, data copied",
            &["privileged_identity", "not exfiltration"],
        );
        let cases: &[(&str, Option<f64>)] = &[
            // a title's stem counts twice
            ("root", Some(2.0)),
            ("account", Some(2.0)),
            // negated within its clause
            ("!sign", Some(1.0)),
            ("!exfiltr", Some(1.0)),
            ("exfiltr", None),
            // a comma ends the negation's clause
            ("data", Some(1.0)),
            ("!data", None),
            // stop words are not features; a negation word is
            ("of", None),
            ("no", Some(1.0)),
            ("f:privileged_identity", Some(1.0)),
            ("f:not exfiltration", Some(1.0)),
        ];
        for (k, want) in cases {
            assert_eq!(has(&f, k), *want, "{k} in {f:?}");
        }
    }

    fn model() -> Linear {
        Linear::parse(
            "# test\nclasses\tbad,fine\nbias\t0,0.5\nroot\t0:20 1:-10\nf:intruder\t0:10\nok\t1:30\n",
        )
        .expect("model")
    }

    #[test]
    fn reads_the_class_its_weights_favour() {
        let m = model();
        let cases: &[(&[(&str, f64)], usize)] = &[
            (&[("root", 2.0), ("f:intruder", 1.0)], 0),
            (&[("ok", 1.0)], 1),
            (&[], 1),
            (&[("unknown", 5.0)], 1),
        ];
        for (f, want) in cases {
            let f: Vec<(String, f64)> = f.iter().map(|(k, x)| ((*k).to_owned(), *x)).collect();
            let r = m.read(&f);
            let best = (0..r.probs.len())
                .max_by(|&a, &b| r.probs[a].total_cmp(&r.probs[b]))
                .expect("classes");
            assert_eq!(best, *want, "{f:?}: {:?}", r.probs);
            assert!((r.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert_eq!(r.known, f.iter().filter(|(k, _)| k != "unknown").count());
        }
        let f = vec![("root".to_owned(), 2.0), ("f:intruder".to_owned(), 1.0)];
        assert_eq!(m.evidence(&f, 0, 1), vec!["\"root\"".to_owned()]);
    }

    #[test]
    fn a_bad_model_file_names_its_line() {
        for (tsv, want) in [
            ("classes\ta\nbias\t0\nx\t3:1\n", "line 3"),
            ("classes\ta\nbias\tzero\n", "line 2"),
            ("classes\ta,b\nbias\t0\n", "one bias per class"),
            ("classes\ta\nbias\t0\nx 1:1\n", "line 3"),
            ("classes\ta\nbias\t0\nx\t0:0.5\n", "line 3"),
        ] {
            let e = Linear::parse(tsv).expect_err(tsv);
            assert!(e.contains(want), "{tsv}: {e}");
        }
    }

    #[test]
    fn the_committed_model_loads() {
        let m = builtin().expect("shared/policy/linear.tsv parses");
        assert!(m.classes.len() >= 10);
    }
}
