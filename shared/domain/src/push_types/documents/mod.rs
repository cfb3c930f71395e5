//! Documents: every file a client sends (`document.received`, four sources) lands once
//! in the case's Documents, in the integration's folder, streamed from S3 to MyCase's
//! presigned upload URL.
//!
//! - [`received`]: the event's data, parsed into types that cannot hold bad values.
//! - [`file_name`]: a name MyCase (and whoever downloads the file) can safely store.
//! - [`folder`]: where a file lands, per integration and source.
//! - [`description`]: what the firm reads next to the file.
//! - [`checksum`]: the stream wrapper that verifies size and sha256 while uploading.
//! - [`upload`]: the push itself — exactly once, within the deadline.

pub mod checksum;
pub mod description;
pub mod file_name;
pub mod folder;
pub mod received;
pub mod upload;

pub use received::DocumentReceived;
pub use upload::Documents;

#[cfg(test)]
mod upload_tests;
