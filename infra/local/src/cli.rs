//! The `klaxon` command line: the local runner (`serve`, `assess`, `policy`,
//! `show`), and the responder API's subcommands, which call a running
//! `klaxon serve` or a deployed stack.

use clap::{ArgGroup, Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "klaxon",
    version,
    about = "Security incident response: intake, severity, paging and deadlines."
)]
pub struct Cli {
    /// The responder API to call: a running `klaxon serve` (default
    /// http://127.0.0.1:8080) or a stack's ApiUrl. The bearer token is read
    /// from KLAXON_API_TOKEN. With it, `klaxon ack` goes through the API.
    #[arg(long, global = true, env = "KLAXON_API_URL", value_name = "URL")]
    pub api: Option<String>,
    /// Print JSON (the API's answer, as sent) instead of a summary.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run intake, assess, notify, escalate and the API in one process.
    Serve(ServeOptions),
    /// Dry run: assess reports (JSON Lines on stdin) and print each verdict as a JSON line.
    Assess {
        /// The time deadlines count from (RFC 3339); default now.
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::Utc>>,
        /// Policy file; default the built-in one.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Policy commands.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Acknowledge an incident: paging stops, and the ack is on its timeline.
    /// Through the API when --api or KLAXON_API_URL is given, else directly
    /// on the local store.
    Ack {
        /// Incident id or reference (KLX-2026-7QX4MZ).
        id: String,
        /// Who is acknowledging; default $USER. Local store only: the API
        /// records the token's name.
        #[arg(long)]
        by: Option<String>,
        /// A note for the timeline ("on it, rotating the key").
        #[arg(long)]
        note: Option<String>,
        #[arg(long, default_value = ".klaxon")]
        data_dir: PathBuf,
        /// The config file `klaxon serve` uses.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The policy file `klaxon serve` uses.
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Print an incident's severity, reasons, deadlines and timeline.
    Show {
        /// Incident id or reference (KLX-2026-7QX4MZ).
        id: String,
        #[arg(long, default_value = ".klaxon")]
        data_dir: PathBuf,
    },
    /// Check what paging by SMS through SNS needs from the AWS account the
    /// environment names (spend limit, sandbox, origination number, SMS
    /// type); exits non-zero when something is missing. See docs/sms.md.
    Doctor,
    /// Bring people, schedules, overrides and escalations over from another pager.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    #[command(flatten)]
    Api(ApiCommand),
}

/// `klaxon import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Opsgenie's API answers (users, contacts, schedules with rotations,
    /// overrides, escalations), one bundle or single answers: people,
    /// schedules and overrides written through the API, escalations
    /// printed as [escalation.SEV-n] tables for the policy file, and a
    /// list of what could not be mapped. See docs/oncall.md.
    Opsgenie(OpsgenieArgs),
}

#[derive(Debug, Args)]
pub struct OpsgenieArgs {
    /// A bundle ({"users", "contacts", "schedules", "overrides",
    /// "escalations"}) or one API answer ({"data": ...}); several merge.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Map and report; write nothing and call no API.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite people and schedules that already exist (default: keep them).
    #[arg(long)]
    pub replace: bool,
    /// Which severity an escalation pages for, ESCALATION=SEV-n
    /// (repeatable); the rest take the severities left, SEV-1 first.
    #[arg(long = "severity", value_name = "ESCALATION=SEV-n")]
    pub severity: Vec<String>,
    /// Write the policy tables to FILE instead of printing them.
    #[arg(long, value_name = "FILE")]
    pub policy_out: Option<PathBuf>,
}

/// The subcommands that call the responder API. `{id}` is an incident id
/// or a reference (KLX-2026-7QX4MZ).
#[derive(Debug, Subcommand)]
pub enum ApiCommand {
    /// List incidents, newest first: reference, severity, status, created, title.
    Incidents(ListArgs),
    /// An incident: severity, status, roles, deadlines, open tasks, latest timeline.
    Incident {
        /// Incident id or reference (KLX-2026-7QX4MZ).
        id: String,
        /// How many of the latest timeline entries to show.
        #[arg(long, default_value_t = 10)]
        last: usize,
    },
    /// Move the lifecycle on: investigating, contained, recovering, resolved or closed.
    Status {
        /// Incident id or reference.
        id: String,
        /// investigating, contained, recovering, resolved or closed.
        status: String,
        /// The action taken to stop further harm (needed for contained).
        #[arg(long)]
        containment: Option<String>,
        /// The root cause, or "unknown" with --rationale (needed for resolved).
        #[arg(long)]
        root_cause: Option<String>,
        /// Why the root cause cannot be established.
        #[arg(long)]
        rationale: Option<String>,
    },
    /// Give a role to a person (replacing whoever held it).
    Assign {
        /// Incident id or reference.
        id: String,
        /// incident_commander, technical_lead, communications_lead, evidence_owner or business_owner.
        role: String,
        person: String,
    },
    /// Leave a role empty.
    Unassign {
        /// Incident id or reference.
        id: String,
        /// incident_commander, technical_lead, communications_lead, evidence_owner or business_owner.
        role: String,
    },
    /// Add a timeline note, marked as a confirmed fact or a hypothesis.
    Note(NoteArgs),
    /// Heartbeat monitors: a source gone quiet opens an incident.
    Heartbeat {
        #[command(subcommand)]
        command: HeartbeatCommand,
    },
    /// The people on call: names, zones, contact methods, notification rules.
    People {
        #[command(subcommand)]
        command: PeopleCommand,
    },
    /// On-call schedules: layers of rotations, with restrictions.
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
    /// Overrides: someone covers a schedule until a time ("Sam covers until Monday").
    Override {
        #[command(subcommand)]
        command: OverrideCommand,
    },
    /// Who is on call now, and next, for each schedule.
    Oncall {
        /// Show handoff times in this IANA zone (Europe/Berlin); default UTC.
        #[arg(long)]
        tz: Option<String>,
        /// At this time instead of now (RFC 3339).
        #[arg(long)]
        at: Option<String>,
    },
    /// Evidence references: where it is kept and its SHA-256.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Tasks: play steps, closure criteria and follow-up actions.
    Task {
        #[command(subcommand)]
        command: TaskCommand,
    },
    /// Record an obligation met; stops that deadline's clock.
    Obligation {
        /// Incident id or reference.
        id: String,
        /// notify, status_update, atlassian_report, customer_notice, fix or post_incident_review.
        kind: String,
        /// The ticket, message id or release (ECOHELP-1234, v0.4.2-patch1).
        #[arg(long)]
        reference: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// When it was met, if not now (RFC 3339).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Override the severity (commander); the override holds over re-assessment.
    Severity {
        /// Incident id or reference.
        id: String,
        /// SEV-1, SEV-2, SEV-3 or SEV-4.
        severity: String,
        #[arg(long)]
        reason: String,
    },
    /// The post-incident review document (Markdown).
    Review {
        /// Incident id or reference.
        id: String,
        /// Write it to FILE instead of printing it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Place a legal hold: the record is kept past its retention (admin).
    Hold {
        /// Incident id or reference.
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold (admin).
    Release {
        /// Incident id or reference.
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Delete a closed incident and everything it holds, for good (admin).
    Delete {
        /// Incident id or reference.
        id: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// Start a drill (`klaxon drill --class C --severity S`) or print a drill's report.
    Drill(DrillArgs),
    /// MTTA/MTTR per severity, deadlines met, counts by class and source (JSON).
    Metrics {
        /// Start (RFC 3339 or 2026-01-01); default 90 days ago.
        #[arg(long)]
        from: Option<String>,
        /// End (RFC 3339 or 2026-12-31); default now.
        #[arg(long)]
        to: Option<String>,
    },
    /// Reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// reported, triaged, acknowledged, investigating, contained, recovering, resolved or closed.
    #[arg(long)]
    pub status: Option<String>,
    /// SEV-1 .. SEV-4.
    #[arg(long)]
    pub severity: Option<String>,
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only drills (true) or only real incidents (false).
    #[arg(long, value_name = "true|false")]
    pub drill: Option<bool>,
    /// Created at or after (RFC 3339 or 2026-11-23).
    #[arg(long)]
    pub from: Option<String>,
    /// Created before (RFC 3339 or 2026-11-23).
    #[arg(long)]
    pub to: Option<String>,
    /// Page size (1-200; the API's default is 50).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub limit: Option<u32>,
    /// Continue from a page's next_cursor.
    #[arg(long, conflicts_with = "all")]
    pub cursor: Option<String>,
    /// Follow next_cursor to the last page.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("basis").required(true).args(["fact", "hypothesis"])))]
pub struct NoteArgs {
    /// Incident id or reference.
    pub id: String,
    /// A confirmed fact.
    #[arg(long)]
    pub fact: bool,
    /// An investigation hypothesis.
    #[arg(long)]
    pub hypothesis: bool,
    pub text: String,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Record where a piece of evidence is kept, with its SHA-256.
    #[command(group(ArgGroup::new("digest").required(true).args(["sha256", "file"])))]
    Add {
        /// Incident id or reference.
        id: String,
        /// Its name; default the --file's name.
        #[arg(long, required_unless_present = "file")]
        name: Option<String>,
        /// Where it is kept (s3://ir-evidence/..., a ticket, a vault path).
        #[arg(long)]
        location: String,
        /// Its SHA-256, 64 hex digits.
        #[arg(long, value_name = "HEX")]
        sha256: Option<String>,
        /// Compute the SHA-256 of this file here; the file is not uploaded.
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// Who collected it; default the token's name.
        #[arg(long)]
        collected_by: Option<String>,
        /// When it was collected (RFC 3339); default now.
        #[arg(long)]
        collected_at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The evidence manifest.
    List {
        /// Incident id or reference.
        id: String,
        /// Print `sha256sum -c` input instead of a table.
        #[arg(long)]
        sha256sum: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Add a follow-up (corrective) action.
    Add {
        /// Incident id or reference.
        id: String,
        text: String,
        #[arg(long)]
        owner: Option<String>,
        /// Due date (2026-12-15 or RFC 3339).
        #[arg(long)]
        due: Option<String>,
    },
    /// Mark a task done.
    Done {
        /// Incident id or reference.
        id: String,
        /// Task number (as `klaxon incident` shows it).
        task: String,
        /// What was done.
        #[arg(long)]
        note: Option<String>,
    },
    /// Waive a task, with a reason (closure criteria: commander).
    Waive {
        /// Incident id or reference.
        id: String,
        /// Task number (as `klaxon incident` shows it).
        task: String,
        #[arg(long)]
        reason: String,
    },
    /// Open a settled task again.
    Reopen {
        /// Incident id or reference.
        id: String,
        /// Task number (as `klaxon incident` shows it).
        task: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `klaxon drill --class C --severity S` starts one, as `drill start` does.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DrillArgs {
    #[command(subcommand)]
    pub command: Option<DrillCommand>,
    #[command(flatten)]
    pub start: DrillStart,
}

#[derive(Debug, Args)]
pub struct DrillStart {
    /// The scenario's class, e.g. leaked_production_secret.
    #[arg(long, required = true)]
    pub class: Option<String>,
    /// SEV-1 .. SEV-4.
    #[arg(long, required = true)]
    pub severity: Option<String>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub tenant: Option<String>,
}

/// `klaxon heartbeat ...`: the heartbeat monitors.
#[derive(Debug, Subcommand)]
pub enum HeartbeatCommand {
    /// Every monitor: interval, grace, severity, source, last beat, late or not.
    List,
    /// Create a monitor, or change one (its beats are kept).
    Set {
        /// Lower-case letters, digits, '-', '_', '.': e.g. guardduty.
        name: String,
        /// A beat is expected at least this often, in seconds (86400: daily).
        #[arg(long)]
        every: i64,
        /// Late only this many seconds after that.
        #[arg(long, default_value_t = 0)]
        grace: i64,
        /// The severity of the incident a late monitor opens: SEV-1 .. SEV-4.
        #[arg(long)]
        severity: String,
        /// Any delivery from this source also beats it: github, guardduty, ...
        #[arg(long)]
        source: Option<String>,
    },
    /// Delete a monitor.
    Delete { name: String },
    /// Beat a monitor (POST /heartbeats/{name}) under a PagerDuty routing key.
    Beat {
        name: String,
        /// One of KLAXON_PAGERDUTY_ROUTING_KEYS.
        #[arg(long, env = "KLAXON_ROUTING_KEY", hide_env_values = true)]
        key: String,
    },
}

/// `klaxon people ...`.
#[derive(Debug, Subcommand)]
pub enum PeopleCommand {
    /// Add a person, or replace one with the same id.
    Add {
        /// Lower-case letters, digits, '-', '_', '.': e.g. priya.
        id: String,
        #[arg(long)]
        name: String,
        /// Their IANA time zone (Europe/Berlin).
        #[arg(long)]
        tz: String,
        /// SMS number in E.164 (+4915112345678).
        #[arg(long)]
        sms: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// Chat handle (@priya).
        #[arg(long)]
        chat: Option<String>,
        /// A notification rule, METHOD:MINUTES (sms:0, sms:5, email:0); repeatable.
        #[arg(long = "rule", value_name = "METHOD:MINUTES")]
        rules: Vec<String>,
    },
    /// Everyone: id, name, zone, contact methods.
    List,
    /// One person (contact details only for an admin token).
    Show { id: String },
    /// Remove a person no rotation names.
    Remove { id: String },
    /// A new secret calendar (iCal) URL for the person's shifts; the old one stops working.
    Feed { id: String },
    /// Bring the paging topic's SNS subscriptions in line with the roster:
    /// one per person and method (sms for their number, email for their
    /// address) filtered on {"person": [ID]}; filters that changed are
    /// updated and subscriptions it made for methods or people gone are
    /// removed. Reads the roster through the API (an admin token) and
    /// calls SNS with your AWS credentials. See docs/oncall.md.
    Sync {
        /// The paging topic's ARN (the stack's oncall-primary topic).
        #[arg(long, env = "KLAXON_PAGING_TOPIC")]
        topic: String,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `klaxon schedule ...`.
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Create a schedule, or replace one with the same id.
    Set {
        /// Lower-case letters, digits, '-', '_', '.': e.g. security-primary.
        id: String,
        /// The whole schedule as the API's JSON body (name, time_zone, layers).
        #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "tz", "layers"])]
        file: Option<PathBuf>,
        #[arg(long)]
        name: Option<String>,
        /// The IANA zone the handoffs and windows are in.
        #[arg(long)]
        tz: Option<String>,
        /// A layer, lowest first, as PEOPLE/SHIFT/HANDOFF/START[/WINDOWS]:
        /// 'priya,sam/1w/Mon 09:00/2026-01-05' or with windows separated
        /// by ';': 'alex/1d/09:00/2026-01-05/Mon-Fri 09:00-17:00'. Repeatable.
        #[arg(long = "layer", value_name = "LAYER")]
        layers: Vec<String>,
    },
    /// Every schedule.
    List,
    /// A schedule, its overrides to come, and who is on call now and next.
    Show {
        id: String,
        /// Show handoff times in this IANA zone; default UTC.
        #[arg(long)]
        tz: Option<String>,
    },
    /// Remove a schedule, its overrides and its feed.
    Remove { id: String },
    /// A new secret calendar (iCal) URL for the schedule; the old one stops working.
    Feed { id: String },
}

/// `klaxon override ...`.
#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// PERSON covers SCHEDULE from now (or --from) until --until. Takes effect at once.
    Add {
        #[arg(long)]
        schedule: String,
        #[arg(long)]
        person: String,
        /// RFC 3339 (2026-11-30T09:00:00+01:00), a date, or from now: +12h, +3d, +90m.
        #[arg(long)]
        until: String,
        /// When it starts, if not now; same forms as --until.
        #[arg(long)]
        from: Option<String>,
    },
    /// Remove an override by its id.
    Remove {
        #[arg(long)]
        schedule: String,
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Start a drill incident: paged, timed and marked as a drill.
    Start(DrillStart),
    /// A drill's audit evidence (Markdown).
    Report {
        /// The drill's id or reference.
        id: String,
        /// Write it to FILE instead of printing it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The yearly security report (Markdown).
    Annual {
        /// Default this year.
        #[arg(long)]
        year: Option<i32>,
        /// Write it to FILE instead of printing it.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the built-in policy file, to copy and edit.
    Default,
}

#[derive(Debug, Clone, Args)]
pub struct ServeOptions {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where the SQLite database and outbox.jsonl live; created if missing.
    #[arg(long, default_value = ".klaxon")]
    pub data_dir: PathBuf,
    /// Optional TOML config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Severity and deadline policy file (default: the built-in one; see `klaxon policy default`).
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("klaxon").chain(args.iter().copied()))
    }

    #[test]
    fn drill_forms() {
        let cli = parse(&[
            "drill",
            "--class",
            "leaked_production_secret",
            "--severity",
            "SEV-2",
        ])
        .expect("drill --class --severity");
        let Command::Api(ApiCommand::Drill(d)) = cli.command else {
            panic!("not a drill");
        };
        assert!(d.command.is_none());
        assert_eq!(d.start.class.as_deref(), Some("leaked_production_secret"));
        let cli = parse(&["drill", "start", "--class", "x", "--severity", "SEV-3"]).expect("start");
        assert!(matches!(
            cli.command,
            Command::Api(ApiCommand::Drill(DrillArgs {
                command: Some(DrillCommand::Start(_)),
                ..
            }))
        ));
        let cli = parse(&["drill", "report", "KLX-2026-7QX4MZ", "--json"]).expect("report");
        assert!(cli.json);
        assert!(
            parse(&["drill"]).is_err(),
            "class and severity are required"
        );
        assert!(parse(&["drill", "--class", "x"]).is_err());
    }

    #[test]
    fn one_of_each_choice() {
        assert!(
            parse(&["note", "KLX-1", "text"]).is_err(),
            "--fact or --hypothesis"
        );
        assert!(parse(&["note", "KLX-1", "--fact", "--hypothesis", "t"]).is_err());
        assert!(parse(&["note", "KLX-1", "--fact", "t"]).is_ok());
        let base = ["evidence", "add", "KLX-1", "--location", "s3://x"];
        assert!(parse(&base).is_err(), "a digest or a file");
        assert!(
            parse(&[&base[..], &["--sha256", "ab"]].concat()).is_err(),
            "--name needed"
        );
        assert!(parse(&[&base[..], &["--name", "n", "--sha256", "ab"]].concat()).is_ok());
        assert!(parse(&[&base[..], &["--file", "f"]].concat()).is_ok());
        assert!(parse(&[&base[..], &["--file", "f", "--sha256", "ab"]].concat()).is_err());
        assert!(parse(&["incidents", "--limit", "0"]).is_err());
        assert!(parse(&["incidents", "--drill", "maybe"]).is_err());
        assert!(parse(&["incidents", "--all", "--cursor", "c"]).is_err());
        let cli = parse(&["--api", "http://x:1", "ack", "KLX-1"]).expect("global --api");
        assert_eq!(cli.api.as_deref(), Some("http://x:1"));
    }
}
