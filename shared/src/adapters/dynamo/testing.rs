//! Test and benchmark set-up: the table itself, and bulk-loaded history.
//! Not shipped: built for tests and with the `test-util` feature.

use super::keys::*;
use super::*;
use crate::domain::Incident;
use crate::ports::StoreError;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, PutRequest, ScalarAttributeType, WriteRequest,
};

impl DynamoIncidentStore {
    /// Writes incident records (and their references) in bulk with
    /// BatchWriteItem, without the per-incident transaction, timeline or
    /// outbox. For loading history into benchmarks and tests only: it does
    /// not check versions, keys or reference uniqueness.
    pub async fn seed_incidents(&self, incidents: &[Incident]) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(incidents.len() * 2);
        for inc in incidents {
            let mut ref_item = key(format!("REF#{}", inc.reference), "REF");
            ref_item.insert("incident_id".into(), s(inc.id.to_string()));
            for item in [incident_item(inc)?, ref_item] {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                requests.push(WriteRequest::builder().put_request(put).build());
            }
        }
        self.batch_write(requests).await
    }
}

/// Creates the table with the keys and indexes the store expects. The SAM
/// template declares the same; tests and local emulators use this.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let ks = |name: &str, kt: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kt)
            .build()
    };
    let gsi = |name: &str, pk: &str, sk: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(ks(pk, KeyType::Hash)?)
            .key_schema(ks(sk, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
    };
    let mut req = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(ks("pk", KeyType::Hash).map_err(|e| StoreError::Backend(e.to_string()))?)
        .key_schema(ks("sk", KeyType::Range).map_err(|e| StoreError::Backend(e.to_string()))?);
    for name in [
        "pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk",
    ] {
        req =
            req.attribute_definitions(attr(name).map_err(|e| StoreError::Backend(e.to_string()))?);
    }
    for (name, pk, sk) in [
        (STATUS_INDEX, "gsi1pk", "gsi1sk"),
        (OUTBOX_INDEX, "gsi2pk", "gsi2sk"),
        (DUE_INDEX, "gsi3pk", "gsi3sk"),
        (CREATED_INDEX, "gsi4pk", "gsi4sk"),
    ] {
        req = req.global_secondary_indexes(
            gsi(name, pk, sk).map_err(|e| StoreError::Backend(e.to_string()))?,
        );
    }
    req.send().await.map_err(|e| classify(&e))?;
    Ok(())
}
