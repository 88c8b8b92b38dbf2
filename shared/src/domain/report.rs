//! A report as it arrives from any intake path, parsed into something safe
//! to store: validated, trimmed and redacted.

use super::redact::RedactedText;
use serde::{Deserialize, Serialize};

/// The raw fields of a report, from the form, JSON or a webhook normaliser.
/// Every field is optional here so that a missing one gets a precise message
/// instead of a generic serde error.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ReportInput {
    /// The form calls it "summary".
    #[serde(alias = "summary")]
    pub title: Option<String>,
    pub description: Option<String>,
    pub steps_to_reproduce: Option<String>,
    pub impact: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    /// The affected app or product; checked against the configured list.
    pub product: Option<String>,
    pub cvss: Option<String>,
    /// The affected customer site, as a URL.
    pub site_url: Option<String>,
    pub tenant: Option<String>,
    #[serde(default, deserialize_with = "flexible_bool")]
    pub contact_consent: bool,
    /// Read only to be refused: a report never starts a drill (issue 16).
    /// Drills are incidents of [`super::Source::Drill`], which only
    /// `POST /api/v1/drills` (a commander) opens.
    #[serde(default, deserialize_with = "flexible_bool")]
    pub drill: bool,
    /// Facts the sender may state; `None` leaves assessment to the text.
    #[serde(default)]
    pub customer_data_involved: Option<bool>,
    #[serde(default)]
    pub atlassian_systems_affected: Option<bool>,
    #[serde(default)]
    pub production: Option<bool>,
    /// Set by webhook normalisers, never by reporters.
    #[serde(skip)]
    pub signal: Option<SourceSignal>,
}

/// Forms send checkboxes as "on"; JSON sends booleans.
fn flexible_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(t) => matches!(
            t.trim().to_ascii_lowercase().as_str(),
            "on" | "true" | "yes" | "1"
        ),
    })
}

/// What the sending system itself said about severity: an input to assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceSignal {
    /// e.g. `guardduty`, `security_hub`, `pagerduty`, `github:dependabot_alert`.
    pub kind: String,
    /// The sender's own severity word, e.g. `HIGH`, `critical`: free text
    /// from the sender (Connect and Forge `severity`, Jira priority).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<RedactedText>,
    /// A numeric severity where the sender has one (GuardDuty's 1.0-10.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// A validated report. Every text field is [`RedactedText`]: free text
/// from outside is redacted here, at the edge, and cannot be stored raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: RedactedText,
    pub description: RedactedText,
    pub steps_to_reproduce: Option<RedactedText>,
    pub impact: Option<RedactedText>,
    pub reporter_name: Option<RedactedText>,
    pub reporter_email: Option<RedactedText>,
    pub product: Option<RedactedText>,
    pub cvss: Option<RedactedText>,
    pub site_url: Option<RedactedText>,
    pub tenant: Option<RedactedText>,
    pub contact_consent: bool,
    pub customer_data_involved: Option<bool>,
    pub atlassian_systems_affected: Option<bool>,
    pub production: Option<bool>,
    pub signal: Option<SourceSignal>,
    /// The kinds of secret removed, in the order found.
    pub redactions: Vec<String>,
}

/// One field that failed validation, with a message a reporter can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

pub const MAX_TITLE: usize = 200;
pub const MAX_TEXT: usize = 32 * 1024;
const MAX_SHORT: usize = 254;
const MAX_CVSS: usize = 200;
const MAX_URL: usize = 2048;

impl Report {
    pub fn parse(input: ReportInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field, message: String| errors.push(FieldError { field, message });

        // Limits count what was sent, surrounding whitespace included, as
        // the OpenAPI maxLength does; the stored value is trimmed.
        let title_sent = chars(&input.title);
        let title = clean(input.title);
        match &title {
            None => err("title", "title (summary) is required".into()),
            Some(_) if title_sent > MAX_TITLE => err(
                "title",
                format!("title (summary) must be at most {MAX_TITLE} characters"),
            ),
            Some(t) if !super::plain::is_one_line(t) => err(
                "title",
                "title (summary) must be a single line of plain text: no control, line-separator or text-direction characters".into(),
            ),
            _ => {}
        }
        let mut long_text = |field: &'static str, v: Option<String>| {
            let sent = v.as_ref().map_or(0, String::len);
            let v = clean(v);
            if v.is_some() && sent > MAX_TEXT {
                err(field, format!("{field} must be at most {MAX_TEXT} bytes"));
            }
            v
        };
        let description = long_text("description", input.description);
        let steps = long_text("steps_to_reproduce", input.steps_to_reproduce);
        let impact = long_text("impact", input.impact);

