use super::export::{Export, Restriction, TimeRestriction};
use super::*;
use crate::domain::oncall::Method;
use chrono::TimeZone;

const BUNDLE: &str = include_str!("../../../tests/fixtures/opsgenie/bundle.json");
const SCHEDULE: &str = include_str!("../../../tests/fixtures/opsgenie/schedule.json");
const ESCALATION: &str = include_str!("../../../tests/fixtures/opsgenie/escalation.json");

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
}

fn read(s: &str) -> Export {
    Export::parse(&serde_json::from_str(s).unwrap()).unwrap()
}

fn run(s: &str) -> Import {
    import(
        &read(s),
        &Options {
            now: now(),
            ..Options::default()
        },
    )
}

fn reasons(fs: &[Finding]) -> Vec<String> {
    fs.iter()
        .map(|f| format!("{}: {}", f.item, f.reason))
        .collect()
}

fn has(fs: &[Finding], item: &str, reason: &str) -> bool {
    fs.iter()
        .any(|f| f.item.contains(item) && f.reason.contains(reason))
}

#[test]
fn the_docs_bundle_maps_people_contacts_and_reports_the_rest() {
    let i = run(BUNDLE);
    let ids: Vec<&str> = i.people.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["john.doe", "jane.doe", "user"]);
    let john = &i.people[0];
    assert_eq!(john.name, "john doe");
    assert_eq!(john.time_zone.to_string(), "Europe/Kirov");
    assert_eq!(john.contacts.sms.as_ref().unwrap().expose(), "+19999999999");
    assert_eq!(
        john.contacts.email.as_ref().unwrap().expose(),
        "john.doe@opsgenie.com"
    );
    assert_eq!(john.paging_methods(), [Method::Sms, Method::Email]);
    // jane's email has no top-level domain: refused, her SMS kept.
    let jane = &i.people[1];
    assert_eq!(
        jane.contacts.sms.as_ref().unwrap().expose(),
        "+447700900123"
    );
    assert!(jane.contacts.email.is_none());
    let s = &i.skipped;
    assert!(
        has(s, "john doe\" contact 3 (voice)", "not voice"),
        "{:#?}",
        reasons(s)
    );
    assert!(has(
        s,
        "jane doe\" contact 2 (email)",
        "contacts.email: must be"
    ));
    assert!(has(s, "jane doe\" contact 3 (mobile)", "push"));
    assert!(has(s, "Ops User\" contact 2 (sms)", "disabled"));
    assert!(has(&i.differences, "Ops User", "no working contact method"));
    // No finding shows a number or an address.
    for f in i.skipped.iter().chain(&i.differences) {
        for secret in ["9999999999", "7700900123", "5555555555", "@opsgenie"] {
            assert!(
                !f.reason.contains(secret) && !f.item.contains(secret),
                "{f:?}"
            );
        }
    }
}

#[test]
fn the_docs_bundle_maps_rotations_into_layers() {
    let i = run(BUNDLE);
    let ids: Vec<&str> = i.schedules.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["schedulename", "security_primary"]);
    let s = &i.schedules[0];
    assert_eq!(s.time_zone.to_string(), "Europe/Kirov");
    // First: ended. Third: names a team and an escalation. Second is left.
    assert!(has(&i.skipped, "\"First Rotation\"", "it has ended"));
    assert!(
        has(
            &i.skipped,
            "\"Third Rotation\"",
            "participant 2 is the team TeamName"
        ),
        "{:#?}",
        reasons(&i.skipped)
    );
    assert!(has(
        &i.skipped,
        "\"Third Rotation\"",
        "participant 3 is the escalation"
    ));
    assert_eq!(s.layers.len(), 1);
    let l = &s.layers[0];
    let people: Vec<&str> = l.people.iter().map(|p| p.as_str()).collect();
    assert_eq!(people, ["jane.doe", "john.doe"]);
    // 06:00Z is 09:00 in Kirov (UTC+3), a Friday.
    assert_eq!(l.shift.to_string(), "2w");
    assert_eq!(l.handoff.to_string(), "Fri 09:00");
    assert_eq!(l.start.to_string(), "2026-02-06");
    let w: Vec<String> = l.restrictions.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        [
            "Fri 00:00-18:30",
            "Tue,Wed,Thu 00:00-24:00",
            "Mon 08:00-24:00"
        ]
    );
    let sp = &i.schedules[1];
    assert_eq!(sp.layers[0].handoff.to_string(), "Mon 09:00");
    // 2026-03-02 12:00Z: week 8 since 2026-01-05 09:00, so john (even).
    assert_eq!(
        sp.on_call(&[], now()).person.map(|p| p.to_string()),
        Some("john.doe".into())
    );
}

