//! The clocks: paging levels, deadline reminders and breaches, and the
//! stale-acknowledgement watch, as pure functions over a [`Change`].
//!
//! Every step is a state change on the incident (level N fired, reminder k
//! sent), committed with the event it causes by one conditional write. Two
//! sweeps that race on the same step cannot both commit it, so each step is
//! announced exactly once.

use super::Policy;
use super::reach::{Reach, Resolved};
use crate::domain::{
    Acknowledgement, Change, Deadline, DeadlineKind, EventKind, Incident, Paged, Paging, Renotify,
    StaleWatch, Status, Step, StepReason, TimelineKind,
};
use chrono::{DateTime, Duration, Utc};

const ACTOR: &str = "klaxon:escalate";

/// The deadlines a resolved incident still owes: the paperwork.
fn runs_after_resolution(kind: DeadlineKind) -> bool {
    matches!(
        kind,
        DeadlineKind::AtlassianReport
            | DeadlineKind::CustomerNotice
            | DeadlineKind::PostIncidentReview
    )
}

/// The time of reminder `k` (0-based), or the due time once the reminders
/// are used up.
fn checkpoint(d: &Deadline, reminders: &[f64], k: usize) -> DateTime<Utc> {
    match reminders.get(k) {
        Some(f) => {
            let span = (d.due_at - d.starts_at).num_milliseconds() as f64;
            d.starts_at + Duration::milliseconds((span * f) as i64)
        }
        None => d.due_at,
    }
}

/// Recomputes when each deadline next needs the sweep. A zero-length
/// deadline ("immediate") gets no alerts: its severity's paging covers it.
pub fn schedule(incident: &mut Incident, policy: &Policy) {
    let resolved = incident.status >= Status::Resolved;
    for d in &mut incident.deadlines {
        let live = d.is_running()
            && d.due_at > d.starts_at
            && (!resolved || runs_after_resolution(d.kind));
        d.next_alert_at =
            live.then(|| checkpoint(d, &policy.clocks.reminders, usize::from(d.reminders_sent)));
    }
}

/// After an assessment or override: starts paging if the severity pages and
/// nobody has acknowledged, stops it if the severity no longer pages, and
/// schedules the deadline alerts.
pub fn arm(change: &mut Change, policy: &Policy, now: DateTime<Utc>) {
    schedule(&mut change.incident, policy);
    let inc = &change.incident;
    let esc = policy.escalation_for(inc);
    let paging_live = inc.paging.as_ref().is_some_and(|p| p.next_at.is_some());
    let unpaged = inc.acknowledged.is_none() && inc.paging.is_none() && inc.status.is_open();
    let sev = inc.severity.map(|s| s.to_string()).unwrap_or_default();
    match esc {
        Some(esc) if unpaged => {
            let mut first = now + esc.levels[0].after;
            // Triage that may not wake anyone waits for the working day.
            if inc.needs_triage()
                && inc.severity.and_then(|s| policy.escalation(s)).is_none()
                && !policy.triage.at_night
            {
                first = policy.calendar.working_time(first);
            }
            change.incident.paging = Some(Paging {
                round: 1,
                fired: 0,
                next_at: Some(first),
                reason: StepReason::Unacknowledged,
                renotify: Vec::new(),
            });
        }
        None if paging_live => {
            if let Some(p) = change.incident.paging.as_mut() {
                p.next_at = None;
                p.renotify.clear();
            }
            change.record(
                ACTOR,
                TimelineKind::Escalated,
                format!("paging stopped: {sev} pages no one"),
            );
        }
        _ => {}
    }
}

/// Runs every step that is due at `now`; returns how many fired. Leaves the
/// incident's next action after `now` (or `None`). Schedule and person
/// levels reach nobody: see [`run_due_reaching`].
pub fn run_due(change: &mut Change, policy: &Policy, now: DateTime<Utc>) -> usize {
    run_due_reaching(change, policy, &Reach::default(), now)
}

/// [`run_due`], with who each schedule and person level reaches at `now`.
pub fn run_due_reaching(
    change: &mut Change,
    policy: &Policy,
    reach: &Reach,
    now: DateTime<Utc>,
) -> usize {
    let mut fired = stale(change, policy, now);
    fired += page(change, policy, reach, now);
    fired += renotify(change, policy, now);
    fired += deadlines(change, policy, now);
    fired
}

