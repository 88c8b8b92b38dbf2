//! The severity engine: facts in, an explainable assessment out. Pure.
//!
//! Every rule that fires adds a [`Reason`] naming the rule and the evidence
//! (a field, a text span, a signal) and the severity it proposes. The
//! incident gets the most severe proposal; the class is the most severe
//! class whose words appear, not negated, in the report.

use crate::domain::{Assessment, CvssScore, Flags, IncidentClass, Reason, Severity, SourceSignal};
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

struct ClassRule {
    class: IncidentClass,
    re: Regex,
}

fn re(p: &str) -> Regex {
    // The patterns are constants; a test compiles every one.
    Regex::new(&format!("(?i){p}")).unwrap_or_else(|e| panic!("classification pattern {p}: {e}"))
}

/// In priority order: the first class that matches wins.
static CLASS_RULES: LazyLock<Vec<ClassRule>> = LazyLock::new(|| {
    use IncidentClass::*;
    let rules: [(IncidentClass, &str); 17] = [
        (
            ActiveExploitation,
            r"\b(actively exploit\w*|active(ly)? exploit(ation|ed|ing)?|exploited in the wild|in[- ]the[- ]wild|being exploited|ongoing (attack|exploitation)|under (active )?attack|exploitation (is )?(ongoing|observed|detected|confirmed))",
        ),
        (
            DataBreach,
            r"\b(data breach|breach of (customer |personal )?data|exfiltrat\w*|data (was |were |has been )?(stolen|dumped|exfiltrated)|confirmed (data )?(leak|exposure|breach)|(customer|personal|user) data (was |were |has been )?(exposed|accessed|downloaded|leaked|stolen))",
        ),
        (
            CrossTenantAccess,
            r"\b(cross[- ]tenant|another (tenant|customer)('s)? (data|site|instance|pages?|issues?)|other (tenants?|customers?)('s?)? (data|sites?|instances?)|tenant isolation|scope escalation)",
        ),
        (
            AttackerInProduction,
            r"\b(attacker (is |was |has been )?(in|inside|on|into) (our )?prod\w*|intruder|reverse shell|web ?shell|backdoor|malware|rootkit|compromised (prod\w* )?(server|host|instance|container|pod|node)s?)",
        ),
        (
            CloudAdminCompromise,
            r"\b((aws |cloud |gcp |azure )?(root|admin\w*) (account|user|credentials?|access|keys?) (was |were |is |are |has been )?(compromised|stolen|hijacked)|compromised (aws |cloud |gcp |azure )?(root|admin\w*)|suspicious (cloud )?admin\w* activity|root ?credential ?usage|root (account )?(login|sign[- ]?in)|iam (admin|root) (compromise|takeover))",
        ),
        (
            CompromisedCiToken,
            r"\b((ci|cd|ci/cd|pipelines?|github actions|bitbucket pipelines|deploy(ment)?|runner|npm publish|pypi) (token|key|secret|credential)s? (was |were |is |are |has been )?(compromised|leaked|exposed|stolen)|compromised (ci|cd|ci/cd|pipeline|deploy) (token|key|credential)s?|runner (was |is )?compromised)",
        ),
        (
            LeakedProductionSecret,
            r"\b((leaked|exposed|committed|hard-?coded|pasted|published|pushed) (an? |the |our )?([\w-]+ ){0,3}(secrets?|tokens?|keys?|passwords?|credentials?)|(secrets?|tokens?|api keys?|passwords?|credentials?|access keys?|secret keys?|private keys?|signing keys?) (was |were |is |are |has been |have been )?(leaked|exposed|committed|pushed|public\w*)|secret scanning)|\[REDACTED:(aws-access-key-id|aws-secret-access-key|github-token|slack-token|atlassian-api-token|private-key)",
        ),
        (
            ExploitedInternetService,
            r"\b(exploited (an? |our |the )?(internet[- ]facing|public|external|exposed) (service|endpoint|api|server|host)|(internet[- ]facing|public|external) (service|endpoint|api|server) (was |is |has been )?exploited)",
        ),
        (
            PrivilegeEscalation,
            r"\b(privilege escalation|escalat\w* (of )?privileges?|elevat\w* (of )?privileges?|become (an? )?admin\w*|gain\w* admin\w*|broken access control|idor\b|insecure direct object|authori[sz]ation bypass|(post|put|delete) (endpoints?|methods?|requests?|operations?) (discovered|found|exposed))",
        ),
        (
            AtlassianDegradation,
            r"\b((degrad\w*|overload\w*|flood\w*|ddos\w*|hammer\w*|impact\w*) (the )?atlassian|atlassian('s)? (platform|systems?|infrastructure|apis?|cloud) (is |are |was |were )?(degraded|affected|impacted|down|overloaded)|rate[- ]limited by atlassian)",
        ),
        (
            ThirdPartyIncident,
            r"\b(third[- ]party (incident|breach|outage|compromise|provider|vendor)|(vendor|provider|supplier|sub-?processor)('s)? (incident|breach|outage|compromise)|(forge|atlassian) platform (incident|issue|outage|vulnerability)|platform[- ]owned)",
        ),
        (
            CriticalVulnerability,
            r"\b(critical (vulnerability|vuln|cve|flaw|bug)|unpatched (critical )?cve|remote code execution|\brce\b|sql injection|\bsqli\b|command injection|insecure deserial\w*|\bssrf\b|server[- ]side request forgery|\bxxe\b|authentication bypass|auth bypass)",
        ),
        (
            SuspiciousAccess,
            r"\b(suspicious (login|sign[- ]?in|access|activity|ip|requests?|api calls?)|unusual (login|access|activity)|brute[- ]?force|credential stuffing|impossible travel|unauthori[sz]ed access|unauthorizedaccess|tor (exit|ip|node)|toripcaller|anomalous (behaviou?r|activity|api))",
        ),
        (
            FailedControl,
            r"\b(failed control|control (failure|failed)|(mfa|2fa|logging|audit log\w*|cloudtrail|backups?|monitoring|alarms?|scanners?|waf|encryption|guardduty) (is |was |were |are |has been )?(disabled|not enabled|turned off|failing|failed|broken|missing)|s3 bucket (is |was )?public|publicly accessible (bucket|database|snapshot)|security group (opened|open to|change))",
        ),
        (
            MinorVulnerability,
            r"\b(missing (input )?validation|input validation|\bxss\b|cross[- ]site scripting|\bcsrf\b|open redirect|clickjacking|low[- ]impact (crypto\w*|vulnerability|issue)|weak (cipher|crypto\w*|hash\w*)|minor vulnerab\w*|information disclosure|missing (security )?headers?)",
        ),
        (
            StaleAccess,
            r"\b(stale (access|accounts?|users?|keys?|credentials?|tokens?|permissions?)|unused (access|accounts?|keys?|credentials?)|former (employee|contractor)s?|not offboarded|dormant accounts?|orphaned (accounts?|keys?))",
        ),
        (
            Informational,
            r"\b(informational|documentation gaps?|docs? gap|best practices?|development practices?( note)?|hardening (suggestion|recommendation)|scanner (finding|result|report)|no security impact)",
        ),
    ];
    rules
        .into_iter()
        .map(|(class, p)| ClassRule { class, re: re(p) })
        .collect()
});