#[test]
fn overrides_of_whole_schedules_only() {
    let i = run(BUNDLE);
    assert_eq!(i.overrides.len(), 1, "{:#?}", i.overrides);
    let o = &i.overrides[0];
    assert_eq!(o.schedule.as_str(), "security_primary");
    assert_eq!(o.person.as_str(), "jane.doe");
    assert_eq!(o.start, Utc.with_ymd_and_hms(2030, 5, 24, 8, 0, 0).unwrap());
    assert!(has(
        &i.skipped,
        "override 2 of schedule security_primary",
        "nobody"
    ));
    assert!(has(
        &i.skipped,
        "override 1 of schedule schedulename",
        "some rotations only"
    ));
}

#[test]
fn escalations_become_levels_with_relative_delays() {
    let i = run(BUNDLE);
    assert_eq!(i.escalations.len(), 1);
    let e = &i.escalations[0];
    assert_eq!(e.severity, Some(Severity::Sev1));
    let levels: Vec<(String, i64, usize)> = e
        .levels
        .iter()
        .map(|l| (l.target.to_string(), l.after_minutes, l.rule))
        .collect();
    assert_eq!(
        levels,
        [
            ("schedule security_primary".to_owned(), 0, 1),
            ("person john.doe".to_owned(), 10, 3),
        ]
    );
    assert_eq!((e.repeat, e.repeat_after_minutes), (2, Some(10)));
    let s = &i.skipped;
    assert!(has(s, "rule 2", "Klaxon has no teams"), "{:#?}", reasons(s));
    assert!(has(s, "rule 4", "if-not-closed"));
    assert!(has(s, "rule 5", "team (admins)"));
}

/// The fragment is TOML the policy loader takes, with the levels as mapped.
#[test]
fn the_policy_fragment_loads() {
    let i = run(BUNDLE);
    let frag = policy_fragment(&i.escalations);
    assert!(frag.contains("[escalation.SEV-1]"), "{frag}");
    assert!(
        frag.contains("{ person = \"john.doe\", after = \"10m\" }"),
        "{frag}"
    );
    let mut base: toml::Table = toml::from_str(crate::policy::DEFAULT_POLICY).unwrap();
    base.remove("escalation");
    let text = format!("{}\n{frag}", toml::to_string(&base).unwrap());
    let p = crate::policy::Policy::parse(&text).expect("policy with the fragment");
    let e = p.escalation(Severity::Sev1).expect("SEV-1 paging");
    assert_eq!(e.levels.len(), 2);
    assert_eq!(e.levels[1].after, Duration::minutes(10));
    assert_eq!(e.repeat, 2);
    assert_eq!(e.repeat_after, Duration::minutes(10));
}

#[test]
fn single_answers_are_told_apart() {
    let s = read(SCHEDULE);
    assert_eq!(s.schedules.len(), 1);
    assert_eq!(s.schedules[0].rotations[0].participants.len(), 2);
    let e = read(ESCALATION);
    assert_eq!(e.escalations[0].rules.len(), 2);
    // Alone, the docs' escalation names a team and a user not in the export.
    let opts = Options {
        now: now(),
        ..Options::default()
    };
    let alone = import(&e, &opts);
    assert!(alone.escalations.is_empty());
    assert!(has(&alone.skipped, "rule 2", "its user was not imported"));
    assert!(has(&alone.skipped, "TestEscalation", "none of its rules"));
    // With the bundle's users, its rule 2 pages john; two escalations take
    // SEV-1 and SEV-2, or what --severity says, never one severity twice.
    let mut all = read(BUNDLE);
    all.merge(e);
    let sev = |o: &Options| -> Vec<Option<Severity>> {
        import(&all, o)
            .escalations
            .iter()
            .map(|e| e.severity)
            .collect()
    };
    assert_eq!(sev(&opts), [Some(Severity::Sev1), Some(Severity::Sev2)]);
    let mut chosen = opts.clone();
    chosen
        .severities
        .insert("TestEscalation".into(), Severity::Sev2);
    assert_eq!(sev(&chosen), [Some(Severity::Sev2), Some(Severity::Sev1)]);
    let frag = policy_fragment(&import(&all, &chosen).escalations);
    let mut base: toml::Table = toml::from_str(crate::policy::DEFAULT_POLICY).unwrap();
    base.remove("escalation");
    crate::policy::Policy::parse(&format!("{}\n{frag}", toml::to_string(&base).unwrap()))
        .expect("two tables, two severities");
    for bad in [
        r#"{"data": [{"method": "sms", "to": "1-9"}]}"#,
        r#"{"data": [{"user": {"type": "none"}, "startDate": "x"}]}"#,
        r#"{"schedule": []}"#,
        r#"[1, 2]"#,
        r#"{"users": {"data": [1]}}"#,
    ] {
        let e = Export::parse(&serde_json::from_str(bad).unwrap()).unwrap_err();
        assert!(!e.why.is_empty(), "{bad}");
    }
}