        let name_sent = chars(&input.reporter_name);
        let reporter_name = clean(input.reporter_name);
        if reporter_name
            .as_ref()
            .is_some_and(|n| name_sent > MAX_SHORT || n.chars().any(char::is_control))
        {
            err(
                "reporter_name",
                format!("reporter_name must be one line of at most {MAX_SHORT} characters"),
            );
        }
        let reporter_email = clean(input.reporter_email);
        if let Some(e) = &reporter_email
            && !looks_like_email(e)
        {
            err(
                "reporter_email",
                "reporter_email must look like name@example.com, or be left out".into(),
            );
        }
        let product_sent = chars(&input.product);
        let product = clean(input.product);
        if product.is_some() && product_sent > MAX_SHORT {
            err(
                "product",
                format!("product must be at most {MAX_SHORT} characters"),
            );
        }
        let cvss_sent = chars(&input.cvss);
        let cvss = clean(input.cvss);
        if cvss.is_some() && cvss_sent > MAX_CVSS {
            err(
                "cvss",
                format!("cvss must be at most {MAX_CVSS} characters"),
            );
        }
        let site_url = clean(input.site_url);
        let tenant_sent = chars(&input.tenant);
        let mut tenant = clean(input.tenant);
        if let Some(u) = &site_url {
            match site_host(u) {
                Some(host) => {
                    tenant.get_or_insert(host);
                }
                None => err(
                    "site_url",
                    "site_url must be an http(s) URL such as https://acme.atlassian.net".into(),
                ),
            }
        }
        if let Some(t) = &tenant
            && (t.len() > MAX_SHORT
                || tenant_sent > MAX_SHORT
                || t.chars().any(char::is_whitespace)
                || !super::plain::is_one_line(t))
        {
            err(
                "tenant",
                format!(
                    "tenant must be a site name without spaces, at most {MAX_SHORT} characters"
                ),
            );
        }

        if input.drill {
            err(
                "drill",
                "drill cannot be set on a report: a commander starts drills with POST /api/v1/drills"
                    .into(),
            );
        }

        let Some(title) = title.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        let mut kinds = Vec::new();
        // The form's text fields in their order, each read after the one
        // before it: a title that says the password is in the description,
        // steps that end in `with this password:` and the impact's value.
        let title = RedactedText::redact(&title, &mut kinds);
        let description =
            RedactedText::redact_after(&title, &description.unwrap_or_default(), &mut kinds);
        let steps = steps.map(|s| RedactedText::redact_after(&description, &s, &mut kinds));
        let impact = impact.map(|s| {
            RedactedText::redact_after(steps.as_ref().unwrap_or(&description), &s, &mut kinds)
        });
        let mut scrub = |s: String| RedactedText::redact(&s, &mut kinds);
        let report = Self {
            title,
            description,
            steps_to_reproduce: steps,
            impact,
            reporter_name: reporter_name.map(&mut scrub),
            reporter_email: reporter_email.map(&mut scrub),
            product: product.map(&mut scrub),
            cvss: cvss.map(&mut scrub),
            site_url: site_url.map(&mut scrub),
            tenant: tenant.map(&mut scrub),
            contact_consent: input.contact_consent,
            customer_data_involved: input.customer_data_involved,
            atlassian_systems_affected: input.atlassian_systems_affected,
            production: input.production,
            // Redacted as the normaliser built it (`From` redacts).
            signal: input.signal,
            redactions: Vec::new(),
        };
        Ok(Self {
            redactions: kinds.into_iter().map(str::to_owned).collect(),
            ..report
        })
    }
}

/// The characters sent, before trimming.
fn chars(s: &Option<String>) -> usize {
    s.as_ref().map_or(0, |s| s.chars().count())
}

