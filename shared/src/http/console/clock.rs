//! Deadlines as the console shows them: a countdown people read at a
//! glance, the due time, and the urgency the domain judges.

use crate::domain::{Deadline, DeadlineOutcome, Incident, Urgency, deadline_outcome, urgency};
use chrono::{DateTime, Utc};
use minijinja::{Value, context};

/// "in 2 h 05 min", "3 min ago", "in 4 d 2 h": how far `at` is from `now`.
pub(super) fn countdown(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    let mins = secs.unsigned_abs().div_ceil(60);
    let span = match mins {
        0 => return "now".into(),
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {:02} min", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), (m / 60) % 24),
    };
    if secs > 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The class a row gets: `breached`, `at-risk` or none.
fn row_class(u: Urgency) -> &'static str {
    match u {
        Urgency::Breached => "breached",
        Urgency::AtRisk => "at-risk",
        Urgency::Running | Urgency::Settled => "",
    }
}

fn outcome_label(o: DeadlineOutcome) -> &'static str {
    match o {
        DeadlineOutcome::MetOnTime => "met",
        DeadlineOutcome::MetLate => "met late",
        DeadlineOutcome::Breached => "breached",
        DeadlineOutcome::Missed => "missed",
        DeadlineOutcome::NotOwed => "not owed",
        DeadlineOutcome::Open => "open",
    }
}

/// One deadline's row on the incident page.
pub(super) fn deadline(incident: &Incident, d: &Deadline, now: DateTime<Utc>) -> Value {
    let outcome = deadline_outcome(incident, d, Some(now));
    let u = urgency(incident, d, now);
    let state = match (outcome, u) {
        (DeadlineOutcome::Open, Urgency::AtRisk) => "at_risk",
        (o, _) => match o {
            DeadlineOutcome::MetOnTime => "met_on_time",
            DeadlineOutcome::MetLate => "met_late",
            DeadlineOutcome::Breached => "breached",
            DeadlineOutcome::Missed => "missed",
            DeadlineOutcome::NotOwed => "not_owed",
            DeadlineOutcome::Open => "open",
        },
    };
    let label = if state == "at_risk" {
        "open, at risk"
    } else {
        outcome_label(outcome)
    };
    let running = matches!(
        outcome,
        DeadlineOutcome::Open | DeadlineOutcome::Missed | DeadlineOutcome::Breached
    ) && d.met_at.is_none();
    context! {
        kind => d.kind.as_str(),
        starts => time(d.starts_at),
        due => time(d.due_at),
        met => d.met_at.map(time),
        state,
        label,
        urgency => row_class(u),
        countdown => running.then(|| countdown(now, d.due_at)),
        due_at => d.due_at.to_rfc3339(),
    }
}

/// The deadline to watch in the list: the first breached one, else the
/// soonest open one. Its urgency colours the row.
pub(super) fn next(incident: &Incident, now: DateTime<Utc>) -> (Option<Value>, &'static str) {
    let judged: Vec<(&Deadline, Urgency)> = incident
        .deadlines
        .iter()
        .map(|d| (d, urgency(incident, d, now)))
        .filter(|(_, u)| *u != Urgency::Settled)
        .collect();
    let pick = judged
        .iter()
        .filter(|(_, u)| *u == Urgency::Breached)
        .min_by_key(|(d, _)| d.due_at)
        .or_else(|| judged.iter().min_by_key(|(d, _)| d.due_at));
    let Some((d, u)) = pick else {
        return (None, "");
    };
    let state = match u {
        Urgency::Breached => "breached",
        Urgency::AtRisk => "at_risk",
        _ => "open",
    };
    let view = context! {
        kind => d.kind.as_str(),
        due => time(d.due_at),
        countdown => countdown(now, d.due_at),
        due_at => d.due_at.to_rfc3339(),
        state,
    };
    (Some(view), row_class(*u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn countdown_table() {
        let now = Utc::now();
        let cases = [
            (Duration::zero(), "now"),
            (Duration::seconds(30), "in 1 min"),
            (Duration::minutes(59), "in 59 min"),
            (Duration::minutes(125), "in 2 h 05 min"),
            (Duration::minutes(-3), "3 min ago"),
            (Duration::hours(50), "in 2 d 2 h"),
            (Duration::hours(-49), "2 d 1 h ago"),
        ];
        for (d, want) in cases {
            assert_eq!(countdown(now, now + d), want, "{d}");
        }
    }
}
