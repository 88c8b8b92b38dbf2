//! Webhook intake, pure parts: [`verify`] checks each sender's signature,
//! [`normalize`] turns each payload into a report.

pub mod normalize;
pub mod verify;
