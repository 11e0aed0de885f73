//! CloudFormation's stacks as the registry keeps them: one opaque JSON document per stack
//! id, written whole. The CloudFormation engine owns the document's shape; the registry
//! owns durability (the same group commit as every other table).

use super::{IotResult, Registry};

impl Registry {
    /// Stores (creates or replaces) the stack document `id`.
    pub fn put_stack_record(&self, id: &str, document: serde_json::Value) -> IotResult<()> {
        self.write(|inner, tx| {
            inner.stacks.put(tx, id, document);
            Ok(())
        })
    }

    /// The stack document `id`, if any.
    pub fn stack_record(&self, id: &str) -> Option<serde_json::Value> {
        self.read(|inner| inner.stacks.get(id).cloned())
    }

    /// Every stack document, by id.
    pub fn stack_records(&self) -> Vec<serde_json::Value> {
        self.read(|inner| inner.stacks.values().cloned().collect())
    }
}
