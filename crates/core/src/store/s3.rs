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

use std::sync::Arc;

use super::{
    fill, hash_stream, ByteReader, EtagCidCache, ListPage, ObjectInfo, ObjectStore, PutOptions,
    StoreError,
};
use crate::cids::{cid_from_checksum_sha256, parse_cid, CidHasher};
use crate::key::{Key, Prefix};

const MIB: usize = 1024 * 1024;
/// User-metadata name of the CID (sent as `x-amz-meta-cid`).
pub const CID_METADATA: &str = "cid";

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// Which S3 service the client talks to (endpoint and region). Two stores of one service
    /// copy between each other server-side; `None` means unknown, so never.
    service: Option<String>,
    etags: Arc<EtagCidCache>,
    multipart_threshold: usize,
    part_size: usize,
    page_size: i32,
}

/// CopyObject's limit; larger objects are streamed through this process instead.
const MAX_SERVER_SIDE_COPY: u64 = 5 * 1024 * 1024 * 1024;

impl S3Store {
    async fn get_object(
        &self,
        key: &Key,
    ) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput, StoreError> {
        match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
        {
            Ok(output) => Ok(output),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => {
                Err(self.not_found(key))
            }
            Err(e) if e.code() == Some("NoSuchKey") => Err(self.not_found(key)),
            Err(e) => Err(self.error("GetObject", key.as_str(), e)),
        }
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
            service: None,
            etags: Arc::new(EtagCidCache::in_memory()),
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
        let endpoint = shared.endpoint_url().unwrap_or("aws").to_owned();
        let region = shared.region().map(|r| r.to_string()).unwrap_or_default();
        Self::new(Client::from_conf(config), bucket).on_service(format!("{endpoint} {region}"))
    }

    /// Names the S3 service (endpoint and region) the client talks to, enabling server-side
    /// copies between stores that name the same one.
    pub fn on_service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// Shares a cache of CIDs by ETag (possibly persisted) instead of this store's own.
    pub fn with_etag_cache(mut self, cache: Arc<EtagCidCache>) -> Self {
        self.etags = cache;
        self
    }

    /// The cache scope: one bucket of one service.
    fn scope(&self) -> String {
        format!("{}|{}", self.service.as_deref().unwrap_or("?"), self.bucket)
    }

