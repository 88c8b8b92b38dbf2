//! The severity engine's tables, case by case: the seeds' examples, and
//! what negation, environment, possibility, attempts, dismissal, CVSS and
//! source severities do to them. Expectations are the seeds' tables; where
//! the seeds disagree the more severe reading is kept (see the policy file).
//! These are the rules' own verdicts; the second reading over them is
//! tested in `second.rs`, and both together by the corpus test.

use super::*;
use crate::domain::{ConfidenceLevel, Play};
use crate::policy::{DEFAULT_POLICY, Policy};
use IncidentClass as C;
use Severity::*;

fn judge(f: &Facts<'_>) -> Assessment {
    assess_rules(&Policy::builtin().judgement, f)
}

fn text(t: &str) -> Assessment {
    judge(&Facts {
        texts: vec![("description", t)],
        ..Facts::default()
    })
}

fn title(t: &str) -> Assessment {
    judge(&Facts {
        texts: vec![("title", t)],
        ..Facts::default()
    })
}

fn class_reason(a: &Assessment) -> Option<&Reason> {
    a.reasons.iter().find(|r| r.rule.starts_with("class:"))
}

/// The words an evidence string quotes: every `"..."` in it.
fn quoted(evidence: &str) -> Vec<&str> {
    evidence.split('"').skip(1).step_by(2).collect()
}

/// Every example row of the seeds' severity tables and definitions.
#[test]
fn seed_examples_table() {
    let cases: &[(&str, IncidentClass, Severity)] = &[
        // FirstTry's table (Critical / High / Medium / Low examples).
        (
            "Active exploit observed: the endpoint is being exploited",
            C::ActiveExploitation,
            Sev1,
        ),
        (
            "Data breach: customer records downloaded by an unknown party",
            C::DataBreach,
            Sev1,
        ),
        (
            "Scope escalation detected: the app reads other tenants' data",
            C::CrossTenantAccess,
            Sev1,
        ),
        // FirstTry's "unpatched critical CVE" is Critical: SEV-1, the more
        // severe reading (the runbook's "critical vulnerability" is SEV-3).
        (
            "Unpatched critical CVE in our image parser",
            C::CriticalVulnerability,
            Sev1,
        ),
        (
            "Privilege escalation vulnerability in the admin settings",
            C::PrivilegeEscalation,
            Sev2,
        ),
        (
            "POST/PUT/DELETE endpoints discovered in code without auth checks",
            C::PrivilegeEscalation,
            Sev2,
        ),
        (
            "Minor vulnerability: missing input validation on the title",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "Low-impact cryptography issue: weak hash for cache keys",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "Informational finding about logging",
            C::Informational,
            Sev4,
        ),
        (
            "Documentation gaps in the security page",
            C::Informational,
            Sev4,
        ),
        (
            "Development practices note: use lockfiles",
            C::Informational,
            Sev4,
        ),
        // The runbook's severity model.
        (
            "Confirmed data exfiltration from the reporting database",
            C::DataBreach,
            Sev1,
        ),
        (
            "An attacker was in production for two hours",
            C::AttackerInProduction,
            Sev1,
        ),
        (
            "Compromised cloud root account",
            C::CloudAdminCompromise,
            Sev1,
        ),
        (
            "Leaked production secret: the Stripe key was committed to a public repo",
            C::LeakedProductionSecret,
            Sev2,
        ),
        (
            "A production AWS secret access key was pushed to a public GitHub repository",
            C::LeakedProductionSecret,
            Sev2,
        ),
        (
            "Production AWS secret key leaked on GitHub",
            C::LeakedProductionSecret,
            Sev2,
        ),
        (
            "The GitHub Actions token was compromised via a malicious PR",
            C::CompromisedCiToken,
            Sev2,
        ),
        // The runbook's "exploited internet-facing service" (SEV-2) is
        // FirstTry's "active exploit" (Critical): SEV-1.
        (
            "The public API was exploited by an attacker",
            C::ActiveExploitation,
            Sev1,
        ),
        (
            "Critical vulnerability with exposure on the public login page",
            C::CriticalVulnerability,
            Sev1,
        ),
        (
            "Suspicious access to the admin API from a Tor exit node",
            C::SuspiciousAccess,
            Sev3,
        ),
        (
            "Failed control: CloudTrail logging was disabled",
            C::FailedControl,
            Sev3,
        ),
        (
            "Non-production secret: staging database password leaked in a test log",
            C::NonProductionSecret,
            Sev4,
        ),
        (
            "Stale access: a former employee still has a deploy key",
            C::StaleAccess,
            Sev4,
        ),
        ("Informational scanner finding", C::Informational, Sev4),
        // Definitions in the other plans.
        (
            "Our app is flooding Atlassian APIs and degrading the Atlassian platform",
            C::AtlassianDegradation,
            Sev2,
        ),
        (
            "A third-party provider breach at our email vendor",
            C::ThirdPartyIncident,
            Sev3,
        ),
        // The issue's misses, said as a new user would.
        (
            "Someone logged into the AWS root account and disabled CloudTrail",
            C::CloudAdminCompromise,
            Sev1,
        ),
        // The tracks covered, in other words: what records, and switching it off.
        (
            "Root AWS login from a Bucharest IP, then the CloudTrail trail was switched off",
            C::CloudAdminCompromise,
            Sev1,
        ),
        (
            "An unknown user paused the GuardDuty detector in every region",
            C::CloudAdminCompromise,
            Sev1,
        ),
        (
            "Ransomware encrypted the production database servers",
            C::AttackerInProduction,
            Sev1,
        ),
        (
            "The production Stripe secret key was pasted into a public Slack channel",
            C::LeakedProductionSecret,
            Sev2,
        ),
        (
            "Our CircleCI context token was compromised and used to run unauthorized pipelines",
            C::CompromisedCiToken,
            Sev2,
        ),
        (
            "Customer site A can read the pages of customer site B in our app",
            C::CrossTenantAccess,
            Sev1,
        ),
        (
            "An old test API key for the sandbox environment was found in a README",
            C::NonProductionSecret,
            Sev4,
        ),
    ];
    let mut wrong = Vec::new();
    for (t, class, sev) in cases {
        let a = text(t);
        if (a.class, a.severity) != (*class, *sev) {
            wrong.push(format!(
                "{t}\n   want {class} {sev}, got {} {}: {:?}",
                a.class, a.severity, a.reasons
            ));
            continue;
        }
        let r = class_reason(&a).expect("a class reason");
        assert_eq!(r.rule, format!("class:{class}"), "{t}");
        assert!(r.evidence.starts_with("description: "), "{t}: {r:?}");
        // A placed report may still be flagged for triage when an
        // alarming fact sits beside a low verdict: that is the fail-safe.
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The runbook's response plays: each example selects its play.
#[test]
fn response_play_examples() {
    let cases = [
        (
            "Leaked production secret: the signing key was pasted in a public channel",
            C::LeakedProductionSecret,
            Sev2,
            Play::LeakedProductionSecret,
        ),
        (
            "Compromised CI/CD token: the deploy token was leaked in build logs",
            C::CompromisedCiToken,
            Sev2,
            Play::CompromisedCiToken,
        ),
        (
            "Suspicious cloud administrator activity: new IAM users and keys we did not create",
            C::CloudAdminCompromise,
            Sev1,
            Play::SuspiciousCloudAdminActivity,
        ),
        (
            "Stored XSS in the page macro",
            C::MinorVulnerability,
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
    }
}

#[test]
fn every_builtin_class_has_a_severity_and_the_seed_plays() {
    let j = &Policy::builtin().judgement;
    for c in IncidentClass::ALL {
        assert_eq!(j.class(c).is_none(), c == C::Unclassified, "{c}");
    }
    assert_eq!(j.play(C::Unclassified), Play::Generic);
    assert_eq!(
        j.play(C::LeakedProductionSecret),
        Play::LeakedProductionSecret
    );
    assert_eq!(j.play(C::CompromisedCiToken), Play::CompromisedCiToken);
    assert_eq!(
        j.play(C::CloudAdminCompromise),
        Play::SuspiciousCloudAdminActivity
    );
}

/// A negated fact does not fire; the rest of the report still counts.
#[test]
fn negation_table() {
    let cases: &[(&str, IncidentClass, Severity)] = &[
        // The negation passes who did it and reaches what they did.
        (
            "No evidence that an attacker exfiltrated data; the bug is an XSS in the preview.",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "No evidence of exploitation; the bug is an XSS in the preview.",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "The key was not leaked. Separately, the endpoint is actively exploited.",
            C::ActiveExploitation,
            Sev1,
        ),
        (
            "Stored XSS in the comment field, exploitation was ruled out",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "No evidence the secret was used, but the production key is in a public gist",
            C::LeakedProductionSecret,
            Sev2,
        ),
        // A question answered no negates what it asked; any other answer,
        // or a "no" that goes on, leaves it standing.
        (
            "Reflected XSS in the search box. Was it exploited? No. Was customer data exposed? No, the page shows nothing private.",
            C::MinorVulnerability,
            Sev3,
        ),
        (
            "Reflected XSS in the search box. Was it exploited? Yes, attackers are exploiting it in the wild.",
            C::ActiveExploitation,
            Sev1,
        ),
        (
            "Is the attacker still in our production cluster? No one has checked yet.",
            C::AttackerInProduction,
            Sev1,
        ),
    ];
    for (t, class, sev) in cases {
        let a = text(t);
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t}: {:?}",
            a.reasons
        );
    }
    let a = text("No evidence of exploitation; the bug is an XSS in the preview.");
    assert!(
        !a.reasons
            .iter()
            .any(|r| r.rule.starts_with("escalator:exploitation")),
        "{:?}",
        a.reasons
    );
    assert!(
        a.confidence.facts.iter().any(|f| f == "not exploitation"),
        "the negated fact is recorded as such: {:?}",
        a.confidence.facts
    );
    let a = text("There is no customer data involved in this XSS");
    assert!(!a.flags.customer_data_involved, "{:?}", a.reasons);
}

/// Non-production: the class's non-production class, from the words or the
/// reporter's `production: false`; production stated wins.
/// How far a word reaches: a cue inside a longer fact, a short title as one
/// window, a phrase that masks the facts inside it, a mention two groups of
/// a rule could use, and a stated severity that stands in only where stated.
#[test]
fn phrase_scope_table() {
    let cases: &[(&str, IncidentClass, Severity)] = &[
        // "isn't" is part of the actor; it negates nothing after it.
        (
            "Somebody who isn't an employee got into the billing backend",
            C::AttackerInProduction,
            Sev1,
        ),
        // "not patched" is one fact: "exploited" after it stands.
        (
            "Confluence not patched, exploited in the wild",
            C::ActiveExploitation,
            Sev1,
        ),
        // Credential and exposure 14 words apart, in one short title.
        (
            "Connection string for the reporting replica on the analytics cluster ended up in a public gist",
            C::LeakedProductionSecret,
            Sev2,
        ),
        // "connection" inside a connection string is not someone connecting.
        (
            "Someone pasted the production Postgres connection string into a public support ticket",
            C::LeakedProductionSecret,
            Sev2,
        ),
        // "handlers" is both where it was found and the endpoint: the
        // endpoint group, with no other mention, gets it.
        (
            "Code review turned up PATCH and DELETE handlers nobody documented",
            C::PrivilegeEscalation,
            Sev2,
        ),
        // Only a rule that states a severity replaces: an unpatched,
        // reachable weakness does not hide that it is an RCE.
        (
            "Unauthenticated RCE in the public upload service, still unpatched",
            C::CriticalVulnerability,
            Sev1,
        ),
        (
            "Any guest can change the workspace settings",
            C::PrivilegeEscalation,
            Sev2,
        ),
        (
            "The binary on the download server is not what CI built",
            C::AttackerInProduction,
            Sev1,
        ),
        // "Should not" states the rule the finding says is broken.
        (
            "Security groups should not allow unrestricted SSH from the internet",
            C::FailedControl,
            Sev3,
        ),
        (
            "Password reset links never expire, so anyone with an old email can take over the account",
            C::HighVulnerability,
            Sev2,
        ),
        (
            "Our DNS registrar account was hijacked last night",
            C::CloudAdminCompromise,
            Sev1,
        ),
        // An outage on purpose is an attack on availability.
        (
            "The API keeps being crashed deliberately with one crafted query",
            C::ActiveExploitation,
            Sev1,
        ),
    ];
    for (t, class, sev) in cases {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t}: {:?}",
            a.reasons
        );
    }
    // In staging, the rules read exploitation as the class's non-production
    // reading, and the exploitation escalator does not raise it. (The word
    // counts may still raise it, with a person asked to confirm: the
    // environment words are too often wrong for them to be barred.)
    let a = title("Staging web server exploited through an old plugin");
    assert!(
        a.reasons
            .iter()
            .any(|r| r.rule == "class:suspicious_access" && r.severity == Some(Sev3)),
        "{:?}",
        a.reasons
    );
    assert!(
        !a.reasons.iter().any(|r| r.rule.starts_with("escalator:")),
        "{:?}",
        a.reasons
    );
    assert!(a.severity >= Sev3 || a.needs_triage, "{:?}", a.reasons);
    // The same credential and exposure that far apart in a long body are
    // not one fact.
    let far = text(
        "The connection string for the reporting replica that we run on the analytics cluster in \
         another account, which is a long story, is something a colleague mentioned. A public gist.",
    );
    assert_ne!(far.class, C::LeakedProductionSecret, "{:?}", far.reasons);
    // A request for help is not an intruder.
    let help = title("Can someone look into the prod database alerts");
    assert_ne!(help.severity, Sev1, "{:?}", help.reasons);
    let intruder = title("Someone got into the prod database");
    assert_eq!(intruder.severity, Sev1, "{:?}", intruder.reasons);
}

