//! `[network]`.

use super::{Cx, Tab, R};
use crate::scenario::model::NetworkSpec;

pub(super) const NETWORK_KEYS: &[&str] = &["latency_ms"];

impl Cx<'_> {
    /// `[network]`.
    pub(super) fn network(&self, root: &Tab<'_>) -> R<NetworkSpec> {
        let mut network = NetworkSpec::default();
        if let Some(f) = root.get("network") {
            let t = self.table(f, "[network]")?;
            self.check_keys(&t, NETWORK_KEYS)?;
            self.note_table("network", &t);
            if let Some(f) = t.get("latency_ms") {
                self.note("network.latency_ms", f);
                network.latency_ms = self.pair(f, 0)?;
            }
        }
        Ok(network)
    }
}
