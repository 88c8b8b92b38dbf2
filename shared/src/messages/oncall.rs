//! The roster's notices, which no incident causes: a person's handoff
//! notice before their shift, and the team's coverage warnings. Plain
//! text, the same in every body; no contact detail in any of them.

use crate::domain::Audience;
use crate::domain::oncall::{Method, Person, Schedule};
use crate::ports::{Bodies, Message};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde_json::json;
use std::collections::BTreeMap;

/// `Mon 09:00`.
fn wall(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %H:%M").to_string()
}

/// "You are on call for security-primary from Mon 09:00 Europe/Berlin
/// until Mon 09:00 next week": wall times in the schedule's zone.
pub fn handoff_text(
    schedule: &Schedule,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> String {
    let tz = schedule.time_zone.tz();
    let until = match end {
        None => "until further notice".to_owned(),
        Some(end) => {
            let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
            let days = (e.date_naive() - s.date_naive()).num_days();
            match days {
                0 => format!("until {}", e.format("%H:%M")),
                7 if e.weekday() == s.weekday() => format!("until {} next week", wall(end, tz)),
                1..=6 => format!("until {}", wall(end, tz)),
                _ => format!("until {}", e.format("%a %Y-%m-%d %H:%M")),
            }
        }
    };
    format!(
        "You are on call for {} from {} {tz} {until}",
        schedule.id,
        wall(start, tz)
    )
}

fn message(
    id: String,
    audience: Audience,
    kind: &str,
    subject: String,
    text: String,
    attrs: &[(&str, &str)],
    doc: serde_json::Value,
) -> Message {
    let mut a: BTreeMap<String, String> = attrs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    a.insert("kind".into(), kind.to_owned());
    a.insert("audience".into(), audience.as_str().to_owned());
    a.insert("event".into(), "On-call Notice".into());
    a.insert("drill".into(), "false".into());
    let mut doc = doc;
    doc["kind"] = json!(kind);
    doc["text"] = json!(text);
    Message {
        id: Some(id),
        audience,
        to: None,
        subject: subject.clone(),
        message_attributes: a,
        message: Bodies {
            default: text.clone(),
            sms: super::render::truncate(&text, super::SMS_LIMIT),
            email: text.clone(),
            json: doc,
            https: json!({
                "version": "1.0",
                "source": "custom",
                "content": {
                    "textType": "client-markdown",
                    "title": crate::escape::chat::fit(&subject, 250),
                    "description": crate::escape::chat::fit(&text, 3500),
                },
            }),
        },
    }
}

/// A person's notice before their shift by one method, to the paging
/// topic with their id as `person` and the method as `method`, so it
/// reaches that subscription of theirs and no one else's.
pub fn handoff(
    id: String,
    audience: Audience,
    (person, method): (&Person, Method),
    schedule: &Schedule,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> Message {
    let text = handoff_text(schedule, start, end);
    let mut m = message(
        id,
        audience,
        "handoff",
        format!(
            "On call for {} from {}",
            schedule.id,
            wall(start, schedule.time_zone.tz())
        ),
        text,
        &[("person", person.id.as_str()), ("method", method.as_str())],
        json!({
            "person": person.id,
            "schedule": schedule.id,
            "start": start,
            "end": end,
        }),
    );
    m.to = Some(crate::domain::Paged {
        person: person.id.clone(),
        name: person.name.clone(),
        schedule: Some(schedule.id.clone()),
        methods: vec![method],
    });
    m
}

/// The team's warning of stretches with nobody on call.
pub fn gaps(
    id: String,
    audience: Audience,
    schedule: &Schedule,
    gaps: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Message {
    let tz = schedule.time_zone.tz();
    let listed: Vec<String> = gaps
        .iter()
        .take(5)
        .map(|(s, e)| {
            format!(
                "{} until {}",
                s.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
                e.with_timezone(&tz).format("%a %Y-%m-%d %H:%M")
            )
        })
        .collect();
    let more = gaps
        .len()
        .checked_sub(5)
        .filter(|n| *n > 0)
        .map(|n| format!(", and {n} more"))
        .unwrap_or_default();
    let text = format!(
        "Coverage gap: nobody is on call for {} ({tz}) {}{more}. A page to it fires the next level instead; add an override or fix the rotation.",
        schedule.id,
        listed.join("; ")
    );
    message(
        id,
        audience,
        "coverage",
        format!("Coverage gap in {}", schedule.id),
        text,
        &[],
        json!({ "schedule": schedule.id, "gaps": gaps }),
    )
}

/// The team's warning of a person no page can reach.
pub fn unreachable(
    id: String,
    audience: Audience,
    person: &Person,
    schedules: &[String],
) -> Message {
    let text = format!(
        "Coverage warning: {} ({}), on call in {}, has no working contact method (an SMS number or email their rules use): a page cannot reach them.",
        person.name,
        person.id,
        schedules.join(", ")
    );
    message(
        id,
        audience,
        "coverage",
        format!("{} cannot be paged", person.name),
        text,
        &[],
        json!({ "person": person.id, "schedules": schedules }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oncall::ScheduleInput;

    fn schedule(tz: &str) -> Schedule {
        let input: ScheduleInput = serde_json::from_value(json!({
            "name": "Security primary",
            "time_zone": tz,
            "layers": [{"people": ["priya", "sam"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-01-05"}],
        }))
        .expect("input");
        Schedule::parse("security-primary", &input).expect("schedule")
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn handoff_text_table() {
        let berlin = schedule("Europe/Berlin");
        let cases = [
            (
                "a week, in the schedule's zone",
                t("2026-12-07T08:00:00Z"),
                Some(t("2026-12-14T08:00:00Z")),
                "You are on call for security-primary from Mon 09:00 Europe/Berlin until Mon 09:00 next week",
            ),
            (
                "across the spring DST change the wall time holds",
                t("2027-03-22T08:00:00Z"),
                Some(t("2027-03-29T07:00:00Z")),
                "You are on call for security-primary from Mon 09:00 Europe/Berlin until Mon 09:00 next week",
            ),
            (
                "a night",
                t("2026-12-07T17:00:00Z"),
                Some(t("2026-12-08T08:00:00Z")),
                "You are on call for security-primary from Mon 18:00 Europe/Berlin until Tue 09:00",
            ),
            (
                "the same day",
                t("2026-12-07T08:00:00Z"),
                Some(t("2026-12-07T16:00:00Z")),
                "You are on call for security-primary from Mon 09:00 Europe/Berlin until 17:00",
            ),
            (
                "a fortnight",
                t("2026-12-07T08:00:00Z"),
                Some(t("2026-12-21T08:00:00Z")),
                "You are on call for security-primary from Mon 09:00 Europe/Berlin until Mon 2026-12-21 09:00",
            ),
            (
                "no end in sight",
                t("2026-12-07T08:00:00Z"),
                None,
                "You are on call for security-primary from Mon 09:00 Europe/Berlin until further notice",
            ),
        ];
        for (name, start, end, want) in cases {
            assert_eq!(handoff_text(&berlin, start, end), want, "{name}");
        }
    }
}
