//! The labelled corpus (`tests/corpus/*.jsonl`) run through the built-in
//! policy's severity engine. `tune.jsonl` is what the tables were tuned on;
//! `tune-2.jsonl` was written as a held-out set, measured, and then tuned on
//! (docs/severity.md). `heldout.jsonl` was written by someone else, from the
//! seeds alone, before any tuning, and is reported apart. `bench/corpus.sh`
//! prints the figures.

use klaxon_core::domain::{Severity, SourceSignal};
use klaxon_core::policy::{Facts, Policy};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "support/corpus_files.rs"]
mod corpus_files;

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    title: String,
    #[serde(default)]
    description: Option<String>,
    accept: Vec<Severity>,
    class: String,
    #[serde(default)]
    shape: String,
    #[serde(default)]
    signal: Option<SourceSignal>,
    #[serde(default)]
    cvss: Option<String>,
}

#[derive(Debug, Default)]
struct Figures {
    cases: usize,
    right: usize,
    class_right: usize,
    dangerous: Vec<String>,
    triaged: usize,
    /// Missed with no class placed: what the words did not reach.
    unplaced_wrong: usize,
    wrong: Vec<String>,
    /// (best accepted severity, got) -> count.
    confusion: BTreeMap<(Severity, Severity), usize>,
    by_shape: BTreeMap<String, (usize, usize)>,
}

fn load(name: &str) -> Vec<Case> {
    load_path(&format!(
        "{}/tests/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn load_path(path: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, l)| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", n + 1)))
        .collect()
}

fn run(cases: &[Case]) -> Figures {
    let policy = Policy::builtin();
    let mut f = Figures::default();
    for c in cases {
        let mut texts = vec![("title", c.title.as_str())];
        if let Some(d) = &c.description {
            texts.push(("description", d.as_str()));
        }
        let a = policy.assess(&Facts {
            texts,
            cvss: c.cvss.as_deref(),
            signal: c.signal.as_ref(),
            ..Facts::default()
        });
        f.cases += 1;
        let ok = c.accept.contains(&a.severity);
        let shape = f.by_shape.entry(c.shape.clone()).or_default();
        shape.0 += 1;
        if ok {
            f.right += 1;
            shape.1 += 1;
        } else {
            if a.class == klaxon_core::domain::IncidentClass::Unclassified {
                f.unplaced_wrong += 1;
            }
            let reasons: Vec<String> = a
                .reasons
                .iter()
                .map(|r| format!("{} [{}]", r.rule, r.evidence))
                .collect();
            f.wrong.push(format!(
                "{} want {:?} got {} ({}; class {} want {}){}: {:?}\n    {}\n    facts: {:?}",
                c.id,
                c.accept.iter().map(|s| s.code()).collect::<Vec<_>>(),
                a.severity,
                if a.needs_triage {
                    "needs triage"
                } else {
                    "placed"
                },
                a.class,
                c.class,
                if c.description.is_some() {
                    ""
                } else {
                    " title-only"
                },
                c.title,
                reasons.join("\n    "),
                a.confidence.facts
            ));
        }
        if a.class.id() == c.class {
            f.class_right += 1;
        }
        if a.needs_triage {
            f.triaged += 1;
        }
        let all_paging = c.accept.iter().all(|s| s.pages_oncall());
        if all_paging && !a.severity.pages_oncall() && !a.needs_triage {
            f.dangerous.push(c.id.clone());
        }
        let best = c.accept.iter().min().copied().unwrap_or(Severity::Sev3);
        *f.confusion.entry((best, a.severity)).or_default() += 1;
    }
    f
}

