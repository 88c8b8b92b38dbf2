//! Words for the severity engine: a report's text as stemmed tokens, each
//! knowing its sentence and clause, so that facts can be found in any
//! inflection and word order and negation can be scoped. Pure.

use compact_str::CompactString;
use foldhash::HashMap;
use foldhash::HashMapExt as _;
use rust_stemmers::{Algorithm, Stemmer};
use std::cell::RefCell;
use std::sync::LazyLock;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// One word of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The English Snowball stem of the lower-cased word.
    pub stem: CompactString,
    /// False when the word was not worth stemming and `stem` is its lower case.
    pub stemmed: bool,
    /// The word as written, for evidence.
    pub start: usize,
    pub end: usize,
    /// Which text (field) it came from.
    pub field: usize,
    pub sentence: u32,
    pub clause: u32,
    /// A second stem the lexicon also matches here: a camel-case word as one
    /// piece ("GuardDuty"), kept on its first part so a lexicon may name it
    /// either way; or what a count reads as ("700" is "many", "0" "zero").
    pub joined: Option<CompactString>,
    /// How many tokens that word was split into (on its first part).
    pub parts: usize,
    /// Whether a negation word shortly before it in its clause reaches it
    /// (`mark_negation`): worked out once, for both word models.
    pub negated: bool,
}

/// Words that end a clause: negation and modality do not reach past them.
fn ends_clause(stem: &str) -> bool {
    matches!(
        stem,
        "but" | "however" | "although" | "though" | "whereas" | "except" | "yet" | "and" | "while"
    )
}

thread_local! {
    /// Stems already worked out: reports reuse their words, and stemming
    /// is most of the engine's cost. One table per thread, so concurrent
    /// assessments share no lock or cache line; bounded, so hostile text
    /// cannot grow it.
    static MEMO: RefCell<HashMap<CompactString, CompactString>> = RefCell::new(HashMap::new());
}
const MEMO_MAX: usize = 50_000;

pub fn stem(word: &str) -> CompactString {
    let owned;
    let lower = if word.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80)
        && word.chars().any(char::is_uppercase)
    {
        owned = word.to_lowercase();
        owned.as_str()
    } else {
        word
    };
    MEMO.with_borrow_mut(|memo| {
        if let Some(s) = memo.get(lower) {
            return s.clone();
        }
        let s = capability(lower, CompactString::from(STEMMER.stem(lower)));
        if memo.len() < MEMO_MAX {
            memo.insert(CompactString::from(lower), s.clone());
        }
        s
    })
}

/// What could be done is not what was done: Snowball gives "exploitable"
/// and "exploitability" the stem of "exploited", "reachable" that of
/// "reached". Those keep an `abl` ending, so a scanner's "Exploitability"
/// field is not an exploit seen. A root that ends so already ("table",
/// "enable") is left as it is.
fn capability(word: &str, stem: CompactString) -> CompactString {
    const ENDINGS: [&str; 8] = [
        "able",
        "ably",
        "ability",
        "abilities",
        "ible",
        "ibly",
        "ibility",
        "ibilities",
    ];
    let ending = ENDINGS
        .iter()
        .find(|e| word.len() > e.len() + 2 && word.ends_with(*e));
    match ending {
        Some(e) if !stem.ends_with("abl") && !stem.ends_with("ibl") => {
            let mut s = stem;
            s.push_str(if e.starts_with('i') { "ibl" } else { "abl" });
            s
        }
        _ => stem,
    }
}

/// Every word of every text, in order. Field boundaries end a sentence.
pub fn tokenize(texts: &[&str]) -> Vec<Token> {
    tokenize_with(texts, &|_| true)
}

