//! The S3 stand-in on disk: one directory per bucket, each object's bytes in a blob file
//! and its metadata in a JSON file named after the key's SHA-256. The metadata rename is
//! the commit: a blob no metadata names is an unfinished write, removed on open.
//!
//! ```text
//! <dir>/<bucket>/bucket.json            {created_ms, region}
//! <dir>/<bucket>/meta/<sha256(key)>.json
//! <dir>/<bucket>/blobs/<random id>
//! <dir>/<bucket>/uploads/<upload id>/upload.json   an unfinished multipart upload
//! <dir>/<bucket>/uploads/<upload id>/part-<n>
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use bytes::Bytes;
use md5::Md5;

use super::multipart::{Part, Upload};
use super::ObjectMeta;

#[derive(serde::Serialize, serde::Deserialize)]
struct BucketFile {
    created_ms: i64,
    region: String,
}

/// A bucket read back at start-up.
pub(super) struct LoadedBucket {
    pub(super) name: String,
    pub(super) created_ms: i64,
    pub(super) region: String,
    pub(super) objects: Vec<ObjectMeta>,
    pub(super) uploads: BTreeMap<String, Upload>,
}

pub(super) struct Disk {
    dir: PathBuf,
}

impl Disk {
    /// Opens (creating) `dir` and loads every bucket in it.
    pub(super) fn open(dir: PathBuf) -> io::Result<(Disk, Vec<LoadedBucket>)> {
        fs::create_dir_all(&dir)?;
        let disk = Disk { dir };
        let mut buckets = Vec::new();
        for entry in fs::read_dir(&disk.dir)? {
            let path = entry?.path();
            if let Some(bucket) = disk.load_bucket(&path)? {
                buckets.push(bucket);
            }
        }
        Ok((disk, buckets))
    }

