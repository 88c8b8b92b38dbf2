//! Counters, written in CloudWatch Embedded Metric Format on Lambda and as
//! log lines locally.

use serde_json::json;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    ReportsReceived,
    ReportsRejected,
    ReportsDuplicated,
    PagesSent,
    Breaches,
    Escalations,
    SweepFailures,
    Errors,
    /// Reports the engine could not place: a person is paged to triage.
    TriageNeeded,
    /// A person set the severity of an incident that needed triage...
    TriageSettled,
    /// ...and it differed from the engine's.
    TriageVerdictChanged,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Self::ReportsReceived => "ReportsReceived",
            Self::ReportsRejected => "ReportsRejected",
            Self::ReportsDuplicated => "ReportsDuplicated",
            Self::PagesSent => "PagesSent",
            Self::Breaches => "Breaches",
            Self::Escalations => "Escalations",
            Self::SweepFailures => "SweepFailures",
            Self::Errors => "Errors",
            Self::TriageNeeded => "TriageNeeded",
            Self::TriageSettled => "TriageSettled",
            Self::TriageVerdictChanged => "TriageVerdictChanged",
        }
    }
}

#[derive(Debug, Clone)]
enum Sink {
    /// EMF on stdout; CloudWatch Logs extracts the metrics. Carries the function name dimension.
    Emf(String),
    Log,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Lambda entry points call this once at cold start.
pub fn use_emf(function: &str) {
    let _ = SINK.set(Sink::Emf(function.to_owned()));
}

pub const NAMESPACE: &str = "Klaxon";

/// One EMF document for one counter.
pub fn emf_line(function: &str, metric: Metric, value: u64, timestamp_ms: i64) -> String {
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["function"]],
                "Metrics": [{"Name": metric.name(), "Unit": "Count"}],
            }],
        },
        "function": function,
        metric.name(): value,
    })
    .to_string()
}

pub fn incr(metric: Metric) {
    add(metric, 1);
}

pub fn add(metric: Metric, value: u64) {
    match SINK.get().unwrap_or(&Sink::Log) {
        Sink::Emf(function) => {
            let line = emf_line(
                function,
                metric,
                value,
                chrono::Utc::now().timestamp_millis(),
            );
            println!("{line}");
        }
        Sink::Log => tracing::info!(target: "klaxon::metrics", metric = metric.name(), value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_document_names_metric_dimension_and_value() {
        let v: serde_json::Value =
            serde_json::from_str(&emf_line("intake", Metric::PagesSent, 2, 1_700_000_000_000))
                .unwrap();
        let def = &v["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(def["Namespace"], "Klaxon");
        assert_eq!(def["Metrics"][0]["Name"], "PagesSent");
        assert_eq!(def["Dimensions"][0][0], "function");
        assert_eq!(v["function"], "intake");
        assert_eq!(v["PagesSent"], 2);
        assert_eq!(v["_aws"]["Timestamp"], 1_700_000_000_000i64);
    }
}