/// A paged person's later rules ("SMS again at 5 min"), each once when
/// due, while nobody has acknowledged; dropped once someone has.
fn renotify(change: &mut Change, policy: &Policy, now: DateTime<Utc>) -> usize {
    let inc = &change.incident;
    let Some(p) = inc.paging.as_ref().filter(|p| !p.renotify.is_empty()) else {
        return 0;
    };
    let answered = inc.acknowledged.is_some() && p.reason == StepReason::Unacknowledged;
    if answered || !inc.status.is_open() || policy.escalation_for(inc).is_none() {
        if let Some(p) = change.incident.paging.as_mut() {
            p.renotify.clear();
        }
        return 0;
    }
    let reason = p.reason;
    let (due, rest): (Vec<Renotify>, Vec<Renotify>) =
        p.renotify.iter().cloned().partition(|r| r.at <= now);
    if let Some(p) = change.incident.paging.as_mut() {
        p.renotify = rest;
    }
    let due_at = change
        .incident
        .deadline(DeadlineKind::Acknowledge)
        .map(|d| d.due_at);
    for r in &due {
        let person = Paged {
            person: r.person.clone(),
            name: r.name.clone(),
            schedule: r.schedule.clone(),
            methods: vec![r.method],
        };
        change.record(
            ACTOR,
            TimelineKind::Escalated,
            format!(
                "paged {} again by {}: {} min unacknowledged (level {}, round {})",
                person.label(),
                r.method,
                r.after_minutes,
                r.level,
                r.round
            ),
        );
        change.emit_step(
            EventKind::EscalationTriggered,
            Step {
                audience: super::PAGING_TOPIC,
                reason,
                deadline: Some(DeadlineKind::Acknowledge),
                due_at,
                level: Some(r.level),
                round: Some(r.round),
                reminder: None,
                person: Some(person),
            },
        );
    }
    due.len()
}

fn page(change: &mut Change, policy: &Policy, reach: &Reach, now: DateTime<Utc>) -> usize {
    let mut fired = 0;
    loop {
        let inc = &change.incident;
        let Some(p) = inc.paging.clone() else {
            return fired;
        };
        let Some(at) = p.next_at.filter(|at| *at <= now) else {
            return fired;
        };
        let esc = policy.escalation_for(inc);
        let stop = esc.is_none()
            || !inc.status.is_open()
            || (p.reason == StepReason::Unacknowledged && inc.acknowledged.is_some());
        let Some(esc) = esc.filter(|_| !stop) else {
            // Nothing should page any more; the state just had not caught up.
            if let Some(p) = change.incident.paging.as_mut() {
                p.next_at = None;
                p.renotify.clear();
            }
            return fired;
        };
        // A level list shortened by a severity change starts a new round.
        let (round, index) = if usize::from(p.fired) >= esc.levels.len() {
            (p.round.saturating_add(1), 0)
        } else {
            (p.round, usize::from(p.fired))
        };
        let level = &esc.levels[index];
        let (n_levels, repeat) = (esc.levels.len(), esc.repeat);
        let resolved = reach.resolve(&level.target);
        let gap = matches!(resolved, Resolved::Gap(_));
        let next_at = if index + 1 < n_levels {
            // A gap does not page into the void: the next level, at once.
            Some(if gap {
                now
            } else {
                now + esc.levels[index + 1].after
            })
        } else if round < repeat {
            Some(now + esc.repeat_after)
        } else {
            None
        };
        let why = match p.reason {
            StepReason::StaleAcknowledgement => "acknowledged but no status update",
            _ => "not acknowledged",
        };
        let position = format!(
            "level {} of {n_levels}, round {round} of {repeat}",
            index + 1
        );
        let (audience, person, later) = match resolved {
            Resolved::Gap(gap) => {
                let then = if index + 1 < n_levels {
                    "the next level fires at once"
                } else if next_at.is_some() {
                    "the next round follows"
                } else {
                    "no level is left"
                };
                change.record(
                    ACTOR,
                    TimelineKind::Escalated,
                    format!(
                        "coverage gap at {position} ({}): {gap}; {then}",
                        level.target
                    ),
                );
                change.incident.paging = Some(Paging {
                    round,
                    fired: u8::try_from(index + 1).unwrap_or(u8::MAX),
                    next_at,
                    reason: p.reason,
                    renotify: p.renotify.clone(),
                });
                if next_at.is_none() {
                    change.record(
                        ACTOR,
                        TimelineKind::Escalated,
                        format!("paging exhausted after {round} round(s) with no answer"),
                    );
                }
                continue;
            }
            Resolved::Topic(a) => (a, None, Vec::new()),
            Resolved::Person(paged, later) => (level.audience(), Some(paged), later),
        };
        let whom = person
            .as_ref()
            .map_or_else(|| audience.to_string(), Paged::label);
        change.record(
            ACTOR,
            TimelineKind::Escalated,
            format!("paged {whom}: {position} ({why}; due {})", at.to_rfc3339()),
        );
        let level_no = u8::try_from(index + 1).unwrap_or(u8::MAX);
        let mut renotify = p.renotify.clone();
        if let Some(paged) = &person {
            renotify.extend(later.iter().map(|r| Renotify {
                at: now + Duration::minutes(i64::from(r.after_minutes)),
                person: paged.person.clone(),
                name: paged.name.clone(),
                schedule: paged.schedule.clone(),
                method: r.method,
                after_minutes: r.after_minutes,
                level: level_no,
                round,
            }));
        }
        change.incident.paging = Some(Paging {
            round,
            fired: level_no,
            next_at,
            reason: p.reason,
            renotify,
        });
        let due_at = change
            .incident
            .deadline(DeadlineKind::Acknowledge)
            .map(|d| d.due_at);
        change.emit_step(
            EventKind::EscalationTriggered,
            Step {
                audience,
                reason: p.reason,
                deadline: Some(DeadlineKind::Acknowledge),
                due_at,
                level: Some(u8::try_from(index + 1).unwrap_or(u8::MAX)),
                round: Some(round),
                reminder: None,
                person,
            },
        );
        fired += 1;
        if next_at.is_none() {
            change.record(
                ACTOR,
                TimelineKind::Escalated,
                format!("paging exhausted after {round} round(s) with no answer"),
            );
        }
        // Only zero-delay levels chain within one sweep; a late sweep does
        // not dump every missed level at once.
    }
}

