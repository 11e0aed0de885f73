//! A function's deployment package: checks its size, unpacks the `.zip` (refusing paths
//! that leave the target directory) and computes `CodeSha256`.

use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::error::{LambdaError, LambdaResult};

/// AWS's limits: 50 MB zipped when uploaded directly, 250 MB unzipped.
pub const MAX_ZIPPED: usize = 50 * 1024 * 1024;
pub const MAX_UNZIPPED: u64 = 262_144_000;

/// Base64 of the SHA-256 of the package, as AWS reports it.
pub fn sha256_b64(zip: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(zip))
}

/// Unpacks `zip` into `dest` (which must not exist yet).
pub fn unpack(zip: &[u8], dest: &Path) -> LambdaResult<()> {
    if zip.len() > MAX_ZIPPED {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {MAX_ZIPPED} bytes for the CreateFunction operation"
        )));
    }
    let bad = |e: &dyn std::fmt::Display| {
        LambdaError::InvalidParameterValue(format!("Could not unzip uploaded file. Please check your file, then try to upload again. ({e})"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| bad(&e))?;
    let unzipped: u64 = (0..archive.len())
        .filter_map(|i| archive.by_index_raw(i).ok().map(|f| f.size()))
        .sum();
    if unzipped > MAX_UNZIPPED {
        return Err(LambdaError::InvalidParameterValue(format!(
            "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
        )));
    }
    std::fs::create_dir_all(dest).map_err(LambdaError::service)?;
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).map_err(|e| bad(&e))?;
        let Some(relative) = file.enclosed_name() else {
            return Err(bad(&format!("unsafe path {}", file.name())));
        };
        let path = dest.join(relative);
        if file.is_dir() {
            std::fs::create_dir_all(&path).map_err(LambdaError::service)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(LambdaError::service)?;
        }
        let mut out = std::fs::File::create(&path).map_err(LambdaError::service)?;
        std::io::copy(&mut file, &mut out).map_err(|e| bad(&e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn unpacks_nested_files_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip_of(&[("app.py", "x = 1\n"), ("pkg/mod.py", "y = 2\n")]);
        unpack(&zip, &dir.path().join("code")).unwrap();
        let text = std::fs::read_to_string(dir.path().join("code/pkg/mod.py")).unwrap();
        assert_eq!(text, "y = 2\n");
        let evil = zip_of(&[("../evil.py", "")]);
        let e = unpack(&evil, &dir.path().join("evil")).unwrap_err();
        assert_eq!(e.exception_name(), "InvalidParameterValueException");
        let e = unpack(b"not a zip", &dir.path().join("junk")).unwrap_err();
        assert_eq!(e.exception_name(), "InvalidParameterValueException");
        assert_eq!(sha256_b64(b"").len(), 44);
    }
}

/// An S3 object `fetch` could not read: S3's error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    pub code: String,
    pub message: String,
}

/// Reads an object (bucket, key) for [`inline_s3_location`].
pub type Fetch<'a> = dyn Fn(&str, &str) -> Result<Vec<u8>, FetchError> + 'a;

/// Turns `Code` given as an S3 location (`S3Bucket`, `S3Key`) into a `ZipFile`, reading
/// the object with `fetch` (the S3 stand-in), as Lambda reads it from S3 when the
/// function is created or updated. `S3ObjectVersion` is refused: the stand-in keeps no
/// versions. Other `Code` shapes are left as they are.
pub fn inline_s3_location(
    code: &mut serde_json::Map<String, serde_json::Value>,
    fetch: &Fetch<'_>,
) -> LambdaResult<()> {
    let text = |k: &str| code.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let (Some(bucket), Some(key)) = (text("S3Bucket"), text("S3Key")) else {
        return Ok(());
    };
    if code.get("S3ObjectVersion").is_some_and(|v| !v.is_null()) {
        return Err(LambdaError::InvalidParameterValue(
            "iot-emulator's S3 stand-in keeps no object versions (S3ObjectVersion)".into(),
        ));
    }
    let zip = fetch(&bucket, &key).map_err(|e| {
        LambdaError::InvalidParameterValue(format!(
            "Error occurred while GetObject. S3 Error Code: {}. S3 Error Message: {}",
            e.code, e.message
        ))
    })?;
    for k in ["S3Bucket", "S3Key", "S3ObjectVersion"] {
        code.remove(k);
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(zip);
    code.insert("ZipFile".into(), serde_json::Value::String(b64));
    Ok(())
}

/// Reads a package from the S3 stand-in, for `Code.S3Bucket`/`S3Key`.
pub fn fetch_from(s3: &crate::s3::S3) -> impl Fn(&str, &str) -> Result<Vec<u8>, FetchError> + '_ {
    move |bucket, key| {
        s3.get_object(bucket, key)
            .map(|(_, body)| body.to_vec())
            .map_err(|e| FetchError {
                code: e.code().to_string(),
                message: e.to_string(),
            })
    }
}
