//! `SnsNotifier`: one topic per audience. `MessageStructure=json` gives each
//! protocol its own body, and message attributes let subscriptions filter.

use crate::domain::Audience;
use crate::ports::{Message, Notifier, NotifyError};
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::json;
use std::collections::BTreeMap;

pub struct SnsNotifier {
    client: Client,
    topics: BTreeMap<Audience, String>,
}

impl SnsNotifier {
    pub fn new(client: Client, topics: BTreeMap<Audience, String>) -> Self {
        Self { client, topics }
    }
}

fn attr(v: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(v)
        .build()
        .map_err(|e| NotifyError::Unavailable(e.to_string()))
}

/// SNS subjects must be ASCII, one line, under 100 characters.
fn subject(s: &str) -> String {
    let ascii: String = s
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    ascii.chars().take(99).collect()
}

/// SMS bodies are cut to one 160-character segment.
fn sms(m: &Message) -> String {
    m.subject.chars().take(160).collect()
}

#[async_trait]
impl Notifier for SnsNotifier {
    async fn send(&self, m: &Message) -> Result<(), NotifyError> {
        let topic = self
            .topics
            .get(&m.audience)
            .ok_or(NotifyError::NoDestination(m.audience))?;
        let doc = m.document.to_string();
        let body = json!({
            "default": m.text,
            "email": m.text,
            "sms": sms(m),
            "sqs": doc,
            "lambda": doc,
            "http": doc,
            "https": doc,
        });
        let severity = m.severity.map(|s| s.code()).unwrap_or("unassessed");
        self.client
            .publish()
            .topic_arn(topic)
            .subject(subject(&m.subject))
            .message_structure("json")
            .message(body.to_string())
            .message_attributes("severity", attr(severity)?)
            .message_attributes("audience", attr(m.audience.as_str())?)
            .message_attributes("event", attr(m.event.detail_type())?)
            .message_attributes("drill", attr(if m.drill { "true" } else { "false" })?)
            .send()
            .await
            .map_err(|e| {
                let (_, msg) = super::sdk_failure(&e);
                NotifyError::Unavailable(msg)
            })?;
        Ok(())
    }
}