fn tr(kind: &str, spans: &[(&str, i64, i64, &str, i64, i64)]) -> TimeRestriction {
    let r = |s: &(&str, i64, i64, &str, i64, i64)| Restriction {
        start_day: Some(s.0.into()),
        start_hour: Some(s.1),
        start_min: Some(s.2),
        end_day: Some(s.3.into()),
        end_hour: Some(s.4),
        end_min: Some(s.5),
    };
    TimeRestriction {
        kind: kind.into(),
        restriction: spans.first().map(r),
        restrictions: spans.iter().map(r).collect(),
    }
}

#[test]
fn restrictions_table() {
    let w = "weekday-and-time-of-day";
    let cases: Vec<(TimeRestriction, Result<Vec<&str>, &str>)> = vec![
        (
            tr("time-of-day", &[("", 9, 0, "", 17, 0)]),
            Ok(vec!["Mon,Tue,Wed,Thu,Fri,Sat,Sun 09:00-17:00"]),
        ),
        // Across midnight: the evening and the morning after.
        (
            tr("time-of-day", &[("", 22, 0, "", 6, 0)]),
            Ok(vec![
                "Mon,Tue,Wed,Thu,Fri,Sat,Sun 00:00-06:00",
                "Mon,Tue,Wed,Thu,Fri,Sat,Sun 22:00-24:00",
            ]),
        ),
        (
            tr("time-of-day", &[("", 0, 0, "", 0, 0)]),
            Ok(vec!["Mon,Tue,Wed,Thu,Fri,Sat,Sun 00:00-24:00"]),
        ),
        (
            tr(
                w,
                &[
                    ("monday", 9, 0, "monday", 17, 0),
                    ("tuesday", 9, 0, "tuesday", 17, 0),
                ],
            ),
            Ok(vec!["Mon,Tue 09:00-17:00"]),
        ),
        // Friday evening to Monday morning: the weekend, across the week's end.
        (
            tr(w, &[("friday", 18, 0, "monday", 8, 0)]),
            Ok(vec![
                "Mon 00:00-08:00",
                "Sat,Sun 00:00-24:00",
                "Fri 18:00-24:00",
            ]),
        ),
        // The same weekday and time at both ends: the whole week.
        (
            tr(w, &[("sunday", 12, 0, "sunday", 12, 0)]),
            Ok(vec![
                "Sun 00:00-12:00",
                "Mon,Tue,Wed,Thu,Fri,Sat 00:00-24:00",
                "Sun 12:00-24:00",
            ]),
        ),
        (
            tr(w, &[("funday", 9, 0, "monday", 17, 0)]),
            Err("not a weekday"),
        ),
        (
            tr("time-of-day", &[("", 25, 0, "", 6, 0)]),
            Err("out of range"),
        ),
        (tr("moon-phase", &[]), Err("unknown type")),
        (tr(w, &[]), Err("without restrictions")),
    ];
    for (t, want) in cases {
        let got = windows(&t);
        match (got, want) {
            (Ok(g), Ok(w)) => {
                let mut g = g;
                let mut w: Vec<String> = w.into_iter().map(str::to_owned).collect();
                g.sort();
                w.sort();
                assert_eq!(g, w, "{t:?}");
                // Each is a window Klaxon parses.
                for x in &g {
                    crate::domain::oncall::Window::parse("w", x).expect(x);
                }
            }
            (Err(g), Err(w)) => assert!(g.contains(w), "{g} / {w}"),
            (g, w) => panic!("{t:?}: got {g:?}, want {w:?}"),
        }
    }
    // Fifteen distinct pieces do not fit a layer.
    let many: Vec<(&str, i64, i64, &str, i64, i64)> =
        (0..15).map(|i| ("monday", i, 0, "monday", i, 30)).collect();
    assert!(windows(&tr(w, &many)).unwrap_err().contains("at most 14"));
}

