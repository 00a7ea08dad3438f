//! The KRaft controller, modelled as one reliable state machine: broker registration and
//! fencing on missed heartbeats, leader election from the ISR (or any live replica when unclean
//! election is enabled), and ISR changes through AlterPartition.

use std::sync::Arc;

use super::{BrokerObs, IsrProposal, MetadataImage, Msg, PartitionState, Topology};
use crate::error::KafkaError;
use crate::sim::{Node, NodeId, Out};

/// Controller timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerTimer {
    /// Look for brokers whose session expired.
    SessionCheck,
}

/// Controller output buffer.
pub type ControllerOut = Out<Msg, ControllerTimer, BrokerObs>;

#[derive(Debug, Clone, Copy)]
struct Registration {
    epoch: u64,
    fenced: bool,
    last_heartbeat: u64,
}

/// The controller's state.
#[derive(Debug)]
pub struct Controller {
    topo: Arc<Topology>,
    brokers: Vec<Registration>,
    /// Per partition, shared with the published images: a change copies only its partition
    /// (`Arc::make_mut`), so publishing an image copies no partition state.
    parts: Vec<Arc<PartitionState>>,
    /// Per partition, its eligible leader replicas (KIP-966, 4.1+): ex-ISR members that left
    /// while the ISR was below min ISR, so hold everything below the frozen high watermark.
    elr: Vec<Vec<u32>>,
    /// Per partition, its last known leader (KIP-966's `lastKnownElr` with Kafka's default
    /// `useLastKnownLeaderInBalancedRecovery`): the leader when the ISR emptied.
    last_known_leader: Vec<Option<u32>>,
    version: u64,
    /// The first producer id of each broker's block (KIP-730).
    producer_id_blocks: Vec<i64>,
    next_epoch: u64,
}

/// The first producer id the controller hands to a transaction coordinator (2^40): the world
/// numbers non-transactional producers (and processors' blocks) below it.
const FIRST_COORDINATOR_PRODUCER_ID: i64 = 1 << 40;
/// How many producer ids one block holds (2^40: more than any run asks for).
const PRODUCER_ID_BLOCK: i64 = 1 << 40;

impl Controller {
    /// A controller whose brokers are all registered and every partition led by its first replica.
    pub fn new(topo: Arc<Topology>) -> Self {
        let brokers =
            (1..=topo.brokers).map(|b| Registration { epoch: b as u64, fenced: false, last_heartbeat: 0 }).collect();
        let parts: Vec<Arc<PartitionState>> = topo
            .partitions
            .iter()
            .map(|p| {
                Arc::new(PartitionState {
                    leader: Some(p.replicas[0]),
                    leader_epoch: 0,
                    partition_epoch: 0,
                    isr: p.replicas.clone(),
                })
            })
            .collect();
        // KRaft's controller hands each broker a block of producer ids for its transaction
        // coordinator (`ProducerIdControlManager`, KIP-730), in the order brokers ask: at start,
        // broker order. A block here is large enough for any run, so a broker never asks again
        // (Kafka's blocks hold 1000 ids and brokers ask for the next one as they run out).
        let mut next_block = FIRST_COORDINATOR_PRODUCER_ID;
        let producer_id_blocks = (1..=topo.brokers)
            .map(|_| {
                let block = next_block;
                next_block += PRODUCER_ID_BLOCK;
                block
            })
            .collect();
        let elr = vec![Vec::new(); parts.len()];
        let last_known_leader = vec![None; parts.len()];
        Controller {
            next_epoch: topo.brokers as u64 + 1,
            topo,
            brokers,
            parts,
            elr,
            last_known_leader,
            version: 1,
            producer_id_blocks,
        }
    }

    /// The first producer id of broker `b`'s block.
    pub fn producer_id_block(&self, b: u32) -> i64 {
        self.producer_id_blocks[b as usize - 1]
    }