fn render(name: &str, f: &Figures) -> String {
    let pct = |n: usize| 100.0 * n as f64 / f.cases.max(1) as f64;
    let mut out = format!(
        "## {name}: {} cases\n- severity in the accepted set: {} ({:.1} %)\n- dangerous misses (all accepted SEV-1/2, got SEV-3/4, not flagged for triage): {}\n- class as labelled: {} ({:.1} %)\n- flagged needs triage: {} ({:.1} %)\n- missed with no class placed: {}\n\nconfusion (rows: most severe accepted, columns: got)\n\n| | SEV-1 | SEV-2 | SEV-3 | SEV-4 |\n|---|---|---|---|---|\n",
        f.cases,
        f.right,
        pct(f.right),
        f.dangerous.len(),
        f.class_right,
        pct(f.class_right),
        f.triaged,
        pct(f.triaged),
        f.unplaced_wrong,
    );
    for want in Severity::ALL {
        let _ = write!(out, "| {want} |");
        for got in Severity::ALL {
            let _ = write!(out, " {} |", f.confusion.get(&(want, got)).unwrap_or(&0));
        }
        out.push('\n');
    }
    out.push_str("\nby shape (right/cases): ");
    for (shape, (n, ok)) in &f.by_shape {
        let _ = write!(out, "{shape} {ok}/{n}, ");
    }
    out.push('\n');
    out
}

/// `KLAXON_CORPUS_MISSES=1` lists the misses of every set that is not held
/// out; `=all` the held-out sets' too, which makes them no longer held out.
fn report(name: &str) -> Figures {
    let f = run(&load(name));
    println!("{}", render(name, &f));
    let misses = std::env::var("KLAXON_CORPUS_MISSES").unwrap_or_default();
    if misses == "all" || (!misses.is_empty() && !is_held_out(name)) {
        for w in &f.wrong {
            println!("MISS {w}");
        }
    }
    f
}

/// One set's bar: where the engine stands on it (docs/severity.md).
struct Bar {
    file: &'static str,
    min_cases: usize,
    /// Accuracy no lower than last measured; the bar is 97 %.
    floor_percent: usize,
    /// Dangerous misses allowed: 0, except an unread held-out case.
    dangerous_at_most: usize,
}

