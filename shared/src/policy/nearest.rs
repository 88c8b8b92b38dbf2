//! The fallback for a report no rule places: which labelled class its words
//! are most like, by multinomial naive Bayes over word stems. The counts are
//! learnt from the tuning corpus (`shared/tests/corpus/tune*.jsonl`, never
//! the held-out sets) and committed as `shared/policy/nearest.tsv`, so the
//! engine needs no model download and stays pure. It only speaks when no
//! rule did, and such a report stays flagged for triage.

use super::text::{self, Token};
use foldhash::{HashMap, HashMapExt as _};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The committed model, read on first use.
static BUILTIN: LazyLock<Option<Nearest>> =
    LazyLock::new(|| Nearest::parse(include_str!("../../policy/nearest.tsv")).ok());

/// The built-in model; `None` only if the committed file is broken, which a
/// test refuses.
pub fn builtin() -> Option<&'static Nearest> {
    BUILTIN.as_ref()
}

/// Laplace smoothing: an unseen word is not impossible in any class.
const ALPHA: f64 = 0.5;
/// A title's words say more about what the report is than the body's.
const TITLE_WEIGHT: f64 = 2.0;

/// A stem's weight as both word models count it: a title's counts twice.
pub(crate) fn weight(t: &Token) -> f64 {
    if t.field == 0 { TITLE_WEIGHT } else { 1.0 }
}
/// A word seen fewer times than this in the whole corpus is not kept (a
/// title's mention counts 2). At 12 rather than 3 the held-out sets lost 4
/// of 4,220 and the file 12 KB compressed, which the Lambda zips need.
const MIN_COUNT: u32 = 12;
/// The best class must beat the next by this many nats, or nothing is said.
pub const MIN_MARGIN: f64 = 1.5;
/// Beside a verdict that pages no one, a paging class this clear asks for
/// triage. At 4 nats an operational alert ("Database CPU at 100%") read as
/// an attacker in production; 5 keeps such alerts quiet.
pub const ALARM_MARGIN: f64 = 5.0;
/// Between two classes the rules both found, the one the words read more
/// like by this much is chosen: "unused since 2022" beside a deploy key is
/// stale access, not a compromised token, though both rules fire.
pub const PICK_MARGIN: f64 = 2.0;
/// Words this clearly like a more severe class than the rules gave raise
/// the verdict to it (and a person confirms). Chosen on a fresh set
/// before it was tuned on; docs/severity.md has the figures.
pub const RAISE_MARGIN: f64 = 8.0;
/// Words this clearly like a low class (SEV-4) lower a SEV-3 verdict to
/// it. A paging verdict with a body needs the second margin, and is then
/// flagged for triage so the primary is still paged to confirm. Chosen on
/// a fresh set (tune-17) before it joined the counts, and on the unit
/// tables (at 4, "This is not a drill: ransomware ..." was lowered);
/// docs/severity.md has the figures.
pub const LOWER_MARGIN: f64 = 6.0;
pub const LOWER_PAGING_MARGIN: f64 = 8.0;
/// A body alone this clearly more like a low class than the verdict's
/// lowers the verdict to it, flagged for triage from a paging one: an
/// alarming title the body explains away. Chosen on a fresh set (tune-18,
/// 2 to 20 tried) before it joined the counts.
pub const BODY_LOWER_MARGIN: f64 = 4.0;
/// Beside a quiet verdict its title gave, a body whose words alone read
/// like a paging class this clearly asks for triage. Chosen on the tuning
/// and attack sets (1.5 to 5 tried): at 1.5 it flagged 9 more reports, 8
/// of them dangerous misses and none labelled SEV-4; the held-out sets did
/// not move.
pub const BODY_ALARM_MARGIN: f64 = 1.5;
/// Fewer known words than this is too little to go on.
const MIN_WORDS: usize = 3;

/// Words that say nothing about a class.
const STOP: [&str; 40] = [
    "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "is", "are", "was", "were", "be",
    "it", "its", "this", "that", "with", "as", "at", "by", "from", "we", "our", "us", "i", "you",
    "they", "has", "have", "had", "there", "so", "but", "if", "then", "than", "about",
];

