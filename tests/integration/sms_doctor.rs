//! `klaxon doctor` against moto: it reads the account's SMS attributes
//! through SNS and says what paging by SMS still needs. moto answers
//! GetSMSAttributes but not the sandbox status or the origination numbers,
//! which must then come back unknown, never ready.

use klaxon_local::commands::doctor;
use klaxon_tests::emulator;
use serde_json::Value;

fn state<'a>(report: &'a Value, check: &str) -> &'a str {
    report["sms"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["check"] == check))
        .and_then(|f| f["state"].as_str())
        .unwrap_or("absent")
}

/// One test: the SMS attributes are the account's, shared by every call.
#[tokio::test]
async fn doctor_reads_the_spend_limit_and_says_what_it_cannot_check() {
    let sdk = emulator::sdk().await;
    let sns = aws_sdk_sns::Client::new(&sdk);

    // A new account: USD 1 a month.
    sns.set_sms_attributes()
        .attributes("MonthlySpendLimit", "1")
        .send()
        .await
        .expect("set SMS attributes");
    let (out, missing) = doctor(true).await;
    let report: Value = serde_json::from_str(&out).expect("JSON report");
    assert!(missing, "{report}");
    assert_eq!(report["ready"], false);
    assert_eq!(state(&report, "spend limit"), "missing", "{report}");
    assert_eq!(state(&report, "sandbox"), "unknown", "{report}");
    assert_eq!(
        state(&report, "origination identity"),
        "unknown",
        "{report}"
    );
    assert_eq!(state(&report, "SMS type"), "ok");

    // Raised: the spend limit passes; what moto cannot say stays unknown,
    // which alone does not fail the doctor.
    sns.set_sms_attributes()
        .attributes("MonthlySpendLimit", "50")
        .attributes("DefaultSMSType", "Transactional")
        .send()
        .await
        .expect("raise the limit");
    let (out, missing) = doctor(false).await;
    assert!(!missing, "{out}");
    assert!(out.contains("[ok] spend limit: USD 50 a month"), "{out}");
    assert!(out.contains("[unknown] sandbox: could not check"), "{out}");
    assert!(
        out.contains("the account's default is Transactional"),
        "{out}"
    );
}
