//! Policy: the incident response plans as data and pure functions.
//!
//! - [`classify`]: the severity engine (facts in, an explainable assessment out),
//!   reading words with [`text`], finding [`facts`] by the [`lexicon`]'s tables.
//! - [`calendar`]: business days in the vendor's zone.
//! - [`duration`]: the policy file's durations.
//! - [`recipients`](mod@recipients): who is told what about each event.
//! - This module: the policy file itself and the deadlines it sets.

pub mod calendar;
pub mod classify;
pub mod clocks;
pub mod duration;
pub mod facts;
pub mod lexicon;
pub mod linear;
pub mod nearest;
pub mod reach;
pub mod recipients;
pub mod second;
pub mod text;

pub use classify::{DEFAULT_SEVERITY, Facts};
pub use lexicon::Judgement;
pub use recipients::recipients;

use crate::domain::oncall::{PersonId, ScheduleId};
use crate::domain::{Assessment, Audience, Deadline, DeadlineKind, Play, Severity};
use calendar::{Calendar, CalendarSpec};
use chrono::{DateTime, Duration, Utc};
use duration::Span;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// The built-in policy, the seeds' tables, as a file a team can copy and
/// edit: the deadlines and paging, then the severity engine's tables.
pub const DEFAULT_POLICY: &str = concat!(
    include_str!("../../policy/default.toml"),
    "\n",
    include_str!("../../policy/judgement.toml")
);
/// The deadlines and paging alone: what a cold start parses. The engine's
/// tables are compiled on the first assessment, not at start-up. Both
/// without their comment lines (`build.rs`), which only a copy needs.
const BASE_POLICY: &str = include_str!(concat!(env!("OUT_DIR"), "/default.toml"));
const JUDGEMENT_TABLES: &str = include_str!(concat!(env!("OUT_DIR"), "/judgement.toml"));

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeverityPolicy {
    pub ack: Span,
    pub notify: Span,
    pub response_target: Span,
    #[serde(default)]
    pub status_update_every: Option<Span>,
    pub fix: Span,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligations {
    pub atlassian_report: Span,
    pub customer_notice: Span,
    pub post_incident_review: Span,
    pub post_incident_review_for: Vec<Severity>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    calendar: CalendarSpec,
    severity: BTreeMap<String, SeverityPolicy>,
    obligations: Obligations,
    #[serde(default)]
    clocks: Option<ClocksFile>,
    #[serde(default)]
    escalation: BTreeMap<String, EscalationFile>,
    #[serde(default)]
    retention: Option<RetentionFile>,
    #[serde(default)]
    plays: Option<BTreeMap<Play, Vec<String>>>,
    #[serde(default)]
    closure: Option<Vec<Criterion>>,
    #[serde(default)]
    judgement: Option<lexicon::JudgementFile>,
    #[serde(default)]
    triage: Option<TriageFile>,
    #[serde(default)]
    oncall: Option<OncallFile>,
}

fn yes() -> bool {
    true
}

/// `[triage]`: how a report the engine cannot place is triaged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TriageFile {
    ack: Span,
    #[serde(default = "yes")]
    at_night: bool,
    levels: Vec<LevelFile>,
    #[serde(default)]
    repeat: Option<u8>,
    #[serde(default)]
    repeat_after: Option<Span>,
}

/// Triage of what the engine cannot place ("needs triage"): who is paged,
/// how soon it must be acknowledged, and whether pages wait for the
/// working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triage {
    pub ack: Span,
    pub at_night: bool,
    pub escalation: Escalation,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionFile {
    after_closure_days: u32,
}

/// A closure criterion from `[[closure]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub key: String,
    pub text: String,
    /// Only these severities; all when absent.
    #[serde(default)]
    pub severities: Option<Vec<Severity>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClocksFile {
    reminders: Vec<String>,
    remind: Audience,
    breach: Audience,
}

/// One level as written: exactly one of `schedule`, `person` or `audience`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelFile {
    #[serde(default)]
    audience: Option<Audience>,
    #[serde(default)]
    schedule: Option<String>,
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    after: Option<Span>,
}

impl LevelFile {
    fn target(&self) -> Result<Target, String> {
        let named: Vec<&str> = [
            self.schedule.as_ref().map(|_| "schedule"),
            self.person.as_ref().map(|_| "person"),
            self.audience.as_ref().map(|_| "audience"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if named.len() != 1 {
            let it = if named.is_empty() {
                "none".to_owned()
            } else {
                named.join(" and ")
            };
            return Err(format!(
                "must name exactly one of schedule, person or audience (it names {it})"
            ));
        }
        let slug = |e: crate::domain::oncall::RosterError| format!("{}: {}", e.field, e.rule);
        match (&self.schedule, &self.person, self.audience) {
            (Some(s), _, _) => ScheduleId::parse("schedule", s)
                .map(Target::Schedule)
                .map_err(slug),
            (_, Some(p), _) => PersonId::parse("person", p)
                .map(Target::Person)
                .map_err(slug),
            (_, _, Some(a)) => Ok(Target::Audience(a)),
            _ => Err("must name exactly one of schedule, person or audience".into()),
        }
    }
}

/// `[oncall]`: the notices the escalate sweep sends about the roster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct OncallFile {
    #[serde(default)]
    handoff_notice: Option<Span>,
    #[serde(default)]
    coverage_days: Option<u16>,
}

/// What the sweep tells people about the roster: each person a handoff
/// notice `handoff_notice` before their shift, and `warn` (the security
/// team: the escalate function may publish only there and to the paging
/// topic) of coverage gaps in the next `coverage_ahead` and of people no
/// page can reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oncall {
    /// `None`: no handoff notices.
    pub handoff_notice: Option<Duration>,
    pub coverage_ahead: Duration,
    pub warn: Audience,
}