    /// The current metadata image.
    pub fn image(&self) -> MetadataImage {
        let fenced = (1..=self.topo.brokers).filter(|&b| self.brokers[b as usize - 1].fenced).collect();
        MetadataImage { version: self.version, partitions: Arc::new(self.parts.clone()), fenced: Arc::new(fenced) }
    }

    /// Current state of partition `p`.
    pub fn partition(&self, p: u32) -> &PartitionState {
        &self.parts[p as usize]
    }

    /// The replicas of partition `p` a clean election could pick once they are back: its ISR,
    /// its eligible leader replicas and its last known leader.
    pub fn electable(&self, p: u32) -> Vec<u32> {
        let mut v = self.parts[p as usize].isr.clone();
        v.extend(&self.elr[p as usize]);
        v.extend(self.last_known_leader[p as usize]);
        v
    }

    /// Broker epoch the controller knows for broker `b`.
    pub fn broker_epoch(&self, b: u32) -> u64 {
        self.brokers[b as usize - 1].epoch
    }

    /// Arm the periodic session check.
    pub fn start(&mut self, out: &mut ControllerOut) {
        out.timer(self.check_interval(), ControllerTimer::SessionCheck);
    }

    /// How long a broker may stay silent before the controller takes it for dead: its KRaft
    /// session (`broker.session.timeout.ms`) or, in ZooKeeper mode, its ZooKeeper session
    /// (`zookeeper.session.timeout.ms`: the controller learns of the expiry through its watch on
    /// `/brokers/ids`).
    fn session_timeout(&self) -> u64 {
        match self.topo.metadata {
            crate::record::MetadataMode::KRaft => self.topo.config.broker_session_timeout_ms,
            crate::record::MetadataMode::ZooKeeper => self.topo.config.zookeeper_session_timeout_ms,
        }
    }

    fn check_interval(&self) -> u64 {
        (self.topo.config.broker_heartbeat_interval_ms / 2).max(1)
    }

    fn alter_partition(&mut self, leader: u32, x: &IsrProposal) -> Result<PartitionState, KafkaError> {
        let IsrProposal { partition: p, leader_epoch, partition_epoch, ref isr, broker_epochs: ref epochs } = *x;
        let st = &self.parts[p as usize];
        if st.leader != Some(leader) || st.leader_epoch != leader_epoch {
            return Err(KafkaError::FencedLeaderEpoch);
        }
        if st.partition_epoch != partition_epoch {
            return Err(KafkaError::InvalidUpdateVersion);
        }
        for (&r, &e) in isr.iter().zip(epochs) {
            let reg = &self.brokers[r as usize - 1];
            if !st.isr.contains(&r) && (reg.fenced || reg.epoch != e) {
                return Err(KafkaError::IneligibleReplica);
            }
        }
        let st = Arc::make_mut(&mut self.parts[p as usize]);
        let before = std::mem::replace(&mut st.isr, isr.to_vec());
        st.partition_epoch += 1;
        crate::invariant!(
            11,
            st.partition_epoch == partition_epoch + 1,
            "partition {p}: an ISR change took the partition epoch from {partition_epoch} to {}",
            st.partition_epoch
        );
        self.track_elr(p as usize, &before, None);
        self.check_isr(p as usize);
        Ok(PartitionState::clone(&self.parts[p as usize]))
    }

    /// Whether the controller keeps eligible leader replicas (KIP-966 as 4.1 enables it).
    fn elr_enabled(&self) -> bool {
        self.topo.version.eligible_leader_replicas()
    }

    /// KIP-966's ELR bookkeeping after partition `p`'s ISR changed from `before`
    /// (`PartitionChangeBuilder.maybePopulateTargetElr`): with the ISR at min ISR or above the
    /// ELR is empty; below it, members that left the ISR join the ELR, except a broker that
    /// registered after an unclean shutdown (`unclean`).
    fn track_elr(&mut self, p: usize, before: &[u32], unclean: Option<u32>) {
        if !self.elr_enabled() {
            return;
        }
        let isr = &self.parts[p].isr;
        if isr.is_empty() && !before.is_empty() && self.last_known_leader[p].is_none() {
            // `maybeUpdateLastKnownLeader`: the first time the partition goes leaderless.
            self.last_known_leader[p] = self.parts[p].leader;
        }
        let elr = &mut self.elr[p];
        if isr.len() >= self.topo.partitions[p].min_isr {
            elr.clear();
            return;
        }
        for &r in before {
            if !elr.contains(&r) {
                elr.push(r);
            }
        }
        elr.retain(|r| !isr.contains(r) && Some(*r) != unclean);
    }

