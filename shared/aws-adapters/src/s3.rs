//! The files clients send, read from S3 (`HONA_DOCUMENTS_BUCKET`) as a byte stream:
//! the SDK hands over the body chunk by chunk as it arrives, so a large file is never
//! held whole.

use async_trait::async_trait;
use aws_sdk_s3::operation::get_object::GetObjectError;
use hona_domain::PushError;
use hona_domain::Reason;
use hona_domain::documents::received::Location;
use hona_domain::ports::{ByteStream, DocumentSource, SourceObject};

pub struct S3DocumentSource {
    client: aws_sdk_s3::Client,
    /// The one bucket this function may read: an event naming another bucket is refused,
    /// so a bad event can never make it read (and file) someone else's objects.
    bucket: String,
}

impl S3DocumentSource {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }
}

#[async_trait]
impl DocumentSource for S3DocumentSource {
    async fn open(&self, location: &Location) -> Result<SourceObject, PushError> {
        if location.bucket != self.bucket {
            return Err(PushError::permanent(
                Reason::BucketNotAllowed,
                "The event names an S3 bucket this function is not configured to read (HONA_DOCUMENTS_BUCKET).",
            ));
        }
        let out = self
            .client
            .get_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .set_version_id(location.version_id.clone())
            .send()
            .await
            .map_err(|e| {
                let missing = e.as_service_error().is_some_and(|se| {
                    matches!(se, GetObjectError::NoSuchKey(_))
                        || aws_sdk_s3::error::ProvideErrorMetadata::code(se)
                            .is_some_and(|c| c == "NoSuchBucket" || c == "NoSuchVersion")
                });
                if missing {
                    PushError::permanent(
                        Reason::ObjectMissing,
                        "The file is not in S3 (no such bucket, key or version); Hona must send it again.",
                    )
                } else {
                    PushError::transient(
                        Reason::S3Unavailable,
                        format!(
                            "Reading the file from S3 failed: {}",
                            aws_smithy_types::error::display::DisplayErrorContext(&e)
                        ),
                    )
                }
            })?;
        let length = out.content_length().unwrap_or(-1);
        let Ok(length) = u64::try_from(length) else {
            return Err(PushError::transient(
                Reason::S3Unavailable,
                "S3 did not say how long the file is.",
            ));
        };
        let body: ByteStream = Box::pin(futures::stream::unfold(out.body, |mut body| async {
            let next = body.next().await?;
            Some((next.map_err(std::io::Error::other), body))
        }));
        Ok(SourceObject { length, body })
    }
}
