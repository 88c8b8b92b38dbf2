//! A report as it arrives, parsed into something safe to store.

use super::redact::redact;
use serde::{Deserialize, Serialize};

/// The raw body of `POST /reports`. Every field is optional here so that a
/// missing one gets a precise message instead of a generic serde error.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReportInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub reporter_email: Option<String>,
    pub cvss: Option<String>,
    pub tenant: Option<String>,
    #[serde(default)]
    pub drill: bool,
}

/// A validated report. The description is redacted on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub description: String,
    pub reporter_email: Option<String>,
    pub cvss: Option<String>,
    pub tenant: Option<String>,
    pub drill: bool,
}

/// One field that failed validation, with a message a reporter can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 32 * 1024;
const MAX_EMAIL: usize = 254;
const MAX_CVSS: usize = 200;
const MAX_TENANT: usize = 255;

impl Report {
    pub fn parse(input: ReportInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field, message: String| errors.push(FieldError { field, message });

        let title = clean(input.title);
        match &title {
            None => err("title", "title is required".into()),
            Some(t) if t.chars().count() > MAX_TITLE => err(
                "title",
                format!("title must be at most {MAX_TITLE} characters"),
            ),
            Some(t) if t.chars().any(char::is_control) => {
                err("title", "title must be a single line of text".into())
            }
            _ => {}
        }
        let description = clean(input.description).unwrap_or_default();
        if description.len() > MAX_DESCRIPTION {
            err(
                "description",
                format!("description must be at most {MAX_DESCRIPTION} bytes"),
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
        let cvss = clean(input.cvss);
        if cvss.as_ref().is_some_and(|c| c.len() > MAX_CVSS) {
            err(
                "cvss",
                format!("cvss must be at most {MAX_CVSS} characters"),
            );
        }
        let tenant = clean(input.tenant);
        if let Some(t) = &tenant
            && (t.len() > MAX_TENANT || t.chars().any(|c| c.is_control() || c.is_whitespace()))
        {
            err(
                "tenant",
                format!(
                    "tenant must be a site name or URL without spaces, at most {MAX_TENANT} characters"
                ),
            );
        }

        match title {
            Some(title) if errors.is_empty() => Ok(Self {
                title: redact(&title).into_owned(),
                description: redact(&description).into_owned(),
                reporter_email,
                cvss,
                tenant,
                drill: input.drill,
            }),
            _ => Err(errors),
        }
    }
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn looks_like_email(e: &str) -> bool {
    e.len() <= MAX_EMAIL
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
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
            (input(Some("two\nlines")), Some("title")),
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
                    description: Some("d".repeat(MAX_DESCRIPTION + 1)),
                    ..input(Some("t"))
                },
                Some("description"),
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
    fn description_is_redacted_on_parse() {
        let r = Report::parse(ReportInput {
            description: Some("key AKIAIOSFODNN7EXAMPLE leaked".into()),
            ..input(Some("t"))
        })
        .unwrap();
        assert!(
            !r.description.contains("AKIAIOSFODNN7EXAMPLE"),
            "{}",
            r.description
        );
    }
}