#[test]
fn ids_numbers_and_delays_table() {
    let mut taken = BTreeSet::new();
    let cases = [
        ("john.doe", "john.doe"),
        ("John.Doe", "john.doe-2"),
        ("Ops Team Schedule", "ops-team-schedule"),
        ("__x", "x"),
        ("山田", "fallback"),
        ("", "fallback-2"),
    ];
    for (raw, want) in cases {
        assert_eq!(slug_from(raw, "fallback", &mut taken), want, "{raw}");
    }
    for (to, want) in [("1-9999999999", "+1-9999999999"), ("+44 20", "+44 20")] {
        assert_eq!(e164(to), want);
    }
    let d = |n: i64, u: Option<&str>| export::Delay {
        time_amount: n,
        time_unit: u.map(str::to_owned),
    };
    assert_eq!(minutes(&d(5, None)), Some(5));
    assert_eq!(minutes(&d(2, Some("hours"))), Some(120));
    assert_eq!(minutes(&d(1, Some("days"))), Some(1440));
    assert_eq!(minutes(&d(-1, None)), None);
    assert_eq!(minutes(&d(1, Some("weeks"))), None);
    assert_eq!(minutes(&d(i64::MAX, Some("days"))), None);
    assert_eq!(clean_name("  a\u{202e}b\u{7}c ", "x"), "abc");
    assert_eq!(clean_name("\u{7}", "x"), "x");
}

/// Rotations Klaxon cannot take are reported one by one, by reason.
#[test]
fn rotation_refusals_table() {
    let rot = |extra: &str| {
        format!(
            r#"{{"users": [{{"id": "1", "username": "a@x.io", "fullName": "A"}}],
                "schedules": [{{"name": "S", "timezone": "UTC", "rotations": [
                  {{"name": "R", "participants": [{{"type": "user", "id": "1"}}], {extra}}}]}}]}}"#
        )
    };
    let cases = [
        (
            r#""type": "daily", "length": 0, "startDate": "2026-01-01T00:00:00Z""#,
            "is not 1 to 744 hours",
        ),
        (
            r#""type": "weekly", "length": 53, "startDate": "2026-01-01T00:00:00Z""#,
            "is not 1 to 744 hours",
        ),
        (
            r#""type": "monthly", "startDate": "2026-01-01T00:00:00Z""#,
            "not hourly, daily or weekly",
        ),
        (r#""type": "daily""#, "startDate is missing"),
        (
            r#""type": "daily", "startDate": "Jan 1st""#,
            "startDate is missing or not a date",
        ),
        (
            r#""type": "daily", "startDate": "1999-01-01T00:00:00Z""#,
            "layers[0].start",
        ),
        (
            r#""type": "daily", "startDate": "2026-01-01T00:00:00Z", "endDate": "2026-02-01T00:00:00Z""#,
            "it has ended",
        ),
    ];
    for (extra, want) in cases {
        let i = run(&rot(extra));
        assert!(i.schedules.is_empty(), "{extra}");
        assert!(
            i.skipped.iter().any(|f| f.reason.contains(want)),
            "{extra}: {:#?}",
            reasons(&i.skipped)
        );
    }
    // A start in 2026-01-01 in an offset form is the same instant.
    let i = run(&rot(
        r#""type": "daily", "startDate": "2026-01-01T02:00:00+0200""#,
    ));
    assert_eq!(i.schedules[0].layers[0].handoff.to_string(), "00:00");
}

/// Overlapping rotations are imported, with the difference said.
#[test]
fn overlapping_rotations_are_a_difference() {
    let json = r#"{
      "users": [{"id": "1", "username": "a@x.io", "fullName": "A"}, {"id": "2", "username": "b@x.io", "fullName": "B"}],
      "schedules": [{"name": "S", "timezone": "Europe/Berlin", "rotations": [
        {"name": "Day", "type": "daily", "startDate": "2026-01-01T08:00:00Z", "participants": [{"type": "user", "id": "1"}]},
        {"name": "Night", "type": "daily", "startDate": "2026-01-01T20:00:00Z", "participants": [{"type": "user", "id": "2"}],
         "timeRestriction": {"type": "time-of-day", "restriction": {"startHour": 18, "startMin": 0, "endHour": 8, "endMin": 0}}}
      ]}]
    }"#;
    let i = run(json);
    assert_eq!(i.schedules[0].layers.len(), 2);
    assert!(
        has(
            &i.differences,
            "schedule \"S\"",
            "Klaxon pages the one listed last (Night)"
        ),
        "{:#?}",
        reasons(&i.differences)
    );
    // Daily handoff at 09:00 Berlin: 08:00Z in winter.
    assert_eq!(i.schedules[0].layers[0].handoff.to_string(), "09:00");
}
