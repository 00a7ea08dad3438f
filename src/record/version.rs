//! Kafka releases the model reproduces, and the one switch per behaviour that changed between
//! them (design rule 7: version profiles, not forks). A broker or client asks its release a
//! question (`v.leader_epochs()`, `v.txn_verification()`) instead of comparing numbers, so each
//! rule names its KIP or JIRA once, here, and docs/kafka-versions.md lists the same rows.

use std::fmt;

/// A Kafka release, `major.minor` (patch releases do not change the modelled behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KafkaVersion {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

/// How the cluster keeps its metadata: a ZooKeeper ensemble with one broker as controller, or
/// KRaft's controller quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetadataMode {
    /// ZooKeeper mode (every release before 4.0): brokers hold ZooKeeper sessions, the
    /// controller learns of a dead broker when its session expires.
    ZooKeeper,
    /// KRaft (production-ready from 3.3, KIP-833; the only mode from 4.0): brokers heartbeat to
    /// the controller, which fences a broker that misses `broker.session.timeout.ms`.
    KRaft,
}

impl MetadataMode {
    /// The value as a scenario file spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            MetadataMode::ZooKeeper => "zookeeper",
            MetadataMode::KRaft => "kraft",
        }
    }
}

const fn v(major: u8, minor: u8) -> KafkaVersion {
    KafkaVersion { major, minor }
}

impl KafkaVersion {
    /// 0.10: the release before idempotence, transactions and leader epochs.
    pub const V0_10: KafkaVersion = v(0, 10);
    /// 0.11: KIP-98 (idempotence, transactions) and KIP-101 (leader epochs).
    pub const V0_11: KafkaVersion = v(0, 11);
    /// 2.0: KIP-279.
    pub const V2_0: KafkaVersion = v(2, 0);
    /// 2.8: the last release of the 2.x line.
    pub const V2_8: KafkaVersion = v(2, 8);
    /// 3.5: the last release before KIP-890 part 1.
    pub const V3_5: KafkaVersion = v(3, 5);
    /// 3.6: KIP-890 part 1.
    pub const V3_6: KafkaVersion = v(3, 6);
    /// 4.0: KRaft only, transactions V2.
    pub const V4_0: KafkaVersion = v(4, 0);
    /// 4.1: eligible leader replicas on by default.
    pub const V4_1: KafkaVersion = v(4, 1);
    /// The newest modelled release: the default profile.
    pub const NEWEST: KafkaVersion = KafkaVersion::V4_1;

    /// Every release a scenario may name, oldest first.
    pub const ALL: [KafkaVersion; 25] = [
        v(0, 10),
        v(0, 11),
        v(1, 0),
        v(1, 1),
        v(2, 0),
        v(2, 1),
        v(2, 2),
        v(2, 3),
        v(2, 4),
        v(2, 5),
        v(2, 6),
        v(2, 7),
        v(2, 8),
        v(3, 0),
        v(3, 1),
        v(3, 2),
        v(3, 3),
        v(3, 4),
        v(3, 5),
        v(3, 6),
        v(3, 7),
        v(3, 8),
        v(3, 9),
        v(4, 0),
        v(4, 1),
    ];

    /// Reads `"3.5"` or `"3.5.1"` (the patch is accepted and ignored); `Err` names the
    /// releases it knows.
    pub fn parse(s: &str) -> Result<KafkaVersion, String> {
        let mut parts = s.trim().split('.');
        let num = |p: Option<&str>| p.and_then(|p| p.parse::<u8>().ok());
        let found = match (num(parts.next()), num(parts.next())) {
            (Some(major), Some(minor)) => {
                let patch_ok = match parts.next() {
                    None => true,
                    Some(p) => p.parse::<u16>().is_ok() && parts.next().is_none(),
                };
                let ver = v(major, minor);
                (patch_ok && KafkaVersion::ALL.contains(&ver)).then_some(ver)
            }
            _ => None,
        };
        found.ok_or_else(|| {
            format!(
                "`kafka_version` must be a modelled Kafka release ({}), found {s:?}",
                KafkaVersion::ALL.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")
            )
        })
    }

    /// The metadata mode a cluster of this release runs unless the file says otherwise:
    /// ZooKeeper before 3.3 (KRaft was early access in 2.8-3.2), KRaft from 3.3 (KIP-833).
    pub fn default_metadata(self) -> MetadataMode {
        if self >= v(3, 3) {
            MetadataMode::KRaft
        } else {
            MetadataMode::ZooKeeper
        }
    }

