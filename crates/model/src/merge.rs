//! Field-level merge of an edit made from a base revision (DESIGN.md, "Sync protocol" 5).
//!
//! The server keeps, per record, the revision at which each field last changed. An edit carries
//! the revision it started from and only the fields it changed. A field nobody else changed
//! since the base merges; a field someone else changed to a different value is a conflict, and
//! the server keeps its value. Pure, so both sides and tests can use it alone.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;
use utoipa::ToSchema;

/// One field changed on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct FieldConflict {
    /// Wire name of the field.
    pub field: String,
    /// The value this edit wanted.
    #[ts(type = "unknown")]
    pub mine: Value,
    /// The value the server keeps.
    #[ts(type = "unknown")]
    pub theirs: Value,
    /// Revision at which the server's value was written.
    #[ts(type = "number")]
    pub their_revision: i64,
    /// Who wrote the server's value (full name), when the server knows: edits sent through
    /// the outbox are remembered with their author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub changed_by: Option<String>,
    /// When the server's value was written, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub changed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// What to write, and what could not be merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MergeOutcome {
    /// Fields to write.
    pub apply: Map<String, Value>,
    /// Fields changed on both sides.
    pub conflicts: Vec<FieldConflict>,
}

/// Merges `changes` made from `base_revision` into `current` (the server's record as JSON),
/// given `field_revisions` (field → revision of its last change). `own_revisions` are the
/// revisions written by the same workstation's earlier mutations: an outbox is ordered, so a
/// later edit has seen those, and a field they changed is not a conflict (check in, then
/// complete, both offline).
pub fn merge_fields(
    base_revision: i64,
    field_revisions: &BTreeMap<String, i64>,
    own_revisions: &BTreeSet<i64>,
    current: &Map<String, Value>,
    changes: &Map<String, Value>,
) -> MergeOutcome {
    let mut out = MergeOutcome::default();
    for (field, mine) in changes {
        let theirs = current.get(field).cloned().unwrap_or(Value::Null);
        if &theirs == mine {
            continue;
        }
        let changed_at = field_revisions.get(field).copied().unwrap_or(0);
        if changed_at > base_revision && !own_revisions.contains(&changed_at) {
            out.conflicts.push(FieldConflict {
                field: field.clone(),
                mine: mine.clone(),
                theirs,
                their_revision: changed_at,
                changed_by: None,
                changed_at: None,
            });
        } else {
            out.apply.insert(field.clone(), mine.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn untouched_fields_merge_and_both_sides_changes_conflict() {
        let current = obj(json!({"phone": "555 0100", "email": "new@x.org", "notes": null}));
        let revs = BTreeMap::from([("phone".to_owned(), 3), ("email".to_owned(), 9)]);
        let changes = obj(json!({"phone": "555 0199", "email": "mine@x.org", "notes": "hi"}));
        let out = merge_fields(5, &revs, &BTreeSet::new(), &current, &changes);
        assert_eq!(out.apply, obj(json!({"phone": "555 0199", "notes": "hi"})));
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].field, "email");
        assert_eq!(out.conflicts[0].theirs, json!("new@x.org"));
    }

    #[test]
    fn same_value_on_both_sides_is_no_conflict() {
        let current = obj(json!({"email": "a@b.org"}));
        let revs = BTreeMap::from([("email".to_owned(), 9)]);
        let out = merge_fields(
            1,
            &revs,
            &BTreeSet::new(),
            &current,
            &obj(json!({"email": "a@b.org"})),
        );
        assert!(out.apply.is_empty() && out.conflicts.is_empty());
    }

    #[test]
    fn a_workstations_own_earlier_edit_is_not_a_conflict() {
        let current = obj(json!({"status": "checked_in"}));
        let revs = BTreeMap::from([("status".to_owned(), 12)]);
        let changes = obj(json!({"status": "completed"}));
        let own = BTreeSet::from([12]);
        let out = merge_fields(7, &revs, &own, &current, &changes);
        assert_eq!(out.apply, changes);
        assert!(out.conflicts.is_empty());
        // someone else's write at 12 is a conflict
        let out = merge_fields(7, &revs, &BTreeSet::from([11]), &current, &changes);
        assert_eq!(out.conflicts.len(), 1);
    }
}
