//! The durable store: one redb file of JSON records, committed with fsync before any reply.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

/// Keys are `"<table>\u{1f}<key>"`; values are the record serialised as JSON.
const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
const SEPARATOR: char = '\u{1f}';

/// One change to persist.
#[derive(Debug, Clone)]
pub enum Change {
    /// Insert or replace a record.
    Put {
        table: &'static str,
        key: String,
        value: Vec<u8>,
    },
    /// Remove a record.
    Delete { table: &'static str, key: String },
}

/// A failure of the embedded database.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(String);

fn fail(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// The embedded database behind `--data-dir`.
#[derive(Debug)]
pub struct Store {
    db: Database,
    /// Makes every commit fail, to test what a failed commit undoes.
    #[cfg(test)]
    pub(crate) fail_commits: std::sync::atomic::AtomicBool,
}

impl Store {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(fail)?;
        let txn = db.begin_write().map_err(fail)?;
        txn.open_table(RECORDS).map_err(fail)?;
        txn.commit().map_err(fail)?;
        Ok(Store {
            db,
            #[cfg(test)]
            fail_commits: Default::default(),
        })
    }

    /// Every record, as `(table, key, value)`, in key order.
    pub fn load_all(&self) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(fail)?;
        let table = txn.open_table(RECORDS).map_err(fail)?;
        let mut rows = Vec::new();
        for entry in table.iter().map_err(fail)? {
            let (k, v) = entry.map_err(fail)?;
            if let Some((t, key)) = k.value().split_once(SEPARATOR) {
                rows.push((t.to_string(), key.to_string(), v.value().to_vec()));
            }
        }
        Ok(rows)
    }

    /// One record, if present.
    pub fn get(&self, table: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(fail)?;
        let records = txn.open_table(RECORDS).map_err(fail)?;
        let k = format!("{table}{SEPARATOR}{key}");
        let value = records.get(k.as_str()).map_err(fail)?;
        Ok(value.map(|v| v.value().to_vec()))
    }

    /// Applies `changes` in one durable transaction.
    pub fn commit(&self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        #[cfg(test)]
        if self.fail_commits.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError("injected failure".into()));
        }
        let txn = self.db.begin_write().map_err(fail)?;
        {
            let mut table = txn.open_table(RECORDS).map_err(fail)?;
            for change in changes {
                match change {
                    Change::Put {
                        table: t,
                        key,
                        value,
                    } => {
                        let k = format!("{t}{SEPARATOR}{key}");
                        table.insert(k.as_str(), value.as_slice()).map_err(fail)?;
                    }
                    Change::Delete { table: t, key } => {
                        let k = format!("{t}{SEPARATOR}{key}");
                        table.remove(k.as_str()).map_err(fail)?;
                    }
                }
            }
        }
        txn.commit().map_err(fail)
    }

    /// Removes every record.
    pub fn clear(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(fail)?;
        txn.delete_table(RECORDS).map_err(fail)?;
        txn.open_table(RECORDS).map_err(fail)?;
        txn.commit().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        {
            let store = Store::open(&path).unwrap();
            store
                .commit(&[
                    Change::Put {
                        table: "things",
                        key: "a".into(),
                        value: b"1".to_vec(),
                    },
                    Change::Put {
                        table: "things",
                        key: "b".into(),
                        value: b"2".to_vec(),
                    },
                    Change::Delete {
                        table: "things",
                        key: "a".into(),
                    },
                ])
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let rows = store.load_all().unwrap();
        assert_eq!(rows, vec![("things".into(), "b".into(), b"2".to_vec())]);
    }
}
