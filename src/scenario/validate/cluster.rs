//! `[cluster]`, `[network]` and `[[topic]]`: broker counts, broker config rules, topics.

use super::{config_ranges, key_path, range, Problem};
use crate::scenario::keys::{self, BROKER, TOPIC};
use crate::scenario::model::{AssignmentStrategy, GroupProtocol, MetadataMode, ProcessingGuarantee, Scenario};
use crate::scenario::spell::{legal_topic_name, REPLICA_SOCKET_TIMEOUT_MS};

/// Most brokers a cluster may have.
pub(crate) const MAX_BROKERS: i64 = 64;
/// Most partitions a topic may have.
pub(crate) const MAX_PARTITIONS: i64 = 1000;

pub(super) fn check(s: &Scenario, out: &mut Vec<Problem>) {
    range(out, || "duration_ms".into(), "duration_ms", s.duration_ms, (1, i64::MAX));
    range(out, || "cluster.brokers".into(), "brokers", s.cluster.brokers.into(), (1, MAX_BROKERS));
    version(s, out);
    broker_config(s, out);
    let (a, b) = s.network.latency_ms;
    if a > b {
        out.push(Problem::new(
            "network.latency_ms",
            format!("`latency_ms` = [{a}, {b}]: the minimum {a} is above the maximum {b}"),
        ));
    }
    topics(s, out);
}

/// What `kafka_version` rules out: a metadata mode the release did not have, and clients using
/// what it did not ship (idempotence and transactions before 0.11, KIP-98).
fn version(s: &Scenario, out: &mut Vec<Problem>) {
    let v = s.cluster.kafka_version;
    if !v.supports(s.cluster.metadata) {
        let why = match s.cluster.metadata {
            MetadataMode::ZooKeeper => "ZooKeeper mode was removed in 4.0 (KIP-833)",
            MetadataMode::KRaft => "KRaft arrived in 2.8 (KIP-500)",
        };
        out.push(Problem::new(
            "cluster.metadata",
            format!("`metadata` = \"{}\" is not available in Kafka {v}: {why}", s.cluster.metadata.as_str()),
        ));
    }
    for (i, p) in s.processors.iter().enumerate() {
        if p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnceV2 && !v.streams_eos_v2() {
            out.push(Problem::new(
                key_path(&format!("processor[{i}].config"), keys::PROCESSING_GUARANTEE.name),
                format!("`exactly_once_v2` (first `exactly_once_beta`, KIP-447) arrived in Kafka Streams 2.6; `kafka_version` is {v}"),
            ));
        }
        if p.config.processing_guarantee == ProcessingGuarantee::ExactlyOnce && !v.streams_eos_v1() {
            let why = if v.idempotence() {
                "it was removed in Kafka Streams 4.0 (KIP-732); use `exactly_once_v2`"
            } else {
                "it arrived with transactions in Kafka Streams 0.11 (KIP-98, KIP-129)"
            };
            out.push(Problem::new(
                key_path(&format!("processor[{i}].config"), keys::PROCESSING_GUARANTEE.name),
                format!("`exactly_once` (one producer per task) is not available in Kafka {v}: {why}"),
            ));
        }
    }
    for (i, c) in s.consumers.iter().enumerate() {
        if c.config.group_instance_id.is_some() && !v.static_membership() {
            out.push(Problem::new(
                key_path(&format!("consumer[{i}].config"), keys::GROUP_INSTANCE_ID.name),
                format!(
                    "static membership (`group.instance.id`, KIP-345) arrived in Kafka 2.3; `kafka_version` is {v}"
                ),
            ));
        }
    }
    for (i, c) in s.consumers.iter().enumerate() {
        if c.config.group_protocol == GroupProtocol::Consumer && !v.consumer_group_protocol() {
            out.push(Problem::new(
                key_path(&format!("consumer[{i}].config"), keys::GROUP_PROTOCOL.name),
                format!(
                    "`{}` = \"consumer\" (the consumer group protocol, KIP-848) arrived in Kafka 4.0; `kafka_version` is {v}",
                    keys::GROUP_PROTOCOL.name
                ),
            ));
        }
        if c.config.assignment_strategy == AssignmentStrategy::CooperativeSticky && !v.cooperative_rebalancing() {
            out.push(Problem::new(
                key_path(&format!("consumer[{i}].config"), keys::PARTITION_ASSIGNMENT_STRATEGY.name),
                format!(
                    "`cooperative-sticky` (incremental cooperative rebalancing, KIP-429) arrived in Kafka 2.4; `kafka_version` is {v}"
                ),
            ));
        }
    }
    if !v.producer_id_expiration_config() {
        // KIP-854 (3.4) split these from `transactional.id.expiration.ms`; a value other than
        // the default can only have been written by the user.
        let c = &s.cluster.config;
        let d = crate::scenario::model::BrokerConfig::default();
        for (k, set) in [
            (&keys::PRODUCER_ID_EXPIRATION_MS, c.producer_id_expiration_ms != d.producer_id_expiration_ms),
            (
                &keys::PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
                c.producer_id_expiration_check_interval_ms != d.producer_id_expiration_check_interval_ms,
            ),
        ] {
            if set {
                out.push(Problem::new(
                    key_path("cluster.config", k.name),
                    format!(
                        "`{}` arrived in Kafka 3.4 (KIP-854); `kafka_version` is {v}, whose producer ids expire after `{}`, checked every ten minutes",
                        k.name,
                        keys::TRANSACTIONAL_ID_EXPIRATION_MS.name
                    ),
                ));
            }
        }
    }
    if v.idempotence() {
        return;
    }
    let before = "arrived in Kafka 0.11 (KIP-98)";
    for (i, p) in s.producers.iter().enumerate() {
        let config = format!("producer[{i}].config");
        if p.config.transactional_id.is_some() {
            out.push(Problem::new(
                key_path(&config, keys::TRANSACTIONAL_ID.name),
                format!("transactions {before}; `kafka_version` is {v}"),
            ));
        } else if p.config.enable_idempotence {
            out.push(Problem::new(
                key_path(&config, keys::ENABLE_IDEMPOTENCE.name),
                format!("the idempotent producer {before}; `kafka_version` is {v}"),
            ));
        }
    }
}

