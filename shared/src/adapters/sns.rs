//! `SnsNotifier`: one topic per audience. `MessageStructure=json` gives each
//! protocol its own body, and message attributes let subscriptions filter.
//! Every publish is SMS type `Transactional`: SNS may drop or delay
//! `Promotional` SMS (and does not deliver it to some countries), and nothing
//! Klaxon texts can wait (docs/sms.md).

use crate::domain::Audience;
use crate::ports::{
    Message, Notifier, NotifyError, PagingSubscriptions, Subscription, SubscriptionError,
};
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::json;
use std::collections::BTreeMap;

/// The `KLAXON_TOPIC_*` variable holding this audience's SNS topic ARN.
pub fn topic_var(audience: Audience) -> &'static str {
    match audience {
        Audience::OncallPrimary => "KLAXON_TOPIC_ONCALL_PRIMARY",
        Audience::OncallSecondary => "KLAXON_TOPIC_ONCALL_SECONDARY",
        Audience::IncidentManager => "KLAXON_TOPIC_INCIDENT_MANAGER",
        Audience::SecurityTeam => "KLAXON_TOPIC_SECURITY_TEAM",
        Audience::Leadership => "KLAXON_TOPIC_LEADERSHIP",
        Audience::Comms => "KLAXON_TOPIC_COMMS",
    }
}

/// The message attribute that sets an SMS's type, and the type pages need.
pub const SMS_TYPE_ATTRIBUTE: &str = "AWS.SNS.SMS.SMSType";
pub const SMS_TYPE: &str = "Transactional";

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

#[async_trait]
impl Notifier for SnsNotifier {
    async fn send(&self, m: &Message) -> Result<(), NotifyError> {
        let topic = self
            .topics
            .get(&m.audience)
            .ok_or(NotifyError::NoDestination(m.audience))?;
        let doc = m.message.json.to_string();
        let chat = m.message.https.to_string();
        // One body per protocol; "https" is also what AWS Chatbot reads.
        let body = json!({
            "default": m.message.default,
            "email": m.message.email,
            "email-json": doc,
            "sms": m.message.sms,
            "sqs": doc,
            "lambda": doc,
            "firehose": doc,
            "http": chat,
            "https": chat,
        });
        let mut req = self
            .client
            .publish()
            .topic_arn(topic)
            .subject(subject(&m.subject))
            .message_structure("json")
            .message(body.to_string())
            .message_attributes(SMS_TYPE_ATTRIBUTE, attr(SMS_TYPE)?);
        for (name, value) in &m.message_attributes {
            req = req.message_attributes(name, attr(value)?);
        }
        req.send().await.map_err(|e| {
            let (_, msg) = super::sdk_failure(&e);
            NotifyError::Unavailable(msg)
        })?;
        Ok(())
    }
}

/// The paging topic's subscriptions, for `klaxon people sync`. It runs
/// with the operator's credentials: the Lambdas only publish.
pub struct SnsSubscriptions {
    client: Client,
    topic: String,
}

impl SnsSubscriptions {
    pub fn new(client: Client, topic: impl Into<String>) -> Self {
        Self {
            client,
            topic: topic.into(),
        }
    }
}

fn sub_failure<E>(
    e: &aws_sdk_sns::error::SdkError<E, aws_sdk_sns::config::http::HttpResponse>,
) -> SubscriptionError
where
    E: aws_sdk_sns::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    SubscriptionError(super::sdk_failure(e).1)
}

/// SNS's stand-in for the ARN of a subscription not yet confirmed.
fn confirmed(arn: Option<String>) -> Option<String> {
    arn.filter(|a| a.starts_with("arn:"))
}

#[async_trait]
impl PagingSubscriptions for SnsSubscriptions {
    async fn list(&self) -> Result<Vec<Subscription>, SubscriptionError> {
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_subscriptions_by_topic()
                .topic_arn(&self.topic)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| sub_failure(&e))?;
            for s in page.subscriptions.unwrap_or_default() {
                let arn = confirmed(s.subscription_arn);
                let filter_policy = match &arn {
                    Some(a) => self
                        .client
                        .get_subscription_attributes()
                        .subscription_arn(a)
                        .send()
                        .await
                        .map_err(|e| sub_failure(&e))?
                        .attributes
                        .and_then(|mut m| m.remove("FilterPolicy")),
                    None => None,
                };
                out.push(Subscription {
                    arn,
                    protocol: s.protocol.unwrap_or_default(),
                    endpoint: s.endpoint.unwrap_or_default(),
                    filter_policy,
                });
            }
            match page.next_token {
                Some(t) if !t.is_empty() => next = Some(t),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn subscribe(
        &self,
        protocol: &str,
        endpoint: &str,
        filter_policy: &str,
    ) -> Result<Option<String>, SubscriptionError> {
        let out = self
            .client
            .subscribe()
            .topic_arn(&self.topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .attributes("FilterPolicyScope", "MessageAttributes")
            .attributes("FilterPolicy", filter_policy)
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(|e| sub_failure(&e))?;
        Ok(confirmed(out.subscription_arn))
    }

    async fn set_filter_policy(
        &self,
        arn: &str,
        filter_policy: &str,
    ) -> Result<(), SubscriptionError> {
        self.client
            .set_subscription_attributes()
            .subscription_arn(arn)
            .attribute_name("FilterPolicy")
            .attribute_value(filter_policy)
            .send()
            .await
            .map_err(|e| sub_failure(&e))?;
        Ok(())
    }

    async fn unsubscribe(&self, arn: &str) -> Result<(), SubscriptionError> {
        self.client
            .unsubscribe()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(|e| sub_failure(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audience_has_its_own_topic_variable() {
        let vars: std::collections::BTreeSet<_> =
            Audience::ALL.into_iter().map(topic_var).collect();
        assert_eq!(vars.len(), Audience::ALL.len());
        assert!(vars.iter().all(|v| v.starts_with("KLAXON_TOPIC_")));
    }
}
