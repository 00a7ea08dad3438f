//! `[nemesis]`.

use super::{Cx, Tab, R};
use crate::scenario::model::NemesisSpec;
use crate::scenario::spell::{ACTIONS, TARGET_CLASSES};

pub(super) const NEMESIS_KEYS: &[&str] =
    &["actions", "targets", "interval_ms", "start_ms", "stop_ms", "restart_after_ms", "duration_ms", "safe_power_loss"];

impl Cx<'_> {
    /// `[nemesis]`.
    pub(super) fn nemesis(&self, t: &Tab<'_>) -> R<NemesisSpec> {
        self.check_keys(t, NEMESIS_KEYS)?;
        self.note_table("nemesis", t);
        let mut n = NemesisSpec::default();
        for key in NEMESIS_KEYS {
            if let Some(f) = t.get(key) {
                self.note(&format!("nemesis.{key}"), f);
            }
        }
        if let Some(f) = t.get("actions") {
            n.actions = self.list(f, ACTIONS)?;
        }
        if let Some(f) = t.get("targets") {
            n.targets = self.list(f, TARGET_CLASSES)?;
            for (k, v) in f.item.as_array().into_iter().flat_map(|a| a.iter()).enumerate() {
                self.note_at(&format!("nemesis.targets[{k}]"), v.span().map_or(f.at, |s| s.start));
            }
        }
        if let Some(f) = t.get("interval_ms") {
            n.interval_ms = self.pair(f, 1)?;
        }
        if let Some(f) = t.get("start_ms") {
            n.start_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("stop_ms") {
            n.stop_ms = self.u64_min(f, 0)?;
        }
        if let Some(f) = t.get("restart_after_ms") {
            n.restart_after_ms = self.pair(f, 0)?;
        }
        if let Some(f) = t.get("duration_ms") {
            n.duration_ms = self.pair(f, 1)?;
        }
        if let Some(f) = t.get("safe_power_loss") {
            n.safe_power_loss = self.bool(f)?;
        }
        Ok(n)
    }
}
