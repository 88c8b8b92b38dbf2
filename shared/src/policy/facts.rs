//! Facts found in a report's words: each concept mention, whether it is
//! negated, only possible, or suspected, and the environment the report is
//! about. Then patterns (a rule's groups) are found among them. Pure.

use super::lexicon::{ConceptId, Judgement, Pattern, reserved};
use super::text::{self, Token};

/// Words a cue reaches: a negation negates up to this many words after it.
const NEGATION_REACH: usize = 4;
/// ...and a thing ("no customer data") only from right before it.
const THING_NEGATION_REACH: usize = 2;
/// An attempt cue this close to a match makes it an attempt.
const ATTEMPT_REACH: usize = 4;
/// A "negation after" cue reaches back this many words.
const NEGATION_AFTER_REACH: usize = 4;
/// A dismissal is a claim, and a doubt can stand further before it: "don't
/// think this is a false alarm".
const DISMISSAL_NEGATION_REACH: usize = 6;
const MODAL_REACH: usize = 4;
/// A weak non-production word counts when an environment noun follows this close.
const WEAK_ENV_REACH: usize = 3;
/// A title sentence this short is one thought: a rule with a window of at least
/// `SENTENCE_WINDOW_MIN` finds its facts anywhere in it ("the connection
/// string for the load-test MongoDB ended up in a public gist").
const SHORT_SENTENCE: usize = 18;
const SENTENCE_WINDOW_MIN: usize = 8;
/// An `unless` concept vetoes a match this close, even for a one-word rule.
const VETO_REACH: usize = 6;
/// Words that do not make a phrase more than the cue inside it.
const FUNCTION_WORDS: [&str; 16] = [
    "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "doe", "did", "should",
    "it", "the", "a",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub concept: ConceptId,
    /// Token range.
    pub first: usize,
    pub last: usize,
    pub negated: bool,
    pub modal: bool,
    pub suspected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Unknown,
    Production,
    NonProduction,
    /// Both said: treated as production, the safer reading.
    Conflict,
    /// Both said, the title non-production: read as non-production, and a
    /// person confirms if that lowered a paging class.
    NonProductionByTitle,
}

/// Everything found in one report.
#[derive(Debug)]
pub struct Found<'a> {
    pub texts: &'a [(&'static str, &'a str)],
    pub tokens: Vec<Token>,
    pub mentions: Vec<Mention>,
    pub environment: Environment,
    /// Evidence for the environment verdict.
    pub environment_evidence: Vec<usize>,
    /// Token ranges of attempt cues, and of success cues that overrule them.
    attempts: Vec<(usize, usize)>,
    successes: Vec<(usize, usize)>,
    /// Mention index of a dismissal ("false positive"), if any.
    pub dismissal: Option<usize>,
    /// Token ranges of contrast cues ("but", "separately").
    contrasts: Vec<(usize, usize)>,
    /// Mention indices by concept.
    by_concept: ByConcept,
    /// Per token: the first and last token of its sentence.
    sentences: Vec<(usize, usize)>,
}

/// Mention indices by concept, each concept's in mention order, in one
/// buffer: a report's mentions cost two allocations, not one per concept.
#[derive(Debug)]
struct ByConcept {
    /// Where each concept's indices start in `items`; one more at the end.
    starts: Vec<usize>,
    items: Vec<usize>,
}

impl ByConcept {
    fn new(mentions: &[Mention]) -> Self {
        let n = mentions
            .iter()
            .map(|m| usize::from(m.concept) + 1)
            .max()
            .unwrap_or(0);
        let mut starts = vec![0usize; n + 1];
        for m in mentions {
            starts[usize::from(m.concept) + 1] += 1;
        }
        let mut total = 0;
        for s in &mut starts {
            total += *s;
            *s = total;
        }
        // Filled in mention order, so each concept's run is in that order.
        let mut next = starts.clone();
        let mut items = vec![0; mentions.len()];
        for (k, m) in mentions.iter().enumerate() {
            let at = &mut next[usize::from(m.concept)];
            items[*at] = k;
            *at += 1;
        }
        Self { starts, items }
    }

