//! Wiring for AWS: one App over DynamoDB, EventBridge and SNS.

use super::dynamo::DynamoIncidentStore;
use super::eventbridge::EventBridgePublisher;
use super::sns::SnsNotifier;
use crate::app::{App, Relay};
use crate::config::{self, ApiTokens, ConfigError, Settings};
use crate::domain::Audience;
use crate::ports::SystemClock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The names of the AWS resources a function uses.
#[derive(Debug, Clone)]
pub struct AwsResources {
    pub table: String,
    pub event_bus: String,
    pub topics: BTreeMap<Audience, String>,
}

impl AwsResources {
    /// Reads `KLAXON_TABLE`, `KLAXON_EVENT_BUS` and the `KLAXON_TOPIC_*` ARNs.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut topics = BTreeMap::new();
        for (audience, var) in [
            (Audience::Oncall, "KLAXON_TOPIC_ONCALL"),
            (Audience::SecurityTeam, "KLAXON_TOPIC_SECURITY_TEAM"),
        ] {
            if let Some(arn) = config::optional(var) {
                topics.insert(audience, arn);
            }
        }
        Ok(Self {
            table: config::require("KLAXON_TABLE")?,
            event_bus: config::require("KLAXON_EVENT_BUS")?,
            topics,
        })
    }
}

/// Settings from the environment: `KLAXON_API_TOKENS`.
pub fn settings_from_env() -> Result<Settings, ConfigError> {
    Ok(Settings {
        api_tokens: ApiTokens::parse(&config::optional("KLAXON_API_TOKENS").unwrap_or_default())?,
    })
}

/// Builds the App once; clients are reused for every invocation.
pub fn app(sdk: &aws_config::SdkConfig, res: &AwsResources, settings: Settings) -> Arc<App> {
    Arc::new(App {
        store: Arc::new(DynamoIncidentStore::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &res.table,
        )),
        publisher: Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(sdk),
            &res.event_bus,
        )),
        notifier: Arc::new(SnsNotifier::new(
            aws_sdk_sns::Client::new(sdk),
            res.topics.clone(),
        )),
        clock: Arc::new(SystemClock),
        // Lambda may freeze the process after returning: publish first.
        relay: Relay::Inline,
        settings,
    })
}