    fn remember(&self, key: &Key, etag: Option<&str>, cid: Option<Cid>) {
        if let (Some(etag), Some(cid)) = (etag, cid) {
            self.etags.insert(&self.scope(), key.as_str(), etag, cid);
        }
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
        let output = self
            .client
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
        let etag = output.e_tag().map(str::to_owned);
        self.remember(key, etag.as_deref(), Some(cid));
        Ok(ObjectInfo {
            key: key.clone(),
            size,
            cid: Some(cid),
            etag,
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
        let io_error = StoreError::io(self, key);
        let mut hasher = CidHasher::new();
        let mut parts = Vec::new();
        let mut ended = false;
        while !(ended && pending.is_empty()) {
            if !ended {
                ended = fill(&mut body, &mut pending, self.part_size)
                    .await
                    .map_err(&io_error)?;
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
        let completed = self
            .client
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
        let mut etag = completed.e_tag().map(str::to_owned);
        if options.cid.is_none() {
            // The CID is known only now; metadata can change only by copying onto itself.
            etag = self
                .copy_object(
                    &self.bucket,
                    key,
                    key,
                    Some(cid),
                    options.content_type.clone(),
                )
                .await?
                .etag;
        }
        self.remember(key, etag.as_deref(), Some(cid));
        Ok(ObjectInfo {
            key: key.clone(),
            size,
            cid: Some(cid),
            etag,
        })
    }

    /// CopyObject from `source_bucket`/`from` (same service) to `to` here; with a CID the
    /// metadata is replaced to record it, else copied.
    async fn copy_object(
        &self,
        source_bucket: &str,
        from: &Key,
        to: &Key,
        cid: Option<Cid>,
        content_type: Option<String>,
    ) -> Result<Copied, StoreError> {
        let source = format!(
            "{source_bucket}/{}",
            percent_encoding::utf8_percent_encode(from.as_str(), COPY_SOURCE)
        );
        let request = self
            .client
            .copy_object()
            .bucket(&self.bucket)
            .key(to.as_str())
            .copy_source(source)
            // S3 computes the copy's own SHA-256, so even a source without CID metadata yields
            // a copy whose CID is known.
            .checksum_algorithm(ChecksumAlgorithm::Sha256);
        let request = match cid {
            Some(cid) => request
                .metadata_directive(MetadataDirective::Replace)
                .metadata(CID_METADATA, cid.to_string())
                .set_content_type(content_type),
            None => request.metadata_directive(MetadataDirective::Copy),
        };
        let output = request
            .send()
            .await
            .map_err(|e| self.error("CopyObject", from.as_str(), e))?;
        let result = output.copy_object_result();
        let computed = result
            .and_then(|result| result.checksum_sha256())
            .and_then(|checksum| cid_from_checksum_sha256(checksum).ok());
        Ok(Copied {
            etag: result.and_then(|r| r.e_tag()).map(str::to_owned),
            cid: cid.or(computed),
        })
    }
}

/// What a CopyObject produced: the copy's ETag and, when known, its CID.
struct Copied {
    etag: Option<String>,
    cid: Option<Cid>,
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
        let scope = self.scope();
        for object in output.contents() {
            let Some(key) = object.key() else { continue };
            match Key::new(key) {
                Ok(key) => page.objects.push(ObjectInfo {
                    cid: object
                        .e_tag()
                        .and_then(|etag| self.etags.get(&scope, key.as_str(), etag)),
                    key,
                    size: object.size().unwrap_or(0).max(0) as u64,
                    etag: object.e_tag().map(str::to_owned),
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
        let cid = recorded.or(from_checksum);
        let etag = output.e_tag().map(str::to_owned);
        self.remember(key, etag.as_deref(), cid);
        Ok(Some(ObjectInfo {
            key: key.clone(),
            size: output.content_length().unwrap_or(0).max(0) as u64,
            cid,
            etag,
        }))
    }

    async fn get(&self, key: &Key) -> Result<ByteReader, StoreError> {
        Ok(Box::pin(self.get_object(key).await?.body.into_async_read()))
    }

    /// Hashes the content when no CID is recorded, remembering it under the ETag of the very
    /// response that was hashed.
    async fn cid(&self, key: &Key) -> Result<Cid, StoreError> {
        if let Some(cid) = self.head(key).await?.and_then(|info| info.cid) {
            return Ok(cid);
        }
        let output = self.get_object(key).await?;
        let etag = output.e_tag().map(str::to_owned);
        let hasher = hash_stream(Box::pin(output.body.into_async_read()), |_| {})
            .await
            .map_err(StoreError::io(self, key))?;
        let cid = hasher.finish();
        self.remember(key, etag.as_deref(), Some(cid));
        Ok(cid)
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
            .map_err(StoreError::io(self, key))?;
        if ended {
            self.put_single(key, first, &options).await
        } else {
            self.put_multipart(key, first, body, &options).await
        }
    }

    async fn copy(&self, from: &Key, to: &Key) -> Result<ObjectInfo, StoreError> {
        self.copy_object(&self.bucket, from, to, None, None).await?;
        self.head(to).await?.ok_or_else(|| self.not_found(to))
    }

    fn as_s3(&self) -> Option<&S3Store> {
        Some(self)
    }

    async fn copy_from(
        &self,
        src: &dyn ObjectStore,
        from: &ObjectInfo,
        to: &Key,
    ) -> Option<Result<ObjectInfo, StoreError>> {
        let src = src.as_s3()?;
        if self.service.is_none() || src.service != self.service || from.size > MAX_SERVER_SIDE_COPY
        {
            return None;
        }
        let copied = self
            .copy_object(&src.bucket, &from.key, to, from.cid, None)
            .await
            .map(|Copied { etag, cid }| {
                self.remember(to, etag.as_deref(), cid);
                // The copy's checksum is the source's content too: the source's listing can
                // carry it from now on.
                src.remember(&from.key, from.etag.as_deref(), cid);
                ObjectInfo {
                    key: to.clone(),
                    size: from.size,
                    cid,
                    etag,
                }
            });
        Some(copied)
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