/// `[cluster.config]`: ranges, then the rules between keys.
fn broker_config(s: &Scenario, out: &mut Vec<Problem>) {
    let c = &s.cluster.config;
    let at = |k: &keys::ConfigKey| key_path("cluster.config", k.name);
    config_ranges(BROKER, c, "cluster.config", &[], out);
    let (min, max) = (&keys::GROUP_MIN_SESSION_TIMEOUT_MS, &keys::GROUP_MAX_SESSION_TIMEOUT_MS);
    if c.group_min_session_timeout_ms > c.group_max_session_timeout_ms {
        out.push(
            Problem::new(
                at(max),
                format!(
                    "`{}` ({}) must be at most `{}` ({}): no consumer could join a group",
                    min.name, c.group_min_session_timeout_ms, max.name, c.group_max_session_timeout_ms
                ),
            )
            .or_at(at(min)),
        );
    }
    let (cs, ch) = (&keys::GROUP_CONSUMER_SESSION_TIMEOUT_MS, &keys::GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS);
    if c.group_consumer_heartbeat_interval_ms >= c.group_consumer_session_timeout_ms {
        out.push(
            Problem::new(
                at(ch),
                format!(
                    "`{}` ({}) must be below `{}` ({}) (KAFKA-17618)",
                    ch.name, c.group_consumer_heartbeat_interval_ms, cs.name, c.group_consumer_session_timeout_ms
                ),
            )
            .or_at(at(cs)),
        );
    }
    let (wait, lag) = (&keys::REPLICA_FETCH_WAIT_MAX_MS, &keys::REPLICA_LAG_TIME_MAX_MS);
    if c.replica_fetch_wait_max_ms > REPLICA_SOCKET_TIMEOUT_MS {
        out.push(Problem::new(
            at(wait),
            format!(
                "`{}` ({}) must be at most replica.socket.timeout.ms ({REPLICA_SOCKET_TIMEOUT_MS}, Kafka's \
                 default) to prevent unnecessary socket timeouts",
                wait.name, c.replica_fetch_wait_max_ms
            ),
        ));
    } else if c.replica_fetch_wait_max_ms > c.replica_lag_time_max_ms {
        out.push(
            Problem::new(
                at(wait),
                format!(
                    "`{}` ({}) must be at most `{}` ({}) to prevent frequent changes in ISR",
                    wait.name, c.replica_fetch_wait_max_ms, lag.name, c.replica_lag_time_max_ms
                ),
            )
            .or_at(at(lag)),
        );
    }
}

/// The message for a topic name Kafka would refuse.
pub(crate) fn illegal_topic_name(name: &str) -> String {
    format!(
        "topic name \"{name}\" is not a legal Kafka topic name: use 1 to 249 ASCII letters, digits, '.', \
         '_' or '-' (not \".\" or \"..\")"
    )
}

/// Every `[[topic]]`: legal unique names, partitions, replication factor within the brokers.
fn topics(s: &Scenario, out: &mut Vec<Problem>) {
    let brokers = s.cluster.brokers;
    for (i, t) in s.topics.iter().enumerate() {
        let here = format!("topic[{i}]");
        // A processor's output the broker auto-creates need not be a name a `[[topic]]` may carry.
        let created = s.processors.iter().any(|p| p.output == t.name);
        if !created && !legal_topic_name(&t.name) {
            out.push(Problem::new(format!("{here}.name"), illegal_topic_name(&t.name)));
        }
        if let Some(first) = s.topics[..i].iter().position(|x| x.name == t.name) {
            let first = format!("topic[{first}].name");
            out.push(
                Problem::new(
                    format!("{here}.name"),
                    format!("topic `{}` is declared twice (first at {first})", t.name),
                )
                .refers(first),
            );
        }
        range(out, || format!("{here}.partitions"), "partitions", t.partitions.into(), (1, MAX_PARTITIONS));
        let rf = t.replication_factor;
        if rf == 0 {
            range(out, || format!("{here}.replication_factor"), "replication_factor", 0, (1, i64::MAX));
        } else if rf > brokers {
            out.push(Problem::new(
                format!("{here}.replication_factor"),
                format!("replication_factor {rf} is above the broker count {brokers}"),
            ));
        }
        config_ranges(TOPIC, t, &format!("{here}.config"), &[], out);
    }
}