/// A text with nothing a person can see is no text: zero-width spaces and
/// other invisible format characters do not make a title.
fn clean(s: Option<String>) -> Option<String> {
    // Most fields come trimmed already: those are kept, not copied.
    s.map(|s| {
        let t = s.trim();
        if t.len() == s.len() { s } else { t.to_owned() }
    })
    .filter(|s| s.chars().any(|c| !c.is_whitespace() && !invisible(c)))
}

/// Zero-width and other format characters that show nothing.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
        || super::plain::steers_text(c)
}

fn looks_like_email(e: &str) -> bool {
    e.len() <= MAX_SHORT
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

/// The host of an http(s) URL, lower-cased: the tenant a site URL names.
fn site_host(u: &str) -> Option<String> {
    if u.len() > MAX_URL || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    let ok = !host.is_empty()
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: Option<&str>) -> ReportInput {
        ReportInput {
            title: title.map(Into::into),
            description: Some("desc".into()),
            ..Default::default()
        }
    }

    #[test]
    fn validation_table() {
        let long = "x".repeat(MAX_TITLE + 1);
        let cases: Vec<(ReportInput, Option<&str>)> = vec![
            (input(Some("XSS in macro")), None),
            (input(None), Some("title")),
            (input(Some("   ")), Some("title")),
            (input(Some(&long)), Some("title")),
            // Limits count what was sent: 199 characters and two spaces is 201.
            (
                input(Some(&format!(" {} ", "x".repeat(MAX_TITLE - 1)))),
                Some("title"),
            ),
            (
                input(Some(&format!(" {} ", "x".repeat(MAX_TITLE - 2)))),
                None,
            ),
            (input(Some("two\nlines")), Some("title")),
            // Nothing visible is no title; text that turns itself around or
            // breaks the line is not one line of plain text.
            (input(Some("\u{200B}\u{200B} \u{FEFF}")), Some("title")),
            (input(Some("invoice\u{202E}fdp.exe")), Some("title")),
            (input(Some("one\u{2028}two")), Some("title")),
            (input(Some("Caf\u{00E9} XSS")), None),
            (
                ReportInput {
                    reporter_email: Some("not-an-email".into()),
                    ..input(Some("t"))
                },
                Some("reporter_email"),
            ),
            (
                ReportInput {
                    reporter_email: Some("a@b.co".into()),
                    ..input(Some("t"))
                },
                None,
            ),
            (
                ReportInput {
                    reporter_email: Some("  ".into()),
                    ..input(Some("t"))
                },
                None,
            ),
            (
                ReportInput {
                    tenant: Some("acme site".into()),
                    ..input(Some("t"))
                },
                Some("tenant"),
            ),
            (
                ReportInput {
                    tenant: Some("acme.example\u{202e}".into()),
                    ..input(Some("t"))
                },
                Some("tenant"),
            ),
            (
                ReportInput {
                    description: Some("d".repeat(MAX_TEXT + 1)),
                    ..input(Some("t"))
                },
                Some("description"),
            ),
            (
                ReportInput {
                    impact: Some("d".repeat(MAX_TEXT + 1)),
                    ..input(Some("t"))
                },
                Some("impact"),
            ),
            // Issue 16, finding 4: a report cannot start a drill.
            (
                ReportInput {
                    drill: true,
                    ..input(Some("t"))
                },
                Some("drill"),
            ),
            (
                ReportInput {
                    site_url: Some("ftp://x.y".into()),
                    ..input(Some("t"))
                },
                Some("site_url"),
            ),
            (
                ReportInput {
                    site_url: Some("https://".into()),
                    ..input(Some("t"))
                },
                Some("site_url"),
            ),
            (
                ReportInput {
                    site_url: Some("https://Acme.atlassian.net/wiki".into()),
                    ..input(Some("t"))
                },
                None,
            ),
        ];
        for (i, (inp, bad_field)) in cases.into_iter().enumerate() {
            match (Report::parse(inp), bad_field) {
                (Ok(_), None) => {}
                (Err(errs), Some(f)) => assert_eq!(errs[0].field, f, "case {i}"),
                (got, want) => panic!("case {i}: got {got:?}, wanted error on {want:?}"),
            }
        }
    }

    #[test]
    fn site_url_names_the_tenant() {
        let r = Report::parse(ReportInput {
            site_url: Some("https://Acme.atlassian.net/wiki/x".into()),
            ..input(Some("t"))
        })
        .unwrap();
        assert_eq!(r.tenant.as_deref(), Some("acme.atlassian.net"));
    }

    #[test]
    fn every_text_field_is_redacted_and_counted() {
        let r = Report::parse(ReportInput {
            title: Some("leak of AKIAIOSFODNN7EXAMPLE".into()),
            description: Some(
                "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
                    .into(),
            ),
            steps_to_reproduce: Some(
                "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345'".into(),
            ),
            impact: Some("password=hunter2hunter2".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(!r.title.contains("AKIA"), "{}", r.title);
        assert!(!r.description.contains("dozjg"), "{}", r.description);
        assert!(!r.steps_to_reproduce.unwrap().contains("abcdefghijklmnop"));
        assert!(!r.impact.unwrap().contains("hunter2"));
        assert_eq!(
            r.redactions,
            [
                "aws-access-key-id",
                "jwt",
                "authorization",
                "credential-assignment"
            ]
        );
    }

    /// A value one field labels and the next holds: a title that says the
    /// password is in the description, steps that end with its label and
    /// the impact that holds it. Their twins keep their text.
    #[test]
    fn a_value_labelled_by_the_field_before_is_redacted() {
        let parse = |title: &str, description: &str, steps: Option<&str>, impact: Option<&str>| {
            Report::parse(ReportInput {
                title: Some(title.into()),
                description: Some(description.into()),
                steps_to_reproduce: steps.map(Into::into),
                impact: impact.map(Into::into),
                ..Default::default()
            })
            .unwrap()
        };
        let found = [
            (
                "Password for db01 in the description",
                "Kt1rEn1DJh0^",
                None,
                None,
                "Kt1rEn1DJh0^",
            ),
            (
                "creds",
                "see steps",
                Some("log in as admin with this password:"),
                Some("Wq3#xLp8Tz5v"),
                "Wq3#xLp8Tz5v",
            ),
            ("root pw below", "Mn6!cVr2Hs9k", None, None, "Mn6!cVr2Hs9k"),
            (
                "creds",
                "the login for the NAS is in the steps",
                Some("Bz4%kQw7Yt1p"),
                None,
                "Bz4%kQw7Yt1p",
            ),
        ];
        for (title, description, steps, impact, secret) in found {
            let r = parse(title, description, steps, impact);
            let stored = [
                Some(r.title.as_str()),
                Some(r.description.as_str()),
                r.steps_to_reproduce.as_deref(),
                r.impact.as_deref(),
            ];
            assert!(
                stored.iter().flatten().all(|t| !t.contains(secret)),
                "{secret}: {stored:?}"
            );
            assert!(!r.redactions.is_empty(), "{secret}");
        }
        let kept = [
            (
                "Password reset emails fail",
                "Users see error 500 since 10:00 UTC.",
                None,
                None,
            ),
            (
                "Token leaked in CI logs",
                "Rotated at 03:12; build 2.4.8+20261207.1 is clean.",
                Some("Open the job log"),
                Some("None: the token was revoked"),
            ),
            (
                "login page down",
                "Since deploy 8b0e715 the SSO page returns 502.",
                None,
                None,
            ),
        ];
        for (title, description, steps, impact) in kept {
            let r = parse(title, description, steps, impact);
            assert!(
                r.redactions.is_empty(),
                "{title}: {:?} {}",
                r.redactions,
                r.description
            );
            assert_eq!(r.description.as_str(), description);
        }
    }

    #[test]
    fn checkbox_values() {
        let cases = [
            ("\"on\"", true),
            ("true", true),
            ("\"off\"", false),
            ("false", false),
        ];
        for (v, want) in cases {
            let i: ReportInput =
                serde_json::from_str(&format!("{{\"contact_consent\": {v}}}")).unwrap();
            assert_eq!(i.contact_consent, want, "{v}");
        }
    }
}
