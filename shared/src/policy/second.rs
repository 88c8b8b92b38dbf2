//! The second reading: the rules' verdict beside the learnt model's
//! (`linear.rs`). Where the model is sure of another severity, it stands;
//! where either reader believes the report pages and the verdict does not,
//! a person is paged to triage it. The thresholds were chosen by five-fold
//! cross-validation on the tuning sets, before the held-out sets were
//! measured (docs/severity.md).

use super::lexicon::Judgement;
use super::linear::{Linear, Reading};
use super::text::Token;
use crate::domain::{Assessment, ConfidenceLevel, IncidentClass, Reason, Severity};

/// The model's belief in one severity at which it overrules the rules.
pub const SURE: f64 = 0.7;
/// The model's belief in a paging severity (SEV-1 or SEV-2) beside a quiet
/// verdict at which a person is asked to triage.
pub const PAGING_DOUBT: f64 = 0.2;

/// Fewer known features than this is too little to go on: the model's
/// probabilities would be mostly the labelled sets' proportions.
pub const MIN_KNOWN: usize = 3;

/// The severity a model class stands for: a policy class's, or "sevN" for
/// reports labelled with no class.
fn severity_of(j: &Judgement, class: &str) -> Option<(IncidentClass, Severity)> {
    if let Some(n) = class.strip_prefix("sev") {
        let s = match n {
            "1" => Severity::Sev1,
            "2" => Severity::Sev2,
            "3" => Severity::Sev3,
            "4" => Severity::Sev4,
            _ => return None,
        };
        return Some((IncidentClass::Unclassified, s));
    }
    let c = j.class(IncidentClass::intern(class))?;
    Some((c.id, c.severity))
}

/// What each of a model's classes stands for, in its order: a table
/// built once per policy, so no report interns a class name.
pub fn class_table(j: &Judgement, model: &Linear) -> Vec<Option<(IncidentClass, Severity)>> {
    model.classes.iter().map(|c| severity_of(j, c)).collect()
}

/// The severity the second reading may not lower a verdict below: a CVSS
/// vector's band given with the report, or a source's own severity where it
/// placed the report (no class did), the more severe of the two.
pub fn floor(a: &Assessment) -> Option<Severity> {
    let cvss = a.cvss.as_ref().map(|c| Severity::from_cvss_score(c.score));
    let source = a
        .reasons
        .iter()
        .filter(|r| r.rule.starts_with("source:"))
        .find_map(|r| r.severity);
    cvss.into_iter().chain(source).min()
}

