//! Cross-node invariants, checked by the world after every step when the release switch is on
//! (`RunOptions::check_invariants`). Each node checks its own invariants where its state changes;
//! these compare nodes, so only the world, which sees them all, can check them. The world reads
//! the nodes through their accessors. A debug build does not run them after every step unless
//! the switch is on: they cost more than the rest of a debug run.

use super::World;
use crate::broker::Broker;
use crate::sim::NodeId;

impl World<'_> {
    /// Invariants 24 to 26 and 35 (see `docs/architecture.md`, section "Invariants").
    pub(super) fn check_invariants(&self) {
        let n = &self.nodes;
        // A broker that is down has no in-memory state: only live ones believe anything.
        let live: Vec<&Broker> = n.brokers.iter().filter(|b| n.life(NodeId::Broker(b.id)).down.is_none()).collect();
        for b in &live {
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
            let st = n.controller.partition(p);
            let controller = st.leader_epoch;
            for (i, b) in live.iter().enumerate() {
                let Some((epoch, leads)) = b.replica_epoch(p) else { continue };
                crate::invariant!(
                    25,
                    epoch <= controller,
                    "broker:{} holds leader epoch {epoch} of partition {p}, past the controller's {controller}",
                    b.id
                );
                if !leads {
                    continue;
                }
                // Vanlightly's ReplicationQuorumSuperset: the leader of the current epoch counts
                // at least every member of the controller's ISR when it advances the HW.
                let maximal = b.maximal_isr(p).unwrap_or_default();
                crate::invariant!(
                    35,
                    epoch != controller || st.isr.iter().all(|m| maximal.contains(m)),
                    "broker:{} leads partition {p} at epoch {epoch} with maximal ISR {maximal:?}, not a superset of the controller's {:?}",
                    b.id,
                    st.isr
                );
                let other = live[i + 1..].iter().find(|o| o.replica_epoch(p) == Some((epoch, true)));
                crate::invariant!(
                    24,
                    other.is_none(),
                    "broker:{} and broker:{} both lead partition {p} at leader epoch {epoch}",
                    b.id,
                    other.map_or(0, |o| o.id)
                );
            }
        }
    }
}