    /// Whether the release can run with `mode`: ZooKeeper was removed in 4.0 (KIP-833), KRaft
    /// arrived in 2.8 (KIP-500, early access).
    pub fn supports(self, mode: MetadataMode) -> bool {
        match mode {
            MetadataMode::ZooKeeper => self < KafkaVersion::V4_0,
            MetadataMode::KRaft => self >= KafkaVersion::V2_8,
        }
    }

    /// KIP-101 (0.11): batches carry the leader epoch, and a follower truncates to the leader's
    /// end offset of its epoch instead of to its own (possibly stale) high watermark.
    pub fn leader_epochs(self) -> bool {
        self >= KafkaVersion::V0_11
    }

    /// KIP-279 (2.0, KAFKA-6361): the leader answers a follower with the largest epoch it has at
    /// or below the follower's and that epoch's end; the follower truncates to the common point of
    /// both histories. Before it the leader answered only an end offset for the follower's epoch,
    /// and fast successive leader changes could leave replicas diverged.
    pub fn kip279(self) -> bool {
        self >= KafkaVersion::V2_0
    }

    /// KIP-98 (0.11): the idempotent producer and transactions exist.
    pub fn idempotence(self) -> bool {
        self >= KafkaVersion::V0_11
    }

    /// KIP-320 consumer side (KAFKA-7747, 2.3; OffsetsForLeaderEpoch v3 carries the consumer's
    /// replica id -2): after a leader change a consumer validates its position and detects
    /// truncation below it.
    pub fn consumer_validates_position(self) -> bool {
        self >= v(2, 3)
    }

    /// KIP-345 (2.3): static membership, the consumer's `group.instance.id`.
    pub fn static_membership(self) -> bool {
        self >= v(2, 3)
    }

    /// KIP-429 (2.4): incremental cooperative rebalancing, the consumer's
    /// `CooperativeStickyAssignor` (`partition.assignment.strategy = "cooperative-sticky"`).
    pub fn cooperative_rebalancing(self) -> bool {
        self >= v(2, 4)
    }

    /// KIP-848 (4.0, GA): the consumer group protocol (`group.protocol = "consumer"`): the group
    /// coordinator assigns partitions from ConsumerGroupHeartbeat, with member epochs and
    /// incremental reconciliation instead of JoinGroup/SyncGroup rebalances.
    pub fn consumer_group_protocol(self) -> bool {
        self >= KafkaVersion::V4_0
    }

    /// KIP-360 (2.5): an idempotent producer that lost track of a partition's sequence (a
    /// batch expired, UNKNOWN_PRODUCER_ID) bumps its epoch and carries on; before, the error
    /// was fatal for transactional producers and reset the idempotent producer's id.
    pub fn kip360(self) -> bool {
        self >= v(2, 5)
    }

    /// KIP-854 (3.4): a partition's producer state expires after `producer.id.expiration.ms`
    /// (default one day), checked every `producer.id.expiration.check.interval.ms`; before, it
    /// expired after `transactional.id.expiration.ms`, checked every ten minutes
    /// (`LogManager.ProducerIdExpirationCheckIntervalMs`).
    pub fn producer_id_expiration_config(self) -> bool {
        self >= v(3, 4)
    }

    /// KIP-91 (2.1): `delivery.timeout.ms` bounds a send, and `retries` defaults to
    /// `Integer.MAX_VALUE`; before, `retries` defaulted to 0.
    pub fn delivery_timeout(self) -> bool {
        self >= v(2, 1)
    }

    /// KIP-890 part 1 (3.6, `transaction.partition.verification.enable`): a partition leader asks
    /// the transaction coordinator whether the partition is in the producer's ongoing transaction
    /// before appending the first transactional batch of it.
    pub fn txn_verification(self) -> bool {
        self >= KafkaVersion::V3_6
    }

    /// KIP-890 part 1 for offsets (KAFKA-15449, 3.7): the group coordinator verifies a
    /// TxnOffsetCommit's transaction with the transaction coordinator the same way before
    /// writing the producer's first transactional offsets to its `__consumer_offsets` partition.
    pub fn txn_offset_commit_verification(self) -> bool {
        self >= v(3, 7)
    }

    /// KIP-890's TRANSACTION_ABORTABLE error (KAFKA-16314, 3.8): the coordinator answers a
    /// verification of a partition outside the transaction with it, and clients abort; before, the
    /// answer was INVALID_TXN_STATE.
    pub fn transaction_abortable_error(self) -> bool {
        self >= v(3, 8)
    }

    /// KIP-890 part 2 (4.0, `transaction.version=2`): every EndTxn bumps the producer epoch and
    /// returns it; the client adds partitions implicitly with its produce request.
    pub fn txn_v2(self) -> bool {
        self >= KafkaVersion::V4_0
    }