    /// Concept `c`'s mention indices; `None` past the last concept mentioned.
    fn get(&self, c: usize) -> Option<&[usize]> {
        let (&a, &b) = (self.starts.get(c)?, self.starts.get(c + 1)?);
        self.items.get(a..b)
    }

    /// Every concept's indices, by concept id.
    fn iter(&self) -> impl Iterator<Item = &[usize]> {
        self.starts
            .windows(2)
            .map(|w| self.items.get(w[0]..w[1]).unwrap_or_default())
    }
}

/// A pattern found: the mentions that satisfied each group.
#[derive(Debug, Clone)]
pub struct Match {
    pub mentions: Vec<usize>,
    /// Every plain mention in it is only possible ("could allow").
    pub theoretical: bool,
    pub suspected: bool,
    /// An attempt cue stands beside it ("attempts were blocked").
    pub attempted: bool,
}

pub fn extract<'a>(j: &Judgement, texts: &'a [(&'static str, &'a str)]) -> Found<'a> {
    let plain: Vec<&str> = texts.iter().map(|(_, t)| *t).collect();
    let tokens = text::tokenize_with(&plain, &|w| j.worth_stemming(w));
    let mut raw: Vec<(ConceptId, usize, usize)> = Vec::with_capacity(tokens.len());
    let mut here = Vec::new();
    for at in 0..tokens.len() {
        j.starting_at_into(&tokens, at, &mut here);
        for &(c, len) in &here {
            // A phrase that ends inside a contraction ("confirmed it was"
            // in "confirmed it wasn't") says the opposite: no match.
            let last = &tokens[at + len - 1];
            if tokens
                .get(at + len)
                .is_some_and(|next| next.start == last.start && next.stem == "not")
            {
                continue;
            }
            raw.push((c, at, at + len - 1));
        }
    }
    // A masking phrase hides the facts inside it ("can someone look").
    let masks: Vec<(usize, usize)> = raw
        .iter()
        .filter(|(c, _, _)| j.is_masking(*c))
        .map(|&(_, a, b)| (a, b))
        .collect();
    if !masks.is_empty() {
        raw.retain(|&(c, a, b)| {
            j.is_masking(c)
                || !masks
                    .iter()
                    .any(|&(x, y)| x <= a && y >= b && y - x > b - a)
        });
    }
    let cue = |name: &str| j.concept(name);
    let (neg, neg_after, modal, suspected, contrast) = (
        cue(reserved::NEGATION),
        cue(reserved::NEGATION_AFTER),
        cue(reserved::MODAL),
        cue(reserved::SUSPECTED),
        cue(reserved::CONTRAST),
    );
    let is_cue = |c: ConceptId| [neg, neg_after, modal, suspected, contrast].contains(&Some(c));
    // A cue inside a longer fact is part of that fact's words: "none of
    // us", "isn't staff", "not patched", "no auth check" say one thing and
    // negate nothing after them. A fact longer only by a function word ("is
    // not") leaves the cue its force.
    let inside_fact = |a: usize, b: usize| {
        raw.iter().any(|&(c, x, y)| {
            !is_cue(c)
                && x <= a
                && y >= b
                && (x..=y)
                    .filter(|&i| i < a || i > b)
                    .any(|i| !FUNCTION_WORDS.contains(&tokens[i].stem.as_str()))
        })
    };
    let cues_of = |id: Option<ConceptId>| -> Vec<(usize, usize)> {
        raw.iter()
            .filter(|(c, _, _)| Some(*c) == id)
            .map(|&(_, a, b)| (a, b))
            .filter(|&(a, b)| !inside_fact(a, b))
            .collect()
    };
    // "Should not allow unrestricted access" states a rule the finding
    // says is broken; it negates nothing.
    let deontic = |a: usize| {
        a > 0
            && matches!(
                tokens[a - 1].stem.as_str(),
                "should" | "must" | "ought" | "shall"
            )
    };
    let mut neg_at = cues_of(neg);
    neg_at.retain(|&(a, _)| !deontic(a));
    let (neg_after_at, modal_at, susp_at) =
        (cues_of(neg_after), cues_of(modal), cues_of(suspected));
    let clause = |i: usize| tokens[i].clause;
    // A negation reaches the first fact after it, and the facts joined to
    // that one by "or"/"nor" ("no sign of exploitation or exfiltration"),
    // not every fact later in the clause ("we did not rotate the leaked key").
    let dismissal_id = cue(reserved::DISMISSAL);
    let mut facts_at: Vec<(usize, usize, bool, bool)> = raw
        .iter()
        .filter(|(c, _, _)| !is_cue(*c))
        .map(|&(c, a, b)| (a, b, Some(c) == dismissal_id, j.is_actor(c)))
        .collect();
    facts_at.sort_unstable();
    let scope_end = |ce: usize| -> Option<usize> {
        let next = |from: usize, reach: usize| {
            facts_at
                .iter()
                .find(|&&(a, _, dismissal, _)| {
                    let reach = if dismissal {
                        reach.max(DISMISSAL_NEGATION_REACH)
                    } else {
                        reach
                    };
                    a > from && a - from <= reach && clause(a) == clause(ce)
                })
                .map(|&(a, b, _, actor)| (a, b, actor))
        };
        let (_, mut end, actor) = next(ce, NEGATION_REACH)?;
        // "No evidence that an attacker exfiltrated data": past who, to
        // what they did.
        if actor && let Some((_, e, _)) = next(end, NEGATION_REACH) {
            end = e;
        }
        while tokens
            .get(end + 1)
            .is_some_and(|t| matches!(t.stem.as_str(), "or" | "nor"))
        {
            match next(end + 1, 2) {
                Some((_, e, _)) => end = e,
                None => break,
            }
        }
        Some(end)
    };
    let neg_scopes: Vec<(usize, usize)> = neg_at
        .iter()
        .filter_map(|&(_, ce)| scope_end(ce).map(|e| (ce, e)))
        .collect();
    let mut mentions = Vec::new();
    for &(concept, first, last) in &raw {
        if is_cue(concept) {
            continue;
        }
        let before = |cues: &[(usize, usize)], reach: usize| {
            cues.iter()
                .any(|&(_, ce)| ce < first && first - ce <= reach && clause(ce) == clause(first))
        };
        let reach = if j.is_thing(concept) {
            THING_NEGATION_REACH
        } else {
            NEGATION_REACH
        };
        let mut negated = neg_scopes.iter().any(|&(ce, end)| {
            ce < first && first <= end && (first - ce <= reach || !j.is_thing(concept))
        });
        if !negated && j.negated_after(concept) {
            negated = neg_after_at.iter().any(|&(cs, _)| {
                cs > last && cs - last <= NEGATION_AFTER_REACH && clause(cs) == clause(last)
            });
        }
        mentions.push(Mention {
            concept,
            first,
            last,
            negated,
            modal: before(&modal_at, MODAL_REACH),
            suspected: susp_at
                .iter()
                .any(|&(s, _)| tokens[s].sentence == tokens[first].sentence),
        });
    }
    negate_answered_no(&tokens, texts, &mut mentions);
    // A reversal answers a dismissal before it ("the false positive was
    // real"): the dismissal's words do not negate it.
    if let Some(reversal) = cue(reserved::REVERSAL) {
        for m in mentions.iter_mut().filter(|m| m.concept == reversal) {
            m.negated = false;
        }
    }
    let by_concept = ByConcept::new(&mentions);
    let attempts = cues_of(cue(reserved::ATTEMPT));
    // A success word says so inside a longer fact too: "1,300 successful
    // logins" and "logins succeeded" were more than attempts.
    let success_id = cue(reserved::SUCCESS);
    let successes: Vec<(usize, usize)> = raw
        .iter()
        .filter(|(c, _, _)| Some(*c) == success_id)
        .map(|&(_, a, b)| (a, b))
        .collect();
    let dismissal = cue(reserved::DISMISSAL);
    let reversal = cue(reserved::REVERSAL);
    let reversed = mentions
        .iter()
        .any(|m: &Mention| Some(m.concept) == reversal && !m.negated);
    let dismissal = mentions
        .iter()
        .position(|m: &Mention| Some(m.concept) == dismissal && !m.negated)
        .filter(|_| !reversed);
    let contrasts = cues_of(contrast);
    let sentences = sentence_spans(&tokens);
    let mut found = Found {
        texts,
        sentences,
        tokens,
        mentions,
        environment: Environment::Unknown,
        environment_evidence: Vec::new(),
        attempts,
        successes,
        dismissal,
        contrasts,
        by_concept,
    };
    environment(j, &mut found);
    found
}