#[test]
fn environment_table() {
    let cases: &[(&str, Option<bool>, IncidentClass, Severity)] = &[
        (
            "The staging database password was leaked, production is unaffected",
            None,
            C::NonProductionSecret,
            Sev4,
        ),
        (
            "A sandbox API key was committed to a public repository",
            None,
            C::NonProductionSecret,
            Sev4,
        ),
        (
            "Leaked API key in a gist",
            Some(false),
            C::NonProductionSecret,
            Sev4,
        ),
        (
            "Leaked API key in a gist",
            Some(true),
            C::LeakedProductionSecret,
            Sev2,
        ),
        (
            "Leaked API key in a gist",
            None,
            C::LeakedProductionSecret,
            Sev2,
        ),
        // Both said: the safer reading, production.
        (
            "The staging and production database passwords were leaked in a public repo",
            None,
            C::LeakedProductionSecret,
            Sev2,
        ),
        // A pen test is not a test environment.
        (
            "During a pen test the production API key was found in a public bucket",
            None,
            C::LeakedProductionSecret,
            Sev2,
        ),
    ];
    for (t, production, class, sev) in cases {
        let a = judge(&Facts {
            texts: vec![("title", t)],
            production: *production,
            ..Facts::default()
        });
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t} (production {production:?}): {:?}",
            a.reasons
        );
    }
    let a = title("The staging database password was leaked, production is unaffected");
    let r = class_reason(&a).expect("class reason");
    assert!(
        r.evidence.contains("non-production: ") && r.evidence.contains("\"staging\""),
        "the reason names what made it non-production: {r:?}"
    );
    let a = title("The staging and production database passwords were leaked in a public repo");
    assert!(
        a.confidence
            .conflicts
            .iter()
            .any(|c| c.contains("production and non-production both")),
        "{:?}",
        a.confidence
    );
    assert_eq!(a.confidence.level, ConfidenceLevel::Low);
}

/// What only could happen takes the class's theoretical severity.
#[test]
fn theoretical_table() {
    let cases: &[(&str, IncidentClass, Severity)] = &[
        (
            "A bug in the admin API could allow an attacker to take over the AWS root account",
            C::CloudAdminCompromise,
            Sev2,
        ),
        (
            "Ransomware could encrypt production servers if the patch is not applied",
            C::AttackerInProduction,
            Sev2,
        ),
    ];
    for (t, class, sev) in cases {
        let a = text(t);
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t}: {:?}",
            a.reasons
        );
        let r = class_reason(&a).expect("class reason");
        assert!(
            r.evidence.contains("possible, not observed") || r.evidence.contains("only possible"),
            "{t}: {r:?}"
        );
    }
    // The same facts, observed: the class's own severity.
    let a = text("An attacker took over the AWS root account");
    assert_eq!((a.class, a.severity), (C::CloudAdminCompromise, Sev1));
}

/// What was only attempted ("blocked by the WAF") is suspicious access.
#[test]
fn attempts_table() {
    let cases: &[(&str, IncidentClass, Severity)] = &[
        (
            "Exploitation attempts against the login endpoint were blocked by the WAF",
            C::SuspiciousAccess,
            Sev3,
        ),
        (
            "Failed login attempts against the AWS root account",
            C::SuspiciousAccess,
            Sev3,
        ),
    ];
    for (t, class, sev) in cases {
        let a = text(t);
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t}: {:?}",
            a.reasons
        );
    }
    let a = text("Exploitation attempts against the login endpoint were blocked by the WAF");
    let r = class_reason(&a).expect("class reason");
    assert!(r.evidence.contains("attempted, not achieved"), "{r:?}");
}