/// As [`tokenize`], stemming only the words `worth` says a lexicon could
/// know (stemming is most of the cost); the rest keep their lower case.
pub fn tokenize_with(texts: &[&str], worth: &dyn Fn(&str) -> bool) -> Vec<Token> {
    // About one word in six bytes of English: room for most reports at once.
    let mut out = Vec::with_capacity(texts.iter().map(|t| t.len() / 6).sum::<usize>() + 1);
    let mut sentence = 0u32;
    let mut clause = 0u32;
    for (field, text) in texts.iter().enumerate() {
        sentence += 1;
        clause += 1;
        let bytes = text.as_bytes();
        let mut at = 0;
        while let Some(c) = char_at(text, at) {
            let i = at;
            at += c.len_utf8();
            if c.is_alphanumeric() {
                let mut end = at;
                loop {
                    // Most of a word is ASCII letters and digits: no decoding.
                    while bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
                        end += 1;
                    }
                    let Some(d) = char_at(text, end) else {
                        break;
                    };
                    // Apostrophes inside a word: "isn't", "customer's".
                    let inner = (d == '\'' || d == '’')
                        && char_at(text, end + d.len_utf8()).is_some_and(char::is_alphanumeric);
                    if d.is_alphanumeric() || inner {
                        end += d.len_utf8();
                    } else {
                        break;
                    }
                }
                at = end;
                push_word(&mut out, text, i, end, field, sentence, clause, worth);
                // A dotfile is one word: ".env" reads "dotenv", not "env".
                if is_dotfile(text, i)
                    && let Some(last) = out.last_mut()
                    && last.parts == 1
                    && last.joined.is_none()
                {
                    last.stem = stem(&format!("dot{}", text[i..end].to_lowercase()));
                    last.stemmed = true;
                }
                if out.last().is_some_and(|t| ends_clause(&t.stem)) {
                    clause += 1;
                }
                continue;
            }
            let next = char_at(text, at);
            match c {
                // A full stop followed by a word character is inside a name
                // ("github.com", "9.8", "e.g").
                '.' | '!' | '?' if next.is_none_or(|d| !d.is_alphanumeric()) => {
                    sentence += 1;
                    clause += 1;
                }
                '\n' | '\r' | '|' | '•' => {
                    sentence += 1;
                    clause += 1;
                }
                ',' | ';' | ':' | '(' | ')' | '[' | ']' | '—' | '–' => clause += 1,
                _ => {}
            }
        }
    }
    mark_negation(&mut out);
    out
}

/// How far a negation word reaches, in words of its clause.
const NEGATION_REACH: usize = 5;

/// A word that negates what follows it in its clause ("no", "never",
/// "wasn't"), by its stem.
fn negator(stem: &str) -> bool {
    matches!(
        stem,
        "no" | "not"
            | "never"
            | "none"
            | "noth"
            | "nothing"
            | "nobodi"
            | "nobody"
            | "without"
            | "neither"
            | "nor"
            | "cannot"
    ) || stem.ends_with("n't")
        || stem.ends_with("n\u{2019}t")
}

/// Sets each token's `negated`. Such a word counts apart ("!exfiltr") in
/// the word models, so "no sign of exfiltration" is not read as
/// exfiltration: negation marking, as sentiment classifiers do.
fn mark_negation(tokens: &mut [Token]) {
    let mut last: Option<(usize, usize, u32)> = None;
    for (i, t) in tokens.iter_mut().enumerate() {
        if negator(&t.stem) {
            last = Some((i, t.field, t.clause));
            continue;
        }
        if let Some((n, field, clause)) = last {
            t.negated = field == t.field && clause == t.clause && i - n <= NEGATION_REACH;
        }
    }
}

/// The character at byte `i` of `text` (a character boundary), if any; an
/// ASCII byte without decoding.
#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    match text.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(char::from(b)),
        Some(_) => text.get(i..)?.chars().next(),
        None => None,
    }
}

/// Whether the word at `i` follows a dot that starts a name: ".env",
/// "/app/.npmrc", but not "github.com" or "e.g".
fn is_dotfile(text: &str, i: usize) -> bool {
    let Some(before) = text[..i].strip_suffix('.') else {
        return false;
    };
    before
        .chars()
        .next_back()
        .is_none_or(|c| c.is_whitespace() || matches!(c, '/' | '\\' | '`' | '"' | '\'' | '(' | '~'))
}

