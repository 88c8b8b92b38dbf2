//! template.yaml's EventBridge rules on the Klaxon bus route each event to
//! the function `app::routing` names, and to no other.
//!
//! Reads the template's lines (no YAML parser in the build): under each
//! top-level resource, every `EventBusName: !Ref EventBus` rule's
//! `detail-type` list.

use klaxon_core::app::routing::Consumer;
use klaxon_core::domain::EventKind;
use std::collections::BTreeMap;
use std::path::Path;

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Each resource's detail-types, from its rules on the Klaxon bus.
fn bus_rules(template: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let lines: Vec<&str> = template.lines().collect();
    let mut resource = String::new();
    let mut on_bus = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if indent(line) == 2 && t.ends_with(':') && !t.starts_with('#') {
            resource = t.trim_end_matches(':').to_owned();
        }
        if t.starts_with("Type:") {
            on_bus = false;
        }
        if t == "EventBusName: !Ref EventBus" {
            on_bus = true;
        }
        if t == "detail-type:" && on_bus {
            let at = indent(line);
            let mut j = i + 1;
            while j < lines.len() && indent(lines[j]) > at && lines[j].trim().starts_with("- ") {
                let kind = lines[j].trim().trim_start_matches("- ").trim();
                out.entry(resource.clone())
                    .or_default()
                    .push(kind.to_owned());
                j += 1;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

/// Each consumer's function takes exactly its events from the bus, and no
/// other function takes any.
#[test]
fn template_rules_match_the_routing_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    let template = std::fs::read_to_string(&path).expect("read template.yaml");
    let mut rules = bus_rules(&template);
    for c in Consumer::ALL {
        let mut want: Vec<&str> = c.events().into_iter().map(EventKind::detail_type).collect();
        let mut got = rules.remove(c.function()).unwrap_or_default();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{}'s rules on the Klaxon bus", c.function());
    }
    assert!(
        rules.is_empty(),
        "rules on the Klaxon bus for functions the routing table does not name: {rules:?}"
    );
}

/// The reader finds a rule, and a rule on the default bus is not one.
#[test]
fn the_reader_reads_bus_rules_only() {
    let template = "\
Resources:
  AFunction:
    Properties:
      Events:
        Mine:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref EventBus
            Pattern:
              detail-type:
                - Report Received
                - SLA Breached
            RetryPolicy:
              MaximumRetryAttempts: 8
        Findings:
          Type: EventBridgeRule
          Properties:
            Pattern:
              detail-type:
                - GuardDuty Finding
  BFunction:
    Properties:
      Events:
        Default:
          Type: EventBridgeRule
          Properties:
            Pattern:
              detail-type:
                - CloudWatch Alarm State Change
";
    let rules = bus_rules(template);
    assert_eq!(
        rules,
        BTreeMap::from([(
            "AFunction".to_owned(),
            vec!["Report Received".to_owned(), "SLA Breached".to_owned()]
        )])
    );
}