/// "Was it exploited? No." and "Any customer data? None, per the logs": a
/// question answered no on its own negates the facts it asked about. An
/// answer that goes on ("No one has looked yet") answers nothing.
fn negate_answered_no(tokens: &[Token], texts: &[(&str, &str)], mentions: &mut [Mention]) {
    let asks = |i: usize| {
        let t = &tokens[i];
        texts.get(t.field).is_some_and(|(_, text)| {
            text.get(t.end..)
                .unwrap_or("")
                .trim_start_matches(['"', '\'', ')', ' '])
                .starts_with('?')
        })
    };
    for i in 0..tokens.len().saturating_sub(1) {
        let answer = &tokens[i + 1];
        let bare = tokens
            .get(i + 2)
            .is_none_or(|n| n.clause != answer.clause || n.field != answer.field);
        let no = match answer.stem.as_str() {
            "no" | "none" => bare,
            "nope" | "negat" => true,
            _ => false,
        };
        if !no
            || answer.sentence == tokens[i].sentence && answer.field == tokens[i].field
            || !asks(i)
        {
            continue;
        }
        let (field, sentence) = (tokens[i].field, tokens[i].sentence);
        for m in mentions.iter_mut() {
            let t = &tokens[m.first];
            if t.field == field && t.sentence == sentence {
                m.negated = true;
            }
        }
    }
}

