//! `SessionStore` in the one table: a session under `SESSION#<digest>`,
//! whose `expires_at` (epoch seconds) is the table's TTL attribute, so
//! DynamoDB drops it some time after it ends; reads check the end anyway.

use super::keys::{data, from_data, key, s};
use super::{DynamoIncidentStore, classify};
use crate::domain::session::{Session, SessionDigest};
use crate::ports::{SessionStore, StoreError};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

fn session_pk(digest: &SessionDigest) -> String {
    format!("SESSION#{}", digest.as_str())
}

const SESSION: &str = "SESSION";

#[async_trait]
impl SessionStore for DynamoIncidentStore {
    async fn put_session(
        &self,
        digest: &SessionDigest,
        session: &Session,
    ) -> Result<(), StoreError> {
        let mut item = key(session_pk(digest), SESSION);
        item.insert("kind".into(), s("session"));
        item.insert("data".into(), data(session)?);
        item.insert(
            "expires_at".into(),
            AttributeValue::N(session.expires_at.timestamp().to_string()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }

    async fn session(&self, digest: &SessionDigest) -> Result<Option<Session>, StoreError> {
        self.get_item(session_pk(digest), SESSION)
            .await?
            .map(|i| from_data(&i))
            .transpose()
    }

    async fn delete_session(&self, digest: &SessionDigest) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(session_pk(digest), SESSION)))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(())
    }
}
