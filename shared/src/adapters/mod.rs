//! Adapters: one per backing service, each implementing the ports.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod dynamo;
#[cfg(feature = "aws")]
pub mod eventbridge;
#[cfg(feature = "github")]
pub mod github;
pub mod local;
#[cfg(feature = "aws")]
pub mod openid;
#[cfg(feature = "aws")]
pub mod sms;
#[cfg(feature = "aws")]
pub mod sns;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// Fixed-width UTC timestamps sort correctly as text; both stores key and
/// order on them.
#[cfg(any(feature = "aws", feature = "sqlite"))]
pub(crate) fn sortable_ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(feature = "aws")]
use aws_sdk_dynamodb::config::http::HttpResponse;
#[cfg(feature = "aws")]
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Whether an AWS SDK failure is worth retrying (throttling, 5xx, transport),
/// and a message naming the service's error code. The SDK has already made
/// its own retries by the time this is asked.
#[cfg(feature = "aws")]
pub(crate) fn sdk_failure<E: ProvideErrorMetadata + std::error::Error + 'static>(
    e: &SdkError<E, HttpResponse>,
) -> (bool, String) {
    let server_fault = e.raw_response().is_some_and(|r| r.status().as_u16() >= 500);
    let retryable = match e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(se) => {
            server_fault
                || matches!(
                    se.err().code(),
                    Some(
                        "ProvisionedThroughputExceededException"
                            | "ThrottlingException"
                            | "Throttling"
                            | "RequestLimitExceeded"
                            | "InternalServerError"
                            | "InternalFailure"
                            | "ServiceUnavailable"
                            | "TransactionInProgressException"
                    )
                )
        }
        _ => false,
    };
    let msg = match e.code() {
        Some(code) => format!("{code}: {}", e.message().unwrap_or("no message")),
        None => error_chain(e),
    };
    (retryable, msg)
}

#[cfg(feature = "aws")]
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