    /// Invariant 10 for partition `p`: its ISR is a set of its replicas holding its leader (if it
    /// has one), and not empty unless eligible leader replicas are kept (KIP-966 lets the ISR
    /// empty then).
    fn check_isr(&self, p: usize) {
        let (st, replicas) = (&self.parts[p], &self.topo.partitions[p].replicas);
        crate::invariant!(
            10,
            (!st.isr.is_empty() || self.elr_enabled())
                && st.isr.iter().all(|r| replicas.contains(r))
                && st.isr.iter().enumerate().all(|(i, r)| !st.isr[..i].contains(r))
                && st.leader.is_none_or(|l| st.isr.contains(&l)),
            "partition {p}: ISR {:?}, leader {:?}, replicas {replicas:?}",
            st.isr,
            st.leader
        );
    }

    /// Fence broker `b`: move leadership away and drop it from every ISR it is not the last of
    /// (with eligible leader replicas, from every ISR: the ISR may empty, its last member joins
    /// the ELR).
    fn fence(&mut self, b: u32, out: &mut ControllerOut) {
        self.brokers[b as usize - 1].fenced = true;
        let elr = self.elr_enabled();
        for p in 0..self.parts.len() {
            let st = &self.parts[p];
            let was_leader = st.leader == Some(b);
            let in_isr = st.isr.contains(&b);
            if !was_leader && !in_isr {
                continue;
            }
            let st = Arc::make_mut(&mut self.parts[p]);
            if in_isr && (st.isr.len() > 1 || elr) {
                let before = st.isr.clone();
                st.isr.retain(|&r| r != b);
                self.track_elr(p, &before, None);
            }
            let st = Arc::make_mut(&mut self.parts[p]);
            let before = st.partition_epoch;
            st.partition_epoch += 1;
            if was_leader {
                self.elect(p, out);
            }
            let st = &self.parts[p];
            crate::invariant!(
                11,
                st.partition_epoch > before && st.leader != Some(b),
                "partition {p}: fencing broker:{b} left partition epoch {} (was {before}), leader {:?}",
                st.partition_epoch,
                st.leader
            );
            self.check_isr(p);
        }
    }

    /// Broker `b` registered after an unclean shutdown: out of every ISR and ELR.
    fn forget_unclean(&mut self, b: u32) {
        for p in 0..self.parts.len() {
            let in_elr = self.elr[p].contains(&b);
            if !self.parts[p].isr.contains(&b) && !in_elr {
                continue;
            }
            let st = Arc::make_mut(&mut self.parts[p]);
            let before = st.isr.clone();
            st.isr.retain(|&r| r != b);
            st.partition_epoch += 1;
            // `track_elr` takes `b` out of the ELR as the unclean replica; `b` leads nothing:
            // its old incarnation was fenced (and its partitions re-elected) before it registered.
            self.track_elr(p, &before, Some(b));
            self.check_isr(p);
        }
    }

    /// Elect leaders for offline partitions (after a broker comes back).
    fn elect_offline(&mut self, out: &mut ControllerOut) {
        for p in 0..self.parts.len() {
            if self.parts[p].leader.is_none() {
                self.elect(p, out);
            }
        }
    }