    fn load_bucket(&self, path: &Path) -> io::Result<Option<LoadedBucket>> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Ok(None);
        };
        let Ok(text) = fs::read(path.join("bucket.json")) else {
            // A bucket whose creation never finished, or one half deleted.
            fs::remove_dir_all(path)?;
            return Ok(None);
        };
        let info: BucketFile = serde_json::from_slice(&text).map_err(invalid)?;
        let mut objects = Vec::new();
        for entry in fs::read_dir(path.join("meta"))? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().ends_with(".json") {
                let meta: ObjectMeta =
                    serde_json::from_slice(&fs::read(entry.path())?).map_err(invalid)?;
                objects.push(meta);
            } else {
                fs::remove_file(entry.path())?;
            }
        }
        remove_unnamed_blobs(&path.join("blobs"), &objects)?;
        Ok(Some(LoadedBucket {
            name: name.to_string(),
            created_ms: info.created_ms,
            region: info.region,
            objects,
            uploads: load_uploads(&path.join("uploads"))?,
        }))
    }

    pub(super) fn create_bucket(
        &self,
        name: &str,
        created_ms: i64,
        region: &str,
    ) -> io::Result<()> {
        let path = self.dir.join(name);
        fs::create_dir_all(path.join("meta"))?;
        fs::create_dir_all(path.join("blobs"))?;
        fs::create_dir_all(path.join("uploads"))?;
        let info = BucketFile {
            created_ms,
            region: region.to_string(),
        };
        let text = serde_json::to_vec(&info).map_err(invalid)?;
        write_atomically(&path, "bucket.json", &text)?;
        sync_dir(&self.dir)
    }

    pub(super) fn delete_bucket(&self, name: &str) -> io::Result<()> {
        let path = self.dir.join(name);
        fs::remove_file(path.join("bucket.json"))?;
        sync_dir(&path)?;
        fs::remove_dir_all(&path)?;
        sync_dir(&self.dir)
    }

    /// Writes `body` to a new blob, on disk before this returns; its id.
    pub(super) fn write_blob(&self, bucket: &str, body: &[u8]) -> io::Result<String> {
        let mut raw = [0u8; 16];
        OsRng.fill_bytes(&mut raw);
        let id = hex::encode(raw);
        let blobs = self.dir.join(bucket).join("blobs");
        let mut file = File::create(blobs.join(&id))?;
        file.write_all(body)?;
        file.sync_all()?;
        sync_dir(&blobs)?;
        Ok(id)
    }

    pub(super) fn read_blob(&self, bucket: &str, blob: &str) -> io::Result<Vec<u8>> {
        fs::read(self.dir.join(bucket).join("blobs").join(blob))
    }

    /// Makes `meta` the object's metadata (the commit), then drops the replaced blob.
    pub(super) fn commit_meta(
        &self,
        bucket: &str,
        meta: &ObjectMeta,
        old_blob: Option<&str>,
    ) -> io::Result<()> {
        let text = serde_json::to_vec(meta).map_err(invalid)?;
        let dir = self.dir.join(bucket).join("meta");
        write_atomically(&dir, &meta_name(&meta.key), &text)?;
        sync_dir(&dir)?;
        if let Some(old) = old_blob.filter(|old| *old != meta.blob) {
            fs::remove_file(self.dir.join(bucket).join("blobs").join(old))?;
        }
        Ok(())
    }

    pub(super) fn delete_meta(&self, bucket: &str, meta: &ObjectMeta) -> io::Result<()> {
        let dir = self.dir.join(bucket).join("meta");
        fs::remove_file(dir.join(meta_name(&meta.key)))?;
        sync_dir(&dir)?;
        fs::remove_file(self.dir.join(bucket).join("blobs").join(&meta.blob))
    }

    pub(super) fn create_upload(&self, id: &str, upload: &Upload) -> io::Result<()> {
        let uploads = self.dir.join(&upload.bucket).join("uploads");
        let dir = uploads.join(id);
        fs::create_dir_all(&dir)?;
        let text = serde_json::to_vec(upload).map_err(invalid)?;
        write_atomically(&dir, "upload.json", &text)?;
        sync_dir(&dir)?;
        sync_dir(&uploads)
    }

    pub(super) fn write_part(
        &self,
        bucket: &str,
        id: &str,
        number: u32,
        body: &[u8],
    ) -> io::Result<()> {
        let dir = self.dir.join(bucket).join("uploads").join(id);
        write_atomically(&dir, &format!("part-{number}"), body)?;
        sync_dir(&dir)
    }

    pub(super) fn read_part(&self, bucket: &str, id: &str, number: u32) -> io::Result<Vec<u8>> {
        fs::read(
            self.dir
                .join(bucket)
                .join("uploads")
                .join(id)
                .join(format!("part-{number}")),
        )
    }

    pub(super) fn remove_upload(&self, bucket: &str, id: &str) -> io::Result<()> {
        let uploads = self.dir.join(bucket).join("uploads");
        fs::remove_dir_all(uploads.join(id))?;
        sync_dir(&uploads)
    }
}

/// The unfinished uploads under `dir`, their parts' ETags recomputed from the files.
fn load_uploads(dir: &Path) -> io::Result<BTreeMap<String, Upload>> {
    let mut uploads = BTreeMap::new();
    fs::create_dir_all(dir)?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let id = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(text) = fs::read(path.join("upload.json")) else {
            fs::remove_dir_all(&path)?;
            continue;
        };
        let mut upload: Upload = serde_json::from_slice(&text).map_err(invalid)?;
        for part in fs::read_dir(&path)? {
            let part = part?;
            let name = part.file_name().to_string_lossy().into_owned();
            let Some(number) = name
                .strip_prefix("part-")
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let bytes = fs::read(part.path())?;
            let etag = hex::encode(<Md5 as sha2::Digest>::digest(&bytes));
            let size = bytes.len() as u64;
            upload.parts.insert(
                number,
                Part {
                    etag,
                    size,
                    body: None::<Bytes>,
                },
            );
        }
        uploads.insert(id, upload);
    }
    Ok(uploads)
}

fn meta_name(key: &str) -> String {
    format!("{}.json", hex::encode(Sha256::digest(key.as_bytes())))
}

fn remove_unnamed_blobs(blobs: &Path, objects: &[ObjectMeta]) -> io::Result<()> {
    let named: HashSet<&str> = objects.iter().map(|m| m.blob.as_str()).collect();
    for entry in fs::read_dir(blobs)? {
        let entry = entry?;
        if !named.contains(entry.file_name().to_string_lossy().as_ref()) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Writes `name` in `dir` through a temporary file and a rename, synced.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&tmp, dir.join(name))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn invalid(e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}
