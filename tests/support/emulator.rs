//! The moto emulator, reached through `AWS_ENDPOINT_URL` as the test command
//! sets it. Every helper makes uniquely named resources so tests can share
//! one server in parallel.

use aws_config::{BehaviorVersion, SdkConfig};
use klaxon_core::adapters::aws::AwsResources;
use klaxon_core::adapters::dynamo;
use klaxon_core::domain::Audience;
use std::collections::BTreeMap;

/// Fails loudly, never skips, when the emulator is missing.
pub async fn sdk() -> SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "AWS_ENDPOINT_URL is not set: these tests need the moto emulator. Run `make test`, which \
         installs moto (infra/requirements.txt), starts it on a loopback port and sets \
         AWS_ENDPOINT_URL."
    );
    assert!(
        endpoint.starts_with("http://127.") || endpoint.starts_with("http://localhost"),
        "AWS_ENDPOINT_URL={endpoint} is not a loopback address; refusing to run tests against real AWS"
    );
    let probe = tokio::net::TcpStream::connect(
        endpoint.trim_start_matches("http://").trim_end_matches('/'),
    )
    .await;
    assert!(
        probe.is_ok(),
        "nothing is listening at AWS_ENDPOINT_URL={endpoint}: start moto with `make test`"
    );
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(klaxon_core::adapters::aws::https_client())
        .region("us-east-1")
        .load()
        .await
}

/// The emulator in a region of its own. moto deep-copies a region's tables
/// on every transaction, so a test that loads thousands of items keeps them
/// away from everyone else's.
pub async fn sdk_in(region: &'static str) -> SdkConfig {
    let base = sdk().await;
    base.into_builder()
        .region(aws_config::Region::new(region))
        .build()
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

pub async fn table(sdk: &SdkConfig) -> String {
    let name = unique("klaxon");
    let client = aws_sdk_dynamodb::Client::new(sdk);
    dynamo::create_table(&client, &name)
        .await
        .expect("create table in moto");
    name
}

/// A full set of Klaxon resources plus SQS queues that observe them: one
/// receiving every event on the bus, one subscribed to each topic.
pub struct Stack {
    pub sdk: SdkConfig,
    pub resources: AwsResources,
    pub events_queue: String,
    pub topic_queues: BTreeMap<Audience, String>,
}

pub async fn queue(sdk: &SdkConfig, name: &str) -> (String, String) {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(unique(name))
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    (url, arn)
}

impl Stack {
    pub async fn create() -> Self {
        let sdk = sdk().await;
        let table = table(&sdk).await;
        let sns = aws_sdk_sns::Client::new(&sdk);
        let events = aws_sdk_eventbridge::Client::new(&sdk);

        let bus = unique("klaxon-bus");
        events
            .create_event_bus()
            .name(&bus)
            .send()
            .await
            .expect("create bus");
        let (events_queue, events_arn) = queue(&sdk, "events").await;
        let rule = unique("all-klaxon");
        events
            .put_rule()
            .name(&rule)
            .event_bus_name(&bus)
            .event_pattern(r#"{"source": ["klaxon"]}"#)
            .send()
            .await
            .expect("put rule");
        events
            .put_targets()
            .rule(&rule)
            .event_bus_name(&bus)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("events-queue")
                    .arn(events_arn)
                    .build()
                    .expect("target"),
            )
            .send()
            .await
            .expect("put targets");

        let mut topics = BTreeMap::new();
        let mut topic_queues = BTreeMap::new();
        for audience in Audience::ALL {
            let arn = sns
                .create_topic()
                .name(unique(audience.as_str()))
                .send()
                .await
                .expect("create topic")
                .topic_arn
                .expect("topic arn");
            let (url, qarn) = queue(&sdk, audience.as_str()).await;
            sns.subscribe()
                .topic_arn(&arn)
                .protocol("sqs")
                .endpoint(qarn)
                .send()
                .await
                .expect("subscribe queue");
            topics.insert(audience, arn);
            topic_queues.insert(audience, url);
        }
        Self {
            sdk,
            resources: AwsResources {
                table,
                event_bus: bus,
                topics,
            },
            events_queue,
            topic_queues,
        }
    }

    /// Drains up to `want` message bodies from a queue, waiting up to ~10 s.
    pub async fn receive(&self, queue_url: &str, want: usize) -> Vec<String> {
        let sqs = aws_sdk_sqs::Client::new(&self.sdk);
        let mut bodies = Vec::new();
        for _ in 0..20 {
            let out = sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive");
            for m in out.messages.unwrap_or_default() {
                if let Some(h) = m.receipt_handle() {
                    sqs.delete_message()
                        .queue_url(queue_url)
                        .receipt_handle(h)
                        .send()
                        .await
                        .expect("delete");
                }
                bodies.extend(m.body);
            }
            if bodies.len() >= want {
                break;
            }
        }
        bodies
    }
}