impl Default for Oncall {
    fn default() -> Self {
        Self {
            handoff_notice: Some(Duration::hours(1)),
            coverage_ahead: Duration::days(14),
            warn: Audience::SecurityTeam,
        }
    }
}

impl Oncall {
    fn from_file(f: OncallFile) -> Result<Self, String> {
        let at = |m: String| format!("[oncall]: {m}");
        let handoff_notice = match f.handoff_notice {
            Some(s) => {
                let d = fixed(Some(s), "handoff_notice").map_err(at)?;
                (d > Duration::zero()).then_some(d)
            }
            None => Self::default().handoff_notice,
        };
        let days = f.coverage_days.unwrap_or(14);
        if !(1..=90).contains(&days) {
            return Err(at("coverage_days must be 1 to 90".into()));
        }
        Ok(Self {
            handoff_notice,
            coverage_ahead: Duration::days(i64::from(days)),
            warn: Audience::SecurityTeam,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalationFile {
    levels: Vec<LevelFile>,
    #[serde(default)]
    repeat: Option<u8>,
    #[serde(default)]
    repeat_after: Option<Span>,
    #[serde(default)]
    stale_ack_after: Option<Span>,
    #[serde(default)]
    stale_escalate_after: Option<Span>,
    #[serde(default)]
    stale_remind: Option<Audience>,
    #[serde(default)]
    breach: Option<Audience>,
}

/// Deadline reminders and breaches, for every severity.
#[derive(Debug, Clone, PartialEq)]
pub struct Clocks {
    /// Fractions of each deadline's time, ascending, each in (0, 1).
    pub reminders: Vec<f64>,
    /// Who is reminded before a deadline.
    pub remind: Audience,
    /// Who hears of a breach, unless the severity's escalation names someone.
    pub breach: Audience,
}

impl Default for Clocks {
    fn default() -> Self {
        Self {
            reminders: vec![0.5, 0.8],
            remind: Audience::SecurityTeam,
            breach: Audience::IncidentManager,
        }
    }
}

/// Who a level pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Whoever is on call for the schedule when the level fires.
    Schedule(ScheduleId),
    /// One person.
    Person(PersonId),
    /// A topic: everyone subscribed to it.
    Audience(Audience),
}

/// The topic pages to people go to: each person's subscriptions on it
/// filter on the `person` attribute (docs/oncall.md).
pub const PAGING_TOPIC: Audience = Audience::OncallPrimary;

impl Target {
    /// The topic a page at this level is published to.
    pub fn audience(&self) -> Audience {
        match self {
            Self::Audience(a) => *a,
            Self::Schedule(_) | Self::Person(_) => PAGING_TOPIC,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Schedule(s) => write!(f, "schedule {s}"),
            Self::Person(p) => write!(f, "person {p}"),
            Self::Audience(a) => write!(f, "{a}"),
        }
    }
}

/// One paging level: who, and how long after the previous level fired
/// unanswered (for the first level, after triage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub target: Target,
    pub after: Duration,
}

impl Level {
    /// The topic this level publishes to.
    pub fn audience(&self) -> Audience {
        self.target.audience()
    }
}

/// A severity's paging policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Never empty.
    pub levels: Vec<Level>,
    /// How many times the whole list runs before paging gives up.
    pub repeat: u8,
    /// The pause between the last level of one round and the first of the next.
    pub repeat_after: Duration,
    /// An acknowledged incident with no status update for this long reminds
    /// `stale_remind`; `stale_escalate_after` later it pages again.
    pub stale_ack_after: Option<Duration>,
    pub stale_escalate_after: Duration,
    pub stale_remind: Audience,
    pub breach: Option<Audience>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub calendar: Calendar,
    severities: BTreeMap<Severity, SeverityPolicy>,
    pub obligations: Obligations,
    pub clocks: Clocks,
    escalations: BTreeMap<Severity, Escalation>,
    /// How long a closed incident is kept.
    pub retention: Duration,
    plays: BTreeMap<Play, Vec<String>>,
    closure: Vec<Criterion>,
    /// The severity engine's tables.
    pub judgement: Tables,
    pub triage: Triage,
    /// Handoff notices and coverage warnings.
    pub oncall: Oncall,
}

/// The plans keep incident records for 2 years after closure.
const DEFAULT_RETENTION_DAYS: i64 = 730;

impl crate::domain::Checklists for Policy {
    fn play_steps(&self, play: Play) -> &[String] {
        self.plays.get(&play).map(Vec::as_slice).unwrap_or_default()
    }

    fn closure_for(&self, severity: Severity) -> Vec<(&str, &str)> {
        self.closure
            .iter()
            .filter(|c| c.severities.as_ref().is_none_or(|s| s.contains(&severity)))
            .map(|c| (c.key.as_str(), c.text.as_str()))
            .collect()
    }
}

/// The plan, as the domain's lifecycle asks for it.
impl crate::domain::Lifecycle for Policy {
    fn review_deadline(
        &self,
        severity: Severity,
        resolved_at: chrono::DateTime<chrono::Utc>,
    ) -> Option<crate::domain::Deadline> {
        Policy::review_deadline(self, severity, resolved_at)
    }