/// A report that explains itself away is informational; when the rest of
/// it would page, a person confirms.
#[test]
fn dismissal_table() {
    let cases: &[(&str, Severity, bool)] = &[
        // Nothing else in it pages: no triage.
        ("False positive: the scanner flagged a comment", Sev4, false),
        (
            "Suspicious login from a new country, confirmed legitimate: it was her on holiday",
            Sev4,
            false,
        ),
        // The rest reads as SEV-1: informational, but flagged.
        (
            "False positive: the alert said an attacker took over the AWS root account",
            Sev4,
            true,
        ),
        // A cause found that is ours, or a claim with nothing behind it;
        // flagged where the rest would page.
        (
            "The port scan GuardDuty reported was our vulnerability scanner",
            Sev4,
            false,
        ),
        (
            "Rumours of a breach of the help desk were unfounded",
            Sev4,
            true,
        ),
        (
            "The deploy token in the build log was masked as designed",
            Sev4,
            true,
        ),
    ];
    for (t, sev, triage) in cases {
        let a = text(t);
        assert_eq!(
            (a.class, a.severity, a.needs_triage),
            (C::Informational, *sev, *triage),
            "{t}: {:?}",
            a.reasons
        );
        let r = class_reason(&a).expect("class reason");
        assert!(r.evidence.contains("dismissal=\""), "{t}: {r:?}");
    }
    let a = text("False positive: the alert said an attacker took over the AWS root account");
    let t = a
        .reasons
        .iter()
        .find(|r| r.rule == "needs-triage")
        .expect("needs-triage reason");
    assert!(
        t.evidence
            .contains("dismissed, but the rest reads as cloud_admin_compromise (SEV-1)"),
        "{t:?}"
    );
    // A dismissed report raises no escalator.
    assert!(
        !a.reasons.iter().any(|r| r.rule.starts_with("escalator:")),
        "{:?}",
        a.reasons
    );
}

/// A description's dismissal phrase lowers a title that would page only
/// when the title is in doubt itself (a question, a quoted word, a reply, a
/// suspected or negated fact). A confident title may still be lowered by
/// its body's words, and is then flagged for triage: either way someone is
/// paged.
#[test]
fn a_description_dismisses_only_a_doubtful_title() {
    let body = "Checked with the platform team: false positive, it was our own scanner.";
    let cases: &[(&str, bool)] = &[
        ("Possible data leak from the customer export", true),
        ("The 'breach' in the channel topic", true),
        ("re: attacker in the production cluster", true),
        ("Attacker in the production cluster?", true),
        ("Active intruder in the production k8s cluster", false),
        (
            "Customer data from the export is on a public paste site",
            false,
        ),
    ];
    for (t, lowered) in cases {
        let a = judge(&Facts {
            texts: vec![("title", t), ("description", body)],
            ..Facts::default()
        });
        let dismissed = a.class == C::Informational;
        let by_phrase = a
            .reasons
            .iter()
            .any(|r| r.rule == "class:informational" && r.evidence.contains("dismissal="));
        assert_eq!(by_phrase, *lowered, "{t}: {:?} {:?}", a.class, a.reasons);
        if dismissed {
            assert!(a.needs_triage, "a paging title set aside is confirmed: {t}");
        } else {
            assert!(a.severity.pages_oncall(), "{t}: {:?}", a.severity);
        }
    }
}

/// Another customer's data is a cross-tenant read; other users of the same
/// customer seeing each other's data is not.
#[test]
fn same_tenant_is_not_cross_tenant_table() {
    let cases: &[(&str, bool)] = &[
        (
            "Customer A can see the Confluence pages of another customer's site",
            true,
        ),
        ("The export shows other tenants' issue summaries", true),
        (
            "Users can see other users' email addresses within the same site",
            false,
        ),
        (
            "A restricted user reads other people's pages in the same tenant",
            false,
        ),
    ];
    for (t, cross) in cases {
        let a = title(t);
        assert_eq!(
            a.class == C::CrossTenantAccess,
            *cross,
            "{t}: {:?} {:?}",
            a.class,
            a.reasons
        );
    }
}

/// Documents about an incident and never-real secrets are not the incident:
/// SEV-4. (A document's words decide only where the word counts choose
/// between rules; "a procedure for when one customer's data is shown to
/// another tenant" still reads as that read, docs/severity.md.)
#[test]
fn documents_simulations_and_placeholders_table() {
    let cases = [
        "Updated our threat model: an attacker steals the AWS root account keys",
        "New response procedure for a leaked production API key",
        "The AWS key in the README is a placeholder that was never valid",
        "Cross-tenant read bug on a feature branch that was never merged",
    ];
    for t in cases {
        let a = title(t);
        assert_eq!(a.severity, Sev4, "{t}: {:?} {:?}", a.class, a.reasons);
    }
}

/// Official vectors and scores: FIRST's CVSS v3.1 and v4.0 examples. A
/// vector sets the band floor.
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
        let s = score_cvss(v).expect("valid vector");
        assert_eq!((s.version.as_str(), s.score), (version, score), "{v}");
        let a = judge(&Facts {
            texts: vec![("title", "report")],
            cvss: Some(v),
            ..Facts::default()
        });
        assert_eq!(a.severity, sev, "{v}");
        assert_eq!(a.cvss, Some(s));
        assert!(!a.needs_triage, "a score places it: {v}");
        // The floor: a low class does not lower it...
        let a = judge(&Facts {
            texts: vec![("title", "Documentation gaps in the security page")],
            cvss: Some(v),
            ..Facts::default()
        });
        assert_eq!((a.class, a.severity), (C::Informational, sev), "{v}");
        let r = a.reasons.iter().find(|r| r.rule == "cvss").expect("cvss");
        assert!(r.evidence.contains(&format!("{score:.1}")), "{r:?}");
    }
    // ...and a more severe class is not lowered by it.
    let a = judge(&Facts {
        texts: vec![("title", "An attacker was in production for two hours")],
        cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
        ..Facts::default()
    });
    assert_eq!(a.severity, Sev1, "{:?}", a.reasons);
    // An invalid vector is a note, not a score.
    let a = judge(&Facts {
        texts: vec![("title", "report")],
        cvss: Some("CVSS:3.1/AV:X"),
        ..Facts::default()
    });
    assert!(a.notes[0].contains("invalid"), "{:?}", a.notes);
    assert_eq!(a.severity, DEFAULT_SEVERITY);
    assert_eq!(a.cvss, None);
}

/// A CVSS score written in the text places a report with no vector.
#[test]
fn cvss_score_in_text_table() {
    let cases: &[(&str, Option<Severity>)] = &[
        ("Scanner says CVSS 9.8 for the image parser", Some(Sev1)),
        ("cvssv3 score: 7.5 on the export endpoint", Some(Sev2)),
        ("CVSS base score of 5.3 in the widget", Some(Sev3)),
        ("CVSS 10.0 in the gateway", Some(Sev1)),
        ("cvss=2.1 for the footer", Some(Sev4)),
        (
            "Pentest finding rated 9.0: stored XSS in the admin area",
            Some(Sev1),
        ),
        (
            "Inspector HIGH 7.8: kernel flaw on the worker nodes",
            Some(Sev2),
        ),
        // A version number is not a score.
        ("Upgrade to 9.8 of the widget library", None),
    ];
    for (t, want) in cases {
        let a = title(t);
        let r = a.reasons.iter().find(|r| r.rule == "cvss:text");
        assert_eq!(r.and_then(|r| r.severity), *want, "{t}: {:?}", a.reasons);
        if let Some(r) = r {
            assert!(r.evidence.starts_with("title: \""), "{r:?}");
            let span = quoted(&r.evidence)[0];
            assert!(t.contains(span), "{t}: {r:?}");
            assert_eq!(Some(a.severity), *want, "{t}: {:?}", a.reasons);
        }
    }
    // A vector wins over a score in the text.
    let a = judge(&Facts {
        texts: vec![("title", "CVSS 9.8 says the scanner")],
        cvss: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"),
        ..Facts::default()
    });
    assert!(!a.reasons.iter().any(|r| r.rule == "cvss:text"));
    assert_eq!(a.severity, Sev3);
}