/// Splits one word: contractions become "not", possessives lose their 's,
/// camel case is split ("RootCredentialUsage" is three words).
#[allow(clippy::too_many_arguments)]
fn push_word(
    out: &mut Vec<Token>,
    text: &str,
    start: usize,
    end: usize,
    field: usize,
    sentence: u32,
    clause: u32,
    worth: &dyn Fn(&str) -> bool,
) {
    // (the stem, and whether it is one: a word no lexicon could know keeps
    // its lower case; every caller passes it lower-cased already)
    let stem = |w: &str| {
        if worth(w) {
            (stem(w), true)
        } else {
            (CompactString::from(w), false)
        }
    };
    let word = &text[start..end];
    // Most words are written in lower case already: no copy for them.
    let owned;
    let plain = !word.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80);
    let mut lower = if !plain {
        owned = word.to_lowercase().replace('’', "'");
        owned.as_str()
    } else {
        word
    };
    let token = |(stem, stemmed): (CompactString, bool),
                 s: usize,
                 e: usize,
                 joined: Option<CompactString>| Token {
        stem,
        stemmed,
        start: s,
        end: e,
        field,
        sentence,
        clause,
        joined,
        parts: 1,
        negated: false,
    };
    if let Some(base) = lower.strip_suffix("n't") {
        let base = match base {
            "wo" => "will",
            "ca" => "can",
            b => b,
        };
        out.push(token(stem(base), start, end, None));
        out.push(token(("not".into(), true), start, end, None));
        return;
    }
    if let Some(base) = lower
        .strip_suffix("'s")
        .or_else(|| lower.strip_suffix('\''))
    {
        lower = base;
    }
    // A size glued to its unit is two words: "4GB egressed" is "4 gb".
    if let Some(unit) = byte_unit(lower) {
        let cut = end - unit.len();
        out.push(token(
            stem(&lower[..lower.len() - unit.len()]),
            start,
            cut,
            None,
        ));
        out.push(token(stem(unit), cut, end, None));
        return;
    }
    // Most words are not camel case: no parts to work out.
    if plain || !maybe_camel(word) {
        // A count of fifty or more also reads as "many", so "700 accounts"
        // and "~2k logins" are found as "many accounts", "many logins" ...
        // ... and a count of none, "0 successful logins", reads as "zero".
        let count =
            if is_many(lower) && (!is_id(text, start) || is_scaled_decimal(text, start, lower)) {
                Some(self::stem("many"))
            } else if lower == "0" && before_a_word(text, end) {
                Some(self::stem("zero"))
            } else {
                None
            };
        out.push(token(stem(lower), start, end, count));
        return;
    }
    let parts = camel_parts(word);
    if parts.len() > 1 {
        let joined = Some(stem(lower).0);
        let n_parts = parts.len();
        for (n, (s, e)) in parts.into_iter().enumerate() {
            let piece = text[start + s..start + e].to_lowercase();
            let j = if n == 0 { joined.clone() } else { None };
            let mut t = token(stem(&piece), start + s, start + e, j);
            if n == 0 {
                t.parts = n_parts;
            }
            out.push(t);
        }
        return;
    }
    out.push(token(stem(lower), start, end, None));
}

/// Whether a word is a count of fifty or more: "50", "1300", "2k", "3m",
/// "hundred".
/// Four-digit years are counts too; beside an account word they are rare.
fn is_many(lower: &str) -> bool {
    // Counts in words: "three hundred users", "thousands of logins". A
    // number starts with a digit; a word is one of these.
    if !lower.starts_with(|c: char| c.is_ascii_digit()) {
        return matches!(
            lower,
            "fifty"
                | "sixty"
                | "seventy"
                | "eighty"
                | "ninety"
                | "hundred"
                | "hundreds"
                | "thousand"
                | "thousands"
                | "million"
                | "millions"
                | "dozens"
                | "lakh"
        );
    }
    let digits = lower.trim_end_matches(['k', 'm']);
    let scaled = digits.len() < lower.len();
    lower.len() - digits.len() <= 1
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (scaled || digits.len() > 2 || digits.parse::<u32>().is_ok_and(|n| n >= 50))
}

/// Whether the number at `start` is part of a name ("SEC-1131", "#4521",
/// "v1.250", "sha-256"), not a count.
fn is_id(text: &str, start: usize) -> bool {
    text[..start].chars().next_back().is_some_and(|c| {
        c.is_alphanumeric() || matches!(c, '-' | '#' | '_' | '/' | '.' | ':' | '@')
    })
}

/// "1.2k", "2.3M": the part after a decimal point, scaled, is a count.
fn is_scaled_decimal(text: &str, start: usize, lower: &str) -> bool {
    lower.ends_with(['k', 'm'])
        && text[..start]
            .strip_suffix('.')
            .and_then(|before| before.chars().next_back())
            .is_some_and(|c| c.is_ascii_digit())
}

/// The unit of a size written as one word ("4gb", "1.5tb" is "5tb" here),
/// if it is one.
fn byte_unit(lower: &str) -> Option<&str> {
    const UNITS: [&str; 8] = ["kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib"];
    let digits = lower.bytes().take_while(u8::is_ascii_digit).count();
    let unit = &lower[digits..];
    (digits > 0 && UNITS.contains(&unit)).then_some(unit)
}

