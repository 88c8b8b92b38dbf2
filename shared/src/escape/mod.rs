//! Untrusted text (anything a reporter, a sender or a responder typed) made
//! safe for each format people read it in. One escaper per format, each the
//! only place that format is escaped:
//!
//! - [`markdown`]: the post-incident review, the annual and drill reports;
//! - [`chat`]: the AWS Chatbot (Amazon Q Developer in chat) notification;
//! - [`manifest`]: `sha256sum -c` evidence manifests;
//! - [`terminal`]: what the `klaxon` command prints.

pub mod chat;
pub mod manifest;
pub mod markdown;
pub mod terminal;
