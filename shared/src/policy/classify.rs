//! The severity engine: facts in, an explainable assessment out. Pure.
//!
//! The report's words are read as facts (concepts from the policy file's
//! lexicon, in any inflection and word order, negated, possible or
//! suspected), and the policy's rules combine facts into a class, as the
//! seeds' tables read. Every rule that fires adds a [`Reason`] naming the
//! facts and the words that carried them. The incident gets the most
//! severe proposal of the class, the escalators, a CVSS vector and the
//! source's own severity. A report the engine cannot place, or a low
//! verdict beside an alarming fact, is flagged for a person to triage.

use super::facts::{self, Environment, Found, Match};
use super::lexicon::{Flag, Judgement};
use super::{linear, nearest, second};
use crate::domain::{
    Assessment, Confidence, CvssScore, Flags, IncidentClass, Reason, Severity, SourceSignal,
};
use regex::Regex;
use std::sync::LazyLock;

/// Severity given when nothing better is known: the seeds' "Medium".
pub const DEFAULT_SEVERITY: Severity = Severity::Sev3;

/// What the engine looks at.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    /// (field name, text), searched in order.
    pub texts: Vec<(&'static str, &'a str)>,
    pub cvss: Option<&'a str>,
    pub signal: Option<&'a SourceSignal>,
    /// Stated by the reporter or the API: `None` means unknown.
    pub customer_data: Option<bool>,
    pub atlassian_systems: Option<bool>,
    pub production: Option<bool>,
}

/// A CVSS vector written in the text ("CVSS:3.1/AV:N/AC:L/..."): scored as
/// the `cvss` field would be.
static CVSS_VECTOR_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bCVSS:[34]\.[0-9](?:/[A-Za-z]{1,3}:[A-Za-z]{1,2})+")
        .unwrap_or_else(|e| panic!("CVSS vector pattern: {e}"))
});

/// A CVSS base score written in the text ("CVSS 9.8", "CVSSv3 score: 7.5",
/// "rated 9.0", "HIGH 7.8").
static CVSS_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:cvss\s*(?:v?[234](?:\.[01])?)?\s*(?:base\s*)?(?:score)?|rated|scored|severity score|(?:critical|high|medium|low)\s*\(?)\s*(?:of|is|:|=)?\s*(10(?:\.0)?|[0-9]\.[0-9])\b")
        .unwrap_or_else(|e| panic!("CVSS score pattern: {e}"))
});

fn quote(field: &str, span: &str) -> String {
    let span: String = span.chars().take(120).collect();
    format!("{field}: \"{span}\"")
}

/// "concept \"words\"" for each fact of a match, with the field of the first.
fn evidence(found: &Found<'_>, j: &Judgement, m: &Match) -> String {
    let field = m
        .mentions
        .first()
        .map(|&k| found.field(k))
        .unwrap_or("text");
    let facts: Vec<String> = m
        .mentions
        .iter()
        .map(|&k| {
            let neg = if found.mentions[k].negated {
                "not "
            } else {
                ""
            };
            format!(
                "{neg}{}=\"{}\"",
                j.name(found.mentions[k].concept),
                found.words(k)
            )
        })
        .collect();
    let mut out = format!("{field}: {}", facts.join(", "));
    if m.theoretical {
        out.push_str(" (possible, not observed)");
    } else if m.suspected {
        out.push_str(" (suspected)");
    }
    out
}

/// A source's own severity on Klaxon's scale.
pub fn source_severity(signal: &SourceSignal) -> Option<Severity> {
    if let Some(score) = signal.score
        && signal.kind == "guardduty"
    {
        // GuardDuty's bands: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0.
        return Some(Severity::from_cvss_score(score));
    }
    let word = signal.severity.as_deref()?.trim().to_ascii_lowercase();
    Some(match word.as_str() {
        "critical" | "highest" => Severity::Sev1,
        "high" | "error" => Severity::Sev2,
        "medium" | "moderate" | "warning" => Severity::Sev3,
        "low" | "info" | "informational" | "note" | "lowest" => Severity::Sev4,
        _ => return None,
    })
}

/// Scores a vector with the RustSec `cvss` crate. Err names what is wrong.
pub fn score_cvss(vector: &str) -> Result<CvssScore, String> {
    let parsed: cvss::Cvss = vector
        .trim()
        .parse()
        .map_err(|e| format!("CVSS vector {vector:?} is invalid ({e}); it was ignored"))?;
    let version = match parsed {
        cvss::Cvss::CvssV20(_) => "2.0",
        cvss::Cvss::CvssV30(_) => "3.0",
        cvss::Cvss::CvssV31(_) => "3.1",
        cvss::Cvss::CvssV40(_) => "4.0",
        _ => "unknown",
    };
    Ok(CvssScore {
        version: version.into(),
        score: parsed.score(),
    })
}