/// Whether a space and then a letter follow `end`: "0 logins", not
/// "0-day" or "0.5".
fn before_a_word(text: &str, end: usize) -> bool {
    let mut rest = text[end..].chars();
    rest.next() == Some(' ') && rest.next().is_some_and(char::is_alphabetic)
}

fn maybe_camel(word: &str) -> bool {
    word.chars().skip(1).any(char::is_uppercase) && word.chars().any(char::is_lowercase)
}

/// Byte ranges of a camel-case word's parts ("IAMUser" is "IAM", "User");
/// a word that is not camel case is one part.
fn camel_parts(word: &str) -> Vec<(usize, usize)> {
    // Most words are not camel case: say so without looking at every pair.
    let mut inner = word.chars().skip(1);
    if !inner.any(char::is_uppercase) || !word.chars().any(char::is_lowercase) {
        return vec![(0, word.len())];
    }
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let has_lower = chars.iter().any(|(_, c)| c.is_lowercase());
    let has_inner_upper = chars.iter().skip(1).any(|(_, c)| c.is_uppercase());
    if !has_lower || !has_inner_upper || word.contains('\'') {
        return vec![(0, word.len())];
    }
    let mut cuts = vec![0];
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        let next = chars.get(k + 1).map(|&(_, n)| n);
        let lower_to_upper = prev.is_lowercase() && c.is_uppercase();
        // "IAMUser" starts a word at the "U"; "IPs" and "URLs" are plurals.
        let plural = next == Some('s') && k + 2 == chars.len();
        let acronym_end = prev.is_uppercase()
            && c.is_uppercase()
            && next.is_some_and(char::is_lowercase)
            && !plural;
        let digit_edge = prev.is_ascii_digit() != c.is_ascii_digit() && c.is_uppercase();
        if lower_to_upper || acronym_end || digit_edge {
            cuts.push(i);
        }
    }
    cuts.push(word.len());
    cuts.windows(2).map(|w| (w[0], w[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stems(t: &str) -> Vec<String> {
        tokenize(&[t]).into_iter().map(|t| t.stem.into()).collect()
    }

    /// A word of what could be done keeps its own stem; its forms share it.
    #[test]
    fn capability_words_keep_their_own_stem() {
        let one = |w: &str| stems(w).remove(0);
        assert_ne!(one("exploitable"), one("exploited"));
        assert_ne!(one("exploitability"), one("exploitation"));
        assert_eq!(one("exploitable"), one("exploitability"));
        assert_eq!(one("vulnerable"), one("vulnerability"));
        assert_eq!(one("vulnerabilities"), one("vulnerability"));
        assert_ne!(one("reachable"), one("reached"));
        assert_eq!(one("accessible"), one("accessibility"));
        assert_ne!(one("accessible"), one("accessed"));
        for root in ["table", "enable", "disabled", "cable", "able"] {
            assert!(!one(root).ends_with("ablabl"), "{root}: {}", one(root));
        }
        assert_eq!(one("enabled"), one("enable"));
    }

    /// A count of fifty or more also reads "many", a count of none "zero";
    /// a number inside a name or a fraction is neither.
    #[test]
    fn counts_read_as_many_or_zero() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("700 accounts", "700", Some("mani")),
            ("~2k logins", "2k", Some("mani")),
            ("1,300 resets", "300", Some("mani")),
            ("3M tries", "3m", Some("mani")),
            ("50 users", "50", Some("mani")),
            ("49 users", "49", None),
            ("SEC-1131 customers", "1131", None),
            ("#4521 users", "4521", None),
            ("SHA-256 hashes", "256", None),
            ("v1.250 users", "250", None),
            ("1.2k accounts", "2k", Some("mani")),
            ("three hundred users", "hundr", Some("mani")),
            ("0 successful logins", "0", Some("zero")),
            ("a 0-day in the gateway", "0", None),
            ("0.5 percent", "0", None),
        ];
        for (text, word, want) in cases {
            let t = tokenize(&[text]);
            let tok = t.iter().find(|t| t.stem == *word).expect(text);
            assert_eq!(tok.joined.as_deref(), *want, "{text}");
        }
    }

    #[test]
    fn words_are_stemmed_and_split() {
        let cases: &[(&str, &[&str])] = &[
            ("Leaked keys", &["leak", "key"]),
            ("leaking the key", &["leak", "the", "key"]),
            ("wasn't exploited", &["was", "not", "exploit"]),
            ("the customer's data", &["the", "custom", "data"]),
            (
                "UnauthorizedAccess:IAMUser/RootCredentialUsage",
                &[
                    "unauthor", "access", "iam", "user", "root", "credenti", "usag",
                ],
            ),
            ("github.com/acme", &["github", "com", "acm"]),
            // Dotfiles are their own words; a full stop before a word is not.
            (
                "the prod .env is served",
                &["the", "prod", "dotenv", "is", "serv"],
            ),
            ("/app/.npmrc", &["app", "dotnpmrc"]),
            ("done.env vars", &["done", "env", "var"]),
            ("v1.2 e.g", &["v1", "2", "e", "g"]),
            ("can't", &["can", "not"]),
            ("won't rotate", &["will", "not", "rotat"]),
            // A curly apostrophe is an apostrophe.
            ("didn\u{2019}t leak", &["did", "not", "leak"]),
            ("the tenants' pages", &["the", "tenant", "page"]),
            ("EXFILTRATED Databases", &["exfiltr", "databas"]),
            (
                "compromised, compromising, compromises",
                &["compromis", "compromis", "compromis"],
            ),
            ("ransomware encrypted", &["ransomwar", "encrypt"]),
            ("CVSS 9.8", &["cvss", "9", "8"]),
            ("ap-southeast-2", &["ap", "southeast", "2"]),
            ("IAMUser", &["iam", "user"]),
            ("IAMUsers", &["iam", "user"]),
            // An acronym's plural is one word.
            ("5 external IPs", &["5", "extern", "ip"]),
            ("URLs and PATs", &["url", "and", "pat"]),
            // A size glued to its unit is two words.
            ("4GB egressed", &["4", "gb", "egress"]),
            ("a 4gbps link", &["a", "4gbps", "link"]),
            ("s3 bucket", &["s3", "bucket"]),
            ("  \t ", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(stems(text), *want, "{text}");
        }
    }

    #[test]
    fn sentences_and_clauses_are_numbered() {
        let t = tokenize(&["No exploit, but a leak. Then more", "next field"]);
        let by = |w: &str| t.iter().find(|x| x.stem == w).unwrap().clone();
        assert_eq!(by("exploit").clause, by("no").clause);
        assert_ne!(by("exploit").clause, by("leak").clause);
        assert_ne!(by("leak").sentence, by("then").sentence);
        assert_ne!(by("more").sentence, by("next").sentence);
        assert_eq!(by("next").field, 1);
        // A version number does not end a sentence.
        let t = tokenize(&["CVSS 9.8 critical"]);
        assert!(t.iter().all(|x| x.sentence == t[0].sentence));
    }

    #[test]
    fn clause_words_and_marks_end_a_clause() {
        let cases = [
            ("not leaked but exploited", "leak", "exploit", false),
            ("not leaked; exploited", "leak", "exploit", false),
            ("not leaked (exploited)", "leak", "exploit", false),
            ("not leaked and exploited", "leak", "exploit", false),
            ("not leaked or exploited", "leak", "exploit", true),
            ("no leaked key", "leak", "key", true),
        ];
        for (text, a, b, same) in cases {
            let t = tokenize(&[text]);
            let by = |w: &str| t.iter().find(|x| x.stem == w).expect(w).clause;
            assert_eq!(by(a) == by(b), same, "{text}");
        }
        // Sentence marks, new lines and table cells end a sentence.
        for text in [
            "one. two",
            "one! two",
            "one? two",
            "one\ntwo",
            "one | two",
            "one \u{2022} two",
        ] {
            let t = tokenize(&[text]);
            assert_ne!(t[0].sentence, t[1].sentence, "{text:?}");
            assert_ne!(t[0].clause, t[1].clause, "{text:?}");
        }
    }

    #[test]
    fn tokens_point_at_the_words_as_written() {
        let texts = ["The Production DB", "Creds leaked: caf\u{e9}"];
        let t = tokenize(&texts);
        let written: Vec<&str> = t.iter().map(|x| &texts[x.field][x.start..x.end]).collect();
        assert_eq!(
            written,
            ["The", "Production", "DB", "Creds", "leaked", "caf\u{e9}"]
        );
        assert_eq!(t[3].field, 1);
        // A contraction's two tokens both point at the word.
        let texts = ["wasn't"];
        let t = tokenize(&texts);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|x| &texts[0][x.start..x.end] == "wasn't"));
    }

    #[test]
    fn camel_case_keeps_the_joined_stem() {
        let t = tokenize(&["GuardDuty finding"]);
        assert_eq!(t[0].stem, "guard");
        assert_eq!(t[0].joined.as_deref(), Some("guardduti"));
        assert_eq!(t[1].stem, "duti");
    }
}