/// A vector written in the text is scored as the field would be; its
/// version ("CVSS:3.1/...") is no score of 3.1.
#[test]
fn cvss_vector_in_text_table() {
    let cases: &[(&str, &str, Severity)] = &[
        (
            "Dependency scan: HTTP/2 library denial of service",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H. Used by the public API.",
            Sev2,
        ),
        (
            "Template injection in the render worker",
            "Vector CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H, found in review.",
            Sev1,
        ),
        (
            "Cookie scoped to the parent domain",
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:L/I:N/A:N",
            Sev3,
        ),
    ];
    for (t, d, want) in cases {
        let a = titled(t, d);
        let r = a.reasons.iter().find(|r| r.rule == "cvss:text");
        assert_eq!(
            r.and_then(|r| r.severity),
            Some(*want),
            "{t}: {:?}",
            a.reasons
        );
        assert!(
            r.is_some_and(|r| r.evidence.contains("vector")),
            "{t}: {:?}",
            a.reasons
        );
        assert!(a.severity <= *want, "{t}: {:?}", a.reasons);
    }
    // A dismissed report's score is set aside with it.
    let a = title("Critical CVE (CVSS 9.8) advisory for a library we don't use");
    assert_eq!(a.class, C::Informational, "{:?}", a.reasons);
    assert!(
        !a.reasons.iter().any(|r| r.rule == "cvss:text"),
        "{:?}",
        a.reasons
    );
    // A broken vector is not read as its version's number.
    let a = titled("Odd finding", "CVSS:3.1/AV:Q/XX:Z");
    assert!(
        !a.reasons
            .iter()
            .any(|r| r.rule == "cvss:text" && r.severity == Some(Sev4)),
        "{:?}",
        a.reasons
    );
}

fn sig(kind: &str, sev: Option<&str>, score: Option<f64>) -> SourceSignal {
    SourceSignal {
        kind: kind.into(),
        severity: sev.map(Into::into),
        score,
    }
}

/// A source's own severity places a report no class placed.
#[test]
fn source_severity_table() {
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
        let a = judge(&Facts {
            texts: vec![("title", "alert")],
            signal: Some(&s),
            ..Facts::default()
        });
        assert_eq!(a.severity, want, "{s:?}: {:?}", a.reasons);
        let r = a
            .reasons
            .iter()
            .find(|r| r.rule == format!("source:{}", s.kind))
            .expect("source reason");
        assert_eq!(r.severity, Some(want));
        assert!(!a.needs_triage, "{s:?}: a source severity places it");
    }
    // Unknown words are no severity: nothing placed it.
    let s = sig("pagerduty", Some("spicy"), None);
    let a = judge(&Facts {
        texts: vec![("title", "alert")],
        signal: Some(&s),
        ..Facts::default()
    });
    assert!(a.needs_triage, "{:?}", a.reasons);
}

/// Beside a class the source's severity is kept as evidence only: the
/// plans judge by what happened.
#[test]
fn source_severity_yields_to_a_class() {
    let cases = [
        // The source says low, the words say a live attacker.
        (
            "An attacker was in production for two hours",
            sig("security_hub", Some("LOW"), None),
            C::AttackerInProduction,
            Sev1,
        ),
        // The source says critical, the words say informational.
        (
            "Informational scanner finding",
            sig("security_hub", Some("CRITICAL"), None),
            C::Informational,
            Sev4,
        ),
    ];
    for (t, s, class, sev) in cases {
        let a = judge(&Facts {
            texts: vec![("title", t)],
            signal: Some(&s),
            ..Facts::default()
        });
        assert_eq!((a.class, a.severity), (class, sev), "{t}: {:?}", a.reasons);
        let r = a
            .reasons
            .iter()
            .find(|r| r.rule.starts_with("source:"))
            .expect("source reason kept");
        assert_eq!(r.severity, None, "{r:?}");
        assert!(r.evidence.contains("the class decides"), "{r:?}");
    }
    // A secret-scanning alert with words nothing places is a leaked secret.
    let s = sig("github:secret_scanning_alert", None, None);
    let a = judge(&Facts {
        texts: vec![("title", "GitHub alert #1 in acme/app")],
        signal: Some(&s),
        ..Facts::default()
    });
    assert_eq!(
        (a.class, a.severity),
        (C::LeakedProductionSecret, Sev2),
        "{:?}",
        a.reasons
    );
}

/// Every reason that proposes a severity names its evidence: the field and
/// the words as written in the report.
#[test]
fn every_reason_names_its_evidence_words() {
    let texts = [
        "Someone logged into the AWS root account and disabled CloudTrail",
        "Ransomware encrypted the production database servers",
        "The production Stripe secret key was pasted into a public Slack channel",
        "Our CircleCI context token was compromised and used to run unauthorized pipelines",
        "Missing input validation lets a user read customer data",
        "Exploitation attempts against the login endpoint were blocked by the WAF",
        "The staging database password was leaked, production is unaffected",
        "An XSS that is actively exploited against admins",
        "Stale access: a former employee still has a deploy key",
    ];
    for t in texts {
        let a = text(t);
        for r in &a.reasons {
            if r.rule == "needs-triage" || r.rule == "default" {
                continue;
            }
            assert!(
                r.evidence.starts_with("description: "),
                "{t}: {r:?} names the field"
            );
            let words = quoted(&r.evidence);
            assert!(!words.is_empty(), "{t}: {r:?} quotes words");
            for w in words {
                assert!(t.contains(w), "{t}: {r:?}: {w:?} is not in the text");
            }
        }
        let r = class_reason(&a).expect("class reason");
        // "concept=\"words\"": each fact is named with its words.
        assert!(r.evidence.contains("=\""), "{t}: {r:?}");
    }
    // In a title and a description, the field where the words are.
    let a = judge(&Facts {
        texts: vec![
            ("title", "Weekly report"),
            ("description", "An attacker was in production for two hours"),
        ],
        ..Facts::default()
    });
    let r = class_reason(&a).expect("class reason");
    assert!(r.evidence.starts_with("description: "), "{r:?}");
}

/// What nothing places is flagged for a person, not silently SEV-3.
#[test]
fn unplaceable_text_needs_triage() {
    for t in [
        "Something is going on, please take a look",
        "Please call me about the thing from yesterday",
        "x",
        "",
    ] {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity, a.needs_triage),
            (C::Unclassified, DEFAULT_SEVERITY, true),
            "{t:?}: {:?}",
            a.reasons
        );
        assert_eq!(a.confidence.level, ConfidenceLevel::None, "{t:?}");
        let rules: Vec<&str> = a.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules, ["default", "needs-triage"], "{t:?}");
        assert_eq!(a.reasons[1].severity, None, "the flag proposes no severity");
    }
    // A vague unease is not a confident class: a person triages it.
    let a = title("Something odd is going on, please take a look");
    assert!(a.needs_triage, "{:?}", a.reasons);
    assert!(a.severity <= Sev3, "{:?}", a.reasons);
}

/// A verdict that pages no one beside an alarming fact is flagged too.
#[test]
fn low_verdict_beside_an_alarm_needs_triage() {
    let cases: &[(&str, bool)] = &[
        // SEV-3 with malware mentioned: a person looks.
        (
            "Malware found on a laptop in the office, antivirus missing",
            true,
        ),
        // SEV-3 with nothing alarming: no flag.
        ("Failed control: CloudTrail logging was disabled", false),
        // SEV-4 with nothing alarming: no flag.
        ("Documentation gaps in the security page", false),
        // It pages anyway: no flag.
        ("An attacker was in production for two hours", false),
    ];
    for (t, want) in cases {
        let a = text(t);
        assert_eq!(a.needs_triage, *want, "{t}: {:?}", a.reasons);
        if *want {
            assert!(!a.severity.pages_oncall(), "{t}");
            assert_eq!(a.confidence.level, ConfidenceLevel::Low, "{t}");
            let r = a
                .reasons
                .iter()
                .find(|r| r.rule == "needs-triage")
                .expect("needs-triage reason");
            assert!(r.evidence.contains("pages no one, but: "), "{r:?}");
            for w in quoted(&r.evidence) {
                assert!(t.contains(w), "{t}: {r:?}");
            }
        } else {
            assert!(!a.reasons.iter().any(|r| r.rule == "needs-triage"), "{t}");
        }
    }
}