/// A class some rule placed the report in, with its severity after the
/// environment and certainty were weighed.
struct Placed<'a> {
    class: IncidentClass,
    severity: Severity,
    evidence: String,
    notes: Vec<String>,
    /// A paging class lowered on a doubtful reading: a person confirms.
    lowered_by_doubt: Option<String>,
    /// A fact of it is in the title.
    in_title: bool,
    /// The class as the rule named it, before environment and certainty.
    rule_class: IncidentClass,
    /// The mentions the rule was found in.
    mentions: Vec<usize>,
    /// The classes the rule stands in for (its `replaces`).
    replaces: &'a [IncidentClass],
    /// The rule's facts decide (its `decisive`).
    decisive: bool,
}

/// Every rule that fires, each as the class it proposes.
fn placements<'a>(j: &'a Judgement, found: &Found<'_>, f: &Facts<'_>) -> Vec<Placed<'a>> {
    let non_prod = match f.production {
        Some(p) => !p,
        None => matches!(
            found.environment,
            Environment::NonProduction | Environment::NonProductionByTitle
        ),
    };
    let mut out: Vec<Placed> = Vec::new();
    for rule in &j.rules {
        let Some(m) = found.find(&rule.pattern) else {
            continue;
        };
        let Some(class) = j.class(rule.class) else {
            continue;
        };
        let mut placed = Placed {
            class: class.id,
            severity: class.severity,
            evidence: evidence(found, j, &m),
            notes: Vec::new(),
            lowered_by_doubt: None,
            in_title: m.mentions.iter().any(|&k| found.in_title(k)),
            rule_class: class.id,
            mentions: m.mentions.clone(),
            replaces: &rule.replaces,
            decisive: rule.decisive,
        };
        if m.theoretical
            && let Some(t) = class.theoretical
        {
            placed.severity = placed.severity.max(t);
            placed.notes.push(format!("only possible: {t}"));
        }
        if m.attempted
            && let Some(at) = class.attempted.and_then(|c| j.class(c))
        {
            placed.class = at.id;
            placed.severity = placed.severity.max(at.severity);
            placed.notes.push("attempted, not achieved".into());
        }
        if non_prod && let Some(np) = class.non_production.and_then(|c| j.class(c)) {
            if found.environment == Environment::NonProductionByTitle
                && f.production.is_none()
                && placed.severity.pages_oncall()
            {
                placed.lowered_by_doubt = Some(format!("{} ({})", placed.class, placed.severity));
            }
            placed.class = np.id;
            placed.severity = placed.severity.max(np.severity);
            let why = match f.production {
                Some(false) => "production: false".to_owned(),
                _ => found
                    .environment_evidence
                    .iter()
                    .map(|&k| format!("\"{}\"", found.words(k)))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            placed.notes.push(format!("non-production: {why}"));
        }
        out.push(placed);
    }
    // A stated class stands in for a guessed one found in the same part;
    // only the rule that states it does ("High severity ..."), not every
    // rule of its class.
    let replaced: Vec<(IncidentClass, bool)> = out
        .iter()
        .flat_map(|p| p.replaces.iter().map(move |c| (*c, p.in_title)))
        .collect();
    // A severity stated in the title stands in for the body's guesses too.
    out.retain(|p| {
        !replaced
            .iter()
            .any(|&(c, title)| c == p.rule_class && (title || !p.in_title))
    });
    out
}

