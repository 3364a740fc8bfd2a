//! S3 through the AWS SDK for Rust.
//!
//! Small objects go up in one `PutObject` carrying `ChecksumSHA256`, so S3 itself verifies the
//! digest the CID is made of; large ones go up as multipart uploads with a SHA-256 checksum per
//! part. The CID travels as user metadata (`x-amz-meta-cid`).

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload, CompletedPart, MetadataDirective,
};
use aws_sdk_s3::Client;
use base64::Engine as _;
use cid::Cid;
use sha2::{Digest, Sha256};

use super::{fill, ByteReader, ListPage, ObjectInfo, ObjectStore, PutOptions, StoreError};
use crate::cids::{cid_from_checksum_sha256, parse_cid, CidHasher};
use crate::key::{Key, Prefix};

const MIB: usize = 1024 * 1024;
/// User-metadata name of the CID (sent as `x-amz-meta-cid`).
pub const CID_METADATA: &str = "cid";

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    multipart_threshold: usize,
    part_size: usize,
    page_size: i32,
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            multipart_threshold: 16 * MIB,
            part_size: 16 * MIB,
            page_size: 1000,
        }
    }

    /// A client from the default credential chain. `AWS_ENDPOINT_URL` (or the profile's
    /// endpoint) is honoured; any endpoint other than AWS's own gets path-style addressing,
    /// which MinIO, moto and the local twin need.
    pub async fn from_env(bucket: impl Into<String>) -> Self {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let custom_endpoint = shared
            .endpoint_url()
            .is_some_and(|url| !url.contains("amazonaws.com"));
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(custom_endpoint)
            .build();
        Self::new(Client::from_conf(config), bucket)
    }

    /// Objects larger than `threshold` bytes go up in parts of `part_size` (S3 requires at least
    /// 5 MiB for every part but the last).
    pub fn with_multipart(mut self, threshold: usize, part_size: usize) -> Self {
        self.multipart_threshold = threshold;
        self.part_size = part_size.max(5 * MIB);
        self
    }

    /// Keys per `ListObjectsV2` page (S3's maximum and default is 1000).
    pub fn with_page_size(mut self, page_size: i32) -> Self {
        self.page_size = page_size;
        self
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn error(
        &self,
        operation: &'static str,
        key: &str,
        error: impl std::error::Error,
    ) -> StoreError {
        StoreError::S3 {
            location: self.location(),
            operation,
            key: key.to_owned(),
            message: DisplayErrorContext(error).to_string(),
        }
    }

    fn not_found(&self, key: &Key) -> StoreError {
        StoreError::NotFound {
            location: self.location(),
            key: key.to_string(),
        }
    }

    async fn put_single(
        &self,
        key: &Key,
        bytes: Vec<u8>,
        options: &PutOptions,
    ) -> Result<ObjectInfo, StoreError> {
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let cid = crate::cids::cid_from_sha256(crate::cids::RAW, &digest);
        self.check_expected(key, options, cid)?;
        let size = bytes.len() as u64;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .body(ByteStream::from(bytes))
            // Naming the algorithm as well as the value makes every S3 implementation (moto
            // included) verify and keep the checksum, not only AWS.
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(base64::engine::general_purpose::STANDARD.encode(digest))
            .metadata(CID_METADATA, cid.to_string())
            .set_content_type(options.content_type.clone())
            .send()
            .await
            .map_err(|e| self.error("PutObject", key.as_str(), e))?;
        Ok(ObjectInfo {
            key: key.clone(),
            size,
            cid: Some(cid),
        })
    }

    fn check_expected(
        &self,
        key: &Key,
        options: &PutOptions,
        actual: Cid,
    ) -> Result<(), StoreError> {
        match options.cid {
            Some(expected) if expected != actual => Err(StoreError::CidMismatch {
                location: self.location(),
                key: key.to_string(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            }),
            _ => Ok(()),
        }
    }

    async fn put_multipart(
        &self,
        key: &Key,
        first: Vec<u8>,
        body: ByteReader,
        options: &PutOptions,
    ) -> Result<ObjectInfo, StoreError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .set_metadata(
                options
                    .cid
                    .map(|cid| [(CID_METADATA.to_owned(), cid.to_string())].into()),
            )
            .set_content_type(options.content_type.clone())
            .send()
            .await
            .map_err(|e| self.error("CreateMultipartUpload", key.as_str(), e))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        match self
            .upload_parts(key, &upload_id, first, body, options)
            .await
        {
            Ok(info) => Ok(info),
            Err(error) => {
                // Leave no billable half-upload behind; the original error is what matters.
                let _ = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key.as_str())
                    .upload_id(&upload_id)
                    .send()
                    .await;
                Err(error)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &Key,
        upload_id: &str,
        mut pending: Vec<u8>,
        mut body: ByteReader,
        options: &PutOptions,
    ) -> Result<ObjectInfo, StoreError> {
        let io_error = |source| StoreError::Io {
            location: self.location(),
            key: key.to_string(),
            source,
        };
        let mut hasher = CidHasher::new();
        let mut parts = Vec::new();
        let mut ended = false;
        while !(ended && pending.is_empty()) {
            if !ended {
                ended = fill(&mut body, &mut pending, self.part_size)
                    .await
                    .map_err(io_error)?;
            }
            let rest = pending.split_off(pending.len().min(self.part_size));
            let part = std::mem::replace(&mut pending, rest);
            if part.is_empty() {
                break;
            }
            hasher.update(&part);
            let part_number = parts.len() as i32 + 1;
            let checksum = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&part));
            let uploaded = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key.as_str())
                .upload_id(upload_id)
                .part_number(part_number)
                .checksum_sha256(&checksum)
                .body(ByteStream::from(part))
                .send()
                .await
                .map_err(|e| self.error("UploadPart", key.as_str(), e))?;
            parts.push(
                CompletedPart::builder()
                    .part_number(part_number)
                    .set_e_tag(uploaded.e_tag().map(str::to_owned))
                    .checksum_sha256(checksum)
                    .build(),
            );
        }
        let size = hasher.len();
        let cid = hasher.finish();
        // Checked before completing, so a mismatch leaves no object behind.
        self.check_expected(key, options, cid)?;
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key.as_str())
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.error("CompleteMultipartUpload", key.as_str(), e))?;
        if options.cid.is_none() {
            // The CID is known only now; metadata can change only by copying onto itself.
            self.copy_with_metadata(key, key, Some(cid), options.content_type.clone())
                .await?;
        }
        Ok(ObjectInfo {
            key: key.clone(),
            size,
            cid: Some(cid),
        })
    }

    async fn copy_with_metadata(
        &self,
        from: &Key,
        to: &Key,
        cid: Option<Cid>,
        content_type: Option<String>,
    ) -> Result<(), StoreError> {
        let source = format!(
            "{}/{}",
            self.bucket,
            percent_encoding::utf8_percent_encode(from.as_str(), COPY_SOURCE)
        );
        let request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to.as_str())
            .copy_source(source)
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        let request = match cid {
            Some(cid) => request
                .metadata_directive(MetadataDirective::Replace)
                .metadata(CID_METADATA, cid.to_string())
                .set_content_type(content_type),
            None => request.metadata_directive(MetadataDirective::Copy),
        };
        request
            .send()
            .await
            .map_err(|e| self.error("CopyObject", from.as_str(), e))?;
        Ok(())
    }
}