/// A team adds a class, its words and its severity in the policy file,
/// without writing Rust.
#[test]
fn a_policy_file_adds_a_class() {
    let extra = r#"
[judgement]
extends_builtin = true

[judgement.concepts]
badge = ["door badge", "access badge", "badge"]
cloned = ["cloned", "copied", "duplicated", "skimmed"]
# A word joins a built-in concept.
production = ["money printer"]

[judgement.classes.physical_access]
severity = "SEV-2"
non_production = "informational"

[[judgement.rules]]
class = "physical_access"
all = ["badge", "cloned"]
window = 8
"#;
    // The team's file: the default's tables up to its own [judgement]
    // (a TOML table is said once), then the team's additions to it.
    let base = DEFAULT_POLICY
        .split_once("\n[judgement]\n")
        .map(|(head, _)| head)
        .expect("the default file has a [judgement] table");
    let policy = Policy::parse(&format!("{base}\n{extra}")).expect("the team's policy parses");
    let a = policy.assess(&Facts {
        texts: vec![("title", "Someone cloned the CEO's door badges")],
        ..Facts::default()
    });
    let physical = IncidentClass::intern("physical_access");
    assert_eq!(
        (a.class, a.severity, a.play),
        (physical, Sev2, Play::Generic),
        "{:?}",
        a.reasons
    );
    let r = class_reason(&a).expect("class reason");
    assert_eq!(r.rule, "class:physical_access");
    assert!(
        r.evidence.contains("badge=\"door badges\"") && r.evidence.contains("cloned=\"cloned\""),
        "{r:?}"
    );
    assert!(!a.needs_triage);
    // Its non-production class, and the built-in classes, still work.
    let a = policy.assess(&Facts {
        texts: vec![("title", "A test badge in the staging lab was cloned")],
        ..Facts::default()
    });
    assert_eq!(
        (a.class, a.severity),
        (C::Informational, Sev4),
        "{:?}",
        a.reasons
    );
    let a = policy.assess(&Facts {
        texts: vec![("title", "An attacker was in production for two hours")],
        ..Facts::default()
    });
    assert_eq!((a.class, a.severity), (C::AttackerInProduction, Sev1));
    // The built-in policy does not know the class.
    let a = title("Someone cloned the CEO's door badges");
    assert_ne!(a.class, physical);
}

/// A team's file that names what it does not define is refused, naming it.
#[test]
fn a_policy_file_with_a_bad_rule_is_refused() {
    let base = DEFAULT_POLICY
        .split_once("\n[judgement]\n")
        .map(|(head, _)| head)
        .expect("the default file has a [judgement] table");
    let cases = [
        (
            "[judgement]\n[[judgement.rules]]\nclass = \"nope\"\nall = [\"intruder\"]\n",
            "unknown class \"nope\"",
        ),
        (
            "[judgement]\n[judgement.classes.x]\nseverity = \"SEV-2\"\n[[judgement.rules]]\nclass = \"x\"\nall = [\"no_such_concept\"]\n",
            "unknown concept \"no_such_concept\"",
        ),
        (
            "[judgement]\n[judgement.classes.x]\nseverity = \"SEV-9\"\n",
            "SEV-9",
        ),
    ];
    for (extra, want) in cases {
        let err = Policy::parse(&format!("{base}\n{extra}"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(want), "{extra}: {err}");
    }
}

/// The words' counts as a second opinion: between two classes the rules
/// both found they choose, and far clearer words raise a low verdict. Either
/// way a person confirms (needs triage).
#[test]
fn words_choose_between_rules_and_raise_a_low_verdict() {
    let cases: &[(&str, C, Severity, &str)] = &[
        // The rules see an odd access; the words, a theft of customer data.
        // ("Pulling" them is a copy the rules read as a breach themselves.)
        (
            "someone has been touching customer ticket attachments from the prod bucket all night from an IP outside AWS",
            C::DataBreach,
            Sev1,
            "raised from suspicious_access (SEV-3) to data_breach",
        ),
        // A deploy key is a CI credential, but "unused" and "archived" say stale.
        (
            "Unused deploy key from 2021 still sits on the archived billing repo",
            C::StaleAccess,
            Sev4,
            "more like stale_access than compromised_ci_token",
        ),
    ];
    for (t, class, sev, why) in cases {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity, a.needs_triage),
            (*class, *sev, true),
            "{t}: {:?}",
            a.reasons
        );
        assert!(
            a.reasons.iter().any(|r| r.evidence.contains(why)),
            "{t}: {:?}",
            a.reasons
        );
    }
    // "fyi" reads informational; an unpatched internet-facing server is
    // not, by the rules themselves.
    let a = title(
        "fyi the internet-facing wiki server still runs Confluence 7.13, we never upgraded it",
    );
    assert_eq!(
        (a.class, a.severity),
        (C::HighVulnerability, Sev2),
        "{:?}",
        a.reasons
    );
    // What the rules lowered for certainty, the counts do not raise back.
    let a =
        text("A bug in the admin API could allow an attacker to take over the AWS root account");
    assert_eq!(
        (a.class, a.severity),
        (C::CloudAdminCompromise, Sev2),
        "{:?}",
        a.reasons
    );
}

/// Accounts taken over, a lost secret, an unattributed hand on the logs,
/// a "high" weakness named by a minor kind, and a fixed finding's retest.
#[test]
fn takeover_lost_secret_and_retest_table() {
    let cases: &[(&str, C, Severity, bool)] = &[
        (
            "Reused passwords: attackers took over 120 user accounts on the customer portal",
            C::ActiveExploitation,
            Sev1,
            false,
        ),
        (
            "Credential stuffing against our login, zero successful logins, rate limiter held",
            C::SuspiciousAccess,
            Sev3,
            false,
        ),
        (
            "The HSM backup card with the prod signing key is unaccounted for after the office move",
            C::LeakedProductionSecret,
            Sev2,
            false,
        ),
        (
            "GuardDuty was switched off in the prod account by an access key nobody owns",
            C::CloudAdminCompromise,
            Sev1,
            false,
        ),
        (
            "Dependabot: severity high, open redirect in the express dependency used in production",
            C::HighVulnerability,
            Sev2,
            false,
        ),
        // Dismissed, and flagged: what it retests would page.
        (
            "Retest passed: the cross-tenant read in the export API is no longer reproducible",
            C::Informational,
            Sev4,
            true,
        ),
    ];
    for (t, class, sev, triage) in cases {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity, a.needs_triage),
            (*class, *sev, *triage),
            "{t}: {:?}",
            a.reasons
        );
    }
}

fn titled(t: &str, d: &str) -> Assessment {
    judge(&Facts {
        texts: vec![("title", t), ("description", d)],
        ..Facts::default()
    })
}

/// An alarming title whose body explains it away in words no dismissal
/// phrases: lowered by the words, and from a paging verdict flagged so the
/// primary still looks. A title alone, or a body that confirms the alarm,
/// is not lowered; a vendor's breach in the title outranks the body's
/// "identity provider's breach" read as our own admin.
#[test]
fn words_lower_an_explained_alarm_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Malware found on a production server",
            "The endpoint agent flagged the EICAR test string in our upload test fixtures, which is there on purpose to test the scanner.",
            C::Informational,
            Sev4,
            true,
            "the labelled informational reports",
        ),
        (
            "Malware found on a production server",
            "The agent found a reverse shell binary in /tmp on prod-api-3 that none of us put there; it has an outbound connection to an unknown IP.",
            C::AttackerInProduction,
            Sev1,
            false,
            "malware=\"Malware\"",
        ),
        (
            "Malware found on a production server",
            "",
            C::AttackerInProduction,
            Sev1,
            false,
            "malware=\"Malware\"",
        ),
        (
            "Identity vendor breached, heads-up",
            "News about a breach at an identity provider's support system. We do not use that vendor for anything; checked the SSO config and the vendor list.",
            C::ThirdPartyIncident,
            Sev3,
            true,
            "more like third_party_incident than cloud_admin_compromise",
        ),
        // A bug bounty platform's name is not a hacker, nor a hack.
        (
            "[HackerOne] Reflected XSS on the help page",
            "",
            C::MinorVulnerability,
            Sev3,
            false,
            "minor_weakness=\"Reflected XSS\"",
        ),
        (
            "[YesWeHack] Missing rate limit on password reset",
            "",
            C::MinorVulnerability,
            Sev3,
            false,
            "minor_weakness=\"Missing rate limit\"",
        ),
    ];
    check_verdicts(cases);
}

/// Each (title, description or "", class, severity, needs triage, a word
/// of the evidence) is judged so.
/// No rule placed the report in `class` (whatever else it was judged).
fn assert_not_placed(a: &Assessment, class: &str) {
    let rule = format!("class:{class}");
    assert!(
        !a.reasons.iter().any(|r| r.rule == rule),
        "placed as {class}: {:?}",
        a.reasons
    );
}

fn check_verdicts(cases: &[(&str, &str, C, Severity, bool, &str)]) {
    for (t, d, class, sev, triage, why) in cases {
        let a = if d.is_empty() { title(t) } else { titled(t, d) };
        assert_eq!(
            (a.class, a.severity, a.needs_triage),
            (*class, *sev, *triage),
            "{t}: {:?}",
            a.reasons
        );
        assert!(
            a.reasons.iter().any(|r| r.evidence.contains(why)),
            "{t}: {:?}",
            a.reasons
        );
    }
}

