//! Multipart uploads: parts kept (on disk with a data dir) until CompleteMultipartUpload
//! joins them into one object, whose ETag is the MD5 of the parts' MD5s and `-<count>`.

use std::collections::BTreeMap;

use bytes::Bytes;
use md5::{Digest, Md5};

use super::{no_bucket, ObjectMeta, PutOptions, S3Error, S3Result, S3};

/// Every part but the last must be at least this big (S3's rule).
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// Part numbers run from 1 to this.
pub const MAX_PART_NUMBER: u32 = 10_000;

/// One unfinished upload.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Upload {
    pub(super) bucket: String,
    pub(super) key: String,
    pub(super) content_type: Option<String>,
    pub(super) metadata: BTreeMap<String, String>,
    #[serde(skip)]
    pub(super) parts: BTreeMap<u32, Part>,
}

#[derive(Debug, Clone)]
pub(super) struct Part {
    /// Hex MD5, without quotes.
    pub(super) etag: String,
    pub(super) size: u64,
    /// The bytes, in memory only.
    pub(super) body: Option<Bytes>,
}

impl S3 {
    /// CreateMultipartUpload: the upload id. Makes the bucket, as PutObject does.
    pub fn create_upload(&self, bucket: &str, key: &str, options: PutOptions) -> S3Result<String> {
        super::name::validate_key(key)?;
        self.ensure_bucket(bucket)?;
        let id = self.inner.entropy.hex("s3-upload-id", 32);
        let upload = Upload {
            bucket: bucket.to_string(),
            key: key.to_string(),
            content_type: options.content_type,
            metadata: options.metadata,
            parts: BTreeMap::new(),
        };
        if let Some(disk) = &self.inner.disk {
            disk.create_upload(&id, &upload)?;
        }
        self.uploads().insert(id.clone(), upload);
        Ok(id)
    }

    /// UploadPart: the part's ETag (hex MD5). A part uploaded again replaces the first.
    pub fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        number: u32,
        body: Bytes,
    ) -> S3Result<String> {
        if !(1..=MAX_PART_NUMBER).contains(&number) {
            let message = format!(
                "Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive"
            );
            return Err(S3Error::InvalidArgument(message));
        }
        self.upload(bucket, key, id)?;
        let etag = hex::encode(Md5::digest(&body));
        if let Some(disk) = &self.inner.disk {
            disk.write_part(bucket, id, number, &body)?;
        }
        let part = Part {
            etag: etag.clone(),
            size: body.len() as u64,
            body: self.inner.disk.is_none().then_some(body),
        };
        let mut uploads = self.uploads();
        let upload = uploads
            .get_mut(id)
            .ok_or_else(|| S3Error::NoSuchUpload(id.to_string()))?;
        upload.parts.insert(number, part);
        Ok(etag)
    }

    /// CompleteMultipartUpload with the caller's `(part number, ETag)` list.
    pub fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        id: &str,
        chosen: &[(u32, String)],
    ) -> S3Result<ObjectMeta> {
        let upload = self.upload(bucket, key, id)?;
        let parts = check_parts(&upload, chosen)?;
        let mut body = Vec::new();
        let mut digests = Vec::new();
        for (number, part) in &parts {
            let bytes = match (&part.body, &self.inner.disk) {
                (Some(bytes), _) => bytes.to_vec(),
                (None, Some(disk)) => disk.read_part(bucket, id, *number)?,
                (None, None) => Vec::new(),
            };
            digests.extend_from_slice(&hex::decode(&part.etag).unwrap_or_default());
            body.extend_from_slice(&bytes);
        }
        let etag = format!("{}-{}", hex::encode(Md5::digest(&digests)), parts.len());
        let options = PutOptions {
            content_type: upload.content_type.clone(),
            metadata: upload.metadata.clone(),
        };
        let meta = self.store(bucket, key, Bytes::from(body), options, Some(etag))?;
        self.forget_upload(bucket, id)?;
        Ok(meta)
    }

    /// AbortMultipartUpload.
    pub fn abort_upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<()> {
        self.upload(bucket, key, id)?;
        self.forget_upload(bucket, id)
    }

    fn forget_upload(&self, bucket: &str, id: &str) -> S3Result<()> {
        if let Some(disk) = &self.inner.disk {
            disk.remove_upload(bucket, id)?;
        }
        self.uploads().remove(id);
        Ok(())
    }

    /// The upload `id`, which must be for `bucket` and `key`.
    fn upload(&self, bucket: &str, key: &str, id: &str) -> S3Result<Upload> {
        self.head_bucket(bucket).map_err(|_| no_bucket(bucket))?;
        let uploads = self.uploads();
        match uploads.get(id) {
            Some(u) if u.bucket == bucket && u.key == key => Ok(u.clone()),
            _ => Err(S3Error::NoSuchUpload(id.to_string())),
        }
    }
}

/// The chosen parts, checked as S3 checks them: ascending, each uploaded with that ETag,
/// and all but the last at least 5 MiB.
fn check_parts(upload: &Upload, chosen: &[(u32, String)]) -> S3Result<Vec<(u32, Part)>> {
    if chosen.is_empty() {
        let message = "The XML you provided was not well-formed or did not validate against our published schema";
        return Err(S3Error::MalformedXML(message.to_string()));
    }
    if chosen.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(S3Error::InvalidPartOrder);
    }
    let mut parts = Vec::with_capacity(chosen.len());
    for (number, etag) in chosen {
        let part = upload
            .parts
            .get(number)
            .filter(|p| p.etag == etag.trim_matches('"'));
        let part = part.ok_or(S3Error::InvalidPart)?;
        parts.push((*number, part.clone()));
    }
    let last = parts.len() - 1;
    if parts[..last].iter().any(|(_, p)| p.size < MIN_PART) {
        return Err(S3Error::EntityTooSmall);
    }
    Ok(parts)
}