/// Characters escaped in `x-amz-copy-source`: everything but unreserved characters and `/`.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[async_trait]
impl ObjectStore for S3Store {
    fn location(&self) -> String {
        format!("s3://{}", self.bucket)
    }

    async fn list_page(
        &self,
        prefix: &Prefix,
        continuation: Option<String>,
    ) -> Result<ListPage, StoreError> {
        let output = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(prefix.as_str())
            .max_keys(self.page_size)
            .set_continuation_token(continuation)
            .send()
            .await
            .map_err(|e| self.error("ListObjectsV2", prefix.as_str(), e))?;
        let mut page = ListPage::default();
        for object in output.contents() {
            let Some(key) = object.key() else { continue };
            match Key::new(key) {
                Ok(key) => page.objects.push(ObjectInfo {
                    key,
                    size: object.size().unwrap_or(0).max(0) as u64,
                    cid: None,
                }),
                Err(rejected) => page.rejected.push(rejected),
            }
        }
        if output.is_truncated() == Some(true) {
            page.next = output.next_continuation_token().map(str::to_owned);
        }
        Ok(page)
    }

    async fn head(&self, key: &Key) -> Result<Option<ObjectInfo>, StoreError> {
        let output = match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(None),
            Err(e) => return Err(self.error("HeadObject", key.as_str(), e)),
        };
        let recorded = output
            .metadata()
            .and_then(|m| m.get(CID_METADATA))
            .and_then(|text| parse_cid(text).ok());
        // A full-object SHA-256 checksum is the same digest; composite ones end in `-<parts>`.
        let from_checksum = output
            .checksum_sha256()
            .and_then(|checksum| cid_from_checksum_sha256(checksum).ok());
        Ok(Some(ObjectInfo {
            key: key.clone(),
            size: output.content_length().unwrap_or(0).max(0) as u64,
            cid: recorded.or(from_checksum),
        }))
    }

    async fn get(&self, key: &Key) -> Result<ByteReader, StoreError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(output) => Ok(Box::pin(output.body.into_async_read())),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                Err(self.not_found(key))
            }
            Err(e) if e.code() == Some("NoSuchKey") => Err(self.not_found(key)),
            Err(e) => Err(self.error("GetObject", key.as_str(), e)),
        }
    }

    async fn put(
        &self,
        key: &Key,
        mut body: ByteReader,
        options: PutOptions,
    ) -> Result<ObjectInfo, StoreError> {
        let mut first = Vec::new();
        let ended = fill(&mut body, &mut first, self.multipart_threshold + 1)
            .await
            .map_err(|source| StoreError::Io {
                location: self.location(),
                key: key.to_string(),
                source,
            })?;
        if ended {
            self.put_single(key, first, &options).await
        } else {
            self.put_multipart(key, first, body, &options).await
        }
    }

    async fn copy(&self, from: &Key, to: &Key) -> Result<ObjectInfo, StoreError> {
        self.copy_with_metadata(from, to, None, None).await?;
        self.head(to).await?.ok_or_else(|| self.not_found(to))
    }

    async fn delete(&self, key: &Key) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| self.error("DeleteObject", key.as_str(), e))?;
        Ok(())
    }
}
