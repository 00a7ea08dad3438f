//! Cross-node invariants, checked by the world after every step when the release switch is on
//! (`RunOptions::check_invariants`). Each node checks its own invariants where its state changes;
//! these compare nodes, so only the world, which sees them all, can check them. The world reads
//! the nodes through their accessors.

use super::World;
use crate::sim::NodeId;

impl World<'_> {
    /// Invariants 24 to 26 (see `docs/architecture.md`, section "Invariants").
    pub(super) fn check_invariants(&self) {
        let n = &self.nodes;
        let live = |b: &&crate::broker::Broker| n.life(NodeId::Broker(b.id)).down.is_none();
        for b in n.brokers.iter().filter(live) {
            // A broker's registration is the controller's latest one for it, or an older one it
            // has not learnt is stale yet.
            let known = n.controller.broker_epoch(b.id);
            crate::invariant!(
                26,
                b.broker_epoch <= known,
                "broker:{} holds broker epoch {} but the controller's latest is {known}",
                b.id,
                b.broker_epoch
            );
        }
        for p in 0..n.topo.partitions.len() as u32 {
            let controller = n.controller.partition(p).leader_epoch;
            let mut leaders: Vec<(u32, u32)> = Vec::new();
            for b in n.brokers.iter().filter(live) {
                let Some((epoch, leads)) = b.replica_epoch(p) else { continue };
                crate::invariant!(
                    25,
                    epoch <= controller,
                    "broker:{} holds leader epoch {epoch} of partition {p}, past the controller's {controller}",
                    b.id
                );
                if leads {
                    let other = leaders.iter().find(|l| l.1 == epoch).map_or(0, |l| l.0);
                    crate::invariant!(
                        24,
                        other == 0,
                        "broker:{other} and broker:{} both lead partition {p} at leader epoch {epoch}",
                        b.id
                    );
                    leaders.push((b.id, epoch));
                }
            }
        }
    }
}