    /// Choose a leader for partition `p` (`PartitionChangeBuilder.electAnyLeader`): the first
    /// replica in assignment order that is in the ISR and unfenced, or, the ISR being empty, in
    /// the ELR and unfenced (it becomes the whole ISR); failing that, with unclean election, the
    /// first unfenced replica (the ELR is then cleared).
    fn elect(&mut self, p: usize, out: &mut ControllerOut) {
        let info = &self.topo.partitions[p];
        let alive = |r: u32| !self.brokers[r as usize - 1].fenced;
        let st = &self.parts[p];
        let elr = &self.elr[p];
        let valid = |r: u32| (st.isr.contains(&r) || (st.isr.is_empty() && elr.contains(&r))) && alive(r);
        let clean = info.replicas.iter().copied().find(|&r| valid(r));
        // With ISR and ELR both empty, the last known leader if it is back (KIP-966: what Kafka
        // did before 4.0 when every replica was offline); Kafka calls it an unclean election.
        let last_known = self.last_known_leader[p].filter(|&l| st.isr.is_empty() && elr.is_empty() && alive(l));
        let (leader, unclean) = match (clean, last_known) {
            (Some(l), _) => (Some(l), false),
            (None, Some(l)) => (Some(l), true),
            (None, None) if info.unclean => (info.replicas.iter().copied().find(|&r| alive(r)), true),
            (None, None) => (None, false),
        };
        let st = Arc::make_mut(&mut self.parts[p]);
        let (previous, epoch_before) = (st.leader, st.leader_epoch);
        st.leader = leader;
        if leader.is_some() {
            self.last_known_leader[p] = None;
        }
        match (leader, unclean) {
            (Some(l), true) => {
                st.isr = vec![l];
                self.elr[p].clear();
            }
            (Some(l), false) if st.isr.is_empty() => {
                st.isr = vec![l];
                self.elr[p].retain(|&r| r != l);
            }
            _ => {}
        }
        if leader.is_some() || previous.is_some() {
            st.leader_epoch += 1;
            st.partition_epoch += 1;
            crate::invariant!(
                9,
                st.leader_epoch == epoch_before + 1,
                "partition {p}: an election took the leader epoch from {epoch_before} to {}",
                st.leader_epoch
            );
            out.observe(BrokerObs::LeaderChange {
                partition: p as u32,
                state: st.clone(),
                unclean: unclean && leader.is_some(),
            });
        }
        self.check_isr(p);
    }

    fn publish(&mut self, out: &mut ControllerOut) {
        self.version += 1;
        crate::invariant!(13, self.version > 1, "the controller published metadata version {}", self.version);
        let image = self.image();
        for b in 1..=self.topo.brokers {
            out.send(NodeId::Broker(b), Msg::MetadataUpdate(image.clone()));
        }
    }
}

impl Node<Msg> for Controller {
    type Timer = ControllerTimer;
    type Obs = BrokerObs;

