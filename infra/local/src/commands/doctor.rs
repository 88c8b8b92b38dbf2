//! `klaxon doctor`: what paging by SMS through SNS needs from the account
//! (docs/sms.md), checked through the SNS API as far as it answers.

use klaxon_core::adapters::sms::{self, Finding, SmsAccount, State};

/// The report, and whether anything is missing (the exit status).
pub fn report(account: &SmsAccount, json: bool) -> (String, bool) {
    let findings = account.findings();
    let missing = findings.iter().any(|f| f.state == State::Missing);
    let out = if json {
        let items: Vec<_> = findings
            .iter()
            .map(|f| serde_json::json!({"check": f.check, "state": label(f.state), "says": f.says}))
            .collect();
        format!(
            "{}\n",
            serde_json::json!({ "sms": items, "ready": !missing })
        )
    } else {
        let mut s = String::from("SMS paging through SNS (docs/sms.md):\n");
        for Finding { check, state, says } in &findings {
            s.push_str(&format!("  [{}] {check}: {says}\n", label(*state)));
        }
        if missing {
            s.push_str("Something SMS paging needs is missing; until it is, pages may not reach a phone.\n");
        }
        s
    };
    (out, missing)
}

fn label(state: State) -> &'static str {
    match state {
        State::Ready => "ok",
        State::Missing => "missing",
        State::Unknown => "unknown",
    }
}

/// Reads the account the environment names: the report, and whether
/// anything is missing.
pub async fn doctor(json: bool) -> (String, bool) {
    report(&sms::read_from_env().await, json)
}