static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(no|not|never|without|unlikely|isn't|wasn't|aren't|weren't|false positive|no evidence of|no sign of|no indication of|nothing suggests|ruled out)\b[^.;!?\n]*$",
    )
});

static NON_PRODUCTION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(staging|non-?prod\w*|development (env\w*|account|database|key|token)|dev (env\w*|account|database|key|token|instance)|test (env\w*|account|database|key|token|instance)|sandbox|local(host)? (env\w*|database|setup))\b",
    )
});

static PRODUCTION: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(production|prod|live (system|site|environment))\b"));

static CUSTOMER_DATA: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(customer data|customers'? data|personal data|\bpii\b|user data|tenant data|end[- ]user data|customer (records|information|emails?|content)|personally identifiable)",
    )
});

static ATLASSIAN_SYSTEMS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(atlassian('s)? (platform|systems?|infrastructure|apis?|cloud) (is |are |was |were )?(degraded|affected|impacted|down|overloaded)|(degrad\w*|overload\w*|flood\w*|ddos\w*|impact\w*) (the )?atlassian)",
    )
});

static EXPLOITED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(actively exploit\w*|exploited in the wild|being exploited|exfiltrat\w*|confirmed (data )?(breach|exfiltration))",
    )
});

/// A match that is not negated by the words just before it in the same clause.
fn find<'t>(re: &Regex, text: &'t str) -> Option<&'t str> {
    re.find_iter(text)
        .find(|m| {
            let start = m.start();
            let window_start = text[..start]
                .char_indices()
                .rev()
                .nth(60)
                .map(|(i, _)| i)
                .unwrap_or(0);
            !NEGATION.is_match(&text[window_start..start])
        })
        .map(|m| m.as_str())
}