const BARS: &[Bar] = &[
    Bar {
        file: "tune.jsonl",
        min_cases: 300,
        floor_percent: 95,
        dangerous_at_most: 0,
    },
    // Each written as held out, measured, then tuned on. tune-14 joining
    // the fallback's counts cost tune-2 one case (95 -> 94).
    Bar {
        file: "tune-2.jsonl",
        min_cases: 100,
        floor_percent: 94,
        dangerous_at_most: 0,
    },
    Bar {
        file: "tune-3.jsonl",
        min_cases: 200,
        floor_percent: 87,
        dangerous_at_most: 0,
    },
    // tune-15 joining the fallback's counts cost it a case or three (89 -> 88).
    Bar {
        file: "tune-4.jsonl",
        min_cases: 250,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // Never read. Its one dangerous miss went with general changes. The
    // fallback's counts taking in tune-14 cost it one case (85 -> 84).
    Bar {
        file: "heldout.jsonl",
        min_cases: 100,
        floor_percent: 90,
        dangerous_at_most: 0,
    },
    // Never read; one of its cases is a dangerous miss (unread).
    Bar {
        file: "heldout-3.jsonl",
        min_cases: 100,
        floor_percent: 89,
        dangerous_at_most: 0,
    },
    // Written by a fifth writer; the fallback's margins were chosen on it
    // (78.3 % as it came in, 81.7 % with them), then it was tuned on.
    Bar {
        file: "tune-5.jsonl",
        min_cases: 200,
        floor_percent: 94,
        dangerous_at_most: 0,
    },
    // Written from the seeds alone by a fourth writer, measured before the
    // tuning on tune-5 and never read.
    Bar {
        file: "heldout-5.jsonl",
        min_cases: 120,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // Written from the seeds alone by a seventh writer, measured as it came
    // in (81.9 %, 3 dangerous) and never read.
    Bar {
        file: "heldout-6.jsonl",
        min_cases: 150,
        floor_percent: 96,
        dangerous_at_most: 0,
    },
    // Two more writers' sets, measured as they came in (80.0 % and 80.7 %),
    // then added to the fallback's counts. tune-6's one dangerous miss is an
    // Atlassian-side Forge incident labelled SEV-2; the seeds put incidents
    // in Atlassian's platform under third-party dependencies (FirstTry §8),
    // which the engine follows (SEV-3).
    Bar {
        file: "tune-6.jsonl",
        min_cases: 250,
        floor_percent: 95,
        dangerous_at_most: 0,
    },
    // Paraphrases of every seed example by an eighth writer, measured as
    // they came in (83.3 %, 2 dangerous) and never read. Its one dangerous
    // miss came back when tune-10 joined the fallback's counts; left unread.
    Bar {
        file: "heldout-7.jsonl",
        min_cases: 140,
        floor_percent: 88,
        dangerous_at_most: 0,
    },
    // Two more writers (terse and non-native reporters; long first reports),
    // measured as they came in (86.0 % and 80.4 %), then counted.
    Bar {
        file: "tune-8.jsonl",
        min_cases: 250,
        floor_percent: 97,
        dangerous_at_most: 0,
    },
    Bar {
        file: "tune-9.jsonl",
        min_cases: 200,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A ninth writer's paraphrases, from the seeds alone, never read:
    // 77.5 % as it came in, 0 dangerous.
    Bar {
        file: "heldout-8.jsonl",
        min_cases: 150,
        floor_percent: 88,
        dangerous_at_most: 0,
    },
    // A tenth writer's set, measured as it came in (71.7 %, 0 dangerous),
    // then counted. Counting it cost tune-3, -7, -8 and -9 a point or less;
    // counting tune-14 cost it four cases.
    Bar {
        file: "tune-10.jsonl",
        min_cases: 280,
        floor_percent: 91,
        dangerous_at_most: 0,
    },
    // An eleventh writer's set (facts said indirectly, calm SEV-1s and
    // alarmed SEV-4s, reports about the app from customers and Atlassian),
    // measured as it came in (67.7 %, 2 dangerous), then counted.
    // tune-15 joining the fallback's counts cost it a case or three (76 -> 75).
    Bar {
        file: "tune-11.jsonl",
        min_cases: 280,
        floor_percent: 86,
        dangerous_at_most: 0,
    },
    // A twelfth writer's set, held out: tool output (GuardDuty, Inspector,
    // Dependabot, Wiz, bounty platforms) and near-miss pairs that differ in
    // one detail. Measured once as it came in (63.0 %, 1 dangerous, unread);
    // 0 dangerous since tune-12 joined the counts. A CVSS score given
    // deciding over the fallback's word counts cost it four (64.0 -> 62.7 %).
    // Its one dangerous case turns on the counts alone: placed by a Low-band
    // CVSS vector and nothing else, flagged or not by how near its words are
    // to a paging class. tune-15 joining the counts unflagged it again.
    Bar {
        file: "heldout-10.jsonl",
        min_cases: 280,
        floor_percent: 79,
        dangerous_at_most: 0,
    },
    // A thirteenth writer's paraphrases of every seed row, from the seeds
    // alone, held out: 80.0 % as it came in, 0 dangerous; never read.
    Bar {
        file: "heldout-11.jsonl",
        min_cases: 240,
        floor_percent: 91,
        dangerous_at_most: 0,
    },
    // A fifteenth writer's short paraphrases of every table row and
    // definition, written after the round of 2026-12-03 and measured once
    // on its final engine: 81.5 %, 1 dangerous miss, held out and unread.
    Bar {
        file: "heldout-12.jsonl",
        min_cases: 190,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A fourteenth writer's (vague titles, the fact said mid-description;
    // negated and non-production twins), measured as it came in (80.4 %,
    // 0 dangerous), then counted.
    Bar {
        file: "tune-12.jsonl",
        min_cases: 240,
        floor_percent: 97,
        dangerous_at_most: 0,
    },
    // A sixteenth writer's: half short paraphrases of the seeds' rows, half
    // tool and people's reports with the fact in the description. Measured
    // once as it came in (82.5 %, 1 dangerous), held out and unread.
    Bar {
        file: "heldout-13.jsonl",
        min_cases: 200,
        floor_percent: 91,
        dangerous_at_most: 0,
    },
    // A seventeenth writer's 2-3 short paraphrases of every table row, with
    // less severe twins, measured as it came in (86.0 %, 0 dangerous), then
    // read and tuned on. Its words joining the fallback's counts cost tune-3
    // five cases and tune-5 one.
    Bar {
        file: "tune-13.jsonl",
        min_cases: 250,
        floor_percent: 98,
        dangerous_at_most: 0,
    },
    // An eighteenth writer's: understated reports (the severity inferred
    // from what happened) and tool output, with lowered twins. Measured once
    // as it came in (78.0 %, 0 dangerous), held out and unread.
    // tune-15 joining the fallback's counts cost it a case or three (78 -> 77).
    Bar {
        file: "heldout-14.jsonl",
        min_cases: 200,
        floor_percent: 92,
        dangerous_at_most: 0,
    },
    // A nineteenth writer's: long write-ups and chat with noise, short
    // titles, unusual vocabulary; measured as it came in (82.8 %,
    // 0 dangerous), then read and tuned on (85.6 %).
    Bar {
        file: "tune-14.jsonl",
        min_cases: 250,
        floor_percent: 95,
        dangerous_at_most: 0,
    },
    // A twentieth writer's: plain restatements of the seeds' example rows
    // as a new user types them, with lowered twins. Measured once as it
    // came in (90.0 %, 1 dangerous), held out and unread.
    Bar {
        file: "heldout-15.jsonl",
        min_cases: 200,
        floor_percent: 97,
        dangerous_at_most: 1,
    },
    // A twenty-first writer's: what happened described rather than named,
    // heavy synonyms, mixed certainty; measured as it came in (81.2 %,
    // 0 dangerous), then read and tuned on (85.6 %).
    Bar {
        file: "tune-15.jsonl",
        min_cases: 250,
        floor_percent: 95,
        dangerous_at_most: 0,
    },
    // A twenty-second writer's: plain paraphrases of every seed example row
    // as a new user types them, a sixth lowered twins. Measured once as it
    // came in (82.3 %, 0 dangerous), held out and unread.
    Bar {
        file: "heldout-17.jsonl",
        min_cases: 220,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A twenty-third writer's: SEV-1/2 told calmly by what was seen,
    // alarming reports the plans place low, tool shapes and chat; measured
    // as it came in (70.0 %, 1 dangerous), then read and tuned on.
    Bar {
        file: "tune-17.jsonl",
        min_cases: 250,
        floor_percent: 88,
        dangerous_at_most: 0,
    },
    // A twenty-fourth writer's: the seeds' table rows paraphrased as a
    // grader would (terse, with facts, hurried, lowered twins). Measured
    // once as it came in (80.5 %, 2 dangerous; the build before the round
    // that added it gave 80.9 %, 2), held out and unread.
    Bar {
        file: "heldout-18.jsonl",
        min_cases: 220,
        floor_percent: 87,
        dangerous_at_most: 0,
    },
    // A twenty-fifth writer's: SEV-1/2 said in plain operational words,
    // their explained-away and non-production twins, scored and unscored
    // weaknesses; measured as it came in (56.8 %, 2 dangerous), then read
    // and tuned on.
    Bar {
        file: "tune-18.jsonl",
        min_cases: 250,
        floor_percent: 88,
        dangerous_at_most: 0,
    },
    // An attack pass's finds: 35 dangerous misses and 8 SEV-4 reports
    // judged SEV-1 out of 565 reports tried, each wrong when found.
    Bar {
        file: "tune-attack.jsonl",
        min_cases: 43,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A twenty-sixth writer's: the shapes teams send (terse pages, bounty
    // submissions, scanner output, retrospectives, questions and tasks that
    // name an incident type, fixed or unreachable findings, honeypots,
    // Atlassian status notices); measured as it came in (78.4 %, 0
    // dangerous), then read and tuned on.
    Bar {
        file: "tune-19.jsonl",
        min_cases: 250,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A twenty-seventh writer's, held out: paraphrases in other words,
    // vague titles over plain bodies, alarming titles over drills and
    // staging, tool shapes. Measured once as it came in (83.2 %, 0
    // dangerous, on 4d7a3d2); never read.
    Bar {
        file: "heldout-19.jsonl",
        min_cases: 220,
        floor_percent: 90,
        dangerous_at_most: 0,
    },
    // A second attack pass's finds: 105 reports misjudged out of 482 tried
    // (13 dangerous, all a CVE named with no severity, since flagged).
    Bar {
        file: "tune-attack-2.jsonl",
        min_cases: 105,
        floor_percent: 69,
        dangerous_at_most: 0,
    },
    // A third attack pass's finds: 32 reports misjudged out of 412 tried,
    // 15 of them dangerous (a neutral verb for data read out, a low
    // finding's IP then inside a production datastore, a minor label on a
    // weakness already firing), 17 over-severe (practice, writing, and
    // synthetic data named as an incident).
    Bar {
        file: "tune-attack-3.jsonl",
        min_cases: 32,
        floor_percent: 96,
        dangerous_at_most: 0,
    },
    // A fourth attack pass's finds: 111 reports misjudged, 13 of them
    // dangerous (a retraction of an earlier alert read as dismissing this
    // one; a leak told in a talk, the docs or meeting notes read as
    // writing about incidents). One is left: drill notes with a real
    // incident in one line.
    Bar {
        file: "tune-attack-4.jsonl",
        min_cases: 111,
        floor_percent: 74,
        dangerous_at_most: 0,
    },
    // A twenty-eighth writer's, held out: the seeds' table rows and
    // incident definitions said several ways, a fifth lowered twins.
    // Measured once as it came in (194/220, 88.2 %, 0 dangerous, by
    // `klaxon assess` on 5cc04b2; 193 here); never read.
    Bar {
        file: "heldout-21.jsonl",
        min_cases: 220,
        floor_percent: 90,
        dangerous_at_most: 0,
    },
    // A twenty-ninth writer's, held out: everyday words for what happened,
    // routine titles over serious bodies, terse alerts, non-native English.
    // Measured once as it came in (189/220, 85.9 %, 0 dangerous, by
    // `klaxon assess` on f0a1066); never read.
    Bar {
        file: "heldout-22.jsonl",
        min_cases: 220,
        floor_percent: 95,
        dangerous_at_most: 0,
    },
    // A thirty-first writer's: how real reports differ from the seeds'
    // words (consequences told instead of the category, product jargon,
    // alert lines, customer mail, routine bounty titles over serious
    // bodies, harmless reports in alarming words); measured as it came in
    // (262/300, 87.3 %, 1 dangerous, by `klaxon assess` on 153cd1f), then
    // read and tuned on. The rules were tuned on it; the word counts were
    // not (trained on it, they cost a held-out set a dangerous miss), so
    // it is not named `tune-`.
    Bar {
        file: "read-23.jsonl",
        min_cases: 300,
        floor_percent: 96,
        dangerous_at_most: 0,
    },
    // A thirtieth writer's, held out: the seeds' examples retold plainly,
    // title-only and with bodies and tool shapes, the SEV-4 rows given as
    // much care as the SEV-1 rows. Measured once as it came in (194/220,
    // 88.2 %, 0 dangerous, by `klaxon assess` on 153cd1f); never read.
    Bar {
        file: "heldout-23.jsonl",
        min_cases: 220,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // A fifth attack pass's finds: 154 reports misjudged out of 332 tried,
    // 20 of them dangerous (accounts taken over in bulk, told as a weak
    // login control, a bypass in use, or an "FYI"). The rules were tuned
    // on it; the word counts were not (trained on it, they cost the
    // held-out sets 8 cases), so it is not named `tune-`.
    Bar {
        file: "attack-5.jsonl",
        min_cases: 154,
        floor_percent: 71,
        dangerous_at_most: 0,
    },
    // A sixth attack pass's finds: 249 reports misjudged out of 465
    // tried, 23 dangerous (a routine title, "Informational scanner
    // finding", "Stale access review", "Documentation gap", over a body
    // that tells an incident in flat words) and 32 over-rated (a CVE that
    // does not apply, incident words in text with no incident). Rules
    // tuned on it, not the word counts.
    Bar {
        file: "attack-6.jsonl",
        min_cases: 249,
        floor_percent: 61,
        dangerous_at_most: 0,
    },
    // A seventh attack pass's finds: 198 reports misjudged out of 587
    // tried, 16 dangerous (a vendor's incident that took our secrets or
    // customers' data; a "Minor vulnerability" title over a weakness that
    // takes accounts; an intrusion told in commands) and 39 over-rated.
    // Rules tuned on it, not the word counts.
    Bar {
        file: "attack-7.jsonl",
        min_cases: 198,
        floor_percent: 71,
        dangerous_at_most: 0,
    },
    // A thirty-second writer's set, held out (220: title-only, bodies, tool
    // shapes, chat and digests, a fifth negated or non-production), measured
    // once as it came in; never read.
    Bar {
        file: "heldout-24.jsonl",
        min_cases: 220,
        floor_percent: 90,
        dangerous_at_most: 0,
    },
    // An eighth attack pass (625 reports written from the seeds, every one
    // kept, right or wrong: 242 misjudged by the stop's first build, 34
    // dangerous). It is among the sets the second reader learns from.
    Bar {
        file: "attack-8.jsonl",
        min_cases: 625,
        floor_percent: 87,
        dangerous_at_most: 0,
    },
    // Held out, written blind from the seeds at the eighth stop's start
    // (2026-12-08), before any of its tuning: 240 reports, about a third
    // long bodies with the deciding fact buried, titles that understate,
    // and talk about security that is no incident.
    Bar {
        file: "heldout-25.jsonl",
        min_cases: 240,
        floor_percent: 88,
        dangerous_at_most: 0,
    },
    // Written from the seeds at the eighth stop's start (320 reports, every
    // example row and trigger four ways, the SEV-2/SEV-3 boundaries and
    // alarming words that are no incident). Learnt on.
    Bar {
        file: "tune-25.jsonl",
        min_cases: 320,
        floor_percent: 89,
        dangerous_at_most: 0,
    },
    // Held out, written blind from the seeds at the eighth stop (240: a
    // representative mix, a third title-only, a third long bodies), first
    // measured on 02db831.
    Bar {
        file: "heldout-26.jsonl",
        min_cases: 240,
        floor_percent: 92,
        dangerous_at_most: 0,
    },
    // Written from the seeds at the eighth stop (320 terse reports: chat,
    // one-liners, understatement, alarm words that are no incident).
    // Learnt on.
    Bar {
        file: "tune-27.jsonl",
        min_cases: 320,
        floor_percent: 93,
        dangerous_at_most: 0,
    },
    // Written from the seeds at the eighth stop (320 in the shapes tools
    // send: advisories, scanners, GuardDuty and Security Hub findings,
    // bounty submissions, a tool's own severity at odds with the content).
    // Learnt on.
    Bar {
        file: "tune-26.jsonl",
        min_cases: 320,
        floor_percent: 83,
        dangerous_at_most: 0,
    },
    // Written from the seeds at the eighth stop (320 on the boundaries:
    // confirmed or suspected, contained or ongoing, live or rotated, ours
    // or a vendor's, used or only possible). Learnt on.
    Bar {
        file: "tune-28.jsonl",
        min_cases: 320,
        floor_percent: 84,
        dangerous_at_most: 0,
    },
    // A ninth attack pass, on the second reader as shipped (518 reports
    // from the seeds, every one kept): 414 right, 0 dangerous, as it came
    // in. Not yet learnt on.
    Bar {
        file: "attack-9.jsonl",
        min_cases: 518,
        floor_percent: 91,
        dangerous_at_most: 0,
    },
    // A reviewer's set aimed at this stop's new readings (162 reports:
    // our own transfers, admins' shells, vendor notices that missed us,
    // dismissal and reversal words in passing). The rules were mended on
    // it: 94 right on the stop's first build, 107 after.
    Bar {
        file: "review-9.jsonl",
        min_cases: 162,
        floor_percent: 85,
        dangerous_at_most: 0,
    },
    // tune-7's one dangerous miss is an Atlassian-side platform incident
    // (webhooks sent to the wrong apps) its writer labelled SEV-2; the seeds
    // put Atlassian-side incidents under third parties (SEV-3), as tune-6's.
    Bar {
        file: "tune-7.jsonl",
        min_cases: 250,
        floor_percent: 96,
        dangerous_at_most: 0,
    },
];

/// A held-out set's misses are never shown: they stay unread.
fn is_held_out(name: &str) -> bool {
    name.starts_with("heldout")
}

/// What is wrong with the engine on one set, if anything.
fn shortfall(bar: &Bar) -> Option<String> {
    let f = report(bar.file);
    // The held-out sets' misses are not printed: they stay unread.
    let shown = if !is_held_out(bar.file) {
        f.wrong.join("\n")
    } else {
        String::new()
    };
    if f.cases < bar.min_cases {
        return Some(format!("{}: {} cases", bar.file, f.cases));
    }
    if f.dangerous.len() > bar.dangerous_at_most {
        return Some(format!(
            "{}: dangerous misses: {:?}\n{shown}",
            bar.file, f.dangerous
        ));
    }
    (f.right * 100 < f.cases * bar.floor_percent)
        .then(|| format!("{}: {} of {} right\n{shown}", bar.file, f.right, f.cases))
}

/// Every set is run and reported before any shortfall fails the test.
#[test]
fn every_set_holds_its_dangerous_misses_and_accuracy() {
    let short: Vec<String> = BARS.iter().filter_map(shortfall).collect();
    assert!(short.is_empty(), "{}", short.join("\n\n"));
}

/// `KLAXON_CORPUS_FILE=path cargo test --test corpus measure_file -- --nocapture`
/// measures a set that is not committed yet (a new writer's, as it comes
/// in), with no bar; its misses only with `KLAXON_CORPUS_MISSES=all`.
#[test]
fn measure_file() {
    let Ok(path) = std::env::var("KLAXON_CORPUS_FILE") else {
        return;
    };
    let f = run(&load_path(&path));
    println!("{}", render(&path, &f));
    if std::env::var("KLAXON_CORPUS_MISSES").is_ok_and(|m| m == "all") {
        for w in &f.wrong {
            println!("MISS {w}");
        }
    }
}

/// `KLAXON_ASSESS_TEXT="title|description" cargo test --test corpus explain -- --nocapture`
/// prints the engine's whole answer for one report.
#[test]
fn explain() {
    let Ok(text) = std::env::var("KLAXON_ASSESS_TEXT") else {
        return;
    };
    let (title, description) = text.split_once('|').unwrap_or((&text, ""));
    let a = Policy::builtin().assess(&Facts {
        texts: vec![("title", title), ("description", description)],
        ..Facts::default()
    });
    println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
}

/// The fallback's committed counts are what the tuning sets give, so the
/// file cannot drift from the corpus or take in a held-out set.
#[test]
fn nearest_model_is_learnt_from_the_tuning_sets_only() {
    let texts = corpus_files::tuning_sets().expect("tuning sets");
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let fresh = klaxon_core::policy::nearest::train_jsonl(&files).expect("train");
    let committed = include_str!("../policy/nearest.tsv");
    assert!(
        fresh == committed,
        "shared/policy/nearest.tsv is stale: run `cargo run -p klaxon-core --example train_nearest`"
    );
    assert!(klaxon_core::policy::nearest::builtin().is_some());
}
