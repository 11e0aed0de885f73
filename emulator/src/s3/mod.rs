//! The S3 stand-in's engine: buckets and objects, kept under the data dir (or in memory),
//! with MD5 ETags. Enough S3 for `aws cloudformation package`, `aws s3 cp/ls` and the
//! Lambda code CloudFormation deploys; [`crate::s3_rest`] is its rest-xml front end.

mod disk;
mod error;
pub mod list;
pub mod multipart;
mod name;

pub use error::S3Error;
pub use list::{ListQuery, Listing};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use md5::{Digest, Md5};

use crate::basis::clock::Clock;
use crate::basis::Entropy;
use disk::Disk;
use multipart::Upload;

/// What S3 keeps about one object besides its bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    /// Hex MD5 of the body, without quotes.
    pub etag: String,
    pub size: u64,
    pub last_modified_ms: i64,
    pub content_type: Option<String>,
    /// `x-amz-meta-*` headers, names lower-cased without the prefix.
    pub metadata: BTreeMap<String, String>,
    /// Where the bytes are on disk (empty in memory).
    #[serde(default)]
    blob: String,
}

/// What a PutObject brings besides the bucket, key and body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// One bucket as ListBuckets shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub name: String,
    pub created_ms: i64,
    pub region: String,
}

struct Bucket {
    created_ms: i64,
    region: String,
    objects: BTreeMap<String, ObjectMeta>,
    /// Bodies, in memory only.
    bodies: BTreeMap<String, Bytes>,
}

struct Inner {
    buckets: Mutex<BTreeMap<String, Bucket>>,
    /// Unfinished multipart uploads by id.
    uploads: Mutex<BTreeMap<String, Upload>>,
    disk: Option<Disk>,
    clock: Clock,
    entropy: Arc<Entropy>,
    region: String,
}

/// The S3 stand-in (cheap to clone).
#[derive(Clone)]
pub struct S3 {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for S3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3").finish_non_exhaustive()
    }
}

pub type S3Result<T> = Result<T, S3Error>;

impl S3 {
    /// Opens the store under `dir` (loading what is there), or in memory when `None`.
    /// `region` is where buckets made without a LocationConstraint live.
    pub fn open(
        dir: Option<PathBuf>,
        clock: Clock,
        entropy: Arc<Entropy>,
        region: &str,
    ) -> std::io::Result<S3> {
        let mut uploads = BTreeMap::new();
        let mut buckets = BTreeMap::new();
        let disk = match dir {
            Some(dir) => {
                let (disk, loaded) = Disk::open(dir)?;
                for mut bucket in loaded {
                    uploads.append(&mut bucket.uploads);
                    buckets.insert(bucket.name.clone(), from_disk(bucket));
                }
                Some(disk)
            }
            None => None,
        };
        let inner = Inner {
            buckets: Mutex::new(buckets),
            uploads: Mutex::new(uploads),
            disk,
            clock,
            entropy,
            region: region.to_string(),
        };
        Ok(S3 {
            inner: Arc::new(inner),
        })
    }