/// A doubt before a dismissal undoes it; a tabletop and a drill dismiss,
/// and one of an incident that would page is flagged, so it still pages.
#[test]
fn dismissal_doubt_and_drill_table() {
    let cases: &[(&str, C, Severity)] = &[
        (
            "I don't think this one is a false alarm: an unknown admin user appeared in the prod database",
            C::AttackerInProduction,
            Sev1,
        ),
        (
            "This is not a drill: ransomware note on the production file servers",
            C::AttackerInProduction,
            Sev1,
        ),
        (
            "Drill: the production database password leaked on a paste site",
            C::Informational,
            Sev4,
        ),
        (
            "Annual IR drill: a simulated leak of the production database password on a paste site",
            C::Informational,
            Sev4,
        ),
        (
            "Tabletop: simulated ransomware on the production file servers, Thursday 10:00",
            C::Informational,
            Sev4,
        ),
        // Whoever one picks: an authentication bypass, FirstTry's Critical.
        (
            "pentest: you can log in as any user by editing the unsigned session cookie",
            C::CriticalVulnerability,
            Sev1,
        ),
    ];
    for (t, class, sev) in cases {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity),
            (*class, *sev),
            "{t}: {:?}",
            a.reasons
        );
        // A dismissed page-worthy incident still pages, to be triaged.
        assert_eq!(a.needs_triage, *sev == Sev4, "{t}: {:?}", a.reasons);
    }
}

/// Access kept after its owner left, then used, is someone no longer
/// entitled at the data or the account; kept and unused it stays stale.
/// Work about an incident type, a fix already out and a push blocked
/// before it left are not incidents; from a paging class they are flagged.
#[test]
fn leavers_access_used_and_work_about_incidents_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Ex-employee still pulling customer exports",
            "",
            C::DataBreach,
            Sev1,
            false,
            "former_member=\"Ex-employee\"",
        ),
        (
            "Former contractor logged in to the AWS console last night",
            "",
            C::CloudAdminCompromise,
            Sev1,
            false,
            "actually_used=\"logged in\"",
        ),
        (
            "Former employee still has access to the admin panel, not used since she left",
            "",
            C::StaleAccess,
            Sev4,
            true,
            "stale=\"still has\"",
        ),
        (
            "Write runbook for compromised CI token",
            "",
            C::Informational,
            Sev4,
            true,
            "dismissal=\"Write runbook\"",
        ),
        (
            "Critical CVE already remediated",
            "",
            C::Informational,
            Sev4,
            true,
            "dismissal=\"already remediated\"",
        ),
        (
            "Secret scanning push protection blocked prod token",
            "",
            C::Informational,
            Sev4,
            true,
            "dismissal=\"push protection blocked\"",
        ),
    ];
    check_verdicts(cases);
}

/// Taking back an earlier message dismisses nothing in this one; an
/// informational verdict beside a production credential is flagged.
#[test]
fn retraction_and_informational_credential_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Ignore my earlier message: the production Stripe secret key is in a public GitHub repo",
            "",
            C::LeakedProductionSecret,
            Sev2,
            false,
            "exposure=\"public\"",
        ),
        (
            "Disregard the previous alert, an attacker is logged into the AWS root account",
            "",
            C::CloudAdminCompromise,
            Sev1,
            false,
            "intruder=\"attacker\"",
        ),
        // "Never mind" and "nvm" dismiss on their own; about an earlier
        // message they must not.
        (
            "Never mind my last message, the production database password is pasted in a public Slack channel",
            "",
            C::LeakedProductionSecret,
            Sev2,
            false,
            "exposure=\"pasted\"",
        ),
        (
            "nvm the earlier ping: someone logged into the AWS root account and turned off CloudTrail",
            "",
            C::CloudAdminCompromise,
            Sev1,
            false,
            "privileged_identity=\"root account\"",
        ),
        // A retraction of this report still dismisses it.
        (
            "Never mind, the alert was a false positive from our scanner",
            "",
            C::Informational,
            Sev4,
            false,
            "dismissal=\"Never mind\"",
        ),
        (
            "Documentation gap: the install guide still shows the production admin token in its example",
            "",
            C::Informational,
            Sev4,
            true,
            "a production credential named: credential=\"token\"",
        ),
        (
            "Documentation gap: the install guide lacks a section on proxies",
            "",
            C::Informational,
            Sev4,
            false,
            "informational=\"Documentation gap\"",
        ),
    ];
    check_verdicts(cases);
}

/// Accounts taken over at scale, told only by what was seen: logins that
/// worked, or recovery details changed on many accounts by a program or by
/// someone the owners disown. A count reads as "many"; a ticket number
/// does not.
#[test]
fn account_takeover_at_scale_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Login throttling absent",
            "stuffing attack under way against the sign-in page, 450k tries since 02:00, around 900 logins succeeded into tenant accounts",
            C::ActiveExploitation,
            Sev1,
            false,
            "mass_scale=\"900 logins\"",
        ),
        (
            "Heads up on sign-ins",
            "roughly 1,200 customer accounts were logged into overnight from a botnet of residential IPs",
            C::ActiveExploitation,
            Sev1,
            false,
            "automation=\"botnet\"",
        ),
        (
            "Recovery emails",
            "the recovery email on 350 accounts was changed this afternoon and the owners say it wasn't them",
            C::ActiveExploitation,
            Sev1,
            false,
            "unauthorized=\"wasn't them\"",
        ),
        // Its words read as a failed control, which pages no one; the
        // rule's SEV-1 reading asks for triage, so the primary is paged.
        (
            "Email verification step can be skipped",
            "bots are skipping the verification on hundreds of accounts an hour",
            C::FailedControl,
            Sev3,
            true,
            "a rule read it as active_exploitation (SEV-1)",
        ),
        // A count in words is a count.
        (
            "Contact emails",
            "Several thousand customers had their contact email replaced overnight with addresses they do not know.",
            C::ActiveExploitation,
            Sev1,
            false,
            "mass_scale=\"thousand customers\"",
        ),
        // With no one named, recovery details changed in bulk are still
        // for a person to look at (an alarm rule in the policy file).
        (
            "FYI: login emails",
            "about 300 account emails were changed to addresses at one new domain this morning",
            C::Informational,
            Sev4,
            true,
            "what lets owners back in changed on many accounts: mass_scale=\"300 account emails\"",
        ),
        // An attempt that got nowhere stays suspicious access.
        (
            "Credential stuffing against the login page",
            "3k attempts in an hour, none succeeded, the limiter held",
            C::SuspiciousAccess,
            Sev3,
            false,
            "suspicious=\"Credential stuffing\"",
        ),
    ];
    check_verdicts(cases);
    // A bulk change the customer asked for is no attack: no program or
    // stranger made it, and a ticket's number is not a count; ordinary
    // logins and a bot's routine work at volume are not a takeover.
    for (t, d) in [
        (
            "Upgrade went fine",
            "We didn't see any issue: 200 users logged in after the upgrade and the dashboards are green.",
        ),
        (
            "Password reset helper",
            "The support bot answered 150 password-reset emails overnight, as designed.",
        ),
        (
            "Bulk email domain change for Initech",
            "support changed the login email on 800 accounts to the new domain after the customer's rebrand",
        ),
        (
            "SEC-1131 customers report slow logins",
            "p95 login latency doubled since the 14:00 deploy",
        ),
    ] {
        assert_not_placed(&titled(t, d), "active_exploitation");
    }
}

/// A quiet title over a body that tells an incident in flat words: a change
/// to what we publish by someone not us, compute in regions we never use,
/// and a body whose words alone read like a paging class.
#[test]
fn framing_title_over_a_plain_incident_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Heads-up: app listing",
            "The Marketplace listing's descriptor now points at a new host; the edit was made by a vendor account not on our team.",
            C::AttackerInProduction,
            Sev1,
            false,
            "unexpected_change=\"not on our team\"",
        ),
        (
            "Billing line items",
            "Forty GPU instances are running in ap-east-1 and sa-east-1; we only deploy to eu-west-1.",
            C::CloudAdminCompromise,
            Sev1,
            false,
            "unused_region=\"we only deploy to\"",
        ),
        // An advisory that does not reach us dismisses; what it would have
        // paged is flagged, so the primary still looks.
        (
            "Critical RCE advisory for Jenkins: it doesn't apply to us, that server was retired last year",
            "",
            C::Informational,
            Sev4,
            true,
            "dismissal=\"doesn't apply to us\"",
        ),
        (
            "Critical deserialization CVE in the Data Center edition; our impact: none, we are cloud only",
            "",
            C::Informational,
            Sev4,
            true,
            "dismissal=\"our impact: none\"",
        ),
    ];
    check_verdicts(cases);
    // An outsider's change we signed off is not an attacker's; a question
    // naming where we run is not compute in an unused region.
    let a = titled(
        "Marketplace listing screenshots updated",
        "A contractor not on our team updated them; the change was reviewed and approved by marketing.",
    );
    assert_not_placed(&a, "attacker_in_production");
    let a = title(
        "Question: can we use ap-south-1 for the new cache? Right now we only run in eu-central-1",
    );
    assert_not_placed(&a, "cloud_admin_compromise");
    // An upstream package's backdoor is not a change to what we publish.
    let a = title("Upstream backdoor found in a distro package; our images are unaffected");
    assert_not_placed(&a, "attacker_in_production");
    // The title frames it as routine; the body tells a breach (our data
    // copied out by addresses not ours), and the title does not lower it.
    let a = titled(
        "Informational scanner finding: open directory on the downloads host",
        "The folder holds prod-backup.sql.gz; the access log shows two downloads of it from addresses in a VPS provider range.",
    );
    assert_eq!(
        (a.class, a.severity),
        (C::DataBreach, Sev1),
        "{:?}",
        a.reasons
    );
    // A body whose words alone read as a paging class, where no rule
    // places it, is flagged for triage.
    let a = titled(
        "Informational scanner finding: open directory on the downloads host",
        "The folder holds prod-backup.sql.gz; the access log shows two downloads of it this week.",
    );
    assert!(a.needs_triage, "{:?}", a.reasons);
}