    fn retention(&self) -> chrono::Duration {
        self.retention
    }

    fn reschedule(&self, incident: &mut crate::domain::Incident) {
        clocks::schedule(incident, self);
    }
}

/// A paging delay must be wall-clock time: business days make no sense at 3 a.m.
fn fixed(span: Option<Span>, what: &str) -> Result<Duration, String> {
    match span {
        None => Ok(Duration::zero()),
        Some(Span::Fixed(d)) => Ok(d),
        Some(other) => Err(format!(
            "{what} must be a fixed duration such as 90s or 10m, not {other:?}",
            other = other.to_string()
        )),
    }
}

fn percent(s: &str) -> Result<f64, String> {
    let bad = || format!("reminder {s:?} must be a percentage between 1% and 99%, such as \"50%\"");
    let n: f64 = s
        .trim()
        .strip_suffix('%')
        .ok_or_else(bad)?
        .trim()
        .parse()
        .map_err(|_| bad())?;
    if n > 0.0 && n < 100.0 {
        Ok(n / 100.0)
    } else {
        Err(bad())
    }
}

impl Clocks {
    fn from_file(f: ClocksFile) -> Result<Self, String> {
        let reminders = f
            .reminders
            .iter()
            .map(|r| percent(r))
            .collect::<Result<Vec<_>, _>>()?;
        if reminders.windows(2).any(|w| w[0] >= w[1]) {
            return Err("[clocks] reminders must be in ascending order".into());
        }
        Ok(Self {
            reminders,
            remind: f.remind,
            breach: f.breach,
        })
    }
}

impl Escalation {
    fn from_file(name: &str, f: EscalationFile) -> Result<Self, String> {
        let at = |m: String| format!("[escalation.{name}]: {m}");
        if f.levels.is_empty() {
            return Err(at("levels must name at least one level".into()));
        }
        let levels = f
            .levels
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(Level {
                    target: l.target().map_err(|m| at(format!("level {} {m}", i + 1)))?,
                    after: fixed(l.after, &format!("level {} after", i + 1)).map_err(at)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let repeat = f.repeat.unwrap_or(1);
        if repeat == 0 {
            return Err(at("repeat must be at least 1".into()));
        }
        // Without a stated pause, a new round waits as long as the last step did.
        let last = levels.last().map(|l| l.after).unwrap_or_default();
        let repeat_after = match f.repeat_after {
            Some(s) => fixed(Some(s), "repeat_after").map_err(at)?,
            None if last > Duration::zero() => last,
            None => Duration::minutes(10),
        };
        let stale_ack_after = match f.stale_ack_after {
            Some(s) => Some(fixed(Some(s), "stale_ack_after").map_err(at)?),
            None => None,
        };
        let stale_escalate_after = match f.stale_escalate_after {
            Some(s) => fixed(Some(s), "stale_escalate_after").map_err(at)?,
            None => Duration::minutes(15),
        };
        Ok(Self {
            levels,
            repeat,
            repeat_after,
            stale_ack_after,
            stale_escalate_after,
            stale_remind: f.stale_remind.unwrap_or(Audience::OncallPrimary),
            breach: f.breach,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("policy is invalid: {0}")]
    Invalid(String),
}

type ChecklistTables = (BTreeMap<Play, Vec<String>>, Vec<Criterion>);

/// The built-in plays and closure criteria, read from the default file.
fn builtin_checklists() -> Result<ChecklistTables, PolicyError> {
    #[derive(Deserialize)]
    struct Only {
        plays: BTreeMap<Play, Vec<String>>,
        closure: Vec<Criterion>,
    }
    let only: Only =
        toml::from_str(BASE_POLICY).map_err(|e| PolicyError::Invalid(e.to_string()))?;
    Ok((only.plays, only.closure))
}

/// The built-in severity engine tables.
fn builtin_judgement() -> Result<lexicon::JudgementFile, PolicyError> {
    #[derive(Deserialize)]
    struct Only {
        judgement: lexicon::JudgementFile,
    }
    let only: Only =
        toml::from_str(JUDGEMENT_TABLES).map_err(|e| PolicyError::Invalid(e.to_string()))?;
    Ok(only.judgement)
}

static BUILTIN_JUDGEMENT: LazyLock<Judgement> = LazyLock::new(|| {
    // The tables ship in the binary and a test compiles them.
    builtin_judgement()
        .and_then(|f| Judgement::compile(&f).map_err(PolicyError::Invalid))
        .unwrap_or_else(|e| panic!("built-in severity tables: {e}"))
});

/// The engine's tables: the built-in ones (compiled when first used) or a
/// policy file's own (compiled, and so checked, when the file is read).
#[derive(Debug, Clone)]
pub enum Tables {
    Builtin,
    Own(Arc<Judgement>),
}

impl std::ops::Deref for Tables {
    type Target = Judgement;

    fn deref(&self) -> &Judgement {
        match self {
            Self::Builtin => &BUILTIN_JUDGEMENT,
            Self::Own(j) => j,
        }
    }
}

fn builtin_triage() -> Result<TriageFile, PolicyError> {
    #[derive(Deserialize)]
    struct Only {
        triage: TriageFile,
    }
    let only: Only =
        toml::from_str(BASE_POLICY).map_err(|e| PolicyError::Invalid(e.to_string()))?;
    Ok(only.triage)
}

impl Triage {
    fn from_file(f: TriageFile) -> Result<Self, String> {
        if f.ack == Span::Backlog {
            return Err("[triage] ack needs a real duration, not backlog".into());
        }
        let escalation = Escalation::from_file(
            "triage",
            EscalationFile {
                levels: f.levels,
                repeat: f.repeat,
                repeat_after: f.repeat_after,
                stale_ack_after: None,
                stale_escalate_after: None,
                stale_remind: None,
                breach: None,
            },
        )
        .map_err(|e| e.replace("[escalation.triage]", "[triage]"))?;
        Ok(Self {
            ack: f.ack,
            at_night: f.at_night,
            escalation,
        })
    }
}

static BUILTIN: LazyLock<Arc<Policy>> = LazyLock::new(|| {
    // The default file ships in the binary and a test parses it.
    Arc::new(Policy::parse(BASE_POLICY).unwrap_or_else(|e| panic!("built-in policy: {e}")))
});

impl Default for Policy {
    fn default() -> Self {
        BUILTIN.as_ref().clone()
    }
}

impl Policy {
    pub fn builtin() -> Arc<Policy> {
        Arc::clone(&BUILTIN)
    }

    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| PolicyError::Invalid(e.to_string()))?;
        let calendar = Calendar::from_spec(&file.calendar).map_err(PolicyError::Invalid)?;
        let mut severities = BTreeMap::new();
        for (name, p) in file.severity {
            let sev: Severity = name
                .parse()
                .map_err(|e| PolicyError::Invalid(format!("[severity.{name}]: {e}")))?;
            if p.ack == Span::Backlog || p.notify == Span::Backlog {
                return Err(PolicyError::Invalid(format!(
                    "[severity.{name}]: ack and notify need a real duration, not backlog"
                )));
            }
            severities.insert(sev, p);
        }
        for sev in Severity::ALL {
            if !severities.contains_key(&sev) {
                return Err(PolicyError::Invalid(format!(
                    "[severity.{sev}] is missing: every severity needs its deadlines"
                )));
            }
        }
        let clocks = match file.clocks {
            Some(c) => Clocks::from_file(c).map_err(PolicyError::Invalid)?,
            None => Clocks::default(),
        };
        let mut escalations = BTreeMap::new();
        for (name, e) in file.escalation {
            let sev: Severity = name
                .parse()
                .map_err(|e| PolicyError::Invalid(format!("[escalation.{name}]: {e}")))?;
            escalations.insert(
                sev,
                Escalation::from_file(&name, e).map_err(PolicyError::Invalid)?,
            );
        }
        let retention = match file.retention {
            Some(r) if r.after_closure_days == 0 => {
                return Err(PolicyError::Invalid(
                    "[retention] after_closure_days must be at least 1".into(),
                ));
            }
            Some(r) if r.after_closure_days > duration::MAX_DAYS => {
                return Err(PolicyError::Invalid(format!(
                    "[retention] after_closure_days must be at most {} (about 100 years)",
                    duration::MAX_DAYS
                )));
            }
            Some(r) => Duration::days(i64::from(r.after_closure_days)),
            None => Duration::days(DEFAULT_RETENTION_DAYS),
        };
        // A policy written before plays existed gets the built-in ones.
        let (plays, closure) = match (file.plays, file.closure) {
            (Some(p), Some(c)) => (p, c),
            (p, c) => {
                let builtin = builtin_checklists()?;
                (p.unwrap_or(builtin.0), c.unwrap_or(builtin.1))
            }
        };
        for (play, steps) in &plays {
            if steps.iter().any(|s| s.trim().is_empty()) {
                return Err(PolicyError::Invalid(format!(
                    "[plays] {play:?} has an empty step"
                )));
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for c in &closure {
            if c.key.trim().is_empty() || c.text.trim().is_empty() || !keys.insert(&c.key) {
                return Err(PolicyError::Invalid(format!(
                    "[[closure]] {:?}: every criterion needs a unique key and a text",
                    c.key
                )));
            }
        }
        let compile =
            |f: lexicon::JudgementFile| Judgement::compile(&f).map_err(PolicyError::Invalid);
        let judgement = match file.judgement {
            None => Tables::Builtin,
            Some(own) if !own.extends_builtin => Tables::Own(Arc::new(compile(own)?)),
            Some(own) => Tables::Own(Arc::new(compile(builtin_judgement()?.extended_by(own))?)),
        };
        let triage = match file.triage {
            Some(t) => Triage::from_file(t).map_err(PolicyError::Invalid)?,
            None => Triage::from_file(builtin_triage()?).map_err(PolicyError::Invalid)?,
        };
        let oncall = match file.oncall {
            Some(o) => Oncall::from_file(o).map_err(PolicyError::Invalid)?,
            None => Oncall::default(),
        };
        Ok(Self {
            calendar,
            severities,
            obligations: file.obligations,
            clocks,
            escalations,
            retention,
            plays,
            closure,
            judgement,
            triage,
            oncall,
        })
    }

    /// The paging policy for a severity; `None` means it pages no one.
    pub fn escalation(&self, sev: Severity) -> Option<&Escalation> {
        self.escalations.get(&sev)
    }

    /// The paging policy an incident is under: triage's while it needs
    /// triage (unless its severity pages anyway), else its severity's.
    pub fn escalation_for(&self, inc: &crate::domain::Incident) -> Option<&Escalation> {
        let own = inc.severity.and_then(|s| self.escalation(s));
        match own {
            None if inc.needs_triage() => Some(&self.triage.escalation),
            own => own,
        }
    }

    /// Every schedule and person a level names, in any escalation or in
    /// triage: what the sweep reads from the roster before it pages.
    pub fn roster_targets(&self) -> Vec<&Target> {
        let mut out: Vec<&Target> = self
            .escalations
            .values()
            .chain(std::iter::once(&self.triage.escalation))
            .flat_map(|e| e.levels.iter().map(|l| &l.target))
            .filter(|t| !matches!(t, Target::Audience(_)))
            .collect();
        out.sort_by_key(|t| t.to_string());
        out.dedup();
        out
    }

    /// The severity engine on this policy's tables.
    pub fn assess(&self, facts: &Facts<'_>) -> Assessment {
        classify::assess(&self.judgement, facts)
    }

    /// What the second reader reads of a report, and the rules' verdict
    /// before it (for its trainer).
    pub fn reader_features(&self, facts: &Facts<'_>) -> (Vec<(String, f64)>, Assessment) {
        classify::features(&self.judgement, facts)
    }

    /// A drill plays out the scenario it was started with, whatever its
    /// text says: that class, its play and severity, and no triage.
    pub fn play_drill(&self, a: &mut Assessment, sc: crate::domain::DrillScenario) {
        a.class = sc.class;
        a.play = self.judgement.play(sc.class);
        a.severity = sc.severity;
        a.needs_triage = false;
    }

    /// Who hears that a deadline of this severity was breached.
    pub fn breach_audience(&self, sev: Option<Severity>) -> Audience {
        sev.and_then(|s| self.escalation(s))
            .and_then(|e| e.breach)
            .unwrap_or(self.clocks.breach)
    }

    pub fn load(path: &std::path::Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            PolicyError::Invalid(m) => PolicyError::Invalid(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    pub fn for_severity(&self, sev: Severity) -> &SeverityPolicy {
        // `parse` guarantees every severity is present.
        &self.severities[&sev]
    }

    fn due(&self, kind: DeadlineKind, span: Span, from: DateTime<Utc>) -> Option<Deadline> {
        self.calendar
            .resolve(span, from)
            .map(|due_at| Deadline::new(kind, from, due_at))
    }

    /// The deadlines an assessment owes: SLAs from the report, obligations
    /// from confirmation (triage).
    pub fn deadlines(
        &self,
        a: &Assessment,
        reported_at: DateTime<Utc>,
        confirmed_at: DateTime<Utc>,
    ) -> Vec<Deadline> {
        let p = self.for_severity(a.severity);
        let o = &self.obligations;
        let mut out = Vec::new();
        // Needing triage, it must be acknowledged as soon as triage asks;
        // triage that waits for the working day counts from its start, as
        // its page does (see `clocks::arm`).
        let ack = self.due(DeadlineKind::Acknowledge, p.ack, reported_at);
        let triage_from = if self.triage.at_night || self.escalation(a.severity).is_some() {
            reported_at
        } else {
            self.calendar.working_time(reported_at)
        };
        let triage_ack = a
            .needs_triage
            .then(|| self.due(DeadlineKind::Acknowledge, self.triage.ack, triage_from))
            .flatten();
        out.extend(match (ack, triage_ack) {
            (Some(a), Some(t)) if t.due_at < a.due_at => Some(t),
            (a, t) => a.or(t),
        });
        out.extend(self.due(DeadlineKind::Notify, p.notify, reported_at));
        out.extend(self.due(DeadlineKind::ResponseTarget, p.response_target, reported_at));
        if let Some(every) = p.status_update_every {
            out.extend(self.due(DeadlineKind::StatusUpdate, every, confirmed_at));
        }
        if a.flags.atlassian_notification_required {
            out.extend(self.due(
                DeadlineKind::AtlassianReport,
                o.atlassian_report,
                confirmed_at,
            ));
        }
        if a.flags.customer_notification_required {
            out.extend(self.due(
                DeadlineKind::CustomerNotice,
                o.customer_notice,
                confirmed_at,
            ));
        }
        out.extend(self.due(DeadlineKind::Fix, p.fix, reported_at));
        out
    }

    /// The post-incident review, owed from resolution for the listed severities.
    pub fn review_deadline(
        &self,
        severity: Severity,
        resolved_at: DateTime<Utc>,
    ) -> Option<Deadline> {
        if self
            .obligations
            .post_incident_review_for
            .contains(&severity)
        {
            self.due(
                DeadlineKind::PostIncidentReview,
                self.obligations.post_incident_review,
                resolved_at,
            )
        } else {
            None
        }
    }
}

/// Recomputed deadlines keep what was already met; an unchanged deadline
/// keeps its clock (reminders sent, breach), a moved one starts afresh. A
/// recurring deadline (status updates) keeps its current cycle.
pub fn merge_deadlines(old: &[Deadline], new: Vec<Deadline>) -> Vec<Deadline> {
    // The review is owed from resolution, not from the assessment: keep it.
    let review: Vec<Deadline> = old
        .iter()
        .filter(|d| d.kind == DeadlineKind::PostIncidentReview)
        .filter(|d| !new.iter().any(|n| n.kind == d.kind))
        .cloned()
        .collect();
    new.into_iter()
        .map(|d| match old.iter().find(|o| o.kind == d.kind) {
            Some(prev) if prev.met_at.is_some() => Deadline {
                met_at: prev.met_at,
                next_alert_at: None,
                ..d
            },
            Some(prev) if prev.due_at == d.due_at || d.kind == DeadlineKind::StatusUpdate => {
                prev.clone()
            }
            _ => d,
        })
        .chain(review)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Flags, IncidentClass, Play};
    use chrono::Duration;

    fn assessment(sev: Severity, flags: Flags) -> Assessment {
        Assessment {
            severity: sev,
            class: IncidentClass::Unclassified,
            play: Play::Generic,
            reasons: vec![],
            cvss: None,
            flags,
            notes: vec![],
            needs_triage: false,
            confidence: Default::default(),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The tables each Lambda carries (`build.rs` leaves out comments and
    /// spaces) are the source's, value for value.
    #[test]
    fn compacted_builtin_tables_are_the_source_tables() {
        for (compact, source) in [
            (BASE_POLICY, include_str!("../../policy/default.toml")),
            (
                JUDGEMENT_TABLES,
                include_str!("../../policy/judgement.toml"),
            ),
        ] {
            let a: toml::Table = toml::from_str(compact).expect("compacted");
            let b: toml::Table = toml::from_str(source).expect("source");
            assert_eq!(a, b);
            assert!(compact.len() < source.len());
        }
    }

    #[test]
    fn builtin_policy_parses_and_matches_the_seed_table() {
        let p = Policy::builtin();
        // The engine's tables are compiled on first use: force it here.
        assert!(!p.judgement.rules.is_empty() && !p.judgement.classes.is_empty());
        let t0 = t("2026-11-23T09:00:00Z"); // a Monday
        let cases = [
            (Severity::Sev1, 4, 24, Some(t0), 4),
            (Severity::Sev2, 8, 48, Some(t("2026-11-23T17:00:00Z")), 6),
            (Severity::Sev3, 24, 120, Some(t("2026-11-24T17:00:00Z")), 8),
            (Severity::Sev4, 120, 336, None, 25),
        ];
        for (sev, ack_h, notify_h, target, fix_w) in cases {
            let d = p.deadlines(&assessment(sev, Flags::default()), t0, t0);
            let get = |k| d.iter().find(|x| x.kind == k).map(|x| x.due_at);
            assert_eq!(
                get(DeadlineKind::Acknowledge),
                Some(t0 + Duration::hours(ack_h)),
                "{sev}"
            );
            assert_eq!(
                get(DeadlineKind::Notify),
                Some(t0 + Duration::hours(notify_h)),
                "{sev}"
            );
            assert_eq!(get(DeadlineKind::ResponseTarget), target, "{sev}");
            assert_eq!(
                get(DeadlineKind::Fix),
                Some(t0 + Duration::weeks(fix_w)),
                "{sev}"
            );
            assert_eq!(
                get(DeadlineKind::StatusUpdate).is_some(),
                sev <= Severity::Sev2,
                "{sev}"
            );
            assert_eq!(get(DeadlineKind::AtlassianReport), None);
        }
    }

    /// Needing triage, the acknowledgement is triage's (1 h) when that is
    /// sooner than the severity's; with `at_night = false` it counts from
    /// the start of the working day, when triage pages.
    #[test]
    fn triage_sets_the_acknowledgement_deadline() {
        let mut a = assessment(Severity::Sev3, Flags::default());
        a.needs_triage = true;
        let ack = |p: &Policy, a: &Assessment, at: &str| {
            p.deadlines(a, t(at), t(at))
                .into_iter()
                .find(|d| d.kind == DeadlineKind::Acknowledge)
                .map(|d| (d.starts_at, d.due_at))
        };
        let p = Policy::builtin();
        let night = "2026-11-23T03:00:00Z"; // a Monday
        assert_eq!(
            ack(&p, &a, night),
            Some((t(night), t("2026-11-23T04:00:00Z")))
        );
        let quiet = Policy::parse(&DEFAULT_POLICY.replace("at_night = true", "at_night = false"))
            .expect("policy");
        assert_eq!(
            ack(&quiet, &a, night),
            Some((t("2026-11-23T09:00:00Z"), t("2026-11-23T10:00:00Z"))),
            "no breach before anyone is paged"
        );
        let day = "2026-11-23T11:00:00Z";
        assert_eq!(
            ack(&quiet, &a, day),
            Some((t(day), t("2026-11-23T12:00:00Z")))
        );
        // Not needing triage: the severity's own 24 h.
        a.needs_triage = false;
        assert_eq!(
            ack(&quiet, &a, night),
            Some((t(night), t("2026-11-24T03:00:00Z")))
        );
        // A severity whose own ack is sooner keeps it.
        let mut a = assessment(Severity::Sev1, Flags::default());
        a.needs_triage = true;
        let p =
            Policy::parse(&DEFAULT_POLICY.replace("ack = \"1h\"", "ack = \"6h\"")).expect("policy");
        assert_eq!(
            ack(&p, &a, night),
            Some((t(night), t("2026-11-23T07:00:00Z")))
        );
    }

    #[test]
    fn obligations_follow_the_flags() {
        let p = Policy::builtin();
        let (reported, confirmed) = (t("2026-11-23T09:00:00Z"), t("2026-11-23T10:00:00Z"));
        let flags = Flags {
            customer_data_involved: true,
            atlassian_notification_required: true,
            customer_notification_required: true,
        };
        let d = p.deadlines(&assessment(Severity::Sev2, flags), reported, confirmed);
        let get = |k| d.iter().find(|x| x.kind == k).map(|x| x.due_at);
        assert_eq!(
            get(DeadlineKind::AtlassianReport),
            Some(confirmed + Duration::hours(24))
        );
        assert_eq!(
            get(DeadlineKind::CustomerNotice),
            Some(confirmed + Duration::hours(72))
        );
        // Five business days after a Friday resolution: the next Friday's end of day.
        assert_eq!(
            p.review_deadline(Severity::Sev1, t("2026-11-27T12:00:00Z"))
                .map(|d| d.due_at),
            Some(t("2026-12-04T17:00:00Z"))
        );
        assert_eq!(
            p.review_deadline(Severity::Sev3, t("2026-11-27T12:00:00Z")),
            None
        );
    }

    #[test]
    fn policy_errors_are_clear() {
        let cases = [
            (
                DEFAULT_POLICY.replace("ack = \"4h\"", "ack = \"soon\""),
                "\"soon\" is not a duration",
            ),
            (
                DEFAULT_POLICY.replace("[severity.SEV-4]", "[severity.SEV-9]"),
                "SEV-9",
            ),
            (
                DEFAULT_POLICY.replace("time_zone = \"UTC\"", "time_zone = \"Nowhere/Land\""),
                "time_zone",
            ),
            (
                DEFAULT_POLICY.replace("customer_notice = \"72h\"", "customer_notise = \"72h\""),
                "customer_notise",
            ),
            (
                DEFAULT_POLICY.replace("ack = \"5d\"", "ack = \"backlog\""),
                "backlog",
            ),
        ];
        for (text, want) in cases {
            let e = Policy::parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
        let escalation_cases = [
            (
                "levels = [\n  { audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"30m\" },\n]",
                "levels = []",
                "at least one level",
            ),
            (
                "after = \"10m\"",
                "after = \"2 business days\"",
                "fixed duration",
            ),
            ("repeat = 3", "repeat = 0", "repeat must be at least 1"),
            (
                "reminders = [\"50%\", \"80%\"]",
                "reminders = [\"150%\"]",
                "between 1% and 99%",
            ),
            (
                "reminders = [\"50%\", \"80%\"]",
                "reminders = [\"80%\", \"50%\"]",
                "ascending",
            ),
            (
                "remind = \"security-team\"",
                "remind = \"oncall\"",
                "oncall",
            ),
            ("[escalation.SEV-2]", "[escalation.SEV-7]", "SEV-7"),
            // Found by the `policy` fuzz target: each of these loaded, then
            // panicked in date arithmetic (a deadline, a paging step, the
            // retention of a closed incident) or on parsing itself.
            ("ack = \"4h\"", "ack = \"49223372036807h\"", "too long"),
            ("fix = \"4w\"", "fix = \"999999999w\"", "too long"),
            ("after = \"10m\"", "after = \"999999999w\"", "too long"),
            (
                "post_incident_review = \"5 business days\"",
                "post_incident_review = \"4000000000 business days\"",
                "too long",
            ),
            (
                "after_closure_days = 730",
                "after_closure_days = 4000000000",
                "at most 36525",
            ),
        ];
        for (from, to, want) in escalation_cases {
            let text = DEFAULT_POLICY.replacen(from, to, 1);
            assert_ne!(text, DEFAULT_POLICY, "{from} not found");
            let e = Policy::parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{want}: {e}");
        }
        let custom =
            DEFAULT_POLICY.replace("customer_notice = \"72h\"", "customer_notice = \"24h\"");
        assert_eq!(
            Policy::parse(&custom).unwrap().obligations.customer_notice,
            "24h".parse().unwrap()
        );
    }

    /// A level names exactly one of schedule, person or audience; the
    /// error says which level and what it named.
    #[test]
    fn a_level_names_exactly_one_target() {
        let first = "{ audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"10m\" }";
        let with = |level: &str| {
            DEFAULT_POLICY.replacen(
                first,
                &format!("{level},\n  {{ audience = \"oncall-secondary\", after = \"10m\" }}"),
                1,
            )
        };
        assert_ne!(
            with("{ person = \"x\" }"),
            DEFAULT_POLICY,
            "the edit applies"
        );
        let sid = |s: &str| Target::Schedule(ScheduleId::parse("s", s).expect("id"));
        let pid = |s: &str| Target::Person(PersonId::parse("p", s).expect("id"));
        let ok = [
            (
                "{ schedule = \"security-primary\" }",
                sid("security-primary"),
            ),
            ("{ person = \"priya\" }", pid("priya")),
            (
                "{ audience = \"leadership\" }",
                Target::Audience(Audience::Leadership),
            ),
        ];
        for (level, want) in ok {
            let p = Policy::parse(&with(level)).unwrap_or_else(|e| panic!("{level}: {e}"));
            let sev1 = p.escalation(Severity::Sev1).expect("SEV-1");
            assert_eq!(sev1.levels[0].target, want, "{level}");
            assert_eq!(
                sev1.levels[1].target,
                Target::Audience(Audience::OncallSecondary)
            );
        }
        let refused = [
            (
                "{ after = \"1m\" }",
                "level 1 must name exactly one of schedule, person or audience (it names none)",
            ),
            (
                "{ schedule = \"a\", person = \"b\" }",
                "level 1 must name exactly one of schedule, person or audience (it names schedule and person)",
            ),
            (
                "{ person = \"b\", audience = \"comms\" }",
                "(it names person and audience)",
            ),
            ("{ schedule = \"Not A Slug\" }", "schedule: must be 1 to 64"),
            ("{ person = \"\" }", "person: must be 1 to 64"),
            ("{ team = \"x\" }", "unknown field `team`"),
        ];
        for (level, want) in refused {
            let e = Policy::parse(&with(level)).unwrap_err().to_string();
            assert!(e.contains(want), "{level}: {e}");
            if !want.starts_with("unknown") {
                assert!(e.contains("[escalation.SEV-1]"), "{e}");
            }
        }
        // The built-in policy pages topics only, so the sweep reads no roster.
        assert!(Policy::builtin().roster_targets().is_empty());
        let p = Policy::parse(&with("{ schedule = \"security-primary\" }")).expect("policy");
        assert_eq!(p.roster_targets(), vec![&sid("security-primary")]);
    }

    #[test]
    fn oncall_section_table() {
        let cases = [
            (
                "handoff_notice = \"1h\"",
                "handoff_notice = \"30m\"",
                Ok(Some(30)),
            ),
            (
                "handoff_notice = \"1h\"",
                "handoff_notice = \"0m\"",
                Ok(None),
            ),
            (
                "coverage_days = 14",
                "coverage_days = 0",
                Err("coverage_days must be 1 to 90"),
            ),
            (
                "handoff_notice = \"1h\"",
                "handoff_notice = \"1 business days\"",
                Err("fixed duration"),
            ),
        ];
        for (from, to, want) in cases {
            let text = DEFAULT_POLICY.replacen(from, to, 1);
            assert_ne!(text, DEFAULT_POLICY, "{from}");
            match (Policy::parse(&text), want) {
                (Ok(p), Ok(mins)) => assert_eq!(
                    p.oncall.handoff_notice.map(|d| d.num_minutes()),
                    mins,
                    "{to}"
                ),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{to}: {e}"),
                (got, want) => panic!("{to}: {got:?} vs {want:?}"),
            }
        }
        assert_eq!(Policy::builtin().oncall, Oncall::default());
    }

    #[test]
    fn builtin_escalation_matches_the_issue_defaults() {
        let p = Policy::builtin();
        let sev1 = p.escalation(Severity::Sev1).expect("SEV-1 pages");
        let levels: Vec<(Audience, i64)> = sev1
            .levels
            .iter()
            .map(|l| (l.audience(), l.after.num_minutes()))
            .collect();
        assert_eq!(
            levels,
            vec![
                (Audience::OncallPrimary, 0),
                (Audience::OncallSecondary, 10),
                (Audience::IncidentManager, 20)
            ]
        );
        assert_eq!(sev1.repeat, 3);
        assert_eq!(sev1.stale_ack_after, Some(Duration::hours(1)));
        let sev2 = p.escalation(Severity::Sev2).expect("SEV-2 pages");
        assert_eq!(sev2.levels.len(), 2);
        assert_eq!(sev2.levels[1].after, Duration::minutes(30));
        assert!(p.escalation(Severity::Sev3).is_none());
        assert!(p.escalation(Severity::Sev4).is_none());
        assert_eq!(p.clocks.reminders, vec![0.5, 0.8]);
        assert_eq!(
            p.breach_audience(Some(Severity::Sev1)),
            Audience::Leadership
        );
        assert_eq!(
            p.breach_audience(Some(Severity::Sev3)),
            Audience::IncidentManager
        );
    }

    #[test]
    fn merged_deadlines_keep_what_was_met() {
        let at = t("2026-11-23T09:00:00Z");
        let mut met = Deadline::new(DeadlineKind::Acknowledge, at, at);
        met.met_at = Some(at);
        let mut reminded = Deadline::new(DeadlineKind::Fix, at, at + Duration::weeks(4));
        reminded.reminders_sent = 1;
        let mut moved = Deadline::new(DeadlineKind::Notify, at, at + Duration::hours(48));
        moved.reminders_sent = 2;
        let old = vec![met, reminded.clone(), moved];
        let new = vec![
            Deadline::new(DeadlineKind::Acknowledge, at, at + Duration::hours(4)),
            Deadline::new(DeadlineKind::Notify, at, at + Duration::hours(24)),
            Deadline::new(DeadlineKind::Fix, at, at + Duration::weeks(4)),
        ];
        let merged = merge_deadlines(&old, new);
        assert_eq!(merged[0].met_at, Some(at));
        assert_eq!(merged[1].met_at, None);
        assert_eq!(
            merged[1].reminders_sent, 0,
            "a moved deadline starts afresh"
        );
        assert_eq!(merged[1].due_at, at + Duration::hours(24));
        assert_eq!(merged[2], reminded, "an unchanged deadline keeps its clock");
    }
}
