//! Who a paging level reaches when it fires: the roster as the sweep read
//! it just before its pure step, so the clocks stay free of I/O.

use super::Target;
use crate::domain::Audience;
use crate::domain::Paged;
use crate::domain::oncall::{NotificationRule, Person, PersonId, ScheduleId};
use std::collections::BTreeMap;

/// Who is on call for each schedule, and how each person is reached, at
/// one instant. Empty: every schedule and person level is a gap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    schedules: BTreeMap<ScheduleId, Option<PersonId>>,
    people: BTreeMap<PersonId, (String, Vec<NotificationRule>)>,
}

/// What a level comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A topic, as before people were paged.
    Topic(Audience),
    /// A person, through the paging topic: the methods at once, and the
    /// rules that notify them again later if nobody acknowledges.
    Person(Paged, Vec<NotificationRule>),
    /// Nobody a page can reach, and why: a coverage gap.
    Gap(String),
}

impl Reach {
    /// `on_call` is on call for `schedule` (or nobody is).
    pub fn schedule(&mut self, schedule: ScheduleId, on_call: Option<PersonId>) {
        self.schedules.insert(schedule, on_call);
    }

    /// How `person` is reached: their name and paging rules, never the
    /// details.
    pub fn person(&mut self, person: &Person) {
        self.people.insert(
            person.id.clone(),
            (person.name.clone(), person.paging_rules()),
        );
    }

    pub fn resolve(&self, target: &Target) -> Resolved {
        match target {
            Target::Audience(a) => Resolved::Topic(*a),
            Target::Person(p) => self.reach(p, None),
            Target::Schedule(s) => match self.schedules.get(s) {
                None => Resolved::Gap(format!("there is no schedule {s}")),
                Some(None) => Resolved::Gap(format!("nobody is on call for {s}")),
                Some(Some(p)) => self.reach(p, Some(s)),
            },
        }
    }

    fn reach(&self, id: &PersonId, schedule: Option<&ScheduleId>) -> Resolved {
        let on_call = schedule
            .map(|s| format!(" (on call for {s})"))
            .unwrap_or_default();
        match self.people.get(id) {
            None => Resolved::Gap(format!("{id}{on_call} is not on the roster")),
            Some((name, rules)) if rules.is_empty() => {
                Resolved::Gap(format!("{name}{on_call} has no working contact method"))
            }
            Some((name, rules)) => {
                let (now, later): (Vec<NotificationRule>, Vec<NotificationRule>) =
                    rules.iter().copied().partition(|r| r.after_minutes == 0);
                let mut methods: Vec<_> = now.iter().map(|r| r.method).collect();
                methods.dedup();
                Resolved::Person(
                    Paged {
                        person: id.clone(),
                        name: name.clone(),
                        schedule: schedule.cloned(),
                        methods,
                    },
                    later,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::oncall::{ContactsInput, PersonInput, RuleInput};

    fn person(id: &str, name: &str, sms: Option<&str>, chat: Option<&str>) -> Person {
        Person::parse(
            id,
            &PersonInput {
                name: name.into(),
                time_zone: "Europe/Berlin".into(),
                contacts: ContactsInput {
                    sms: sms.map(Into::into),
                    email: None,
                    chat: chat.map(Into::into),
                },
                rules: sms
                    .map(|_| RuleInput {
                        method: "sms".into(),
                        after_minutes: 0,
                    })
                    .into_iter()
                    .collect(),
            },
        )
        .expect("person")
    }

    fn sid(s: &str) -> ScheduleId {
        ScheduleId::parse("s", s).expect("schedule")
    }

    fn pid(s: &str) -> PersonId {
        PersonId::parse("p", s).expect("person")
    }

    #[test]
    fn resolve_table() {
        let mut r = Reach::default();
        r.person(&person(
            "priya",
            "Priya Raman",
            Some("+4915112345678"),
            None,
        ));
        r.person(&person("sam", "Sam Okafor", None, Some("@sam")));
        r.schedule(sid("security-primary"), Some(pid("priya")));
        r.schedule(sid("security-secondary"), None);
        r.schedule(sid("nights"), Some(pid("sam")));
        r.schedule(sid("ghosts"), Some(pid("gone")));
        let priya = |schedule: Option<&str>| {
            Resolved::Person(
                Paged {
                    person: pid("priya"),
                    name: "Priya Raman".into(),
                    schedule: schedule.map(sid),
                    methods: vec![crate::domain::oncall::Method::Sms],
                },
                Vec::new(),
            )
        };
        let gap = |s: &str| Resolved::Gap(s.into());
        let cases = [
            (
                Target::Audience(Audience::Leadership),
                Resolved::Topic(Audience::Leadership),
            ),
            (
                Target::Schedule(sid("security-primary")),
                priya(Some("security-primary")),
            ),
            (Target::Person(pid("priya")), priya(None)),
            (
                Target::Schedule(sid("security-secondary")),
                gap("nobody is on call for security-secondary"),
            ),
            (
                Target::Schedule(sid("missing")),
                gap("there is no schedule missing"),
            ),
            (
                Target::Schedule(sid("nights")),
                gap("Sam Okafor (on call for nights) has no working contact method"),
            ),
            (
                Target::Person(pid("sam")),
                gap("Sam Okafor has no working contact method"),
            ),
            (
                Target::Schedule(sid("ghosts")),
                gap("gone (on call for ghosts) is not on the roster"),
            ),
            (
                Target::Person(pid("ravi")),
                gap("ravi is not on the roster"),
            ),
        ];
        for (target, want) in cases {
            assert_eq!(r.resolve(&target), want, "{target}");
        }
        assert_eq!(
            Reach::default().resolve(&Target::Schedule(sid("security-primary"))),
            gap("there is no schedule security-primary"),
            "an empty snapshot reaches nobody"
        );
    }
}