/// Our data copied out by an address that is not ours reads as taken,
/// whatever the title calls it; our own copies, a denied try and a
/// negated one do not.
#[test]
fn our_data_taken_by_an_outside_address_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Open S3 listing",
            "Two IPs from a hosting range fetched customers-2026-11.csv last night",
            C::DataBreach,
            Sev1,
            false,
            "outside_source=\"hosting range\"",
        ),
        (
            "Nightly db backup downloaded from an unusual ASN",
            "",
            C::DataBreach,
            Sev1,
            false,
            "retrieval=\"downloaded\"",
        ),
        (
            "Directory listing on the docs host",
            "The folder had invoices.zip; the access log shows it was pulled by addresses that don't belong to us",
            C::DataBreach,
            Sev1,
            false,
            "outside_source=\"don't belong to\"",
        ),
        (
            "A .git folder on www",
            "the config holding the prod database password was downloaded by external IPs on Sunday",
            C::LeakedProductionSecret,
            Sev2,
            false,
            "outside_source=\"external IPs\"",
        ),
    ];
    check_verdicts(cases);
    for (t, d) in [
        (
            "Restore test",
            "Our staff downloaded the backup from the office to test a restore",
        ),
        (
            "Backup bucket review",
            "No external IPs downloaded the backup; the bucket was private",
        ),
        (
            "Invoices page",
            "Customers download their invoices as a csv export",
        ),
    ] {
        assert_not_placed(&titled(t, d), "data_breach");
    }
}

/// A vendor's incident that took what is ours is our breach or our leaked
/// secret, and the word counts do not talk it down; one that may not have
/// reached us, or did not, stays the vendor's incident.
#[test]
fn a_vendors_incident_that_took_ours_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Vendor notice: our e-signature provider confirms our customers' signed contracts were copied out in their breach",
            "",
            C::DataBreach,
            Sev1,
            false,
            "exfiltration=\"copied out\"",
        ),
        (
            "Provider incident",
            "Our secrets-manager vendor says the attacker decrypted stored values, including our production database password.",
            C::LeakedProductionSecret,
            Sev2,
            false,
            "taken=\"decrypted\"",
        ),
    ];
    check_verdicts(cases);
    for (t, d) in [
        (
            "Vendor incident at our email provider",
            "They say it is unclear whether our customer mailing list was accessed; we are checking.",
        ),
        (
            "Our analytics vendor had a breach",
            "They confirm no customer data of ours was accessed.",
        ),
    ] {
        let a = titled(t, d);
        assert_not_placed(&a, "data_breach");
        assert_not_placed(&a, "leaked_production_secret");
    }
}

/// An advisory for what we do not run or run fixed, writing about a kind of
/// incident, and a report found invalid explain themselves away; the same
/// words around a live incident do not hide it.
#[test]
fn not_applicable_and_paperwork_are_dismissed_table() {
    for t in [
        "Critical RCE advisory for Fortinet FortiOS: we don't run it, no Fortinet gear here",
        "Critical OpenSSL CVE: our base images are already on the fixed version",
        "Critical CVE in the Jenkins plugin we uninstalled last year",
        "Customer wants a copy of our breach notification policy document",
        "Privilege escalation report is invalid: the tester was already an admin on that site",
    ] {
        let a = title(t);
        assert_eq!(a.class, C::Informational, "{t}: {:?}", a.reasons);
        assert!(!a.severity.pages_oncall(), "{t}: {:?}", a.severity);
    }
    // Still incidents: the advisory is ours and in use; a policy document
    // that was itself taken.
    for t in [
        "Critical RCE in our file-upload service is being exploited now, patch not applied yet",
        "Attacker exfiltrated our customer database export last night",
    ] {
        let a = title(t);
        assert_eq!(a.severity, Sev1, "{t}: {:?}", a.reasons);
        assert_ne!(a.class, C::Informational, "{t}: {:?}", a.reasons);
    }
}

/// An intrusion told in commands (a shell from an address not ours, a
/// database dump), logging switched off before a copy, and sign-in material
/// anyone can forge or be handed, whatever the title calls them.
#[test]
fn told_in_commands_and_consequences_table() {
    let cases: &[(&str, &str, C, Severity, bool, &str)] = &[
        (
            "Odd login on db-prod-2",
            "psexec to the production file server from a residential IP at 03:10",
            C::AttackerInProduction,
            Sev1,
            false,
            "remote_shell=\"psexec\"",
        ),
        (
            "Suspicious activity on the orders database",
            "mongodump ran against the production cluster from an unknown host",
            C::DataBreach,
            Sev1,
            false,
            "dump_tool=\"mongodump\"",
        ),
        (
            "Audit logging gap",
            "The CloudTrail trail was stopped at 01:02 and an aws s3 sync of the exports bucket started at 01:05",
            C::DataBreach,
            Sev1,
            false,
            "switched_off=\"stopped\"",
        ),
        (
            "Low: reset flow",
            "The password reset token is predictable: it is the user id and the hour",
            C::HighVulnerability,
            Sev2,
            false,
            "auth_weakness=\"predictable\"",
        ),
    ];
    check_verdicts(cases);
    // Our own work, and material that is sound, are none of these.
    for (t, d, class) in [
        (
            "Maintenance",
            "Ana opened an SSH session on prod-api to rotate the logs",
            "attacker_in_production",
        ),
        (
            "Backup job",
            "The nightly pg_dump of the production database finished in 12 minutes",
            "data_breach",
        ),
        (
            "Session review",
            "Session cookies are signed, HttpOnly and expire after 12 hours",
            "high_vulnerability",
        ),
    ] {
        assert_not_placed(&titled(t, d), class);
    }
}

/// A phrase does not end inside a contraction: "confirmed it wasn't them"
/// is not the dismissal "confirmed it was".
#[test]
fn a_phrase_does_not_end_inside_a_contraction() {
    let body = |who: &str| {
        format!(
            "CreateUser and AttachUserPolicy (AdministratorAccess) on the admin user from an ASN we never use; the owner confirmed it {who}."
        )
    };
    let a = titled("Heads-up from the on-call", &body("wasn't them"));
    assert_ne!(a.class, C::Informational, "{:?}", a.reasons);
    assert!(a.severity.pages_oncall(), "{:?}", a.reasons);
    // Said plainly, it is the dismissal.
    let a = titled("Heads-up from the on-call", &body("was her, setting up CI"));
    assert_eq!(a.class, C::Informational, "{:?}", a.reasons);
}

/// A report that says its own dismissal is wrong is not dismissed; the
/// dismissal alone still is.
#[test]
fn a_reversed_dismissal_does_not_dismiss_table() {
    for t in [
        "Drill cancelled, real incident: ransomware encrypting the production file server",
        "It was not our scanner: someone ran sqlmap against prod and dumped the users table",
        "Not part of the exercise: an attacker is in the production cluster, the red team's IPs are blocked",
    ] {
        let a = title(t);
        assert_ne!(a.class, C::Informational, "{t}: {:?}", a.reasons);
        assert_eq!(a.severity, Sev1, "{t}: {:?}", a.reasons);
    }
    // The dismissal's own words do not negate the reversal after them.
    let a = title("The 'false positive' was real: the EC2 instance is mining crypto for someone");
    assert_ne!(a.class, C::Informational, "{:?}", a.reasons);
    for t in [
        "Ransomware drill on the production file server went as planned",
        "It was our scanner: the sqlmap traffic against prod came from the weekly DAST job",
    ] {
        let a = title(t);
        assert_eq!(a.class, C::Informational, "{t}: {:?}", a.reasons);
    }
}