    fn buckets(&self) -> MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.inner.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn uploads(&self) -> MutexGuard<'_, BTreeMap<String, Upload>> {
        self.inner.uploads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `bucket` unless it exists (PutObject and CreateMultipartUpload do this).
    fn ensure_bucket(&self, bucket: &str) -> S3Result<()> {
        if self.head_bucket(bucket).is_ok() {
            return Ok(());
        }
        match self.create_bucket(bucket, None) {
            Ok(()) | Err(S3Error::BucketAlreadyOwnedByYou(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// CreateBucket. `region` is the LocationConstraint, if any.
    pub fn create_bucket(&self, name: &str, region: Option<&str>) -> S3Result<()> {
        name::validate(name)?;
        let mut buckets = self.buckets();
        if buckets.contains_key(name) {
            return Err(S3Error::BucketAlreadyOwnedByYou(name.to_string()));
        }
        let bucket = Bucket {
            created_ms: self.inner.clock.now_ms(),
            region: region.unwrap_or(&self.inner.region).to_string(),
            objects: BTreeMap::new(),
            bodies: BTreeMap::new(),
        };
        if let Some(disk) = &self.inner.disk {
            disk.create_bucket(name, bucket.created_ms, &bucket.region)?;
        }
        buckets.insert(name.to_string(), bucket);
        Ok(())
    }

    /// HeadBucket: the bucket's region.
    pub fn head_bucket(&self, name: &str) -> S3Result<String> {
        let buckets = self.buckets();
        let bucket = buckets.get(name).ok_or_else(|| no_bucket(name))?;
        Ok(bucket.region.clone())
    }

    /// DeleteBucket: only an empty bucket.
    pub fn delete_bucket(&self, name: &str) -> S3Result<()> {
        let mut buckets = self.buckets();
        let bucket = buckets.get(name).ok_or_else(|| no_bucket(name))?;
        if !bucket.objects.is_empty() {
            return Err(S3Error::BucketNotEmpty(name.to_string()));
        }
        if let Some(disk) = &self.inner.disk {
            disk.delete_bucket(name)?;
        }
        buckets.remove(name);
        // Unfinished uploads go with their bucket.
        self.uploads().retain(|_, u| u.bucket != name);
        Ok(())
    }

    /// ListBuckets, by name.
    pub fn list_buckets(&self) -> Vec<BucketInfo> {
        let buckets = self.buckets();
        let info = |(name, b): (&String, &Bucket)| BucketInfo {
            name: name.clone(),
            created_ms: b.created_ms,
            region: b.region.clone(),
        };
        buckets.iter().map(info).collect()
    }

    /// PutObject. A bucket that does not exist yet is made first (see the README: the
    /// users' walkthroughs upload with `cloudformation package` and never make one).
    pub fn put_object(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        options: PutOptions,
    ) -> S3Result<ObjectMeta> {
        name::validate_key(key)?;
        self.ensure_bucket(bucket)?;
        self.store(bucket, key, body, options, None)
    }

    /// Stores a whole object; `etag` overrides the body's MD5 (multipart objects).
    fn store(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        options: PutOptions,
        etag: Option<String>,
    ) -> S3Result<ObjectMeta> {
        let mut meta = ObjectMeta {
            key: key.to_string(),
            etag: etag.unwrap_or_else(|| hex::encode(Md5::digest(&body))),
            size: body.len() as u64,
            last_modified_ms: self.inner.clock.now_ms(),
            content_type: options.content_type,
            metadata: options.metadata,
            blob: String::new(),
        };
        if let Some(disk) = &self.inner.disk {
            meta.blob = disk.write_blob(bucket, &body)?;
        }
        let mut buckets = self.buckets();
        let b = buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        let old = b.objects.get(key).map(|m| m.blob.clone());
        if let Some(disk) = &self.inner.disk {
            disk.commit_meta(bucket, &meta, old.as_deref())?;
        } else {
            b.bodies.insert(key.to_string(), body);
        }
        b.objects.insert(key.to_string(), meta.clone());
        Ok(meta)
    }

    /// HeadObject.
    pub fn head_object(&self, bucket: &str, key: &str) -> S3Result<ObjectMeta> {
        let buckets = self.buckets();
        let b = buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        b.objects
            .get(key)
            .cloned()
            .ok_or_else(|| S3Error::NoSuchKey(key.to_string()))
    }

    /// GetObject: the metadata and the whole body.
    pub fn get_object(&self, bucket: &str, key: &str) -> S3Result<(ObjectMeta, Bytes)> {
        let meta = self.head_object(bucket, key)?;
        let body = match &self.inner.disk {
            Some(disk) => Bytes::from(disk.read_blob(bucket, &meta.blob)?),
            None => {
                let buckets = self.buckets();
                let b = buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
                b.bodies.get(key).cloned().unwrap_or_default()
            }
        };
        Ok((meta, body))
    }

    /// DeleteObject: succeeds whether or not the key exists, as S3 does.
    pub fn delete_object(&self, bucket: &str, key: &str) -> S3Result<()> {
        let mut buckets = self.buckets();
        let b = buckets.get_mut(bucket).ok_or_else(|| no_bucket(bucket))?;
        if let Some(meta) = b.objects.get(key) {
            if let Some(disk) = &self.inner.disk {
                disk.delete_meta(bucket, meta)?;
            }
            b.objects.remove(key);
            b.bodies.remove(key);
        }
        Ok(())
    }

    /// ListObjects (v1 and v2).
    pub fn list_objects(&self, bucket: &str, query: &ListQuery) -> S3Result<Listing> {
        let buckets = self.buckets();
        let b = buckets.get(bucket).ok_or_else(|| no_bucket(bucket))?;
        Ok(list::list(&b.objects, query))
    }

    /// Removes every bucket and object (the admin reset).
    pub fn reset(&self) -> S3Result<()> {
        let mut buckets = self.buckets();
        if let Some(disk) = &self.inner.disk {
            for name in buckets.keys() {
                disk.delete_bucket(name)?;
            }
        }
        buckets.clear();
        self.uploads().clear();
        Ok(())
    }
}

fn no_bucket(name: &str) -> S3Error {
    S3Error::NoSuchBucket(name.to_string())
}

fn from_disk(loaded: disk::LoadedBucket) -> Bucket {
    let objects = loaded.objects.into_iter().map(|m| (m.key.clone(), m));
    Bucket {
        created_ms: loaded.created_ms,
        region: loaded.region,
        objects: objects.collect(),
        bodies: BTreeMap::new(),
    }
}
