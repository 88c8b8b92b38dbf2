//! The severity engine's tables, as the policy file gives them: concepts
//! (each a set of words, matched by stem), the classes with their severity
//! and play, and the rules that combine concepts into a class. A team adds
//! a class, its words and its severity in TOML, without writing Rust. Pure.

use super::text::{self, Token};
use crate::domain::{IncidentClass, Play, Severity};
use foldhash::{HashMap, HashMapExt as _, HashSet, HashSetExt as _};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Concepts with a meaning of their own to the engine.
pub mod reserved {
    /// Words that negate what follows them in the same clause ("no", "not").
    pub const NEGATION: &str = "negation";
    /// Words that negate what comes just before them ("... was ruled out").
    pub const NEGATION_AFTER: &str = "negation_after";
    /// Words that make what follows possible rather than actual ("could").
    pub const MODAL: &str = "modal";
    /// Words that make a sentence a suspicion ("suspected", "appears").
    pub const SUSPECTED: &str = "suspected";
    pub const PRODUCTION: &str = "production";
    pub const NON_PRODUCTION: &str = "non_production";
    /// "test", "local": non-production only right before an environment noun.
    pub const NON_PRODUCTION_WEAK: &str = "non_production_weak";
    pub const ENVIRONMENT_NOUN: &str = "environment_noun";
    /// "pen test", "unit test": not an environment.
    pub const TEST_ACTIVITY: &str = "test_activity";
    /// "tried", "blocked": what follows was attempted, not achieved.
    pub const ATTEMPT: &str = "attempt";
    /// "false positive", "was our own job": the report explains itself away.
    pub const DISMISSAL: &str = "dismissal";
    /// "led to", "succeeded": an attempt that worked.
    pub const SUCCESS: &str = "success";
    /// "not a drill", "the 'false positive' was real": the report says its
    /// own dismissal is wrong, so none applies.
    pub const REVERSAL: &str = "reversal";
    /// "but", "separately": a dismissal before one covers only what comes
    /// before it ("the staging alert was a false positive, but prod ...").
    pub const CONTRAST: &str = "contrast";
}