#[test]
fn a_dismissal_covers_only_what_comes_before_a_contrast_table() {
    // What follows the contrast is judged on its own, and pages.
    for (t, want) in [
        (
            "The scanner hit on the QA box was benign, however the live Twilio auth token sits in our public npm package",
            Sev2,
        ),
        (
            "Drill went fine; separately, someone outside exported the tenants table from the prod database last night",
            Sev1,
        ),
        (
            "That Okta alert was a false alarm, but an unknown device is signed in as our AWS root user",
            Sev1,
        ),
        // The contrast after the last dismissal is what counts.
        (
            "The drill went fine; the drill debrief is booked. Afterwards, an unknown device signed in as our AWS root user",
            Sev1,
        ),
    ] {
        let a = title(t);
        assert_eq!(a.severity, want, "{t}: {:?}", a.reasons);
        assert!(
            a.reasons.iter().any(|r| r.rule == "dismissal-scoped"),
            "{t}: the reason names the scoped dismissal: {:?}",
            a.reasons
        );
    }
    // A contrast whose rest would not page, or a dismissal after the
    // contrast, leaves the report dismissed.
    for t in [
        "False positive from our own scanner, but we will tune the rule next sprint",
        "Looked like an attacker in prod, but it was our scheduled pentest",
        "It was a drill, but the on-call took 25 minutes to acknowledge",
    ] {
        let a = title(t);
        assert_eq!(a.class, C::Informational, "{t}: {:?}", a.reasons);
    }
}

#[test]
fn a_body_that_tells_an_alarm_plainly_is_not_lowered_by_its_words_table() {
    // The body restates the alarm with nothing to explain it: it stands.
    for (t, d) in [
        (
            "Marketing site on our domain compromised",
            "A vulnerable plugin was exploited and the site now serves a malware installer to visitors.",
        ),
        (
            "Edge VPN appliance exploited",
            "The vendor's advisory matches what we see: the appliance was exploited and a web shell dropped on it.",
        ),
    ] {
        let a = titled(t, d);
        assert!(a.severity.pages_oncall(), "{t}: {:?}", a.reasons);
        assert_ne!(a.class, C::Informational, "{t}: {:?}", a.reasons);
    }
    // A body that explains the alarm away still lowers it.
    let a = titled(
        "Malware alert on a prod worker",
        "False positive: the scanner flagged our own test file, the EICAR sample.",
    );
    assert_eq!(a.class, C::Informational, "{:?}", a.reasons);
}

#[test]
fn an_access_told_as_unused_is_stale_table() {
    for t in [
        "Deploy key with write on the billing repo, unused since 2021",
        "Three people who left still hold admin on the old analytics account; nobody uses it",
        "App password for the former agency's CI still has repo write; last used in 2022",
    ] {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity),
            (C::StaleAccess, Sev4),
            "{t}: {:?}",
            a.reasons
        );
    }
    // Told as used, it is not stale.
    for t in [
        "Unused deploy key on the billing repo was used last night to push a commit",
        "The former engineer's admin account, unused since 2022, logged in to the AWS console this morning",
    ] {
        let a = title(t);
        assert!(a.severity.pages_oncall(), "{t}: {:?}", a.reasons);
    }
}

#[test]
fn a_body_lowers_its_title_only_when_it_explains_table() {
    // A body that only tells more of the attack does not lower a paging
    // title, however its words compare.
    let a = titled(
        "Working SSRF on the customer-facing webhook tester is being used to pull instance metadata credentials",
        "WAF logs show calls to 169.254.169.254 via /hooks/check succeeding since 09:40. The credentials returned can read the app's S3 buckets.",
    );
    assert!(a.severity.pages_oncall(), "{:?}", a.reasons);
    // One that explains it (our own, a ticket, a check that came back
    // clean) still may.
    let a = titled(
        "Root login alert on the payer account",
        "Quarterly root credential check by two people under the dual control procedure, recorded in change ticket CHG-88.",
    );
    assert!(!a.severity.pages_oncall(), "{:?}", a.reasons);
}

#[test]
fn a_secret_someone_checked_works_is_leaked_table() {
    for t in [
        "Bounty: the build page shows the publish token; I verified it's valid and did nothing else, please rotate",
        "Researcher confirmed the key works against your production API and asked us to revoke it",
    ] {
        let a = title(t);
        assert!(a.severity.pages_oncall(), "{t}: {:?}", a.reasons);
    }
}

#[test]
fn idioms_hold_a_facts_words_without_the_fact_table() {
    // "Nothing to do with" dismisses nothing; a "fake login page" is a lure.
    let a = titled(
        "Customer email: we got a notification about a ticket that is not ours",
        "It holds another company's customer names and their complaint. We have nothing to do with that company.",
    );
    assert_ne!(a.class, C::Informational, "{:?}", a.reasons);
    let a = title(
        "Customers say our sign-in page sends them to a fake login page that asks for their Atlassian password",
    );
    assert_ne!(a.class, C::NonProductionSecret, "{:?}", a.reasons);
    // An advisory for a library we do not use is informational.
    let a = title("Critical CVE advisory for a library we don't use");
    assert_eq!(a.class, C::Informational, "{:?}", a.reasons);
}

#[test]
fn customers_data_in_public_and_a_privileged_sign_in_from_outside_table() {
    for (t, want) in [
        (
            "records from about 150 customer sites turned up in a public gist",
            Sev1,
        ),
        (
            "ALERT prod-db: login as the postgres superuser from an address not in the allowlist",
            Sev1,
        ),
    ] {
        let a = title(t);
        assert_eq!(a.severity, want, "{t}: {:?}", a.reasons);
    }
    // Our own sign-in from a listed address is none of that.
    let a = title(
        "login as the postgres superuser from an allowlisted bastion during the planned maintenance window",
    );
    assert!(
        !a.severity.pages_oncall() || a.needs_triage,
        "{:?}",
        a.reasons
    );
}

#[test]
fn a_providers_incident_not_known_to_reach_us_is_theirs_table() {
    for t in [
        "Our error-tracking vendor says some projects' API tokens were exposed in a bug on their side; ours not confirmed",
        "Hosting provider disclosed unauthorised access to a storage cluster; investigation ongoing, are we affected?",
    ] {
        let a = title(t);
        assert_eq!(a.class, C::ThirdPartyIncident, "{t}: {:?}", a.reasons);
    }
    // Told as used against us, the reach is known: the rule does not speak.
    let a = title(
        "Our error-tracking vendor was breached and the stolen API token was used to log in to our admin console; ours not confirmed by them yet",
    );
    assert!(
        !a.reasons
            .iter()
            .any(|r| r.evidence.contains("reach_unclear")),
        "{:?}",
        a.reasons
    );
}

#[test]
fn a_stolen_secret_is_not_data_exfiltration_table() {
    // The seeds' SEV-1 is confirmed data exfiltration; a secret taken is
    // its own class's SEV-2.
    for t in [
        "The deploy token our release pipeline uses was stolen and used to start jobs overnight",
        "Pull request from a fork exfiltrated the CI environment's secrets",
    ] {
        let a = title(t);
        assert_eq!(a.severity, Sev2, "{t}: {:?}", a.reasons);
    }
    // Data taken with a stolen secret is still the breach it is.
    let a = title(
        "Attacker exfiltrated the customers table from prod using a stolen database password",
    );
    assert_eq!(a.severity, Sev1, "{:?}", a.reasons);
}

#[test]
fn what_we_ship_changed_by_someone_not_us_is_an_attacker_in_production_table() {
    for t in [
        "Tampered release: the v4.1.0 artefact's hash doesn't match what CI built",
        "The npm package we publish was updated with a version none of us released",
    ] {
        let a = title(t);
        assert_eq!(
            (a.class, a.severity),
            (C::AttackerInProduction, Sev1),
            "{t}: {:?}",
            a.reasons
        );
    }
    // An upstream tool tampered with is the provider's: not this reading.
    let a = title("The upstream coverage uploader we pulled was the tampered one");
    assert_ne!(a.class, C::AttackerInProduction, "{:?}", a.reasons);
}

#[test]
fn a_secret_used_from_an_address_not_ours_is_compromised_table() {
    let a = title(
        "The deploy service account key for our CI is being used from a residential IP, and the developer says it is not them",
    );
    assert_eq!(a.class, C::CompromisedCiToken, "{:?}", a.reasons);
    // Our own runner using it is expected.
    let a = title(
        "The deploy service account key for our CI is used from a residential IP by our own build runner",
    );
    assert!(
        !a.reasons
            .iter()
            .any(|r| r.evidence.contains("outside_source=\"residential IP\"")
                && r.rule == "class:compromised_ci_token"),
        "{:?}",
        a.reasons
    );
}