fn stale(change: &mut Change, policy: &Policy, now: DateTime<Utc>) -> usize {
    let inc = &change.incident;
    let Some(watch) = inc.stale.clone().filter(|w| w.check_at <= now) else {
        return 0;
    };
    let esc = policy.escalation_for(inc);
    let Some((esc, after)) = esc
        .and_then(|e| e.stale_ack_after.map(|a| (e, a)))
        .filter(|_| inc.acknowledged.is_some() && inc.status.is_open())
    else {
        change.incident.stale = None;
        return 0;
    };
    if !watch.reminded {
        change.record(
            ACTOR,
            TimelineKind::Reminder,
            format!(
                "no status update for {} since the last one: reminded {}",
                super::duration::Span::Fixed(after),
                esc.stale_remind
            ),
        );
        change.incident.stale = Some(StaleWatch {
            check_at: now + esc.stale_escalate_after,
            reminded: true,
        });
        let due_at = Some(watch.check_at);
        change.emit_step(
            EventKind::SlaReminder,
            Step {
                audience: esc.stale_remind,
                reason: StepReason::StaleAcknowledgement,
                deadline: Some(DeadlineKind::StatusUpdate),
                due_at,
                level: None,
                round: None,
                reminder: Some(1),
                person: None,
            },
        );
        return 1;
    }
    change.record(
        ACTOR,
        TimelineKind::Escalated,
        "still no status update after the reminder: paging again from the first level",
    );
    change.incident.stale = None;
    change.incident.paging = Some(Paging {
        round: 1,
        fired: 0,
        next_at: Some(now),
        reason: StepReason::StaleAcknowledgement,
        renotify: Vec::new(),
    });
    0
}

fn deadlines(change: &mut Change, policy: &Policy, now: DateTime<Utc>) -> usize {
    let reminders = &policy.clocks.reminders;
    let breach_to = policy.breach_audience(change.incident.severity);
    let mut steps = Vec::new();
    for d in &mut change.incident.deadlines {
        if d.next_alert_at.is_none_or(|at| at > now) || !d.is_running() {
            continue;
        }
        if d.due_at <= now {
            d.breached_at = Some(now);
            steps.push((EventKind::SlaBreached, d.clone(), None));
        } else {
            // Several reminders may have passed (a shortened deadline, a
            // late sweep): send the latest once.
            let passed = (0..reminders.len())
                .take_while(|&k| checkpoint(d, reminders, k) <= now)
                .count();
            let passed = u8::try_from(passed).unwrap_or(u8::MAX);
            if passed > d.reminders_sent {
                d.reminders_sent = passed;
                steps.push((EventKind::SlaReminder, d.clone(), Some(passed)));
            }
        }
    }
    schedule(&mut change.incident, policy);
    let fired = steps.len();
    for (kind, d, reminder) in steps {
        let (audience, reason, message) = match reminder {
            Some(k) => {
                let pct = reminders
                    .get(usize::from(k) - 1)
                    .map(|f| (f * 100.0).round())
                    .unwrap_or(100.0);
                (
                    policy.clocks.remind,
                    StepReason::Reminder,
                    format!(
                        "reminder {k} to {}: {} due {} ({pct}% of the time gone)",
                        policy.clocks.remind,
                        d.kind.label(),
                        d.due_at.to_rfc3339()
                    ),
                )
            }
            None => (
                breach_to,
                StepReason::Breach,
                format!(
                    "{} deadline breached (due {}): told {breach_to}",
                    d.kind.label(),
                    d.due_at.to_rfc3339()
                ),
            ),
        };
        let entry_kind = match reason {
            StepReason::Breach => TimelineKind::Breach,
            _ => TimelineKind::Reminder,
        };
        change.record(ACTOR, entry_kind, message);
        change.emit_step(
            kind,
            Step {
                audience,
                reason,
                deadline: Some(d.kind),
                due_at: Some(d.due_at),
                level: change.incident.paging.as_ref().map(|p| p.fired),
                round: None,
                reminder,
                person: None,
            },
        );
    }
    fired
}

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckRefused {
    #[error("incident is still being triaged; acknowledge it in a few seconds")]
    NotTriaged,
    #[error("incident is {0}; there is nothing to acknowledge")]
    Finished(Status),
}

