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
