//! SNS fan-out against the emulator: subscriptions filter on the message
//! attributes and each protocol gets its own body; an SNS 5xx (injected
//! with aws-smithy-mocks) is retried with backoff, then surfaced as a
//! retryable failure that gives its claim back, so the retry pages once.

use klaxon_core::adapters::sns::SnsNotifier;
use klaxon_core::app::notify;
use klaxon_core::domain::{
    Audience, DeadlineKind, DomainEvent, EventKind, MessageKind, Severity, Status, Step, StepReason,
};
use klaxon_core::messages::{self, Inputs, Templates};
use klaxon_core::ports::{Message, Notifier};
use klaxon_tests::emulator::{self, Stack};
use serde_json::Value;

fn page(sev: Severity, drill: bool) -> Message {
    let mut n = klaxon_tests::new_incident("Auth bypass", None, klaxon_tests::t0());
    n.incident.severity = Some(sev);
    n.incident.status = Status::Triaged;
    n.incident.drill = drill;
    let mut e = DomainEvent::new(
        EventKind::EscalationTriggered,
        &n.incident,
        klaxon_tests::t0(),
    );
    e.step = Some(Step {
        audience: Audience::OncallPrimary,
        reason: StepReason::Unacknowledged,
        deadline: Some(DeadlineKind::Acknowledge),
        due_at: None,
        level: Some(1),
        round: Some(1),
        reminder: None,
        person: None,
    });
    let t = Templates::builtin();
    messages::render(
        &e,
        &n.incident,
        Audience::OncallPrimary,
        MessageKind::Page,
        &Inputs {
            templates: &t,
            contact: "security@example.com",
            product: "Acme",
            ack_url: Some(
                "https://klaxon.example.com/ack/2026-7QX4MZ.p.t4kx2b.AAAAAAAAAAAAAAAAAAAAAA",
            ),
            sms_ack_url: None,
            email_ack_url: None,
            api_base: None,
            note: None,
        },
    )
    .expect("render")
}

fn attr<'a>(envelope: &'a Value, name: &str) -> &'a str {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn subscriptions_filter_on_attributes_and_get_their_form() {
    let stack = Stack::create().await;
    let sns = aws_sdk_sns::Client::new(&stack.sdk);
    let topic = &stack.resources.topics[&Audience::OncallPrimary];
    // A phone-like subscriber: real SEV-1/2 pages only.
    let (phone, phone_arn) = emulator::queue(&stack.sdk, "phone").await;
    sns.subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(phone_arn)
        .attributes("FilterPolicyScope", "MessageAttributes")
        .attributes(
            "FilterPolicy",
            r#"{"severity": ["SEV-1", "SEV-2"], "kind": ["page"], "drill": ["false"]}"#,
        )
        .send()
        .await
        .expect("subscribe with a filter");
    let notifier = SnsNotifier::new(sns.clone(), stack.resources.topics.clone());
    let sent = [
        page(Severity::Sev1, false),
        page(Severity::Sev1, true),
        page(Severity::Sev3, false),
    ];
    for m in &sent {
        notifier.send(m).await.expect("publish");
    }

    // The unfiltered subscriber got all three, each as the JSON document.
    let all = stack
        .receive(&stack.topic_queues[&Audience::OncallPrimary], 3)
        .await;
    assert_eq!(all.len(), 3);
    let mut drills = 0;
    for body in &all {
        let envelope: Value = serde_json::from_str(body).expect("SNS envelope");
        let doc: Value = serde_json::from_str(envelope["Message"].as_str().expect("message"))
            .expect("SQS gets the JSON document");
        assert_eq!(doc["kind"], "page");
        assert_eq!(doc["audience"], "oncall-primary");
        assert!(doc["links"]["ack"].as_str().unwrap_or("").contains("/ack/"));
        assert_eq!(attr(&envelope, "event"), "Escalation Triggered");
        assert_eq!(attr(&envelope, "tenant"), "acme.atlassian.net");
        // So SNS sends a phone's copy as a transactional SMS.
        assert_eq!(attr(&envelope, "AWS.SNS.SMS.SMSType"), "Transactional");
        if attr(&envelope, "drill") == "true" {
            drills += 1;
            assert!(
                envelope["Subject"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("[DRILL]"),
                "{envelope}"
            );
        }
    }
    assert_eq!(drills, 1);

    // The filtered one got only the real SEV-1 page.
    let phoned = stack.receive(&phone, 1).await;
    assert_eq!(phoned.len(), 1, "{phoned:?}");
    let envelope: Value = serde_json::from_str(&phoned[0]).expect("envelope");
    assert_eq!(attr(&envelope, "severity"), "SEV-1");
    assert_eq!(attr(&envelope, "drill"), "false");
}

#[tokio::test]
async fn sns_5xx_is_retried_then_surfaced_and_the_retry_pages_once() {
    use aws_sdk_sns::operation::publish::PublishOutput;
    let rule = aws_smithy_mocks::mock!(aws_sdk_sns::Client::publish)
        .sequence()
        .http_status(500, None)
        .times(3)
        .output(|| PublishOutput::builder().message_id("m-1").build())
        .build();
    let (app, page_event) = crate::faults::paging(crate::faults::mocked!(
        aws_sdk_sns,
        aws_smithy_mocks::RuleMode::Sequential,
        &[&rule]
    ))
    .await;

    let err = notify::on_event(&app, &page_event)
        .await
        .expect_err("SNS is down");
    assert_eq!(err.error_type(), "Retryable.Notify", "{err}");
    assert_eq!(rule.num_calls(), 3, "three attempts with backoff");

    // Lambda's retry (then the DLQ) redelivers: the claim was given back, so
    // this pages, once.
    assert_eq!(notify::on_event(&app, &page_event).await.expect("retry"), 1);
    assert_eq!(rule.num_calls(), 4);
    assert_eq!(notify::on_event(&app, &page_event).await.expect("again"), 0);
    assert_eq!(
        rule.num_calls(),
        4,
        "a redelivery after success sends nothing"
    );
}
