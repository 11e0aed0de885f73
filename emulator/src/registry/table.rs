//! Ordered in-memory tables whose every change is logged for the store and for rollback,
//! each with an optional secondary index kept in step with its rows.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::basis::Change;

/// A row as it was before a change, kept as the row itself (no encoding) for rollback.
pub(crate) type Before = Option<Box<dyn Any + Send>>;

/// The changes one registry write makes: what to persist, and how to undo it.
#[derive(Debug, Default)]
pub struct Tx {
    pub(crate) changes: Vec<Change>,
    /// `(table, key, row before the change)`, in order of the changes.
    pub(crate) undo: Vec<(&'static str, String, Before)>,
    /// A dry run, always rolled back: nothing is encoded for the store, and the ids a
    /// write would draw are left empty (see [`Tx::dry`]).
    pub(crate) dry: bool,
}

impl Tx {
    /// A write that will be rolled back whatever happens (the template fuzzer's dry
    /// runs): the store never sees it, so its changes are not encoded, and it draws no
    /// ids from the registry's deterministic sequence (drawing would shift the ids of
    /// every later real write of a seeded emulator; a dry run's ids are never seen).
    pub(crate) fn dry() -> Self {
        Tx {
            dry: true,
            ..Tx::default()
        }
    }
}

/// Anything that can take a row back: used to load (serialised rows) and to roll back
/// (the rows themselves).
pub(crate) trait RowSink {
    /// Replaces (or with `None`, removes) the row at `key` with a serialised row.
    fn restore_row(&mut self, key: &str, value: Option<&[u8]>);
    /// Puts back the row `before` a change (None: there was none).
    fn undo_row(&mut self, key: &str, before: Before);
}

/// A secondary index: each value `terms` derives from a row, to the keys of the rows
/// that carry it. Every row change goes through [`Table::set_row`] (puts, removals,
/// loading and rollback alike), so the index never disagrees with the rows.
#[derive(Debug)]
struct Index<T> {
    terms: fn(&T) -> Vec<String>,
    rows_by_term: BTreeMap<String, BTreeSet<String>>,
}

impl<T> Index<T> {
    fn add(&mut self, key: &str, row: &T) {
        for term in (self.terms)(row) {
            self.rows_by_term
                .entry(term)
                .or_default()
                .insert(key.to_string());
        }
    }

    fn drop_row(&mut self, key: &str, row: &T) {
        for term in (self.terms)(row) {
            if let Some(keys) = self.rows_by_term.get_mut(&term) {
                keys.remove(key);
                if keys.is_empty() {
                    self.rows_by_term.remove(&term);
                }
            }
        }
    }
}

/// A table of records keyed by name (or id), iterated in key order.
#[derive(Debug)]
pub struct Table<T> {
    name: &'static str,
    rows: BTreeMap<String, T>,
    index: Option<Index<T>>,
}

impl<T: Serialize + DeserializeOwned + Clone> Table<T> {
    /// An empty table persisted under `name`.
    pub fn new(name: &'static str) -> Self {
        Table {
            name,
            rows: BTreeMap::new(),
            index: None,
        }
    }

    /// An empty table with a secondary index on the values `terms` derives from each row.
    pub fn indexed(name: &'static str, terms: fn(&T) -> Vec<String>) -> Self {
        Table {
            index: Some(Index {
                terms,
                rows_by_term: BTreeMap::new(),
            }),
            ..Table::new(name)
        }
    }

    /// The rows whose indexed terms include `term`, in key order. Empty on a table
    /// without an index.
    pub fn by_term<'a>(&'a self, term: &str) -> impl Iterator<Item = (&'a String, &'a T)> {
        let keys = self.index.as_ref().and_then(|i| i.rows_by_term.get(term));
        debug_assert!(self.index.is_some(), "table {} has no index", self.name);
        keys.into_iter()
            .flatten()
            .filter_map(|k| self.rows.get_key_value(k))
    }

    /// Replaces (or with `None`, removes) the row at `key`, keeping the index in step;
    /// returns the row it replaced.
    fn set_row(&mut self, key: &str, value: Option<T>) -> Option<T> {
        let before = self.rows.remove(key);
        if let (Some(index), Some(old)) = (&mut self.index, &before) {
            index.drop_row(key, old);
        }
        if let Some(row) = value {
            if let Some(index) = &mut self.index {
                index.add(key, &row);
            }
            self.rows.insert(key.to_string(), row);
        }
        before
    }

    /// The record at `key`.
    pub fn get(&self, key: &str) -> Option<&T> {
        self.rows.get(key)
    }

    /// Whether `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.rows.contains_key(key)
    }

    /// Records in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.rows.iter()
    }

    /// Records in key order.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.rows.values()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Writes: rows go into the undo log as themselves.
impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> Table<T> {
    /// Inserts or replaces `key`, logging the change.
    pub fn put(&mut self, tx: &mut Tx, key: impl Into<String>, value: T) {
        let key = key.into();
        if !tx.dry {
            tx.changes.push(Change::Put {
                table: self.name,
                key: key.clone(),
                value: encode(&value),
            });
        }
        let before = self.set_row(&key, Some(value));
        tx.undo.push((self.name, key, before.map(boxed)));
    }

    /// Removes `key`, logging the change.
    pub fn remove(&mut self, tx: &mut Tx, key: &str) -> Option<T> {
        let before = self.set_row(key, None)?;
        tx.undo
            .push((self.name, key.to_string(), Some(boxed(before.clone()))));
        if !tx.dry {
            tx.changes.push(Change::Delete {
                table: self.name,
                key: key.to_string(),
            });
        }
        Some(before)
    }

    /// Applies `f` to a copy of the record at `key` and stores the result.
    /// Returns `None` when the key is absent.
    pub fn update<R>(&mut self, tx: &mut Tx, key: &str, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut record = self.rows.get(key)?.clone();
        let out = f(&mut record);
        self.put(tx, key, record);
        Some(out)
    }
}

impl<T: Serialize + DeserializeOwned + Clone + Send + 'static> RowSink for Table<T> {
    fn restore_row(&mut self, key: &str, value: Option<&[u8]>) {
        let record = value.and_then(|v| serde_json::from_slice::<T>(v).ok());
        self.set_row(key, record);
    }

    fn undo_row(&mut self, key: &str, before: Before) {
        let record = before.map(|b| match b.downcast::<T>() {
            Ok(row) => *row,
            // Each undo entry names its own table, so the type always matches.
            Err(_) => unreachable!("an undo entry of table {} holds another type", self.name),
        });
        self.set_row(key, record);
    }
}

fn boxed<T: Send + 'static>(row: T) -> Box<dyn Any + Send> {
    Box::new(row)
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