pub type ConceptId = u16;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgementFile {
    /// With `false`, the file holds the whole table; otherwise its entries
    /// are added to the built-in ones.
    #[serde(default = "yes")]
    pub extends_builtin: bool,
    #[serde(default)]
    pub concepts: BTreeMap<String, Vec<String>>,
    /// Concepts that a following negation cue also negates.
    #[serde(default)]
    pub negated_after: Vec<String>,
    /// Things (not events): a negation reaches them only from right before
    /// ("no customer data"), not from across the clause.
    #[serde(default)]
    pub things: Vec<String>,
    /// Who did it ("an attacker", "anyone"): a negation before one also
    /// reaches the event after it ("no evidence that an attacker
    /// exfiltrated data" negates the exfiltration too).
    #[serde(default)]
    pub actors: Vec<String>,
    /// Concepts too common to make a near miss on their own.
    #[serde(default)]
    pub weak: Vec<String>,
    /// Concepts whose phrases hide the shorter facts inside them: "can
    /// someone check" is a request, not an intruder.
    #[serde(default)]
    pub masking: Vec<String>,
    /// The class a dismissed report takes ("false positive").
    #[serde(default)]
    pub dismissed_class: Option<String>,
    #[serde(default)]
    pub classes: BTreeMap<String, ClassFile>,
    #[serde(default)]
    pub rules: Vec<RuleFile>,
    #[serde(default)]
    pub escalators: Vec<EscalatorFile>,
    /// Concepts that, found in a report judged below SEV-2, mean a person
    /// should look before it waits for business hours.
    #[serde(default)]
    pub alarms: Vec<String>,
    /// Concepts that, told plainly in the body, mean the body does not
    /// explain the title away, whatever its other words are like.
    #[serde(default)]
    pub body_alarms: Vec<String>,
    /// Concepts that explain an alarm ("our own", "approved"): a body
    /// lowers its title by its words only with one of these, a negation
    /// or a dismissal in it.
    #[serde(default)]
    pub body_explains: Vec<String>,
    /// Facts that together, beside a verdict that pages no one, mean a
    /// person should look: the same shape as a rule, with a name for the
    /// reason instead of a class.
    #[serde(default)]
    pub alarm_rules: Vec<AlarmRuleFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmRuleFile {
    /// What the reason says ("many accounts' recovery details changed").
    pub name: String,
    pub all: Vec<String>,
    #[serde(default)]
    pub window: Option<usize>,
    #[serde(default)]
    pub unless: Vec<String>,
    /// Only beside a verdict of these classes (any, when empty).
    #[serde(default)]
    pub when: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassFile {
    pub severity: Severity,
    #[serde(default = "generic_play")]
    pub play: Play,
    /// The class itself means Atlassian must be told.
    #[serde(default)]
    pub tells_atlassian: bool,
    /// The class itself means customer data is involved.
    #[serde(default)]
    pub customer_data: bool,
    /// The class to use instead when the facts say non-production.
    #[serde(default)]
    pub non_production: Option<String>,
    /// The severity when the facts are only possible ("could allow").
    #[serde(default)]
    pub theoretical: Option<Severity>,
    /// The class to use instead when it was only attempted ("blocked").
    #[serde(default)]
    pub attempted: Option<String>,
    /// The class is guessed from a weakness's name: a CVSS score given with
    /// the report (a vector, a score in the text, a scanner's score) decides
    /// its severity instead.
    #[serde(default)]
    pub scored: bool,
    /// Concepts that rule the class out wherever they are plainly said
    /// ("in the same tenant"): the word model may not place it there.
    #[serde(default)]
    pub ruled_out_by: Vec<String>,
}

fn yes() -> bool {
    true
}

fn generic_play() -> Play {
    Play::Generic
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    pub class: String,
    /// Groups that must all be found within `window` words, in any order.
    /// A group is "a|b|c" (any of those concepts); "!a" means a negated
    /// mention of a.
    pub all: Vec<String>,
    #[serde(default)]
    pub window: Option<usize>,
    /// Concepts that, mentioned within the window, stop the rule.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Classes this rule's class stands in for when both fire: a stated
    /// "high severity vulnerability" over a weakness guessed from its name.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// The facts decide: the word counts do not talk this class down to
    /// one that pages no one.
    #[serde(default)]
    pub decisive: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalatorFile {
    pub name: String,
    pub severity: Severity,
    pub all: Vec<String>,
    #[serde(default)]
    pub window: Option<usize>,
    #[serde(default)]
    pub unless: Vec<String>,
    /// "customer_data" or "atlassian_systems": the flag this escalator sets.
    #[serde(default)]
    pub sets: Option<Flag>,
    /// With `false`, a report about non-production is not raised by it.
    #[serde(default = "yes")]
    pub in_non_production: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    CustomerData,
    AtlassianSystems,
}

/// A class as the engine uses it.
#[derive(Debug, Clone)]
pub struct Class {
    pub id: IncidentClass,
    pub severity: Severity,
    pub play: Play,
    pub tells_atlassian: bool,
    pub customer_data: bool,
    pub non_production: Option<IncidentClass>,
    pub theoretical: Option<Severity>,
    pub attempted: Option<IncidentClass>,
    pub scored: bool,
    pub ruled_out_by: Vec<ConceptId>,
}

/// One alternative of a group: a concept, mentioned plainly or negated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    pub concept: ConceptId,
    pub negated: bool,
}

#[derive(Debug, Clone)]
pub struct Pattern {
    pub groups: Vec<Vec<Want>>,
    pub window: usize,
    pub unless: Vec<ConceptId>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub class: IncidentClass,
    pub pattern: Pattern,
    pub replaces: Vec<IncidentClass>,
    pub decisive: bool,
}

#[derive(Debug, Clone)]
pub struct AlarmRule {
    pub name: String,
    pub pattern: Pattern,
    pub when: Vec<IncidentClass>,
}

#[derive(Debug, Clone)]
pub struct Escalator {
    pub name: String,
    pub severity: Severity,
    pub pattern: Pattern,
    pub sets: Option<Flag>,
    pub in_non_production: bool,
}

/// A term's words after its first, by stem.
#[derive(Debug, Clone)]
struct Term {
    concept: ConceptId,
    rest: Vec<String>,
    /// Where the term stands in its first word's list: the order matches
    /// are taken in.
    order: u32,
}

/// The terms that start with one word, split by their second: "not" and
/// "the" start dozens, and a report's every "not" was compared with each.
#[derive(Debug, Clone, Default)]
struct Bucket {
    single: Vec<Term>,
    by_next: HashMap<String, Vec<Term>>,
}

impl Bucket {
    fn push(&mut self, concept: ConceptId, rest: &[String]) {
        let order =
            u32::try_from(self.single.len() + self.by_next.values().map(Vec::len).sum::<usize>())
                .unwrap_or(u32::MAX);
        let term = Term {
            concept,
            rest: rest.to_vec(),
            order,
        };
        match rest.first() {
            None => self.single.push(term),
            Some(next) => self.by_next.entry(next.clone()).or_default().push(term),
        }
    }
}

/// The compiled tables.
#[derive(Debug, Clone)]
pub struct Judgement {
    names: Vec<String>,
    /// Concept ids by name: the engine asks for its reserved ones per report.
    by_name: HashMap<String, ConceptId>,
    /// The first letters of every word the tables know, stemmed or not: a
    /// report's word that starts otherwise cannot match, so it is not stemmed.
    prefixes: HashSet<u128>,
    index: HashMap<String, Bucket>,
    negated_after: Vec<bool>,
    things: Vec<bool>,
    actors: Vec<bool>,
    weak: Vec<bool>,
    masking: Vec<bool>,
    pub dismissed_class: Option<IncidentClass>,
    pub classes: Vec<Class>,
    pub rules: Vec<Rule>,
    pub escalators: Vec<Escalator>,
    pub alarms: Vec<ConceptId>,
    pub body_alarms: Vec<ConceptId>,
    pub body_explains: Vec<ConceptId>,
    pub alarm_rules: Vec<AlarmRule>,
    /// The severity each of the built-in second reader's classes stands
    /// for, worked out once per policy (`second::class_table`).
    pub(crate) reader_classes: OnceLock<Vec<Option<(IncidentClass, Severity)>>>,
}

pub const DEFAULT_WINDOW: usize = 16;

impl JudgementFile {
    /// These tables with a team's additions: words join their concept,
    /// a class of the same id is replaced, rules and escalators are added.
    pub fn extended_by(mut self, own: JudgementFile) -> JudgementFile {
        for (name, words) in own.concepts {
            add_new(self.concepts.entry(name).or_default(), words);
        }
        add_new(&mut self.negated_after, own.negated_after);
        add_new(&mut self.things, own.things);
        add_new(&mut self.actors, own.actors);
        add_new(&mut self.weak, own.weak);
        add_new(&mut self.masking, own.masking);
        add_new(&mut self.alarms, own.alarms);
        add_new(&mut self.body_alarms, own.body_alarms);
        add_new(&mut self.body_explains, own.body_explains);
        if own.dismissed_class.is_some() {
            self.dismissed_class = own.dismissed_class;
        }
        self.classes.extend(own.classes);
        self.rules.extend(own.rules);
        self.escalators.extend(own.escalators);
        self.alarm_rules.extend(own.alarm_rules);
        self
    }
}

/// Appends the names `more` has that `list` lacks, in their order.
fn add_new(list: &mut Vec<String>, more: Vec<String>) {
    for m in more {
        if !list.contains(&m) {
            list.push(m);
        }
    }
}

impl Judgement {
    pub fn compile(file: &JudgementFile) -> Result<Self, String> {
        let mut names: Vec<String> = file.concepts.keys().cloned().collect();
        for r in [
            reserved::NEGATION,
            reserved::NEGATION_AFTER,
            reserved::MODAL,
            reserved::SUSPECTED,
            reserved::PRODUCTION,
            reserved::NON_PRODUCTION,
            reserved::NON_PRODUCTION_WEAK,
            reserved::ENVIRONMENT_NOUN,
            reserved::TEST_ACTIVITY,
            reserved::ATTEMPT,
            reserved::DISMISSAL,
            reserved::SUCCESS,
            reserved::REVERSAL,
            reserved::CONTRAST,
        ] {
            if !names.iter().any(|n| n == r) {
                names.push(r.to_owned());
            }
        }
        if names.len() > usize::from(ConceptId::MAX) {
            return Err("[judgement.concepts]: too many concepts".into());
        }
        let id_of = |name: &str| -> Option<ConceptId> {
            names
                .iter()
                .position(|n| n == name)
                .and_then(|p| ConceptId::try_from(p).ok())
        };
        let mut index: HashMap<String, Bucket> = HashMap::new();
        let mut prefixes = HashSet::new();
        for (name, terms) in &file.concepts {
            let concept = id_of(name).ok_or_else(|| format!("concept {name:?}"))?;
            for term in terms {
                let stems: Vec<String> = text::tokenize(&[term.as_str()])
                    .into_iter()
                    .map(|t| t.stem.into())
                    .collect();
                for w in stems
                    .iter()
                    .map(String::as_str)
                    .chain(term.split_whitespace())
                {
                    prefixes.insert(prefix_key(&w.to_lowercase()));
                }
                let Some((first, rest)) = stems.split_first() else {
                    return Err(format!(
                        "[judgement.concepts] {name}: an empty word ({term:?})"
                    ));
                };
                index.entry(first.clone()).or_default().push(concept, rest);
            }
        }
        let flags = |list: &[String], what: &str| -> Result<Vec<bool>, String> {
            let mut out = vec![false; names.len()];
            for n in list {
                let id = id_of(n)
                    .ok_or_else(|| format!("[judgement] {what} names unknown concept {n:?}"))?;
                out[usize::from(id)] = true;
            }
            Ok(out)
        };
        let negated_after = flags(&file.negated_after, "negated_after")?;
        let things = flags(&file.things, "things")?;
        let actors = flags(&file.actors, "actors")?;
        let weak = flags(&file.weak, "weak")?;
        let masking = flags(&file.masking, "masking")?;
        // `at` says where the list is, for the error.
        let concepts = |list: &[String], at: &str| -> Result<Vec<ConceptId>, String> {
            list.iter()
                .map(|a| id_of(a).ok_or_else(|| format!("{at} names unknown concept {a:?}")))
                .collect()
        };
        let mut classes = Vec::new();
        for (id, c) in &file.classes {
            if id.trim().is_empty() || !id.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') {
                return Err(format!(
                    "[judgement.classes.{id}]: a class id is lower-case letters and underscores"
                ));
            }
            let ruled_out_by = concepts(
                &c.ruled_out_by,
                &format!("[judgement.classes.{id}] ruled_out_by"),
            )?;
            classes.push(Class {
                ruled_out_by,
                id: IncidentClass::intern(id),
                severity: c.severity,
                play: c.play,
                tells_atlassian: c.tells_atlassian,
                customer_data: c.customer_data,
                non_production: None,
                theoretical: c.theoretical,
                attempted: None,
                scored: c.scored,
            });
        }
        let known = |what: &str, id: &str, other: &Option<String>| match other {
            Some(o) if !file.classes.contains_key(o) => Err(format!(
                "[judgement.classes.{id}] {what} names unknown class {o:?}"
            )),
            Some(o) => Ok(Some(IncidentClass::intern(o))),
            None => Ok(None),
        };
        for (id, c) in &file.classes {
            let np = known("non_production", id, &c.non_production)?;
            let at = known("attempted", id, &c.attempted)?;
            if let Some(class) = classes.iter_mut().find(|k| k.id.id() == id) {
                class.non_production = np;
                class.attempted = at;
            }
        }
        let dismissed_class = match &file.dismissed_class {
            Some(d) if !file.classes.contains_key(d) => {
                return Err(format!(
                    "[judgement] dismissed_class names unknown class {d:?}"
                ));
            }
            Some(d) => Some(IncidentClass::intern(d)),
            None => None,
        };
        let pattern = |all: &[String], window: Option<usize>, unless: &[String], what: &str| {
            compile_pattern(all, window, unless, &id_of).map_err(|e| format!("{what}: {e}"))
        };
        let mut rules = Vec::new();
        for (n, r) in file.rules.iter().enumerate() {
            if !file.classes.contains_key(&r.class) {
                return Err(format!(
                    "[[judgement.rules]] #{} names unknown class {:?}",
                    n + 1,
                    r.class
                ));
            }
            if let Some(bad) = r.replaces.iter().find(|c| !file.classes.contains_key(*c)) {
                return Err(format!(
                    "[[judgement.rules]] #{} replaces unknown class {bad:?}",
                    n + 1
                ));
            }
            rules.push(Rule {
                replaces: r
                    .replaces
                    .iter()
                    .map(|c| IncidentClass::intern(c))
                    .collect(),
                class: IncidentClass::intern(&r.class),
                decisive: r.decisive,
                pattern: pattern(
                    &r.all,
                    r.window,
                    &r.unless,
                    &format!("[[judgement.rules]] #{} ({})", n + 1, r.class),
                )?,
            });
        }
        let mut escalators = Vec::new();
        for e in &file.escalators {
            escalators.push(Escalator {
                name: e.name.clone(),
                severity: e.severity,
                pattern: pattern(
                    &e.all,
                    e.window,
                    &e.unless,
                    &format!("[[judgement.escalators]] {}", e.name),
                )?,
                sets: e.sets,
                in_non_production: e.in_non_production,
            });
        }
        let alarms = concepts(&file.alarms, "[judgement] alarms")?;
        let body_alarms = concepts(&file.body_alarms, "[judgement] body_alarms")?;
        let body_explains = concepts(&file.body_explains, "[judgement] body_explains")?;
        let mut alarm_rules = Vec::new();
        for a in &file.alarm_rules {
            let at = format!("[[judgement.alarm_rules]] {}", a.name);
            if let Some(bad) = a.when.iter().find(|c| !file.classes.contains_key(*c)) {
                return Err(format!("{at}: `when` names unknown class {bad:?}"));
            }
            alarm_rules.push(AlarmRule {
                name: a.name.clone(),
                pattern: pattern(&a.all, a.window, &a.unless, &at)?,
                when: a.when.iter().map(|c| IncidentClass::intern(c)).collect(),
            });
        }
        Ok(Self {
            by_name: names
                .iter()
                .enumerate()
                .filter_map(|(p, n)| Some((n.clone(), ConceptId::try_from(p).ok()?)))
                .collect(),
            names,
            prefixes,
            index,
            negated_after,
            things,
            actors,
            weak,
            masking,
            dismissed_class,
            classes,
            rules,
            escalators,
            alarms,
            body_alarms,
            body_explains,
            alarm_rules,
            reader_classes: OnceLock::new(),
        })
    }

    /// Whether a lower-cased word could be one the tables know.
    pub fn worth_stemming(&self, lower: &str) -> bool {
        self.prefixes.contains(&prefix_key(lower))
    }

    pub fn name(&self, c: ConceptId) -> &str {
        self.names
            .get(usize::from(c))
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn concept(&self, name: &str) -> Option<ConceptId> {
        self.by_name.get(name).copied()
    }

    pub fn negated_after(&self, c: ConceptId) -> bool {
        self.negated_after
            .get(usize::from(c))
            .copied()
            .unwrap_or(false)
    }

    /// Too common to make a near miss on its own.
    pub fn is_weak(&self, c: ConceptId) -> bool {
        self.weak.get(usize::from(c)).copied().unwrap_or(false)
    }

    /// Its phrases hide the shorter facts inside them.
    pub fn is_masking(&self, c: ConceptId) -> bool {
        self.masking.get(usize::from(c)).copied().unwrap_or(false)
    }

    /// Who did it: a negation passes through it to the event after.
    pub fn is_actor(&self, c: ConceptId) -> bool {
        self.actors.get(usize::from(c)).copied().unwrap_or(false)
    }

    /// A thing, not an event: only an adjacent negation negates it.
    pub fn is_thing(&self, c: ConceptId) -> bool {
        self.things.get(usize::from(c)).copied().unwrap_or(false)
    }

    pub fn class(&self, id: IncidentClass) -> Option<&Class> {
        self.classes.iter().find(|c| c.id == id)
    }

    /// The play for a class; a class the tables do not know gets the generic one.
    pub fn play(&self, id: IncidentClass) -> Play {
        self.class(id).map(|c| c.play).unwrap_or(Play::Generic)
    }

    /// Every concept that starts at `tokens[at]`, with the number of words it spans.
    pub fn starting_at(&self, tokens: &[Token], at: usize) -> Vec<(ConceptId, usize)> {
        let mut out = Vec::new();
        self.starting_at_into(tokens, at, &mut out);
        out
    }

    /// As [`Self::starting_at`], into `out` (cleared first): a report's
    /// every word reuses one buffer.
    pub fn starting_at_into(&self, tokens: &[Token], at: usize, out: &mut Vec<(ConceptId, usize)>) {
        out.clear();
        let Some(tok) = tokens.get(at) else {
            return;
        };
        // The joined stem of a camel-case word covers all its parts.
        let keys = [(&tok.stem, 1)]
            .into_iter()
            .chain(tok.joined.as_ref().map(|j| (j, tok.parts.max(1))));
        for (key, width) in keys {
            let Some(bucket) = self.index.get(key.as_str()) else {
                continue;
            };
            let next = tokens
                .get(at + width)
                .filter(|t| t.field == tok.field)
                .and_then(|t| bucket.by_next.get(t.stem.as_str()));
            // The terms whose words all follow, in the list's order: both
            // lists are in that order, so they are merged as they are read.
            let mut single = bucket.single.iter().peekable();
            let mut longer = next
                .into_iter()
                .flatten()
                .filter(|term| {
                    term.rest.iter().enumerate().skip(1).all(|(k, w)| {
                        tokens
                            .get(at + width + k)
                            .is_some_and(|t| t.stem == *w && t.field == tok.field)
                    })
                })
                .peekable();
            let fit = std::iter::from_fn(|| match (single.peek(), longer.peek()) {
                (Some(a), Some(b)) if b.order < a.order => longer.next(),
                (Some(_), _) => single.next(),
                (None, _) => longer.next(),
            });
            for term in fit {
                let len = width + term.rest.len();
                if !out.iter().any(|&(c, n)| c == term.concept && n > len) {
                    out.retain(|&(c, _)| c != term.concept);
                    out.push((term.concept, len));
                }
            }
        }
    }
}

/// A word's first three characters (all of a shorter word).
fn prefix(lower: &str) -> &str {
    let end = lower.char_indices().nth(3).map_or(lower.len(), |(i, _)| i);
    &lower[..end]
}

/// A word's [`prefix`] as a number, so a report's every word is checked
/// without hashing a string: its length (at most 12 bytes) above its bytes,
/// so two prefixes pack alike only if they are the same.
fn prefix_key(lower: &str) -> u128 {
    let p = prefix(lower).as_bytes();
    p.iter()
        .fold(p.len() as u128, |key, &b| key << 8 | u128::from(b))
}

fn compile_pattern(
    all: &[String],
    window: Option<usize>,
    unless: &[String],
    id_of: &dyn Fn(&str) -> Option<ConceptId>,
) -> Result<Pattern, String> {
    let unless = unless
        .iter()
        .map(|n| id_of(n).ok_or_else(|| format!("unless names unknown concept {n:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    if all.is_empty() {
        return Err("`all` needs at least one group".into());
    }
    let mut groups = Vec::new();
    for g in all {
        let mut wants = Vec::new();
        for alt in g.split('|').map(str::trim) {
            let (negated, name) = match alt.strip_prefix('!') {
                Some(n) => (true, n.trim()),
                None => (false, alt),
            };
            let concept = id_of(name).ok_or_else(|| format!("unknown concept {name:?}"))?;
            wants.push(Want { concept, negated });
        }
        groups.push(wants);
    }
    Ok(Pattern {
        groups,
        window: window.unwrap_or(DEFAULT_WINDOW),
        unless,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(toml_text: &str) -> JudgementFile {
        toml::from_str(toml_text).expect("valid")
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let cases = [
            (
                r#"rules = [{ class = "nope", all = ["a"] }]
                   [concepts]
                   a = ["x"]"#,
                "unknown class \"nope\"",
            ),
            (
                r#"rules = [{ class = "c", all = ["missing"] }]
                   [classes.c]
                   severity = "SEV-2""#,
                "unknown concept \"missing\"",
            ),
            (
                r#"[classes.Bad-Id]
                   severity = "SEV-2""#,
                "lower-case letters",
            ),
            (
                r#"[classes.c]
                   severity = "SEV-2"
                   non_production = "d""#,
                "unknown class \"d\"",
            ),
            (
                r#"[classes.c]
                   severity = "SEV-2"
                   ruled_out_by = ["zzz"]"#,
                "ruled_out_by names unknown concept \"zzz\"",
            ),
            (
                r#"[concepts]
                   a = [" "]"#,
                "an empty word",
            ),
            (r#"alarms = ["zzz"]"#, "unknown concept \"zzz\""),
            (
                r#"[[alarm_rules]]
                   name = "x"
                   all = ["zzz"]"#,
                "unknown concept \"zzz\"",
            ),
            (
                r#"[concepts]
                   a = ["a"]
                   [[alarm_rules]]
                   name = "x"
                   all = ["a"]
                   when = ["nope"]"#,
                "unknown class \"nope\"",
            ),
        ];
        for (text, want) in cases {
            let err = Judgement::compile(&file(text)).expect_err(text);
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn a_teams_file_extends_the_tables() {
        let base = file(
            r#"dismissed_class = "info"
               alarms = ["bad"]
               [concepts]
               bad = ["evil"]
               [classes.info]
               severity = "SEV-4"
               [classes.x]
               severity = "SEV-3"
               [[rules]]
               class = "x"
               all = ["bad"]"#,
        );
        let own = file(
            r#"alarms = ["bad", "worse"]
               [concepts]
               bad = ["evil", "wicked"]
               worse = ["vile"]
               [classes.x]
               severity = "SEV-1"
               [[rules]]
               class = "x"
               all = ["worse"]"#,
        );
        let merged = base.extended_by(own);
        assert_eq!(merged.concepts["bad"], ["evil", "wicked"], "no duplicates");
        assert_eq!(merged.alarms, ["bad", "worse"]);
        assert_eq!(merged.rules.len(), 2);
        assert_eq!(merged.dismissed_class.as_deref(), Some("info"), "kept");
        let j = Judgement::compile(&merged).expect("valid");
        let x = j.class(IncidentClass::intern("x")).expect("class x");
        assert_eq!(
            x.severity,
            Severity::Sev1,
            "a class of the same id is replaced"
        );
        let toks = text::tokenize(&["a wicked, vile thing"]);
        let bad = j.concept("bad").expect("bad");
        let worse = j.concept("worse").expect("worse");
        assert_eq!(j.starting_at(&toks, 1), vec![(bad, 1)]);
        assert_eq!(j.starting_at(&toks, 2), vec![(worse, 1)]);
    }

    #[test]
    fn the_longest_term_of_a_concept_wins_and_camel_case_joins() {
        let j = Judgement::compile(&file(
            r#"[concepts]
               secret = ["key", "key pair"]
               tool = ["guardduty"]"#,
        ))
        .expect("valid");
        let secret = j.concept("secret").expect("secret");
        let toks = text::tokenize(&["the key pairs"]);
        assert_eq!(j.starting_at(&toks, 1), vec![(secret, 2)]);
        // A term does not run across fields.
        let toks = text::tokenize(&["the key", "pair"]);
        assert_eq!(j.starting_at(&toks, 1), vec![(secret, 1)]);
        // "GuardDuty" is found by its joined stem, covering both parts.
        let toks = text::tokenize(&["GuardDuty finding"]);
        let tool = j.concept("tool").expect("tool");
        assert_eq!(j.starting_at(&toks, 0), vec![(tool, 2)]);
        // The reserved concepts exist even when the file names none.
        assert!(j.concept(reserved::NEGATION).is_some());
        assert!(j.concept(reserved::DISMISSAL).is_some());
        assert_eq!(
            j.play(IncidentClass::intern("nothing_known")),
            Play::Generic
        );
    }

    #[test]
    fn multi_word_terms_match_by_stem() {
        let j = Judgement::compile(&file(
            r#"[concepts]
               secret = ["connection string", "key"]"#,
        ))
        .expect("valid");
        let toks = text::tokenize(&["the connection strings leaked"]);
        let secret = j.concept("secret").expect("concept");
        assert_eq!(j.starting_at(&toks, 1), vec![(secret, 2)]);
        assert!(j.starting_at(&toks, 2).is_empty());
    }
}