/// The title says what the report is: its most severe placement is the
/// class, and the body overrides it only to raise it into paging.
fn choose(mut placed: Vec<Placed<'_>>) -> Vec<Placed<'_>> {
    placed.sort_by_key(|p| (p.severity, !p.in_title));
    let title = placed.iter().position(|p| p.in_title);
    let body = placed.iter().position(|p| !p.in_title);
    let pick = match (title, body) {
        (Some(t), Some(b)) => {
            let (ts, bs) = (placed[t].severity, placed[b].severity);
            if bs < ts && bs.pages_oncall() { b } else { t }
        }
        (Some(t), None) => t,
        (None, Some(b)) => b,
        (None, None) => return placed,
    };
    let top = placed.remove(pick);
    placed.insert(0, top);
    placed
}

/// The whole judgement.
pub fn assess(j: &Judgement, f: &Facts<'_>) -> Assessment {
    let found = facts::extract(j, &f.texts);
    let a = assess_found(j, f, &found);
    match linear::builtin() {
        Some(model) => {
            let reading = model.read_report(&found.tokens, &a.confidence.facts);
            // The built-in model is the only one this table is kept for.
            let classes = j
                .reader_classes
                .get_or_init(|| second::class_table(j, model));
            second::read(j, a, model, classes, &reading, &found.tokens)
        }
        None => a,
    }
}

/// The second reader's features of a report, as `assess` reads them, and
/// the rules' verdict they sit beside (for its trainer,
/// `examples/linear_features.rs`).
pub fn features(j: &Judgement, f: &Facts<'_>) -> (Vec<(String, f64)>, Assessment) {
    let found = facts::extract(j, &f.texts);
    let a = assess_found(j, f, &found);
    (linear::features(&found.tokens, &a.confidence.facts), a)
}

/// The rules' judgement alone, before the second reading (for the tests).
#[cfg(test)]
pub(crate) fn assess_rules(j: &Judgement, f: &Facts<'_>) -> Assessment {
    assess_found(j, f, &facts::extract(j, &f.texts))
}

/// The rules' judgement of what was found.
fn assess_found(j: &Judgement, f: &Facts<'_>, found: &Found<'_>) -> Assessment {
    let contrast = found.last_dismissal().and_then(|k| {
        let (field, rest, word) = found.contrast_after(k)?;
        Some((field, rest, found.words(k).to_owned(), word.to_owned()))
    });
    let (judged, dismissed, _) = judge(j, f, found);
    // "The staging alert was a false positive, but prod is compromised":
    // a dismissal covers what comes before the contrast, not what follows.
    if dismissed && let Some((field, rest, said, word)) = contrast {
        let texts = f
            .texts
            .iter()
            .enumerate()
            .skip(field)
            .map(|(i, &(name, text))| match i == field {
                true => (name, text.get(rest..).unwrap_or("")),
                false => (name, text),
            })
            .collect();
        let after = Facts { texts, ..f.clone() };
        let (mut rest, _, by_rule) = judge(j, &after, &facts::extract(j, &after.texts));
        // Only a rule's reading of the rest outweighs the dismissal, not
        // its words' likeness to a class.
        if by_rule && rest.severity.pages_oncall() {
            rest.reasons.push(Reason {
                rule: "dismissal-scoped".into(),
                evidence: format!(
                    "{}: dismissal=\"{said}\" covers only what comes before \"{word}\"",
                    f.texts.get(field).map_or("", |t| t.0)
                ),
                severity: None,
            });
            return rest;
        }
    }
    judged
}

/// The judgement of the facts found; whether a dismissal decided it; and
/// whether a rule placed it (not word counts or a default).
fn judge(j: &Judgement, f: &Facts<'_>, found: &Found<'_>) -> (Assessment, bool, bool) {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut notes = Vec::new();
    let mut cvss = None;
    let mut conflicts = Vec::new();

    // The class: the most severe placement; the first rule breaks a tie.
    let mut placed = choose(placements(j, found, f));
    let words = std::cell::OnceCell::new();
    let words = || {
        words.get_or_init(|| match nearest::builtin() {
            Some(nb) => nb.words_of_tokens(&found.tokens),
            None => nearest::Words::default(),
        })
    };
    // The body's words alone, read once for whichever check asks first.
    let body_words = std::cell::OnceCell::new();
    let body_words = || {
        body_words.get_or_init(|| match nearest::builtin() {
            Some(nb) => nb.words_of_tokens_where(&found.tokens, |t| t.field != 0),
            None => nearest::Words::default(),
        })
    };
    // Rules of two classes both fire, in the same part or one in the title
    // and one in the body: the class whose labelled reports the words are
    // clearly more like is the one meant ("Identity vendor breached" over
    // the body's "identity provider's breach" read as our own admin).
    // (A dismissal decides by itself, below.)
    let mut set_aside = None;
    // A rule of the top class whose facts settle it (`decisive`).
    let decisive = placed.first().is_some_and(|top| {
        placed
            .iter()
            .any(|p| p.class == top.class && p.severity == top.severity && p.decisive)
    });
    if let (Some(nb), Some(top)) = (nearest::builtin(), placed.first())
        && found.dismissal.is_none()
        && let Some((i, lead)) = placed
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, p)| p.class != top.class)
            .filter(|(_, p)| {
                !(decisive && top.severity.pages_oncall() && !p.severity.pages_oncall())
            })
            .filter_map(|(i, p)| {
                Some((
                    i,
                    nb.lead(words(), &p.class.to_string(), &top.class.to_string())?,
                ))
            })
            .filter(|(_, lead)| *lead >= nearest::PICK_MARGIN)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        let over = format!("{} ({})", top.class, top.severity);
        let pages = top.severity.pages_oncall();
        let mut p = placed.remove(i);
        p.notes.push(format!(
            "its words are more like {} than {over} (by {lead:.1})",
            p.class
        ));
        if pages && !p.severity.pages_oncall() {
            set_aside = Some(over);
        }
        placed.insert(0, p);
    }
    // A report that explains itself away ("false positive", "was our own
    // job") takes the dismissed class; if anything else in it would page,
    // a person confirms.
    let mut dismissed_over = None;
    // A description's dismissal sets aside a title that would page only
    // when the title itself is in doubt; a confident title stands.
    let title_pages = placed
        .iter()
        .any(|p| p.in_title && p.severity.pages_oncall());
    let dismisses = |k: usize| found.in_title(k) || !title_pages || found.title_in_doubt();
    let dismissed = found.dismissal.is_some_and(dismisses) && j.dismissed_class.is_some();
    if let Some(k) = found.dismissal
        && let Some(d) = j.dismissed_class.and_then(|c| j.class(c))
        && dismisses(k)
    {
        dismissed_over = placed
            .first()
            .filter(|p| p.severity.pages_oncall())
            .map(|p| format!("{} ({})", p.class, p.severity));
        placed.insert(
            0,
            Placed {
                class: d.id,
                severity: d.severity,
                evidence: format!("{}: dismissal=\"{}\"", found.field(k), found.words(k)),
                notes: dismissed_over
                    .iter()
                    .map(|o| format!("set aside: {o}"))
                    .collect(),
                lowered_by_doubt: None,
                in_title: found.in_title(k),
                rule_class: d.id,
                mentions: vec![k],
                replaces: &[],
                decisive: false,
            },
        );
    }
    let mut class = IncidentClass::Unclassified;
    if let Some(top) = placed.first() {
        class = top.class;
        let mut evidence = top.evidence.clone();
        for n in &top.notes {
            evidence.push_str(&format!("; {n}"));
        }
        reasons.push(Reason {
            rule: format!("class:{}", top.class),
            evidence,
            severity: Some(top.severity),
        });
    }
    if class == IncidentClass::Unclassified
        && let Some(sig) = f.signal
        && sig.kind.contains("secret_scanning")
        && let Some(c) = j.class(IncidentClass::LeakedProductionSecret)
    {
        class = c.id;
        reasons.push(Reason {
            rule: format!("class:{class}"),
            evidence: format!("signal: {} alert", sig.kind),
            severity: Some(c.severity),
        });
    }
    if matches!(
        found.environment,
        Environment::Conflict | Environment::NonProductionByTitle
    ) && f.production.is_none()
    {
        let words: Vec<String> = found
            .environment_evidence
            .iter()
            .map(|&k| format!("\"{}\"", found.words(k)))
            .collect();
        let read = if found.environment == Environment::Conflict {
            "production"
        } else {
            "non-production, as the title says"
        };
        conflicts.push(format!(
            "production and non-production both mentioned ({}): read as {read}",
            words.join(", ")
        ));
    }

    if let Some(vector) = f.cvss.map(str::trim).filter(|v| !v.is_empty()) {
        match score_cvss(vector) {
            Ok(score) => {
                let sev = Severity::from_cvss_score(score.score);
                reasons.push(Reason {
                    rule: "cvss".into(),
                    evidence: format!(
                        "cvss: CVSS {} base score {:.1} ({} band)",
                        score.version,
                        score.score,
                        sev.name()
                    ),
                    severity: Some(sev),
                });
                cvss = Some(score);
            }
            Err(e) => notes.push(e),
        }
    }
    let mut text_score = None;
    if cvss.is_none()
        && let Some((field, score)) = f.texts.iter().find_map(|(field, t)| {
            let v = CVSS_VECTOR_IN_TEXT.find(t)?;
            Some((*field, score_cvss(v.as_str()).ok()?))
        })
    {
        let sev = Severity::from_cvss_score(score.score);
        reasons.push(Reason {
            rule: "cvss:text".into(),
            evidence: format!(
                "{field}: CVSS {} vector, base score {:.1} ({} band)",
                score.version,
                score.score,
                sev.name()
            ),
            severity: Some(sev),
        });
        text_score = Some(score.score);
    }
    // A score, not a vector's version: "CVSS:3.1/AV:N..." is no 3.1.
    if cvss.is_none()
        && text_score.is_none()
        && let Some((field, span, score)) = f.texts.iter().find_map(|(field, t)| {
            let c = CVSS_IN_TEXT
                .captures_iter(t)
                .find(|c| c.get(0).is_some_and(|m| !t[m.end()..].starts_with('/')))?;
            let score: f64 = c.get(1)?.as_str().parse().ok()?;
            Some((*field, c.get(0)?.as_str(), score))
        })
    {
        let sev = Severity::from_cvss_score(score);
        // A dismissed report's score tells how bad the flaw is where it
        // applies, not here ("CVSS 9.8, only in a dev dependency").
        if dismissed {
            notes.push(format!(
                "{} ({} band), set aside with the report",
                quote(field, span),
                sev.name()
            ));
        } else {
            text_score = Some(score);
            reasons.push(Reason {
                rule: "cvss:text".into(),
                evidence: format!("{} ({} band)", quote(field, span), sev.name()),
                severity: Some(sev),
            });
        }
    }

    // No rule placed it, and nothing else scores it: the class whose
    // labelled reports its words are most like, flagged for a person.
    let guess = std::cell::OnceCell::new();
    let nearest_guess = || {
        guess
            .get_or_init(|| nearest::builtin()?.guess_words(words()))
            .as_ref()
    };
    let mut by_nearest = None;
    if class == IncidentClass::Unclassified
        && cvss.is_none()
        && text_score.is_none()
        && f.signal.and_then(source_severity).is_none()
        && let Some(g) = nearest_guess()
        && let Some(c) = j.class(IncidentClass::intern(&g.class))
        && c.id != IncidentClass::Unclassified
        && !c.ruled_out_by.iter().any(|&k| found.has(k).is_some())
    {
        class = c.id;
        reasons.push(Reason {
            rule: format!("nearest:{class}"),
            evidence: format!(
                "no rule placed it; its words are most like the labelled {class} reports: {} (margin {:.1})",
                g.quoted_words(),
                g.margin
            ),
            severity: Some(c.severity),
        });
        by_nearest = Some(format!("no rule placed it; read as {class} from its words"));
    }

    // A class guessed from a weakness's name yields to a score given with
    // the report: FirstTry's bands are CVSS ranges.
    // GuardDuty's and Security Hub's scores are their own scales.
    let scanner_score = f
        .signal
        .filter(|s| !matches!(s.kind.as_str(), "guardduty" | "security_hub"))
        .and_then(|s| s.score)
        .filter(|s| (0.0..=10.0).contains(s));
    let given_score = cvss
        .as_ref()
        .map(|c| c.score)
        .or(text_score)
        .or(scanner_score);
    if let Some(score) = given_score
        && j.class(class).is_some_and(|c| c.scored)
        && let Some(r) = reasons.iter_mut().find(|r| r.rule.starts_with("class:"))
    {
        let band = Severity::from_cvss_score(score);
        if r.severity != Some(band) {
            r.evidence
                .push_str(&format!("; scored {score:.1}: {} band", band.name()));
            r.severity = Some(band);
        }
    }

    // A source's own severity places what the words do not; beside a
    // class it is kept as evidence, since the plans judge by what happened.
    if let Some(sig) = f.signal
        && let Some(sev) = source_severity(sig)
    {
        let said = sig
            .score
            .map(|s| format!("{s:.1}"))
            .or_else(|| sig.severity.as_deref().map(str::to_owned))
            .unwrap_or_default();
        let classed = class != IncidentClass::Unclassified;
        reasons.push(Reason {
            rule: format!("source:{}", sig.kind),
            evidence: if classed {
                format!("signal: {} severity {said} (the class decides)", sig.kind)
            } else {
                format!("signal: {} severity {said}", sig.kind)
            },
            severity: (!classed).then_some(sev),
        });
    }

    // Escalators: what the reporter stated wins over what the words say.
    let class_spec = j.class(class);
    let mut customer_data = match f.customer_data {
        Some(v) => v.then(|| "customer_data_involved: true".to_owned()),
        None => class_spec
            .filter(|c| c.customer_data)
            .map(|_| format!("class: {class}")),
    };
    let mut atlassian = match f.atlassian_systems {
        Some(v) => v.then(|| "atlassian_systems_affected: true".to_owned()),
        None => None,
    };
    let non_prod = match f.production {
        Some(p) => !p,
        None => matches!(
            found.environment,
            Environment::NonProduction | Environment::NonProductionByTitle
        ),
    };
    // An escalator set aside because only the title said non-production.
    let mut escalator_doubt = None;
    for e in j.escalators.iter().filter(|_| !dismissed) {
        let stated = match e.sets {
            Some(Flag::CustomerData) => f.customer_data.is_some(),
            Some(Flag::AtlassianSystems) => f.atlassian_systems.is_some(),
            None => false,
        };
        if stated {
            continue;
        }
        let Some(m) = found.find(&e.pattern) else {
            continue;
        };
        // What was only tried, or only possible, does not raise to SEV-1.
        if m.attempted || (m.theoretical && e.severity == Severity::Sev1) {
            continue;
        }
        if non_prod && !e.in_non_production {
            if found.environment == Environment::NonProductionByTitle && f.production.is_none() {
                escalator_doubt.get_or_insert(format!("{} ({})", e.name, e.severity));
            }
            continue;
        }
        let ev = evidence(found, j, &m);
        match e.sets {
            Some(Flag::CustomerData) => {
                customer_data.get_or_insert(ev.clone());
            }
            Some(Flag::AtlassianSystems) => {
                atlassian.get_or_insert(ev.clone());
            }
            None => {}
        }
        reasons.push(Reason {
            rule: format!("escalator:{}", e.name),
            evidence: ev,
            severity: Some(e.severity),
        });
    }
    let already = reasons.iter().any(|r| r.rule == "escalator:customer-data");
    if !already
        && (f.customer_data == Some(true) || class_spec.is_some_and(|c| c.customer_data))
        && let Some(ev) = &customer_data
    {
        reasons.push(Reason {
            rule: "escalator:customer-data".into(),
            evidence: ev.clone(),
            severity: Some(Severity::Sev2),
        });
    }
    if f.atlassian_systems == Some(true) {
        reasons.push(Reason {
            rule: "escalator:atlassian-systems".into(),
            evidence: "atlassian_systems_affected: true".into(),
            severity: Some(Severity::Sev2),
        });
    }

    // Words far more like a more severe class than the rules gave: that
    // class, and a person confirms. Not back to the class the rules
    // lowered for what word counts cannot see: only possible, only
    // attempted, or non-production.
    let lowered = |to: IncidentClass| {
        placed.first().is_some_and(|p| {
            to == p.rule_class
                && (p.class != p.rule_class
                    || j.class(p.rule_class)
                        .is_some_and(|c| c.severity != p.severity))
        })
    };
    // A CVSS score given, as a vector or in the text, decides the band:
    // word counts do not overrule it (as they do not place it, above).
    let scored = cvss.is_some() || text_score.is_some();
    let mut raised = None;
    if by_nearest.is_none()
        && !dismissed
        && !scored
        && let Some(now) = reasons.iter().filter_map(|r| r.severity).min()
        && now != Severity::Sev1
        && let Some(g) = nearest_guess()
        && g.margin >= nearest::RAISE_MARGIN
        && let Some(c) = j.class(IncidentClass::intern(&g.class))
        && c.severity < now
        && !lowered(c.id)
    {
        reasons.push(Reason {
            rule: format!("nearest:{}", c.id),
            evidence: format!(
                "the rules said {now}, but its words are far more like the labelled {} reports: {} (margin {:.1})",
                c.id,
                g.quoted_words(),
                g.margin
            ),
            severity: Some(c.severity),
        });
        raised = Some(format!(
            "raised from {class} ({now}) to {} by its words",
            c.id
        ));
        class = c.id;
    }
    // The most severe proposal wins; with none, the default.
    let placed_by_anything = reasons.iter().any(|r| r.severity.is_some());
    let severity = reasons
        .iter()
        .filter_map(|r| r.severity)
        .min()
        .unwrap_or_else(|| {
            reasons.push(Reason {
                rule: "default".into(),
                evidence: "no class, CVSS score or source severity".into(),
                severity: Some(DEFAULT_SEVERITY),
            });
            DEFAULT_SEVERITY
        });

    // Words far more like the labelled low reports than the verdict: an
    // alarming title whose body explains it away in words no dismissal
    // phrases ("it was Maria, at a conference"). Lowered to that class; from
    // a paging verdict, a person confirms it (flagged for triage, so the
    // primary is still paged to look).
    let mut severity = severity;
    // A decisive rule's paging verdict is not talked down by word counts.
    let may_lower = by_nearest.is_none()
        && raised.is_none()
        && !scored
        && severity < Severity::Sev4
        && !(decisive && severity.pages_oncall());
    let by_all_words = || {
        let g = nearest_guess()?;
        let c = j.class(IncidentClass::intern(&g.class))?;
        let clear = c.severity == Severity::Sev4
            && g.margin >= lower_margin(severity)
            && (!severity.pages_oncall() || has_body(found));
        clear.then(|| {
            let why = format!(
                "its words are far more like the labelled {} reports: {} (margin {:.1})",
                c.id,
                g.quoted_words(),
                g.margin
            );
            (c, why, "its words")
        })
    };
    // The body alone reads as a low class against the verdict's: the title
    // raised an alarm that the body explains ("it was our finance lead").
    let by_body = || {
        if dismissed
            || !has_body(found)
            || body_tells_an_alarm(j, found)
            || !body_explains(j, found)
        {
            return None;
        }
        let nb = nearest::builtin()?;
        let w = body_words();
        let (low, lead) = [
            IncidentClass::Informational,
            IncidentClass::NonProductionSecret,
            IncidentClass::StaleAccess,
        ]
        .iter()
        .filter_map(|c| Some((*c, nb.lead(w, &c.to_string(), &class.to_string())?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let c = j
            .class(low)
            .filter(|_| lead >= nearest::BODY_LOWER_MARGIN)?;
        let why = format!(
            "its body reads as the labelled {} reports, not {class} (by {lead:.1})",
            c.id
        );
        Some((c, why, "its body's words"))
    };
    let mut lowered_by_words = None;
    if may_lower && let Some((c, why, by)) = by_all_words().or_else(by_body) {
        reasons.push(Reason {
            rule: format!("nearest:{}", c.id),
            evidence: format!("the rules said {severity}, but {why}"),
            severity: None,
        });
        if severity.pages_oncall() {
            lowered_by_words = Some(format!(
                "lowered from {class} ({severity}) to {} by {by}",
                c.id
            ));
        }
        class = c.id;
        severity = c.severity;
    }

    // Alarming facts beside a verdict that pages no one.
    let mut alarms = Vec::new();
    if let Some(l) = &lowered_by_words {
        alarms.push(l.clone());
    }
    if !severity.pages_oncall() {
        // A fact the class was found on is accounted for.
        let used: &[usize] = placed
            .first()
            .map(|p| p.mentions.as_slice())
            .unwrap_or_default();
        for &a in &j.alarms {
            if let Some(k) = found.has_besides(a, used) {
                alarms.push(format!(
                    "{}=\"{}\" ({})",
                    j.name(a),
                    found.words(k),
                    found.field(k)
                ));
            }
        }
    }
    let facts: Vec<String> = found
        .concepts()
        .map(|(c, negated)| {
            if negated {
                format!("not {}", j.name(c))
            } else {
                j.name(c).to_owned()
            }
        })
        .collect();
    // A paging rule all but one of whose facts are there: a near miss.
    if !severity.pages_oncall() && !dismissed {
        for rule in &j.rules {
            let pages = j
                .class(rule.class)
                .is_some_and(|c| c.severity.pages_oncall());
            // Present facts that are too common to alarm on their own do not count.
            let (have, of, strong) = found.partial(&rule.pattern, &|c| !j.is_weak(c));
            if pages && strong && of >= 3 && have + 1 == of {
                alarms.push(format!("{have} of the {of} facts of {}", rule.class));
                break;
            }
        }
    }
    // A weakness named with nothing to size it ("CVE-2021-44228 found in
    // prod"): how bad it is depends on which one, a person's call.
    let vulnerability = j.concept("vulnerability");
    if !scored
        && f.signal.and_then(source_severity).is_none()
        && !severity.pages_oncall()
        && placed.first().is_some_and(|p| {
            p.class == IncidentClass::MinorVulnerability
                && !p.mentions.is_empty()
                && p.mentions
                    .iter()
                    .all(|&k| found.mentions.get(k).map(|m| m.concept) == vulnerability)
        })
    {
        alarms.push("a weakness named with no severity or score given".to_owned());
    }
    // The policy's alarm rules: facts that together want a person's eyes.
    if !severity.pages_oncall() {
        for rule in &j.alarm_rules {
            if !rule.when.is_empty() && !rule.when.contains(&class) {
                continue;
            }
            if let Some(m) = found.find(&rule.pattern) {
                let facts: Vec<String> = m
                    .mentions
                    .iter()
                    .map(|&k| {
                        let c = found.mentions[k].concept;
                        format!("{}=\"{}\" ({})", j.name(c), found.words(k), found.field(k))
                    })
                    .collect();
                alarms.push(format!("{}: {}", rule.name, facts.join(", ")));
            }
        }
    }
    if let Some(over) = &dismissed_over {
        alarms.push(format!("dismissed, but the rest reads as {over}"));
    }
    if let Some(over) = &set_aside
        && !severity.pages_oncall()
    {
        alarms.push(format!(
            "its words read as {class}, but a rule read it as {over}"
        ));
    }
    if let Some(r) = &raised {
        alarms.push(r.clone());
    }
    if !severity.pages_oncall()
        && let Some(d) = placed
            .first()
            .and_then(|p| p.lowered_by_doubt.as_ref())
            .or(escalator_doubt.as_ref())
    {
        alarms.push(format!(
            "read as non-production from the title, but production is mentioned: else {d}"
        ));
    }
    if let Some(n) = &by_nearest {
        alarms.push(n.clone());
    } else if !severity.pages_oncall()
        && let Some(g) = nearest_guess()
        && g.margin >= nearest::ALARM_MARGIN
        && let Some(c) = j.class(IncidentClass::intern(&g.class))
        && c.severity.pages_oncall()
    {
        // The rules placed it low, or a dismissal did, but its words read
        // like a paging class: a dismissal word can be the attack's own
        // ("a caller simulating the helpdesk").
        alarms.push(format!(
            "its words are most like the labelled {} reports: {}",
            c.id,
            g.quoted_words()
        ));
    }
    // A quiet verdict the title gave ("Informational scanner finding",
    // "Stale access review", "Documentation gap") over a body whose words
    // alone read like a paging class: the title frames, the body tells.
    if !severity.pages_oncall()
        && alarms.is_empty()
        && !dismissed
        && placed.first().is_some_and(|p| p.in_title)
        && has_body(found)
        && let Some(nb) = nearest::builtin()
        && let Some(g) = nb.guess_words(body_words())
        && g.margin >= nearest::BODY_ALARM_MARGIN
        && let Some(c) = j.class(IncidentClass::intern(&g.class))
        && c.severity.pages_oncall()
    {
        alarms.push(format!(
            "its body alone reads as the labelled {} reports: {}",
            c.id,
            g.quoted_words()
        ));
    }
    let needs_triage = !placed_by_anything || !alarms.is_empty();
    let confidence = Confidence {
        level: if !placed_by_anything {
            crate::domain::ConfidenceLevel::None
        } else if !alarms.is_empty() || !conflicts.is_empty() {
            crate::domain::ConfidenceLevel::Low
        } else {
            crate::domain::ConfidenceLevel::High
        },
        facts,
        conflicts: [
            conflicts,
            alarms.iter().map(|a| format!("alarm: {a}")).collect(),
        ]
        .concat(),
    };
    if needs_triage {
        let why = if by_nearest.is_some() || severity.pages_oncall() {
            alarms.join(", ")
        } else if placed_by_anything {
            format!("{severity} pages no one, but: {}", alarms.join(", "))
        } else {
            "no class, CVSS score or source severity".to_owned()
        };
        reasons.push(Reason {
            rule: "needs-triage".into(),
            evidence: why,
            severity: None,
        });
    }

    let customer_data_involved = customer_data.is_some();
    let flags = Flags {
        customer_data_involved,
        atlassian_notification_required: customer_data_involved
            || atlassian.is_some()
            || class_spec.is_some_and(|c| c.tells_atlassian),
        customer_notification_required: customer_data_involved,
    };
    let judged = Assessment {
        severity,
        class,
        play: j.play(class),
        reasons,
        cvss,
        flags,
        notes,
        needs_triage,
        confidence,
    };
    let by_rule = by_nearest.is_none() && class != IncidentClass::Unclassified;
    (judged, dismissed, by_rule)
}

/// A body beside the title: where an alarming title is explained away.
/// A paging verdict from a title alone is not lowered by word counts,
/// which cannot read "not a drill" or "staging and production".
fn has_body(found: &Found) -> bool {
    found
        .texts
        .iter()
        .any(|(field, text)| *field == "description" && text.split_whitespace().nth(3).is_some())
}

/// The body itself says something alarming happened ("a vulnerable
/// plugin exploited, serving malware"), plainly and with no explanation
/// (a dismissal, even one that did not decide): it does not explain the
/// title away, whatever its other words are like.
fn body_tells_an_alarm(j: &Judgement, found: &Found) -> bool {
    found.dismissal.is_none()
        && body_mentions(found)
            .any(|m| !(m.negated || m.modal || m.suspected) && j.body_alarms.contains(&m.concept))
}

/// The body explains something: it negates a fact, dismisses, or names
/// an explanation (ours, approved, expected). Without one, its words'
/// likeness to low reports is no explanation ("requests to the metadata
/// address succeeding since 14:05").
fn body_explains(j: &Judgement, found: &Found) -> bool {
    found.dismissal.is_some()
        || body_mentions(found).any(|m| m.negated || j.body_explains.contains(&m.concept))
}

/// The mentions found in the description.
fn body_mentions<'f>(found: &'f Found) -> impl Iterator<Item = &'f facts::Mention> {
    found.mentions.iter().filter(|m| {
        found
            .texts
            .get(found.tokens[m.first].field)
            .is_some_and(|(field, _)| *field == "description")
    })
}

/// How clearly the words must read as a low class to lower a verdict.
fn lower_margin(from: Severity) -> f64 {
    if from.pages_oncall() {
        nearest::LOWER_PAGING_MARGIN
    } else {
        nearest::LOWER_MARGIN
    }
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