fn sentence_spans(tokens: &[Token]) -> Vec<(usize, usize)> {
    let mut out = vec![(0, 0); tokens.len()];
    let mut start = 0;
    for i in 0..tokens.len() {
        let ends = tokens
            .get(i + 1)
            .is_none_or(|n| n.sentence != tokens[i].sentence);
        if ends {
            for slot in &mut out[start..=i] {
                *slot = (start, i);
            }
            start = i + 1;
        }
    }
    out
}

/// Production or not, from the words: a negated "production" ("production
/// is unaffected") speaks for non-production.
fn environment(j: &Judgement, f: &mut Found<'_>) {
    let id = |n| j.concept(n);
    let (prod, nonprod, weak, noun, activity) = (
        id(reserved::PRODUCTION),
        id(reserved::NON_PRODUCTION),
        id(reserved::NON_PRODUCTION_WEAK),
        id(reserved::ENVIRONMENT_NOUN),
        id(reserved::TEST_ACTIVITY),
    );
    let mut p = Vec::new();
    let mut n = Vec::new();
    for (k, m) in f.mentions.iter().enumerate() {
        let c = Some(m.concept);
        if c == prod {
            // "non-prod" holds "prod": the longer reading wins.
            let inside = f
                .mentions
                .iter()
                .any(|o| Some(o.concept) == nonprod && o.first <= m.first && o.last >= m.last);
            if inside {
                continue;
            }
            if m.negated { &mut n } else { &mut p }.push(k);
        } else if c == nonprod && !m.negated {
            n.push(k);
        } else if c == weak && !m.negated {
            let in_activity = f
                .mentions
                .iter()
                .any(|o| Some(o.concept) == activity && o.first <= m.first && o.last >= m.last);
            let before_noun = f.mentions.iter().any(|o| {
                Some(o.concept) == noun
                    && o.first > m.last
                    && o.first - m.last <= WEAK_ENV_REACH
                    && f.tokens[o.first].clause == f.tokens[m.last].clause
            });
            if before_noun && !in_activity {
                n.push(k);
            }
        }
    }
    let in_title = |list: &[usize]| {
        list.iter()
            .any(|&k| f.tokens[f.mentions[k].first].field == 0)
    };
    (f.environment, f.environment_evidence) = match (p.is_empty(), n.is_empty()) {
        (true, true) => (Environment::Unknown, Vec::new()),
        (false, true) => (Environment::Production, p),
        (true, false) => (Environment::NonProduction, n),
        // The title says what the report is about.
        (false, false) if in_title(&n) && !in_title(&p) => {
            (Environment::NonProductionByTitle, [n, p].concat())
        }
        (false, false) => (Environment::Conflict, [p, n].concat()),
    };
}