#[derive(Debug)]
pub struct Nearest {
    classes: Vec<String>,
    /// The model's keys (stems, "!stem" when negated) in key order: a
    /// key's row is its place here, so rows sort as their keys do.
    keys: Vec<String>,
    /// Row of each plain stem, and of each negated one by its stem (the key
    /// without its "!"), so a negated word is looked up without a copy.
    plain: HashMap<String, u32>,
    negated: HashMap<String, u32>,
    /// log P(key | class), smoothed, row by row (`classes.len()` a row);
    /// worked out once at load so a report costs additions, not logarithms.
    logs: Vec<f64>,
}

/// What the words are most like, and the words that said so.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    pub class: String,
    /// How much better than the next class, in nats.
    pub margin: f64,
    pub words: Vec<String>,
}

/// A report's words as the model reads them, read once for every question:
/// each known stem (in stem order) with its log-probabilities and weight.
#[derive(Debug, Default)]
pub struct Words<'m> {
    known: Vec<(&'m str, &'m [f64], f64)>,
}

impl<'m> Words<'m> {
    /// Merges repeats of a key, so the sums run in key (row) order.
    fn merged(model: &'m Nearest, mut rows: Vec<(u32, f64)>) -> Self {
        rows.sort_unstable_by_key(|&(row, _)| row);
        let mut merged: Vec<(u32, f64)> = Vec::with_capacity(rows.len());
        for k in rows {
            match merged.last_mut() {
                Some(last) if last.0 == k.0 => last.1 += k.1,
                _ => merged.push(k),
            }
        }
        let mut known = Vec::with_capacity(merged.len());
        for (row, w) in merged {
            if let Some((key, logs)) = model.row(row) {
                known.push((key, logs, w));
            }
        }
        Self { known }
    }
}

/// Whether a stem is a feature at all.
pub(crate) fn counted(s: &str) -> bool {
    // No stop word is longer than five letters: most stems skip the list.
    !(s.len() < 2 || s.chars().all(|c| c.is_ascii_digit()) || (s.len() <= 5 && STOP.contains(&s)))
}

/// The model's key for a stem: marked when negated.
fn key(stem: &str, negated: bool) -> std::borrow::Cow<'_, str> {
    if negated {
        std::borrow::Cow::Owned(format!("!{stem}"))
    } else {
        std::borrow::Cow::Borrowed(stem)
    }
}

fn features(tokens: &[Token]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for t in tokens {
        let s = t.stem.as_str();
        if !counted(s) {
            continue;
        }
        let w = weight(t);
        *out.entry(key(s, t.negated).into_owned()).or_insert(0.0) += w;
    }
    out
}

/// The model file for labelled examples: (class, texts) pairs, keeping the
/// words mentioned at least `min_count` times.
pub fn train<'a>(
    examples: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>,
    min_count: u32,
) -> String {
    let mut classes: Vec<String> = Vec::new();
    let mut counts: BTreeMap<String, BTreeMap<usize, u32>> = BTreeMap::new();
    for (class, texts) in examples {
        let c = match classes.iter().position(|k| k == class) {
            Some(c) => c,
            None => {
                classes.push(class.to_owned());
                classes.len() - 1
            }
        };
        for (stem, w) in features(&text::tokenize(&texts)) {
            // Weights are small whole numbers (1 or 2 per mention).
            *counts.entry(stem).or_default().entry(c).or_default() += w as u32;
        }
    }
    counts.retain(|_, by| by.values().sum::<u32>() >= min_count);
    let mut totals = vec![0u32; classes.len()];
    for by in counts.values() {
        for (&c, &n) in by {
            totals[c] += n;
        }
    }
    let mut out = String::from(
        "# Word-stem counts per class, learnt from shared/tests/corpus/tune*.jsonl by\n\
         # `cargo run -p klaxon-core --example train_nearest`; do not edit by hand.\n",
    );
    out.push_str(&format!("classes\t{}\n", classes.join(",")));
    let totals: Vec<String> = totals.iter().map(u32::to_string).collect();
    out.push_str(&format!("totals\t{}\n", totals.join(",")));
    for (stem, by) in &counts {
        let cells: Vec<String> = by.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        out.push_str(&format!("{stem}\t{}\n", cells.join(",")));
    }
    out
}

/// [`train`] over labelled JSON lines (`title`, `description`, `class`),
/// the corpus's format. Err names the file and line.
pub fn train_jsonl(files: &[(&str, &str)]) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    struct Case {
        title: String,
        #[serde(default)]
        description: Option<String>,
        class: String,
    }
    let mut cases = Vec::new();
    for (name, text) in files {
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let c: Case =
                serde_json::from_str(line).map_err(|e| format!("{name}:{}: {e}", n + 1))?;
            cases.push(c);
        }
    }
    Ok(train(
        cases.iter().map(|c| {
            let mut texts = vec![c.title.as_str()];
            texts.extend(c.description.as_deref());
            (c.class.as_str(), texts)
        }),
        MIN_COUNT,
    ))
}