/// Acknowledges: stops paging, meets the acknowledgement and response
/// deadlines, starts the stale watch. Returns false (and changes nothing)
/// if it was already acknowledged and nothing is paging.
pub fn acknowledge(
    change: &mut Change,
    policy: &Policy,
    by: &str,
    via: &str,
    note: &str,
) -> Result<bool, AckRefused> {
    let now = change.incident.updated_at;
    let inc = &change.incident;
    match inc.status {
        Status::Reported => return Err(AckRefused::NotTriaged),
        s if !s.is_open() => return Err(AckRefused::Finished(s)),
        _ => {}
    }
    let paging_live = inc.paging.as_ref().is_some_and(|p| p.next_at.is_some());
    if inc.acknowledged.is_some() && !paging_live {
        return Ok(false);
    }
    change.incident.acknowledged = Some(Acknowledgement {
        by: by.to_owned(),
        via: via.to_owned(),
        at: now,
    });
    if let Some(p) = change.incident.paging.as_mut() {
        p.next_at = None;
        p.renotify.clear();
    }
    for kind in [DeadlineKind::Acknowledge, DeadlineKind::ResponseTarget] {
        if let Some(d) = change.incident.deadline_mut(kind)
            && d.met_at.is_none()
        {
            d.met_at = Some(now);
        }
    }
    if change.incident.status == Status::Triaged {
        // Checked above: triaged moves forward to acknowledged.
        let _ = change.move_to(by, Status::Acknowledged);
    }
    watch_for_updates(&mut change.incident, policy, now);
    change.record(
        by,
        TimelineKind::Acknowledged,
        format!(
            "acknowledged by {by} via {via}; paging stopped{}",
            note_suffix(note)
        ),
    );
    change.emit_with(EventKind::IncidentAcknowledged, |e| {
        e.actor = Some(by.to_owned());
    });
    schedule(&mut change.incident, policy);
    Ok(true)
}

/// `": <note>"` after a timeline line, or nothing.
fn note_suffix(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!(": {note}")
    }
}

fn watch_for_updates(inc: &mut Incident, policy: &Policy, now: DateTime<Utc>) {
    inc.stale = policy
        .escalation_for(inc)
        .and_then(|e| e.stale_ack_after)
        .filter(|_| inc.acknowledged.is_some())
        .map(|after| StaleWatch {
            check_at: now + after,
            reminded: false,
        });
}