impl Found<'_> {
    /// The best way the pattern's groups are all found within its window:
    /// the fewest merely possible mentions, then the tightest span.
    pub fn find(&self, p: &Pattern) -> Option<Match> {
        self.find_in(p, Some(0)).or_else(|| self.find_in(p, None))
    }

    /// As [`Found::find`], within one field (the title is field 0) or all.
    fn find_in(&self, p: &Pattern, field: Option<usize>) -> Option<Match> {
        let of = |c: ConceptId| self.by_concept.get(usize::from(c)).unwrap_or_default();
        // Most rules name a concept the report never mentions.
        if p.groups
            .iter()
            .any(|g| g.iter().all(|w| of(w.concept).is_empty()))
        {
            return None;
        }
        let candidates: Vec<Vec<usize>> = p
            .groups
            .iter()
            .map(|g| {
                let mut ks: Vec<usize> = g
                    .iter()
                    .flat_map(|w| {
                        of(w.concept).iter().copied().filter(move |&k| {
                            let m = &self.mentions[k];
                            m.negated == w.negated
                                && field.is_none_or(|f| self.tokens[m.first].field == f)
                        })
                    })
                    .collect();
                ks.sort_unstable();
                ks
            })
            .collect();
        if candidates.iter().any(Vec::is_empty) {
            return None;
        }
        // Every combination holds a member of the smallest group: anchor there.
        let anchors: &[usize] = candidates
            .iter()
            .min_by_key(|c| c.len())
            .map_or(&[], Vec::as_slice);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&g| candidates[g].len());
        let mut best: Option<(usize, usize, Vec<usize>)> = None;
        for &anchor in anchors {
            let a = self.mentions[anchor].first;
            let (mut lo, mut hi) = (a.saturating_sub(p.window), a + p.window);
            let (s0, s1) = self.sentences[a];
            let short = p.window >= SENTENCE_WINDOW_MIN
                && s1 - s0 < SHORT_SENTENCE
                && self.tokens[a].field == 0;
            if short {
                (lo, hi) = (lo.min(s0), hi.max(s1));
            }
            let mut picked = Vec::with_capacity(candidates.len());
            // The groups with fewest mentions choose first, so a mention two
            // groups share goes to the one that has no other.
            let mut by_group = Vec::with_capacity(candidates.len());
            for &g in &order {
                let group = &candidates[g];
                // One span is one fact: a mention identical to one already picked is not another.
                let taken = |k: usize| {
                    let m = &self.mentions[k];
                    picked.iter().any(|&o: &usize| {
                        let o = &self.mentions[o];
                        o.first == m.first && o.last == m.last
                    })
                };
                let choice = group
                    .iter()
                    .copied()
                    .filter(|&k| {
                        let m = &self.mentions[k];
                        m.first >= lo && m.first <= hi && !taken(k)
                    })
                    .min_by_key(|&k| {
                        let m = &self.mentions[k];
                        (m.modal, m.first.abs_diff(a))
                    });
                match choice {
                    Some(k) => {
                        picked.push(k);
                        by_group.push((g, k));
                    }
                    None => break,
                }
            }
            if picked.len() != candidates.len() {
                continue;
            }
            // Evidence reads in the rule's order.
            by_group.sort_unstable();
            let picked: Vec<usize> = by_group.into_iter().map(|(_, k)| k).collect();
            // The span between where the mentions start: a long phrase is one fact.
            let first = picked.iter().map(|&k| self.mentions[k].first).min();
            let last = picked.iter().map(|&k| self.mentions[k].first).max();
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            if last - first > p.window && !(short && first >= s0 && last <= s1) {
                continue;
            }
            let reach = p.window.max(VETO_REACH);
            let (lo, hi) = (first.saturating_sub(reach), last + reach);
            // A veto speaks to the same text: a title's match is not undone by
            // the body, unless the match reaches into the body too.
            let home = |f: usize| {
                picked
                    .iter()
                    .any(|&k| self.tokens[self.mentions[k].first].field == f)
            };
            let vetoed = p.unless.iter().any(|&c| {
                of(c).iter().any(|&k| {
                    let m = &self.mentions[k];
                    !m.negated && m.first >= lo && m.first <= hi && home(self.tokens[m.first].field)
                })
            });
            if vetoed {
                continue;
            }
            let modal = picked.iter().filter(|&&k| self.mentions[k].modal).count();
            let key = (modal, last - first);
            if best.as_ref().is_none_or(|(m, s, _)| key < (*m, *s)) {
                best = Some((key.0, key.1, picked));
            }
        }
        best.map(|(_, _, picked)| {
            let plain: Vec<&Mention> = picked
                .iter()
                .map(|&k| &self.mentions[k])
                .filter(|m| !m.negated)
                .collect();
            let first = plain.iter().map(|m| m.first).min().unwrap_or(0);
            let last = plain.iter().map(|m| m.last).max().unwrap_or(0);
            let sentence = |i: usize| self.tokens[i].sentence;
            let near = |cues: &[(usize, usize)]| {
                cues.iter().any(|&(s, e)| {
                    let close = (s <= last + ATTEMPT_REACH) && (e + ATTEMPT_REACH >= first);
                    close && (sentence(s) == sentence(first) || sentence(s) == sentence(last))
                })
            };
            // "Brute force led to a takeover" was more than an attempt.
            let attempted = near(&self.attempts) && !near(&self.successes);
            Match {
                theoretical: !plain.is_empty() && plain.iter().any(|m| m.modal),
                suspected: plain.iter().any(|m| m.suspected),
                attempted,
                mentions: picked,
            }
        })
    }

    /// For a pattern that is not found: the groups it has plain mentions
    /// for, of how many.
    pub fn partial(&self, p: &Pattern, strong: &dyn Fn(ConceptId) -> bool) -> (usize, usize, bool) {
        let mut any_strong = false;
        let found = p
            .groups
            .iter()
            .filter(|g| {
                g.iter().any(|w| {
                    let here = self
                        .by_concept
                        .get(usize::from(w.concept))
                        .is_some_and(|ks| {
                            ks.iter().any(|&k| self.mentions[k].negated == w.negated)
                        });
                    any_strong |= here && strong(w.concept);
                    here
                })
            })
            .count();
        (found, p.groups.len(), any_strong)
    }

    /// A plain mention of a concept outside the given mentions.
    pub fn has_besides(&self, c: ConceptId, besides: &[usize]) -> Option<usize> {
        self.by_concept
            .get(usize::from(c))?
            .iter()
            .copied()
            .find(|&k| !self.mentions[k].negated && !besides.contains(&k))
    }

    /// The words a mention was found in, as written.
    /// The last dismissal mention: what a contrast after it is free of.
    pub fn last_dismissal(&self) -> Option<usize> {
        let first = self.mentions.get(self.dismissal?)?;
        self.mentions
            .iter()
            .rposition(|m| m.concept == first.concept && !m.negated)
    }

    /// The first contrast after mention `k` in its field ("false positive,
    /// but ..."): its field, the byte where the rest starts, and its words.
    pub fn contrast_after(&self, k: usize) -> Option<(usize, usize, &str)> {
        let m = self.mentions.get(k)?;
        let field = self.tokens.get(m.first)?.field;
        let &(a, b) = self
            .contrasts
            .iter()
            .find(|&&(a, _)| a > m.last && self.tokens[a].field == field)?;
        let text = self.texts.get(field)?.1;
        let (start, end) = (self.tokens[a].start, self.tokens[b].end);
        Some((field, end, text.get(start..end)?))
    }

    pub fn words(&self, k: usize) -> &str {
        let Some(m) = self.mentions.get(k) else {
            return "";
        };
        let (a, b) = (&self.tokens[m.first], &self.tokens[m.last]);
        self.texts
            .get(a.field)
            .and_then(|(_, t)| t.get(a.start..b.end))
            .unwrap_or("")
    }

    pub fn in_title(&self, k: usize) -> bool {
        self.mentions
            .get(k)
            .is_some_and(|m| self.tokens[m.first].field == 0)
    }

    /// Whether the title holds its own claim in doubt: a question, a word in
    /// quotes ("the 'breach'"), a reply ("re:"), or a suspected or negated
    /// fact ("possible data leak", "no intruder"). A description that then
    /// explains the report away may lower what the title alone would page.
    pub fn title_in_doubt(&self) -> bool {
        let title = self.texts.first().map_or("", |(_, t)| *t);
        let lower = title.trim_start().to_ascii_lowercase();
        let opening_quote = title.char_indices().any(|(i, c)| {
            matches!(c, '"' | '\u{201c}' | '\u{2018}')
                || (c == '\''
                    && title[..i]
                        .chars()
                        .next_back()
                        .is_none_or(char::is_whitespace))
        });
        title.contains('?')
            || opening_quote
            || lower.starts_with("re:")
            || lower.starts_with("fw:")
            || lower.starts_with("fwd:")
            || self
                .mentions
                .iter()
                .enumerate()
                .any(|(k, m)| self.in_title(k) && (m.suspected || m.negated))
    }

    pub fn field(&self, k: usize) -> &'static str {
        self.mentions
            .get(k)
            .and_then(|m| self.texts.get(self.tokens[m.first].field))
            .map(|(f, _)| *f)
            .unwrap_or("text")
    }

    /// Plain (not negated) mentions of a concept.
    pub fn has(&self, c: ConceptId) -> Option<usize> {
        self.by_concept
            .get(usize::from(c))?
            .iter()
            .copied()
            .find(|&k| !self.mentions[k].negated)
    }

    /// The concepts mentioned, in the order of the tables: each once plainly
    /// and once negated at most.
    pub fn concepts(&self) -> impl Iterator<Item = (ConceptId, bool)> + '_ {
        self.by_concept.iter().enumerate().flat_map(move |(c, ks)| {
            let c = ConceptId::try_from(c).unwrap_or(ConceptId::MAX);
            let plain = ks.iter().any(|&k| !self.mentions[k].negated);
            let negated = ks.iter().any(|&k| self.mentions[k].negated);
            [(c, false)]
                .into_iter()
                .filter(move |_| plain)
                .chain([(c, true)].into_iter().filter(move |_| negated))
        })
    }
}