impl Guess {
    /// The telling words as evidence quotes them: `"a", "b"`.
    pub fn quoted_words(&self) -> String {
        let quoted: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"")).collect();
        quoted.join(", ")
    }
}

impl Nearest {
    /// Reads a model file written by [`train`]. Err names the bad line.
    pub fn parse(tsv: &str) -> Result<Self, String> {
        let mut classes = Vec::new();
        let mut totals = Vec::new();
        let mut counts = HashMap::new();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let bad = || format!("nearest.tsv line {}: {line:?}", n + 1);
            let (key, rest) = line.split_once('\t').ok_or_else(bad)?;
            match key {
                "classes" => classes = rest.split(',').map(str::to_owned).collect(),
                "totals" => {
                    totals = rest
                        .split(',')
                        .map(|t| t.parse::<f64>().map_err(|_| bad()))
                        .collect::<Result<_, _>>()?;
                }
                stem => {
                    let mut by = vec![0u32; classes.len()];
                    for cell in rest.split(',') {
                        let (c, k) = cell.split_once(':').ok_or_else(bad)?;
                        let c: usize = c.parse().map_err(|_| bad())?;
                        *by.get_mut(c).ok_or_else(bad)? = k.parse().map_err(|_| bad())?;
                    }
                    counts.insert(stem.to_owned(), by);
                }
            }
        }
        if classes.is_empty() || totals.len() != classes.len() {
            return Err(
                "nearest.tsv: classes and totals must both be given, one total per class".into(),
            );
        }
        let vocab = counts.len() as f64;
        let mut counts: Vec<(String, Vec<u32>)> = counts.into_iter().collect();
        counts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut keys = Vec::with_capacity(counts.len());
        let mut logs = Vec::with_capacity(counts.len() * classes.len());
        let mut plain = HashMap::with_capacity(counts.len());
        let mut negated = HashMap::new();
        for (row, (key, by)) in counts.into_iter().enumerate() {
            let row = u32::try_from(row).map_err(|_| "nearest.tsv: too many stems".to_owned())?;
            logs.extend(
                by.iter()
                    .zip(&totals)
                    .map(|(&n, &total)| ((f64::from(n) + ALPHA) / (total + ALPHA * vocab)).ln()),
            );
            match key.strip_prefix('!') {
                Some(stem) => negated.insert(stem.to_owned(), row),
                None => plain.insert(key.clone(), row),
            };
            keys.push(key);
        }
        Ok(Self {
            classes,
            keys,
            plain,
            negated,
            logs,
        })
    }

    /// The row of a stem, marked when negated, if the model knows it.
    fn lookup(&self, stem: &str, negated: bool) -> Option<u32> {
        if negated {
            self.negated.get(stem).copied()
        } else {
            self.plain.get(stem).copied()
        }
    }

    /// A row's key and log-probabilities.
    fn row(&self, row: u32) -> Option<(&str, &[f64])> {
        let r = usize::try_from(row).ok()?;
        let n = self.classes.len();
        Some((
            self.keys.get(r)?.as_str(),
            self.logs.get(r * n..(r + 1) * n)?,
        ))
    }

    /// A text's words as this model reads them.
    pub fn words(&self, texts: &[&str]) -> Words<'_> {
        let rows = features(&text::tokenize(texts))
            .into_iter()
            .filter_map(|(s, w)| {
                let row = match s.strip_prefix('!') {
                    Some(stem) => self.lookup(stem, true),
                    None => self.lookup(&s, false),
                };
                Some((row?, w))
            })
            .collect();
        Words::merged(self, rows)
    }

    /// The same from tokens already read with stemming only where a lexicon
    /// could know the word: a word the model knows but the lexicon does not
    /// is stemmed here (memoised), so the text is not read twice.
    pub fn words_of_tokens(&self, tokens: &[Token]) -> Words<'_> {
        self.words_of_tokens_where(tokens, |_| true)
    }

    /// As [`Self::words_of_tokens`], over the tokens `keep` chooses (a
    /// field). Negation is marked on the whole text; it never reaches
    /// across a field, so that is the same as marking the chosen ones.
    pub fn words_of_tokens_where(
        &self,
        tokens: &[Token],
        keep: impl Fn(&Token) -> bool,
    ) -> Words<'_> {
        let mut rows = Vec::with_capacity(tokens.len());
        for t in tokens.iter().filter(|t| keep(t)) {
            let hit = if t.stemmed {
                self.lookup(&t.stem, t.negated)
            } else {
                self.lookup(&text::stem(&t.stem), t.negated)
            };
            // The model has no stop words, numbers or one-letter stems.
            let Some(row) = hit else {
                continue;
            };
            let w = weight(t);
            rows.push((row, w));
        }
        Words::merged(self, rows)
    }

    /// How much more the words are like class `a` than class `b`, in nats;
    /// `None` when either class is unknown or too few words are known.
    pub fn lead(&self, words: &Words, a: &str, b: &str) -> Option<f64> {
        let a = self.classes.iter().position(|c| c == a)?;
        let b = self.classes.iter().position(|c| c == b)?;
        let known = &words.known;
        if known.len() < MIN_WORDS {
            return None;
        }
        Some(known.iter().map(|(_, by, w)| w * (by[a] - by[b])).sum())
    }

    /// The class the report's words are most like, if clearly so.
    pub fn guess(&self, texts: &[&str]) -> Option<Guess> {
        self.guess_words(&self.words(texts))
    }

    /// [`Nearest::guess`] over words already read.
    pub fn guess_words(&self, words: &Words) -> Option<Guess> {
        let known = &words.known;
        if known.len() < MIN_WORDS {
            return None;
        }
        // Every class's sum in one pass over the words, each class adding
        // them in the same order as a sum per class would.
        let mut scores = vec![-0.0_f64; self.classes.len()];
        for (_, by, w) in known {
            for (score, l) in scores.iter_mut().zip(by.iter()) {
                *score += w * l;
            }
        }
        let ((best, c), (next, c2)) = top_two(&scores)?;
        let margin = best - next;
        if margin < MIN_MARGIN {
            return None;
        }
        // The words that most set the winner apart from the runner-up.
        let mut telling: Vec<(f64, &str)> = known
            .iter()
            .map(|(s, by, w)| (w * (by[c] - by[c2]), *s))
            .filter(|(d, _)| *d > 0.0)
            .collect();
        telling.sort_by(|a, b| b.0.total_cmp(&a.0));
        Some(Guess {
            class: self.classes[c].clone(),
            margin,
            words: telling
                .iter()
                .take(4)
                .map(|(_, s)| (*s).to_owned())
                .collect(),
        })
    }
}

