//! The message templates: the built-in set, compiled once, and a team's own
//! files in their place (`KLAXON_TEMPLATE_DIR`).

use minijinja::Environment;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

/// The templates that ship in the binary; a test renders each one.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "page.sms.txt",
        include_str!("../../templates/notify/page.sms.txt"),
    ),
    (
        "page.subject.txt",
        include_str!("../../templates/notify/page.subject.txt"),
    ),
    (
        "page.email.txt",
        include_str!("../../templates/notify/page.email.txt"),
    ),
    (
        "triage.subject.txt",
        include_str!("../../templates/notify/triage.subject.txt"),
    ),
    (
        "triage.email.txt",
        include_str!("../../templates/notify/triage.email.txt"),
    ),
    (
        "clock.subject.txt",
        include_str!("../../templates/notify/clock.subject.txt"),
    ),
    (
        "clock.email.txt",
        include_str!("../../templates/notify/clock.email.txt"),
    ),
    (
        "ack.subject.txt",
        include_str!("../../templates/notify/ack.subject.txt"),
    ),
    (
        "ack.email.txt",
        include_str!("../../templates/notify/ack.email.txt"),
    ),
    (
        "status_update.txt",
        include_str!("../../templates/notify/status_update.txt"),
    ),
    (
        "severity_notification.txt",
        include_str!("../../templates/notify/severity_notification.txt"),
    ),
    (
        "customer_notice.txt",
        include_str!("../../templates/notify/customer_notice.txt"),
    ),
    (
        "atlassian_report.txt",
        include_str!("../../templates/notify/atlassian_report.txt"),
    ),
    (
        "patch_release.txt",
        include_str!("../../templates/notify/patch_release.txt"),
    ),
    (
        "changelog_notice.txt",
        include_str!("../../templates/notify/changelog_notice.txt"),
    ),
];

/// Why a template could not be used. Each names the template (and, for a
/// team's own, its directory).
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// A file in the template directory that exists but cannot be read.
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A template that does not compile: start-up stops.
    #[error("{name}: {error}")]
    Compile {
        name: String,
        error: minijinja::Error,
    },
    /// An edited template that refers to something missing at render time.
    #[error("template {name}: {error}")]
    Render {
        name: String,
        error: minijinja::Error,
    },
}

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

static BUILTIN_TEMPLATES: LazyLock<Arc<Templates>> = LazyLock::new(|| {
    // A test compiles every built-in template, so this cannot fail in a release.
    Arc::new(
        Templates::from_sources(BUILTIN.iter().map(|(n, s)| (*n, s.to_string())))
            .unwrap_or_else(|e| panic!("built-in template: {e}")),
    )
});

impl Templates {
    pub fn builtin() -> Arc<Templates> {
        Arc::clone(&BUILTIN_TEMPLATES)
    }

    fn from_sources<'a>(
        sources: impl Iterator<Item = (&'a str, String)>,
    ) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        // Plain text: nothing to escape, and line breaks are the layout.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env.set_keep_trailing_newline(false);
        for (name, src) in sources {
            env.add_template_owned(name.to_owned(), src)
                .map_err(|error| TemplateError::Compile {
                    name: name.to_owned(),
                    error,
                })?;
        }
        Ok(Self { env })
    }

    /// The built-in templates, each replaced by a file of the same name in
    /// `dir` if there is one. A template that does not compile stops start-up.
    pub fn load(dir: &Path) -> Result<Self, TemplateError> {
        let mut sources = Vec::new();
        for (name, builtin) in BUILTIN {
            let path = dir.join(name);
            let src = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (*builtin).to_owned(),
                Err(error) => return Err(TemplateError::Read { path, error }),
            };
            sources.push((*name, src));
        }
        Self::from_sources(sources.into_iter()).map_err(|e| match e {
            TemplateError::Compile { name, error } => TemplateError::Compile {
                name: format!("{}/{name}", dir.display()),
                error,
            },
            other => other,
        })
    }

    pub(super) fn render(
        &self,
        name: &str,
        ctx: &minijinja::Value,
    ) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(|s| s.trim().to_owned())
            .map_err(|error| TemplateError::Render {
                name: name.to_owned(),
                error,
            })
    }
}
