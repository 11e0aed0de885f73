//! Ready pool keys kept on disk: one PKCS#8 DER file per key, written whole (temporary file,
//! fsync, rename) and removed, with the folder synced, before the key is handed out.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Keys read back from disk: `(index, PKCS#8 DER)`, in index order.
pub(crate) type Kept = Vec<(u64, Vec<u8>)>;

/// A folder of `<index>.der` files.
#[derive(Debug)]
pub(crate) struct Shelf {
    dir: PathBuf,
}

impl Shelf {
    /// Opens (or creates) `dir` and reads the keys in it; half-written files are dropped.
    pub(crate) fn open(dir: PathBuf) -> io::Result<(Self, Kept)> {
        fs::create_dir_all(&dir)?;
        let mut kept = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            match index_of(&path, "der") {
                Some(index) => kept.push((index, fs::read(&path)?)),
                None if index_of(&path, "tmp").is_some() => fs::remove_file(&path)?,
                None => {}
            }
        }
        kept.sort();
        Ok((Shelf { dir }, kept))
    }

    /// Keeps key `index` durably.
    pub(crate) fn put(&self, index: u64, der: &[u8]) -> io::Result<()> {
        let tmp = self.dir.join(format!("{index}.tmp"));
        let mut file = File::create(&tmp)?;
        file.write_all(der)?;
        file.sync_all()?;
        fs::rename(&tmp, self.path(index))?;
        self.sync_dir()
    }

    /// Forgets key `index` durably (a key that is not there is fine).
    pub(crate) fn remove(&self, index: u64) -> io::Result<()> {
        match fs::remove_file(self.path(index)) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn path(&self, index: u64) -> PathBuf {
        self.dir.join(format!("{index}.der"))
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}

/// The index of `<index>.<ext>`.
fn index_of(path: &Path, ext: &str) -> Option<u64> {
    if path.extension()? != ext {
        return None;
    }
    path.file_stem()?.to_str()?.parse().ok()
}