    /// Handle a message from broker `from`.
    fn on_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut ControllerOut) {
        let NodeId::Broker(b) = from else { return };
        match msg {
            Msg::Register => {
                let old = self.brokers[b as usize - 1];
                if !old.fenced {
                    if now.saturating_sub(old.last_heartbeat) <= self.session_timeout() {
                        // Kafka's ClusterControlManager.registerBroker: a new incarnation is
                        // refused while the old one's session is alive; the broker retries until
                        // the session expires and the controller fences the old incarnation.
                        out.send(from, Msg::RegisterRejected(KafkaError::DuplicateBrokerRegistration));
                        return;
                    }
                    // The session expired but the periodic check has not fenced it yet.
                    self.fence(b, out);
                }
                let epoch = self.next_epoch;
                self.next_epoch += 1;
                crate::invariant!(
                    12,
                    epoch > old.epoch,
                    "broker:{b} registered with epoch {epoch} after {}",
                    old.epoch
                );
                self.brokers[b as usize - 1] = Registration { epoch, fenced: false, last_heartbeat: now };
                if self.elr_enabled() {
                    // Every restart in the model follows a crash: an unclean shutdown, which
                    // takes the broker out of every ISR and ELR
                    // (`ReplicationControlManager.handleBrokerUncleanShutdown`).
                    self.forget_unclean(b);
                }
                self.elect_offline(out);
                self.publish(out);
                out.send(from, Msg::Registered { broker_epoch: epoch, image: self.image() });
            }
            Msg::Heartbeat { broker_epoch, metadata_version } => {
                let r = &mut self.brokers[b as usize - 1];
                if r.epoch != broker_epoch {
                    out.send(from, Msg::HeartbeatResponse { image: None, stale: true });
                    return;
                }
                r.last_heartbeat = now;
                if r.fenced {
                    r.fenced = false;
                    self.elect_offline(out);
                    self.publish(out);
                }
                let image = (metadata_version < self.version).then(|| self.image());
                out.send(from, Msg::HeartbeatResponse { image, stale: false });
            }
            Msg::AlterPartition { proposals } => {
                // `QuorumController.alterPartition`: one request's accepted changes are one batch
                // of metadata records, which the brokers see as one metadata update.
                let results: Vec<_> = proposals.iter().map(|x| (x.partition, self.alter_partition(b, x))).collect();
                if results.iter().any(|(_, r)| r.is_ok()) {
                    self.publish(out);
                }
                out.send(from, Msg::AlterPartitionResponse { results });
            }
            _ => {}
        }
    }

    /// Handle a timer.
    fn on_timer(&mut self, now: u64, t: ControllerTimer, out: &mut ControllerOut) {
        match t {
            ControllerTimer::SessionCheck => {
                let timeout = self.session_timeout();
                let expired: Vec<u32> = (1..=self.topo.brokers)
                    .filter(|&b| {
                        let r = &self.brokers[b as usize - 1];
                        !r.fenced && now.saturating_sub(r.last_heartbeat) > timeout
                    })
                    .collect();
                if !expired.is_empty() {
                    for b in expired {
                        self.fence(b, out);
                    }
                    self.publish(out);
                }
                out.timer(self.check_interval(), ControllerTimer::SessionCheck);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::KafkaVersion;
    use crate::scenario::{Scenario, TopicSpec};

    fn controller(unclean: bool) -> Controller {
        // 4.0: without eligible leader replicas (the 4.1 tests below turn them on).
        let mut s =
            Scenario { cluster: crate::scenario::ClusterSpec::for_version(KafkaVersion::V4_0), ..Scenario::default() };
        let mut t = TopicSpec::new("t", 1, 3);
        t.unclean_leader_election_enable = Some(unclean);
        s.topics.push(t);
        Controller::new(Topology::new(&s))
    }

    fn fence_by_timeout(c: &mut Controller, now: u64, alive: &[u32]) -> ControllerOut {
        let mut out = ControllerOut::default();
        for &b in alive {
            let e = c.broker_epoch(b);
            c.on_message(now, NodeId::Broker(b), Msg::Heartbeat { broker_epoch: e, metadata_version: 0 }, &mut out);
        }
        c.on_timer(now + 1, ControllerTimer::SessionCheck, &mut out);
        out
    }

    #[test]
    fn a_fenced_leader_is_replaced_by_the_first_isr_replica_in_assignment_order() {
        let mut c = controller(false);
        assert_eq!(c.partition(0).leader, Some(1));
        fence_by_timeout(&mut c, 10_000, &[2, 3]);
        let st = c.partition(0);
        assert_eq!((st.leader, st.leader_epoch, st.isr.clone()), (Some(2), 1, vec![2, 3]));
    }

    fn controller_4_1() -> Controller {
        let mut s = Scenario::default();
        let mut t = TopicSpec::new("t", 1, 3);
        t.min_insync_replicas = Some(2);
        s.topics.push(t);
        Controller::new(Topology::new(&s))
    }

    #[test]
    fn with_eligible_leader_replicas_a_fenced_replica_below_min_isr_stays_electable() {
        let mut c = controller_4_1();
        fence_by_timeout(&mut c, 10_000, &[1, 2]); // 3 fenced: ISR {1, 2}, at min ISR: no ELR
        assert!(c.elr[0].is_empty());
        fence_by_timeout(&mut c, 30_000, &[1]); // 2 fenced: ISR {1} below min ISR, ELR {2}
        assert_eq!((c.partition(0).isr.clone(), c.elr[0].clone()), (vec![1], vec![2]));
        fence_by_timeout(&mut c, 50_000, &[]); // 1 fenced: the ISR empties
        assert_eq!((c.partition(0).leader, c.partition(0).isr.clone()), (None, vec![]));
        assert_eq!(c.elr[0], vec![2, 1]);
        // Broker 2 heartbeats again (it was cut off, not restarted): elected from the ELR.
        let mut out = ControllerOut::default();
        let e = c.broker_epoch(2);
        c.on_message(60_000, NodeId::Broker(2), Msg::Heartbeat { broker_epoch: e, metadata_version: 0 }, &mut out);
        assert_eq!((c.partition(0).leader, c.partition(0).isr.clone()), (Some(2), vec![2]));
        assert_eq!(c.elr[0], vec![1]);
    }

    #[test]
    fn with_eligible_leader_replicas_a_restart_is_an_unclean_shutdown_that_leaves_the_elr() {
        let mut c = controller_4_1();
        fence_by_timeout(&mut c, 10_000, &[1]); // 2, then 3 fenced: ISR {1}, ELR {3}
        fence_by_timeout(&mut c, 30_000, &[]); // 1 fenced: ISR {}, last known leader 1
        let mut out = ControllerOut::default();
        c.on_message(40_000, NodeId::Broker(2), Msg::Register, &mut out);
        c.on_message(40_000, NodeId::Broker(3), Msg::Register, &mut out);
        assert_eq!(c.partition(0).leader, None, "a restarted replica is no longer eligible");
        assert_eq!(c.elr[0], vec![1]);
        // With ISR and ELR empty the last known leader is elected when it is back.
        c.on_message(40_000, NodeId::Broker(1), Msg::Register, &mut out);
        assert_eq!((c.partition(0).leader, c.partition(0).isr.clone()), (Some(1), vec![1]));
    }

    #[test]
    fn the_last_isr_member_stays_in_the_isr_and_the_partition_goes_offline() {
        let mut c = controller(false);
        fence_by_timeout(&mut c, 10_000, &[1]); // 2 and 3 fenced: ISR {1}
        fence_by_timeout(&mut c, 30_000, &[]); // 1 fenced too
        let st = c.partition(0);
        assert_eq!((st.leader, st.isr.clone()), (None, vec![1]));
        // Broker 2 returns: not in the ISR, so no clean election.
        let mut out = ControllerOut::default();
        c.on_message(40_000, NodeId::Broker(2), Msg::Register, &mut out);
        assert_eq!(c.partition(0).leader, None);
    }

    #[test]
    fn unclean_election_picks_a_live_replica_outside_the_isr_and_makes_it_the_whole_isr() {
        let mut c = controller(true);
        fence_by_timeout(&mut c, 10_000, &[1]);
        fence_by_timeout(&mut c, 30_000, &[]);
        let mut out = ControllerOut::default();
        c.on_message(40_000, NodeId::Broker(3), Msg::Register, &mut out);
        let st = c.partition(0);
        assert_eq!((st.leader, st.isr.clone()), (Some(3), vec![3]));
        assert!(out.obs.iter().any(|o| matches!(o, BrokerObs::LeaderChange { unclean: true, .. })));
    }

    #[test]
    fn alter_partition_with_a_stale_partition_epoch_is_rejected() {
        let mut c = controller(false);
        let mut out = ControllerOut::default();
        let proposal =
            IsrProposal { partition: 0, leader_epoch: 0, partition_epoch: 7, isr: vec![1], broker_epochs: vec![1] };
        c.on_message(0, NodeId::Broker(1), Msg::AlterPartition { proposals: vec![proposal] }, &mut out);
        assert!(matches!(
            out.sends.last(),
            Some((_, Msg::AlterPartitionResponse { results })) if results[..] == [(0, Err(KafkaError::InvalidUpdateVersion))]
        ));
    }
}