/// The best score and the next, with their classes, as a stable sort from
/// best to worst would give them: of equal scores the first class leads.
fn top_two(scores: &[f64]) -> Option<((f64, usize), (f64, usize))> {
    let mut best: Option<(f64, usize)> = None;
    let mut next: Option<(f64, usize)> = None;
    for (c, &s) in scores.iter().enumerate() {
        match best {
            Some((b, _)) if s.total_cmp(&b).is_le() => {
                if next.is_none_or(|(n, _)| s.total_cmp(&n).is_gt()) {
                    next = Some((s, c));
                }
            }
            _ => {
                next = best;
                best = Some((s, c));
            }
        }
    }
    Some((best?, next?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two best as the stable sort they replace gives them, ties and
    /// all.
    #[test]
    fn top_two_is_the_sorted_pair() {
        let cases: &[&[f64]] = &[
            &[1.0, 2.0, 3.0],
            &[3.0, 2.0, 1.0],
            &[2.0, 3.0, 3.0, 1.0],
            &[3.0, 3.0, 3.0],
            &[-1.0, -5.0, -1.0, -0.5],
            &[0.0, -0.0, 0.0],
            &[-0.0, 0.0],
            &[1.0],
            &[],
        ];
        for scores in cases {
            let mut sorted: Vec<(f64, usize)> = scores
                .iter()
                .copied()
                .enumerate()
                .map(|(c, s)| (s, c))
                .collect();
            sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
            let want = sorted.first().copied().zip(sorted.get(1).copied());
            let got = top_two(scores);
            assert_eq!(
                got.map(|((a, c), (b, d))| (a.to_bits(), c, b.to_bits(), d)),
                want.map(|((a, c), (b, d))| (a.to_bits(), c, b.to_bits(), d)),
                "{scores:?}"
            );
        }
    }

    fn model() -> Nearest {
        let tsv = train(
            [
                (
                    "leak",
                    vec!["api key pasted in slack", "token committed to github"],
                ),
                (
                    "leak",
                    vec!["secret key posted publicly", "the key leaked in slack"],
                ),
                (
                    "scan",
                    vec!["port scan from tor", "scanner probing the login"],
                ),
                ("scan", vec!["probing and a port scan", "tor scanner again"]),
            ],
            2,
        );
        Nearest::parse(&tsv).expect("model")
    }

    #[test]
    fn guesses_the_class_whose_words_it_shares() {
        let m = model();
        let cases: &[(&str, Option<&str>)] = &[
            ("our key got pasted in slack, token too", Some("leak")),
            ("tor port scan probing us", Some("scan")),
            // Too few known words: nothing is said.
            ("ransomware everywhere", None),
        ];
        for (t, want) in cases {
            let got = m.guess(&[t]).map(|g| g.class);
            assert_eq!(got.as_deref(), *want, "{t}");
        }
        let g = m
            .guess(&["the key pasted in slack and a token"])
            .expect("guess");
        assert!(g.words.iter().any(|w| w == "key" || w == "slack"), "{g:?}");
        assert!(g.margin >= MIN_MARGIN);
    }

    #[test]
    fn lead_says_how_much_more_one_class_fits() {
        let m = model();
        let w = m.words(&["the key pasted in slack and a token"]);
        let lead = m.lead(&w, "leak", "scan").expect("lead");
        assert!(lead > 0.0, "{lead}");
        let back = m.lead(&w, "scan", "leak").expect("lead");
        assert!((lead + back).abs() < 1e-9, "{lead} {back}");
        assert_eq!(m.lead(&w, "leak", "no-such-class"), None);
        assert_eq!(m.lead(&m.words(&["ransomware"]), "leak", "scan"), None);
    }

    /// A negated word counts apart from the same word said plainly, within
    /// its clause and a few words; the negation word itself is not marked.
    /// `counted` skips the stop list for longer stems.
    #[test]
    fn no_stop_word_is_longer_than_five_letters() {
        assert!(STOP.iter().all(|w| w.len() <= 5));
        assert!(!counted("there") && !counted("about") && counted("theres"));
    }

    #[test]
    fn negation_marks_table() {
        let cases: &[(&str, &[&str])] = &[
            ("no sign of exfiltration", &["!sign", "!of", "!exfiltr"]),
            ("data was not exfiltrated", &["!exfiltr"]),
            (
                "we didn't see any exfiltration",
                &["!see", "!ani", "!exfiltr"],
            ),
            // The clause ends the reach: "but" and the full stop.
            ("nothing leaked, but the key was exfiltrated", &["!leak"]),
            ("No alerts. The key was exfiltrated", &["!alert"]),
            // Beyond five words it is plain again.
            (
                "not one two three four five exfiltrated",
                &["!one", "!two", "!three", "!four", "!five"],
            ),
            ("the key was exfiltrated", &[]),
        ];
        for (t, want) in cases {
            let toks = text::tokenize(&[t]);
            let got: Vec<String> = toks
                .iter()
                .filter(|t| t.negated)
                .map(|t| format!("!{}", t.stem))
                .collect();
            assert_eq!(got, *want, "{t}");
        }
        // Trained apart: a negated twin does not read as its plain class.
        let tsv = train(
            [
                ("leak", vec!["the api key leaked in slack"]),
                ("leak", vec!["token leaked on github, key exposed"]),
                ("fine", vec!["no key leaked, nothing exposed"]),
                ("fine", vec!["the key was not leaked or exposed"]),
            ],
            2,
        );
        let m = Nearest::parse(&tsv).expect("model");
        let got = m
            .guess(&["no key was leaked, not exposed"])
            .map(|g| g.class);
        assert_eq!(got.as_deref(), Some("fine"));
        let got = m
            .guess(&["a key leaked and was exposed on github"])
            .map(|g| g.class);
        assert_eq!(got.as_deref(), Some("leak"));
    }

    #[test]
    fn a_bad_model_file_names_its_line() {
        for bad in [
            "classes\ta\ntotals\tx\n",
            "classes\ta\ntotals\t1\nkey\t5:1\n",
            "nonsense",
        ] {
            let e = Nearest::parse(bad).expect_err(bad);
            assert!(e.contains("nearest.tsv"), "{e}");
        }
    }
}