    /// KAFKA-15583 (3.7, part of KIP-966): the leader does not advance the high watermark while
    /// the ISR is smaller than `min.insync.replicas`.
    pub fn strict_min_isr(self) -> bool {
        self >= v(3, 7)
    }

    /// KIP-966 part 1 as shipped enabled on new clusters in 4.1: the controller keeps eligible
    /// leader replicas (ex-ISR members that were in the ISR while it was at least min ISR) and
    /// elects one of them when the ISR is empty, before any unclean election.
    pub fn eligible_leader_replicas(self) -> bool {
        self >= KafkaVersion::V4_1
    }

    /// Kafka Streams `exactly_once` (one transactional producer per task, KIP-98/129): removed
    /// in 4.0 (deprecated in 3.0, KIP-732).
    pub fn streams_eos_v1(self) -> bool {
        self >= KafkaVersion::V0_11 && self < KafkaVersion::V4_0
    }

    /// Kafka Streams `exactly_once_beta` (KIP-447, 2.6; renamed `exactly_once_v2` in 3.0).
    pub fn streams_eos_v2(self) -> bool {
        self >= v(2, 6)
    }

    /// The spelling of the KIP-447 guarantee in this release: `exactly_once_beta` in 2.6-2.8,
    /// `exactly_once_v2` from 3.0 (KIP-732; 3.x still accepts the old name, deprecated).
    pub fn eos_v2_name(self) -> &'static str {
        if self >= v(3, 0) {
            "exactly_once_v2"
        } else {
            "exactly_once_beta"
        }
    }

    /// Producer defaults `acks=all` and `enable.idempotence=true` (KIP-679, 3.0); before,
    /// `acks=1` and idempotence off.
    pub fn strong_producer_defaults(self) -> bool {
        self >= v(3, 0)
    }

    /// `unclean.leader.election.enable` default: true before 0.11 (KAFKA-5206 flipped it).
    pub fn unclean_default(self) -> bool {
        self < KafkaVersion::V0_11
    }

    /// `replica.lag.time.max.ms` default: 10000 before 2.5, 30000 from 2.5 (KIP-537).
    pub fn replica_lag_time_max_ms_default(self) -> u64 {
        if self >= v(2, 5) {
            30_000
        } else {
            10_000
        }
    }

    /// `zookeeper.session.timeout.ms` default: 6000 before 2.5, 18000 from 2.5 (KIP-537).
    pub fn zookeeper_session_timeout_ms_default(self) -> u64 {
        if self >= v(2, 5) {
            18_000
        } else {
            6_000
        }
    }

    /// Consumer `session.timeout.ms` default: 10000 before 3.0, 45000 from 3.0 (KIP-735).
    pub fn consumer_session_timeout_ms_default(self) -> u64 {
        if self >= v(3, 0) {
            45_000
        } else {
            10_000
        }
    }

    /// Producer `linger.ms` default: 0 before 4.0, 5 from 4.0 (KIP-1030).
    pub fn linger_ms_default(self) -> u64 {
        if self >= KafkaVersion::V4_0 {
            5
        } else {
            0
        }
    }
}

impl Default for KafkaVersion {
    fn default() -> Self {
        KafkaVersion::NEWEST
    }
}

impl fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_reads_with_or_without_its_patch_number() {
        assert_eq!(KafkaVersion::parse("3.5"), Ok(KafkaVersion::V3_5));
        assert_eq!(KafkaVersion::parse("3.5.1"), Ok(KafkaVersion::V3_5));
        assert_eq!(KafkaVersion::parse("0.10"), Ok(KafkaVersion::V0_10));
    }

    #[test]
    fn an_unmodelled_release_is_refused_with_the_list_of_modelled_ones() {
        for bad in ["5.0", "3", "3.x", "", "3.5.1.2", "0.9"] {
            let e = KafkaVersion::parse(bad).unwrap_err();
            assert!(e.contains("\"4.1\""), "{e}");
        }
    }

    #[test]
    fn releases_order_by_major_then_minor() {
        assert!(KafkaVersion::parse("2.10").is_err());
        assert!(KafkaVersion::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(KafkaVersion::ALL.last(), Some(&KafkaVersion::NEWEST));
    }

    #[test]
    fn zookeeper_ends_with_4_0_and_kraft_starts_with_2_8() {
        assert!(!KafkaVersion::V4_0.supports(MetadataMode::ZooKeeper));
        assert!(KafkaVersion::V3_5.supports(MetadataMode::ZooKeeper));
        assert!(!KafkaVersion::V0_11.supports(MetadataMode::KRaft));
        assert_eq!(KafkaVersion::V2_8.default_metadata(), MetadataMode::ZooKeeper);
    }
}