/// The verdict after the second reading; `classes` is the model's
/// [`class_table`].
pub fn read(
    j: &Judgement,
    mut a: Assessment,
    model: &Linear,
    classes: &[Option<(IncidentClass, Severity)>],
    reading: &Reading,
    tokens: &[Token],
) -> Assessment {
    if reading.known < MIN_KNOWN {
        return a;
    }
    let mut by_severity = [0.0f64; 4];
    // Per severity: the likeliest model class of it, as (index, class, p).
    let mut best_of = [None::<(usize, IncidentClass, f64)>; 4];
    for (i, c) in classes.iter().enumerate() {
        let Some((class, s)) = *c else {
            continue;
        };
        let k = s as usize;
        let p = reading.probs.get(i).copied().unwrap_or(0.0);
        by_severity[k] += p;
        if best_of[k].is_none_or(|(_, _, q)| p > q) {
            best_of[k] = Some((i, class, p));
        }
    }
    let rules = a.severity;
    let at_least = floor(&a);
    let (k, p) = by_severity
        .iter()
        .copied()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(&y.1))
        .unwrap_or((rules as usize, 0.0));
    let sure = Severity::ALL[k];
    if p >= SURE
        && sure != rules
        && at_least.is_none_or(|f| sure <= f)
        && let Some((i, class, _)) = best_of[k]
    {
        let words = model.evidence_of(tokens, &a.confidence.facts, i, 4);
        a.reasons.push(Reason {
            rule: format!("reader:{class}"),
            evidence: format!(
                "the rules said {} ({rules}); its words and facts read as {class} ({sure}, {:.0} % sure): {}",
                a.class,
                p * 100.0,
                words.join(", ")
            ),
            severity: (sure < rules).then_some(sure),
        });
        if let Some(spec) = j.class(class) {
            a.flags.customer_data_involved |= spec.customer_data;
            a.flags.customer_notification_required |= spec.customer_data;
            a.flags.atlassian_notification_required |= spec.customer_data || spec.tells_atlassian;
        }
        a.class = class;
        a.play = j.play(class);
        a.severity = sure;
    }
    let paging = by_severity[0] + by_severity[1];
    if !a.severity.pages_oncall()
        && !a.needs_triage
        && (rules.pages_oncall() || paging >= PAGING_DOUBT)
    {
        let why = if rules.pages_oncall() {
            format!("the rules said {rules}, the second reading {}", a.severity)
        } else {
            format!(
                "the second reading gives SEV-1 or SEV-2 {:.0} % likelihood",
                paging * 100.0
            )
        };
        a.needs_triage = true;
        a.confidence.level = ConfidenceLevel::Low;
        a.confidence.conflicts.push(format!("alarm: {why}"));
        a.reasons.push(Reason {
            rule: "needs-triage".into(),
            evidence: format!("{} pages no one, but: {why}", a.severity),
            severity: None,
        });
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Facts, Policy, classify, text};
    use Severity::*;

    const CLASSES: [&str; 4] = [
        "informational",
        "attacker_in_production",
        "stale_access",
        "sev3",
    ];

    /// The rules' verdict on `title` (with a CVSS vector if given), then the
    /// second reading with these probabilities per class.
    fn second(title: &str, cvss: Option<&str>, probs: [f64; 4]) -> Assessment {
        let f = Facts {
            texts: vec![("title", title)],
            cvss,
            ..Facts::default()
        };
        second_of(&f, probs)
    }

    /// The same for any report's facts (its title is its first text).
    fn second_of(f: &Facts<'_>, probs: [f64; 4]) -> Assessment {
        let p = Policy::builtin();
        let title = f.texts.first().map_or("", |t| t.1);
        let a = classify::assess_rules(&p.judgement, f);
        let tsv = format!("classes\t{}\nbias\t0,0,0,0\n", CLASSES.join(","));
        let model = Linear::parse(&tsv).expect("model");
        let reading = Reading {
            probs: probs.to_vec(),
            known: MIN_KNOWN,
        };
        let classes = class_table(&p.judgement, &model);
        let toks = text::tokenize(&[title]);
        read(&p.judgement, a, &model, &classes, &reading, &toks)
    }

    #[test]
    fn the_second_reading_table() {
        const QUIET: &str = "FYI: the quarterly access review is scheduled";
        const ATTACK: &str = "An attacker is running commands on the production cluster";
        const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        #[allow(clippy::type_complexity)]
        let cases: &[(
            &str,
            Option<&str>,
            [f64; 4],
            Severity,
            IncidentClass,
            bool,
            Option<&str>,
        )] = &[
            // sure of a paging class the rules missed: it stands
            (
                QUIET,
                None,
                [0.1, 0.8, 0.05, 0.05],
                Sev1,
                IncidentClass::intern("attacker_in_production"),
                false,
                Some("reader:attacker_in_production"),
            ),
            // not sure enough: the rules' verdict, but a person triages
            (
                QUIET,
                None,
                [0.3, 0.6, 0.05, 0.05],
                Sev4,
                IncidentClass::intern("informational"),
                true,
                None,
            ),
            // quiet either way: nothing added
            (
                QUIET,
                None,
                [0.5, 0.15, 0.25, 0.1],
                Sev4,
                IncidentClass::intern("informational"),
                false,
                None,
            ),
            // a fifth's belief in a paging class is doubt enough
            (
                QUIET,
                None,
                [0.6, 0.2, 0.1, 0.1],
                Sev4,
                IncidentClass::intern("informational"),
                true,
                None,
            ),
            // sure it is quiet, against a paging verdict: lowered, and the
            // primary is still paged to confirm
            (
                ATTACK,
                None,
                [0.9, 0.05, 0.05, 0.0],
                Sev4,
                IncidentClass::intern("informational"),
                true,
                Some("reader:informational"),
            ),
            // two quiet classes of one severity add up; the likelier names it
            (
                ATTACK,
                None,
                [0.4, 0.2, 0.35, 0.05],
                Sev4,
                IncidentClass::intern("informational"),
                true,
                Some("reader:informational"),
            ),
            // a class-less label stands for its severity
            (
                ATTACK,
                None,
                [0.05, 0.1, 0.05, 0.8],
                Sev3,
                IncidentClass::Unclassified,
                true,
                Some("reader:unclassified"),
            ),
            // a CVSS vector given with the report is the band's floor
            (
                QUIET,
                Some(CRITICAL),
                [0.9, 0.05, 0.05, 0.0],
                Sev1,
                IncidentClass::intern("informational"),
                false,
                None,
            ),
        ];
        for (title, cvss, probs, sev, class, triage, rule) in cases {
            let a = second(title, *cvss, *probs);
            let why = format!("{title} {probs:?}: {:?}", a.reasons);
            assert_eq!(a.severity, *sev, "{why}");
            assert_eq!(a.class, *class, "{why}");
            assert_eq!(a.needs_triage, *triage, "{why}");
            let reader = a.reasons.iter().find(|r| r.rule.starts_with("reader:"));
            assert_eq!(reader.map(|r| r.rule.as_str()), *rule, "{why}");
            if let Some(r) = reader {
                assert!(r.evidence.contains("% sure"), "{why}");
            }
            if *triage {
                assert!(a.reasons.iter().any(|r| r.rule == "needs-triage"), "{why}");
            }
        }
    }

    /// A reading that knows too few of the report's features changes nothing.
    #[test]
    fn a_reading_on_too_few_known_words_is_not_used() {
        let p = Policy::builtin();
        let title = "t";
        let f = Facts {
            texts: vec![("title", title)],
            ..Facts::default()
        };
        let rules = classify::assess_rules(&p.judgement, &f);
        let model =
            Linear::parse("classes\tinformational,data_breach\nbias\t0,0\n").expect("model");
        for known in [0, MIN_KNOWN - 1] {
            let reading = Reading {
                probs: vec![0.05, 0.95],
                known,
            };
            let a = read(
                &p.judgement,
                rules.clone(),
                &model,
                &class_table(&p.judgement, &model),
                &reading,
                &text::tokenize(&[title]),
            );
            assert_eq!(a, rules, "known {known}");
        }
    }

    /// A class the reading raises to carries its play and its flags.
    #[test]
    fn a_raised_class_brings_its_play_and_flags() {
        let tsv = "classes\tinformational,data_breach\nbias\t0,0\n";
        let p = Policy::builtin();
        let title = "FYI: the quarterly access review is scheduled";
        let f = Facts {
            texts: vec![("title", title)],
            ..Facts::default()
        };
        let a = classify::assess_rules(&p.judgement, &f);
        assert!(!a.flags.customer_data_involved);
        let model = Linear::parse(tsv).expect("model");
        let reading = Reading {
            probs: vec![0.1, 0.9],
            known: MIN_KNOWN,
        };
        let classes = class_table(&p.judgement, &model);
        let a = read(
            &p.judgement,
            a,
            &model,
            &classes,
            &reading,
            &text::tokenize(&[title]),
        );
        let breach = IncidentClass::intern("data_breach");
        assert_eq!((a.class, a.severity), (breach, Sev1));
        assert_eq!(a.play, p.judgement.play(breach));
        assert!(a.flags.customer_data_involved && a.flags.customer_notification_required);
    }

    /// Where a source's own severity placed the report (no rule did), the
    /// model may raise it but not talk it down: a GuardDuty 9.1 stays SEV-1
    /// and a 5.0 stays SEV-3, however quiet the words; with no score, the
    /// model's sureness stands.
    #[test]
    fn a_source_severity_is_a_floor_table() {
        let cases = [
            (Some(9.1), [0.95, 0.05, 0.0, 0.0], Sev1),
            (Some(5.0), [0.95, 0.05, 0.0, 0.0], Sev3),
            (Some(5.0), [0.1, 0.9, 0.0, 0.0], Sev1),
            (None, [0.95, 0.05, 0.0, 0.0], Sev4),
        ];
        for (score, probs, want) in cases {
            let signal = crate::domain::SourceSignal {
                kind: "guardduty".into(),
                severity: None,
                score,
            };
            let f = Facts {
                texts: vec![("title", "GuardDuty finding")],
                signal: Some(&signal),
                ..Facts::default()
            };
            let a = second_of(&f, probs);
            assert_eq!(a.severity, want, "{score:?} {probs:?}: {:?}", a.reasons);
        }
    }
}