/// Records an obligation met: a status update posted, a notification sent,
/// the Atlassian report filed, the customer notice sent, the fix released
/// or the review done. A status update re-arms its cadence and the stale
/// watch, and stops paging that a stale acknowledgement started.
pub fn meet(change: &mut Change, policy: &Policy, kind: DeadlineKind, actor: &str, note: &str) {
    let now = change.incident.updated_at;
    if kind == DeadlineKind::StatusUpdate {
        let every = change
            .incident
            .severity
            .and_then(|s| policy.for_severity(s).status_update_every)
            .and_then(|span| policy.calendar.resolve(span, now));
        if let (Some(due), Some(d)) = (every, change.incident.deadline_mut(kind)) {
            *d = Deadline::new(kind, now, due);
        }
        watch_for_updates(&mut change.incident, policy, now);
        if let Some(p) = change.incident.paging.as_mut()
            && p.reason == StepReason::StaleAcknowledgement
        {
            p.next_at = None;
            p.renotify.clear();
        }
    } else if let Some(d) = change.incident.deadline_mut(kind)
        && d.met_at.is_none()
    {
        d.met_at = Some(now);
    }
    change.record(
        actor,
        TimelineKind::Obligation,
        format!("{} recorded{}", kind.label(), note_suffix(note)),
    );
    schedule(&mut change.incident, policy);
    change.emit_with(EventKind::ObligationRecorded, |e| {
        e.actor = Some(actor.to_owned());
        e.obligation = Some(kind);
        e.note = (!note.is_empty()).then(|| note.to_owned());
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Audience, NewIncident, Report, ReportInput, Severity, Source};

    fn t(min: i64) -> DateTime<Utc> {
        "2026-11-23T03:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time")
            + Duration::minutes(min)
    }

    fn incident(sev: Severity, status: Status) -> Incident {
        let report = Report::parse(ReportInput {
            title: Some("t".into()),
            description: Some("d".into()),
            ..Default::default()
        })
        .expect("report");
        let mut i = NewIncident::from_report(report, Source::Report, None, t(0)).incident;
        i.severity = Some(sev);
        i.status = status;
        i
    }

    #[test]
    fn schedule_table() {
        let p = Policy::builtin();
        let base = Deadline::new(DeadlineKind::Acknowledge, t(0), t(100));
        let with = |f: &dyn Fn(&mut Deadline)| {
            let mut d = base.clone();
            f(&mut d);
            d
        };
        let cases: [(&str, Status, Deadline, Option<i64>); 8] = [
            (
                "first reminder at 50%",
                Status::Triaged,
                base.clone(),
                Some(50),
            ),
            (
                "second at 80%",
                Status::Triaged,
                with(&|d| d.reminders_sent = 1),
                Some(80),
            ),
            (
                "then the breach",
                Status::Triaged,
                with(&|d| d.reminders_sent = 2),
                Some(100),
            ),
            (
                "met: silent",
                Status::Triaged,
                with(&|d| d.met_at = Some(t(1))),
                None,
            ),
            (
                "breached: once",
                Status::Triaged,
                with(&|d| d.breached_at = Some(t(100))),
                None,
            ),
            (
                "zero length: paging covers it",
                Status::Triaged,
                with(&|d| d.due_at = d.starts_at),
                None,
            ),
            (
                "resolved: the ack no longer matters",
                Status::Resolved,
                base.clone(),
                None,
            ),
            (
                "resolved: the paperwork still does",
                Status::Resolved,
                with(&|d| d.kind = DeadlineKind::CustomerNotice),
                Some(50),
            ),
        ];
        for (name, status, d, want) in cases {
            let mut i = incident(Severity::Sev3, status);
            i.deadlines = vec![d];
            schedule(&mut i, &p);
            assert_eq!(i.deadlines[0].next_alert_at, want.map(t), "{name}");
        }
    }

    #[test]
    fn arm_pages_only_paging_severities() {
        let p = Policy::builtin();
        for (sev, pages) in [
            (Severity::Sev1, true),
            (Severity::Sev2, true),
            (Severity::Sev3, false),
            (Severity::Sev4, false),
        ] {
            let i = incident(sev, Status::Triaged);
            let mut ch = Change::begin(&i, t(0));
            arm(&mut ch, &p, t(0));
            assert_eq!(ch.incident.paging.is_some(), pages, "{sev}");
            assert_eq!(run_due(&mut ch, &p, t(0)), usize::from(pages), "{sev}");
        }
    }

    #[test]
    fn a_severity_drop_stops_paging() {
        let p = Policy::builtin();
        let i = incident(Severity::Sev1, Status::Triaged);
        let mut ch = Change::begin(&i, t(0));
        arm(&mut ch, &p, t(0));
        run_due(&mut ch, &p, t(0));
        let paged = ch.incident.clone();
        let mut ch = Change::begin(&paged, t(5));
        ch.incident.severity = Some(Severity::Sev3);
        arm(&mut ch, &p, t(5));
        assert_eq!(ch.incident.paging.as_ref().and_then(|p| p.next_at), None);
        assert!(
            ch.timeline
                .iter()
                .any(|e| e.message == "paging stopped: SEV-3 pages no one")
        );
        assert_eq!(ch.incident.next_action_at(), None);
    }

    #[test]
    fn acknowledgement_is_refused_before_triage_and_after_resolution() {
        let p = Policy::builtin();
        for (status, want) in [
            (Status::Reported, Err(AckRefused::NotTriaged)),
            (
                Status::Resolved,
                Err(AckRefused::Finished(Status::Resolved)),
            ),
            (Status::Closed, Err(AckRefused::Finished(Status::Closed))),
            (Status::Triaged, Ok(true)),
            (Status::Investigating, Ok(true)),
        ] {
            let i = incident(Severity::Sev1, status);
            let mut ch = Change::begin(&i, t(1));
            assert_eq!(acknowledge(&mut ch, &p, "a", "api", ""), want, "{status}");
        }
    }

    /// An incident the engine could not place, judged `sev`.
    fn unplaced(sev: Severity, at: DateTime<Utc>) -> Incident {
        let mut i = incident(sev, Status::Triaged);
        i.created_at = at;
        i.assessment = Some(crate::domain::Assessment {
            severity: sev,
            class: crate::domain::IncidentClass::Unclassified,
            play: crate::domain::Play::Generic,
            reasons: Vec::new(),
            cvss: None,
            flags: Default::default(),
            notes: Vec::new(),
            needs_triage: true,
            confidence: Default::default(),
        });
        i
    }

    fn first_page(i: &Incident, p: &Policy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut ch = Change::begin(i, now);
        arm(&mut ch, p, now);
        ch.incident.paging.and_then(|p| p.next_at)
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn needing_triage_pages_under_triage_until_a_person_sets_the_severity() {
        let p = Policy::builtin();
        assert!(p.triage.at_night, "the built-in policy wakes someone");
        // SEV-3 pages no one, but needing triage it pages at once, the primary.
        let i = unplaced(Severity::Sev3, t(0));
        assert_eq!(first_page(&i, &p, t(0)), Some(t(0)));
        let mut ch = Change::begin(&i, t(0));
        arm(&mut ch, &p, t(0));
        assert_eq!(run_due(&mut ch, &p, t(0)), 1);
        let step = ch.events[0].step.clone().expect("step");
        assert_eq!(
            (step.audience, step.level),
            (Audience::OncallPrimary, Some(1))
        );
        assert_eq!(
            ch.incident.paging.as_ref().and_then(|p| p.next_at),
            Some(t(30)),
            "then the secondary, as [triage] says"
        );
        // A person's severity ends it: SEV-3 pages no one.
        let mut set = ch.incident.clone();
        set.severity_override = Some(crate::domain::SeverityOverride {
            severity: Severity::Sev3,
            reason: "seen".into(),
            by: "carol".into(),
            at: t(5),
        });
        assert!(!set.needs_triage());
        let mut ch = Change::begin(&set, t(5));
        arm(&mut ch, &p, t(5));
        assert_eq!(ch.incident.paging.as_ref().and_then(|p| p.next_at), None);
        // A severity that pages on its own pages as that severity does.
        let i = unplaced(Severity::Sev1, t(0));
        assert_eq!(
            p.escalation_for(&i).map(|e| e.levels.len()),
            p.escalation(Severity::Sev1).map(|e| e.levels.len())
        );
    }

    #[test]
    fn triage_that_may_not_wake_anyone_waits_for_the_working_day() {
        let quiet = crate::policy::DEFAULT_POLICY.replace("at_night = true", "at_night = false");
        assert_ne!(quiet, crate::policy::DEFAULT_POLICY, "the edit applied");
        let p = Policy::parse(&quiet).expect("policy");
        assert!(!p.triage.at_night);
        // The built-in calendar: UTC, Monday to Friday, 09:00 to 17:00.
        let cases = [
            // Monday 03:00: at 09:00.
            ("2026-11-23T03:00:00Z", "2026-11-23T09:00:00Z"),
            // Monday 10:00, working hours: at once.
            ("2026-11-23T10:00:00Z", "2026-11-23T10:00:00Z"),
            // Friday 18:00: Monday 09:00.
            ("2026-11-27T18:00:00Z", "2026-11-30T09:00:00Z"),
            // Saturday noon: Monday 09:00.
            ("2026-11-28T12:00:00Z", "2026-11-30T09:00:00Z"),
        ];
        for (now, want) in cases {
            let i = unplaced(Severity::Sev3, at(now));
            assert_eq!(first_page(&i, &p, at(now)), Some(at(want)), "{now}");
        }
        // The sweep at night pages no one; at 09:00 the primary.
        let night = at("2026-11-23T03:00:00Z");
        let i = unplaced(Severity::Sev3, night);
        let mut ch = Change::begin(&i, night);
        arm(&mut ch, &p, night);
        assert_eq!(run_due(&mut ch, &p, night), 0);
        let nine = at("2026-11-23T09:00:00Z");
        assert_eq!(run_due(&mut ch, &p, nine), 1);
        let step = ch.events[0].step.clone().expect("step");
        assert_eq!(step.audience, Audience::OncallPrimary);
        // A severity that pages on its own is not held back.
        let i = unplaced(Severity::Sev1, night);
        assert_eq!(first_page(&i, &p, night), Some(night));
        // Nor is an incident that does not need triage.
        let mut i = unplaced(Severity::Sev2, night);
        if let Some(a) = i.assessment.as_mut() {
            a.needs_triage = false;
        }
        assert_eq!(first_page(&i, &p, night), Some(night));
        // With at_night (the default) triage pages at night.
        let i = unplaced(Severity::Sev3, night);
        assert_eq!(first_page(&i, &Policy::builtin(), night), Some(night));
    }

    /// SEV-1 paging a schedule, then a person, then a topic.
    fn people_policy() -> Policy {
        let text = crate::policy::DEFAULT_POLICY.replacen(
            "{ audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"10m\" },",
            "{ schedule = \"security-primary\" },\n  { person = \"bob\", after = \"10m\" },",
            1,
        );
        assert_ne!(text, crate::policy::DEFAULT_POLICY, "the edit applies");
        Policy::parse(&text).expect("policy")
    }

    fn roster(on_call: Option<&str>, bob_reachable: bool) -> Reach {
        use crate::domain::oncall::{ContactsInput, Person, PersonInput, ScheduleId};
        let person = |id: &str, name: &str, sms: bool| {
            Person::parse(
                id,
                &PersonInput {
                    name: name.into(),
                    time_zone: "Europe/Berlin".into(),
                    contacts: ContactsInput {
                        sms: sms.then(|| "+4915112345678".into()),
                        email: None,
                        chat: Some("@x".into()),
                    },
                    rules: Vec::new(),
                },
            )
            .expect("person")
        };
        let mut r = Reach::default();
        r.person(&person("priya", "Priya Raman", true));
        r.person(&person("bob", "Bob Stone", bob_reachable));
        r.schedule(
            ScheduleId::parse("s", "security-primary").expect("id"),
            on_call.map(|p| crate::domain::oncall::PersonId::parse("p", p).expect("id")),
        );
        r
    }

    /// (who each page went to, the timeline's escalation lines) after the
    /// first sweep at t(0).
    fn first_sweep(reach: &Reach) -> (Vec<String>, Vec<String>, Change) {
        let p = people_policy();
        let i = incident(Severity::Sev1, Status::Triaged);
        let mut ch = Change::begin(&i, t(0));
        arm(&mut ch, &p, t(0));
        run_due_reaching(&mut ch, &p, reach, t(0));
        let pages = ch
            .events
            .iter()
            .filter_map(|e| e.step.as_ref())
            .map(|s| match &s.person {
                Some(person) => format!("{} via {}", person.label(), s.audience),
                None => s.audience.to_string(),
            })
            .collect();
        let lines = ch
            .timeline
            .iter()
            .filter(|e| e.kind == TimelineKind::Escalated)
            .map(|e| {
                e.message
                    .split(" (not acknowledged")
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect();
        (pages, lines, ch)
    }

    #[test]
    fn levels_page_people_and_skip_gaps_at_once() {
        let gap1 = "coverage gap at level 1 of 3, round 1 of 3 (schedule security-primary): nobody is on call for security-primary; the next level fires at once";
        // (what, the roster, who is paged, the timeline, the next step's minute)
        type Case<'a> = (&'a str, Reach, Vec<&'a str>, Vec<&'a str>, i64);
        let cases: [Case<'_>; 4] = [
            (
                "the person on call is paged through the paging topic",
                roster(Some("priya"), true),
                vec!["Priya Raman (on call for security-primary) via oncall-primary"],
                vec![
                    "paged Priya Raman (on call for security-primary): level 1 of 3, round 1 of 3",
                ],
                10,
            ),
            (
                "nobody on call: a gap, and the next level at once",
                roster(None, true),
                vec!["Bob Stone via oncall-primary"],
                vec![gap1, "paged Bob Stone: level 2 of 3, round 1 of 3"],
                20,
            ),
            (
                "two gaps: the topic at once",
                roster(None, false),
                vec!["incident-manager"],
                vec![
                    gap1,
                    "coverage gap at level 2 of 3, round 1 of 3 (person bob): Bob Stone has no working contact method; the next level fires at once",
                    "paged incident-manager: level 3 of 3, round 1 of 3",
                ],
                20,
            ),
            (
                "an empty roster: gaps, never a page into the void",
                Reach::default(),
                vec!["incident-manager"],
                vec![
                    "coverage gap at level 1 of 3, round 1 of 3 (schedule security-primary): there is no schedule security-primary; the next level fires at once",
                    "coverage gap at level 2 of 3, round 1 of 3 (person bob): bob is not on the roster; the next level fires at once",
                    "paged incident-manager: level 3 of 3, round 1 of 3",
                ],
                20,
            ),
        ];
        for (name, reach, want_pages, want_lines, next) in cases {
            let (pages, lines, ch) = first_sweep(&reach);
            assert_eq!(pages, want_pages, "{name}");
            assert_eq!(lines, want_lines, "{name}");
            assert_eq!(
                ch.incident.paging.as_ref().and_then(|p| p.next_at),
                Some(t(next)),
                "{name}"
            );
        }
        // The person's id, name, schedule and methods travel with the page.
        let (_, _, ch) = first_sweep(&roster(Some("priya"), true));
        let person = ch.events[0]
            .step
            .as_ref()
            .and_then(|s| s.person.clone())
            .expect("person");
        assert_eq!(
            (person.person.as_str(), person.methods_label().as_str()),
            ("priya", "sms")
        );
    }

    /// Priya's rules: SMS and email at once, SMS again at 5 minutes.
    fn with_rules() -> Reach {
        use crate::domain::oncall::{ContactsInput, Person, PersonInput, RuleInput, ScheduleId};
        let rule = |m: &str, after: i64| RuleInput {
            method: m.into(),
            after_minutes: after,
        };
        let priya = Person::parse(
            "priya",
            &PersonInput {
                name: "Priya Raman".into(),
                time_zone: "Europe/Berlin".into(),
                contacts: ContactsInput {
                    sms: Some("+4915112345678".into()),
                    email: Some("priya@example.com".into()),
                    chat: None,
                },
                rules: vec![rule("sms", 0), rule("sms", 5), rule("email", 0)],
            },
        )
        .expect("person");
        let mut r = Reach::default();
        r.person(&priya);
        r.schedule(
            ScheduleId::parse("s", "security-primary").expect("id"),
            Some(priya.id.clone()),
        );
        r
    }

    /// A rule's later message goes once, when due, by its method alone;
    /// an acknowledgement first cancels it.
    #[test]
    fn notification_rules_notify_again_until_acknowledged() {
        let p = people_policy();
        let i = incident(Severity::Sev1, Status::Triaged);
        let mut ch = Change::begin(&i, t(0));
        arm(&mut ch, &p, t(0));
        run_due_reaching(&mut ch, &p, &with_rules(), t(0));
        let methods = |ch: &Change| -> Vec<Vec<Method>> {
            ch.events
                .iter()
                .filter_map(|e| e.step.as_ref()?.person.as_ref().map(|p| p.methods.clone()))
                .collect()
        };
        use crate::domain::oncall::Method;
        assert_eq!(methods(&ch), vec![vec![Method::Sms, Method::Email]]);
        assert_eq!(
            ch.incident.next_action_at(),
            Some(t(5)),
            "the rule, before level 2"
        );
        let paged = ch.incident.clone();

        // Unanswered at 5 minutes: SMS again, once.
        let mut again = Change::begin(&paged, t(5));
        assert_eq!(run_due_reaching(&mut again, &p, &with_rules(), t(5)), 1);
        assert_eq!(methods(&again), vec![vec![Method::Sms]]);
        let step = again.events[0].step.clone().expect("step");
        assert_eq!((step.level, step.round), (Some(1), Some(1)));
        assert_eq!(
            again.timeline[0].message,
            "paged Priya Raman (on call for security-primary) again by sms: 5 min unacknowledged (level 1, round 1)"
        );
        assert_eq!(again.incident.next_action_at(), Some(t(10)), "then level 2");
        let mut later = Change::begin(&again.incident, t(6));
        assert_eq!(run_due_reaching(&mut later, &p, &with_rules(), t(6)), 0);

        // Acknowledged at 3 minutes: no second SMS.
        let mut ack = Change::begin(&paged, t(3));
        acknowledge(&mut ack, &p, "Priya Raman", "SMS link", "").expect("ack");
        assert!(
            ack.incident
                .paging
                .as_ref()
                .is_some_and(|p| p.renotify.is_empty())
        );
        let mut after = Change::begin(&ack.incident, t(5));
        assert_eq!(run_due_reaching(&mut after, &p, &with_rules(), t(5)), 0);
    }

    /// A round of nothing but gaps waits for the next round; the last
    /// round's gaps end paging, and the sweep stops.
    #[test]
    fn gaps_alone_end_in_exhaustion() {
        let text = crate::policy::DEFAULT_POLICY.replacen(
            "{ audience = \"oncall-primary\" },\n  { audience = \"oncall-secondary\", after = \"10m\" },\n  { audience = \"incident-manager\", after = \"20m\" },",
            "{ schedule = \"security-primary\" },\n  { person = \"bob\", after = \"10m\" },",
            1,
        );
        let p = Policy::parse(&text).expect("policy");
        let i = incident(Severity::Sev1, Status::Triaged);
        let mut ch = Change::begin(&i, t(0));
        arm(&mut ch, &p, t(0));
        assert_eq!(run_due_reaching(&mut ch, &p, &Reach::default(), t(0)), 0);
        assert_eq!(
            ch.incident.paging.as_ref().and_then(|p| p.next_at),
            Some(t(20))
        );
        for at in [20, 40] {
            assert_eq!(run_due_reaching(&mut ch, &p, &Reach::default(), t(at)), 0);
        }
        assert_eq!(ch.incident.paging.as_ref().and_then(|p| p.next_at), None);
        assert!(ch.events.is_empty(), "no page into the void");
        assert!(
            ch.timeline
                .iter()
                .any(|e| e.message == "paging exhausted after 3 round(s) with no answer"),
            "{:?}",
            ch.timeline.iter().map(|e| &e.message).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_late_sweep_sends_only_the_latest_reminder() {
        let p = Policy::builtin();
        let mut i = incident(Severity::Sev3, Status::Triaged);
        i.deadlines = vec![Deadline::new(DeadlineKind::Fix, t(0), t(100))];
        schedule(&mut i, &p);
        let mut ch = Change::begin(&i, t(90));
        assert_eq!(run_due(&mut ch, &p, t(90)), 1);
        let step = ch.events[0].step.clone().expect("step");
        assert_eq!(
            (step.reminder, step.audience),
            (Some(2), Audience::SecurityTeam)
        );
        assert_eq!(ch.incident.deadlines[0].next_alert_at, Some(t(100)));
    }
}