fn find_in<'t>(re: &Regex, texts: &[(&'static str, &'t str)]) -> Option<(&'static str, &'t str)> {
    texts
        .iter()
        .find_map(|(field, text)| find(re, text).map(|m| (*field, m)))
}

/// "production" or "prod", but not as part of "non-production".
fn mentions_production(texts: &[(&'static str, &str)]) -> bool {
    texts.iter().any(|(_, t)| {
        PRODUCTION.find_iter(t).any(|m| {
            let before = t[..m.start()].to_ascii_lowercase();
            !(before.ends_with("non-") || before.ends_with("non ") || before.ends_with("non"))
        })
    })
}

fn quote(field: &str, span: &str) -> String {
    let span: String = span.chars().take(120).collect();
    format!("{field}: \"{span}\"")
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

/// The whole judgement.
pub fn assess(f: &Facts<'_>) -> Assessment {
    let mut reasons: Vec<Reason> = Vec::new();
    let mut notes = Vec::new();
    let mut cvss = None;

    // The class: the first rule, in priority order, whose words appear.
    let mut class = IncidentClass::Unclassified;
    for rule in CLASS_RULES.iter() {
        if let Some((field, span)) = find_in(&rule.re, &f.texts) {
            class = rule.class;
            reasons.push(Reason {
                rule: format!("class:{}", rule.class),
                evidence: quote(field, span),
                severity: rule.class.default_severity(),
            });
            break;
        }
    }
    if class == IncidentClass::Unclassified
        && let Some(sig) = f.signal
        && sig.kind.contains("secret_scanning")
    {
        class = IncidentClass::LeakedProductionSecret;
        reasons.push(Reason {
            rule: "class:leaked_production_secret".into(),
            evidence: format!("signal: {} alert", sig.kind),
            severity: class.default_severity(),
        });
    }

    // Production or not, for the classes where it matters.
    let non_prod = match f.production {
        Some(p) => !p,
        None => find_in(&NON_PRODUCTION, &f.texts).is_some() && !mentions_production(&f.texts),
    };
    if non_prod
        && matches!(
            class,
            IncidentClass::LeakedProductionSecret | IncidentClass::AttackerInProduction
        )
    {
        let evidence = match (f.production, find_in(&NON_PRODUCTION, &f.texts)) {
            (Some(false), _) => "production: false".to_owned(),
            (_, Some((field, span))) => quote(field, span),
            _ => "non-production".to_owned(),
        };
        let new_class = if class == IncidentClass::LeakedProductionSecret {
            IncidentClass::NonProductionSecret
        } else {
            IncidentClass::SuspiciousAccess
        };
        // The non-production class takes the production one's place.
        if let Some(r) = reasons
            .iter_mut()
            .find(|r| r.rule == format!("class:{class}"))
        {
            r.rule = format!("class:{new_class}");
            r.severity = new_class.default_severity();
        }
        reasons.push(Reason {
            rule: "non-production".into(),
            evidence,
            severity: None,
        });
        class = new_class;
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

    if let Some(sig) = f.signal
        && let Some(sev) = source_severity(sig)
    {
        let said = sig
            .score
            .map(|s| format!("{s:.1}"))
            .or_else(|| sig.severity.as_deref().map(str::to_owned))
            .unwrap_or_default();
        reasons.push(Reason {
            rule: format!("source:{}", sig.kind),
            evidence: format!("signal: {} severity {said}", sig.kind),
            severity: Some(sev),
        });
    }

    // Escalators.
    let customer_data = match f.customer_data {
        Some(v) => v.then(|| "customer_data_involved: true".to_owned()),
        None => find_in(&CUSTOMER_DATA, &f.texts)
            .map(|(field, span)| quote(field, span))
            .or_else(|| {
                matches!(
                    class,
                    IncidentClass::DataBreach | IncidentClass::CrossTenantAccess
                )
                .then(|| format!("class: {class}"))
            }),
    };
    let atlassian = match f.atlassian_systems {
        Some(v) => v.then(|| "atlassian_systems_affected: true".to_owned()),
        None => find_in(&ATLASSIAN_SYSTEMS, &f.texts)
            .map(|(field, span)| quote(field, span))
            .or_else(|| {
                (class == IncidentClass::AtlassianDegradation).then(|| format!("class: {class}"))
            }),
    };
    if let Some(evidence) = &customer_data {
        reasons.push(Reason {
            rule: "escalator:customer-data".into(),
            evidence: evidence.clone(),
            severity: Some(Severity::Sev2),
        });
    }
    if let Some(evidence) = &atlassian {
        reasons.push(Reason {
            rule: "escalator:atlassian-systems".into(),
            evidence: evidence.clone(),
            severity: Some(Severity::Sev2),
        });
    }
    if let Some((field, span)) = find_in(&EXPLOITED, &f.texts) {
        reasons.push(Reason {
            rule: "escalator:exploitation-or-exfiltration".into(),
            evidence: quote(field, span),
            severity: Some(Severity::Sev1),
        });
    }

    // The most severe proposal wins; with none, the default.
    let severity = reasons
        .iter()
        .filter_map(|r| r.severity)
        .min()
        .unwrap_or_else(|| {
            reasons.push(Reason {
                rule: "default".into(),
                evidence: "no class, CVSS vector or source severity".into(),
                severity: Some(DEFAULT_SEVERITY),
            });
            DEFAULT_SEVERITY
        });

    let customer_data_involved = customer_data.is_some();
    let flags = Flags {
        customer_data_involved,
        atlassian_notification_required: customer_data_involved
            || atlassian.is_some()
            || matches!(
                class,
                IncidentClass::ActiveExploitation
                    | IncidentClass::DataBreach
                    | IncidentClass::CrossTenantAccess
                    | IncidentClass::AttackerInProduction
            ),
        customer_notification_required: customer_data_involved,
    };
    Assessment {
        severity,
        class,
        play: class.play(),
        reasons,
        cvss,
        flags,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentClass::*;
    use Severity::*;

    fn text(t: &str) -> Assessment {
        assess(&Facts {
            texts: vec![("description", t)],
            ..Facts::default()
        })
    }

    /// Every example in the seeds' severity tables and definitions.
    #[test]
    fn seed_examples_table() {
        let cases: &[(&str, IncidentClass, Severity)] = &[
            // FirstTry table (Critical / High / Medium / Low examples).
            (
                "Active exploit observed: the endpoint is being exploited",
                ActiveExploitation,
                Sev1,
            ),
            (
                "Data breach: customer records downloaded by an unknown party",
                DataBreach,
                Sev1,
            ),
            (
                "Scope escalation detected: the app reads other tenants' data",
                CrossTenantAccess,
                Sev1,
            ),
            (
                "Unpatched critical CVE in our image parser",
                CriticalVulnerability,
                Sev3,
            ),
            (
                "Privilege escalation vulnerability in the admin settings",
                PrivilegeEscalation,
                Sev2,
            ),
            (
                "POST/PUT/DELETE endpoints discovered in code without auth checks",
                PrivilegeEscalation,
                Sev2,
            ),
            (
                "Minor vulnerability: missing input validation on the title",
                MinorVulnerability,
                Sev3,
            ),
            (
                "Low-impact cryptography issue: weak hash for cache keys",
                MinorVulnerability,
                Sev3,
            ),
            ("Informational finding about logging", Informational, Sev4),
            (
                "Documentation gaps in the security page",
                Informational,
                Sev4,
            ),
            (
                "Development practices note: use lockfiles",
                Informational,
                Sev4,
            ),
            // Runbook severity model.
            (
                "Confirmed data exfiltration from the reporting database",
                DataBreach,
                Sev1,
            ),
            (
                "An attacker was in production for two hours",
                AttackerInProduction,
                Sev1,
            ),
            ("Compromised cloud root account", CloudAdminCompromise, Sev1),
            (
                "Leaked production secret: the Stripe key was committed to a public repo",
                LeakedProductionSecret,
                Sev2,
            ),
            (
                "A production AWS secret access key was pushed to a public GitHub repository",
                LeakedProductionSecret,
                Sev2,
            ),
            (
                "Production AWS secret key leaked on GitHub",
                LeakedProductionSecret,
                Sev2,
            ),
            (
                "The GitHub Actions token was compromised via a malicious PR",
                CompromisedCiToken,
                Sev2,
            ),
            (
                "We exploited internet-facing service checks... the public API was exploited",
                ExploitedInternetService,
                Sev2,
            ),
            (
                "Critical vulnerability with exposure on the public login page",
                CriticalVulnerability,
                Sev3,
            ),
            (
                "Suspicious access to the admin API from a Tor exit node",
                SuspiciousAccess,
                Sev3,
            ),
            (
                "Failed control: CloudTrail logging was disabled",
                FailedControl,
                Sev3,
            ),
            (
                "Non-production secret: staging database password leaked in a test log",
                NonProductionSecret,
                Sev4,
            ),
            (
                "Stale access: a former employee still has a deploy key",
                StaleAccess,
                Sev4,
            ),
            ("Informational scanner finding", Informational, Sev4),
            // Definitions in the other plans.
            (
                "Our app is flooding Atlassian APIs and degrading the Atlassian platform",
                AtlassianDegradation,
                Sev2,
            ),
            (
                "A third-party provider breach at our email vendor",
                ThirdPartyIncident,
                Sev3,
            ),
            (
                "Forge platform incident affecting all apps",
                ThirdPartyIncident,
                Sev3,
            ),
        ];
        for (t, class, sev) in cases {
            let a = text(t);
            assert_eq!(a.class, *class, "{t}: {:?}", a.reasons);
            assert!(
                a.reasons.iter().any(|r| r.rule == format!("class:{class}")),
                "{t}: {:?}",
                a.reasons
            );
            let class_reason = a
                .reasons
                .iter()
                .find(|r| r.rule.starts_with("class:"))
                .unwrap();
            assert!(
                class_reason.evidence.starts_with("description: \""),
                "{:?}",
                class_reason
            );
            // Escalators may raise, never lower, the class's severity.
            assert!(a.severity <= *sev, "{t}: {} vs {}", a.severity, sev);
            if !a.flags.customer_data_involved && !a.flags.atlassian_notification_required
                || a.severity == *sev
            {
                assert_eq!(a.severity, *sev, "{t}: {:?}", a.reasons);
            }
        }
    }

    /// The runbook's response plays: each example selects its play.
    #[test]
    fn response_play_examples() {
        use crate::domain::Play;
        let cases = [
            (
                "Leaked production secret: the signing key was pasted in a public channel",
                LeakedProductionSecret,
                Sev2,
                Play::LeakedProductionSecret,
            ),
            (
                "Compromised CI/CD token: the deploy token was leaked in build logs",
                CompromisedCiToken,
                Sev2,
                Play::CompromisedCiToken,
            ),
            (
                "Suspicious cloud administrator activity: new IAM users and keys we did not create",
                CloudAdminCompromise,
                Sev1,
                Play::SuspiciousCloudAdminActivity,
            ),
            (
                "Stored XSS in the page macro",
                MinorVulnerability,
                Sev3,
                Play::Generic,
            ),
        ];
        for (t, class, sev, play) in cases {
            let a = text(t);
            assert_eq!(
                (a.class, a.severity, a.play),
                (class, sev, play),
                "{t}: {:?}",
                a.reasons
            );
            assert!(a.reasons.iter().any(|r| r.rule == format!("class:{class}")));
        }
    }

    #[test]
    fn every_class_has_a_severity_and_play() {
        for c in IncidentClass::ALL {
            assert_eq!(c.default_severity().is_none(), c == Unclassified);
            let _ = c.play();
        }
        assert_eq!(
            LeakedProductionSecret.play(),
            crate::domain::Play::LeakedProductionSecret
        );
        assert_eq!(
            CompromisedCiToken.play(),
            crate::domain::Play::CompromisedCiToken
        );
        assert_eq!(
            CloudAdminCompromise.play(),
            crate::domain::Play::SuspiciousCloudAdminActivity
        );
    }

    #[test]
    fn negation_is_respected() {
        let a = text("No evidence of exploitation; the bug is an XSS in the preview.");
        assert_eq!(a.class, MinorVulnerability, "{:?}", a.reasons);
        assert!(
            !a.reasons
                .iter()
                .any(|r| r.rule.starts_with("escalator:exploitation"))
        );
        let a = text("The key was not leaked. Separately, the endpoint is actively exploited.");
        assert_eq!(a.class, ActiveExploitation);
        let a = text("There is no customer data involved in this XSS");
        assert!(!a.flags.customer_data_involved, "{:?}", a.reasons);
    }

    #[test]
    fn escalators_table() {
        // Customer data or Atlassian systems: at least SEV-2.
        let a = text("Missing input validation lets a user read customer data");
        assert_eq!((a.class, a.severity), (MinorVulnerability, Sev2));
        assert!(
            a.flags.customer_data_involved
                && a.flags.customer_notification_required
                && a.flags.atlassian_notification_required
        );
        let a = assess(&Facts {
            texts: vec![("title", "Stale access")],
            atlassian_systems: Some(true),
            ..Facts::default()
        });
        assert_eq!(a.severity, Sev2);
        assert!(a.flags.atlassian_notification_required && !a.flags.customer_notification_required);
        // Exploitation or exfiltration: SEV-1 whatever the class.
        let a = text("An XSS that is actively exploited against admins");
        assert_eq!(a.severity, Sev1, "{:?}", a.reasons);
        // Production vs non-production.
        let a = assess(&Facts {
            texts: vec![("title", "Leaked API key in a gist")],
            production: Some(false),
            ..Facts::default()
        });
        assert_eq!((a.class, a.severity), (NonProductionSecret, Sev4));
        let a = assess(&Facts {
            texts: vec![("title", "Leaked API key in a gist")],
            production: Some(true),
            ..Facts::default()
        });
        assert_eq!((a.class, a.severity), (LeakedProductionSecret, Sev2));
        let a = text("The staging database password was leaked, production is unaffected");
        assert_eq!(
            a.class, LeakedProductionSecret,
            "production mentioned: stay conservative"
        );
    }

    #[test]
    fn signals_table() {
        let sig = |kind: &str, sev: Option<&str>, score: Option<f64>| SourceSignal {
            kind: kind.into(),
            severity: sev.map(Into::into),
            score,
        };
        let cases = [
            (sig("guardduty", Some("8.0"), Some(8.0)), Sev2),
            (sig("guardduty", Some("9.5"), Some(9.5)), Sev1),
            (sig("guardduty", Some("2.0"), Some(2.0)), Sev4),
            (sig("security_hub", Some("CRITICAL"), None), Sev1),
            (sig("security_hub", Some("MEDIUM"), None), Sev3),
            (sig("security_hub", Some("INFORMATIONAL"), None), Sev4),
            (sig("pagerduty", Some("critical"), None), Sev1),
            (sig("pagerduty", Some("error"), None), Sev2),
            (sig("pagerduty", Some("warning"), None), Sev3),
            (sig("pagerduty", Some("info"), None), Sev4),
            (sig("github:dependabot_alert", Some("high"), None), Sev2),
            (
                sig("github:code_scanning_alert", Some("critical"), None),
                Sev1,
            ),
        ];
        for (s, want) in cases {
            let a = assess(&Facts {
                texts: vec![("title", "alert")],
                signal: Some(&s),
                ..Facts::default()
            });
            assert_eq!(a.severity, want, "{s:?}");
            assert!(
                a.reasons
                    .iter()
                    .any(|r| r.rule == format!("source:{}", s.kind)),
                "{:?}",
                a.reasons
            );
        }
        let s = sig("github:secret_scanning_alert", None, None);
        let a = assess(&Facts {
            texts: vec![("title", "GitHub alert #1: Slack token in acme/app")],
            signal: Some(&s),
            ..Facts::default()
        });
        assert_eq!((a.class, a.severity), (LeakedProductionSecret, Sev2));
    }

    /// Official vectors and scores: FIRST's CVSS v3.1 and v4.0 examples.
    #[test]
    fn cvss_official_examples() {
        let cases = [
            // v3.1 specification examples (CVE-2014-0160, CVE-2014-6271, CVE-2016-5195, CVE-2013-1937).
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                "3.1",
                7.5,
                Sev2,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "3.1",
                9.8,
                Sev1,
            ),
            (
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
                "3.1",
                7.8,
                Sev2,
            ),
            (
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
                "3.1",
                6.1,
                Sev3,
            ),
            // v3.0 and v2 are recognised.
            (
                "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "3.0",
                9.8,
                Sev1,
            ),
            ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5, Sev2),
            // v4.0 examples.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "4.0",
                9.3,
                Sev1,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                "4.0",
                8.7,
                Sev2,
            ),
        ];
        for (v, version, score, sev) in cases {
            let s = score_cvss(v).unwrap();
            assert_eq!((s.version.as_str(), s.score), (version, score), "{v}");
            let a = assess(&Facts {
                texts: vec![("title", "report")],
                cvss: Some(v),
                ..Facts::default()
            });
            assert_eq!(a.severity, sev, "{v}");
            assert_eq!(a.cvss, Some(s));
        }
        let a = assess(&Facts {
            texts: vec![("title", "report")],
            cvss: Some("CVSS:3.1/AV:X"),
            ..Facts::default()
        });
        assert!(a.notes[0].contains("invalid"), "{:?}", a.notes);
        assert_eq!(a.severity, DEFAULT_SEVERITY);
        assert_eq!(a.cvss, None);
    }

    #[test]
    fn nothing_known_is_the_default_with_a_reason() {
        let a = text("Something odd in the settings page");
        assert_eq!((a.class, a.severity), (Unclassified, Sev3));
        assert_eq!(a.reasons.last().unwrap().rule, "default");
    }
}
